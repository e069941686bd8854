// Reading and writing `imagedrift.k8s-snapshot/v1` files (`audit k8s --snapshot` / `--from-snapshot`).
// A file that is not such a snapshot is refused with the reason, before anything is judged.
import { readFileSync } from 'node:fs';
import { writeFileAtomic } from '../../fix/atomic-write.js';
import { escapeControl } from '../../sources/k8s/objects.js';
import { K8S_SNAPSHOT_SCHEMA } from '../../sources/k8s/snapshot.js';
import type { K8sSnapshot } from '../../sources/k8s/snapshot.js';

/** The file is not a usable Kubernetes snapshot (exit 2). Not the ECS one's class: that module loads the AWS SDK. */
export class K8sSnapshotFileError extends Error {
  override readonly name = 'K8sSnapshotFileError';
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function containersProblem(containers: unknown, where: string): string | undefined {
  if (!Array.isArray(containers)) return `\`${where}.containers\` is not a list`;
  for (const [i, c] of containers.entries()) {
    if (!isObject(c) || typeof c.name !== 'string') return `\`${where}.containers[${i}]\` has no \`name\``;
    if (c.image !== undefined && typeof c.image !== 'string') return `\`${where}.containers[${i}].image\` is not a string`;
    if (c.digest !== undefined && typeof c.digest !== 'string') return `\`${where}.containers[${i}].digest\` is not a string`;
  }
  return undefined;
}

/** Checks the shape the judge relies on; returns the problem, or undefined when the document is usable. */
export function k8sSnapshotProblem(data: unknown): string | undefined {
  if (!isObject(data)) return 'not a JSON object';
  if (data.schema !== K8S_SNAPSHOT_SCHEMA) return `\`schema\` is ${JSON.stringify(data.schema)}, expected "${K8S_SNAPSHOT_SCHEMA}"`;
  if (data.source !== 'kubernetes') return `\`source\` is ${JSON.stringify(data.source)}, expected "kubernetes"`;
  if (typeof data.context !== 'string') return '`context` is not a string';
  if (typeof data.startedAt !== 'string') return '`startedAt` is not a string';
  if (!isObject(data.scope) || !Array.isArray(data.scope.namespaces)) return '`scope.namespaces` is missing';
  for (const key of ['pods', 'workloads', 'incomplete'] as const) if (!Array.isArray(data[key])) return `\`${key}\` is not a list`;
  if (data.images !== undefined && !isObject(data.images)) return '`images` is not an object';
  for (const [i, p] of (data.pods as unknown[]).entries()) {
    if (!isObject(p) || typeof p.name !== 'string' || typeof p.namespace !== 'string') return `\`pods[${i}]\` is not a pod (namespace, name, containers)`;
    if (p.owner !== undefined && (!isObject(p.owner) || typeof p.owner.kind !== 'string' || typeof p.owner.name !== 'string')) return `\`pods[${i}].owner\` is not {kind, name}`;
    const problem = containersProblem(p.containers, `pods[${i}]`);
    if (problem !== undefined) return problem;
  }
  for (const [i, w] of (data.workloads as unknown[]).entries()) {
    if (!isObject(w) || typeof w.kind !== 'string' || typeof w.name !== 'string' || typeof w.namespace !== 'string') return `\`workloads[${i}]\` is not a workload (kind, namespace, name, containers)`;
    if (w.owner !== undefined && (!isObject(w.owner) || typeof w.owner.kind !== 'string' || typeof w.owner.name !== 'string')) return `\`workloads[${i}].owner\` is not {kind, name}`;
    const problem = containersProblem(w.containers, `workloads[${i}]`);
    if (problem !== undefined) return problem;
  }
  for (const [i, e] of (data.incomplete as unknown[]).entries()) {
    if (!isObject(e) || typeof e.scope !== 'string' || typeof e.operation !== 'string' || typeof e.code !== 'string' || typeof e.reason !== 'string') return `\`incomplete[${i}]\` is not {scope, operation, code, reason}`;
  }
  for (const [ref, image] of Object.entries((data.images ?? {}) as Record<string, unknown>)) {
    if (!isObject(image) || !isObject(image.digests)) return `\`images["${ref}"]\` has no \`digests\` object`;
  }
  return undefined;
}

export function readK8sSnapshot(file: string): K8sSnapshot {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new K8sSnapshotFileError(`${file}: cannot read: ${code === 'ENOENT' ? 'no such file' : (code ?? String(err))}`);
  }
  let data: unknown;
  try {
    // Strings from a file end up in terminals and reports: control characters are escaped.
    data = JSON.parse(text, (_key, value: unknown) => (typeof value === 'string' ? escapeControl(value) : value));
  } catch (err) {
    throw new K8sSnapshotFileError(`${file}: not JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  const problem = k8sSnapshotProblem(data);
  if (problem !== undefined) {
    const hint = isObject(data) && data.schema === 'imagedrift.snapshot/v1' ? ' (an ECS snapshot: judge it with `audit ecs --from-snapshot`)' : '';
    throw new K8sSnapshotFileError(`${file}: not an imagedrift Kubernetes snapshot: ${problem}${hint}`);
  }
  return data as unknown as K8sSnapshot;
}

/** Pretty JSON (the documented field order, lists sorted by the collector), written atomically. */
export function writeK8sSnapshot(file: string, s: K8sSnapshot): void {
  const ordered: K8sSnapshot = {
    schema: s.schema,
    source: s.source,
    startedAt: s.startedAt,
    finishedAt: s.finishedAt,
    ...(s.serverTime !== undefined ? { serverTime: s.serverTime } : {}),
    via: s.via,
    context: s.context,
    ...(s.server !== undefined ? { server: s.server } : {}),
    scope: s.scope,
    pods: s.pods,
    workloads: s.workloads,
    ...(s.images !== undefined ? { images: s.images } : {}),
    incomplete: s.incomplete,
    calls: s.calls,
  };
  writeFileAtomic(file, `${JSON.stringify(ordered, null, 2)}\n`);
}
