// The audit path in process (collectLiveSnapshot → auditResult) against the loopback fake of
// ECS/ECR/STS, with the real SDK clients: a fleet of 300 services and 3,000 tasks enumerated and
// judged with exactly the minimum number of calls of each operation (ECR registry facts included),
// throttling retried invisibly, a server clock months away corrected by the SDK and used for every
// time the audit reports, and digests deleted by a lifecycle policy.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { collectLiveSnapshot } from '../../src/audit/collect.js';
import type { AuditProgress } from '../../src/audit/collect.js';
import { auditResult, judgeSnapshot, snapshotDate } from '../../src/audit/judge.js';
import { loadDefaultPolicy } from '../../src/policy/load.js';
import type { Policy } from '../../src/policy/types.js';
import { AwsClients } from '../../src/sources/aws-clients.js';
import { describeEcrImageIds, minimumDescribeImagesCalls, minimumEcsCalls } from '../../src/sources/ecs-live.js';
import type { EcsSnapshot, FleetShape } from '../../src/sources/ecs-live.js';
import {
  buildFleet,
  FakeAwsServer,
  imageDigest,
  makeManifest,
  MEDIA_TYPES,
  sha256Digest,
  useFakeAwsEnv,
  type FakeAwsFixture,
  type FakeRegion,
  type FakeRepository,
} from '../helpers/fake-aws.js';

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';

/**
 * 300 services / 3,000 service tasks (+ 7 standalone) in three clusters, every service with an app
 * container and the OTEL collector sidecar on `:latest`. Then the incident and its neighbours:
 * - every 50th service: half its tasks still run the collector's previous build (v0.28.0);
 * - service 7 of prod-api: its app tasks run a digest a lifecycle policy has since deleted;
 * - service 3 of staging: the collector's repository image v0.28.0 runs, and latest moved.
 */
function bigFleet() {
  const fleet = buildFleet({
    region: REGION,
    families: 40,
    clusters: [
      { name: 'prod-web', services: 150, tasksPerService: 10, standaloneTasks: 5 },
      { name: 'prod-api', services: 100, tasksPerService: 10 },
      { name: 'staging', services: 50, tasksPerService: 10, standaloneTasks: 2 },
    ],
  });
  const otel = fleet.repositories.find((r) => r.name === 'aws-otel-collector')!;
  const previous = imageDigest(otel.images[1]!); // v0.28.0
  const deleted = sha256Digest(makeManifest('app build deleted by the lifecycle policy'));
  let index = 0;
  const drifted: string[] = [];
  for (const cluster of fleet.region.clusters) {
    for (const service of cluster.services) {
      if (index++ % 50 === 0) {
        drifted.push(`${cluster.name}/${service.name}`);
        const tasks = cluster.tasks.filter((t) => t.group === `service:${service.name}`);
        tasks.slice(0, tasks.length / 2).forEach((t) => (t.containers[1]!.imageDigest = previous));
      }
    }
  }
  const api = fleet.region.clusters.find((c) => c.name === 'prod-api')!;
  for (const t of api.tasks.filter((t) => t.group === 'service:svc-7')) t.containers[0]!.imageDigest = deleted;
  return { fleet, previous, deleted, drifted };
}

const big = bigFleet();
const fixture: FakeAwsFixture = { account: ACCOUNT, regions: { [REGION]: big.fleet.region }, repositories: big.fleet.repositories };

/** The fleet's shape for minimumEcsCalls: every cluster, service and task matched. */
function regionShape(r: FakeRegion): FleetShape['regions'][number] {
  const tds = new Set<string>();
  let revisions = 0;
  for (const c of r.clusters) {
    for (const s of c.services) {
      tds.add(s.taskDefinition);
      revisions += s.currentServiceRevisions?.length ?? 0;
    }
    for (const t of c.tasks) tds.add(t.taskDefinitionArn);
  }
  return { clusters: r.clusters.map((c) => ({ services: c.services.length, tasks: c.tasks.length })), taskDefinitions: tds.size, serviceRevisions: revisions };
}

