// Live ECS enumeration: what is actually running, with the fewest API calls, written as a plain
// JSON-serialisable observation (the `imagedrift.snapshot/v1` format).
//
// Per region:
//   ListClusters (100 a page)                       → filter by cluster globs
//   per cluster, at most `concurrency` clusters at a time:
//     ListServices (100 a page)                     → filter by service globs
//     DescribeServices (10 a call)                  → deployments[].taskDefinition, currentServiceRevisions
//     DescribeTaskDefinition (once per unique ARN in the whole run)
//     ListTasks (desiredStatus RUNNING, 100 a page; ONE listing per cluster, not per service)
//     DescribeTasks (100 a call)                    → containers[].image / imageDigest, grouped by `group`
//   DescribeServiceRevisions (20 ARNs a call, across the region's clusters) → containerImages[].imageDigest
//     (ListServiceDeployments only for a service whose DescribeServices carries no revision summary)
// Then, per ECR registry (account) and region: DescribeRepositories (100 names a call) for the
// repositories behind the images in use → imageTagMutability and its exclusion filters.
//
// Failures: AccessDenied (or any other error) on a region, cluster, task definition or registry
// becomes an `incomplete` entry and the rest continues; throttling is retried by the SDK; missing,
// expired or invalid credentials stop the run with one AwsCredentialsError.
//
// Also here, for `imagedrift audit ecs` (src/audit/): describeEcrImageIds (what ECR serves now for
// the tags and digests in use: DescribeImages, 100 image ids a call), callerAccount (STS
// GetCallerIdentity) and defaultRegion (the SDK's own region resolution).

import {
  DescribeServiceRevisionsCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ECSClient,
  ListClustersCommand,
  ListServiceDeploymentsCommand,
  ListServicesCommand,
  ListTasksCommand,
  type Service,
  type Task,
} from '@aws-sdk/client-ecs';
import { BatchGetImageCommand, DescribeImagesCommand, DescribeRepositoriesCommand, type ImageIdentifier, type Repository } from '@aws-sdk/client-ecr';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import picomatch from 'picomatch';
import { parseReference } from '../core/parse-reference.js';
import { parseEcrHost } from '../resolve/ecr-host.js';
import { mapLimit } from '../resolve/limit.js';
import {
  AwsClients,
  AwsCredentialsError,
  awsErrorMessage,
  awsErrorName,
  isAccessDenied,
  isUnsupported,
  toCredentialsError,
  withSkewRetry,
  type AwsClientOptions,
} from './aws-clients.js';

export const SNAPSHOT_SCHEMA = 'imagedrift.snapshot/v1';

/** API page and batch sizes used (the maxima the APIs accept). */
export const ECS_LIMITS = {
  listClustersPage: 100,
  listServicesPage: 100,
  describeServicesBatch: 10,
  listTasksPage: 100,
  describeTasksBatch: 100,
  describeServiceRevisionsBatch: 20,
  listServiceDeploymentsPage: 20,
  describeRepositoriesBatch: 100,
} as const;

// ------------------------------------------------------------------------------------------------
// Snapshot format (imagedrift.snapshot/v1). Every field is plain JSON; times are ISO-8601 strings.

export interface EcsSnapshot {
  schema: typeof SNAPSHOT_SCHEMA;
  source: 'ecs';
  /** Local clock when the collection started / finished. */
  startedAt: string;
  finishedAt: string;
  /** AWS's clock (the last `Date` response header), when any response was received. */
  serverTime?: string;
  /** Server minus local clock in ms, as learnt by the SDK (clock-skew correction). */
  clockOffsetMs?: number;
  /** The filters used; an empty list means "all". `roleArns`: the roles assumed (`audit ecs --role-arn`). */
  scope: { regions: string[]; clusters: string[]; services: string[]; roleArns?: string[] };
  clusters: SnapshotCluster[];
  /** Every task definition referenced by a service deployment or a task, by ARN. */
  taskDefinitions: Record<string, SnapshotTaskDefinition>;
  /** Current service revisions (ECS-resolved image digests), by ARN. */
  serviceRevisions: Record<string, SnapshotServiceRevision>;
  /** The private ECR repositories behind the images in use. */
  repositories: SnapshotRepository[];
  /** What could not be read, and why. An empty list means the snapshot is complete. */
  incomplete: SnapshotIncomplete[];
  /** API commands sent per operation (retries not counted). */
  calls: Record<string, number>;
  /**
   * The identities the audit ran as (`imagedrift audit ecs` only): one per `--role-arn`, or the
   * default credentials' account.
   */
  accounts?: SnapshotAccount[];
  /**
   * What each registry serves now for the image references in use (`imagedrift audit ecs` only),
   * keyed by the canonical reference as declared (`<registry>/<repository>[:tag][@digest]`).
   */
  images?: Record<string, SnapshotImage>;
}

export interface SnapshotAccount {
  accountId: string;
  /** The role assumed for this account (`--role-arn`); absent for the default credentials. */
  roleArn?: string;
}

