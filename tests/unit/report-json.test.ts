// The JSON report is written in chunks; together they must be exactly JSON.stringify(report, null, 2).
import { describe, expect, it } from 'vitest';
import type { ScanResult } from '../../src/core/types.js';
import { FindingIdentities } from '../../src/core/identity.js';
import { json, jsonChunks } from '../../src/report/json.js';

const finding = (i: number) => ({
  ruleId: 'latest-tag',
  severity: 'error' as const,
  message: `Sidecar \`c${i}\` uses floating tag \`latest\` — “quoted” … 😀\nsecond line`,
  location: { path: `deploy/${i}.yaml`, line: i + 1, column: 3, endLine: i + 1, endColumn: 20 },
  image: { raw: 'nginx:latest', registry: 'docker.io', repository: 'library/nginx', tag: 'latest' },
  container: { name: `c${i}`, role: 'sidecar' as const },
  workload: { kind: 'Pod', name: 'p' },
});

function result(findings: number, skipped: number, errors: string[]): ScanResult {
  return {
    findings: Array.from({ length: findings }, (_, i) => finding(i)),
    skipped: Array.from({ length: skipped }, (_, i) => ({ path: `s${i}.yaml`, reason: 'binary file' })),
    errors,
    summary: { filesScanned: 3, filesSkipped: skipped, refsFound: findings, bySeverity: { error: findings, warning: 0, note: 0 }, byRule: findings > 0 ? { 'latest-tag': findings } : {} },
  };
}

describe('json report', () => {
  it.each([
    [0, 0, []],
    [1, 0, []],
    [3, 2, ['x: cannot read: no such file or directory']],
  ] as const)('%i findings, %i skipped: chunks equal JSON.stringify', (findings, skipped, errors) => {
    const r = result(findings, skipped, [...errors]);
    const ids = new FindingIdentities();
    const withIds = [...r.findings].map((f) => ({ ...f, identity: ids.next(f) }));
    const expected = `${JSON.stringify({ schema: 'imagedrift.scan/v1', tool: { name: "imagedrift", version: "1.2.3" }, findings: withIds, skipped: r.skipped, errors: r.errors, summary: r.summary }, null, 2)}\n`;
    expect(json(r, { color: false, version: '1.2.3' })).toBe(expected);
    expect([...jsonChunks(r, { version: '1.2.3' })].length).toBeGreaterThan(findings);
  });

  it('writes `##[` as \\u0023#[, the same JSON value, so no line of it reads as a CI command', () => {
    const r = result(1, 0, ['##[error]evil: cannot read']);
    const out = json(r, { color: false, version: '1' });
    expect(out).not.toContain('##[');
    expect(JSON.parse(out).errors).toEqual(['##[error]evil: cannot read']);
  });

  it('gives each finding its identity: equal for equal findings on other lines, different for another container', () => {
    const r = result(2, 0, []);
    const [a, b] = JSON.parse(json(r, { color: false, version: '1' })).findings;
    expect(a.identity).toMatch(/^[0-9a-f]{32}$/);
    expect(a.identity).not.toBe(b.identity); // another file and container
    const moved = { ...r, findings: [{ ...[...r.findings][0]!, location: { path: 'deploy/0.yaml', line: 40, column: 3, endLine: 40, endColumn: 20 } }] };
    expect(JSON.parse(json(moved, { color: false, version: '1' })).findings[0].identity).toBe(a.identity);
  });
});
