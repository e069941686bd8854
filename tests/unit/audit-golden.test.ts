// Golden audit cases: each directory under tests/golden-audit holds a snapshot (snapshot.json, the
// imagedrift.snapshot/v1 document `audit ecs --snapshot` writes), optionally a policy.yaml, a
// README.md saying what it shows, and expected.txt: every finding `audit ecs --from-snapshot`
// reports for it, one `location severity message [rule]` line each, then the incomplete scopes
// and a count. Regenerate after an intended change with UPDATE_GOLDEN=1 and review the diff.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { auditResult } from '../../src/audit/judge.js';
import { readSnapshot } from '../../src/audit/snapshot-file.js';
import { loadDefaultPolicy, loadPolicyFile } from '../../src/policy/load.js';

const root = join(import.meta.dirname, '..', 'golden-audit');
const cases = readdirSync(root, { withFileTypes: true }).filter((entry) => entry.isDirectory()).map((entry) => entry.name);

function render(dir: string): string {
  const policyFile = join(dir, 'policy.yaml');
  const policy = existsSync(policyFile) ? loadPolicyFile(relative(process.cwd(), policyFile)) : loadDefaultPolicy();
  const { result, stats } = auditResult(readSnapshot(join(dir, 'snapshot.json')), policy);
  const lines = result.findings.map((f) => {
    const where = f.location.line > 0 ? `${f.location.path}:${f.location.line}:${f.location.column}` : f.location.path;
    return `${where} ${f.severity} ${f.message} [${f.ruleId}]`;
  });
  for (const error of result.errors) lines.push(`incomplete: ${error}`);
  const { error, warning, note } = result.summary.bySeverity;
  lines.push(`${result.findings.length} findings (${error} errors, ${warning} warnings, ${note} notes): ${stats.services} services, ${stats.taskGroups} task groups, ${stats.tasks} tasks, ${stats.references} references`);
  return `${lines.join('\n')}\n`;
}

describe('golden audits', () => {
  it('has cases', () => expect(cases.length).toBeGreaterThanOrEqual(7));

  it.each(cases)('%s', (name) => {
    const dir = join(root, name);
    expect(existsSync(join(dir, 'README.md'))).toBe(true);
    const output = render(dir);
    const expectedPath = join(dir, 'expected.txt');
    if (process.env.UPDATE_GOLDEN === '1' || !existsSync(expectedPath)) writeFileSync(expectedPath, output);
    expect(output).toBe(readFileSync(expectedPath, 'utf8'));
  });
});