/** Registry facts about one declared image reference, read once per unique reference. */
export interface SnapshotImage {
  /** `ecr` (private ECR, read with DescribeImages) or `oci` (any other registry, Distribution API). */
  source: 'ecr' | 'oci';
  /** When the registry answered, on AWS's clock (the local clock corrected by the learnt skew). */
  checkedAt?: string;
  /**
   * What the tag points at now (absent for a digest-only reference, a tag that is gone, or a
   * failure). `platforms`: when it is a multi-arch index and a digest in use differs from it, the
   * digests of its platform manifests (a task may report the one it pulled for its platform).
   */
  current?: { digest: string; versionTag?: string; platforms?: string[] };
  /** The tag no longer exists in the repository. */
  tagMissing?: boolean;
  /**
   * Each digest in use under this reference (run by tasks, resolved by a service revision, or
   * pinned by the reference): whether the registry still has it, and the version tag it carries.
   * `exists` is absent when it could not be checked.
   */
  digests: Record<string, { exists?: boolean; versionTag?: string }>;
  /** Why the registry could not answer (the reference then also has an `incomplete` entry). */
  failure?: string;
}

export interface SnapshotCluster {
  arn: string;
  name: string;
  region: string;
  accountId: string;
  services: SnapshotService[];
  /** Running tasks not started by a (listed) service: `group` is not `service:<name>`. */
  standaloneTasks: SnapshotTask[];
}

export interface SnapshotService {
  arn: string;
  name: string;
  status?: string;
  launchType?: string;
  desiredCount?: number;
  runningCount?: number;
  pendingCount?: number;
  /** The task definition the service is configured with (the PRIMARY deployment's). */
  taskDefinition?: string;
  deployments: SnapshotDeployment[];
  /** ARNs of the current service revisions (see EcsSnapshot.serviceRevisions). */
  serviceRevisionArns: string[];
  tasks: SnapshotTask[];
}

export interface SnapshotDeployment {
  id?: string;
  /** PRIMARY, ACTIVE (being replaced), INACTIVE. */
  status?: string;
  taskDefinition?: string;
  desiredCount?: number;
  runningCount?: number;
  pendingCount?: number;
  rolloutState?: string;
  createdAt?: string;
  updatedAt?: string;
}

export interface SnapshotTask {
  arn: string;
  taskDefinitionArn?: string;
  group?: string;
  lastStatus?: string;
  desiredStatus?: string;
  launchType?: string;
  startedAt?: string;
  containers: SnapshotContainer[];
}

export interface SnapshotContainer {
  name?: string;
  /** The image as the task definition wrote it (tag or digest). */
  image?: string;
  /** The digest the container actually runs. */
  imageDigest?: string;
  lastStatus?: string;
}

export interface SnapshotTaskDefinition {
  arn: string;
  family?: string;
  revision?: number;
  status?: string;
  registeredAt?: string;
  containers: SnapshotContainerDefinition[];
}

export interface SnapshotContainerDefinition {
  name?: string;
  image?: string;
  essential?: boolean;
  /** True when the container has a `firelensConfiguration` (a FireLens log router). */
  firelens?: boolean;
  /** `enabled` (ECS's default: the tag is resolved to a digest once per deployment) or `disabled`. */
  versionConsistency?: string;
}

export interface SnapshotServiceRevision {
  arn: string;
  serviceArn?: string;
  clusterArn?: string;
  taskDefinition?: string;
  createdAt?: string;
  containerImages: Array<{ containerName?: string; image?: string; imageDigest?: string }>;
}

export interface SnapshotRepository {
  registryId: string;
  region: string;
  name: string;
  uri?: string;
  /** MUTABLE | IMMUTABLE | MUTABLE_WITH_EXCLUSION | IMMUTABLE_WITH_EXCLUSION. */
  imageTagMutability?: string;
  /** Tag filters exempt from the mutability setting (`WILDCARD` filters such as `latest`). */
  exclusionFilters: Array<{ filterType?: string; filter?: string }>;
  /** False when DescribeRepositories said the repository does not exist. */
  found: boolean;
}

export type IncompleteScope = 'account' | 'region' | 'cluster' | 'task-definition' | 'service-revisions' | 'ecr-registry' | 'registry';

export interface SnapshotIncomplete {
  scope: IncompleteScope;
  /**
   * Account id, region name, cluster ARN, task-definition ARN, `<account>/<region>` for an ECR
   * registry, or `<registry>/<repository>` for the registry facts of an image.
   */
  id: string;
  region?: string;
  /** The account whose credentials met the failure (set by `audit ecs`, which may run as several). */
  accountId?: string;
  /** The API operation that failed. */
  operation: string;
  /** AWS error code, e.g. AccessDeniedException, UnsupportedFeatureException. */
  code: string;
  reason: string;
}

// ------------------------------------------------------------------------------------------------

/** Progress before the first call: every count 0, listing clusters. */
export function startProgress(): EcsProgress {
  return { phase: 'clusters', clustersTotal: 0, clustersDone: 0, servicesTotal: 0, servicesDone: 0, tasksTotal: 0, tasksDone: 0 };
}

export interface EcsProgress {
  phase: 'clusters' | 'services' | 'tasks' | 'revisions' | 'repositories' | 'done';
  clustersTotal: number;
  clustersDone: number;
  servicesTotal: number;
  servicesDone: number;
  tasksTotal: number;
  tasksDone: number;
}

export interface EcsLiveOptions {
  regions: string[];
  /** Cluster name globs (picomatch); empty or absent = all clusters. */
  clusters?: string[];
  /** Service name globs (picomatch); empty or absent = all services. */
  services?: string[];
  /** Shared client factory; created from `aws` when absent (and destroyed at the end). */
  clients?: AwsClients;
  aws?: AwsClientOptions;
  /** Clusters processed at a time (default 4). */
  concurrency?: number;
  /** Read service revisions (ECS-resolved digests); default true. */
  serviceRevisions?: boolean;
  /** Read the ECR repositories behind the images (tag mutability); default true. */
  repositories?: boolean;
  /** Keep running tasks that belong to no listed service (default true). */
  standaloneTasks?: boolean;
  onProgress?: (p: EcsProgress) => void;
}

