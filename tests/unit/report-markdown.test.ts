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

  it('groups findings by file, links lines when a base is known, and calls out sidecars', () => {
    const out = markdown(
      resultOf([
        finding({ message: 'Sidecar `otel` uses floating tag `latest`', container: { name: 'otel', role: 'sidecar' }, workload: { kind: 'Deployment', name: 'web', namespace: 'shop' } }),
        finding({ severity: 'note', ruleId: 'undigested-tag', location: { path: 'deploy/app.yaml', line: 9, column: 14, endLine: 9, endColumn: 30 }, container: { name: 'web', role: 'app' } }),
        finding({ location: { path: 'ecs/task def.json', line: 3, column: 1, endLine: 3, endColumn: 5 } }),
      ]),
      { color: false, version: 't', linkBase: 'https://github.com/acme/deploy/blob/0123abc' },
    );
    expect(out).toContain('> **1 finding is on sidecar containers** (`otel`), 1 at error severity.');
    expect(out).toContain('### [`deploy/app.yaml`](https://github.com/acme/deploy/blob/0123abc/deploy/app.yaml)');
    expect(out).toContain('| [7:14](https://github.com/acme/deploy/blob/0123abc/deploy/app.yaml#L7) | 🔴 error | [`latest-tag`](');
    expect(out).toContain('| `otel` **sidecar** in Deployment `shop/web` | Sidecar `otel` uses floating tag `latest` |');
    expect(out).toContain('| [9:14](https://github.com/acme/deploy/blob/0123abc/deploy/app.yaml#L9) | 🔵 note |');
    expect(out).toContain('### [`ecs/task def.json`](https://github.com/acme/deploy/blob/0123abc/ecs/task%20def.json)');
    expect(out.indexOf('deploy/app.yaml')).toBeLessThan(out.indexOf('ecs/task def.json'));
  });

  it('writes plain line numbers without a link base, and lists what was not scanned', () => {
    const out = markdown(resultOf([finding({})], { skipped: [{ path: 'chart/t.yaml', reason: 'a Go/Helm template, not plain YAML: scan the rendered output' }] }), { color: false, version: 't' });
    expect(out).toContain('### `deploy/app.yaml`\n');
    expect(out).toContain('| 7:14 | 🔴 error |');
    expect(out).toContain('### Not scanned\n\n- `chart/t.yaml`: a Go/Helm template, not plain YAML: scan the rendered output');
  });

  it('escapes table cells but leaves code spans alone', () => {
    expect(escapeCell('a | b <img> `x|<y>` *c* [d]')).toBe('a \\| b &lt;img&gt; `x\\|<y>` \\*c\\* \\[d\\]');
    expect(escapeCell('two\nlines')).toBe('two lines');
    const out = markdown(resultOf([finding({ message: 'uses `<IMAGE>` | pipes' })]), { color: false, version: 't' });
    expect(out).toContain('| uses `<IMAGE>` \\| pipes |');
  });

  it(`stays under ${MARKDOWN_LIMIT} characters, saying what it left out`, () => {
    const many = Array.from({ length: 3000 }, (_, i) => finding({ message: `finding number ${i} ${'x'.repeat(40)}`, location: { path: `deploy/file-${Math.floor(i / 10)}.yaml`, line: i, column: 1, endLine: i, endColumn: 2 } }));
    const out = markdown(resultOf(many), { color: false, version: 't' });
    expect(out.length).toBeLessThanOrEqual(MARKDOWN_LIMIT);
    const shownFiles = (out.match(/^### /gm) ?? []).length;
    expect(shownFiles).toBeGreaterThan(10);
    expect(out).toMatch(new RegExp(`_…and ${3000 - shownFiles * 10} more findings in ${300 - shownFiles} more files, left out to stay within the comment size limit`));
  });
});
