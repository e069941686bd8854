// Roll-ups (`--group-by image|rule|service|none`): the same image and rule across many services or
// files is one group with a count and its places listed (folded in every human format), so 600
// services running `aws-otel-collector:latest` read as one line, not 600.
import { isLiveLocation } from '../core/identity.js';
import type { Finding, Severity } from '../core/types.js';
import { SEVERITIES } from '../core/types.js';
import { liveWorkload } from './summary.js';

export type GroupBy = 'image' | 'rule' | 'service' | 'none';
export const GROUP_BY: readonly GroupBy[] = ['image', 'rule', 'service', 'none'];

/** One member of a group: where, and how severe. */
export interface GroupMember {
  /** `path:line:col`, or the live location. */
  where: string;
  severity: Severity;
  new: boolean;
  /** The container, for live members (`svc#otel` says it already). */
  container?: string;
}

export interface FindingGroup {
  /** What the group is: the image (`…/aws-otel-collector:latest`), the rule id, or the file or workload. */
  title: string;
  /** The rule, when the group has one (by image or rule). */
  ruleId?: string;
  /** The most severe member's severity. */
  severity: Severity;
  bySeverity: Record<Severity, number>;
  count: number;
  new: number;
  /** Distinct files or workloads. */
  places: number;
  /** The first finding, whose message stands for the others. */
  example: Finding;
  /** Where: new ones first, then the most severe, then as reported; at most MEMBERS_KEPT of each kind (`count` says how many in all). */
  members: GroupMember[];
}

/** Members kept per group for each of new and not new and each severity: a report lists at most 200 places a group. */
export const MEMBERS_KEPT = 200;

const RANK: Record<Severity, number> = { error: 0, warning: 1, note: 2 };

/** The image as a group names it: canonical repository with the tag and digest as written. */
export function groupImage(finding: Finding): string {
  const image = finding.image;
  if (image === undefined) return '(no image)';
  if (image.repository === undefined) return image.raw;
  return `${image.registry ?? 'docker.io'}/${image.repository}${image.tag !== undefined ? `:${image.tag}` : ''}${image.digest !== undefined ? `@${image.digest}` : ''}`;
}

export function memberWhere(finding: Finding, relativePath?: (path: string) => string): string {
  const { path, line, column } = finding.location;
  if (isLiveLocation(path)) return path;
  const shown = relativePath?.(path) ?? path;
  return line > 0 ? `${shown}:${line}:${column}` : shown;
}

function groupKey(finding: Finding, by: Exclude<GroupBy, 'none'>, relativePath?: (path: string) => string): [string, string, string | undefined] {
  switch (by) {
    case 'image': {
      // A finding about no image (an incomplete scope, a parse error) is a group of its own.
      if (finding.image === undefined) return [`${finding.ruleId}\u0000${finding.location.path}\u0000${finding.message}`, finding.location.path, finding.ruleId];
      const image = groupImage(finding);
      return [`${finding.ruleId}\u0000${image}`, image, finding.ruleId];
    }
    case 'rule':
      return [finding.ruleId, finding.ruleId, finding.ruleId];
    case 'service': {
      const path = finding.location.path;
      const place = isLiveLocation(path) ? liveWorkload(path) : (relativePath?.(path) ?? path);
      return [place, place, undefined];
    }
  }
}

/** Roll-ups of a list read from disk (a fleet's findings), made once for all the reports of a run. */
const cache = new WeakMap<object, Map<string, { relativePath: unknown; groups: FindingGroup[] }>>();

/** Findings rolled up: most severe groups first, then those with new findings, then the largest, then in report order. */
export function groupFindings(findings: Iterable<Finding>, by: Exclude<GroupBy, 'none'>, relativePath?: (path: string) => string): FindingGroup[] {
  // A plain array (a small run, or a filtered list) is grouped each time: it may change between reports.
  if (Array.isArray(findings) || !('length' in findings)) return makeGroups(findings, by, relativePath);
  let byKey = cache.get(findings);
  if (byKey === undefined) cache.set(findings, (byKey = new Map()));
  const known = byKey.get(by);
  if (known !== undefined && known.relativePath === relativePath) return known.groups;
  const groups = makeGroups(findings, by, relativePath);
  byKey.set(by, { relativePath, groups });
  return groups;
}

function makeGroups(findings: Iterable<Finding>, by: Exclude<GroupBy, 'none'>, relativePath?: (path: string) => string): FindingGroup[] {
  const groups = new Map<string, FindingGroup & { seen: Set<string>; order: number; buckets: GroupMember[][] }>();
  // One string per place for all groups (a fleet's 30,000 services are in every group of its images).
  const places = new Map<string, string>();
  for (const finding of findings) {
    const [key, title, ruleId] = groupKey(finding, by, relativePath);
    let group = groups.get(key);
    if (group === undefined) {
      group = { title, ...(ruleId !== undefined ? { ruleId } : {}), severity: finding.severity, bySeverity: { error: 0, warning: 0, note: 0 }, count: 0, new: 0, places: 0, example: finding, members: [], seen: new Set(), order: groups.size, buckets: [[], [], [], [], [], []] };
      groups.set(key, group);
    }
    group.count += 1;
    group.bySeverity[finding.severity] += 1;
    if (RANK[finding.severity] < RANK[group.severity]) {
      group.severity = finding.severity;
      group.example = finding;
    }
    const isNew = finding.baseline === 'new';
    if (isNew) group.new += 1;
    const path = finding.location.path;
    const place = isLiveLocation(path) ? liveWorkload(path) : path;
    let shared = places.get(place);
    if (shared === undefined) places.set(place, (shared = place));
    group.seen.add(shared);
    // Buckets in listing order: new errors, new warnings, new notes, errors, warnings, notes.
    const bucket = group.buckets[(isNew ? 0 : 3) + RANK[finding.severity]]!;
    if (bucket.length < MEMBERS_KEPT) bucket.push({ where: memberWhere(finding, relativePath), severity: finding.severity, new: isNew, ...(finding.container?.name !== undefined ? { container: finding.container.name } : {}) });
  }
  return [...groups.values()]
    .sort((a, b) => RANK[a.severity] - RANK[b.severity] || b.new - a.new || b.count - a.count || a.order - b.order)
    .map(({ seen, order: _order, buckets, ...group }) => ({ ...group, members: buckets.flat(), places: seen.size }));
}

/** "in 600 services" / "in 3 files" / "in 2 places". */
export function placesNoun(group: FindingGroup, unit: string): string {
  const n = group.places;
  return `${n.toLocaleString('en-US')} ${n === 1 ? unit : `${unit}s`}`;
}

/** "600 errors" / "3 errors, 2 warnings". */
export function groupCounts(group: FindingGroup): string {
  return SEVERITIES.filter((s) => group.bySeverity[s] > 0)
    .map((s) => `${group.bySeverity[s].toLocaleString('en-US')} ${s}${group.bySeverity[s] === 1 ? '' : 's'}`)
    .join(', ');
}
