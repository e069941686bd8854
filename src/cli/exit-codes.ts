// Exit codes are named constants; getExitCode is pure.
import type { ScanResult, Severity } from '../core/types.js';

export const ExitCode = {
  /** Nothing at or above the --fail-on threshold. */
  OK: 0,
  /** Findings at or above the threshold. */
  FINDINGS: 1,
  /** Usage or configuration error. */
  USAGE: 2,
  /** The scan could not complete (an input path could not be read, a reference could not be checked). */
  INCOMPLETE: 3,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export type FailOn = Severity | 'never';
export const FAIL_ON: readonly FailOn[] = ['error', 'warning', 'note', 'never'];

const RANK: Record<Severity, number> = { error: 3, warning: 2, note: 1 };

export function getExitCode(result: Pick<ScanResult, 'summary' | 'errors'>, failOn: FailOn): ExitCode {
  if (result.errors.length > 0) return ExitCode.INCOMPLETE;
  if (failOn === 'never') return ExitCode.OK;
  const threshold = RANK[failOn];
  // The summary counts every finding by severity (reading the findings of a huge scan again would cost a pass over them).
  return (Object.keys(RANK) as Severity[]).some((severity) => RANK[severity] >= threshold && result.summary.bySeverity[severity] > 0) ? ExitCode.FINDINGS : ExitCode.OK;
}
