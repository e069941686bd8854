import { capitalise, describeContainer, floatingConsequence } from './describe.js';
import { defineRule } from './types.js';

export default defineRule({
  id: 'missing-tag',
  meta: {
    short: 'The image has neither a tag nor a digest, so it means `latest`.',
    full: 'An image reference without a tag or digest is pulled as `latest`, with the same risk: every replacement can pull a different build. Pin a version and a digest: `repo:v1.2.3@sha256:…`.',
    severity: 'error',
  },
  check({ ref, parsed, unresolvable, invalid }) {
    if (parsed === undefined || unresolvable !== undefined || invalid !== undefined) return undefined;
    if (parsed.tag !== undefined || parsed.digest !== undefined) return undefined;
    return { message: `${capitalise(describeContainer(ref))} uses \`${ref.raw}\` with no tag, which means \`latest\`: ${floatingConsequence(ref)}` };
  },
});
