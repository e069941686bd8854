// `--format html`: one self-contained page (no script, no network: a Content-Security-Policy that
// allows nothing but the page's own styles), readable from disk or as a CI artifact. In order: the
// summary by severity with what is new since the baseline first; the trend per night (`diff
// --history`); new findings; builds that changed since the baseline; roll-ups; a grid of services
// (or workloads) × containers whose cells show the version or digest running, coloured by drift
// (floating tag, fleet drift, moved since deploy, running digest deleted); the sidecar table; the
// findings; what was fixed. Every text from the scanned files or the fleet is escaped.
import { displayText } from '../core/display.js';
import { isLiveLocation } from '../core/identity.js';
import type { InventoryWorkload } from '../core/inventory.js';
import { shortDigest, versionLabel } from '../core/inventory.js';
import type { Finding, ScanResult, Severity } from '../core/types.js';
import { SEVERITIES } from '../core/types.js';
import { deployGroups, deploySentence, sinceWhat } from './deploys.js';
import { groupCounts, groupFindings, placesNoun } from './groups.js';
import { ruleHelpUri } from './help.js';
import { liveWorkload, summaryLine } from './summary.js';
import type { HistoryPoint, Reporter, ReportContext } from './types.js';

/** Findings listed one by one before the rest are left to the roll-ups and the JSON report. */
export const HTML_FINDINGS_SHOWN = 5000;
/** Places listed in a group before the rest are counted. */
const GROUP_SHOWN = 200;
/** Container columns of the grid; rarer container names share the last one. */
const GRID_COLUMNS = 12;

