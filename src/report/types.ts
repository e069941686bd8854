import type { ScanResult } from '../core/types.js';

export interface ReportContext {
  /** Colours (only when writing to a TTY). */
  color: boolean;
  /** Tool version, for machine-readable outputs. */
  version: string;
}

export type Reporter = (result: ScanResult, ctx: ReportContext) => string;
