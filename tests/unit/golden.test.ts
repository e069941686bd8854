// Golden cases: each directory under tests/golden holds inputs and expected.txt, the exact text
// report (`path:line:col: severity message [rule]` lines, skipped files, summary) a scan of that
// directory prints. Regenerate after an intended change with UPDATE_GOLDEN=1 and review the diff.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadDefaultPolicy } from '../../src/policy/load.js';
import { text } from '../../src/report/text.js';
import { scanPaths } from '../../src/scan/scan.js';

const root = join(import.meta.dirname, '..', 'golden');
const cases = readdirSync(root, { withFileTypes: true }).filter((entry) => entry.isDirectory()).map((entry) => entry.name);

describe('golden scans', () => {
  it('has cases', () => expect(cases.length).toBeGreaterThanOrEqual(12));

  it.each(cases)('%s', async (name) => {
    const dir = relative(process.cwd(), join(root, name));
    const result = await scanPaths([dir], { policy: loadDefaultPolicy() });
    const output = text(result, { color: false, version: 'test' });
    const expectedPath = join(root, name, 'expected.txt');
    if (process.env.UPDATE_GOLDEN === '1' || !existsSync(expectedPath)) writeFileSync(expectedPath, output);
    expect(output).toBe(readFileSync(expectedPath, 'utf8'));
  });
});
