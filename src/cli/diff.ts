// `imagedrift diff OLD NEW`: what changed between two results — two JSON reports, two SARIF logs,
// two ECS snapshots (judged under today's policy), or any mix. New, changed and fixed findings by
// their identities, and for live audits the deploy-level drift per service and container ("
// aws-otel-collector in 42 services: v0.28.0 → v0.29.0 since …"). Exit 1 on new drift.
// `imagedrift diff --history DIR`: every report or snapshot in DIR, oldest first, counted per
// night (for the HTML chart), and the last two compared.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { isatty } from 'node:tty';
import { useColor } from './color.js';
import { Command, Option } from 'commander';
import type { ScanResult } from '../core/types.js';
import { formatIssue, PolicyError } from '../policy/errors.js';
import { FORMAT_NAMES } from '../report/index.js';
import type { HistoryPoint } from '../report/types.js';
import { ExitCode, FAIL_ON } from './exit-codes.js';
import type { FailOn } from './exit-codes.js';
import { parseFormatOption, resolveOutputs, UsageError, writeOutputs } from './outputs.js';
import type { OutputSpec } from './outputs.js';
import { parseDate, setupRun } from './policy-options.js';
import { addReportOptions, reportContext } from './report-options.js';
import type { ReportFlags } from './report-options.js';
import { VERSION } from './version.js';

interface DiffFlags extends ReportFlags {
  format?: OutputSpec[];
  output?: string;
  failOn: FailOn;
  policy?: string;
  now?: string;
  history?: string;
  color?: boolean;
}

const RANK = { error: 3, warning: 2, note: 1 } as const;

/** Rules whose findings are floating references, and rules whose findings are drift, for the history chart. */
export const FLOATING_RULES: ReadonlySet<string> = new Set(['latest-tag', 'missing-tag', 'mutable-tag', 'partial-version-tag', 'unversioned-tag']);
export const DRIFT_RULES: ReadonlySet<string> = new Set(['fleet-drift', 'tag-moved-since-deploy', 'running-digest-missing', 'tag-moved', 'digest-not-found']);

/**
 * The exit code of a diff: 3 when NEW is incomplete; 1 when NEW has a finding OLD did not at or
 * above --fail-on, or a container runs another build under the same declared image (drift);
 * else 0.
 */
export function diffExitCode(result: ScanResult, failOn: FailOn): ExitCode {
  if (result.errors.length > 0) return ExitCode.INCOMPLETE;
  if (failOn === 'never') return ExitCode.OK;
  const b = result.baseline;
  if (b === undefined) return ExitCode.OK;
  const threshold = RANK[failOn];
  const fresh = (Object.keys(RANK) as Array<keyof typeof RANK>).some((s) => RANK[s] >= threshold && b.newBySeverity[s] > 0);
  const drifted = (b.deploys ?? []).some((change) => change.kind === 'drifted');
  return fresh || drifted ? ExitCode.FINDINGS : ExitCode.OK;
}

