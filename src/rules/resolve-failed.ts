import { capitalise, describeContainer } from './describe.js';
import { defineRule } from './types.js';

export default defineRule({
  id: 'resolve-failed',
  meta: {
    short: 'The registry could not be asked about the reference (unreachable, denied, not found).',
    full: 'With `--resolve`, every reference is checked against its registry; this one could not be, for the reason given. The scan exits 3 (incomplete) when any reference could not be checked. Needs `--resolve`.',
    severity: 'warning',
    needsResolve: true,
  },
  check({ ref, resolution }) {
    if (resolution?.failure === undefined) return undefined;
    return { message: `${capitalise(describeContainer(ref))}: \`${ref.raw}\` could not be checked: ${resolution.failure}` };
  },
});
