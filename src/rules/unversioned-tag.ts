import { capitalise, describeContainer, floatingConsequence } from './describe.js';
import { defineRule } from './types.js';

export default defineRule({
  id: 'unversioned-tag',
  meta: {
    short: 'The image uses a tag with no version in it (`jammy`, `bookworm-slim`, `musl`, `blue`), which names no release.',
    full: 'A tag without a single digit names a line, a flavour or a channel, not a release: a distribution codename such as `jammy` or `bookworm-slim` moves with every point release and security rebuild, and names such as `musl` or `blue` are re-pushed at will. Commit ids (`deadbeef`, 7–40 hex characters) are not flagged. Pin a version and a digest: `ubuntu:jammy-20240427@sha256:…`. Words listed in `tags.mutable` (`stable`, `alpine`) are `mutable-tag` findings instead.',
    severity: 'warning',
    sidecarSeverity: 'error',
  },
  check({ ref, parsed, tagKind }) {
    if (tagKind !== 'unversioned') return undefined;
    return { message: `${capitalise(describeContainer(ref))} uses tag \`${parsed?.tag ?? ''}\`, which names no version: ${floatingConsequence(ref)}` };
  },
});