// ------------------------------------------------------------------------------------------------
// Minimum call counts for a fleet shape (tests and benchmarks).

export interface FleetShapeCluster {
  /** Services in the cluster (all of them: ListServices pages over these). */
  services: number;
  /** Services matching the service globs (default: all). */
  matchedServices?: number;
  /** Tasks with desiredStatus RUNNING in the cluster (all of them). */
  tasks: number;
  /** Whether the cluster matches the cluster globs (default true). */
  matched?: boolean;
}

export interface FleetShape {
  regions: Array<{
    clusters: FleetShapeCluster[];
    /** Unique task-definition ARNs referenced by matched services' deployments and tasks. */
    taskDefinitions: number;
    /** Unique current service-revision ARNs of matched services (0 when revisions are off). */
    serviceRevisions?: number;
    /** Matched services whose DescribeServices had no `currentServiceRevisions`. */
    servicesWithoutRevisionSummary?: number;
  }>;
  /** Per ECR registry/region group: distinct repository names in use. */
  ecrRepositoryGroups?: number[];
}

export type EcsOperation =
  | 'ListClusters'
  | 'ListServices'
  | 'DescribeServices'
  | 'DescribeTaskDefinition'
  | 'ListTasks'
  | 'DescribeTasks'
  | 'ListServiceDeployments'
  | 'DescribeServiceRevisions'
  | 'DescribeRepositories';

const pages = (n: number, size: number) => Math.max(1, Math.ceil(n / size));
const batches = (n: number, size: number) => Math.ceil(n / size);

/**
 * The fewest calls per operation that enumerate `shape`: exactly what collectEcsSnapshot sends when
 * nothing fails (commands, not HTTP attempts: SDK retries are not counted). Each ECR repository
 * that no longer exists costs one more DescribeRepositories call (ECR fails the whole batch).
 */
export function minimumEcsCalls(shape: FleetShape): Record<EcsOperation, number> {
  const c: Record<EcsOperation, number> = {
    ListClusters: 0,
    ListServices: 0,
    DescribeServices: 0,
    DescribeTaskDefinition: 0,
    ListTasks: 0,
    DescribeTasks: 0,
    ListServiceDeployments: 0,
    DescribeServiceRevisions: 0,
    DescribeRepositories: 0,
  };
  for (const r of shape.regions) {
    c.ListClusters += pages(r.clusters.length, ECS_LIMITS.listClustersPage);
    for (const cl of r.clusters) {
      if (cl.matched === false) continue;
      c.ListServices += pages(cl.services, ECS_LIMITS.listServicesPage);
      c.DescribeServices += batches(cl.matchedServices ?? cl.services, ECS_LIMITS.describeServicesBatch);
      c.ListTasks += pages(cl.tasks, ECS_LIMITS.listTasksPage);
      c.DescribeTasks += batches(cl.tasks, ECS_LIMITS.describeTasksBatch);
    }
    c.DescribeTaskDefinition += r.taskDefinitions;
    c.ListServiceDeployments += r.servicesWithoutRevisionSummary ?? 0;
    c.DescribeServiceRevisions += batches(r.serviceRevisions ?? 0, ECS_LIMITS.describeServiceRevisionsBatch);
  }
  for (const n of shape.ecrRepositoryGroups ?? []) c.DescribeRepositories += batches(n, ECS_LIMITS.describeRepositoriesBatch);
  return c;
}

// ------------------------------------------------------------------------------------------------

const iso = (d: Date | undefined): string | undefined => (d instanceof Date && !Number.isNaN(d.getTime()) ? d.toISOString() : undefined);

/** Drop undefined values so the snapshot is stable plain JSON. */
function clean<T extends object>(o: T): T {
  for (const k of Object.keys(o) as Array<keyof T>) if (o[k] === undefined) delete o[k];
  return o;
}

function lastSegment(arn: string): string {
  const i = arn.lastIndexOf('/');
  return i === -1 ? arn : arn.slice(i + 1);
}

