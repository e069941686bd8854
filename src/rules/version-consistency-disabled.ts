import { FLOATING_TAG_KINDS } from '../core/tag-kind.js';
import { capitalise, describeContainer } from './describe.js';
import { defineRule } from './types.js';

export default defineRule({
  id: 'version-consistency-disabled',
  meta: {
    short: 'An ECS container with a floating tag has `versionConsistency: disabled`.',
    full: 'With `versionConsistency` enabled (the default), ECS resolves a tag to one digest per deployment and every task of it runs that build. Disabled, every task ECS starts pulls the tag as it is at that moment, so replacements and scale-outs mix builds inside one deployment. AWS suggests disabling it for telemetry sidecars on `latest`; that is exactly how the OTEL collector incident spread. Pin a version and digest, or leave `versionConsistency` enabled. `imagedrift audit ecs` only.',
    severity: 'warning',
    sidecarSeverity: 'error',
    live: true,
  },
  check({ ref, parsed, tagKind, live }) {
    if (live?.versionConsistency !== 'disabled' || parsed === undefined || parsed.digest !== undefined) return undefined;
    const floating = parsed.tag === undefined || (tagKind !== undefined && FLOATING_TAG_KINDS.has(tagKind));
    if (!floating) return undefined;
    const tag = parsed.tag === undefined ? 'no tag (which means `latest`)' : `floating tag \`${parsed.tag}\``;
    return {
      message: `${capitalise(describeContainer(ref))} has versionConsistency disabled with ${tag}: every task ECS starts pulls whatever the tag points at then, so replacements and scale-outs mix builds within one deployment`,
    };
  },
});
