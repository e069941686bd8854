// Deploy-level drift between two audits, rolled up for people: "aws-otel-collector in 42 services:
// v0.28.0 → v0.29.0 since 2025-06-01T02:00:40Z, 3 services still on v0.28.0". Shared by the
// human reporters (text, markdown, html); the changes come from src/baseline/drift.ts.
import type { DeployChange, DeployChangeKind, InventoryWorkload } from '../core/inventory.js';
import { versionLabel } from '../core/inventory.js';
import type { ScanResult } from '../core/types.js';

export interface DeployGroup {
  kind: DeployChangeKind;
  /** Canonical registry/repository. */
  repository: string;
  /** The short name people say: the repository's last segment. */
  name: string;
  from: string;
  to: string;
  /** The workloads (live locations) with `#container`, in order. */
  places: string[];
  /** Workloads of the current inventory still running `from` under this repository (drifted and redeployed groups). */
  stillOnFrom: number;
}

const KIND_ORDER: Record<DeployChangeKind, number> = { drifted: 0, redeployed: 1, added: 2, removed: 3 };

function labels(digests: Array<{ digest: string; versionTag?: string }>): string {
  if (digests.length === 0) return '(none)';
  return [...new Set(digests.map(versionLabel))].join(' + ');
}

function lastSegment(repository: string): string {
  const at = repository.lastIndexOf('/');
  return at === -1 ? repository : repository.slice(at + 1);
}

/** The changes grouped by kind, repository and versions; drift first, then the largest. */
export function deployGroups(changes: readonly DeployChange[], inventory?: readonly InventoryWorkload[]): DeployGroup[] {
  const groups = new Map<string, DeployGroup>();
  for (const change of changes) {
    const from = change.kind === 'redeployed' && change.from.length === 0 ? (change.previousImage ?? '(none)') : labels(change.from);
    const to = labels(change.to);
    const key = JSON.stringify([change.kind, change.repository, from, to]);
    let group = groups.get(key);
    if (group === undefined) groups.set(key, (group = { kind: change.kind, repository: change.repository, name: lastSegment(change.repository), from, to, places: [], stillOnFrom: 0 }));
    group.places.push(`${change.location}#${change.container}`);
  }
  const list = [...groups.values()];
  if (inventory !== undefined) {
    // Which workloads still run each old version of a repository.
    const running = new Map<string, Set<string>>();
    for (const workload of inventory) {
      for (const container of workload.containers) {
        if (container.repository === undefined) continue;
        const label = labels(container.digests);
        const key = `${container.repository}\u0000${label}`;
        let set = running.get(key);
        if (set === undefined) running.set(key, (set = new Set()));
        set.add(workload.location);
      }
    }
    for (const group of list) if (group.kind === 'drifted' || group.kind === 'redeployed') group.stillOnFrom = running.get(`${group.repository}\u0000${group.from}`)?.size ?? 0;
  }
  return list.sort((a, b) => KIND_ORDER[a.kind] - KIND_ORDER[b.kind] || b.places.length - a.places.length || a.repository.localeCompare(b.repository) || a.from.localeCompare(b.from));
}

function count(n: number, unit: string): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? unit : `${unit}s`}`;
}

/** When the baseline was taken, for "since …". */
export function sinceWhat(result: ScanResult): string {
  const b = result.baseline;
  if (b === undefined) return '';
  return b.asOf !== undefined ? b.asOf : b.file;
}

/** One sentence per group, as the issue's example reads. */
export function deploySentence(group: DeployGroup, unit: string, since: string): string {
  const where = count(group.places.length, unit);
  const still = group.stillOnFrom > 0 ? `, ${count(group.stillOnFrom, unit)} still on ${group.from}` : '';
  switch (group.kind) {
    case 'drifted':
      return `${group.name} in ${where}: ${group.from} → ${group.to} since ${since}${still}`;
    case 'redeployed':
      return `${group.name} in ${where}: redeployed ${group.from} → ${group.to} since ${since}${still}`;
    case 'added':
      return `${group.name} in ${count(group.places.length, `new ${unit}`)}: ${group.to}`;
    case 'removed':
      return `${group.name} gone from ${where} (was ${group.from})`;
  }
}

/** Counts of the changes, for summaries: drifted containers are what `diff` fails on. */
export function deployCounts(changes: readonly DeployChange[]): Record<DeployChangeKind, number> {
  const counts: Record<DeployChangeKind, number> = { drifted: 0, redeployed: 0, added: 0, removed: 0 };
  for (const change of changes) counts[change.kind] += 1;
  return counts;
}
