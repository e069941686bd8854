// `path:line:col: severity message [rule-id]`, one line a finding (or, with `--group-by`, one group
// a line with its places folded), then skipped files and a summary. Every name from the scanned
// files is printed with its control characters escaped, and no line can read as a CI command.
import { displayText, inertLine } from '../core/display.js';
import { isLiveLocation } from '../core/identity.js';
import type { Finding, ScanResult, Severity } from '../core/types.js';
import { deployGroups, deploySentence, sinceWhat } from './deploys.js';
import { groupFindings, placesNoun } from './groups.js';
import type { FindingGroup, GroupBy } from './groups.js';
import { liveWorkload, ruleSummaryLines, summaryLine } from './summary.js';
import type { Reporter, ReportContext } from './types.js';

export { summaryLine } from './summary.js';

const COLORS: Record<Severity, string> = { error: '\u001b[31m', warning: '\u001b[33m', note: '\u001b[36m' };
const RESET = '\u001b[0m';
const DIM = '\u001b[2m';
const BOLD = '\u001b[1m';

/** Places listed under a group before the rest are counted. */
export const TEXT_FOLD = 5;

interface Style {
  color: boolean;
}

function severityText(severity: Severity, style: Style): string {
  return style.color ? `${COLORS[severity]}${severity}${RESET}` : severity;
}

function newMark(finding: Finding, style: Style): string {
  if (finding.baseline !== 'new') return '';
  return style.color ? ` ${BOLD}(new)${RESET}` : ' (new)';
}

function where(finding: Finding): string {
  const { path, line, column } = finding.location;
  // Live findings (ecs://…) have no line: the path alone says where.
  return displayText(line > 0 ? `${path}:${line}:${column}` : path);
}

function findingLines(finding: Finding, style: Style): string[] {
  const rule = style.color ? `${DIM}[${finding.ruleId}]${RESET}` : `[${finding.ruleId}]`;
  const lines = [`${where(finding)}: ${severityText(finding.severity, style)}${newMark(finding, style)} ${displayText(finding.message)} ${rule}`];
  if (finding.previous !== undefined) lines.push(`  was: ${finding.previous.severity} ${displayText(finding.previous.message)}`);
  if (finding.fix !== undefined) lines.push(`  fix: ${displayText(finding.fix.replacement)}${finding.fix.description !== undefined ? ` (${displayText(finding.fix.description)})` : ''}`);
  return lines;
}

function groupLines(group: FindingGroup, by: 'image' | 'rule', unit: string, style: Style): string[] {
  const fresh = group.new > 0 ? `, ${group.new.toLocaleString('en-US')} new` : '';
  const rule = style.color ? `${DIM}[${group.ruleId}]${RESET}` : `[${group.ruleId}]`;
  const what = by === 'image' ? ` ${displayText(group.title)}` : '';
  const counts = `${group.count.toLocaleString('en-US')} findings in ${placesNoun(group, unit)}${fresh}`;
  const lines = [`${severityText(group.severity, style)}${what}: ${counts} ${rule}`, `  e.g. ${displayText(group.example.message)}`];
  for (const member of group.members.slice(0, TEXT_FOLD)) lines.push(`  ${displayText(member.where)}${member.severity !== group.severity ? ` (${member.severity})` : ''}${member.new ? ' (new)' : ''}`);
  if (group.count > TEXT_FOLD) lines.push(`  … and ${(group.count - TEXT_FOLD).toLocaleString('en-US')} more (--group-by none lists each)`);
  return lines;
}

const RANK: Record<Severity, number> = { error: 0, warning: 1, note: 2 };

/** `--group-by service`: each file or workload with its findings under it, the worst first. */
function byPlace(findings: Iterable<Finding>, ctx: ReportContext, style: Style): string[] {
  const places = new Map<string, Finding[]>();
  for (const finding of findings) {
    const path = finding.location.path;
    const place = isLiveLocation(path) ? liveWorkload(path) : (ctx.relativePath?.(path) ?? path);
    const list = places.get(place);
    if (list === undefined) places.set(place, [finding]);
    else list.push(finding);
  }
  const worst = (list: Finding[]) => list.reduce((least, f) => Math.min(least, RANK[f.severity]), Infinity);
  const fresh = (list: Finding[]) => list.filter((f) => f.baseline === 'new').length;
  const lines: string[] = [];
  for (const [place, list] of [...places].sort(([a, x], [b, y]) => worst(x) - worst(y) || fresh(y) - fresh(x) || y.length - x.length || a.localeCompare(b))) {
    const n = fresh(list);
    lines.push(`${displayText(place)}: ${list.length.toLocaleString('en-US')} finding${list.length === 1 ? '' : 's'}${n > 0 ? `, ${n.toLocaleString('en-US')} new` : ''}`);
    for (const finding of list) for (const item of findingLines(finding, style).map((line) => `  ${line}`)) lines.push(item);
  }
  return lines;
}

