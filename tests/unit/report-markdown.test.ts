// Markdown for PR comments and job summaries: the counts table, sidecars called out, findings by
// file with links to lines, cells escaped, and the size limit kept.
import { describe, expect, it } from 'vitest';
import type { Finding, ScanResult } from '../../src/core/types.js';
import { escapeCell, markdown, MARKDOWN_LIMIT } from '../../src/report/markdown.js';
import { emptySummary, summarise } from '../../src/scan/scan.js';

function finding(fields: Partial<Finding>): Finding {
  return { ruleId: 'latest-tag', severity: 'error', message: 'm', location: { path: 'deploy/app.yaml', line: 7, column: 14, endLine: 7, endColumn: 36 }, ...fields };
}

function resultOf(findings: Finding[], extra: Partial<ScanResult> = {}): ScanResult {
  return { findings, skipped: [], errors: [], summary: summarise(findings, { ...emptySummary(), filesScanned: 2, refsFound: 9 }), ...extra };
}

describe('Markdown reporter', () => {
  it('opens with a severity table and says when there is nothing to report', () => {
    const out = markdown(resultOf([]), { color: false, version: 't' });
    expect(out).toBe(
      ['## imagedrift', '', '| severity | findings |', '| --- | ---: |', '| 🔴 error | 0 |', '| 🟠 warning | 0 |', '| 🔵 note | 0 |', '', '0 findings (0 errors, 0 warnings, 0 notes) in 2 files, 9 image references', '', 'No findings.', ''].join('\n'),
    );
  });

  it('lists findings by severity, errors first, links lines when a base is known, and calls out sidecars', () => {
    const out = markdown(
      resultOf([
        finding({ severity: 'note', ruleId: 'undigested-tag', location: { path: 'deploy/app.yaml', line: 9, column: 14, endLine: 9, endColumn: 30 }, container: { name: 'web', role: 'app' } }),
        finding({ severity: 'warning', ruleId: 'mutable-tag', message: 'w', location: { path: 'ecs/task def.json', line: 3, column: 1, endLine: 3, endColumn: 5 } }),
        finding({ message: 'Sidecar `otel` uses floating tag `latest`', container: { name: 'otel', role: 'sidecar' }, workload: { kind: 'Deployment', name: 'web', namespace: 'shop' } }),
      ]),
      { color: false, version: 't', linkBase: 'https://github.com/acme/deploy/blob/0123abc' },
    );
    expect(out).toContain('> **1 finding is on sidecar containers** (`otel`), 1 at error severity.');
    expect(out).toContain('### 🔴 Errors (1)\n\n| where | severity | rule | container | finding |');
    expect(out).toContain('| [`deploy/app.yaml:7:14`](https://github.com/acme/deploy/blob/0123abc/deploy/app.yaml#L7) | 🔴 error | [`latest-tag`](');
    expect(out).toContain('| `otel` **sidecar** in Deployment `shop/web` | Sidecar `otel` uses floating tag `latest` |');
    expect(out).toContain('| [`ecs/task def.json:3:1`](https://github.com/acme/deploy/blob/0123abc/ecs/task%20def.json#L3) | 🟠 warning |');
    // Errors, then warnings, then the notes folded.
    expect(out.indexOf('### 🔴 Errors')).toBeLessThan(out.indexOf('### 🟠 Warnings (1)'));
    expect(out).toMatch(/<details><summary>🔵 1 note<\/summary>\n\n\| where \| severity \| rule \| container \| finding \|\n[^\n]*\n\| \[`deploy\/app.yaml:9:14`\]/);
    expect(out.indexOf('### 🟠 Warnings')).toBeLessThan(out.indexOf('<details><summary>🔵 1 note'));
  });

  it('counts the files with findings, not the files scanned', () => {
    const out = markdown(resultOf([finding({})]), { color: false, version: 't' });
    expect(out).toContain('1 finding (1 error, 0 warnings, 0 notes) in 1 file (of 2 scanned), 9 image references');
  });

  it('writes plain locations without a link base, and lists what was not scanned', () => {
    const out = markdown(resultOf([finding({})], { skipped: [{ path: 'chart/t.yaml', reason: 'a Go/Helm template, not plain YAML: scan the rendered output' }] }), { color: false, version: 't' });
    expect(out).toContain('| `deploy/app.yaml:7:14` | 🔴 error |');
    expect(out).toContain('### Not scanned\n\n- `chart/t.yaml`: a Go/Helm template, not plain YAML: scan the rendered output');
  });

  it('escapes table cells but leaves code spans alone', () => {
    expect(escapeCell('a | b <img> `x|<y>` *c* [d]')).toBe('a \\| b &lt;img&gt; `x\\|<y>` \\*c\\* \\[d\\]');
    expect(escapeCell('two\nlines')).toBe('two lines');
    const out = markdown(resultOf([finding({ message: 'uses `<IMAGE>` | pipes' })]), { color: false, version: 't' });
    expect(out).toContain('| uses `<IMAGE>` \\| pipes |');
  });

  it(`stays under ${MARKDOWN_LIMIT} characters, dropping notes before errors and counting what it left out`, () => {
    const many = Array.from({ length: 3000 }, (_, i) =>
      finding({ severity: i % 20 === 0 ? 'error' : 'note', ruleId: i % 20 === 0 ? 'latest-tag' : 'undigested-tag', message: `finding number ${i} ${'x'.repeat(40)}`, location: { path: `deploy/file-${Math.floor(i / 10)}.yaml`, line: i, column: 1, endLine: i, endColumn: 2 } }),
    );
    const out = markdown(resultOf(many), { color: false, version: 't' });
    expect(out.length).toBeLessThanOrEqual(MARKDOWN_LIMIT);
    const rows = (severity: string) => (out.match(new RegExp(`^\\| \`[^\\n]*\\| [^|]* ${severity} \\|`, 'gm')) ?? []).length;
    // Every one of the 150 errors is shown (they come first); the notes are what the limit cut.
    expect(rows('error')).toBe(150);
    const notes = rows('note');
    expect(notes).toBeGreaterThan(0);
    expect(notes).toBeLessThan(2850);
    const left = (2850 - notes).toLocaleString('en-US');
    expect(out).toContain(`_…and ${left} more rows (${left} notes) left out to stay within the comment size limit`);
  });

  it('rolls findings up by image: one row per image and rule, its places folded', () => {
    const many = Array.from({ length: 40 }, (_, i) =>
      finding({ location: { path: `ecs://1/us-east-1/prod/svc-${i}#otel`, line: 0, column: 0, endLine: 0, endColumn: 0 }, image: { raw: 'otel:latest', registry: 'docker.io', repository: 'library/otel', tag: 'latest' }, container: { name: 'otel', role: 'sidecar' }, workload: { kind: 'Service', name: `svc-${i}`, namespace: 'prod' } }),
    );
    const out = markdown(resultOf(many), { color: false, version: 't', groupBy: 'image' });
    const rows = out.split('\n').filter((line) => line.includes('docker.io/library/otel:latest'));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toContain('| 40 | <details><summary>40 files</summary>`ecs://1/us-east-1/prod/svc-0#otel`<br>');
    expect(rows[0]).toContain('… and 20 more</details>');
  });

  it('escapes control characters and never starts a line with a workflow command', () => {
    const evil = finding({ message: 'Container `x\n::error::pwned\u001b[31m` uses latest', location: { path: '::error::evil.yaml', line: 1, column: 1, endLine: 1, endColumn: 2 } });
    const out = markdown(resultOf([evil], { skipped: [{ path: 'a\n::warning::b.yaml', reason: 'binary\r\n##[error]x' }] }), { color: false, version: 't' });
    expect(out).not.toMatch(/^\s*::/m);
    expect(out).not.toContain('##[');
    expect(out).not.toContain('\u001b');
    expect(out).toContain('`x ::error::pwned\\u001b[31m`');
    expect(out).toContain('`a\\n::warning::b.yaml`: binary \\#\\#\\[error\\]x');
  });
});
