import { defineRule } from './types.js';

/** Reported by the scanner for a file that looks like a manifest but cannot be parsed. */
export default defineRule({
  id: 'parse-error',
  meta: {
    short: 'The file cannot be parsed as YAML or JSON.',
    full: 'A file that mentions images but is not valid YAML or JSON cannot be checked, and the tools that deploy it will fail too. The position is where the parser stopped.',
    severity: 'error',
  },
});
