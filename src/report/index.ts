// The reporters, by format name; each is one file and reads the same ScanResult.
import { json } from './json.js';
import { text } from './text.js';
import type { Reporter } from './types.js';

export const REPORTERS = { text, json } satisfies Record<string, Reporter>;
export type FormatName = keyof typeof REPORTERS;
export type { Reporter, ReportContext } from './types.js';
