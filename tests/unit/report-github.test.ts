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
  it('writes ::error / ::warning / ::notice with file, line, col, endColumn and the rule as title', () => {
    expect(
      report([
        finding({ message: 'Sidecar `otel` uses floating tag `latest`' }),
        finding({ severity: 'warning', ruleId: 'mutable-tag', message: 'w' }),
        finding({ severity: 'note', ruleId: 'undigested-tag', message: 'n' }),
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

  it('gives repository-relative paths, and reports skipped files and errors', () => {
    const lines = report([finding({ location: { path: '/work/repo/deploy/app.yaml', line: 2, column: 3, endLine: 2, endColumn: 4 } })], { skipped: [{ path: '/work/repo/chart/t.yaml', reason: 'a Go/Helm template' }], errors: ['x: cannot read'] }, (p) =>
      p.replace('/work/repo/', ''),
    );
    expect(lines).toEqual([
      '::error file=deploy/app.yaml,line=2,col=3,endColumn=4,title=latest-tag::m',
      '::warning file=chart/t.yaml,title=skipped::skipped: a Go/Helm template',
      '::error title=imagedrift::x: cannot read',
      '1 finding (1 error, 0 warnings, 0 notes) in 1 file, 1 image reference',
    ]);
  });
});
