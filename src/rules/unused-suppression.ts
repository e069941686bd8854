import { defineRule } from './types.js';

export default defineRule({
  id: 'unused-suppression',
  meta: {
    short: 'An `# imagedrift-ignore` comment suppresses nothing.',
    full: 'A suppression comment (`# imagedrift-ignore latest-tag -- reason`) applies to findings on its own line, or on the next line when the comment is alone on its line. One that matches no finding is stale (the image was fixed, or the rule id is wrong) and should be removed, so that it does not silently hide a future finding.',
    severity: 'note',
  },
});