/** Escapes text for HTML content and attributes; control characters visible, and `#` and `:` as references so no text reads as a CI command. */
export function escapeHtml(text: string): string {
  return displayText(text).replace(/[&<>"'#:]/g, (c) => `&#${c.charCodeAt(0)};`);
}

const e = escapeHtml;

/** The drift states a grid cell is coloured by, most serious first. */
export type CellState = 'deleted' | 'fleet-drift' | 'moved' | 'floating' | 'ok';
const STATE_ORDER: readonly CellState[] = ['deleted', 'fleet-drift', 'moved', 'floating', 'ok'];
const STATE_TITLE: Record<CellState, string> = {
  deleted: 'running digest deleted',
  'fleet-drift': 'fleet drift: several builds at once',
  moved: 'tag moved since deploy',
  floating: 'floating tag',
  ok: 'no drift',
};
const RULE_STATE: Record<string, CellState> = {
  'running-digest-missing': 'deleted',
  'digest-not-found': 'deleted',
  'fleet-drift': 'fleet-drift',
  'tag-moved-since-deploy': 'moved',
  'tag-moved': 'moved',
  'latest-tag': 'floating',
  'missing-tag': 'floating',
  'mutable-tag': 'floating',
  'partial-version-tag': 'floating',
  'unversioned-tag': 'floating',
};

/** The state of a cell from the rules reported on it. */
export function cellState(rules: Iterable<string>): CellState {
  let best = STATE_ORDER.length - 1;
  for (const rule of rules) {
    const state = RULE_STATE[rule];
    if (state !== undefined) best = Math.min(best, STATE_ORDER.indexOf(state));
  }
  return STATE_ORDER[best]!;
}

const STYLE = `
:root{--error:#c62828;--warning:#e67e00;--note:#1565c0;--ok:#e8f5e9;--floating:#fff3cd;--moved:#ffe0b2;--fleet:#ffcdd2;--deleted:#b71c1c;--line:#d0d7de;--muted:#57606a}
*{box-sizing:border-box}body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;padding:24px;color:#1f2328;background:#fff}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid var(--line);padding-bottom:4px}
table{border-collapse:collapse;margin:6px 0}th,td{border:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top}th{background:#f6f8fa}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}code{font:12px ui-monospace,SFMono-Regular,Menlo,monospace}
.sev-error{color:var(--error);font-weight:600}.sev-warning{color:var(--warning);font-weight:600}.sev-note{color:var(--note)}
.new{background:#ddf4ff;font-weight:600}.muted{color:var(--muted)}.summary{color:var(--muted);margin:0}
.cell{min-width:90px;font:12px ui-monospace,SFMono-Regular,Menlo,monospace}.cell small{display:block;color:var(--muted)}
.cell.ok{background:var(--ok)}.cell.floating{background:var(--floating)}.cell.moved{background:var(--moved)}.cell.fleet-drift{background:var(--fleet)}.cell.deleted{background:var(--deleted);color:#fff}.cell.deleted small{color:#fde}
.cell.none{background:#fafafa}.legend span{display:inline-block;padding:2px 8px;margin-right:6px;border:1px solid var(--line)}
details summary{cursor:pointer}.grid-wrap{overflow:auto;max-height:80vh}.grid th:first-child{position:sticky;left:0}
svg text{font:11px system-ui,sans-serif;fill:#1f2328}`;

function severityCell(severity: Severity, isNew = false): string {
  return `<td class="sev-${severity}">${severity}${isNew ? ' <span class="new">new</span>' : ''}</td>`;
}

function whereText(finding: Finding, relativePath: ReportContext['relativePath']): string {
  const { path, line, column } = finding.location;
  if (isLiveLocation(path)) return path;
  const shown = relativePath?.(path) ?? path;
  return line > 0 ? `${shown}:${line}:${column}` : shown;
}

function findingRow(finding: Finding, ctx: ReportContext): string {
  const container = finding.container?.name !== undefined ? `<code>${e(finding.container.name)}</code>${finding.container.role !== 'app' ? ` ${finding.container.role}` : ''}` : '';
  return `<tr${finding.baseline === 'new' ? ' class="new-row" data-new="1"' : ''}><td><code>${e(whereText(finding, ctx.relativePath))}</code></td>${severityCell(finding.severity, finding.baseline === 'new')}<td><a href="${e(ruleHelpUri(finding.ruleId))}"><code>${e(finding.ruleId)}</code></a></td><td>${container}</td><td>${e(finding.message)}${finding.previous !== undefined ? ` <span class="muted">(was ${e(finding.previous.severity)}: ${e(finding.previous.message)})</span>` : ''}</td></tr>`;
}

function findingsTable(id: string, findings: Iterable<Finding>, ctx: ReportContext, limit = HTML_FINDINGS_SHOWN): string[] {
  // One pass: up to `limit` rows of each severity kept, then errors first, cut at `limit`.
  const kept: Record<Severity, string[]> = { error: [], warning: [], note: [] };
  let total = 0;
  for (const finding of findings) {
    total += 1;
    const list = kept[finding.severity];
    if (list.length < limit) list.push(findingRow(finding, ctx));
  }
  const rows = SEVERITIES.flatMap((s) => kept[s]).slice(0, limit);
  if (total === 0) return [`<p class="muted">None.</p>`];
  const out = [`<table id="${id}"><thead><tr><th>where</th><th>severity</th><th>rule</th><th>container</th><th>finding</th></tr></thead><tbody>`, ...rows, '</tbody></table>'];
  if (total > rows.length) out.push(`<p class="muted">…and ${(total - rows.length).toLocaleString('en-US')} more: see the roll-ups above, or the JSON report.</p>`);
  return out;
}

function severityTable(result: ScanResult): string[] {
  const b = result.baseline;
  const out = ['<table id="severity-table"><thead><tr><th>severity</th>', b !== undefined ? '<th class="num">new since baseline</th>' : '', '<th class="num">findings</th></tr></thead><tbody>'];
  for (const severity of SEVERITIES) {
    out.push(
      `<tr data-severity="${severity}"><td class="sev-${severity}">${severity}</td>${b !== undefined ? `<td class="num new" data-new-count="${b.newBySeverity[severity]}">${b.newBySeverity[severity].toLocaleString('en-US')}</td>` : ''}<td class="num" data-count="${result.summary.bySeverity[severity]}">${result.summary.bySeverity[severity].toLocaleString('en-US')}</td></tr>`,
    );
  }
  out.push('</tbody></table>');
  if (b !== undefined) out.push(`<p id="baseline-line">Compared with <code>${e(b.file)}</code>${b.asOf !== undefined ? ` (${e(b.asOf)})` : ''}: <span data-new-total="${b.new}">${b.new.toLocaleString('en-US')} new</span>, ${b.existing.toLocaleString('en-US')} existing (${b.changed.toLocaleString('en-US')} changed), <span data-fixed-total="${b.fixed.length}">${b.fixed.length.toLocaleString('en-US')} fixed</span>.</p>`);
  return out;
}

/** A line chart of floating references, drift and errors per night, as inline SVG. */
export function historyChart(history: readonly HistoryPoint[]): string[] {
  if (history.length === 0) return [];
  const series: Array<{ key: 'floating' | 'drift' | 'errors'; colour: string; label: string }> = [
    { key: 'floating', colour: '#e67e00', label: 'floating references' },
    { key: 'drift', colour: '#c62828', label: 'drift' },
    { key: 'errors', colour: '#1565c0', label: 'errors' },
  ];
  const width = Math.max(560, 90 * history.length + 160);
  const height = 240;
  const left = 56;
  const right = 70;
  const top = 20;
  const bottom = 60;
  const max = Math.max(1, ...history.flatMap((p) => series.map((s) => p[s.key])));
  const x = (i: number) => left + (history.length === 1 ? (width - left - right) / 2 : (i * (width - left - right)) / (history.length - 1));
  const y = (v: number) => top + (height - top - bottom) * (1 - v / max);
  const out = [`<svg id="history-chart" role="img" aria-label="floating references and drift per night" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`];
  out.push(`<line x1="${left}" y1="${y(0)}" x2="${width - right}" y2="${y(0)}" stroke="#d0d7de"/>`, `<line x1="${left}" y1="${top}" x2="${left}" y2="${y(0)}" stroke="#d0d7de"/>`);
  out.push(`<text x="${left - 6}" y="${y(max) + 4}" text-anchor="end">${max.toLocaleString('en-US')}</text>`, `<text x="${left - 6}" y="${y(0) + 4}" text-anchor="end">0</text>`);
  for (const s of series) {
    const points = history.map((p, i) => `${x(i).toFixed(1)},${y(p[s.key]).toFixed(1)}`).join(' ');
    out.push(`<polyline fill="none" stroke="${s.colour}" stroke-width="2" points="${points}"/>`);
    history.forEach((p, i) => out.push(`<circle cx="${x(i).toFixed(1)}" cy="${y(p[s.key]).toFixed(1)}" r="3" fill="${s.colour}" data-series="${s.key}" data-value="${p[s.key]}"><title>${e(p.asOf ?? p.label)}: ${p[s.key].toLocaleString('en-US')} ${s.label}</title></circle>`));
  }
  history.forEach((p, i) => out.push(`<text x="${x(i).toFixed(1)}" y="${height - bottom + 16}" text-anchor="middle">${e((p.asOf ?? p.label).slice(0, 10))}</text>`));
  series.forEach((s, i) => out.push(`<rect x="${left + i * 150}" y="${height - 22}" width="10" height="10" fill="${s.colour}"/><text x="${left + i * 150 + 14}" y="${height - 13}">${s.label}</text>`));
  out.push('</svg>');
  out.push('<table id="history-table"><thead><tr><th>night</th><th class="num">errors</th><th class="num">warnings</th><th class="num">notes</th><th class="num">floating</th><th class="num">drift</th><th class="num">new</th><th class="num">fixed</th></tr></thead><tbody>');
  for (const p of history) out.push(`<tr><td>${e(p.asOf ?? p.label)}</td>${[p.errors, p.warnings, p.notes, p.floating, p.drift, p.new, p.fixed].map((n) => `<td class="num">${n.toLocaleString('en-US')}</td>`).join('')}</tr>`);
  out.push('</tbody></table>');
  return out;
}

interface GridRow {
  location: string;
  label: string;
  cells: Map<string, { state: CellState; text: string; detail: string; title: string }>;
}

function workloadLabel(workload: { kind: string; namespace?: string; name?: string } | undefined, fallback: string): string {
  if (workload?.name === undefined) return fallback;
  return `${workload.namespace !== undefined ? `${workload.namespace}/` : ''}${workload.name}`;
}

/** The grid row of one workload of an inventory. */
function gridRow(workload: InventoryWorkload): GridRow {
  {
    const cells: GridRow['cells'] = new Map();
    for (const container of workload.containers) {
      const running = container.digests.filter((d) => d.tasks > 0);
      const shown = running.length > 0 ? running : container.digests;
      const text = shown.length > 0 ? [...new Set(shown.map(versionLabel))].join(' + ') : (container.image.split(/[:@]/).slice(1).join(':') || 'latest');
      const detail = shown.length > 0 ? shown.map((d) => shortDigest(d.digest)).join(' ') : '';
      const state = cellState(container.rules);
      const previous = cells.get(container.name);
      const title = `${container.image}${container.current !== undefined ? ` — the tag now names ${versionLabel(container.current)}` : ''} — ${STATE_TITLE[state]}`;
      if (previous === undefined || STATE_ORDER.indexOf(state) < STATE_ORDER.indexOf(previous.state)) cells.set(container.name, { state, text, detail, title });
    }
    return { location: workload.location, label: workloadLabel(workload.workload, workload.location), cells };
  }
}

/** Grid rows from findings alone (no inventory: a file scan, or a live source that keeps none). */
function gridFromFindings(findings: Iterable<Finding>): GridRow[] {
  const rows = new Map<string, GridRow & { rules: Map<string, Set<string>> }>();
  for (const finding of findings) {
    if (finding.container?.name === undefined || finding.workload === undefined) continue;
    const path = finding.location.path;
    const location = isLiveLocation(path) ? liveWorkload(path) : `${path} ${finding.workload.kind}/${workloadLabel(finding.workload, '')}`;
    let row = rows.get(location);
    if (row === undefined) rows.set(location, (row = { location, label: workloadLabel(finding.workload, location), cells: new Map(), rules: new Map() }));
    const name = finding.container.name;
    let rules = row.rules.get(name);
    if (rules === undefined) row.rules.set(name, (rules = new Set()));
    rules.add(finding.ruleId);
    const state = cellState(rules);
    const image = finding.image?.raw ?? '';
    row.cells.set(name, { state, text: finding.image?.digest !== undefined ? shortDigest(finding.image.digest) : (finding.image?.tag ?? (image === '' ? '?' : 'latest')), detail: '', title: `${image} — ${STATE_TITLE[state]}` });
  }
  return [...rows.values()];
}

function* gridSection(result: ScanResult): Generator<string> {
  const inventory = result.live?.inventory;
  // From an inventory, a row is made when it is written (a fleet has tens of thousands).
  const rows: Iterable<GridRow> = inventory !== undefined ? (function* () {
    for (const workload of inventory) yield gridRow(workload);
  })() : gridFromFindings(result.findings);
  const frequency = new Map<string, number>();
  if (inventory !== undefined) {
    for (const workload of inventory) for (const name of new Set(workload.containers.map((c) => c.name))) frequency.set(name, (frequency.get(name) ?? 0) + 1);
  } else {
    for (const row of rows) for (const name of row.cells.keys()) frequency.set(name, (frequency.get(name) ?? 0) + 1);
  }
  if (frequency.size === 0) return;
  const names = [...frequency].sort(([a, x], [b, y]) => y - x || a.localeCompare(b)).map(([name]) => name);
  const columns = names.length > GRID_COLUMNS ? names.slice(0, GRID_COLUMNS - 1) : names;
  const other = names.length > GRID_COLUMNS ? new Set(names.slice(GRID_COLUMNS - 1)) : new Set<string>();
  const unit = result.live?.unit ?? 'workload';
  yield* [
    `<h2 id="grid-title">${e(unit.charAt(0).toUpperCase() + unit.slice(1))}s × containers</h2>`,
    `<p class="legend">${STATE_ORDER.map((s) => `<span class="cell ${s}">${e(STATE_TITLE[s])}</span>`).join('')}</p>`,
    '<div class="grid-wrap"><table id="grid" class="grid"><thead><tr>',
    `<th>${e(unit)}</th>`,
    ...columns.map((name) => `<th><code>${e(name)}</code></th>`),
    other.size > 0 ? `<th>other containers (${other.size.toLocaleString('en-US')})</th>` : '',
    '</tr></thead><tbody>',
  ];
  const cell = (c: GridRow['cells'] extends Map<string, infer V> ? V : never, name?: string) =>
    `<td class="cell ${c.state}" data-state="${c.state}" title="${e(c.title)}">${name !== undefined ? `<code>${e(name)}</code>: ` : ''}${e(c.text)}${c.detail !== '' ? `<small>${e(c.detail)}</small>` : ''}</td>`;
  for (const row of rows) {
    const tds = columns.map((name) => {
      const c = row.cells.get(name);
      return c === undefined ? '<td class="cell none"></td>' : cell(c);
    });
    if (other.size > 0) {
      const extra = [...row.cells].filter(([name]) => other.has(name));
      tds.push(extra.length === 0 ? '<td class="cell none"></td>' : extra.map(([name, c]) => cell(c, name)).join(''));
    }
    yield `<tr data-workload="${e(row.location)}"><th title="${e(row.location)}">${e(row.label)}</th>${tds.join('')}</tr>`;
  }
  yield '</tbody></table></div>';
}

function sidecarSection(result: ScanResult): string[] {
  const inventory = result.live?.inventory;
  const rows = new Map<string, { workloads: Set<string>; versions: Map<string, number>; states: Map<CellState, number>; names: Set<string> }>();
  const add = (key: string, workload: string, name: string, version: string, state: CellState) => {
    let row = rows.get(key);
    if (row === undefined) rows.set(key, (row = { workloads: new Set(), versions: new Map(), states: new Map(), names: new Set() }));
    row.workloads.add(workload);
    row.names.add(name);
    row.versions.set(version, (row.versions.get(version) ?? 0) + 1);
    row.states.set(state, (row.states.get(state) ?? 0) + 1);
  };
  if (inventory !== undefined) {
    for (const workload of inventory) {
      for (const container of workload.containers) {
        if (container.role !== 'sidecar') continue;
        const running = container.digests.filter((d) => d.tasks > 0);
        const version = running.length > 0 ? [...new Set(running.map(versionLabel))].join(' + ') : container.image;
        add(container.repository ?? container.image, workload.location, container.name, version, cellState(container.rules));
      }
    }
  } else {
    for (const finding of result.findings) {
      if (finding.container?.role !== 'sidecar' || finding.image === undefined) continue;
      const repo = finding.image.repository !== undefined ? `${finding.image.registry ?? 'docker.io'}/${finding.image.repository}` : finding.image.raw;
      add(repo, placeKey(finding), finding.container.name ?? '', finding.image.tag ?? finding.image.digest ?? 'latest', cellState([finding.ruleId]));
    }
  }
  if (rows.size === 0) return [];
  const unit = result.live?.unit ?? 'workload';
  const out = ['<h2>Sidecars</h2>', `<table id="sidecars"><thead><tr><th>image</th><th>containers</th><th class="num">${e(unit)}s</th><th>versions running</th><th>drift</th></tr></thead><tbody>`];
  for (const [repo, row] of [...rows].sort(([a, x], [b, y]) => y.workloads.size - x.workloads.size || a.localeCompare(b))) {
    const versions = [...row.versions].sort(([, a], [, b]) => b - a).map(([v, n]) => `<code>${e(v)}</code> ×${n.toLocaleString('en-US')}`).join(', ');
    const states = STATE_ORDER.filter((s) => row.states.has(s)).map((s) => `<span class="cell ${s}">${e(STATE_TITLE[s])}: ${row.states.get(s)!.toLocaleString('en-US')}</span>`).join(' ');
    out.push(`<tr><td><code>${e(repo)}</code></td><td>${[...row.names].slice(0, 5).map((n) => `<code>${e(n)}</code>`).join(', ')}</td><td class="num">${row.workloads.size.toLocaleString('en-US')}</td><td>${versions}</td><td class="legend">${states}</td></tr>`);
  }
  out.push('</tbody></table>');
  return out;
}

function placeKey(finding: Finding): string {
  const path = finding.location.path;
  return isLiveLocation(path) ? liveWorkload(path) : path;
}

function groupsSection(result: ScanResult, ctx: ReportContext): string[] {
  const by = ctx.groupBy ?? 'none';
  if (by === 'none') return [];
  const unit = by === 'service' ? 'finding' : (result.live?.unit ?? 'file');
  const groups = groupFindings(result.findings, by, ctx.relativePath);
  if (groups.length === 0) return [];
  const out = [`<h2>Roll-up by ${e(by)}</h2>`, '<table id="groups"><thead><tr><th>severity</th><th>rule</th><th>image or place</th><th class="num">findings</th><th>where</th><th>e.g.</th></tr></thead><tbody>'];
  for (const group of groups) {
    const members = group.members.slice(0, GROUP_SHOWN).map((m) => `<code>${e(m.where)}</code>${m.new ? ' <span class="new">new</span>' : ''}`);
    if (group.count > members.length) members.push(`…and ${(group.count - members.length).toLocaleString('en-US')} more`);
    out.push(
      `<tr data-count="${group.count}"><td class="sev-${group.severity}">${e(groupCounts(group))}</td><td>${group.ruleId !== undefined ? `<code>${e(group.ruleId)}</code>` : ''}</td><td><code>${e(group.title)}</code></td><td class="num">${group.count.toLocaleString('en-US')}${group.new > 0 ? ` <span class="new">${group.new.toLocaleString('en-US')} new</span>` : ''}</td><td><details><summary>${e(placesNoun(group, unit))}</summary>${members.join('<br>')}</details></td><td>${e(group.example.message)}</td></tr>`,
    );
  }
  out.push('</tbody></table>');
  return out;
}

function deploysSection(result: ScanResult): string[] {
  const deploys = result.baseline?.deploys;
  if (deploys === undefined || deploys.length === 0) return [];
  const since = sinceWhat(result);
  const unit = result.live?.unit ?? 'workload';
  const out = [`<h2>Builds changed since ${e(since)}</h2>`, '<ul id="deploys">'];
  for (const group of deployGroups(deploys, result.live?.inventory)) {
    const places = group.places.slice(0, GROUP_SHOWN).map((p) => `<code>${e(p)}</code>`);
    if (group.places.length > GROUP_SHOWN) places.push(`…and ${(group.places.length - GROUP_SHOWN).toLocaleString('en-US')} more`);
    out.push(`<li data-kind="${group.kind}"><strong>${group.kind}</strong> ${e(deploySentence(group, unit, since))} <details><summary>where</summary>${places.join('<br>')}</details></li>`);
  }
  out.push('</ul>');
  return out;
}

function* only(findings: Iterable<Finding>, test: (f: Finding) => boolean): Generator<Finding> {
  for (const finding of findings) if (test(finding)) yield finding;
}

/** The findings that pass `test` (findingsTable orders them by severity). */
function bySeverity(findings: Iterable<Finding>, test: (f: Finding) => boolean = () => true): Iterable<Finding> {
  return only(findings, test);
}

/** The page a piece at a time (a fleet's grid is tens of MB: it is never one string). */
export function* htmlChunks(result: ScanResult, ctx: ReportContext): Generator<string> {
  const b = result.baseline;
  const title = result.live !== undefined ? `imagedrift: ${result.live.source.toUpperCase()} audit${result.live.asOf !== undefined ? ` as of ${result.live.asOf}` : ''}` : 'imagedrift report';
  const lines = function* (parts: Iterable<string>): Generator<string> {
    for (const part of parts) yield `${part}\n`;
  };
  yield* lines([
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    // Nothing may load from anywhere: no script, no font, no image, no request at all.
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${e(title)}</title>`,
    `<style>${STYLE}</style>`,
    '</head>',
    '<body>',
    `<header><h1>${e(title)}</h1><p class="summary" id="summary-line">${e(summaryLine(result))}</p></header>`,
    '<h2>Findings by severity</h2>',
    ...severityTable(result),
  ]);
  if (ctx.history !== undefined && ctx.history.length > 0) yield* lines(['<h2>Per night</h2>', ...historyChart(ctx.history)]);
  if (b !== undefined) {
    yield* lines([`<h2>New since <code>${e(b.file)}</code></h2>`, ...findingsTable('new-findings', bySeverity(result.findings, (f) => f.baseline === 'new'), ctx)]);
    if (b.changed > 0) yield* lines(['<h2>Changed</h2>', ...findingsTable('changed-findings', only(result.findings, (f) => f.previous !== undefined), ctx)]);
  }
  yield* lines(deploysSection(result));
  yield* lines(groupsSection(result, ctx));
  yield* lines(gridSection(result));
  yield* lines(sidecarSection(result));
  if (ctx.changesOnly !== true) yield* lines([`<h2>Findings</h2>`, ...findingsTable('findings', bySeverity(result.findings), ctx)]);
  if (b !== undefined && b.fixed.length > 0) yield* lines([`<h2>Fixed since <code>${e(b.file)}</code></h2>`, `<details><summary>${b.fixed.length.toLocaleString('en-US')} fixed</summary>`, ...findingsTable('fixed-findings', b.fixed, ctx), '</details>']);
  if (result.skipped.length > 0 || result.errors.length > 0) {
    yield* lines(['<h2>Not scanned or not read</h2>', '<ul id="not-scanned">', ...result.skipped.map((s) => `<li><code>${e(ctx.relativePath?.(s.path) ?? s.path)}</code>: ${e(s.reason)}</li>`), ...result.errors.map((error) => `<li>${e(error)}</li>`), '</ul>']);
  }
  yield* lines([`<footer><p class="muted">imagedrift ${e(ctx.version)}${result.live?.scope !== undefined ? ` · ${e(result.live.scope)}` : ''}</p></footer>`, '</body>', '</html>']);
}

export const html: Reporter = (result, ctx) => [...htmlChunks(result, ctx)].join('');
