// Reading and writing `imagedrift.snapshot/v1` files (`audit ecs --snapshot` / `--from-snapshot`).
// A file that is not a snapshot is refused with the reason, before anything is judged.
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, ftruncateSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, renameSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { streamJsonFile } from '../sources/json-stream.js';
import { compactWorkload } from '../core/inventory.js';
import type { InventoryWorkload, LiveAudit } from '../core/inventory.js';
import type { ScanResult } from '../core/types.js';
import { writeFileAtomic } from '../fix/atomic-write.js';
import type { Policy } from '../policy/types.js';
import { FindingStore } from '../scan/finding-store.js';
import { countFindings, emptySummary } from '../scan/scan.js';
import { SNAPSHOT_SCHEMA } from '../sources/ecs-live.js';
import { readTextFileBounded, ReadRefused } from '../sources/files.js';
import type {
  EcsSnapshot,
  SnapshotAccount,
  SnapshotCluster,
  SnapshotImage,
  SnapshotIncomplete,
  SnapshotRepository,
  SnapshotService,
  SnapshotServiceRevision,
  SnapshotTask,
  SnapshotTaskDefinition,
} from '../sources/ecs-live.js';
import { auditResult, auditScope, snapshotDate } from './judge.js';
import type { AuditStats } from './judge.js';

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

// ------------------------------------------------------------------------------------------------
// Snapshots of a whole fleet: judged a cluster at a time, and merged from shards
// (`imagedrift merge`), with memory bounded by one shard or one cluster, not by the fleet.

/** Top-level fields of a snapshot besides the three big sections. */
type SnapshotHead = Omit<EcsSnapshot, 'clusters' | 'taskDefinitions' | 'serviceRevisions'> & { shards?: ShardSummary[] };

/** What `imagedrift merge` records of each shard it merged (the merged snapshot's `shards`). */
export interface ShardSummary {
  /** The shard file's name (not its path). */
  file: string;
  accounts: string[];
  regions: string[];
  startedAt: string;
  finishedAt: string;
  clusters: number;
}

export interface JudgedFile {
  result: ScanResult & { live: LiveAudit & { inventory: InventoryWorkload[] } };
  stats: AuditStats;
  /** The snapshot's own figures and shards, for reports. */
  head: SnapshotHead;
}

const BIG_SECTIONS = [['clusters'], ['taskDefinitions'], ['serviceRevisions']] as const;

/** Findings held in memory, and bytes read back at a time, for a fleet's findings (see judgeSnapshotFile). */
export const FLEET_SPILL_LIMIT = 256;
export const FLEET_READ_CHUNK = 64 * 1024;

function streamProblem(file: string, err: unknown): SnapshotFileError {
  if (err instanceof SnapshotFileError) return err;
  const code = (err as NodeJS.ErrnoException).code;
  if (code !== undefined) return new SnapshotFileError(`${file}: cannot read: ${code === 'ENOENT' ? 'no such file' : code}`);
  return new SnapshotFileError(`${file}: ${err instanceof Error ? err.message : String(err)}`);
}

/**
 * Judges a snapshot file of any size: a first pass reads everything but the clusters (task
 * definitions, service revisions, registry facts), a second judges one cluster at a time, so the
 * memory needed is that of the lookups and one cluster, never the whole fleet at once. Findings
 * come cluster by cluster (each cluster's sorted as `audit ecs` sorts them), then the incomplete
 * scopes and expired exceptions. Findings beyond a few thousand wait in a temporary file.
 */
