// Markdown for a pull-request comment or a job summary ($GITHUB_STEP_SUMMARY): a table of counts
// by severity, the sidecar findings called out, what is new since the baseline, then the findings
// by severity (errors first, notes folded), each linked to its line. Kept under GitHub's comment
// size limit: what does not fit is counted, and since errors come first, notes are what is left out.
import { displayText, inertLine } from '../core/display.js';
import { isLiveLocation } from '../core/identity.js';
import type { Finding, FindingList, ScanResult, Severity } from '../core/types.js';
import { SEVERITIES } from '../core/types.js';
import { deployGroups, deploySentence, sinceWhat } from './deploys.js';
import { groupCounts, groupFindings, placesNoun } from './groups.js';
import type { FindingGroup } from './groups.js';
import { ruleHelpUri } from './help.js';
import { summaryLine } from './summary.js';
import type { Reporter, ReportContext } from './types.js';

/** GitHub refuses comments over 65536 characters; leave room for what a workflow adds around the report. */
export const MARKDOWN_LIMIT = 60_000;

const ICON: Record<Severity, string> = { error: '🔴', warning: '🟠', note: '🔵' };
const TITLE: Record<Severity, string> = { error: 'Errors', warning: 'Warnings', note: 'Notes' };
/** Places listed in a group's cell before the rest are counted. */
const CELL_FOLD = 20;
/** Not-scanned files listed before the rest are folded. */
const SKIPPED_SHOWN = 10;

