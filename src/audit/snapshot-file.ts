// Reading and writing `imagedrift.snapshot/v1` files (`audit ecs --snapshot` / `--from-snapshot`).
// A file that is not a snapshot is refused with the reason, before anything is judged.
import { writeFileAtomic } from '../fix/atomic-write.js';
import { SNAPSHOT_SCHEMA } from '../sources/ecs-live.js';
import type { EcsSnapshot } from '../sources/ecs-live.js';
import { readTextFileBounded, ReadRefused } from '../sources/files.js';

export class SnapshotFileError extends Error {
  override readonly name = 'SnapshotFileError';
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Checks the shape the judge relies on; returns the problem, or undefined when the document is usable. */
export function snapshotProblem(data: unknown): string | undefined {
  if (!isObject(data)) return 'not a JSON object';
  if (data.schema !== SNAPSHOT_SCHEMA) return `\`schema\` is ${JSON.stringify(data.schema)}, expected "${SNAPSHOT_SCHEMA}"`;
  if (data.source !== 'ecs') return `\`source\` is ${JSON.stringify(data.source)}, expected "ecs"`;
  if (!isObject(data.scope) || !Array.isArray(data.scope.regions)) return '`scope.regions` is missing';
  for (const key of ['clusters', 'repositories', 'incomplete'] as const) if (!Array.isArray(data[key])) return `\`${key}\` is not a list`;
  for (const key of ['taskDefinitions', 'serviceRevisions'] as const) if (!isObject(data[key])) return `\`${key}\` is not an object`;
  if (data.images !== undefined && !isObject(data.images)) return '`images` is not an object';
  for (const [i, c] of (data.clusters as unknown[]).entries()) {
    if (!isObject(c) || typeof c.arn !== 'string' || !Array.isArray(c.services) || !Array.isArray(c.standaloneTasks)) return `\`clusters[${i}]\` is not a cluster (arn, services, standaloneTasks)`;
    for (const [j, s] of (c.services as unknown[]).entries()) {
      if (!isObject(s) || typeof s.name !== 'string' || !Array.isArray(s.tasks) || !Array.isArray(s.deployments) || !Array.isArray(s.serviceRevisionArns)) {
        return `\`clusters[${i}].services[${j}]\` is not a service (name, deployments, serviceRevisionArns, tasks)`;
      }
    }
  }
  for (const [arn, td] of Object.entries(data.taskDefinitions as Record<string, unknown>)) {
    if (!isObject(td) || !Array.isArray(td.containers)) return `\`taskDefinitions["${arn}"]\` has no \`containers\` list`;
  }
  return undefined;
}

/** A snapshot larger than this is refused (a fleet of thousands of services writes a few MB). */
export const MAX_SNAPSHOT_BYTES = 512 * 1024 * 1024;

export function readSnapshot(file: string): EcsSnapshot {
  let text: string;
  try {
    // Bounded: `--from-snapshot /dev/zero` (or a FIFO) is refused, not read forever.
    text = readTextFileBounded(file, MAX_SNAPSHOT_BYTES);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new SnapshotFileError(`${file}: cannot read: ${err instanceof ReadRefused ? err.message : code === 'ENOENT' ? 'no such file' : (code ?? String(err))}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new SnapshotFileError(`${file}: not JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  const problem = snapshotProblem(data);
  if (problem !== undefined) throw new SnapshotFileError(`${file}: not an imagedrift ECS snapshot: ${problem}`);
  return data as EcsSnapshot;
}

/** Pretty JSON (stable key order from the collector), written atomically. */
export function writeSnapshot(file: string, snapshot: EcsSnapshot): void {
  writeFileAtomic(file, `${JSON.stringify(snapshot, null, 2)}\n`);
}
