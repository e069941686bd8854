import { capitalise, describeContainer, floatingConsequence } from './describe.js';
import { defineRule } from './types.js';

export default defineRule({
  id: 'partial-version-tag',
  meta: {
    short: 'The image uses a partial version tag (`v1`, `1.2`) that floats within a release line.',
    full: 'A tag such as `1.25` or `v2` moves to each new release in its line. Pin the exact version and a digest: `repo:1.25.3@sha256:…`.',
    severity: 'warning',
    sidecarSeverity: 'error',
  },
  check({ ref, parsed, tagKind }) {
    if (tagKind !== 'partial') return undefined;
    return { message: `${capitalise(describeContainer(ref))} uses partial version tag \`${parsed?.tag ?? ''}\`, which moves with each release in its line: ${floatingConsequence(ref)}` };
  },
});