export function judgeSnapshotFile(file: string, policy: Policy, options: { now?: string; onCluster?: (done: number) => void } = {}): JudgedFile {
  // Task definitions and service revisions are kept with only what judging reads, their strings
  // shared (a fleet repeats the same images and digests thousands of times).
  const strings = new Map<string, string>();
  const share = (value: string | undefined): string | undefined => {
    if (value === undefined) return undefined;
    const known = strings.get(value);
    if (known !== undefined) return known;
    strings.set(value, value);
    return value;
  };
  const taskDefinitions: Record<string, SnapshotTaskDefinition> = {};
  const serviceRevisions: Record<string, SnapshotServiceRevision> = {};
  let clusterCount = 0;
  let head: Record<string, unknown>;
  try {
    head = streamJsonFile(file, {
      split: BIG_SECTIONS,
      skip: [['clusters']],
      onItem: (path, key, value) => {
        if (path === 'taskDefinitions') taskDefinitions[key as string] = compactTaskDefinition(value as SnapshotTaskDefinition, share);
        else if (path === 'serviceRevisions') serviceRevisions[key as string] = compactRevision(value as SnapshotServiceRevision, share);
      },
    });
  } catch (err) {
    throw streamProblem(file, err);
  }
  const skeleton = { ...head, clusters: [], taskDefinitions: {}, serviceRevisions: {} } as unknown as EcsSnapshot;
  const problem = snapshotProblem({ ...skeleton, taskDefinitions });
  if (problem !== undefined) throw new SnapshotFileError(`${file}: not an imagedrift ECS snapshot: ${problem}`);
  const now = options.now ?? snapshotDate(skeleton);

  // A fleet's findings are a hundred thousand: few are held before they go to the temporary file,
  // and each report reads them back in small chunks, so what is read dies young in V8's new space
  // instead of piling up in the old one (a 1 MB chunk and its lines outlive several scavenges).
  const findings = new FindingStore(FLEET_SPILL_LIMIT, FLEET_READ_CHUNK);
  const inventory: InventoryWorkload[] = [];
  const summary = emptySummary();
  const accounts = new Set((skeleton.accounts ?? []).map((a) => a.accountId));
  const totals = { services: 0, taskGroups: 0, tasks: 0, references: 0 };
  let invalid: string | undefined;
  // A cluster of hundreds of services is judged a service at a time, each read on its own: what
  // is parsed dies young in V8's new space instead of piling up in the old one.
  const judgeUnits = (head: SnapshotCluster, services: SnapshotCluster['services'], standaloneTasks: SnapshotCluster['standaloneTasks'], where: string) => {
    const cluster: SnapshotCluster = { arn: head.arn, name: head.name, region: head.region, accountId: head.accountId, services, standaloneTasks };
    const check = snapshotProblem({ ...skeleton, clusters: [cluster], taskDefinitions: {}, serviceRevisions: {} });
    if (check !== undefined) {
      invalid ??= check.replace('clusters[0]', where);
      return;
    }
    if (cluster.accountId) accounts.add(cluster.accountId);
    const part = auditResult({ ...skeleton, clusters: [cluster], taskDefinitions, serviceRevisions, incomplete: [] }, policy, { now });
    const kept = part.result.findings.filter((f) => f.ruleId !== 'expired-exception');
    for (const item of kept) findings.push(item);
    countFindings(kept, summary);
    for (const workload of part.result.live.inventory) inventory.push(compactWorkload(workload, strings));
    totals.services += part.stats.services;
    totals.taskGroups += part.stats.taskGroups;
    totals.tasks += part.stats.tasks;
    totals.references += part.stats.references;
  };
  const isHead = (value: unknown): value is SnapshotCluster => typeof value === 'object' && value !== null && typeof (value as SnapshotCluster).arn === 'string' && typeof (value as SnapshotCluster).name === 'string';
  // Services that came before their cluster's name (an unusual field order) wait for the cluster's end.
  let pending: SnapshotCluster['services'] = [];
  let standalone: SnapshotCluster['standaloneTasks'] = [];
  const onItem = (path: string, key: string | number, value: unknown, parent: unknown) => {
    const match = /^clusters\.(\d+)\.(services|standaloneTasks)$/.exec(path);
    if (match === null) return;
    if (match[2] === 'standaloneTasks') standalone.push(value as SnapshotTask);
    else if (isHead(parent) && pending.length === 0) judgeUnits(parent, [value as SnapshotService], [], `clusters[${match[1]}].services[${key}]`);
    else pending.push(value as SnapshotService);
  };
  const onClose = (path: string, value: unknown) => {
    const match = /^clusters\.(\d+)$/.exec(path);
    if (match === null) return;
    const head = value as SnapshotCluster;
    clusterCount += 1;
    if (!isHead(head) || !Array.isArray((value as SnapshotCluster).services) || !Array.isArray((value as SnapshotCluster).standaloneTasks)) {
      invalid ??= `\`clusters[${match[1]}]\` is not a cluster (arn, services, standaloneTasks)`;
    } else {
      // Standalone task groups are judged together (a group's tasks may come from anywhere in the list).
      if (pending.length > 0 || standalone.length > 0 || head.services.length === 0) judgeUnits(head, pending, standalone, `clusters[${match[1]}]`);
    }
    pending = [];
    standalone = [];
    options.onCluster?.(clusterCount);
  };
  try {
    streamJsonFile(file, {
      split: [['clusters', '*', 'services'], ['clusters', '*', 'standaloneTasks'], ['taskDefinitions'], ['serviceRevisions']],
      skip: [['taskDefinitions'], ['serviceRevisions']],
      onItem,
      onClose,
    });
  } catch (err) {
    findings.close();
    throw streamProblem(file, err);
  }
  if (invalid !== undefined) {
    findings.close();
    throw new SnapshotFileError(`${file}: not an imagedrift ECS snapshot: ${invalid}`);
  }
  // The scopes that could not be read, and the policy's expired exceptions, once.
  const rest = auditResult({ ...skeleton, clusters: [] }, policy, { now });
  for (const item of rest.result.findings) findings.push(item);
  countFindings(rest.result.findings, summary);
  const list = findings.result();
  const stats: AuditStats = {
    accounts: accounts.size,
    regions: skeleton.scope.regions.length,
    clusters: clusterCount,
    ...totals,
    ...(skeleton.serverTime !== undefined ? { serverTime: skeleton.serverTime } : {}),
  };
  return {
    result: {
      findings: list,
      skipped: [],
      errors: rest.result.errors,
      summary: { ...summary, refsFound: totals.references },
      live: {
        source: 'ecs',
        ...(skeleton.serverTime !== undefined ? { asOf: skeleton.serverTime } : {}),
        unit: 'service',
        workloads: totals.services + totals.taskGroups,
        scope: auditScope(stats),
        inventory,
      },
    },
    stats,
    head: head as unknown as SnapshotHead,
  };
}

