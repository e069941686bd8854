// The versioned JSON output (schema `imagedrift.scan/v1`, documented in the README). Written in
// chunks, one finding at a time, so a report of a huge scan is never one string in memory; the
// bytes are exactly those of JSON.stringify(report, null, 2) (with `##[` written `\u0023#[`, the
// same JSON value, so a string from a manifest cannot become a command in a CI log).
import { FindingIdentities, identityOf } from '../core/identity.js';
import type { Finding, ScanResult } from '../core/types.js';
import type { ReportContext, Reporter } from './types.js';

export const JSON_SCHEMA_ID = 'imagedrift.scan/v1';

function indent(value: unknown, prefix: string): string {
  const text = JSON.stringify(value, null, 2);
  return (text.includes('##[') ? text.replace(/##\[/g, '\\u0023#[') : text).replace(/\n/g, `\n${prefix}`);
}

/** A list written an item at a time under `key`, at `depth` (2 spaces each). */
function* list(key: string, items: Iterable<unknown> & { length: number }, depth: number, last: boolean): Generator<string> {
  const pad = '  '.repeat(depth);
  const comma = last ? '' : ',';
  if (items.length === 0) {
    yield `${pad}${JSON.stringify(key)}: []${comma}\n`;
    return;
  }
  yield `${pad}${JSON.stringify(key)}: [\n`;
  let j = 0;
  for (const item of items) yield `${pad}  ${indent(item, `${pad}  `)}${++j < items.length ? ',' : ''}\n`;
  yield `${pad}]${comma}\n`;
}

/** The fields of an object, lists among them written an item at a time. */
function* object(fields: Array<[string, unknown]>, depth: number, last: boolean, key?: string): Generator<string> {
  const pad = '  '.repeat(depth);
  yield key === undefined ? `${pad}{\n` : `${pad}${JSON.stringify(key)}: {\n`;
  for (const [i, [name, value]] of fields.entries()) {
    const isLast = i === fields.length - 1;
    if (isIterableList(value)) yield* list(name, value, depth + 1, isLast);
    else yield `${pad}  ${JSON.stringify(name)}: ${indent(value, `${pad}  `)}${isLast ? '' : ','}\n`;
  }
  yield `${pad}}${last ? '' : ','}\n`;
}

function isIterableList(value: unknown): value is Iterable<unknown> & { length: number } {
  return Array.isArray(value) || (typeof value === 'object' && value !== null && Symbol.iterator in value && 'length' in value);
}

/** The findings, each with its identity (src/core/identity.ts) last. */
export function withIdentities(findings: ScanResult['findings'], relativePath: ReportContext['relativePath']): Iterable<Finding> & { length: number } {
  return {
    length: findings.length,
    *[Symbol.iterator]() {
      const identities = new FindingIdentities(relativePath);
      for (const finding of findings) {
        const identity = identityOf(finding, identities);
        yield finding.identity === identity ? finding : { ...finding, identity };
      }
    },
  };
}

export function* jsonChunks(result: ScanResult, { version, relativePath, history }: Pick<ReportContext, 'version' | 'relativePath' | 'history'>): Generator<string> {
  const fields: Array<[string, unknown]> = [
    ['schema', JSON_SCHEMA_ID],
    ['tool', { name: 'imagedrift', version }],
    ['findings', withIdentities(result.findings, relativePath)],
    ['skipped', result.skipped],
    ['errors', result.errors],
    ['summary', result.summary],
  ];
  const { baseline, live } = result;
  // `diff --history`: the counts per night, oldest first.
  if (history !== undefined) fields.push(['history', history]);
  const extra: Array<[string, Array<[string, unknown]>]> = [];
  if (baseline !== undefined) {
    extra.push([
      'baseline',
      [
        ['file', baseline.file],
        ...(baseline.asOf !== undefined ? [['asOf', baseline.asOf] as [string, unknown]] : []),
        ['new', baseline.new],
        ['existing', baseline.existing],
        ['changed', baseline.changed],
        ['fixedCount', baseline.fixed.length],
        ['newBySeverity', baseline.newBySeverity],
        ['fixed', baseline.fixed],
        ...(baseline.deploys !== undefined ? [['deploys', baseline.deploys] as [string, unknown]] : []),
      ],
    ]);
  }
  if (live !== undefined) {
    extra.push([
      'live',
      [
        ['source', live.source],
        ...(live.asOf !== undefined ? [['asOf', live.asOf] as [string, unknown]] : []),
        ['unit', live.unit],
        ['workloads', live.workloads],
        ['scope', live.scope],
        ...(live.inventory !== undefined ? [['inventory', live.inventory] as [string, unknown]] : []),
      ],
    ]);
  }
  yield '{\n';
  const all = fields.length + extra.length;
  for (const [i, [key, value]] of fields.entries()) {
    const last = i === all - 1;
    if (isIterableList(value)) yield* list(key, value, 1, last);
    else yield `  ${JSON.stringify(key)}: ${indent(value, '  ')}${last ? '' : ','}\n`;
  }
  for (const [i, [key, sub]] of extra.entries()) yield* object(sub, 1, fields.length + i === all - 1, key);
  yield '}\n';
}

export const json: Reporter = (result, ctx) => [...jsonChunks(result, ctx)].join('');