/** The findings as lines: one each, or rolled up. */
function findingsBlock(findings: Iterable<Finding>, ctx: ReportContext, unit: string, style: Style): string[] {
  const by: GroupBy = ctx.groupBy ?? 'none';
  const lines: string[] = [];
  if (by === 'none') {
    for (const finding of findings) for (const item of findingLines(finding, style)) lines.push(item);
    return lines;
  }
  if (by === 'service') return byPlace(findings, ctx, style);
  for (const group of groupFindings(findings, by, ctx.relativePath)) {
    if (group.count === 1) for (const item of findingLines(group.example, style)) lines.push(item);
    else for (const item of groupLines(group, by, unit, style)) lines.push(item);
  }
  return lines;
}

function* only(findings: Iterable<Finding>, test: (finding: Finding) => boolean): Generator<Finding> {
  for (const finding of findings) if (test(finding)) yield finding;
}

/** Deploy-level changes since the baseline, when both sides had an inventory. */
function deployLines(result: ScanResult, unit: string): string[] {
  const deploys = result.baseline?.deploys;
  if (deploys === undefined || deploys.length === 0) return [];
  const since = sinceWhat(result);
  const lines = [`Deploys since ${displayText(since)}:`];
  for (const group of deployGroups(deploys, result.live?.inventory)) {
    lines.push(`${group.kind}: ${displayText(deploySentence(group, unit, since))}`);
    for (const place of group.places.slice(0, TEXT_FOLD)) lines.push(`  ${displayText(place)}`);
    if (group.places.length > TEXT_FOLD) lines.push(`  … and ${(group.places.length - TEXT_FOLD).toLocaleString('en-US')} more`);
  }
  return lines;
}

/** `diff --history`: one line per night, oldest first. */
export function historyLines(history: ReportContext['history']): string[] {
  if (history === undefined || history.length === 0) return [];
  const rows = [['night', 'errors', 'warnings', 'notes', 'floating', 'drift', 'new', 'fixed'], ...history.map((p) => [p.asOf ?? p.label, p.errors, p.warnings, p.notes, p.floating, p.drift, p.new, p.fixed].map((v) => (typeof v === 'number' ? v.toLocaleString('en-US') : displayText(v))))];
  const widths = rows[0]!.map((_, i) => rows.reduce((most, row) => Math.max(most, row[i]!.length), -Infinity));
  return rows.map((row) => row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ').trimEnd());
}

export const text: Reporter = (result, ctx) => {
  const style: Style = { color: ctx.color };
  const unit = result.live?.unit ?? 'file';
  const lines: string[] = [...historyLines(ctx.history)];
  if (ctx.changesOnly === true && result.baseline !== undefined) {
    const b = result.baseline;
    const fresh = [...only(result.findings, (f) => f.baseline === 'new')];
    const changed = [...only(result.findings, (f) => f.baseline === 'existing' && f.previous !== undefined)];
    lines.push(`New since ${displayText(b.file)} (${fresh.length.toLocaleString('en-US')}):`, ...findingsBlock(fresh, ctx, unit, style));
    if (changed.length > 0) lines.push(`Changed (${changed.length.toLocaleString('en-US')}):`, ...findingsBlock(changed, ctx, unit, style));
    lines.push(`Fixed (${b.fixed.length.toLocaleString('en-US')}):`, ...findingsBlock(b.fixed, ctx, unit, style));
  } else {
    for (const item of findingsBlock(result.findings, ctx, unit, style)) lines.push(item);
  }
  for (const item of deployLines(result, unit)) lines.push(item);
  for (const skipped of result.skipped) lines.push(`${displayText(skipped.path)}: skipped: ${displayText(skipped.reason)}`);
  for (const error of result.errors) lines.push(displayText(error));
  if (ctx.summary === 'rules') for (const item of ruleSummaryLines(result)) lines.push(item);
  lines.push(displayText(summaryLine(result)));
  return `${lines.map(inertLine).join('\n')}\n`;
};

