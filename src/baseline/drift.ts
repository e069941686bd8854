// Deploy-level drift between two inventories (src/core/inventory.ts): per workload and container,
// whether the declared image changed (a deployment), the digests running changed under the same
// declared image (drift: a floating tag moved), or the container came or went. A re-deploy with
// the same image (a new task definition revision, new tasks, the same digest) is no change. Pure.
// A fleet's inventories are tens of thousands of workloads: each side is indexed by reference to
// its own objects, and a container's state is compared as one signature string.
import type { DeployChange, InventoryContainer, InventoryWorkload } from '../core/inventory.js';

interface Side {
  workload: InventoryWorkload;
  /** The container's entries (one per declared image; two while a rollout is under way). */
  containers: InventoryContainer[];
}

/** location → container name → its entries. */
function index(inventory: readonly InventoryWorkload[]): Map<string, Map<string, Side>> {
  const out = new Map<string, Map<string, Side>>();
  for (const workload of inventory) {
    let byName = out.get(workload.location);
    if (byName === undefined) out.set(workload.location, (byName = new Map()));
    for (const container of workload.containers) {
      const side = byName.get(container.name);
      if (side === undefined) byName.set(container.name, { workload, containers: [container] });
      else side.containers.push(container);
    }
  }
  return out;
}

function images(side: Side): string {
  return [...new Set(side.containers.map((c) => c.image))].sort().join(', ');
}

/** Digests run by tasks; those only deployed or pinned when no task runs any. With their version tags. */
function digests(side: Side): Array<{ digest: string; versionTag?: string }> {
  const all = side.containers.flatMap((c) => c.digests);
  const running = all.filter((d) => d.tasks > 0);
  const byDigest = new Map<string, { digest: string; versionTag?: string }>();
  for (const d of running.length > 0 ? running : all) {
    const known = byDigest.get(d.digest);
    if (known === undefined || (known.versionTag === undefined && d.versionTag !== undefined)) byDigest.set(d.digest, { digest: d.digest, ...(d.versionTag !== undefined ? { versionTag: d.versionTag } : {}) });
  }
  return [...byDigest.values()].sort((a, b) => a.digest.localeCompare(b.digest));
}

function digestKey(list: Array<{ digest: string }>): string {
  return list.map((d) => d.digest).join(' ');
}

function change(kind: DeployChange['kind'], container: string, side: Side, from: Side | undefined, to: Side | undefined): DeployChange {
  const first = side.containers[0]!;
  return {
    kind,
    location: side.workload.location,
    workload: side.workload.workload,
    container,
    role: first.role,
    image: images(side),
    ...(from !== undefined && kind === 'redeployed' ? { previousImage: images(from) } : {}),
    repository: first.repository ?? first.image,
    from: from !== undefined ? digests(from) : [],
    to: to !== undefined ? digests(to) : [],
  };
}

/** The changes from `before` to `after`, in the order of `after` (removed ones last). */
export function deployChanges(before: readonly InventoryWorkload[], after: readonly InventoryWorkload[]): DeployChange[] {
  const old = index(before);
  const changes: DeployChange[] = [];
  const seen = new Set<Side>();
  for (const workload of after) {
    const wasWorkload = old.get(workload.location);
    const names = new Map<string, Side>();
    for (const container of workload.containers) {
      const side = names.get(container.name);
      if (side === undefined) names.set(container.name, { workload, containers: [container] });
      else side.containers.push(container);
    }
    for (const [name, side] of names) {
      const was = wasWorkload?.get(name);
      if (was === undefined) {
        changes.push(change('added', name, side, undefined, side));
        continue;
      }
      seen.add(was);
      if (images(was) !== images(side)) {
        changes.push(change('redeployed', name, side, was, side));
        continue;
      }
      const then = digestKey(digests(was));
      const now = digestKey(digests(side));
      if (then !== '' && now !== '' && then !== now) changes.push(change('drifted', name, side, was, side));
    }
  }
  for (const byName of old.values()) for (const [name, side] of byName) if (!seen.has(side)) changes.push(change('removed', name, side, side, undefined));
  return changes;
}
