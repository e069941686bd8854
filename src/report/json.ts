// The versioned JSON output (schema `imagedrift.scan/v1`, documented in the README). Written in
// chunks, one finding at a time, so a report of a huge scan is never one string in memory; the
// bytes are exactly those of JSON.stringify(report, null, 2).
import type { ScanResult } from '../core/types.js';
import type { ReportContext, Reporter } from './types.js';

export const JSON_SCHEMA_ID = 'imagedrift.scan/v1';

function indent(value: unknown, prefix: string): string {
  return JSON.stringify(value, null, 2).replace(/\n/g, `\n${prefix}`);
}

export function* jsonChunks(result: ScanResult, { version }: Pick<ReportContext, 'version'>): Generator<string> {
  const fields: Array<[string, unknown]> = [
    ['schema', JSON_SCHEMA_ID],
    ['tool', { name: 'imagedrift', version }],
    ['findings', result.findings],
    ['skipped', result.skipped],
    ['errors', result.errors],
    ['summary', result.summary],
  ];
  yield '{\n';
  for (const [i, [key, value]] of fields.entries()) {
    const comma = i < fields.length - 1 ? ',' : '';
    if (value === result.findings || Array.isArray(value)) {
      const list = value as Iterable<unknown> & { length: number };
      if (list.length > 0) {
        yield `  ${JSON.stringify(key)}: [\n`;
        let j = 0;
        for (const item of list) yield `    ${indent(item, '    ')}${++j < list.length ? ',' : ''}\n`;
        yield `  ]${comma}\n`;
        continue;
      }
      yield `  ${JSON.stringify(key)}: []${comma}\n`;
    } else {
      yield `  ${JSON.stringify(key)}: ${indent(value, '  ')}${comma}\n`;
    }
  }
  yield '}\n';
}

export const json: Reporter = (result, ctx) => [...jsonChunks(result, ctx)].join('');
