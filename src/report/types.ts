import type { ScanResult } from '../core/types.js';
import type { Policy } from '../policy/types.js';

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
}

export type Reporter = (result: ScanResult, ctx: ReportContext) => string;