/**
 * The fewest DescribeImages calls, computed from the fixture (not from the audit's code): per ECR
 * repository in use, the tags the task definitions name plus the digests tasks run and service
 * revisions resolved, in one batch of up to 100 ids, plus one call per digest the repository no
 * longer has.
 */
function minimumDescribeImages(f: FakeAwsFixture): { calls: number; repositories: number } {
  const wanted = new Map<string, { tags: Set<string>; digests: Set<string> }>();
  const repoOf = (image: string) => /\.amazonaws\.com\/([^:@]+)/.exec(image)?.[1];
  const entry = (name: string) => {
    let e = wanted.get(name);
    if (!e) wanted.set(name, (e = { tags: new Set(), digests: new Set() }));
    return e;
  };
  for (const region of Object.values(f.regions)) {
    for (const td of region.taskDefinitions) for (const c of td.containers) entry(repoOf(c.image)!).tags.add(c.image.split(':').at(-1)!);
    for (const cluster of region.clusters) for (const t of cluster.tasks) for (const c of t.containers) if (c.imageDigest) entry(repoOf(c.image)!).digests.add(c.imageDigest);
    for (const rev of region.serviceRevisions ?? []) for (const ci of rev.containerImages) if (ci.imageDigest) entry(repoOf(ci.image)!).digests.add(ci.imageDigest);
  }
  let calls = 0;
  for (const [name, e] of wanted) {
    const repo = f.repositories!.find((r: FakeRepository) => r.name === name)!;
    const present = new Set(repo.images.map((i) => imageDigest(i)));
    const missing = [...e.digests].filter((d) => !present.has(d)).length;
    calls += minimumDescribeImagesCalls(e.tags.size + e.digests.size, missing);
  }
  return { calls, repositories: wanted.size };
}

function expectCalls(server: FakeAwsServer, expected: Record<string, number>): void {
  const actual: Record<string, number> = {};
  for (const op of Object.keys(expected)) actual[op] = server.count(op);
  expect(actual).toEqual(expected);
}

/** A snapshot without what legitimately varies between two runs. */
function stable(s: EcsSnapshot): unknown {
  const { startedAt: _a, finishedAt: _b, serverTime: _c, clockOffsetMs: _d, calls: _e, images, ...rest } = s;
  return { ...rest, images: Object.fromEntries(Object.entries(images ?? {}).map(([k, v]) => [k, { ...v, checkedAt: undefined }])) };
}

let server: FakeAwsServer;
let restoreEnv: () => void;
let policy: Policy;
let baseline: EcsSnapshot;

beforeAll(async () => {
  server = await FakeAwsServer.start(fixture);
  restoreEnv = useFakeAwsEnv(server.url);
  policy = loadDefaultPolicy();
});

afterEach(() => {
  server.reset();
  server.faults = {};
  server.fixture = fixture;
});

afterAll(async () => {
  restoreEnv?.();
  await server?.close();
});

const audit = (extra: Partial<Parameters<typeof collectLiveSnapshot>[0]> = {}) => collectLiveSnapshot({ regions: [REGION], concurrency: 4, ...extra });

