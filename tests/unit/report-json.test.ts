// The JSON report is written in chunks; together they must be exactly JSON.stringify(report, null, 2).
import { describe, expect, it } from 'vitest';
import type { ScanResult } from '../../src/core/types.js';
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
    const expected = `${JSON.stringify({ schema: 'imagedrift.scan/v1', tool: { name: 'imagedrift', version: '1.2.3' }, findings: r.findings, skipped: r.skipped, errors: r.errors, summary: r.summary }, null, 2)}\n`;
    expect(json(r, { color: false, version: '1.2.3' })).toBe(expected);
    expect([...jsonChunks(r, { version: '1.2.3' })].length).toBeGreaterThan(findings);
  });
});
