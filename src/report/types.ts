import type { ScanResult } from '../core/types.js';
import type { Policy } from '../policy/types.js';
import type { GroupBy } from './groups.js';

export interface ReportContext {
  /** Colours (only when writing to a TTY). */
  color: boolean;
  /** Tool version, for machine-readable outputs. */
  version: string;
  /** A finding's path relative to the repository root (SARIF URIs, GitHub annotations, Markdown links); the path as reported by default. */
  relativePath?: (path: string) => string;
  /** The policy the scan ran under (SARIF's rule configuration); the rules' built-in defaults otherwise. */
  policy?: Policy;
  /** Base URL that repository-relative paths are appended to for links (Markdown), e.g. `https://github.com/o/r/blob/<sha>/`. */
  linkBase?: string;
  /** Roll-ups (`--group-by`): the same image and rule, rule, or workload as one group. Default `none`. */
  groupBy?: GroupBy;
  /** The text summary: one line (default), or a line per rule first (`--summary rules`). */
  summary?: 'line' | 'rules';
  /** `imagedrift diff`: show what changed against the baseline (new, changed, fixed, deploys), not the findings that stayed. */
  changesOnly?: boolean;
  /** HTML: earlier nights (`imagedrift diff --history`), oldest first, for the chart. */
  history?: HistoryPoint[];
}

/** One night of `imagedrift diff --history`: counts for the chart. */
export interface HistoryPoint {
  /** The report or snapshot it comes from. */
  label: string;
  /** When it was observed, when known. */
  asOf?: string;
  errors: number;
  warnings: number;
  notes: number;
  /** Findings of the floating-tag rules (latest, missing, mutable, partial, unversioned). */
  floating: number;
  /** Findings of the drift rules (fleet-drift, tag-moved-since-deploy, running-digest-missing, tag-moved). */
  drift: number;
  /** New since the night before (0 for the first). */
  new: number;
  fixed: number;
}

export type Reporter = (result: ScanResult, ctx: ReportContext) => string;