function accountOf(arn: string): string {
  return arn.split(':')[4] ?? '';
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function matcher(globs: string[] | undefined): ((name: string) => boolean) | undefined {
  if (!globs || globs.length === 0) return undefined;
  const m = picomatch(globs, { dot: true });
  return (name) => m(name);
}

function taskOf(t: Task): SnapshotTask {
  return clean({
    arn: t.taskArn ?? '',
    taskDefinitionArn: t.taskDefinitionArn,
    group: t.group,
    lastStatus: t.lastStatus,
    desiredStatus: t.desiredStatus,
    launchType: t.launchType,
    startedAt: iso(t.startedAt),
    containers: (t.containers ?? []).map((c) => clean({ name: c.name, image: c.image, imageDigest: c.imageDigest, lastStatus: c.lastStatus })),
  });
}

function serviceOf(s: Service): SnapshotService {
  return clean({
    arn: s.serviceArn ?? '',
    name: s.serviceName ?? lastSegment(s.serviceArn ?? ''),
    status: s.status,
    launchType: s.launchType,
    desiredCount: s.desiredCount,
    runningCount: s.runningCount,
    pendingCount: s.pendingCount,
    taskDefinition: s.taskDefinition,
    deployments: (s.deployments ?? []).map((d) =>
      clean({
        id: d.id,
        status: d.status,
        taskDefinition: d.taskDefinition,
        desiredCount: d.desiredCount,
        runningCount: d.runningCount,
        pendingCount: d.pendingCount,
        rolloutState: d.rolloutState,
        createdAt: iso(d.createdAt),
        updatedAt: iso(d.updatedAt),
      }),
    ),
    serviceRevisionArns: (s.currentServiceRevisions ?? []).map((r) => r.arn).filter((a): a is string => typeof a === 'string'),
    tasks: [],
  });
}

class Fatal extends Error {}

/** Enumerate live ECS (and the ECR repositories behind its images) into a snapshot. */
export async function collectEcsSnapshot(opts: EcsLiveOptions): Promise<EcsSnapshot> {
  const run = new Collector(opts);
  try {
    return await run.collect();
  } finally {
    run.dispose();
  }
}

class Collector {
  private readonly clients: AwsClients;
  private readonly ownsClients: boolean;
  private readonly concurrency: number;
  private readonly clusterMatch: ((n: string) => boolean) | undefined;
  private readonly serviceMatch: ((n: string) => boolean) | undefined;
  private readonly incomplete: SnapshotIncomplete[] = [];
  private readonly taskDefinitions = new Map<string, Promise<SnapshotTaskDefinition | undefined>>();
  private readonly serviceRevisions: Record<string, SnapshotServiceRevision> = {};
  /** Services whose DescribeServices carried no `currentServiceRevisions` (older API surface). */
  private readonly needsDeploymentListing: Array<{ region: string; clusterArn: string; service: SnapshotService }> = [];
  private fatal: AwsCredentialsError | undefined;
  private readonly progress: EcsProgress = startProgress();
  private readonly statsAtStart: Record<string, number>;

  constructor(private readonly opts: EcsLiveOptions) {
    this.ownsClients = opts.clients === undefined;
    this.clients = opts.clients ?? new AwsClients(opts.aws);
    this.concurrency = Math.max(1, opts.concurrency ?? 4);
    this.clusterMatch = matcher(opts.clusters);
    this.serviceMatch = matcher(opts.services);
    this.statsAtStart = { ...this.clients.stats.commands };
  }

  dispose(): void {
    if (this.ownsClients) this.clients.destroy();
  }

  /** mapLimit that stops starting work after a fatal error and waits for what is in flight. */
  private async each<T, R>(items: readonly T[], fn: (item: T) => Promise<R>): Promise<Array<R | undefined>> {
    return mapLimit(
      items,
      this.concurrency,
      async (item) => {
        try {
          return await fn(item);
        } catch (err) {
          if (err instanceof Fatal) return undefined;
          throw err;
        }
      },
      () => this.fatal !== undefined,
    );
  }

  private report(phase: EcsProgress['phase']): void {
    this.progress.phase = phase;
    this.opts.onProgress?.({ ...this.progress });
  }

  /**
   * Run one API call. Credentials problems become the run's single fatal error; anything else is
   * returned as an error for the caller to record as incomplete.
   */
  private async call<T>(fn: () => Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
    if (this.fatal) throw new Fatal();
    try {
      return { ok: true, value: await withSkewRetry(fn) };
    } catch (error) {
      const cred = toCredentialsError(error);
      if (cred) {
        this.fatal ??= cred;
        throw new Fatal();
      }
      if (this.fatal) throw new Fatal();
      return { ok: false, error };
    }
  }

  private note(scope: IncompleteScope, id: string, region: string | undefined, operation: string, error: unknown): void {
    this.incomplete.push(clean({ scope, id, region, operation, code: awsErrorName(error), reason: awsErrorMessage(error) }));
  }

  async collect(): Promise<EcsSnapshot> {
    const startedAt = new Date().toISOString();
    const regions = [...new Set(this.opts.regions)];
    const clusters: SnapshotCluster[] = [];
    try {
      // 1. Clusters, all regions at once (bounded).
      const listed = await this.each(regions, (region) => this.listClusters(region));
      if (this.fatal) throw new Fatal();
      const work: Array<{ region: string; arn: string }> = [];
      regions.forEach((region, i) => {
        for (const arn of listed[i] ?? []) {
          if (!this.clusterMatch || this.clusterMatch(lastSegment(arn))) work.push({ region, arn });
        }
      });
      this.progress.clustersTotal = work.length;
      this.report('clusters');

      // 2. Services and tasks, `concurrency` clusters at a time.
      const done = await this.each(work, (w) => this.cluster(w.region, w.arn));
      for (const c of done) if (c) clusters.push(c);
      if (this.fatal) throw new Fatal();

      // 3. Service revisions, batched across each region's clusters.
      if (this.opts.serviceRevisions !== false) {
        this.report('revisions');
        for (const region of regions) {
          await this.revisions(
            region,
            clusters.filter((c) => c.region === region),
          );
        }
      }

      // Task definitions (already fetched, deduplicated, during step 2).
      const taskDefinitions: Record<string, SnapshotTaskDefinition> = {};
      for (const [arn, p] of [...this.taskDefinitions.entries()].sort(([a], [b]) => a.localeCompare(b))) {
        const td = await p;
        if (td) taskDefinitions[arn] = td;
      }

      // 4. ECR repositories behind the images in use.
      let repositories: SnapshotRepository[] = [];
      if (this.opts.repositories !== false) {
        this.report('repositories');
        repositories = await this.repositories(clusters, taskDefinitions);
      }
      if (this.fatal) throw new Fatal();

      this.report('done');
      const calls: Record<string, number> = {};
      for (const [op, n] of Object.entries(this.clients.stats.commands)) {
        const d = n - (this.statsAtStart[op] ?? 0);
        if (d > 0) calls[op] = d;
      }
      const serverTime = this.clients.serverTime();
      const clockOffsetMs = this.clients.clockOffsetMs();
      return clean({
        schema: SNAPSHOT_SCHEMA,
        source: 'ecs' as const,
        startedAt,
        finishedAt: new Date().toISOString(),
        serverTime,
        clockOffsetMs: clockOffsetMs === undefined ? undefined : Math.round(clockOffsetMs),
        scope: { regions, clusters: this.opts.clusters ?? [], services: this.opts.services ?? [] },
        clusters,
        taskDefinitions,
        serviceRevisions: Object.fromEntries(Object.entries(this.serviceRevisions).sort(([a], [b]) => a.localeCompare(b))),
        repositories,
        incomplete: this.incomplete,
        calls,
      });
    } catch (err) {
      if (err instanceof Fatal && this.fatal) throw this.fatal;
      if (this.fatal) throw this.fatal;
      throw err;
    }
  }

  // ------------------------------------------------------------------------------------------

  private async listClusters(region: string): Promise<string[]> {
    const ecs = this.clients.ecs(region);
    const arns: string[] = [];
    let nextToken: string | undefined;
    do {
      const r = await this.call(() => ecs.send(new ListClustersCommand({ maxResults: ECS_LIMITS.listClustersPage, nextToken })));
      if (!r.ok) {
        this.note('region', region, region, 'ListClusters', r.error);
        return arns;
      }
      for (const arn of r.value.clusterArns ?? []) arns.push(arn);
      nextToken = r.value.nextToken;
    } while (nextToken);
    return arns;
  }

  private async cluster(region: string, clusterArn: string): Promise<SnapshotCluster> {
    const ecs = this.clients.ecs(region);
    const out: SnapshotCluster = {
      arn: clusterArn,
      name: lastSegment(clusterArn),
      region,
      accountId: accountOf(clusterArn),
      services: [],
      standaloneTasks: [],
    };
    const fail = (operation: string, error: unknown) => this.note('cluster', clusterArn, region, operation, error);

    // Services.
    const serviceArns: string[] = [];
    let servicesListed = true;
    let nextToken: string | undefined;
    do {
      const r = await this.call(() =>
        ecs.send(new ListServicesCommand({ cluster: clusterArn, maxResults: ECS_LIMITS.listServicesPage, nextToken })),
      );
      if (!r.ok) {
        fail('ListServices', r.error);
        servicesListed = false;
        break;
      }
      for (const arn of r.value.serviceArns ?? []) serviceArns.push(arn);
      nextToken = r.value.nextToken;
    } while (nextToken);
    const matched = this.serviceMatch ? serviceArns.filter((a) => this.serviceMatch!(lastSegment(a))) : serviceArns;
    this.progress.servicesTotal += matched.length;
    this.report('services');

    const byName = new Map<string, SnapshotService>();
    for (const batch of chunk(matched, ECS_LIMITS.describeServicesBatch)) {
      const r = await this.call(() => ecs.send(new DescribeServicesCommand({ cluster: clusterArn, services: batch })));
      if (!r.ok) {
        fail('DescribeServices', r.error);
        servicesListed = false;
        break;
      }
      for (const s of r.value.services ?? []) {
        const snap = serviceOf(s);
        out.services.push(snap);
        byName.set(snap.name, snap);
        if (!s.currentServiceRevisions && this.opts.serviceRevisions !== false) {
          this.needsDeploymentListing.push({ region, clusterArn, service: snap });
        }
      }
      this.progress.servicesDone += batch.length;
      this.report('services');
    }
    for (const s of out.services) {
      for (const d of s.deployments) if (d.taskDefinition) await this.taskDefinition(region, d.taskDefinition);
      if (s.taskDefinition) await this.taskDefinition(region, s.taskDefinition);
    }

    // Tasks: one listing for the whole cluster.
    const taskArns: string[] = [];
    let tasksListed = true;
    nextToken = undefined;
    do {
      const r = await this.call(() =>
        ecs.send(new ListTasksCommand({ cluster: clusterArn, desiredStatus: 'RUNNING', maxResults: ECS_LIMITS.listTasksPage, nextToken })),
      );
      if (!r.ok) {
        fail('ListTasks', r.error);
        tasksListed = false;
        break;
      }
      for (const arn of r.value.taskArns ?? []) taskArns.push(arn);
      nextToken = r.value.nextToken;
    } while (nextToken);
    this.progress.tasksTotal += taskArns.length;
    this.report('tasks');

    if (tasksListed) {
      for (const batch of chunk(taskArns, ECS_LIMITS.describeTasksBatch)) {
        const r = await this.call(() => ecs.send(new DescribeTasksCommand({ cluster: clusterArn, tasks: batch })));
        if (!r.ok) {
          fail('DescribeTasks', r.error);
          break;
        }
        for (const t of r.value.tasks ?? []) {
          const task = taskOf(t);
          const svcName = task.group?.startsWith('service:') ? task.group.slice('service:'.length) : undefined;
          const svc = svcName !== undefined ? byName.get(svcName) : undefined;
          if (svc) svc.tasks.push(task);
          else if (svcName !== undefined && servicesListed && this.serviceMatch && !this.serviceMatch(svcName)) continue;
          else if (this.opts.standaloneTasks === false) continue;
          else out.standaloneTasks.push(task);
          if (task.taskDefinitionArn) await this.taskDefinition(region, task.taskDefinitionArn);
        }
        this.progress.tasksDone += batch.length;
        this.report('tasks');
      }
    }
    this.progress.clustersDone++;
    this.report('tasks');
    return out;
  }

  /** DescribeTaskDefinition once per unique ARN for the whole run (concurrent callers share it). */
  private taskDefinition(region: string, ref: string): Promise<SnapshotTaskDefinition | undefined> {
    const tdRegion = ref.startsWith('arn:') ? (ref.split(':')[3] ?? region) : region;
    let p = this.taskDefinitions.get(ref);
    if (!p) {
      p = (async () => {
        const r = await this.call(() => this.clients.ecs(tdRegion).send(new DescribeTaskDefinitionCommand({ taskDefinition: ref })));
        if (!r.ok) {
          this.note('task-definition', ref, tdRegion, 'DescribeTaskDefinition', r.error);
          return undefined;
        }
        const td = r.value.taskDefinition;
        if (!td) return undefined;
        return clean({
          arn: td.taskDefinitionArn ?? ref,
          family: td.family,
          revision: td.revision,
          status: td.status,
          registeredAt: iso(td.registeredAt),
          containers: (td.containerDefinitions ?? []).map((c) =>
            clean({
              name: c.name,
              image: c.image,
              essential: c.essential,
              firelens: c.firelensConfiguration ? true : undefined,
              versionConsistency: c.versionConsistency,
            }),
          ),
        });
      })();
      // A fatal error must not leave an unhandled rejection behind.
      p.catch(() => undefined);
      this.taskDefinitions.set(ref, p);
    }
    return p;
  }

  private async revisions(region: string, clusters: SnapshotCluster[]): Promise<void> {
    const ecs = this.clients.ecs(region);
    let listingStopped = false;
    // Services without a revision summary: ListServiceDeployments (newest first), one call each.
    for (const n of this.needsDeploymentListing.filter((x) => x.region === region)) {
      if (listingStopped) break;
      const r = await this.call(() =>
        ecs.send(
          new ListServiceDeploymentsCommand({
            cluster: n.clusterArn,
            service: n.service.arn,
            maxResults: ECS_LIMITS.listServiceDeploymentsPage,
          }),
        ),
      );
      if (!r.ok) {
        if (isUnsupported(r.error) || isAccessDenied(r.error)) {
          // Not offered here, or not allowed: the same for every other service of the region.
          this.note('service-revisions', region, region, 'ListServiceDeployments', r.error);
          listingStopped = true;
        } else {
          this.note('service-revisions', n.service.arn, region, 'ListServiceDeployments', r.error);
        }
        continue;
      }
      const deps = r.value.serviceDeployments ?? [];
      const active = deps.filter((d) => d.status === 'PENDING' || d.status === 'IN_PROGRESS' || d.status === 'ROLLBACK_IN_PROGRESS');
      const settled = deps.find((d) => d.status === 'SUCCESSFUL' || d.status === 'ROLLBACK_SUCCESSFUL');
      for (const d of [...active, ...(settled ? [settled] : [])]) {
        if (d.targetServiceRevisionArn && !n.service.serviceRevisionArns.includes(d.targetServiceRevisionArn)) {
          n.service.serviceRevisionArns.push(d.targetServiceRevisionArn);
        }
      }
    }
    const arns = [...new Set(clusters.flatMap((c) => c.services.flatMap((s) => s.serviceRevisionArns)))];
    for (const batch of chunk(arns, ECS_LIMITS.describeServiceRevisionsBatch)) {
      const r = await this.call(() => ecs.send(new DescribeServiceRevisionsCommand({ serviceRevisionArns: batch })));
      if (!r.ok) {
        this.note('service-revisions', region, region, 'DescribeServiceRevisions', r.error);
        if (isUnsupported(r.error) || isAccessDenied(r.error)) return;
        continue;
      }
      for (const rev of r.value.serviceRevisions ?? []) {
        if (!rev.serviceRevisionArn) continue;
        this.serviceRevisions[rev.serviceRevisionArn] = clean({
          arn: rev.serviceRevisionArn,
          serviceArn: rev.serviceArn,
          clusterArn: rev.clusterArn,
          taskDefinition: rev.taskDefinition,
          createdAt: iso(rev.createdAt),
          containerImages: (rev.containerImages ?? []).map((ci) => clean({ containerName: ci.containerName, image: ci.image, imageDigest: ci.imageDigest })),
        });
      }
      for (const f of r.value.failures ?? []) {
        if (f.reason === 'MISSING') continue; // the revision went away between the two calls
        this.incomplete.push(
          clean({ scope: 'service-revisions' as const, id: f.arn ?? region, region, operation: 'DescribeServiceRevisions', code: f.reason ?? 'Failure', reason: f.detail ?? f.reason ?? 'failure' }),
        );
      }
    }
  }

  private async repositories(clusters: SnapshotCluster[], tds: Record<string, SnapshotTaskDefinition>): Promise<SnapshotRepository[]> {
    const images = new Set<string>();
    for (const td of Object.values(tds)) for (const c of td.containers) if (c.image) images.add(c.image);
    for (const c of clusters) {
      for (const t of [...c.standaloneTasks, ...c.services.flatMap((s) => s.tasks)]) for (const k of t.containers) if (k.image) images.add(k.image);
    }
    for (const rev of Object.values(this.serviceRevisions)) for (const ci of rev.containerImages) if (ci.image) images.add(ci.image);
    const groups = new Map<string, { account: string; region: string; fips: boolean; names: Set<string> }>();
    for (const image of images) {
      const p = parseReference(image);
      if (!p.ok) continue;
      const host = parseEcrHost(p.ref.registry);
      if (!host) continue;
      const key = `${host.account}/${host.region}`;
      let g = groups.get(key);
      if (!g) groups.set(key, (g = { account: host.account, region: host.region, fips: host.fips, names: new Set() }));
      g.names.add(p.ref.repository);
    }
    const out: SnapshotRepository[] = [];
    const sorted = [...groups.values()].sort((a, b) => `${a.account}/${a.region}`.localeCompare(`${b.account}/${b.region}`));
    await this.each(sorted, async (g) => {
      const ecr = this.clients.ecr(g.region, { fips: g.fips });
      const id = `${g.account}/${g.region}`;
      for (const batch of chunk([...g.names].sort(), ECS_LIMITS.describeRepositoriesBatch)) {
        let remaining = batch;
        while (remaining.length > 0) {
          const names = remaining;
          const r = await this.call(() => ecr.send(new DescribeRepositoriesCommand({ registryId: g.account, repositoryNames: names })));
          if (r.ok) {
            for (const repo of r.value.repositories ?? []) out.push(repositoryOf(repo, g.account, g.region));
            break;
          }
          if (awsErrorName(r.error) === 'RepositoryNotFoundException') {
            // The whole call fails when one name is missing; ECR names it: drop it and ask again.
            const missing = /repository with name '([^']+)'/.exec(r.error instanceof Error ? r.error.message : '')?.[1];
            const idx = missing === undefined ? -1 : remaining.indexOf(missing);
            if (idx !== -1) {
              out.push({ registryId: g.account, region: g.region, name: missing!, exclusionFilters: [], found: false });
              remaining = remaining.filter((_, i) => i !== idx);
              continue;
            }
            if (remaining.length === 1) {
              out.push({ registryId: g.account, region: g.region, name: remaining[0]!, exclusionFilters: [], found: false });
              break;
            }
            // Unreadable message: ask one by one.
            for (const one of remaining) {
              const r1 = await this.call(() => ecr.send(new DescribeRepositoriesCommand({ registryId: g.account, repositoryNames: [one] })));
              if (r1.ok) for (const repo of r1.value.repositories ?? []) out.push(repositoryOf(repo, g.account, g.region));
              else if (awsErrorName(r1.error) === 'RepositoryNotFoundException') out.push({ registryId: g.account, region: g.region, name: one, exclusionFilters: [], found: false });
              else this.note('ecr-registry', id, g.region, 'DescribeRepositories', r1.error);
            }
            break;
          }
          this.note('ecr-registry', id, g.region, 'DescribeRepositories', r.error);
          return;
        }
      }
    });
    return out.sort((a, b) => `${a.registryId}/${a.region}/${a.name}`.localeCompare(`${b.registryId}/${b.region}/${b.name}`));
  }
}