/** A task definition with what judging reads (containers' names, images and settings), its strings shared. */
function compactTaskDefinition(td: SnapshotTaskDefinition, share: (s: string | undefined) => string | undefined): SnapshotTaskDefinition {
  return {
    arn: td.arn,
    ...(td.family !== undefined ? { family: share(td.family)! } : {}),
    ...(td.revision !== undefined ? { revision: td.revision } : {}),
    containers: Array.isArray(td.containers)
      ? td.containers.map((c) => ({
          ...(c.name !== undefined ? { name: share(c.name)! } : {}),
          ...(c.image !== undefined ? { image: share(c.image)! } : {}),
          ...(c.essential !== undefined ? { essential: c.essential } : {}),
          ...(c.firelens !== undefined ? { firelens: c.firelens } : {}),
          ...(c.versionConsistency !== undefined ? { versionConsistency: share(c.versionConsistency)! } : {}),
        }))
      : td.containers,
  };
}

/** A service revision with what judging reads (its task definition and the digests it resolved), its strings shared. */
function compactRevision(revision: SnapshotServiceRevision, share: (s: string | undefined) => string | undefined): SnapshotServiceRevision {
  return {
    arn: revision.arn,
    ...(revision.taskDefinition !== undefined ? { taskDefinition: share(revision.taskDefinition)! } : {}),
    containerImages: Array.isArray(revision.containerImages)
      ? revision.containerImages.map((ci) => ({
          ...(ci.containerName !== undefined ? { containerName: share(ci.containerName)! } : {}),
          ...(ci.image !== undefined ? { image: share(ci.image)! } : {}),
          ...(ci.imageDigest !== undefined ? { imageDigest: share(ci.imageDigest)! } : {}),
        }))
      : revision.containerImages,
  };
}

/** Thrown by mergeSnapshots when shards overlap: exit 2, nothing written. */
export class ShardOverlapError extends SnapshotFileError {}

export interface MergeOptions {
  /** `<account>/<region>` pairs the merge expects; any not covered by a shard is recorded as incomplete. */
  expect?: ReadonlyArray<{ account: string; region: string }>;
  /** Where to write the merged snapshot. */
  output: string;
  /** Called for each shard read (progress). */
  onShard?: (done: number, total: number) => void;
}

export interface MergeOutcome {
  shards: ShardSummary[];
  /** Shards that could not be read or were not snapshots, with the reason (their scopes are missing). */
  unreadable: Array<{ file: string; reason: string }>;
  /** Expected `<account>/<region>` pairs no shard covered. */
  missing: string[];
  clusters: number;
}

/** The `<account>/<region>` pairs a shard covers: its accounts (or its clusters' accounts) × its regions. */
export function shardPairs(snapshot: Pick<EcsSnapshot, 'accounts' | 'clusters' | 'scope'>): string[] {
  const accounts = new Set((snapshot.accounts ?? []).map((a) => a.accountId));
  for (const cluster of snapshot.clusters) if (cluster.accountId) accounts.add(cluster.accountId);
  const pairs: string[] = [];
  for (const account of [...accounts].sort()) for (const region of [...snapshot.scope.regions].sort()) pairs.push(`${account}/${region}`);
  return pairs;
}

