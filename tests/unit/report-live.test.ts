// Live findings (`audit ecs`) have an ecs:// location and no line: every reporter must say where
// without inventing a position, and SARIF must stay valid.
import { describe, expect, it } from 'vitest';
import type { ScanResult } from '../../src/core/types.js';
import { github } from '../../src/report/github.js';
import { markdown } from '../../src/report/markdown.js';
import { sarif } from '../../src/report/sarif.js';
import { text } from '../../src/report/text.js';
import { sarifValidator } from './report-sarif-schema.js';

const path = 'ecs://123456789012/us-east-1/prod/checkout#aws-otel-collector';
const result: ScanResult = {
  findings: [
    {
      ruleId: 'fleet-drift',
      severity: 'error',
      message: 'Sidecar `aws-otel-collector` of service `checkout` runs 2 different builds',
      location: { path, line: 0, column: 0, endLine: 0, endColumn: 0 },
      container: { name: 'aws-otel-collector', role: 'sidecar' },
      workload: { kind: 'Service', name: 'checkout', namespace: 'prod' },
    },
  ],
  skipped: [],
  errors: [],
  summary: { filesScanned: 0, filesSkipped: 0, refsFound: 1, bySeverity: { error: 1, warning: 0, note: 0 }, byRule: { 'fleet-drift': 1 } },
};
const ctx = { color: false, version: 'test', linkBase: 'https://github.com/o/r/blob/abc/' };

describe('live locations', () => {
  it('text prints the ecs:// location without line and column', () => {
    expect(text(result, ctx).split('\n')[0]).toBe(`${path}: error Sidecar \`aws-otel-collector\` of service \`checkout\` runs 2 different builds [fleet-drift]`);
  });

  it('github annotates without a position', () => {
    expect(github(result, ctx).split('\n')[0]).toBe(`::error file=${path.replace(':', '%3A')},title=fleet-drift::Sidecar \`aws-otel-collector\` of service \`checkout\` runs 2 different builds`);
  });

  it('markdown links nothing and shows no line', () => {
    const out = markdown(result, ctx);
    expect(out).toContain(`| \`${path}\` | 🔴 error |`);
    expect(out).not.toContain('https://github.com/o/r/blob/abc/ecs');
  });

  it('counts workloads, not files, in the summary of every human format', () => {
    // Without the audit's figures, the workloads with findings; with them, services of how many audited and the scope.
    expect(text(result, ctx).trimEnd().split('\n').at(-1)).toBe('1 finding (1 error, 0 warnings, 0 notes) in 1 workload, 1 image reference');
    const audited: ScanResult = { ...result, live: { source: 'ecs', unit: 'service', workloads: 300, scope: '3,000 tasks, 600 image references across 3 clusters, 1 region, 1 account' } };
    const line = '1 finding (1 error, 0 warnings, 0 notes) in 1 service (of 300 audited); 3,000 tasks, 600 image references across 3 clusters, 1 region, 1 account';
    expect(text(audited, ctx).trimEnd().split('\n').at(-1)).toBe(line);
    expect(markdown(audited, ctx)).toContain(line);
    expect(github(audited, ctx).trimEnd().split('\n').at(-1)).toBe(line);
  });

  it('sarif has no region and validates', () => {
    const log = JSON.parse(sarif(result, ctx));
    const physical = log.runs[0].results[0].locations[0].physicalLocation;
    expect(physical.artifactLocation.uri).toBe(path);
    expect(physical.region).toBeUndefined();
    const validate = sarifValidator();
    expect(validate(log), JSON.stringify(validate.errors)).toBe(true);
  });
});
