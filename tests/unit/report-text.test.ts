// The text reporter: one line a finding, names from the scanned files made inert (control
// characters visible, no line a CI log reads as a command), roll-ups (`--group-by`), the per-rule
// summary (`--summary rules`) and the summary line's counts of files (or services) with findings.
import { describe, expect, it } from 'vitest';
import { displayText, inertLine } from '../../src/core/display.js';
import type { Finding, ScanResult } from '../../src/core/types.js';
import { text } from '../../src/report/text.js';
import { emptySummary, summarise } from '../../src/scan/scan.js';

function finding(fields: Partial<Finding>): Finding {
  return { ruleId: 'latest-tag', severity: 'error', message: 'm', location: { path: 'deploy/app.yaml', line: 7, column: 14, endLine: 7, endColumn: 36 }, ...fields };
}

function resultOf(findings: Finding[], extra: Partial<ScanResult> = {}, scanned = 5): ScanResult {
  return { findings, skipped: [], errors: [], summary: summarise(findings, { ...emptySummary(), filesScanned: scanned, refsFound: 9 }), ...extra };
}

const ctx = { color: false, version: 't' };

function live(service: string, container = 'otel', fields: Partial<Finding> = {}): Finding {
  return finding({
    location: { path: `ecs://111111111111/us-east-1/prod/${service}#${container}`, line: 0, column: 0, endLine: 0, endColumn: 0 },
    image: { raw: 'public.ecr.aws/aws-observability/aws-otel-collector:latest', registry: 'public.ecr.aws', repository: 'aws-observability/aws-otel-collector', tag: 'latest' },
    container: { name: container, role: 'sidecar' },
    workload: { kind: 'Service', name: service, namespace: 'prod' },
    message: `Sidecar \`${container}\` in Service \`prod/${service}\` uses floating tag \`latest\``,
    ...fields,
  });
}

describe('escaping what the scanned files wrote', () => {
  it('writes control characters visibly and keeps lines inert for CI logs', () => {
    expect(displayText('a\nb\r\tc\u001b[31md\u0000\u007f\u0085\u2028\u202e')).toBe('a\\nb\\r\\tc\\u001b[31md\\u0000\\u007f\\u0085\\u2028\\u202e');
    expect(displayText('plain café ✓')).toBe('plain café ✓');
    expect(inertLine('::error::x')).toBe('\\x3a:error::x');
    expect(inertLine('  ::warning file=a::b')).toBe('  \\x3a:warning file=a::b');
    expect(inertLine('ok ##[error] x')).toBe('ok \\x23#[error] x');
    expect(inertLine('a path: with :: inside')).toBe('a path: with :: inside');
  });

  it('never lets a container name, a path or a skipped reason start a workflow command or repaint the terminal', () => {
    const evil = finding({ message: 'Container `x\n::error file=a::pwned\u001b[2J` uses latest', location: { path: '::error::evil.yaml', line: 1, column: 1, endLine: 1, endColumn: 2 }, fix: { replacement: 'n\n::warning::y', range: { start: 0, end: 1 } } });
    const out = text(resultOf([evil], { skipped: [{ path: 'b\n::notice::c.yaml', reason: 'binary\r\n##[error]z' }], errors: ['\n::error::from an error'] }), ctx);
    for (const line of out.split('\n')) {
      expect(line).not.toMatch(/^\s*::/);
      expect(line).not.toContain('##[');
      expect(line).not.toContain('\u001b');
    }
    expect(out).toContain('\\x3a:error::evil.yaml:1:1: error Container `x\\n::error file=a::pwned\\u001b[2J` uses latest [latest-tag]');
    expect(out).toContain('  fix: n\\n::warning::y');
    expect(out).toContain('b\\n::notice::c.yaml: skipped: binary\\r\\n\\x23#[error]z');
  });

  it('keeps its own colours on a terminal', () => {
    expect(text(resultOf([finding({})]), { ...ctx, color: true })).toContain('\u001b[31merror\u001b[0m');
  });
});