function mergeImage(a: SnapshotImage, b: SnapshotImage): SnapshotImage {
  // The later answer says what the registry serves now; digests known to either are kept.
  const [older, newer] = (a.checkedAt ?? '') <= (b.checkedAt ?? '') ? [a, b] : [b, a];
  const digests = { ...older.digests };
  for (const [digest, facts] of Object.entries(newer.digests)) digests[digest] = { ...digests[digest], ...facts };
  return { ...newer, digests: Object.fromEntries(Object.entries(digests).sort(([x], [y]) => x.localeCompare(y))) };
}

/** A temporary file a section of the merged snapshot is written to, an item at a time. */
class Section {
  readonly path: string;
  private readonly fd: number;
  count = 0;
  bytes = 0;
  private closed = false;

  constructor(dir: string, name: string) {
    this.path = join(dir, name);
    this.fd = openSync(this.path, 'w+', 0o600);
  }

  write(prefix: string, item: Buffer): void {
    const head = Buffer.from(`${this.count === 0 ? '' : ',\n'}${prefix}`, 'utf8');
    for (const part of [head, item]) {
      let written = 0;
      while (written < part.length) written += writeSync(this.fd, part, written, part.length - written, this.bytes + written);
      this.bytes += part.length;
    }
    this.count += 1;
  }

  /** Where the section is now, to go back to when a shard turns out unusable. */
  mark(): { count: number; bytes: number } {
    return { count: this.count, bytes: this.bytes };
  }

  rollback(mark: { count: number; bytes: number }): void {
    ftruncateSync(this.fd, mark.bytes);
    this.count = mark.count;
    this.bytes = mark.bytes;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
  }
}

/**
 * Merges shard snapshots (one per account × region, written by `audit ecs --snapshot` in parallel
 * jobs) into one snapshot file, written atomically. Each shard is read once, as a stream: its
 * clusters, task definitions and service revisions are copied byte for byte (each checked as JSON)
 * into temporary files, a shard at a time; registry facts, repositories, incomplete scopes and API
 * call counts are combined. Shards are taken in the order of their file names. Shards that cover
 * the same account and region (or hold the same cluster) refuse the merge (ShardOverlapError,
 * nothing written); expected pairs no shard covers, and shards that cannot be read, become
 * `incomplete` entries (`audit-incomplete` findings), never silent gaps.
 */