describe('audit ecs: 300 services, 3,000 tasks', () => {
  it('enumerates and asks the registry with exactly the minimum number of calls per operation', async () => {
    server.faults = { latencyMs: 1 };
    const progress: AuditProgress[] = [];
    const snapshot = await audit({ onProgress: (p) => progress.push(p) });
    baseline = snapshot;

    const ecs = minimumEcsCalls({ regions: [regionShape(big.fleet.region)], ecrRepositoryGroups: [6] });
    const ecr = minimumDescribeImages(fixture);
    expect(ecr).toEqual({ calls: 6 + 1, repositories: 6 }); // one per repository, one more for the deleted digest
    const minimum = { ...ecs, DescribeImages: ecr.calls, BatchGetImage: 0, GetCallerIdentity: 0, AssumeRole: 0, DescribeClusters: 0 };
    expect(minimum).toMatchObject({
      ListClusters: 1,
      ListServices: 2 + 1 + 1,
      DescribeServices: 15 + 10 + 5,
      ListTasks: 16 + 10 + 6,
      DescribeTasks: 16 + 10 + 6,
      DescribeTaskDefinition: 40 + 2,
      DescribeServiceRevisions: 15,
      ListServiceDeployments: 0,
      DescribeRepositories: 1,
      DescribeImages: 7,
    });
    expectCalls(server, minimum);
    expect(snapshot.calls).toEqual(Object.fromEntries(Object.entries(minimum).filter(([, n]) => n > 0).sort(([a], [b]) => a.localeCompare(b))));
    expect(server.maxInFlight).toBeLessThanOrEqual(4);
    expect(snapshot.incomplete).toEqual([]);

    // What was observed.
    const services = snapshot.clusters.flatMap((c) => c.services);
    expect(services).toHaveLength(300);
    expect(services.flatMap((s) => s.tasks)).toHaveLength(3000);
    expect(Object.keys(snapshot.images ?? {})).toHaveLength(6 + 1); // app-0..4:latest, otel:latest, app-0:1.0.0
    const last = progress.at(-1)!;
    expect(last).toMatchObject({ phase: 'done', servicesDone: 300, servicesTotal: 300, tasksDone: 3007, tasksTotal: 3007, registryDone: 6, registryTotal: 6 });

    // What was found.
    const { result, stats } = auditResult(snapshot, policy);
    expect(stats).toMatchObject({ accounts: 1, regions: 1, clusters: 3, services: 300, taskGroups: 2, tasks: 3007, references: 602 });
    const byRule = result.summary.byRule;
    expect(byRule['fleet-drift']).toBe(big.drifted.length);
    expect(byRule['tag-moved-since-deploy']).toBe(big.drifted.length + 1); // and the app whose digest was deleted
    expect(byRule['running-digest-missing']).toBe(1);
    expect(byRule['latest-tag']).toBe(600); // every service's app and sidecar
    // `latest` can be pushed over everywhere: the collector and app-0/2/4 are MUTABLE, app-1/3
    // IMMUTABLE_WITH_EXCLUSION with `latest` excluded; plus the two standalone jobs on app-0:1.0.0.
    expect(byRule['mutable-repository']).toBe(300 + 300 + 2);
    const drift = result.findings.filter((f) => f.ruleId === 'fleet-drift').map((f) => f.location.path);
    expect(drift).toEqual(big.drifted.map((s) => `ecs://${ACCOUNT}/${REGION}/${s}#otel`).sort());
    const missing = result.findings.find((f) => f.ruleId === 'running-digest-missing')!;
    expect(missing.location.path).toBe(`ecs://${ACCOUNT}/${REGION}/prod-api/svc-7#app`);
    expect(missing.message).toContain(`runs ${big.deleted.slice(0, 19)}… (10 tasks), which the registry no longer has`);
    expect(result.errors).toEqual([]);
  });

  it('retries throttling bursts invisibly: same snapshot, same findings, commands at the minimum', async () => {
    const throttle = { ListClusters: 1, ListServices: 2, DescribeServices: 3, DescribeTaskDefinition: 2, ListTasks: 3, DescribeTasks: 3, DescribeServiceRevisions: 2, DescribeRepositories: 1, DescribeImages: 3 };
    server.faults = { throttle };
    const snapshot = await audit();
    expect(snapshot.incomplete).toEqual([]);
    expect(stable(snapshot)).toEqual(stable(baseline));
    expect(judgeSnapshot(snapshot, policy)).toEqual(judgeSnapshot(baseline, policy));
    // Commands sent: the minimum; HTTP requests: the minimum plus the throttled attempts.
    expect(snapshot.calls).toEqual(baseline.calls);
    for (const [op, n] of Object.entries(throttle)) expect(server.count(op)).toBe(baseline.calls[op]! + n);
    expect(server.requests.filter((r) => r.errorType === 'ThrottlingException')).toHaveLength(Object.values(throttle).reduce((a, b) => a + b, 0));
  });
});

