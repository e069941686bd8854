// GitHub Actions workflow commands: one annotation a finding, levels mapped, escaped as the
// runner expects (data: % CR LF; properties: also : and ,).
import { describe, expect, it } from 'vitest';
import type { Finding, ScanResult } from '../../src/core/types.js';
import { escapeData, escapeProperty, github } from '../../src/report/github.js';
import { emptySummary, summarise } from '../../src/scan/scan.js';

function finding(fields: Partial<Finding>): Finding {
  return { ruleId: 'latest-tag', severity: 'error', message: 'm', location: { path: 'deploy/app.yaml', line: 7, column: 14, endLine: 7, endColumn: 36 }, ...fields };
}

function report(findings: Finding[], extra: Partial<ScanResult> = {}, relativePath?: (p: string) => string): string[] {
  const result: ScanResult = { findings, skipped: [], errors: [], summary: summarise(findings, { ...emptySummary(), filesScanned: 1, refsFound: findings.length }), ...extra };
  return github(result, { color: false, version: 't', ...(relativePath !== undefined ? { relativePath } : {}) }).trimEnd().split('\n');
}

describe('GitHub Actions reporter', () => {
  it('writes ::error / ::warning / ::notice with file, line, col, endColumn and the rule as title, errors first', () => {
    expect(
      report([
        finding({ severity: 'note', ruleId: 'undigested-tag', message: 'n' }),
        finding({ severity: 'warning', ruleId: 'mutable-tag', message: 'w' }),
        finding({ message: 'Sidecar `otel` uses floating tag `latest`' }),
      ]),
    ).toEqual([
      '::error file=deploy/app.yaml,line=7,col=14,endColumn=36,title=latest-tag::Sidecar `otel` uses floating tag `latest`',
      '::warning file=deploy/app.yaml,line=7,col=14,endColumn=36,title=mutable-tag::w',
      '::notice file=deploy/app.yaml,line=7,col=14,endColumn=36,title=undigested-tag::n',
      '3 findings (1 error, 1 warning, 1 note) in 1 file, 3 image references',
    ]);
  });

  it('uses endLine instead of endColumn for a multi-line range', () => {
    const [line] = report([finding({ ruleId: 'expired-exception', severity: 'warning', location: { path: '.imagedrift.yaml', line: 18, column: 5, endLine: 23, endColumn: 24 } })]);
    expect(line).toBe('::warning file=.imagedrift.yaml,line=18,endLine=23,col=5,title=expired-exception::m');
  });

  it('escapes messages and properties', () => {
    expect(escapeData('100% sure\r\nnext: a,b')).toBe('100%25 sure%0D%0Anext: a,b');
    expect(escapeProperty('dir,with:odd%name\n')).toBe('dir%2Cwith%3Aodd%25name%0A');
    const [line] = report([finding({ message: 'line one\nline two: 50%', location: { path: 'a,b:c.yaml', line: 1, column: 1, endLine: 1, endColumn: 2 } })]);
    expect(line).toBe('::error file=a%2Cb%3Ac.yaml,line=1,col=1,endColumn=2,title=latest-tag::line one%0Aline two: 50%25');
  });

  it('gives repository-relative paths, reports skipped templates in one notice, other skipped files and errors each', () => {
    const templates = Array.from({ length: 12 }, (_, i) => ({ path: `/work/repo/chart/t${i}.yaml`, reason: 'a Go/Helm template, not plain YAML: scan the rendered output' }));
    const lines = report(
      [finding({ location: { path: '/work/repo/deploy/app.yaml', line: 2, column: 3, endLine: 2, endColumn: 4 } })],
      { skipped: [...templates, { path: '/work/repo/big.yaml', reason: 'larger than --max-file-size (10M)' }], errors: ['x: cannot read'] },
      (p) => p.replace('/work/repo/', ''),
    );
    expect(lines).toEqual([
      '::error file=deploy/app.yaml,line=2,col=3,endColumn=4,title=latest-tag::m',
      '::notice title=skipped templates::12 Go/Helm templates were skipped (scan the rendered output: helm template … | imagedrift scan -): chart/t0.yaml, chart/t1.yaml, chart/t2.yaml, chart/t3.yaml, chart/t4.yaml, chart/t5.yaml, chart/t6.yaml, chart/t7.yaml, chart/t8.yaml, chart/t9.yaml and 2 more',
      '::warning file=big.yaml,title=skipped::skipped: larger than --max-file-size (10M)',
      '::error title=imagedrift::x: cannot read',
      '1 finding (1 error, 0 warnings, 0 notes) in 1 file, 1 image reference',
    ]);
  });

  it('escapes control characters, so a name cannot start a workflow command or repaint the log', () => {
    const lines = report([finding({ message: 'Container `a\n::error::pwned` \u001b[2J', location: { path: 'x\n::warning::y.yaml', line: 1, column: 1, endLine: 1, endColumn: 2 } })]);
    expect(lines[0]).toBe('::error file=x%0A%3A%3Awarning%3A%3Ay.yaml,line=1,col=1,endColumn=2,title=latest-tag::Container `a%0A::error::pwned` \\u001b[2J');
    expect(lines.every((line, i) => i === 0 || !/^\s*::/.test(line) || line.startsWith('::'))).toBe(true);
  });

  it('puts new findings first within a severity and marks them in the title', () => {
    const lines = report([finding({ message: 'old', baseline: 'existing' }), finding({ message: 'fresh', baseline: 'new' })], {
      baseline: { file: 'base.json', new: 1, existing: 1, changed: 0, newBySeverity: { error: 1, warning: 0, note: 0 }, fixed: [] },
    });
    expect(lines.slice(0, 2)).toEqual(['::error file=deploy/app.yaml,line=7,col=14,endColumn=36,title=latest-tag (new)::fresh', '::error file=deploy/app.yaml,line=7,col=14,endColumn=36,title=latest-tag::old']);
  });
});
