import { countOf, instanceNoun, listOf, namedDigest } from '../core/wording.js';
import { capitalise, describeContainer } from './describe.js';
import { defineRule } from './types.js';

export default defineRule({
  id: 'running-digest-missing',
  meta: {
    short: 'The digest ECS tasks or Kubernetes pods run (or their deployment resolved) is no longer in the registry.',
    full: 'Running tasks keep their image, but the registry no longer has it (ECR lifecycle policies delete images on a schedule). The next scale-out or task replacement pulls that digest and fails with CannotPullContainerError, or, where the tag is pulled again, starts a different build with no way back to this one. In Kubernetes, a pod started on a node without the image fails with ErrImagePull. Deploy a digest that exists, and exclude images in use from the lifecycle policy. `imagedrift audit ecs` and `audit k8s` (with `--resolve`) only.',
    severity: 'error',
    live: true,
  },
  check({ ref, parsed, live }) {
    if (live === undefined) return undefined;
    const gone = live.digests.filter((d) => d.exists === false);
    if (gone.length === 0) return undefined;
    const k8s = live.platform === 'kubernetes';
    const parts = gone.map((d) => `${namedDigest(d)}${d.tasks > 0 ? ` (${countOf(d.tasks, instanceNoun(live))})` : d.deployed ? ' (the current deployment)' : ' (pinned)'}`);
    const verb = gone.some((d) => d.tasks > 0) ? 'runs' : 'is deployed with';
    // What the next task pulls: the digest when the reference pins it, or when a service deployment
    // resolved the tag (versionConsistency enabled); otherwise the tag, as it is then.
    // Kubernetes never resolves a tag for a rollout: only a pinned digest is pulled as such.
    const pullsDigest = parsed?.digest !== undefined || (!k8s && live.unit === 'service' && live.versionConsistency !== 'disabled');
    const next = k8s ? (live.unit === 'service' ? 'the next pod started on a node without it' : 'the pod, if started on another node,') : live.unit === 'service' ? 'the next scale-out or task replacement' : 'the next run';
    const consequence = pullsDigest
      ? `${next} will fail to pull it (${k8s ? 'ErrImagePull' : 'CannotPullContainerError'})`
      : `${next} will pull \`${parsed?.tag ?? 'latest'}\` as it is now, a different build, and this one cannot be restored`;
    return {
      message: `${capitalise(describeContainer(ref))} ${verb} ${listOf(parts)}, which the registry no longer has (deleted by a lifecycle policy?): ${consequence}`,
    };
  },
});
