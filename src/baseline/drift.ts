// Deploy-level drift between two inventories (src/core/inventory.ts): per workload and container,
// whether the declared image changed (a deployment), the digests running changed under the same
// declared image (drift: a floating tag moved), or the container came or went. A re-deploy with
// the same image (a new task definition revision, new tasks, the same digest) is no change. Pure.
import type { DeployChange, InventoryContainer, InventoryWorkload } from '../core/inventory.js';

interface Side {
  workload: InventoryWorkload;
  role: InventoryContainer['role'];
  images: Set<string>;
  repository: string;
  /** Digests run by tasks; those only deployed or pinned when no task runs any. */
  digests: Map<string, { digest: string; versionTag?: string }>;
}

function sides(inventory: readonly InventoryWorkload[]): Map<string, Side> {
  const out = new Map<string, Side>();
  for (const workload of inventory) {
    for (const container of workload.containers) {
      const key = `${workload.location}#${container.name}`;
      let side = out.get(key);
      if (side === undefined) out.set(key, (side = { workload, role: container.role, images: new Set(), repository: container.repository ?? container.image, digests: new Map() }));
      side.images.add(container.image);
      const running = container.digests.filter((d) => d.tasks > 0);
      for (const d of running.length > 0 ? running : container.digests) {
        const known = side.digests.get(d.digest);
        if (known === undefined || (known.versionTag === undefined && d.versionTag !== undefined)) side.digests.set(d.digest, { digest: d.digest, ...(d.versionTag !== undefined ? { versionTag: d.versionTag } : {}) });
      }
    }
  }
  return out;
}

function sameSet<T>(a: ReadonlySet<T> | ReadonlyMap<T, unknown>, b: ReadonlySet<T> | ReadonlyMap<T, unknown>): boolean {
  if (a.size !== b.size) return false;
  for (const key of a.keys()) if (!b.has(key)) return false;
  return true;
}

function sorted(digests: Side['digests']): Array<{ digest: string; versionTag?: string }> {
  return [...digests.values()].sort((a, b) => a.digest.localeCompare(b.digest));
}

/** The changes from `before` to `after`, in the order of `after` (removed ones last). */
export function deployChanges(before: readonly InventoryWorkload[], after: readonly InventoryWorkload[]): DeployChange[] {
  const old = sides(before);
  const now = sides(after);
  const changes: DeployChange[] = [];
  const change = (kind: DeployChange['kind'], key: string, side: Side, from: Side | undefined, to: Side | undefined): DeployChange => {
    const container = key.slice(key.lastIndexOf('#') + 1);
    const image = [...side.images].join(', ');
    const previous = from !== undefined && kind === 'redeployed' ? [...from.images].join(', ') : undefined;
    return {
      kind,
      location: side.workload.location,
      workload: side.workload.workload,
      container,
      role: side.role,
      image,
      ...(previous !== undefined ? { previousImage: previous } : {}),
      repository: side.repository,
      from: from !== undefined ? sorted(from.digests) : [],
      to: to !== undefined ? sorted(to.digests) : [],
    };
  };
  for (const [key, side] of now) {
    const was = old.get(key);
    if (was === undefined) changes.push(change('added', key, side, undefined, side));
    else if (!sameSet(was.images, side.images)) changes.push(change('redeployed', key, side, was, side));
    else if (was.digests.size > 0 && side.digests.size > 0 && !sameSet(was.digests, side.digests)) changes.push(change('drifted', key, side, was, side));
  }
  for (const [key, side] of old) if (!now.has(key)) changes.push(change('removed', key, side, side, undefined));
  return changes;
}
