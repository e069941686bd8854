import { capitalise, describeContainer, floatingConsequence } from './describe.js';
import { defineRule } from './types.js';

export default defineRule({
  id: 'latest-tag',
  meta: {
    short: 'The image uses the floating tag `latest`.',
    full: '`latest` points at whatever was pushed last. Every task replacement, scale-out or pod restart can pull a different build, as happened when the AWS OTEL collector sidecar on `:latest` picked up a release that panicked. Pin a version and a digest: `repo:v1.2.3@sha256:…`.',
    severity: 'error',
  },
  check({ ref, tagKind }) {
    if (tagKind !== 'latest') return undefined;
    return { message: `${capitalise(describeContainer(ref))} uses floating tag \`latest\`: ${floatingConsequence(ref)}` };
  },
});
