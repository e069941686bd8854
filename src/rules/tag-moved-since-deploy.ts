import { countOf, instanceNoun, listOf, namedDigest } from '../core/wording.js';
import { capitalise, describeContainer } from './describe.js';
import { defineRule } from './types.js';

export default defineRule({
  id: 'tag-moved-since-deploy',
  meta: {
    short: 'The tag a running ECS or Kubernetes container uses now points at another build than the one it runs.',
    full: 'ECS pulled the tag when the tasks (or, with `versionConsistency` enabled, the deployment) started; the registry has moved the tag since. The next deployment, and any task replacement where `versionConsistency` is `disabled`, will pull a different build than the one running now, unreviewed. In Kubernetes, every pod started on a node that lacks the running build (a rollout, a reschedule, a scale-out; any restart with `imagePullPolicy: Always`) pulls the tag anew. Pin the digest that runs (or the one you want) in the task definition or pod template. `imagedrift audit ecs` and `audit k8s` (with `--resolve`) only.',
    severity: 'warning',
    sidecarSeverity: 'error',
    live: true,
  },
  check({ ref, parsed, live }) {
    if (live?.registry === undefined || parsed === undefined || parsed.digest !== undefined) return undefined;
    const { current, tagMissing } = live.registry;
    const inUse = live.digests.filter((d) => d.tasks > 0 || d.deployed);
    if (inUse.length === 0) return undefined;
    // No tag pulls `latest`.
    const tag = parsed.tag ?? 'latest';
    const written = parsed.tag === undefined ? '`latest` (no tag)' : `\`${tag}\``;
    const next =
      live.platform === 'kubernetes'
        ? live.unit === 'standalone'
          ? 'the pod, if restarted on another node' + (live.pullPolicy === 'Always' ? ' or at all (imagePullPolicy: Always),' : ',')
          : live.pullPolicy === 'Always'
            ? 'the next rollout, and any pod restart (imagePullPolicy: Always),'
            : 'the next rollout, and any pod started on a node without this build,'
        : live.unit === 'standalone'
        ? 'the next run'
        : live.versionConsistency === 'disabled'
          ? 'the next deployment, and any task ECS starts (versionConsistency is disabled),'
          : 'the next deployment';
    const where = (ds: typeof inUse) =>
      listOf(ds.map((d) => (d.tasks > 0 ? `${namedDigest(d)} on ${d.tasks} of ${countOf(live.tasks, instanceNoun(live))}` : `${namedDigest(d)} (resolved by the current deployment)`)));
    if (tagMissing === true) {
      return { message: `${capitalise(describeContainer(ref))} runs ${written} at ${where(inUse)}, but \`${tag}\` no longer exists in the registry: ${next} will fail to pull it` };
    }
    if (current === undefined) return undefined;
    // A platform manifest of the multi-arch index the tag names is that same build.
    const stale = inUse.filter((d) => d.digest !== current.digest && !(current.platforms ?? []).includes(d.digest));
    if (stale.length === 0) return undefined;
    return {
      message: `${capitalise(describeContainer(ref))} runs ${written} at ${where(stale)}, but \`${tag}\` now points at ${namedDigest(current)}: ${next} will pull a different build`,
    };
  },
});
