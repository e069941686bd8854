// The summary every human report ends with, worded for what was scanned: "in 2 files" counts the
// files with findings (of how many scanned); a live audit counts its workloads ("in 3 services")
// and says what it audited. Also the per-rule summary (`--summary rules`).
import { isLiveLocation } from '../core/identity.js';
import type { Finding, ScanResult, Severity } from '../core/types.js';
import { SEVERITIES } from '../core/types.js';

export function plural(n: number, word: string, many = `${word}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? word : many}`;
}

/** The workload a live location is about: the location without its `#container`. */
export function liveWorkload(path: string): string {
  const hash = path.indexOf('#');
  return hash === -1 ? path : path.slice(0, hash);
}

/** Where a finding is counted: its file, or for a live finding about a workload, the workload. Undefined for a live finding about no workload (an incomplete scope) and for one about the policy. */
export function placeOf(finding: Finding): string | undefined {
  // An expired exception is about the policy file, which is not one of the files scanned.
  if (finding.ruleId === 'expired-exception') return undefined;
  const path = finding.location.path;
  if (!isLiveLocation(path)) return path;
  return finding.workload !== undefined ? liveWorkload(path) : undefined;
}

/** Counted once per list read from disk or marked lazily: every human report of a run ends with the same summary line. */
const placeCounts = new WeakMap<object, number>();

/** The number of files (or live workloads) with findings. */
export function placesWithFindings(findings: Iterable<Finding>): number {
  if (Array.isArray(findings)) return countPlaces(findings);
  const cached = placeCounts.get(findings);
  if (cached !== undefined) return cached;
  const count = countPlaces(findings);
  placeCounts.set(findings, count);
  return count;
}

function countPlaces(findings: Iterable<Finding>): number {
  const places = new Set<string>();
  for (const finding of findings) {
    const place = placeOf(finding);
    if (place !== undefined) places.add(place);
  }
  return places.size;
}

function allLive(findings: Iterable<Finding>): boolean {
  for (const finding of findings) if (!isLiveLocation(finding.location.path)) return false;
  return true;
}

export function severityCounts(counts: Record<Severity, number>): string {
  return `${plural(counts.error, 'error')}, ${plural(counts.warning, 'warning')}, ${plural(counts.note, 'note')}`;
}

/** `; 2 new, 4 existing (1 changed), 1 fixed since last.json`, when compared with a baseline. */
export function baselineClause(result: ScanResult): string {
  const b = result.baseline;
  if (b === undefined) return '';
  const changed = b.changed > 0 ? ` (${b.changed.toLocaleString('en-US')} changed)` : '';
  return `; ${b.new.toLocaleString('en-US')} new, ${b.existing.toLocaleString('en-US')} existing${changed}, ${b.fixed.length.toLocaleString('en-US')} fixed since ${b.file}`;
}

export function summaryLine(result: ScanResult): string {
  const { bySeverity, filesScanned, refsFound, filesSkipped } = result.summary;
  const total = bySeverity.error + bySeverity.warning + bySeverity.note;
  const head = `${plural(total, 'finding')} (${severityCounts(bySeverity)})`;
  const live = result.live;
  if (live !== undefined) {
    const places = total > 0 ? placesWithFindings(result.findings) : live.workloads;
    const of = total > 0 && places !== live.workloads ? ` (of ${live.workloads.toLocaleString('en-US')} audited)` : '';
    const incomplete = result.errors.length > 0 ? `; incomplete: ${plural(result.errors.length, 'scope')} not read` : '';
    return `${head} in ${plural(places, live.unit)}${of}; ${live.scope}${incomplete}${baselineClause(result)}`;
  }
  // With no finding, "in N files" are the files scanned; else the files with findings, of how many scanned.
  const places = total > 0 ? placesWithFindings(result.findings) : filesScanned;
  if (filesScanned === 0 && places > 0 && allLive(result.findings)) {
    // Live findings judged without the audit's own figures: count the workloads.
    return `${head} in ${plural(places, 'workload')}, ${plural(refsFound, 'image reference')}${baselineClause(result)}`;
  }
  const of = total > 0 && places !== filesScanned ? ` (of ${filesScanned.toLocaleString('en-US')} scanned)` : '';
  const skipped = filesSkipped > 0 ? `, ${plural(filesSkipped, 'file')} skipped` : '';
  return `${head} in ${plural(places, 'file')}${of}, ${plural(refsFound, 'image reference')}${skipped}${baselineClause(result)}`;
}

export interface RuleSummary {
  ruleId: string;
  total: number;
  bySeverity: Record<Severity, number>;
  places: number;
  new: number;
}

/** Findings per rule: counts by severity and the files (or workloads) each is in; most severe rules first. */
export function ruleSummaries(findings: Iterable<Finding>): RuleSummary[] {
  const rules = new Map<string, RuleSummary & { seen: Set<string> }>();
  for (const finding of findings) {
    let rule = rules.get(finding.ruleId);
    if (rule === undefined) rules.set(finding.ruleId, (rule = { ruleId: finding.ruleId, total: 0, bySeverity: { error: 0, warning: 0, note: 0 }, places: 0, new: 0, seen: new Set() }));
    rule.total += 1;
    rule.bySeverity[finding.severity] += 1;
    if (finding.baseline === 'new') rule.new += 1;
    const place = placeOf(finding);
    if (place !== undefined) rule.seen.add(place);
  }
  const rank = (r: RuleSummary) => SEVERITIES.map((s) => r.bySeverity[s]);
  return [...rules.values()]
    .map(({ seen, ...rule }) => ({ ...rule, places: seen.size }))
    .sort((a, b) => {
      const [x, y] = [rank(a), rank(b)];
      for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return (y[i] ?? 0) - (x[i] ?? 0);
      return a.ruleId.localeCompare(b.ruleId);
    });
}

/** `--summary rules`: one aligned line per rule, e.g. `latest-tag   12  (10 errors, 2 warnings)  in 8 files`. */
export function ruleSummaryLines(result: ScanResult): string[] {
  const unit = result.live?.unit ?? 'file';
  const rules = ruleSummaries(result.findings);
  if (rules.length === 0) return [];
  const idWidth = rules.reduce((most, r) => Math.max(most, r.ruleId.length), -Infinity);
  const countWidth = rules.reduce((most, r) => Math.max(most, r.total.toLocaleString('en-US').length), 0);
  return rules.map((r) => {
    const parts = SEVERITIES.filter((s) => r.bySeverity[s] > 0).map((s) => plural(r.bySeverity[s], s));
    const fresh = result.baseline !== undefined ? `, ${r.new.toLocaleString('en-US')} new` : '';
    return `${r.ruleId.padEnd(idWidth)}  ${r.total.toLocaleString('en-US').padStart(countWidth)}  (${parts.join(', ')}${fresh})  in ${plural(r.places, unit)}`;
  });
}