export function mergeSnapshots(files: readonly string[], options: MergeOptions): MergeOutcome {
  const ordered = [...files].sort((a, b) => basename(a).localeCompare(basename(b)) || a.localeCompare(b));
  const unreadable: MergeOutcome['unreadable'] = [];
  const owner = new Map<string, string>();
  const clusterOwner = new Map<string, string>();
  const dir = mkdtempSync(join(tmpdir(), 'imagedrift-merge-'));
  const sections = { clusters: new Section(dir, 'clusters'), taskDefinitions: new Section(dir, 'task-definitions'), serviceRevisions: new Section(dir, 'service-revisions') };
  try {
    const images: Record<string, SnapshotImage> = {};
    const repositories = new Map<string, SnapshotRepository>();
    const incomplete: SnapshotIncomplete[] = [];
    const calls: Record<string, number> = {};
    const accounts = new Map<string, SnapshotAccount>();
    const regions = new Set<string>();
    const clusterGlobs = new Set<string>();
    const serviceGlobs = new Set<string>();
    const roleArns = new Set<string>();
    const summaries: ShardSummary[] = [];
    let startedAt: string | undefined;
    let finishedAt: string | undefined;
    let serverTime: string | undefined;
    let clusters = 0;
    for (const [i, file] of ordered.entries()) {
      const marks = { clusters: sections.clusters.mark(), taskDefinitions: sections.taskDefinitions.mark(), serviceRevisions: sections.serviceRevisions.mark() };
      const shardClusters: Array<{ arn: string; accountId: string }> = [];
      let head: Record<string, unknown>;
      try {
        let bad: string | undefined;
        head = streamJsonFile(file, {
          split: BIG_SECTIONS,
          raw: BIG_SECTIONS,
          onItem: (path, key, value) => {
            const bytes = value as Buffer;
            let parsed: unknown;
            try {
              parsed = JSON.parse(bytes.toString('utf8'));
            } catch (err) {
              bad ??= `\`${path}\` holds an item that is not JSON: ${err instanceof Error ? err.message : String(err)}`;
              return;
            }
            if (path === 'clusters') {
              const cluster = parsed as SnapshotCluster;
              const problem = snapshotProblem({ schema: SNAPSHOT_SCHEMA, source: 'ecs', scope: { regions: [] }, clusters: [cluster], repositories: [], incomplete: [], taskDefinitions: {}, serviceRevisions: {} });
              if (problem !== undefined) {
                bad ??= problem.replace('clusters[0]', `clusters[${key}]`);
                return;
              }
              shardClusters.push({ arn: cluster.arn, accountId: cluster.accountId });
              sections.clusters.write('    ', bytes);
            } else {
              (path === 'taskDefinitions' ? sections.taskDefinitions : sections.serviceRevisions).write(`    ${JSON.stringify(key)}: `, bytes);
            }
          },
        });
        const skeleton = { ...head, clusters: [], taskDefinitions: {}, serviceRevisions: {} };
        const problem = bad ?? snapshotProblem(skeleton);
        if (problem !== undefined) throw new SnapshotFileError(`${file}: not an imagedrift ECS snapshot: ${problem}`);
      } catch (err) {
        for (const key of Object.keys(sections) as Array<keyof typeof sections>) sections[key].rollback(marks[key]);
        const problem = err instanceof SnapshotFileError ? err : streamProblem(file, err);
        unreadable.push({ file, reason: problem.message });
        options.onShard?.(i + 1, ordered.length);
        continue;
      }
      const snapshot = head as unknown as EcsSnapshot;
      const pairs = shardPairs({ ...snapshot, clusters: shardClusters as EcsSnapshot['clusters'] });
      for (const pair of pairs) {
        const other = owner.get(pair);
        if (other !== undefined) throw new ShardOverlapError(`${other} and ${file} both cover ${pair}: shards must not overlap (one account and region each)`);
        owner.set(pair, file);
      }
      for (const cluster of shardClusters) {
        const other = clusterOwner.get(cluster.arn);
        if (other !== undefined) throw new ShardOverlapError(`${other} and ${file} both hold cluster ${cluster.arn}: shards must not overlap`);
        clusterOwner.set(cluster.arn, file);
      }
      clusters += shardClusters.length;
      for (const [ref, image] of Object.entries(snapshot.images ?? {})) images[ref] = images[ref] === undefined ? image : mergeImage(images[ref], image);
      for (const repo of snapshot.repositories) {
        const key = `${repo.registryId}/${repo.region}/${repo.name}`;
        const seen = repositories.get(key);
        if (seen === undefined || (!seen.found && repo.found)) repositories.set(key, repo);
      }
      for (const item of snapshot.incomplete) incomplete.push(item);
      for (const [op, n] of Object.entries(snapshot.calls ?? {})) calls[op] = (calls[op] ?? 0) + n;
      for (const account of snapshot.accounts ?? []) if (!accounts.has(account.accountId)) accounts.set(account.accountId, account);
      for (const cluster of shardClusters) if (cluster.accountId && !accounts.has(cluster.accountId)) accounts.set(cluster.accountId, { accountId: cluster.accountId });
      for (const region of snapshot.scope.regions) regions.add(region);
      for (const glob of snapshot.scope.clusters ?? []) clusterGlobs.add(glob);
      for (const glob of snapshot.scope.services ?? []) serviceGlobs.add(glob);
      for (const arn of snapshot.scope.roleArns ?? []) roleArns.add(arn);
      if (startedAt === undefined || snapshot.startedAt < startedAt) startedAt = snapshot.startedAt;
      if (finishedAt === undefined || snapshot.finishedAt > finishedAt) finishedAt = snapshot.finishedAt;
      if (snapshot.serverTime !== undefined && (serverTime === undefined || snapshot.serverTime > serverTime)) serverTime = snapshot.serverTime;
      summaries.push({
        file: basename(file),
        accounts: [...new Set(pairs.map((p) => p.slice(0, p.indexOf('/'))))],
        regions: [...snapshot.scope.regions].sort(),
        startedAt: snapshot.startedAt,
        finishedAt: snapshot.finishedAt,
        clusters: shardClusters.length,
      });
      options.onShard?.(i + 1, ordered.length);
    }
    // Expected scopes nobody covered, and shards that could not be read: audit-incomplete, not silence.
    const missing: string[] = [];
    for (const { account, region } of options.expect ?? []) {
      const pair = `${account}/${region}`;
      if (owner.has(pair)) continue;
      missing.push(pair);
      regions.add(region);
      if (!accounts.has(account)) accounts.set(account, { accountId: account });
      incomplete.push({ scope: 'region', id: region, region, accountId: account, operation: 'merge', code: 'ShardMissing', reason: `no shard snapshot covers account ${account} in ${region}: its job failed or did not upload its snapshot` });
    }
    for (const bad of unreadable) {
      incomplete.push({ scope: 'account', id: basename(bad.file), operation: 'merge', code: 'ShardUnreadable', reason: bad.reason });
    }
    for (const section of Object.values(sections)) section.close();

    const merged: SnapshotHead = {
      schema: SNAPSHOT_SCHEMA,
      source: 'ecs',
      startedAt: startedAt ?? new Date().toISOString(),
      finishedAt: finishedAt ?? new Date().toISOString(),
      ...(serverTime !== undefined ? { serverTime } : {}),
      scope: { regions: [...regions].sort(), clusters: [...clusterGlobs].sort(), services: [...serviceGlobs].sort(), ...(roleArns.size > 0 ? { roleArns: [...roleArns].sort() } : {}) },
      accounts: [...accounts.values()].sort((a, b) => a.accountId.localeCompare(b.accountId)),
      repositories: [...repositories.values()].sort((a, b) => `${a.registryId}/${a.region}/${a.name}`.localeCompare(`${b.registryId}/${b.region}/${b.name}`)),
      images: Object.fromEntries(Object.entries(images).sort(([a], [b]) => a.localeCompare(b))),
      incomplete,
      calls: Object.fromEntries(Object.entries(calls).sort(([a], [b]) => a.localeCompare(b))),
      shards: summaries,
    };
    writeMerged(options.output, merged, sections);
    return { shards: summaries, unreadable, missing, clusters };
  } finally {
    for (const section of Object.values(sections)) section.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function indented(value: unknown, pad: string): string {
  return JSON.stringify(value, null, 2).replace(/\n/g, `\n${pad}`);
}

/** The merged document, in the documented field order, written atomically from the head and the section files. */
function writeMerged(output: string, head: SnapshotHead, sections: Record<'clusters' | 'taskDefinitions' | 'serviceRevisions', Section>): void {
  const target = resolve(output);
  mkdirSync(dirname(target), { recursive: true });
  const tmp = join(dirname(target), `.${basename(target)}.imagedrift-${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
  const fd = openSync(tmp, 'wx', 0o644);
  const put = (text: string) => {
    const bytes = Buffer.from(text, 'utf8');
    let written = 0;
    while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
  };
  const copy = (section: Section) => {
    const src = openSync(section.path, 'r');
    try {
      const buffer = Buffer.alloc(1 << 20);
      for (let read = readSync(src, buffer); read > 0; read = readSync(src, buffer)) {
        let written = 0;
        while (written < read) written += writeSync(fd, buffer, written, read - written);
      }
    } finally {
      closeSync(src);
    }
  };
  const field = (key: string, value: unknown, last = false) => put(`  ${JSON.stringify(key)}: ${indented(value, '  ')}${last ? '' : ','}\n`);
  const big = (key: string, section: Section, open: string, close: string) => {
    if (section.count === 0) {
      put(`  ${JSON.stringify(key)}: ${open}${close},\n`);
      return;
    }
    put(`  ${JSON.stringify(key)}: ${open}\n`);
    copy(section);
    put(`\n  ${close},\n`);
  };
  try {
    put('{\n');
    field('schema', head.schema);
    field('source', head.source);
    field('startedAt', head.startedAt);
    field('finishedAt', head.finishedAt);
    if (head.serverTime !== undefined) field('serverTime', head.serverTime);
    field('scope', head.scope);
    if (head.accounts !== undefined) field('accounts', head.accounts);
    big('clusters', sections.clusters, '[', ']');
    big('taskDefinitions', sections.taskDefinitions, '{', '}');
    big('serviceRevisions', sections.serviceRevisions, '{', '}');
    field('repositories', head.repositories);
    if (head.images !== undefined) field('images', head.images);
    field('incomplete', head.incomplete);
    field('calls', head.calls);
    field('shards', head.shards ?? [], true);
    put('}\n');
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, target);
  } catch (err) {
    try {
      closeSync(fd);
    } catch {
      // already closed
    }
    rmSync(tmp, { force: true });
    throw err;
  }
}
