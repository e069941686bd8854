import { capitalise, describeContainer } from './describe.js';
import { defineRule } from './types.js';

export default defineRule({
  id: 'newer-version-available',
  meta: {
    short: 'A newer release than the pinned exact version exists.',
    full: 'Not a risk by itself: a nudge to upgrade deliberately (patch, minor and major levels are named; `scan --newer minor` reports only minor and major). Needs `--resolve`.',
    severity: 'note',
    needsResolve: true,
  },
  check({ ref, parsed, resolution }) {
    const newer = resolution?.newer;
    if (parsed?.tag === undefined || newer === undefined) return undefined;
    const levels = (['patch', 'minor', 'major'] as const).filter((level) => newer[level] !== undefined).map((level) => `${newer[level]} (${level})`);
    if (levels.length === 0) return undefined;
    return { message: `${capitalise(describeContainer(ref))} uses \`${parsed.tag}\`; newer releases: ${levels.join(', ')}` };
  },
});