/** Escapes text for a Markdown table cell, leaving `code spans` as they are (only `|` is escaped in them). */
export function escapeCell(text: string): string {
  return displayText(text.replace(/\r?\n/g, ' '))
    .split(/(`[^`]*`)/)
    .map((part, i) => (i % 2 === 1 ? part.replace(/\|/g, '\\|') : part.replace(/[\\|*_[\]<>&#]/g, (c) => (c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '&' ? '&amp;' : `\\${c}`))))
    .join('');
}

/** A code span that holds any text (backticks inside get a longer fence). */
function code(text: string): string {
  const safe = displayText(text);
  let longest = 0;
  for (const run of safe.match(/`+/g) ?? []) longest = Math.max(longest, run.length);
  const fence = '`'.repeat(longest + 1);
  const pad = safe.startsWith('`') || safe.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${safe.replace(/\|/g, '\\|')}${pad}${fence}`;
}

function link(base: string | undefined, path: string, line?: number): string | undefined {
  if (base === undefined || path.startsWith('/') || path === '<stdin>' || isLiveLocation(path)) return undefined;
  const encoded = path.split('/').map(encodeURIComponent).join('/');
  return `${base.endsWith('/') ? base : `${base}/`}${encoded}${line !== undefined ? `#L${line}` : ''}`;
}

function containerCell(finding: Finding): string {
  const { container, workload } = finding;
  if (container === undefined) return '';
  const name = container.name !== undefined ? code(container.name) : '';
  const role = container.role === 'sidecar' ? '**sidecar**' : container.role === 'init' ? 'init' : '';
  const where = workload?.name !== undefined ? ` in ${escapeCell(workload.kind)} ${code(`${workload.namespace !== undefined ? `${workload.namespace}/` : ''}${workload.name}`)}` : '';
  return [name, role].filter((part) => part !== '').join(' ') + where;
}

interface Shown {
  relativePath: ((path: string) => string) | undefined;
  linkBase: string | undefined;
}

function whereCell(finding: Finding, shown: Shown): string {
  const path = shown.relativePath?.(finding.location.path) ?? finding.location.path;
  const { line, column } = finding.location;
  const text = line > 0 ? `${path}:${line}:${column}` : path;
  const target = line > 0 ? link(shown.linkBase, path, line) : link(shown.linkBase, path);
  return target !== undefined ? `[${code(text)}](${target})` : code(text);
}

const FINDING_HEAD = ['| where | severity | rule | container | finding |', '| --- | --- | --- | --- | --- |'];
const GROUP_HEAD = ['| severity | rule | image or place | findings | where | e.g. |', '| --- | --- | --- | ---: | --- | --- |'];

function findingRow(finding: Finding, shown: Shown): string {
  const fresh = finding.baseline === 'new' ? ' 🆕' : '';
  const was = finding.previous !== undefined ? ` (was ${finding.previous.severity}: ${escapeCell(finding.previous.message)})` : '';
  return `| ${whereCell(finding, shown)} | ${ICON[finding.severity]} ${finding.severity}${fresh} | [${code(finding.ruleId)}](${ruleHelpUri(finding.ruleId)}) | ${containerCell(finding)} | ${escapeCell(finding.message)}${was} |`;
}

function groupRow(group: FindingGroup, unit: string): string {
  const members = group.members.slice(0, CELL_FOLD).map((m) => `${code(m.where)}${m.new ? ' 🆕' : ''}`);
  if (group.count > CELL_FOLD) members.push(`… and ${(group.count - CELL_FOLD).toLocaleString('en-US')} more`);
  const where = `<details><summary>${placesNoun(group, unit)}</summary>${members.join('<br>')}</details>`;
  const rule = group.ruleId !== undefined ? `[${code(group.ruleId)}](${ruleHelpUri(group.ruleId)})` : '';
  const fresh = group.new > 0 ? ` (${group.new.toLocaleString('en-US')} 🆕)` : '';
  return `| ${ICON[group.severity]} ${groupCounts(group)} | ${rule} | ${code(group.title)} | ${group.count.toLocaleString('en-US')}${fresh} | ${where} | ${escapeCell(group.example.message)} |`;
}

/** A block of the report: a heading, a table head and rows, each row counted when left out. */
interface Block {
  head: string[];
  /** Rows, rendered only while they fit (`text()`): a backlog of 100,000 findings is counted, not rendered. */
  rows: Iterable<{ text: () => string; counts: Record<Severity, number> }>;
  /** Wrapped in <details> (notes, fixed findings). */
  folded?: string;
}

function one(severity: Severity, n = 1): Record<Severity, number> {
  return { error: 0, warning: 0, note: 0, [severity]: n };
}

function findingBlock(heading: string, findings: Iterable<Finding>, ctx: ReportContext, unit: string, folded?: string): Block {
  const shown: Shown = { relativePath: ctx.relativePath, linkBase: ctx.linkBase };
  const by = ctx.groupBy ?? 'none';
  if (by === 'none') {
    const rows = (function* () {
      for (const finding of findings) yield { text: () => findingRow(finding, shown), counts: one(finding.severity) };
    })();
    return { head: [heading, '', ...FINDING_HEAD], rows, ...(folded !== undefined ? { folded } : {}) };
  }
  const groups = groupFindings(findings, by, ctx.relativePath);
  const rows = groups.map((group) => ({ text: () => groupRow(group, by === 'service' ? 'finding' : unit), counts: { ...group.bySeverity } }));
  return { head: [heading, '', ...GROUP_HEAD], rows, ...(folded !== undefined ? { folded } : {}) };
}

function* ofSeverity(findings: FindingList, severity: Severity, test?: (f: Finding) => boolean): Generator<Finding> {
  for (const finding of findings) if (finding.severity === severity && (test === undefined || test(finding))) yield finding;
}

/** Errors, then warnings, then notes, passing `test`: read lazily, a pass per severity. */
function bySeverityOrder(findings: FindingList, test: (f: Finding) => boolean): Iterable<Finding> {
  return {
    *[Symbol.iterator]() {
      for (const severity of SEVERITIES) yield* ofSeverity(findings, severity, test);
    },
  };
}

function summaryTable(result: ScanResult): string[] {
  const b = result.baseline;
  const lines = b !== undefined ? ['| severity | findings | new |', '| --- | ---: | ---: |'] : ['| severity | findings |', '| --- | ---: |'];
  for (const severity of SEVERITIES) {
    const n = result.summary.bySeverity[severity].toLocaleString('en-US');
    lines.push(b !== undefined ? `| ${ICON[severity]} ${severity} | ${n} | ${b.newBySeverity[severity].toLocaleString('en-US')} |` : `| ${ICON[severity]} ${severity} | ${n} |`);
  }
  return lines;
}

function sidecarCallout(findings: FindingList): string[] {
  let count = 0;
  let errors = 0;
  const names = new Set<string>();
  for (const finding of findings) {
    if (finding.container?.role !== 'sidecar') continue;
    count += 1;
    if (finding.severity === 'error') errors += 1;
    if (finding.container.name !== undefined && names.size < 20) names.add(finding.container.name);
  }
  if (count === 0) return [];
  return [
    `> [!WARNING]`,
    `> **${count.toLocaleString('en-US')} finding${count === 1 ? ' is' : 's are'} on sidecar containers** (${[...names].map(code).join(', ')})${errors > 0 ? `, ${errors.toLocaleString('en-US')} at error severity` : ''}. A sidecar nobody on the team owns is what floats unnoticed: the AWS OTEL collector on \`:latest\` is how this tool started.`,
    '',
  ];
}

