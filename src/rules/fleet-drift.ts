import { countOf, listOf, namedDigest } from '../audit/wording.js';
import { capitalise, describeContainer } from './describe.js';
import { defineRule } from './types.js';

export default defineRule({
  id: 'fleet-drift',
  meta: {
    short: 'Tasks of one ECS service run different builds (digests) of the same container image.',
    full: 'The tasks of a service declare the same image but run different digests: tasks started at different times pulled whatever the tag pointed at then. This is a drift incident in progress, as when the AWS OTEL collector sidecar on `:latest` picked up a panicking release task by task over three hours. Pin the image by digest (`repo:tag@sha256:…`) and redeploy. `imagedrift audit ecs` only.',
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
    return {
      message: `${capitalise(describeContainer(ref))} runs ${builds} different builds of \`${ref.raw}\` across ${countOf(live.tasks, 'task')}: ${listOf(parts)}: the same reference pulled different images as tasks were started`,
    };
  },
});
