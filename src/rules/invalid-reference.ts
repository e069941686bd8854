import { capitalise, describeContainer } from './describe.js';
import { defineRule } from './types.js';

export default defineRule({
  id: 'invalid-reference',
  meta: {
    short: 'The image string is not a valid image reference.',
    full: 'The value does not follow the Docker reference grammar (for example an uppercase repository name, an empty path component, spaces, or a malformed tag or digest); the runtime will refuse to pull it.',
    severity: 'error',
  },
  check({ ref, invalid }) {
    if (invalid === undefined) return undefined;
    return { message: `${capitalise(describeContainer(ref))} has an invalid image reference \`${ref.raw}\`: ${invalid}` };
  },
});
