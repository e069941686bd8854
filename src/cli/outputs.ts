// `--format NAME[=FILE]` (repeatable) and `--output FILE`: which reports a run writes, and where.
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { InvalidArgumentError } from 'commander';
import { FORMAT_NAMES, REPORTERS } from '../report/index.js';
import { htmlChunks } from '../report/html.js';
import { jsonChunks } from '../report/json.js';
import type { FormatName, ReportContext } from '../report/index.js';
import type { ScanResult } from '../core/types.js';
import { ExitCode } from './exit-codes.js';

export interface OutputSpec {
  format: FormatName;
  /** Where to write the report; stdout when undefined. */
  file?: string;
}

export class UsageError extends Error {}

let stdoutGone = false;
let stdoutWatched = false;

/**
 * Writes to stdout. When its reader goes away (`imagedrift scan | head -1`: EPIPE) the rest is
 * dropped quietly and the run ends with its own exit code, as a filter in a pipe should; any other
 * failure to write (`> /dev/full`: ENOSPC) is an output error: a message and exit code 2, never a
 * stack trace. (A stdout closed with `>&-` cannot be told from `>/dev/null` by a Node program:
 * Node opens /dev/null in its place at start, as `subprocess.DEVNULL` and `stdio: 'ignore'` do.)
 */
export function writeStdout(text: string): void {
  if (stdoutGone) return;
  if (!stdoutWatched) {
    stdoutWatched = true;
    process.stdout.on('error', (err: NodeJS.ErrnoException) => {
      if (stdoutGone) return;
      stdoutGone = true;
      if (err.code === 'EPIPE') return;
      process.stderr.write(`imagedrift: cannot write the report to stdout: ${err.code ?? err.message}\n`);
      process.exitCode = ExitCode.USAGE;
    });
  }
  process.stdout.write(text);
}

/** Commander argument parser for one `--format` value: `sarif` or `sarif=results.sarif`. */
export function parseFormatOption(value: string, previous: OutputSpec[] | undefined): OutputSpec[] {
  const eq = value.indexOf('=');
  const name = eq === -1 ? value : value.slice(0, eq);
  const file = eq === -1 ? undefined : value.slice(eq + 1);
  if (!(FORMAT_NAMES as string[]).includes(name)) throw new InvalidArgumentError(`expected one of ${FORMAT_NAMES.join(', ')}, optionally with =FILE (sarif=results.sarif)`);
  if (file !== undefined && file.trim() === '') throw new InvalidArgumentError(`no file after \`${name}=\``);
  return [...(previous ?? []), { format: name as FormatName, ...(file !== undefined ? { file } : {}) }];
}

/**
 * The outputs of a run: the `--format` values (text when none), with `--output` given to the one
 * that names no file. At most one report goes to stdout, and no two to the same file.
 */
export function resolveOutputs(formats: readonly OutputSpec[] | undefined, output: string | undefined): OutputSpec[] {
  const specs = formats !== undefined && formats.length > 0 ? formats.map((spec) => ({ ...spec })) : [{ format: 'text' as FormatName }];
  const toStdout = specs.filter((spec) => spec.file === undefined);
  if (toStdout.length > 1) throw new UsageError(`only one report can go to stdout: give the others a file (--format ${toStdout[1]?.format}=FILE)`);
  if (output !== undefined) {
    const target = toStdout[0];
    if (target === undefined) throw new UsageError('--output has no report to write: every --format already names its file');
    target.file = output;
  }
  const files = new Map<string, FormatName>();
  for (const spec of specs) {
    if (spec.file === undefined) continue;
    const key = resolve(spec.file);
    const other = files.get(key);
    if (other !== undefined) throw new UsageError(`${spec.file}: both the ${other} and the ${spec.format} report would be written there`);
    files.set(key, spec.format);
  }
  return specs;
}

/** Chunks joined up to this many characters per write (a JSON report comes a finding at a time). */
const WRITE_CHARS = 64 * 1024;

/** The chunks joined into writes of about WRITE_CHARS characters: few system calls, bounded memory. */
export function* batched(chunks: Iterable<string>): Generator<string> {
  let pending = '';
  for (const chunk of chunks) {
    pending += chunk;
    if (pending.length >= WRITE_CHARS) {
      yield pending;
      pending = '';
    }
  }
  if (pending !== '') yield pending;
}

/** Renders every report from the same result and writes it. `ctx.color`: whether the text report on stdout is coloured (src/cli/color.ts). */
export function writeOutputs(result: ScanResult, specs: readonly OutputSpec[], ctx: ReportContext, stdout: (text: string) => void): void {
  for (const spec of specs) {
    const color = ctx.color && spec.file === undefined && spec.format === 'text';
    // JSON goes out a finding at a time, HTML a row at a time: the report of a huge scan or fleet never sits in memory whole.
    const chunks = batched(spec.format === 'json' ? jsonChunks(result, ctx) : spec.format === 'html' ? htmlChunks(result, ctx) : [REPORTERS[spec.format](result, { ...ctx, color })]);
    if (spec.file === undefined) {
      for (const chunk of chunks) stdout(chunk);
      continue;
    }
    try {
      mkdirSync(dirname(resolve(spec.file)), { recursive: true });
      const fd = openSync(spec.file, 'w');
      try {
        for (const chunk of chunks) writeSync(fd, chunk);
      } finally {
        closeSync(fd);
      }
    } catch (err) {
      throw new UsageError(`${spec.file}: cannot write the ${spec.format} report: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
  }
}
