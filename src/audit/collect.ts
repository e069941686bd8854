// `imagedrift audit ecs`, live: enumerate ECS as each identity (the default credentials, or one
// assumed role per `--role-arn`), merge what was seen into one snapshot, then ask the registries
// about every unique image reference in use. The result is the `imagedrift.snapshot/v1` document
// that `--snapshot` writes and `--from-snapshot` judges again.
import { createResolver } from '../resolve/create.js';
import type { ResolverSettings } from '../resolve/create.js';
import { AwsClients, AwsCredentialsError, awsErrorMessage, awsErrorName } from '../sources/aws-clients.js';
import type { AwsClientOptions } from '../sources/aws-clients.js';
import { callerAccount, collectEcsSnapshot, SNAPSHOT_SCHEMA, startProgress } from '../sources/ecs-live.js';
import type { EcsProgress, EcsSnapshot, SnapshotAccount, SnapshotIncomplete, SnapshotRepository, SnapshotServiceRevision, SnapshotTaskDefinition } from '../sources/ecs-live.js';
import { gatherRegistryFacts } from './registry-facts.js';

export interface AuditProgress extends EcsProgress {
  /** Which identity of how many (several with `--role-arn`). */
  identity: number;
  identities: number;
  /** Registry look-ups (ECR repositories and other references) done and to do. */
  registryDone: number;
  registryTotal: number;
}

export interface LiveAuditOptions {
  regions: string[];
  clusters?: string[];
  services?: string[];
  profile?: string;
  /** One role per account to audit; none: the default credentials. */
  roleArns?: string[];
  /** Clusters (and registry look-ups) in flight at a time. Default 4. */
  concurrency?: number;
  /** SDK settings for every client (tests set maxAttempts, timeouts). */
  aws?: AwsClientOptions;
  /** For the non-ECR registries (createResolver). The cache is never used: an audit asks what is served now. */
  resolver?: Omit<ResolverSettings, 'noCache' | 'offline' | 'profile'>;
  onProgress?: (p: AuditProgress) => void;
}

function accountOfRole(roleArn: string): string {
  return roleArn.split(':')[4] ?? '';
}

/** Merge the snapshots of several identities (each cluster, task definition, revision, repository once). */
function merge(parts: EcsSnapshot[], scope: EcsSnapshot['scope']): EcsSnapshot {
  const clusters = new Map<string, EcsSnapshot['clusters'][number]>();
  const taskDefinitions: Record<string, SnapshotTaskDefinition> = {};
  const serviceRevisions: Record<string, SnapshotServiceRevision> = {};
  const repositories = new Map<string, SnapshotRepository>();
  const incomplete: SnapshotIncomplete[] = [];
  for (const part of parts) {
    for (const c of part.clusters) if (!clusters.has(c.arn)) clusters.set(c.arn, c);
    Object.assign(taskDefinitions, part.taskDefinitions);
    Object.assign(serviceRevisions, part.serviceRevisions);
    for (const r of part.repositories) {
      const key = `${r.registryId}/${r.region}/${r.name}`;
      const seen = repositories.get(key);
      if (seen === undefined || (!seen.found && r.found)) repositories.set(key, r);
    }
    for (const entry of part.incomplete) incomplete.push(entry);
  }
  const sortedRecord = <T>(r: Record<string, T>): Record<string, T> => Object.fromEntries(Object.entries(r).sort(([a], [b]) => a.localeCompare(b)));
  return {
    schema: SNAPSHOT_SCHEMA,
    source: 'ecs',
    startedAt: parts[0]?.startedAt ?? new Date().toISOString(),
    finishedAt: parts.at(-1)?.finishedAt ?? new Date().toISOString(),
    scope,
    clusters: [...clusters.values()],
    taskDefinitions: sortedRecord(taskDefinitions),
    serviceRevisions: sortedRecord(serviceRevisions),
    repositories: [...repositories.values()].sort((a, b) => `${a.registryId}/${a.region}/${a.name}`.localeCompare(`${b.registryId}/${b.region}/${b.name}`)),
    incomplete,
    calls: {},
  };
}

/**
 * Enumerate, merge, gather registry facts. Missing, expired or invalid base credentials throw one
 * AwsCredentialsError; a role that cannot be assumed makes its account `incomplete` and the others
 * complete.
 */
