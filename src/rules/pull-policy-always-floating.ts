import { capitalise, describeContainer } from './describe.js';
import { defineRule } from './types.js';

/** Tag kinds that name no fixed build (no tag at all means `latest`). */
const FLOATING = new Set(['latest', 'mutable', 'partial']);

export default defineRule({
  id: 'pull-policy-always-floating',
  meta: {
    short: 'A Kubernetes container with a floating tag has `imagePullPolicy: Always`.',
    full: 'With `imagePullPolicy: Always` the kubelet asks the registry every time it starts the container: each crash-loop restart, each rescheduled or scaled-out pod pulls whatever the tag points at at that moment, so one workload drifts across builds without any rollout. Kubernetes sets `Always` by itself when the tag is `latest` or missing. This is worse than the floating tag alone: pin a version and digest (`repo:1.2.3@sha256:…`), after which `Always` costs only a manifest check. `imagedrift audit k8s` only.',
    severity: 'error',
  },
  check({ ref, parsed, tagKind, live }) {
    if (live?.pullPolicy !== 'Always' || parsed === undefined || parsed.digest !== undefined) return undefined;
    if (parsed.tag !== undefined && !FLOATING.has(tagKind ?? '')) return undefined;
    const tag = parsed.tag === undefined ? 'no tag (which means `latest`)' : `floating tag \`${parsed.tag}\``;
    return {
      message: `${capitalise(describeContainer(ref))} has imagePullPolicy: Always with ${tag}: every container start (a crash-loop restart, a rescheduled or new pod) pulls whatever the tag points at then, so its pods drift across builds without a rollout`,
    };
  },
});
