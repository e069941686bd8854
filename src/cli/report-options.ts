// The options every reporting command shares beyond --format: a baseline to compare with
// (`--baseline FILE`, `--new-only`), roll-ups (`--group-by`) and the text summary (`--summary`).
// `scan`, `audit ecs`, `merge` and `diff` add them with addReportOptions().
import { Command, Option } from 'commander';
import type { ScanResult } from '../core/types.js';
import type { Policy } from '../policy/types.js';
import { GROUP_BY } from '../report/groups.js';
import type { GroupBy } from '../report/groups.js';
import type { ReportContext } from '../report/types.js';
import { ExitCode, getExitCode } from './exit-codes.js';
import type { FailOn } from './exit-codes.js';
import { UsageError } from './outputs.js';

/** `--progress` (audit ecs, merge); defined here so that defining the options loads nothing of src/audit. */
export const PROGRESS_MODES = ['auto', 'tty', 'plain', 'none'] as const;
export type ProgressMode = (typeof PROGRESS_MODES)[number];

export interface ReportFlags {
  baseline?: string;
  newOnly?: boolean;
  groupBy?: GroupBy;
  summary?: 'line' | 'rules';
}

export function addReportOptions(command: Command, defaults: { groupBy: GroupBy; baseline?: boolean }): Command {
  const group = 'Output options:';
  if (defaults.baseline !== false) {
    command
      .addOption(new Option('--baseline <file>', 'compare with an earlier JSON report, SARIF log or ECS snapshot: mark findings new or existing, list the fixed ones').helpGroup(group))
      .addOption(new Option('--new-only', 'with --baseline: --fail-on counts only new findings (adopt the gate on a backlog)').helpGroup(group));
  }
  return command
    .addOption(new Option('--group-by <key>', 'roll findings up in text, markdown and html').choices([...GROUP_BY]).default(defaults.groupBy).helpGroup(group))
    .addOption(new Option('--summary <kind>', 'the text summary: one line, or a line per rule first').choices(['line', 'rules']).default('line').helpGroup(group));
}

/** Reads the baseline (when given) and marks the result against it. */
export async function applyBaseline(result: ScanResult, flags: ReportFlags, options: { policy: Policy; relativePath?: (path: string) => string; now?: string }): Promise<ScanResult> {
  if (flags.newOnly === true && flags.baseline === undefined) throw new UsageError('--new-only needs --baseline FILE: new findings are the ones not in the baseline');
  if (flags.baseline === undefined) return result;
  const [{ readResult, releaseResult, BaselineError }, { compareWithBaseline }] = await Promise.all([import('../baseline/read.js'), import('../baseline/compare.js')]);
  let baseline;
  try {
    baseline = readResult(flags.baseline, { policy: options.policy, ...(options.relativePath !== undefined ? { relativePath: options.relativePath } : {}), ...(options.now !== undefined ? { now: options.now } : {}) });
  } catch (err) {
    if (err instanceof BaselineError) throw new UsageError(`--baseline ${err.message}`);
    throw err;
  }
  const compared = compareWithBaseline(result, baseline, options.relativePath !== undefined ? { relativePath: options.relativePath } : {});
  releaseResult(baseline);
  return compared;
}

/** What the reporters need of these flags. */
export function reportContext(flags: ReportFlags): Pick<ReportContext, 'groupBy' | 'summary'> {
  return { ...(flags.groupBy !== undefined ? { groupBy: flags.groupBy } : {}), ...(flags.summary !== undefined ? { summary: flags.summary } : {}) };
}

/** The exit code: with --new-only, only new findings count toward --fail-on. */
export function reportExitCode(result: ScanResult, flags: ReportFlags, failOn: FailOn): ExitCode {
  if (flags.newOnly === true && result.baseline !== undefined) return getExitCode({ errors: result.errors, summary: { ...result.summary, bySeverity: { ...result.baseline.newBySeverity } } }, failOn);
  return getExitCode(result, failOn);
}
