// `path:line:col: severity message [rule-id]`, one line a finding, then skipped files and a summary.
import type { ScanResult, Severity } from '../core/types.js';
import type { Reporter } from './types.js';

const COLORS: Record<Severity, string> = { error: '\u001b[31m', warning: '\u001b[33m', note: '\u001b[36m' };
const RESET = '\u001b[0m';
const DIM = '\u001b[2m';

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

export function summaryLine(result: ScanResult): string {
  const { bySeverity, filesScanned, refsFound, filesSkipped } = result.summary;
  const total = bySeverity.error + bySeverity.warning + bySeverity.note;
  const counts = `${plural(bySeverity.error, 'error')}, ${plural(bySeverity.warning, 'warning')}, ${plural(bySeverity.note, 'note')}`;
  const skipped = filesSkipped > 0 ? `, ${plural(filesSkipped, 'file')} skipped` : '';
  return `${plural(total, 'finding')} (${counts}) in ${plural(filesScanned, 'file')}, ${plural(refsFound, 'image reference')}${skipped}`;
}

export const text: Reporter = (result, { color }) => {
  const lines: string[] = [];
  for (const finding of result.findings) {
    const { path, line, column } = finding.location;
    // Live findings (ecs://…) have no line: the path alone says where.
    const where = line > 0 ? `${path}:${line}:${column}` : path;
    const severity = color ? `${COLORS[finding.severity]}${finding.severity}${RESET}` : finding.severity;
    const rule = color ? `${DIM}[${finding.ruleId}]${RESET}` : `[${finding.ruleId}]`;
    lines.push(`${where}: ${severity} ${finding.message} ${rule}`);
    if (finding.fix !== undefined) lines.push(`  fix: ${finding.fix.replacement}${finding.fix.description !== undefined ? ` (${finding.fix.description})` : ''}`);
  }
  for (const skipped of result.skipped) lines.push(`${skipped.path}: skipped: ${skipped.reason}`);
  for (const error of result.errors) lines.push(`${error}`);
  lines.push(summaryLine(result));
  return `${lines.join('\n')}\n`;
};
