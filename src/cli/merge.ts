// `imagedrift merge SHARD...`: the nightly audit of hundreds of accounts and regions, sharded on a
// CI matrix (one job per account × region writing `audit ecs --snapshot`), combined into one
// snapshot, one report and (with --baseline) one comparison with last night. Shards that overlap
// refuse the merge (exit 2); expected shards that are missing (`--expect`), and shards that cannot
// be read, are recorded as audit-incomplete (exit 3), never left out silently. Memory is bounded
// by one shard and one cluster, not by the fleet (src/audit/snapshot-file.ts).
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isatty } from 'node:tty';
import { useColor } from './color.js';
import { Command, InvalidArgumentError, Option } from 'commander';
import { displayText } from '../core/display.js';
import { formatIssue, PolicyError } from '../policy/errors.js';
import { FORMAT_NAMES } from '../report/index.js';
import { ExitCode, FAIL_ON } from './exit-codes.js';
import type { FailOn } from './exit-codes.js';
import { parseFormatOption, resolveOutputs, UsageError, writeOutputs } from './outputs.js';
import type { OutputSpec } from './outputs.js';
import { parseDate, setupRun } from './policy-options.js';
import { addReportOptions, PROGRESS_MODES } from './report-options.js';
import type { ProgressMode, ReportFlags } from './report-options.js';

interface MergeFlags extends ReportFlags {
  snapshot?: string;
  expect: Array<{ account: string; region: string }>;
  format?: OutputSpec[];
  output?: string;
  failOn: FailOn;
  policy?: string;
  now?: string;
  progress: ProgressMode;
  color?: boolean;
}

/**
 * `--expect ACCOUNTS/REGIONS`: comma lists on both sides, their cross product expected, e.g.
 * `111111111111,222222222222/us-east-1,eu-west-1` (the matrix of the sharded job).
 */
export function parseExpect(value: string, previous: MergeFlags['expect'] = []): MergeFlags['expect'] {
  const slash = value.indexOf('/');
  if (slash === -1) throw new InvalidArgumentError('expected ACCOUNTS/REGIONS, e.g. 111111111111,222222222222/us-east-1,eu-west-1');
  const accounts = value.slice(0, slash).split(',').map((a) => a.trim()).filter((a) => a !== '');
  const regions = value.slice(slash + 1).split(',').map((r) => r.trim()).filter((r) => r !== '');
  if (accounts.length === 0 || regions.length === 0) throw new InvalidArgumentError('expected at least one account and one region');
  for (const account of accounts) if (!/^\d{12}$/.test(account)) throw new InvalidArgumentError(`\`${account}\` is not an AWS account id (12 digits)`);
  for (const region of regions) if (!/^[a-z]{2}(-[a-z]+)+-\d+$/.test(region)) throw new InvalidArgumentError(`\`${region}\` is not an AWS region name`);
  const out = [...previous];
  for (const account of accounts) for (const region of regions) if (!out.some((p) => p.account === account && p.region === region)) out.push({ account, region });
  return out;
}

/** The shard files: files as given, and the `.json` files of directories. */
function shardFiles(paths: readonly string[]): string[] {
  const files: string[] = [];
  for (const path of paths) {
    const stat = statSync(path, { throwIfNoEntry: false });
    if (stat === undefined) throw new UsageError(`${path}: no such file or directory`);
    if (stat.isDirectory()) {
      for (const name of readdirSync(path).sort()) {
        const file = join(path, name);
        if (name.endsWith('.json') && statSync(file).isFile()) files.push(file);
      }
    } else files.push(path);
  }
  if (files.length === 0) throw new UsageError('no shard snapshots: give the files (or directories of .json files) that `audit ecs --snapshot` wrote');
  return files;
}