describe('audit ecs: a clock months off', () => {
  it('is corrected by the SDK (RequestTimeTooSkewed with the server\'s Date), and the audit reports server time', async () => {
    const months = 150 * 24 * 3600 * 1000; // the local clock is five months behind AWS's
    server.faults = { clockSkew: { serverOffsetMs: months, errorCode: 'RequestTimeTooSkewed' } };
    const snapshot = await audit({ services: ['svc-0', 'svc-50'], clusters: ['prod-web'] });
    expect(snapshot.incomplete).toEqual([]);
    expect(server.skewRejections).toBeGreaterThanOrEqual(1);
    expect(server.skewRejections).toBeLessThanOrEqual(2); // ECS learns the offset once; ECR starts from it
    expect(Math.abs(snapshot.clockOffsetMs! - months)).toBeLessThan(5_000);
    const serverNow = Date.now() + months;
    expect(Math.abs(Date.parse(snapshot.serverTime!) - serverNow)).toBeLessThan(60_000);
    for (const image of Object.values(snapshot.images!)) expect(Math.abs(Date.parse(image.checkedAt!) - serverNow)).toBeLessThan(60_000);
    // Every accepted request was signed on the server's time.
    for (const r of server.requests.filter((x) => x.status === 200)) {
      const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(r.amzDate!)!;
      expect(Math.abs(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) - server.now())).toBeLessThan(5 * 60_000);
    }

    // Where it matters: a policy exception "until next month" has expired on AWS's calendar.
    const localToday = new Date().toISOString().slice(0, 10);
    const nextMonth = new Date(Date.now() + 30 * 24 * 3600 * 1000).toISOString().slice(0, 10);
    expect(snapshotDate(snapshot)).toBe(new Date(serverNow).toISOString().slice(0, 10));
    const waived: Policy = {
      ...policy,
      exceptions: [{ rule: 'fleet-drift', reason: 'collector rollout', expires: nextMonth, location: { path: '.imagedrift.yaml', line: 1, column: 1, endLine: 1, endColumn: 1 } }],
    };
    expect(judgeSnapshot(snapshot, waived).filter((f) => f.ruleId === 'fleet-drift')).toHaveLength(2); // svc-0 and svc-50 drift
    expect(judgeSnapshot(snapshot, waived, { now: localToday }).filter((f) => f.ruleId === 'fleet-drift')).toHaveLength(0);
  });
});

