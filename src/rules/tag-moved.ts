import { capitalise, describeContainer } from './describe.js';
import { defineRule } from './types.js';

const short = (digest: string): string => `${digest.slice(0, 19)}…`;

export default defineRule({
  id: 'tag-moved',
  meta: {
    short: 'A `tag@digest` pin is stale: the tag now points at another digest.',
    full: 'The digest keeps running what was pinned, but the tag next to it no longer describes it: readers and tools that trust the tag are misled, and whoever re-pins will jump to whatever the tag points at now. Review the change and re-pin. Needs `--resolve`.',
    severity: 'warning',
    needsResolve: true,
  },
  check({ ref, parsed, resolution }) {
    const current = resolution?.current;
    if (parsed?.tag === undefined || parsed.digest === undefined || current === undefined || current.digest === parsed.digest) return undefined;
    const versions =
      current.versionTag !== undefined || resolution?.pinnedVersionTag !== undefined
        ? ` (pinned ${resolution?.pinnedVersionTag ?? 'an unknown version'}, now ${current.versionTag ?? 'an unknown version'})`
        : '';
    return {
      message: `${capitalise(describeContainer(ref))} pins \`${parsed.tag}\` at ${short(parsed.digest)} but \`${parsed.tag}\` now points at ${short(current.digest)}${versions}: the pin is stale`,
    };
  },
});