describe('the summary line', () => {
  it('counts the files with findings, of how many scanned', () => {
    const out = text(resultOf([finding({}), finding({ location: { path: 'deploy/app.yaml', line: 9, column: 1, endLine: 9, endColumn: 2 } }), finding({ location: { path: 'b.yaml', line: 1, column: 1, endLine: 1, endColumn: 2 } })]), ctx);
    expect(out.trimEnd().split('\n').at(-1)).toBe('3 findings (3 errors, 0 warnings, 0 notes) in 2 files (of 5 scanned), 9 image references');
    expect(text(resultOf([], {}, 5), ctx)).toBe('0 findings (0 errors, 0 warnings, 0 notes) in 5 files, 9 image references\n');
    expect(text(resultOf([finding({})], {}, 1), ctx).trimEnd().split('\n').at(-1)).toBe('1 finding (1 error, 0 warnings, 0 notes) in 1 file, 9 image references');
  });

  it('counts services for a live audit, never "0 files"', () => {
    const result = resultOf([live('a'), live('a', 'app'), live('b')], { live: { source: 'ecs', unit: 'service', workloads: 42, scope: '84 tasks, 84 image references across 1 cluster, 1 region, 1 account' } }, 0);
    expect(text(result, ctx).trimEnd().split('\n').at(-1)).toBe('3 findings (3 errors, 0 warnings, 0 notes) in 2 services (of 42 audited); 84 tasks, 84 image references across 1 cluster, 1 region, 1 account');
  });

  it('--summary rules: a line per rule, most severe first, with the files each is in', () => {
    const out = text(
      resultOf([finding({}), finding({ ruleId: 'undigested-tag', severity: 'note' }), finding({ location: { path: 'c.yaml', line: 1, column: 1, endLine: 1, endColumn: 2 } }), finding({ ruleId: 'mutable-tag', severity: 'warning' })]),
      { ...ctx, summary: 'rules' },
    );
    expect(out.trimEnd().split('\n').slice(-4)).toEqual([
      'latest-tag      2  (2 errors)  in 2 files',
      'mutable-tag     1  (1 warning)  in 1 file',
      'undigested-tag  1  (1 note)  in 1 file',
      '4 findings (2 errors, 1 warning, 1 note) in 2 files (of 5 scanned), 9 image references',
    ]);
  });
});

describe('roll-ups', () => {
  const fleet = [...Array.from({ length: 600 }, (_, i) => live(`svc-${i}`)), live('svc-0', 'app', { ruleId: 'undigested-tag', severity: 'note', image: { raw: 'app:1.2.3', registry: 'docker.io', repository: 'library/app', tag: '1.2.3' }, message: 'Container `app` uses `1.2.3` without a digest' })];
  const audit = resultOf(fleet, { live: { source: 'ecs', unit: 'service', workloads: 600, scope: '…' } }, 0);

  it('--group-by image: the same image and rule across 600 services is one group with a count and the list folded', () => {
    const lines = text(audit, { ...ctx, groupBy: 'image' }).trimEnd().split('\n');
    expect(lines.slice(0, 9)).toEqual([
      'error public.ecr.aws/aws-observability/aws-otel-collector:latest: 600 findings in 600 services [latest-tag]',
      '  e.g. Sidecar `otel` in Service `prod/svc-0` uses floating tag `latest`',
      '  ecs://111111111111/us-east-1/prod/svc-0#otel',
      '  ecs://111111111111/us-east-1/prod/svc-1#otel',
      '  ecs://111111111111/us-east-1/prod/svc-2#otel',
      '  ecs://111111111111/us-east-1/prod/svc-3#otel',
      '  ecs://111111111111/us-east-1/prod/svc-4#otel',
      '  … and 595 more (--group-by none lists each)',
      // A group of one is the finding's own line.
      'ecs://111111111111/us-east-1/prod/svc-0#app: note Container `app` uses `1.2.3` without a digest [undigested-tag]',
    ]);
    expect(lines).toHaveLength(10);
  });

  it('--group-by rule and --group-by service', () => {
    const byRule = text(audit, { ...ctx, groupBy: 'rule' }).split('\n');
    expect(byRule[0]).toBe('error: 600 findings in 600 services [latest-tag]');
    const byService = text(audit, { ...ctx, groupBy: 'service' }).split('\n');
    expect(byService.slice(0, 3)).toEqual([
      'ecs://111111111111/us-east-1/prod/svc-0: 2 findings',
      '  ecs://111111111111/us-east-1/prod/svc-0#otel: error Sidecar `otel` in Service `prod/svc-0` uses floating tag `latest` [latest-tag]',
      '  ecs://111111111111/us-east-1/prod/svc-0#app: note Container `app` uses `1.2.3` without a digest [undigested-tag]',
    ]);
  });

  it('marks new findings and lists them first in a group', () => {
    const marked = fleet.map((f, i) => ({ ...f, baseline: i === 3 ? ('new' as const) : ('existing' as const) }));
    const lines = text(resultOf(marked, { live: audit.live!, baseline: { file: 'last.json', new: 1, existing: 600, changed: 0, newBySeverity: { error: 1, warning: 0, note: 0 }, fixed: [] } }, 0), { ...ctx, groupBy: 'image' }).split('\n');
    expect(lines[0]).toBe('error public.ecr.aws/aws-observability/aws-otel-collector:latest: 600 findings in 600 services, 1 new [latest-tag]');
    expect(lines[2]).toBe('  ecs://111111111111/us-east-1/prod/svc-3#otel (new)');
    expect(lines.at(-2)).toMatch(/; 1 new, 600 existing, 0 fixed since last\.json$/);
    const plain = text(resultOf([{ ...finding({}), baseline: 'new' }]), ctx);
    expect(plain.split('\n')[0]).toBe('deploy/app.yaml:7:14: error (new) m [latest-tag]');
  });
});