describe('audit ecs: lifecycle policies', () => {
  it('a deployed digest that is gone: running-digest-missing even with no task left on it, one more DescribeImages', async () => {
    const region = structuredClone(big.fleet.region);
    const web = region.clusters.find((c) => c.name === 'prod-web')!;
    web.services = web.services.slice(0, 1);
    web.tasks = web.tasks.filter((t) => t.group === 'service:svc-0').slice(0, 0);
    const rev = region.serviceRevisions!.find((r) => r.arn === web.services[0]!.currentServiceRevisions![0])!;
    rev.containerImages[0]!.imageDigest = big.deleted;
    region.clusters = [web];
    server.fixture = { account: ACCOUNT, regions: { [REGION]: region }, repositories: big.fleet.repositories };
    const snapshot = await audit();
    const findings = judgeSnapshot(snapshot, policy).filter((f) => f.ruleId === 'running-digest-missing');
    expect(findings.map((f) => [f.location.path, f.message])).toEqual([
      [
        `ecs://${ACCOUNT}/${REGION}/prod-web/svc-0#app`,
        `Container \`app\` in Service \`prod-web/svc-0\` is deployed with ${big.deleted.slice(0, 19)}… (the current deployment), which the registry no longer has (deleted by a lifecycle policy?): the next scale-out or task replacement will fail to pull it (CannotPullContainerError)`,
      ],
    ]);
    const image = snapshot.images![`${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/app-0:latest`]!;
    expect(image.digests[big.deleted]).toEqual({ exists: false });
    // app-0: `latest` and the deleted digest (2 calls); the collector: `latest` and its digest (1).
    expect(server.count('DescribeImages')).toBe(minimumDescribeImagesCalls(2, 1) + minimumDescribeImagesCalls(2, 0));
    expect(server.count('DescribeImages')).toBe(3);
  });

  it('describeEcrImageIds: batches of 100, one more call per missing id, one by one when ECR does not say which', async () => {
    const clients = new AwsClients({});
    try {
      const repo = big.fleet.repositories.find((r) => r.name === 'aws-otel-collector')!;
      const target = { account: ACCOUNT, region: REGION, repository: repo.name };
      const present = repo.images.map((i) => imageDigest(i));
      const gone = [sha256Digest('gone 1'), sha256Digest('gone 2')];
      const ids = [{ imageTag: 'latest' }, ...present.map((imageDigest) => ({ imageDigest })), ...gone.map((imageDigest) => ({ imageDigest }))];
      const named = await describeEcrImageIds(clients, target, ids);
      expect(server.count('DescribeImages')).toBe(minimumDescribeImagesCalls(ids.length, gone.length));
      expect(server.count('DescribeImages')).toBe(3);
      expect(named.found.get(':latest')).toEqual({ digest: present[0], tags: ['latest', 'v0.29.0'], mediaType: MEDIA_TYPES.ociManifest });
      expect(named.found.get(`@${present[1]}`)).toEqual({ digest: present[1], tags: ['v0.28.0'], mediaType: MEDIA_TYPES.ociManifest });
      for (const d of gone) expect(named.found.has(`@${d}`)).toBe(false);

      server.reset();
      server.faults = { terseImageNotFound: true };
      const terse = await describeEcrImageIds(clients, target, ids);
      expect(server.count('DescribeImages')).toBe(1 + ids.length);
      expect([...terse.found.keys()].sort()).toEqual([...named.found.keys()].sort());

      server.reset();
      server.faults = {};
      const many = Array.from({ length: 230 }, (_, i) => ({ imageTag: `build-${i}` }));
      server.fixture = { ...fixture, repositories: [...fixture.repositories!, { account: ACCOUNT, region: REGION, name: 'ci', images: many.map((id) => ({ tags: [id.imageTag], manifest: makeManifest(id.imageTag) })) }] };
      const batched = await describeEcrImageIds(clients, { ...target, repository: 'ci' }, many);
      expect(server.count('DescribeImages')).toBe(3);
      expect(batched.found.size).toBe(230 * 2);
    } finally {
      clients.destroy();
    }
  });

  it('multi-arch images in ECR: a task on a platform manifest of the current index runs the current build', async () => {
    const child = (seed: string) => ({ tags: [] as string[], manifest: makeManifest(seed) });
    const index = (tags: string[], children: Array<{ manifest: string }>) => ({
      tags,
      mediaType: MEDIA_TYPES.ociIndex,
      manifest: JSON.stringify({
        schemaVersion: 2,
        mediaType: MEDIA_TYPES.ociIndex,
        manifests: children.map((c, i) => ({ mediaType: MEDIA_TYPES.ociManifest, digest: sha256Digest(c.manifest), size: c.manifest.length, platform: { os: 'linux', architecture: i === 0 ? 'amd64' : 'arm64' } })),
      }),
    });
    const [a, b, c, d] = [child('v2 amd64'), child('v2 arm64'), child('v1.9 amd64'), child('v1.9 arm64')];
    const images = [index(['latest', 'v2.0.0'], [a, b]), a, b, index(['v1.9.0'], [c, d]), c, d];
    const region = structuredClone(big.fleet.region);
    const api = region.clusters.find((x) => x.name === 'prod-api')!;
    api.services = api.services.slice(0, 2);
    api.tasks = api.tasks.filter((t) => t.group === 'service:svc-0' || t.group === 'service:svc-1');
    const arm = sha256Digest(b.manifest);
    const old = sha256Digest(d.manifest);
    for (const t of api.tasks) t.containers[1]!.imageDigest = t.group === 'service:svc-0' ? arm : old;
    region.clusters = [api];
    region.serviceRevisions = [];
    for (const s of api.services) delete s.currentServiceRevisions;
    const repositories = big.fleet.repositories.map((r) => (r.name === 'aws-otel-collector' ? { ...r, images } : r));
    server.fixture = { account: ACCOUNT, regions: { [REGION]: region }, repositories };
    const snapshot = await audit({ clusters: ['prod-api'] });
    const otel = snapshot.images![`${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/aws-otel-collector:latest`]!;
    expect(otel.current).toEqual({ digest: sha256Digest(images[0]!.manifest), versionTag: 'v2.0.0', platforms: [sha256Digest(a.manifest), arm] });
    const moved = judgeSnapshot(snapshot, policy).filter((f) => f.ruleId === 'tag-moved-since-deploy' || f.ruleId === 'fleet-drift');
    expect(moved.map((f) => f.location.path)).toEqual([`ecs://${ACCOUNT}/${REGION}/prod-api/svc-1#otel`]); // svc-0 runs v2.0.0 for arm64
    // One DescribeImages per repository, and one BatchGetImage for the index's platform manifests.
    expect(server.count('BatchGetImage')).toBe(1);
    expect(server.requests.filter((r) => r.operation === 'DescribeImages' && (r.body as { repositoryName: string }).repositoryName === 'aws-otel-collector')).toHaveLength(1);
  });

  it('a repository that no longer exists: its digests are missing, at one call', async () => {
    const region = structuredClone(big.fleet.region);
    const api = region.clusters.find((c) => c.name === 'prod-api')!;
    api.services = api.services.slice(0, 1);
    api.tasks = api.tasks.filter((t) => t.group === 'service:svc-0');
    const td = region.taskDefinitions.find((t) => t.arn === api.services[0]!.taskDefinition)!;
    td.containers[0]!.image = td.containers[0]!.image.replace(/app-\d+/, 'retired-app');
    for (const t of api.tasks) t.containers[0]!.image = td.containers[0]!.image;
    region.clusters = [api];
    server.fixture = { account: ACCOUNT, regions: { [REGION]: region }, repositories: big.fleet.repositories };
    const snapshot = await audit();
    const rules = judgeSnapshot(snapshot, policy).filter((f) => f.location.path.endsWith('#app')).map((f) => f.ruleId);
    expect(rules).toEqual(['latest-tag', 'tag-moved-since-deploy', 'running-digest-missing']);
    expect(snapshot.repositories.find((r) => r.name === 'retired-app')).toMatchObject({ found: false });
    expect(server.requests.filter((r) => r.operation === 'DescribeImages' && (r.body as { repositoryName: string }).repositoryName === 'retired-app')).toHaveLength(1);
  });

  it('AccessDenied on an ECR registry: audit-incomplete for each repository, ECS findings still there', async () => {
    server.faults = { accessDenied: { registries: [ACCOUNT] } };
    const snapshot = await audit({ clusters: ['staging'] });
    const { result } = auditResult(snapshot, policy);
    const incomplete = result.findings.filter((f) => f.ruleId === 'audit-incomplete').map((f) => f.location.path);
    expect(incomplete).toEqual([
      `ecr://${ACCOUNT}/${REGION}`,
      ...['app-0', 'app-1', 'app-2', 'app-3', 'app-4', 'aws-otel-collector'].map((r) => `ecr://${ACCOUNT}/${REGION}/${r}`),
    ].sort());
    expect(result.summary.byRule['latest-tag']).toBe(100);
    expect(result.summary.byRule['fleet-drift']).toBe(1); // staging/svc-0: seen in the tasks, no registry needed
    // What the registry serves is unknown: nothing is claimed about it.
    expect(result.summary.byRule['tag-moved-since-deploy']).toBeUndefined();
    expect(result.summary.byRule['running-digest-missing']).toBeUndefined();
    expect(result.summary.byRule['mutable-repository']).toBeUndefined();
    expect(result.errors.length).toBe(7);
  });
});