function repositoryOf(repo: Repository, account: string, region: string): SnapshotRepository {
  return clean({
    registryId: repo.registryId ?? account,
    region,
    name: repo.repositoryName ?? '',
    uri: repo.repositoryUri,
    imageTagMutability: repo.imageTagMutability,
    exclusionFilters: (repo.imageTagMutabilityExclusionFilters ?? []).map((f) => clean({ filterType: f.filterType, filter: f.filter })),
    found: true,
  });
}

// ------------------------------------------------------------------------------------------------
// For `imagedrift audit ecs`: image facts from ECR, the caller's account, the default region.

/** DescribeImages accepts at most 100 image ids per call. */
export const DESCRIBE_IMAGES_BATCH = 100;

export interface EcrRepositoryTarget {
  account: string;
  region: string;
  fips?: boolean;
  repository: string;
}

export interface EcrImageFacts {
  digest: string;
  tags: string[];
  /** imageManifestMediaType: an OCI index or Docker manifest list for a multi-arch image. */
  mediaType?: string;
}

/** Media types of a multi-arch image index. */
export const INDEX_MEDIA_TYPES: ReadonlySet<string> = new Set(['application/vnd.oci.image.index.v1+json', 'application/vnd.docker.distribution.manifest.list.v2+json']);

export interface EcrImageIdsResult {
  /** `:tag` and `@digest` → the image, for every id the repository has. */
  found: Map<string, EcrImageFacts>;
  /** The repository itself does not exist (every id is then missing). */
  repositoryMissing?: boolean;
}