export async function collectLiveSnapshot(options: LiveAuditOptions): Promise<EcsSnapshot> {
  const startedAt = new Date().toISOString();
  const roles = options.roleArns ?? [];
  const identities: Array<{ roleArn?: string }> = roles.length > 0 ? roles.map((roleArn) => ({ roleArn })) : [{}];
  const clients: Array<{ clients: AwsClients; account?: string; ok: boolean }> = [];
  const parts: EcsSnapshot[] = [];
  const accounts: SnapshotAccount[] = [];
  const incomplete: SnapshotIncomplete[] = [];
  const progress: AuditProgress = {
    ...startProgress(),
    identity: 0,
    identities: identities.length,
    registryDone: 0,
    registryTotal: 0,
  };
  const region = options.regions[0] ?? 'us-east-1';
  let resolver: ReturnType<typeof createResolver> | undefined;
  try {
    for (const [i, identity] of identities.entries()) {
      const c = new AwsClients({
        ...options.aws,
        ...(options.profile !== undefined ? { profile: options.profile } : {}),
        ...(identity.roleArn !== undefined ? { roleArn: identity.roleArn, roleSessionName: 'imagedrift-audit' } : {}),
      });
      const entry: (typeof clients)[number] = { clients: c, ok: false };
      clients.push(entry);
      const account = identity.roleArn !== undefined ? accountOfRole(identity.roleArn) : undefined;
      progress.identity = i + 1;
      const before = { ...progress };
      try {
        const part = await collectEcsSnapshot({
          regions: options.regions,
          ...(options.clusters !== undefined ? { clusters: options.clusters } : {}),
          ...(options.services !== undefined ? { services: options.services } : {}),
          clients: c,
          ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
          onProgress: (p) => {
            Object.assign(progress, {
              phase: p.phase,
              clustersTotal: before.clustersTotal + p.clustersTotal,
              clustersDone: before.clustersDone + p.clustersDone,
              servicesTotal: before.servicesTotal + p.servicesTotal,
              servicesDone: before.servicesDone + p.servicesDone,
              tasksTotal: before.tasksTotal + p.tasksTotal,
              tasksDone: before.tasksDone + p.tasksDone,
            });
            options.onProgress?.({ ...progress });
          },
        });
        // Cluster ARNs name the account; only when there is none is STS asked (GetCallerIdentity needs no permission).
        const who = account ?? (part.clusters[0]?.accountId || (await callerAccount(c, region)));
        for (const entry of part.incomplete) if (entry.accountId === undefined && who !== undefined) entry.accountId = who;
        parts.push(part);
        entry.ok = true;
        if (who !== undefined) entry.account = who;
        if (who !== undefined) accounts.push({ accountId: who, ...(identity.roleArn !== undefined ? { roleArn: identity.roleArn } : {}) });
      } catch (err) {
        // A role that cannot be assumed (denied, does not exist) costs its account, not the audit.
        if (!(err instanceof AwsCredentialsError) || err.problem !== 'assume-role-failed' || identity.roleArn === undefined) throw err;
        const cause = err.cause ?? err;
        incomplete.push({
          scope: 'account',
          id: accountOfRole(identity.roleArn),
          accountId: accountOfRole(identity.roleArn),
          operation: 'AssumeRole',
          code: awsErrorName(cause) === 'Error' ? 'AssumeRoleFailed' : awsErrorName(cause),
          reason: `${identity.roleArn}: ${awsErrorMessage(cause)}`,
        });
        accounts.push({ accountId: accountOfRole(identity.roleArn), roleArn: identity.roleArn });
      }
    }
    const snapshot = merge(parts, {
      regions: [...new Set(options.regions)],
      clusters: options.clusters ?? [],
      services: options.services ?? [],
      ...(roles.length > 0 ? { roleArns: roles } : {}),
    });
    snapshot.startedAt = startedAt;
    snapshot.incomplete = [...incomplete, ...snapshot.incomplete];
    snapshot.accounts = accounts;

    // Registry facts, once per unique reference, with the credentials of the account that uses it.
    const working = clients.filter((c) => c.ok);
    const fallback = working[0]?.clients;
    const byAccount = new Map(working.filter((w) => w.account !== undefined).map((w) => [w.account!, w.clients]));
    const offsetClients = () => clients.find((c) => c.clients.clockOffsetMs() !== undefined)?.clients;
    const serverNow = () => Date.now() + (offsetClients()?.clockOffsetMs() ?? 0);
    resolver = createResolver({ ...options.resolver, noCache: true, ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}) });
    progress.phase = 'repositories';
    const facts = fallback === undefined ? { images: {}, incomplete: [] } : await gatherRegistryFacts(snapshot, {
      ecrClients: (account) => (account !== undefined ? byAccount.get(account) : undefined) ?? fallback,
      oci: resolver.session,
      ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
      serverNow,
      onProgress: (done, total) => {
        progress.registryDone = done;
        progress.registryTotal = total;
        options.onProgress?.({ ...progress });
      },
    });
    snapshot.images = facts.images;
    for (const entry of facts.incomplete) snapshot.incomplete.push(entry);

    // Times from AWS's clock: the last Date header any client saw, and the skew the SDK learnt.
    const latest = clients
      .map((c) => c.clients.lastServerDate)
      .filter((d): d is NonNullable<typeof d> => d !== undefined)
      .sort((a, b) => a.receivedAt - b.receivedAt)
      .at(-1);
    if (latest !== undefined && !Number.isNaN(Date.parse(latest.header))) snapshot.serverTime = new Date(Date.parse(latest.header)).toISOString();
    const offset = offsetClients()?.clockOffsetMs();
    if (offset !== undefined) snapshot.clockOffsetMs = Math.round(offset);
    const calls: Record<string, number> = {};
    for (const c of clients) for (const [op, n] of Object.entries(c.clients.stats.commands)) calls[op] = (calls[op] ?? 0) + n;
    snapshot.calls = Object.fromEntries(Object.entries(calls).sort(([a], [b]) => a.localeCompare(b)));
    snapshot.finishedAt = new Date().toISOString();
    progress.phase = 'done';
    options.onProgress?.({ ...progress });
    return orderKeys(snapshot);
  } finally {
    resolver?.close();
    for (const c of clients) c.clients.destroy();
  }
}

/** The documented field order, so that two nights' snapshots diff line by line. */
function orderKeys(s: EcsSnapshot): EcsSnapshot {
  return {
    schema: s.schema,
    source: s.source,
    startedAt: s.startedAt,
    finishedAt: s.finishedAt,
    ...(s.serverTime !== undefined ? { serverTime: s.serverTime } : {}),
    ...(s.clockOffsetMs !== undefined ? { clockOffsetMs: s.clockOffsetMs } : {}),
    scope: s.scope,
    ...(s.accounts !== undefined ? { accounts: s.accounts } : {}),
    clusters: s.clusters,
    taskDefinitions: s.taskDefinitions,
    serviceRevisions: s.serviceRevisions,
    repositories: s.repositories,
    ...(s.images !== undefined ? { images: s.images } : {}),
    incomplete: s.incomplete,
    calls: s.calls,
  };
}