function deployBlock(result: ScanResult, unit: string): Block | undefined {
  const deploys = result.baseline?.deploys;
  if (deploys === undefined || deploys.length === 0) return undefined;
  const since = sinceWhat(result);
  const rows = deployGroups(deploys, result.live?.inventory).map((group) => {
    const places = group.places.slice(0, CELL_FOLD).map(code);
    if (group.places.length > CELL_FOLD) places.push(`… and ${(group.places.length - CELL_FOLD).toLocaleString('en-US')} more`);
    const text = `- **${group.kind}** ${escapeCell(deploySentence(group, unit, since))} <details><summary>where</summary>${places.join('<br>')}</details>`;
    return { text: () => text, counts: one('note', 0) };
  });
  return { head: [`### Deploys since ${code(since)}`, ''], rows };
}

function notScanned(result: ScanResult, ctx: ReportContext): string[] {
  if (result.skipped.length === 0 && result.errors.length === 0) return [];
  const lines = ['### Not scanned', ''];
  const items = [
    ...result.skipped.map((skipped) => `- ${code(ctx.relativePath?.(skipped.path) ?? skipped.path)}: ${escapeCell(skipped.reason)}`),
    ...result.errors.map((error) => `- ${escapeCell(error)}`),
  ];
  for (const item of items.slice(0, SKIPPED_SHOWN)) lines.push(item);
  if (items.length > SKIPPED_SHOWN) lines.push('', `<details><summary>${(items.length - SKIPPED_SHOWN).toLocaleString('en-US')} more</summary>`, '', ...items.slice(SKIPPED_SHOWN), '', '</details>');
  lines.push('');
  return lines;
}

