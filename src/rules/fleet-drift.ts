import { countOf, instanceNoun, listOf, localIdNote, namedDigest } from '../core/wording.js';
import { capitalise, describeContainer } from './describe.js';
import { defineRule } from './types.js';

export default defineRule({
  id: 'fleet-drift',
  meta: {
    short: 'Tasks of one ECS service (pods of one Kubernetes workload) run different builds (digests) of the same container image.',
    full: 'The tasks of a service declare the same image but run different digests: tasks started at different times pulled whatever the tag pointed at then. This is a drift incident in progress, as when the AWS OTEL collector sidecar on `:latest` picked up a panicking release task by task over three hours. Pin the image by digest (`repo:tag@sha256:…`) and redeploy. `imagedrift audit ecs` and `audit k8s` only.',
    severity: 'error',
    live: true,
  },
  check({ ref, live }) {
    if (live === undefined) return undefined;
    const running = live.digests.filter((d) => d.tasks > 0);
    // Platform manifests of the index the tag names (x86 and Graviton tasks) are one build.
    const current = live.registry?.current;
    const build = (digest: string) => (current !== undefined && (current.platforms ?? []).includes(digest) ? current.digest : digest);
    const builds = new Set(running.map((d) => build(d.digest))).size;
    if (builds < 2) return undefined;
    const parts = running.map((d) => `${d.tasks} on ${namedDigest(d)}`);
    const noun = instanceNoun(live);
    return {
      message: `${capitalise(describeContainer(ref))} runs ${builds} different builds of \`${ref.raw}\` across ${countOf(live.tasks, noun)}: ${listOf(parts)}${localIdNote(live)}: the same reference pulled different images as ${noun}s were started`,
    };
  },
});
