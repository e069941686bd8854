// Golden reporter outputs: each directory under tests/golden-report holds either an input tree
// (input/, with its .imagedrift.yaml) scanned under a fixed --now, or a ScanResult (result.json),
// and the exact text, JSON, SARIF, GitHub and Markdown reports of it. Regenerate after an intended change
// with UPDATE_GOLDEN=1 and review the diff. The SARIF reports are also validated against the schema.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ScanResult } from '../../src/core/types.js';
import { loadDefaultPolicy, loadPolicyFile } from '../../src/policy/load.js';
import type { Policy } from '../../src/policy/types.js';
import { REPORTERS } from '../../src/report/index.js';
import type { FormatName, ReportContext } from '../../src/report/index.js';
import { relativeTo, scanPaths } from '../../src/scan/scan.js';
import { sarifValidator } from './report-sarif-schema.js';

const root = join(import.meta.dirname, '..', 'golden-report');
const cases = readdirSync(root, { withFileTypes: true }).filter((entry) => entry.isDirectory()).map((entry) => entry.name);
const OUTPUTS: Array<[FormatName, string]> = [
  ['text', 'expected.txt'],
  ['json', 'expected.json'],
  ['sarif', 'expected.sarif'],
  ['github', 'expected.github.txt'],
  ['markdown', 'expected.md'],
];
const validate = sarifValidator();

interface CaseConfig {
  now?: string;
  linkBase?: string;
}

async function run(name: string): Promise<{ result: ScanResult; ctx: ReportContext }> {
  const dir = join(root, name);
  const config = JSON.parse(readFileSync(join(dir, 'case.json'), 'utf8')) as CaseConfig;
  const base = { color: false, version: '0.0.0-test', ...(config.linkBase !== undefined ? { linkBase: config.linkBase } : {}) };
  if (existsSync(join(dir, 'result.json'))) {
    return { result: JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8')) as ScanResult, ctx: { ...base, policy: loadDefaultPolicy() } };
  }
  const input = join(dir, 'input');
  const policyFile = join(input, '.imagedrift.yaml');
  // The input directory is the scan root: the policy's path globs are relative to it.
  const policy: Policy = existsSync(policyFile) ? loadPolicyFile(relative(process.cwd(), policyFile), { root: input }) : loadDefaultPolicy();
  const relativePath = (path: string) => relativeTo(input, path);
  const result = await scanPaths([relative(process.cwd(), input)], { policy, root: input, now: config.now ?? '2000-01-01', relativePath });
  return { result, ctx: { ...base, policy, relativePath } };
}

describe('golden reports', () => {
  it('has cases', () => expect(cases.length).toBeGreaterThanOrEqual(3));

  describe.each(cases)('%s', (name) => {
    it.each(OUTPUTS)('%s', async (format, file) => {
      const { result, ctx } = await run(name);
      const output = REPORTERS[format](result, ctx);
      const expectedPath = join(root, name, file);
      if (process.env.UPDATE_GOLDEN === '1' || !existsSync(expectedPath)) writeFileSync(expectedPath, output);
      expect(output).toBe(readFileSync(expectedPath, 'utf8'));
      if (format === 'sarif') expect(validate(JSON.parse(output)) ? [] : validate.errors).toEqual([]);
    });
  });
});
