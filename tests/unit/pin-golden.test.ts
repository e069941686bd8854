// Golden pins: each tests/golden-pin/<case>/ holds inputs and expected.<input name>, the file as
// `imagedrift pin` must leave it (options.json sets style/keepTag). A second run must change
// nothing, and no byte outside an image string may change (except --style digest's comment).
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pinPaths } from '../../src/fix/pin.js';
import type { PinRunOptions } from '../../src/fix/pin.js';
import { loadDefaultPolicy } from '../../src/policy/load.js';
import { fakePropose } from '../helpers/fake-proposals.js';

const root = join(import.meta.dirname, '..', 'golden-pin');
const cases = readdirSync(root);

function options(dir: string): PinRunOptions {
  const extra = existsSync(join(dir, 'options.json')) ? (JSON.parse(readFileSync(join(dir, 'options.json'), 'utf8')) as Partial<PinRunOptions>) : {};
  return { policy: loadDefaultPolicy(), style: 'tag-digest', propose: fakePropose, ...extra };
}

describe('pin golden cases', () => {
  it.each(cases)('%s', async (name) => {
    const source = join(root, name);
    const work = mkdtempSync(join(tmpdir(), `imagedrift-pin-${name}-`));
    const inputs = readdirSync(source).filter((file) => !file.startsWith('expected.') && file !== 'options.json');
    for (const file of inputs) cpSync(join(source, file), join(work, file));
    const report = await pinPaths([work], options(source));
    expect(report.files.filter((f) => f.refused !== undefined)).toEqual([]);
    for (const file of inputs) {
      const expectedPath = join(source, `expected.${file}`);
      const actual = readFileSync(join(work, file));
      if (process.env.UPDATE_GOLDEN === '1' || !existsSync(expectedPath)) writeFileSync(expectedPath, actual);
      expect(actual.toString('binary')).toBe(readFileSync(expectedPath).toString('binary'));
    }
    const again = await pinPaths([work], options(source));
    expect(again.files.flatMap((f) => f.pinned)).toEqual([]);
    expect(again.files.some((f) => f.written)).toBe(false);
  });
});
