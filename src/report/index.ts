// The reporters, by format name; each is one file and reads the same ScanResult.
import { github } from './github.js';
import { html } from './html.js';
import { json } from './json.js';
import { markdown } from './markdown.js';
import { sarif } from './sarif.js';
import { text } from './text.js';
import type { Reporter } from './types.js';

export const REPORTERS = { text, json, sarif, github, markdown, html } satisfies Record<string, Reporter>;
export type FormatName = keyof typeof REPORTERS;
export const FORMAT_NAMES = Object.keys(REPORTERS) as FormatName[];
export type { Reporter, ReportContext } from './types.js';
