// Text from manifests, policies and registries printed in a human format (text, markdown, github,
// html, stderr): names and paths are written by whoever wrote the scanned files, so they are
// hostile. A container named "x\n::error::…" must not start a line that GitHub Actions reads as a
// workflow command, and an ANSI escape must not repaint the reader's terminal. Pure.

/**
 * C0 controls, DEL, C1 controls, the Unicode line and paragraph separators, and the bidirectional
 * overrides and isolates (a "Trojan Source" name reads differently from what it is).
 */
const UNSAFE_CLASS = '[\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029\\u200e\\u200f\\u202a-\\u202e\\u2066-\\u2069]';
const HAS_UNSAFE = new RegExp(UNSAFE_CLASS);
const UNSAFE = new RegExp(UNSAFE_CLASS, 'g');

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** One unsafe character, written visibly: `\n`, `\r`, `\t`, else `\u001b`. */
function visible(c: string): string {
  return NAMED[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/** The text with every control character written as a visible escape (`\n`, `\u001b`): one line, inert in a terminal. */
export function displayText(text: string): string {
  return HAS_UNSAFE.test(text) ? text.replace(UNSAFE, visible) : text;
}

/**
 * A line of a human report made inert for CI log readers: GitHub Actions runs a line that starts
 * with `::` (after blanks) as a workflow command, and `##[` as an old-style one. The first `:` of
 * such a line is written `\x3a`, and `##[` as `\x23#[`. A line the reporter built itself never
 * starts that way; only hostile names do.
 */
export function inertLine(line: string): string {
  let out = line.includes('##[') ? line.replace(/##\[/g, '\\x23#[') : line;
  if (/^\s*::/.test(out)) out = out.replace(':', '\\x3a');
  return out;
}

/** inertLine() on every line of a report. */
export function inertReport(report: string): string {
  return report
    .split('\n')
    .map((line) => inertLine(line))
    .join('\n');
}
