// Reading and writing `imagedrift.snapshot/v1` files (`audit ecs --snapshot` / `--from-snapshot`).
// A file that is not a snapshot is refused with the reason, before anything is judged.
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, renameSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { streamJsonFile } from '../sources/json-stream.js';
import type { InventoryWorkload, LiveAudit } from '../core/inventory.js';
import type { ScanResult } from '../core/types.js';
import { writeFileAtomic } from '../fix/atomic-write.js';
import type { Policy } from '../policy/types.js';
import { FindingStore } from '../scan/finding-store.js';
import { emptySummary, summarise } from '../scan/scan.js';
import { SNAPSHOT_SCHEMA } from '../sources/ecs-live.js';
import type {
  EcsSnapshot,
  SnapshotAccount,
  SnapshotCluster,
  SnapshotImage,
  SnapshotIncomplete,
  SnapshotRepository,
  SnapshotServiceRevision,
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

export function readSnapshot(file: string): EcsSnapshot {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new SnapshotFileError(`${file}: cannot read: ${code === 'ENOENT' ? 'no such file' : (code ?? String(err))}`);
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
  const taskDefinitions: Record<string, SnapshotTaskDefinition> = {};
  const serviceRevisions: Record<string, SnapshotServiceRevision> = {};
  let clusterCount = 0;
  let head: Record<string, unknown>;
  try {
    head = streamJsonFile(file, {
      split: BIG_SECTIONS,
      onItem: (path, key, value) => {
        if (path === 'clusters') clusterCount += 1;
        else if (path === 'taskDefinitions') taskDefinitions[key as string] = value as SnapshotTaskDefinition;
        else if (path === 'serviceRevisions') serviceRevisions[key as string] = value as SnapshotServiceRevision;
      },
    });
  } catch (err) {
    throw streamProblem(file, err);
  }
  const skeleton = { ...head, clusters: [], taskDefinitions, serviceRevisions } as unknown as EcsSnapshot;
  const problem = snapshotProblem(skeleton);
  if (problem !== undefined) throw new SnapshotFileError(`${file}: not an imagedrift ECS snapshot: ${problem}`);
  const now = options.now ?? snapshotDate(skeleton);

  const findings = new FindingStore();
  const inventory: InventoryWorkload[] = [];
  const accounts = new Set((skeleton.accounts ?? []).map((a) => a.accountId));
  const totals = { services: 0, taskGroups: 0, tasks: 0, references: 0 };
  let done = 0;
  let invalid: string | undefined;
  const judgeCluster = (cluster: SnapshotCluster, index: number) => {
    const check = snapshotProblem({ ...skeleton, clusters: [cluster], taskDefinitions: {}, serviceRevisions: {} });
    if (check !== undefined) {
      invalid ??= check.replace('clusters[0]', `clusters[${index}]`);
      return;
    }
    if (cluster.accountId) accounts.add(cluster.accountId);
    const part = auditResult({ ...skeleton, clusters: [cluster], incomplete: [] }, policy, { now });
    findings.push(...part.result.findings.filter((f) => f.ruleId !== 'expired-exception'));
    inventory.push(...part.result.live.inventory);
    totals.services += part.stats.services;
    totals.taskGroups += part.stats.taskGroups;
    totals.tasks += part.stats.tasks;
    totals.references += part.stats.references;
    options.onCluster?.(++done);
  };
  try {
    streamJsonFile(file, {
      split: BIG_SECTIONS,
      onItem: (path, key, value) => {
        if (path === 'clusters') judgeCluster(value as SnapshotCluster, key as number);
      },
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
  findings.push(...rest.result.findings);
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
      summary: summarise(list, { ...emptySummary(), refsFound: totals.references }),
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

  constructor(dir: string, name: string) {
    this.path = join(dir, name);
    this.fd = openSync(this.path, 'w', 0o600);
  }

  write(text: string): void {
    const bytes = Buffer.from(`${this.count === 0 ? '' : ',\n'}${text}`, 'utf8');
    let written = 0;
    while (written < bytes.length) written += writeSync(this.fd, bytes, written, bytes.length - written);
    this.count += 1;
  }

  close(): void {
    closeSync(this.fd);
  }
}

function indented(value: unknown, pad: string): string {
  return JSON.stringify(value, null, 2).replace(/\n/g, `\n${pad}`);
}

/**
 * Merges shard snapshots (one per account × region, written by `audit ecs --snapshot` in parallel
 * jobs) into one snapshot file, written atomically: clusters, task definitions and service
 * revisions are copied a shard at a time through temporary files; registry facts, repositories,
 * incomplete scopes and API call counts are combined. Shards that cover the same account and
 * region refuse the merge (ShardOverlapError); expected pairs no shard covers, and shards that
 * cannot be read, become `incomplete` entries (`audit-incomplete` findings), never silent gaps.
 */
export function mergeSnapshots(files: readonly string[], options: MergeOptions): MergeOutcome {
  // Read each shard's head and pairs first, to refuse overlaps before writing anything.
  const shards: Array<{ file: string; snapshot: EcsSnapshot; pairs: string[] }> = [];
  const unreadable: MergeOutcome['unreadable'] = [];
  const owner = new Map<string, string>();
  const clusterOwner = new Map<string, string>();
  for (const [i, file] of files.entries()) {
    let snapshot: EcsSnapshot;
    try {
      snapshot = readSnapshot(file);
    } catch (err) {
      unreadable.push({ file, reason: err instanceof Error ? err.message : String(err) });
      options.onShard?.(i + 1, files.length);
      continue;
    }
    const pairs = shardPairs(snapshot);
    for (const pair of pairs) {
      const other = owner.get(pair);
      if (other !== undefined) throw new ShardOverlapError(`${other} and ${file} both cover ${pair}: shards must not overlap (one account and region each)`);
      owner.set(pair, file);
    }
    for (const cluster of snapshot.clusters) {
      const other = clusterOwner.get(cluster.arn);
      if (other !== undefined) throw new ShardOverlapError(`${other} and ${file} both hold cluster ${cluster.arn}: shards must not overlap`);
      clusterOwner.set(cluster.arn, file);
    }
    // Only the pairs and cluster ARNs are kept for now: each shard is read again when it is copied.
    shards.push({ file, snapshot: { ...snapshot, clusters: [], taskDefinitions: {}, serviceRevisions: {} }, pairs });
    options.onShard?.(i + 1, files.length * 2);
  }
  shards.sort((a, b) => (a.pairs[0] ?? a.file).localeCompare(b.pairs[0] ?? b.file));

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
    for (const [i, shard] of shards.entries()) {
      const snapshot = readSnapshot(shard.file);
      for (const cluster of snapshot.clusters) sections.clusters.write(`    ${indented(cluster, '    ')}`);
      for (const [arn, td] of Object.entries(snapshot.taskDefinitions)) sections.taskDefinitions.write(`    ${JSON.stringify(arn)}: ${indented(td, '    ')}`);
      for (const [arn, revision] of Object.entries(snapshot.serviceRevisions)) sections.serviceRevisions.write(`    ${JSON.stringify(arn)}: ${indented(revision, '    ')}`);
      clusters += snapshot.clusters.length;
      for (const [ref, image] of Object.entries(snapshot.images ?? {})) images[ref] = images[ref] === undefined ? image : mergeImage(images[ref], image);
      for (const repo of snapshot.repositories) {
        const key = `${repo.registryId}/${repo.region}/${repo.name}`;
        const seen = repositories.get(key);
        if (seen === undefined || (!seen.found && repo.found)) repositories.set(key, repo);
      }
      incomplete.push(...snapshot.incomplete);
      for (const [op, n] of Object.entries(snapshot.calls)) calls[op] = (calls[op] ?? 0) + n;
      for (const account of snapshot.accounts ?? []) if (!accounts.has(account.accountId)) accounts.set(account.accountId, account);
      for (const cluster of snapshot.clusters) if (cluster.accountId && !accounts.has(cluster.accountId)) accounts.set(cluster.accountId, { accountId: cluster.accountId });
      for (const region of snapshot.scope.regions) regions.add(region);
      for (const glob of snapshot.scope.clusters) clusterGlobs.add(glob);
      for (const glob of snapshot.scope.services) serviceGlobs.add(glob);
      for (const arn of snapshot.scope.roleArns ?? []) roleArns.add(arn);
      if (startedAt === undefined || snapshot.startedAt < startedAt) startedAt = snapshot.startedAt;
      if (finishedAt === undefined || snapshot.finishedAt > finishedAt) finishedAt = snapshot.finishedAt;
      if (snapshot.serverTime !== undefined && (serverTime === undefined || snapshot.serverTime > serverTime)) serverTime = snapshot.serverTime;
      summaries.push({
        file: basename(shard.file),
        accounts: [...new Set(shard.pairs.map((p) => p.slice(0, p.indexOf('/'))))],
        regions: [...snapshot.scope.regions].sort(),
        startedAt: snapshot.startedAt,
        finishedAt: snapshot.finishedAt,
        clusters: snapshot.clusters.length,
      });
      options.onShard?.(files.length + i + 1, files.length * 2);
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
    rmSync(dir, { recursive: true, force: true });
  }
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