export const markdown: Reporter = (result, ctx) => {
  const unit = result.live?.unit ?? 'file';
  const head = ['## imagedrift', '', ...summaryTable(result), '', escapeCell(summaryLine(result)), ''];
  if (ctx.history !== undefined && ctx.history.length > 0) {
    head.push('| night | errors | warnings | notes | floating | drift | new | fixed |', '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
    for (const p of ctx.history) head.push(`| ${code(p.asOf ?? p.label)} | ${[p.errors, p.warnings, p.notes, p.floating, p.drift, p.new, p.fixed].map((n) => n.toLocaleString('en-US')).join(' | ')} |`);
    head.push('');
  }
  if (result.findings.length === 0 && (result.baseline === undefined || result.baseline.fixed.length === 0)) head.push('No findings.', '');
  for (const line of sidecarCallout(result.findings)) head.push(line);
  const b = result.baseline;
  const changesOnly = ctx.changesOnly === true && b !== undefined;
  const blocks: Block[] = [];
  if (b !== undefined) {
    const fresh = bySeverityOrder(result.findings, (f) => f.baseline === 'new');
    if (b.new > 0) blocks.push(findingBlock(`### 🆕 New since ${code(b.file)} (${b.new.toLocaleString('en-US')})`, fresh, ctx, unit));
    const deploys = deployBlock(result, unit);
    if (deploys !== undefined) blocks.push(deploys);
  }
  if (changesOnly) {
    if (b.changed > 0) blocks.push(findingBlock(`### Changed (${b.changed.toLocaleString('en-US')})`, bySeverityOrder(result.findings, (f) => f.baseline === 'existing' && f.previous !== undefined), ctx, unit));
  } else {
    const by = ctx.groupBy ?? 'none';
    // Rolled up: the groups are made once, and each goes to the section of its most severe finding.
    const groups = by !== 'none' && b === undefined ? groupFindings(result.findings, by, ctx.relativePath) : undefined;
    for (const severity of SEVERITIES) {
      const count = result.summary.bySeverity[severity];
      if (count === 0) continue;
      // With a baseline, the new findings were listed above: here the ones that were already there.
      const label = b !== undefined ? `${TITLE[severity]} already in the baseline` : TITLE[severity];
      const shownCount = b !== undefined ? count - b.newBySeverity[severity] : count;
      if (shownCount === 0) continue;
      const heading = severity === 'note' ? '' : `### ${ICON[severity]} ${label} (${shownCount.toLocaleString('en-US')})`;
      const folded = severity === 'note' ? `${ICON[severity]} ${shownCount.toLocaleString('en-US')} ${shownCount === 1 ? 'note' : 'notes'}${b !== undefined ? ' already in the baseline' : ''}` : undefined;
      if (groups !== undefined) {
        const unitOf = by === 'service' ? 'finding' : unit;
        const rows = groups.filter((g) => g.severity === severity).map((group) => ({ text: () => groupRow(group, unitOf), counts: { ...group.bySeverity } }));
        if (rows.length > 0) blocks.push({ head: [heading, '', ...GROUP_HEAD], rows, ...(folded !== undefined ? { folded } : {}) });
        continue;
      }
      const findings = ofSeverity(result.findings, severity, b !== undefined ? (f: Finding) => f.baseline !== 'new' : undefined);
      blocks.push(findingBlock(heading, findings, ctx, unit, folded));
    }
  }
  if (b !== undefined && b.fixed.length > 0) blocks.push(findingBlock('', b.fixed, ctx, unit, `✅ ${b.fixed.length.toLocaleString('en-US')} fixed since ${displayText(b.file)}`));
  const tail = notScanned(result, ctx);

  let size = [...head, ...tail].join('\n').length + 400;
  const body: string[] = [];
  const left: Record<Severity, number> = { error: 0, warning: 0, note: 0 };
  let leftRows = 0;
  let full = false;
  for (const block of blocks) {
    const opening = block.folded !== undefined ? ['', `<details><summary>${escapeCell(block.folded)}</summary>`, '', ...block.head.filter((line) => line !== '' || block.head.length === 0)] : block.head;
    const closing = block.folded !== undefined ? ['', '</details>', ''] : [''];
    const fixed = opening.join('\n').length + closing.join('\n').length + 2;
    const rows: string[] = [];
    for (const row of block.rows) {
      const text = full ? '' : row.text();
      if (full || size + fixed + text.length + 1 > MARKDOWN_LIMIT) {
        full = true;
        leftRows += 1;
        for (const s of SEVERITIES) left[s] += row.counts[s];
        continue;
      }
      rows.push(text);
      size += text.length + 1;
    }
    if (rows.length === 0) continue;
    size += fixed;
    for (const line of [...opening, ...rows, ...closing]) body.push(line);
  }
  if (leftRows > 0) {
    const counts = SEVERITIES.filter((s) => left[s] > 0).map((s) => `${left[s].toLocaleString('en-US')} ${s}${left[s] === 1 ? '' : 's'}`);
    body.push(`_…and ${leftRows.toLocaleString('en-US')} more row${leftRows === 1 ? '' : 's'}${counts.length > 0 ? ` (${counts.join(', ')})` : ''} left out to stay within the comment size limit; see the full report (text, JSON, SARIF or HTML)._`, '');
  }
  return `${[...head, ...body, ...tail].join('\n').trimEnd().split('\n').map(inertLine).join('\n')}\n`;
};