/** The reports and snapshots in a directory, oldest first: by name (name them by date, `2025-06-01.json`). */
function historyFiles(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    throw new UsageError(`--history ${dir}: cannot read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  const files = names
    .filter((name) => /\.(json|sarif)$/i.test(name))
    .map((name) => join(dir, name))
    .filter((file) => statSync(file, { throwIfNoEntry: false })?.isFile() === true)
    .sort();
  if (files.length === 0) throw new UsageError(`--history ${dir}: no .json or .sarif files in it`);
  return files;
}

async function run(paths: string[], flags: DiffFlags): Promise<void> {
  if (flags.history !== undefined && paths.length > 0) throw new UsageError('give either OLD NEW or --history DIR, not both');
  if (flags.history === undefined && paths.length !== 2) throw new UsageError('expected two files: imagedrift diff OLD NEW (or --history DIR)');
  if (flags.baseline !== undefined || flags.newOnly === true) throw new UsageError('diff compares OLD with NEW: --baseline and --new-only are for scan, audit and merge');
  const outputs = resolveOutputs(flags.format, flags.output);
  const { policy, now } = await setupRun({ ...(flags.policy !== undefined ? { policy: flags.policy } : {}), ...(flags.now !== undefined ? { now: flags.now } : {}) });
  const [{ readResult, releaseResult, BaselineError }, { compareWithBaseline }] = await Promise.all([import('../baseline/read.js'), import('../baseline/compare.js')]);
  const read = (file: string) => {
    try {
      return readResult(file, { policy, ...(flags.now !== undefined ? { now } : {}) });
    } catch (err) {
      if (err instanceof BaselineError) throw new UsageError(err.message);
      throw err;
    }
  };

  let files = paths;
  let history: HistoryPoint[] | undefined;
  if (flags.history !== undefined) {
    files = historyFiles(flags.history);
    history = [];
    let previous: Set<string> | undefined;
    const points: Array<HistoryPoint & { file: string }> = [];
    for (const file of files) {
      const night = read(file);
      const ids = new Set<string>();
      const point = { file, label: file.slice(file.lastIndexOf('/') + 1), ...(night.asOf !== undefined ? { asOf: night.asOf } : {}), errors: 0, warnings: 0, notes: 0, floating: 0, drift: 0, new: 0, fixed: 0 };
      for (const finding of night.result.findings) {
        if (finding.identity !== undefined) ids.add(finding.identity);
        if (finding.severity === 'error') point.errors += 1;
        else if (finding.severity === 'warning') point.warnings += 1;
        else point.notes += 1;
        if (FLOATING_RULES.has(finding.ruleId)) point.floating += 1;
        if (DRIFT_RULES.has(finding.ruleId)) point.drift += 1;
        if (previous !== undefined && finding.identity !== undefined && !previous.has(finding.identity)) point.new += 1;
      }
      if (previous !== undefined) for (const id of previous) if (!ids.has(id)) point.fixed += 1;
      previous = ids;
      points.push(point);
      releaseResult(night);
    }
    history = points.map(({ file: _file, ...point }) => point);
    files = points.map((p) => p.file);
    if (files.length === 1) files = [files[0]!, files[0]!];
  }
  const [oldFile, newFile] = files.slice(-2) as [string, string];
  const before = read(oldFile);
  const after = read(newFile);
  const result = compareWithBaseline(after.result, before);
  releaseResult(before);
  const ctx = {
    color: useColor(flags.color, process.env, isatty(1)),
    version: VERSION,
    relativePath: (path: string) => path,
    policy,
    changesOnly: true,
    ...reportContext(flags),
    ...(history !== undefined ? { history } : {}),
  };
  writeOutputs(result, outputs, ctx, (text) => process.stdout.write(text));
  process.exitCode = diffExitCode(result, flags.failOn);
}

export function diffCommand(): Command {
  return addReportOptions(
    new Command('diff')
      .description('Compare two results (JSON reports, SARIF logs or ECS snapshots): new, changed and fixed findings, and the builds that changed under each service and container.')
      .argument('[files...]', 'OLD NEW')
      .option('--history <dir>', 'every report or snapshot in a directory, oldest first: counts per night (a chart in html) and the last two compared')
      .addOption(new Option('-f, --format <format[=file]>', `output format: ${FORMAT_NAMES.join(', ')}; repeatable, each but one with =FILE (default: text)`).argParser(parseFormatOption))
      .option('-o, --output <file>', 'write the report (the --format without =FILE) to a file instead of stdout')
      .addOption(new Option('--fail-on <severity>', 'exit 1 when NEW has a new finding at or above this severity (drifted builds always count)').choices([...FAIL_ON]).default('error'))
      .option('--policy <file>', 'the policy snapshots are judged under (default: .imagedrift.yaml up to the repository root, else the bundled default)')
      .addOption(new Option('--now <date>', "today's date for exception expiry when judging snapshots, YYYY-MM-DD (default: each snapshot's own date)").argParser(parseDate))
      .option('--no-color', 'never colour the output'),
    { groupBy: 'image', baseline: false },
  )
    .addHelpText(
      'after',
      `
Examples:
  $ imagedrift diff last-night.json tonight.json
  $ imagedrift diff last/snapshot.json snapshot.json --format markdown=diff.md
  $ imagedrift diff main.sarif branch.sarif --fail-on warning
  $ imagedrift diff --history nights/ --format html=trend.html

Exit codes: 0 nothing new at or above --fail-on and no drift, 1 new findings or drifted builds
(the same declared image now running another digest), 2 usage error, 3 NEW is incomplete.`,
    )
    .action(async (files: string[], flags: DiffFlags) => {
      try {
        await run(files, flags);
      } catch (err) {
        if (err instanceof UsageError) {
          process.stderr.write(`imagedrift: ${err.message}\n`);
          process.exitCode = ExitCode.USAGE;
        } else if (err instanceof PolicyError) {
          for (const issue of err.issues) process.stderr.write(`${formatIssue(issue)}\n`);
          process.exitCode = ExitCode.USAGE;
        } else throw err;
      }
    });
}
