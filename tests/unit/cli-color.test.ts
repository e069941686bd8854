// When the text report is coloured: --no-color, FORCE_COLOR (force-color.org), NO_COLOR (no-color.org), a terminal.
import { describe, expect, it } from 'vitest';
import { useColor } from '../../src/cli/color.js';

describe('useColor', () => {
  it.each<[string, boolean | undefined, NodeJS.ProcessEnv, boolean, boolean]>([
    ['a terminal', undefined, {}, true, true],
    ['a pipe', undefined, {}, false, false],
    ['NO_COLOR on a terminal', undefined, { NO_COLOR: '1' }, true, false],
    ['an empty NO_COLOR is not set', undefined, { NO_COLOR: '' }, true, true],
    ['FORCE_COLOR on a pipe', undefined, { FORCE_COLOR: '1' }, false, true],
    ['FORCE_COLOR=true', undefined, { FORCE_COLOR: 'true' }, false, true],
    ['FORCE_COLOR wins over NO_COLOR', undefined, { FORCE_COLOR: '3', NO_COLOR: '1' }, false, true],
    ['FORCE_COLOR=0 turns colour off, as in Node', undefined, { FORCE_COLOR: '0' }, true, false],
    ['FORCE_COLOR=false too', undefined, { FORCE_COLOR: 'false' }, true, false],
    ['an empty FORCE_COLOR is not set', undefined, { FORCE_COLOR: '' }, false, false],
    ['--no-color wins over FORCE_COLOR', false, { FORCE_COLOR: '1' }, true, false],
  ])('%s', (_, flag, env, tty, expected) => {
    expect(useColor(flag, env, tty)).toBe(expected);
  });
});