/** Which image id an ImageNotFoundException names: `{imageDigest:'sha256:…', imageTag:'null'}`. */
function missingImageId(message: string): string | undefined {
  const m = /imageDigest:\s*'([^']*)',\s*imageTag:\s*'([^']*)'/.exec(message);
  if (!m) return undefined;
  if (m[1] && m[1] !== 'null') return `@${m[1]}`;
  if (m[2] && m[2] !== 'null') return `:${m[2]}`;
  return undefined;
}

const idKey = (id: ImageIdentifier): string => (id.imageDigest !== undefined ? `@${id.imageDigest}` : `:${id.imageTag ?? ''}`);

/**
 * What one ECR repository holds for the given tags and digests: DescribeImages by image id,
 * 100 ids a call, each answer carrying the image's digest and all its tags (so `latest` names its
 * version tag at no extra cost). ECR fails the whole call when one id is missing and names that
 * id; it is dropped and the call repeated, so each missing id costs one more call (a batch whose
 * ids are all missing costs one call per id). Throws anything else (the caller decides whether it
 * is fatal); throttling and clock skew are the SDK's to retry.
 */
export async function describeEcrImageIds(clients: AwsClients, target: EcrRepositoryTarget, ids: readonly ImageIdentifier[]): Promise<EcrImageIdsResult> {
  const ecr = clients.ecr(target.region, { fips: target.fips === true });
  const found = new Map<string, EcrImageFacts>();
  const unique = [...new Map(ids.map((id) => [idKey(id), id])).values()];
  const ask = async (imageIds: ImageIdentifier[]): Promise<void> => {
    const out = await withSkewRetry(() => ecr.send(new DescribeImagesCommand({ registryId: target.account, repositoryName: target.repository, imageIds })));
    for (const d of out.imageDetails ?? []) {
      if (!d.imageDigest) continue;
      const facts: EcrImageFacts = { digest: d.imageDigest, tags: [...(d.imageTags ?? [])].sort(), ...(d.imageManifestMediaType ? { mediaType: d.imageManifestMediaType } : {}) };
      found.set(`@${d.imageDigest}`, facts);
      for (const tag of facts.tags) found.set(`:${tag}`, facts);
    }
  };
  for (const batch of chunk(unique, DESCRIBE_IMAGES_BATCH)) {
    let remaining = batch;
    while (remaining.length > 0) {
      try {
        await ask(remaining);
        break;
      } catch (err) {
        const name = awsErrorName(err);
        if (name === 'RepositoryNotFoundException') return { found, repositoryMissing: true };
        if (name !== 'ImageNotFoundException') throw err;
        const missing = missingImageId(err instanceof Error ? err.message : '');
        const index = missing === undefined ? -1 : remaining.findIndex((id) => idKey(id) === missing);
        if (index === -1) {
          // The message does not say which: ask one id at a time.
          for (const one of remaining) {
            try {
              await ask([one]);
            } catch (e) {
              if (awsErrorName(e) !== 'ImageNotFoundException') throw e;
            }
          }
          break;
        }
        remaining = remaining.filter((_, i) => i !== index);
      }
    }
  }
  return { found };
}

/**
 * The platform manifests of multi-arch images, by tag: one BatchGetImage for up to 100 tags of one
 * repository (asking for index media types, so ECR returns the index itself), each index's
 * `manifests[].digest`. A tag that is not an index, or that ECR does not return, is left out.
 */
export async function ecrIndexChildren(clients: AwsClients, target: EcrRepositoryTarget, tags: readonly string[]): Promise<Map<string, string[]>> {
  const ecr = clients.ecr(target.region, { fips: target.fips === true });
  const children = new Map<string, string[]>();
  for (const batch of chunk([...new Set(tags)], DESCRIBE_IMAGES_BATCH)) {
    const out = await withSkewRetry(() =>
      ecr.send(
        new BatchGetImageCommand({
          registryId: target.account,
          repositoryName: target.repository,
          imageIds: batch.map((imageTag) => ({ imageTag })),
          acceptedMediaTypes: [...INDEX_MEDIA_TYPES, 'application/vnd.oci.image.manifest.v1+json', 'application/vnd.docker.distribution.manifest.v2+json'],
        }),
      ),
    );
    for (const image of out.images ?? []) {
      const tag = image.imageId?.imageTag;
      if (tag === undefined || image.imageManifest === undefined) continue;
      try {
        const manifest = JSON.parse(image.imageManifest) as { manifests?: Array<{ digest?: unknown }> };
        const digests = (manifest.manifests ?? []).map((m) => m.digest).filter((d): d is string => typeof d === 'string');
        if (digests.length > 0) children.set(tag, digests);
      } catch {
        // Not JSON: not an index we can read; the tag is simply left out.
      }
    }
  }
  return children;
}

/**
 * The fewest DescribeImages calls describeEcrImageIds makes for one repository: per batch of 100
 * ids, one call plus one per missing id (a batch whose ids are all missing: one per id); a missing
 * repository costs one call.
 */
export function minimumDescribeImagesCalls(ids: number, missing: number, repositoryMissing = false): number {
  if (ids === 0) return 0;
  if (repositoryMissing) return 1;
  // Missing ids are assumed to fall in the last batch (they do when digests follow tags and fit in one).
  let calls = 0;
  let left = missing;
  const batches = chunk(Array.from({ length: ids }, (_, i) => i), DESCRIBE_IMAGES_BATCH).reverse();
  for (const batch of batches) {
    const m = Math.min(left, batch.length);
    left -= m;
    calls += m === batch.length ? m : 1 + m;
  }
  return calls;
}

/** The account the default credentials belong to (STS GetCallerIdentity). Credential problems throw AwsCredentialsError. */
export async function callerAccount(clients: AwsClients, region: string): Promise<string | undefined> {
  try {
    const out = await withSkewRetry(() => clients.sts(region).send(new GetCallerIdentityCommand({})));
    return out.Account;
  } catch (err) {
    const cred = toCredentialsError(err);
    if (cred) throw cred;
    return undefined;
  }
}

/** The region the SDK would use with no `--region`: AWS_REGION, AWS_DEFAULT_REGION… or the profile's `region`. */
export async function defaultRegion(profile?: string): Promise<string | undefined> {
  const client = new ECSClient(profile !== undefined ? { profile } : {});
  try {
    const region = await client.config.region();
    return typeof region === 'string' && region !== '' ? region : undefined;
  } catch {
    return undefined;
  } finally {
    client.destroy();
  }
}