async function run(paths: string[], flags: MergeFlags): Promise<void> {
  const outputs = resolveOutputs(flags.format, flags.output);
  const files = shardFiles(paths);
  if (flags.newOnly === true && flags.baseline === undefined) throw new UsageError('--new-only needs --baseline FILE: new findings are the ones not in the baseline');
  // The policy is loaded here first, so a bad one stops the merge before anything is read.
  await setupRun({ ...(flags.policy !== undefined ? { policy: flags.policy } : {}), ...(flags.now !== undefined ? { now: flags.now } : {}) });
  const [{ progressDisplay }, { judgeAndReportCapped }] = await Promise.all([import('../audit/progress.js'), import('./merge-report.js')]);
  const scratch = flags.snapshot === undefined ? mkdtempSync(join(tmpdir(), 'imagedrift-merged-')) : undefined;
  const output = flags.snapshot ?? join(scratch!, 'merged.json');
  const progress = progressDisplay<{ phase: string; done: number; total: number }>(process.stderr, { mode: flags.progress, line: (p) => `merging: ${p.phase} ${p.done}/${p.total}`, phase: (p) => p.phase });
  try {
    const job = {
      merge: { files, expect: flags.expect },
      snapshot: output,
      ...(flags.policy !== undefined ? { policy: flags.policy } : {}),
      ...(flags.now !== undefined ? { now: flags.now } : {}),
      flags: {
        ...(flags.baseline !== undefined ? { baseline: flags.baseline } : {}),
        ...(flags.newOnly !== undefined ? { newOnly: flags.newOnly } : {}),
        ...(flags.groupBy !== undefined ? { groupBy: flags.groupBy } : {}),
        ...(flags.summary !== undefined ? { summary: flags.summary } : {}),
        failOn: flags.failOn,
        // The whole decision, made here where stdout is known (the worker's is not the terminal).
        color: useColor(flags.color, process.env, isatty(1)),
      },
      outputs,
      cwd: process.cwd(),
    };
    let report;
    try {
      // Merging, judging and reporting run in a worker whose heap is capped (src/cli/merge-report.ts).
      report = await judgeAndReportCapped(
        job,
        (text) => {
          progress.done();
          process.stdout.write(text);
        },
        (text) => void process.stderr.write(displayText(text.replace(/\n$/, '')) + '\n'),
        (p) => progress.update(p),
      );
    } catch (err) {
      if ((err as { usage?: boolean }).usage === true) throw new UsageError((err as Error).message);
      throw err;
    }
    progress.done();
    const merged = report.merged!;
    const missing = merged.missing.length > 0 ? `; missing: ${merged.missing.join(', ')}` : '';
    process.stderr.write(`imagedrift: merged ${merged.shards} shard${merged.shards === 1 ? '' : 's'} (${merged.clusters} cluster${merged.clusters === 1 ? '' : 's'})${flags.snapshot !== undefined ? ` into ${displayText(flags.snapshot)}` : ''}${missing}\n`);
    process.exitCode = report.exitCode;
  } finally {
    progress.done();
    if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
  }
}

export function mergeCommand(): Command {
  const command = new Command('merge')
    .description('Merge the snapshots of a sharded `audit ecs` (one per account × region) into one snapshot and one report.')
    .argument('<shards...>', 'shard snapshots (files, or directories of .json files)')
    .option('--snapshot <file>', 'write the merged snapshot here (imagedrift.snapshot/v1, for --from-snapshot, diff and tomorrow)')
    .addOption(new Option('--expect <accounts/regions>', 'the shards that should be there: ACCOUNTS/REGIONS, comma lists (their cross product); repeatable. Missing ones are audit-incomplete').argParser(parseExpect).default([]))
    .addOption(new Option('-f, --format <format[=file]>', `output format: ${FORMAT_NAMES.join(', ')}; repeatable, each but one with =FILE (default: text)`).argParser(parseFormatOption))
    .option('-o, --output <file>', 'write the report (the --format without =FILE) to a file instead of stdout')
    .addOption(new Option('--fail-on <severity>', 'exit 1 when a finding is at or above this severity').choices([...FAIL_ON]).default('error'))
    .option('--policy <file>', 'policy file (default: .imagedrift.yaml up to the repository root, else the bundled default)')
    .addOption(new Option('--now <date>', "today's date for exception expiry, YYYY-MM-DD (default: the date on AWS's clock)").argParser(parseDate))
    .addOption(new Option('--progress <mode>', 'progress on stderr: auto, tty, plain (a line every 10 s), none').choices([...PROGRESS_MODES]).default('auto'))
    .option('--no-color', 'never colour the output');
  return addReportOptions(command, { groupBy: 'image' })
    .addHelpText(
      'after',
      `
Examples:
  $ imagedrift merge shards/ --snapshot snapshot.json --format html=audit.html --format json=audit.json
  $ imagedrift merge shards/ --expect 111111111111,222222222222/us-east-1,eu-west-1 --baseline last/audit.json --new-only

Exit codes: 0 nothing at or above --fail-on, 1 findings, 2 usage error or overlapping shards
(nothing written), 3 the audit is incomplete (a shard missing or unreadable, or a scope a shard
could not read).`,
    )
    .action(async (paths: string[], flags: MergeFlags) => {
      try {
        await run(paths, flags);
      } catch (err) {
        if (err instanceof UsageError) {
          process.stderr.write(`imagedrift: ${displayText(err.message)}\n`);
          process.exitCode = ExitCode.USAGE;
        } else if (err instanceof PolicyError) {
          for (const issue of err.issues) process.stderr.write(`${formatIssue(issue)}\n`);
          process.exitCode = ExitCode.USAGE;
        } else throw err;
      }
    });
}
