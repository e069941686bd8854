import { capitalise, describeContainer } from './describe.js';
import { defineRule } from './types.js';

export default defineRule({
  id: 'undigested-tag',
  meta: {
    short: 'The image names an exact version but no digest.',
    full: 'Even an exact version tag can be re-pushed (and ECR repositories with mutable tags allow it). Add the digest: `repo:1.2.3@sha256:…`; `imagedrift pin` does it for you.',
    severity: 'note',
    sidecarSeverity: 'warning',
  },
  check({ ref, parsed, tagKind }) {
    if (tagKind !== 'exact' && tagKind !== 'specific') return undefined;
    return { message: `${capitalise(describeContainer(ref))} uses \`${parsed?.tag ?? ''}\` without a digest: the tag can be re-pushed` };
  },
});
