// What a live audit saw, beside its findings: per workload (an ECS service or task group, a
// Kubernetes workload) and container, the declared image and the digests really running, with
// their version tags. The HTML grid, `imagedrift diff`'s deploy-level drift and `--baseline` read
// it; any live source (`audit ecs`, `audit k8s`) can fill it. Locations are the live locations of
// its findings without the `#container`: `ecs://<account>/<region>/<cluster>/<service>`,
// `k8s://<context>/<namespace>/<kind>/<name>`. Pure data.
import type { Finding, FindingList, Role, Severity, Workload } from './types.js';

export interface InventoryDigest {
  digest: string;
  /** Tasks (pods) running it; 0 for a digest only resolved by the deployment or pinned. */
  tasks: number;
  /** The version tag the registry gives this digest (`v0.28.0`), when known. */
  versionTag?: string;
  /** False when the registry no longer has it. */
  exists?: boolean;
}

export interface InventoryContainer {
  name: string;
  role: Role;
  /** The image as declared (tag and/or digest). */
  image: string;
  /** Canonical `registry/repository`, when the image could be read. */
  repository?: string;
  /** Running (or deployed) digests, most tasks first. */
  digests: InventoryDigest[];
  /** What the tag points at in the registry now. */
  current?: { digest: string; versionTag?: string };
  /** Rule ids of the findings reported on this container (after exceptions). */
  rules: string[];
}

export interface InventoryWorkload {
  /** The live location, without `#container`. */
  location: string;
  workload: Workload;
  /** Tasks (pods) running. */
  tasks?: number;
  containers: InventoryContainer[];
}

/** A live audit's own facts, carried by its ScanResult (`result.live`). */
export interface LiveAudit {
  /** `ecs`, `k8s`, … */
  source: string;
  /** When the observation was made (the server's clock). */
  asOf?: string;
  /** The noun a workload is counted in: `service` (ECS), `workload` (Kubernetes). */
  unit: string;
  /** Workloads audited. */
  workloads: number;
  /** What was audited, in words, for the end of the summary line: "300 services (3,000 tasks, …) across 3 clusters, …". */
  scope: string;
  /** Per workload and container: declared image, digests running, rules reported. */
  inventory?: InventoryWorkload[];
}

/** One version label for a digest: its version tag, else the digest shortened. */
export function versionLabel(d: { digest: string; versionTag?: string }): string {
  return d.versionTag ?? shortDigest(d.digest);
}

export function shortDigest(digest: string): string {
  const colon = digest.indexOf(':');
  return colon === -1 ? digest.slice(0, 12) : `${digest.slice(0, colon + 1)}${digest.slice(colon + 1, colon + 13)}…`;
}

/**
 * How a container's deployment changed between two audits:
 * - `drifted`: the declared image is the same, the digests running are not (a floating tag moved
 *   under it: the OTEL incident), or a running digest was deleted;
 * - `redeployed`: the declared image changed (a deliberate deployment);
 * - `added` / `removed`: the container (or its workload) appeared or went away.
 */
export type DeployChangeKind = 'drifted' | 'redeployed' | 'added' | 'removed';

export interface DeployChange {
  kind: DeployChangeKind;
  /** The workload's live location (no `#container`). */
  location: string;
  workload: Workload;
  container: string;
  role: Role;
  /** The declared image now (before, for `removed`). */
  image: string;
  /** The declared image before, when it changed. */
  previousImage?: string;
  /** Canonical `registry/repository` (the image as written when unreadable). */
  repository: string;
  from: Array<{ digest: string; versionTag?: string }>;
  to: Array<{ digest: string; versionTag?: string }>;
}

/** A baseline (`--baseline FILE`, `imagedrift diff OLD NEW`) compared with this result. */
export interface BaselineComparison {
  /** The baseline file as given. */
  file: string;
  /** When the baseline was observed or written, when it says. */
  asOf?: string;
  new: number;
  existing: number;
  /** Existing findings whose severity or message changed. */
  changed: number;
  /** New findings by severity: what `--new-only` makes `--fail-on` count. */
  newBySeverity: Record<Severity, number>;
  /** Findings of the baseline that are gone. */
  fixed: FindingList;
  /** Deploy-level changes between the two inventories (live audits with an inventory on both sides). */
  deploys?: DeployChange[];
}

/** The state a compared finding carries. */
export type BaselineState = 'new' | 'existing';

/** Findings of the comparison in a form reporters can test without importing the comparer. */
export function isNew(finding: Finding): boolean {
  return finding.baseline === 'new';
}

/**
 * The same workload with its strings shared through `pool`: a fleet's inventory repeats the same
 * images, digests, versions and names thousands of times, and JSON.parse gives each its own copy.
 */
export function compactWorkload(workload: InventoryWorkload, pool: Map<string, string>): InventoryWorkload {
  const s = (value: string): string => {
    const known = pool.get(value);
    if (known !== undefined) return known;
    pool.set(value, value);
    return value;
  };
  const { kind, name, namespace } = workload.workload;
  return {
    location: workload.location,
    workload: { kind: s(kind), ...(name !== undefined ? { name } : {}), ...(namespace !== undefined ? { namespace: s(namespace) } : {}) },
    ...(workload.tasks !== undefined ? { tasks: workload.tasks } : {}),
    containers: workload.containers.map((c) => ({
      name: s(c.name),
      role: c.role,
      image: s(c.image),
      ...(c.repository !== undefined ? { repository: s(c.repository) } : {}),
      digests: c.digests.map((d) => ({ digest: s(d.digest), tasks: d.tasks, ...(d.versionTag !== undefined ? { versionTag: s(d.versionTag) } : {}), ...(d.exists !== undefined ? { exists: d.exists } : {}) })),
      ...(c.current !== undefined ? { current: { digest: s(c.current.digest), ...(c.current.versionTag !== undefined ? { versionTag: s(c.current.versionTag) } : {}) } } : {}),
      rules: c.rules.map(s),
    })),
  };
}
