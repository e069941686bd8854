// Live ECS enumeration against the loopback fake through the real @aws-sdk/client-ecs / client-ecr /
// client-sts: pagination, batching, retries, throttling and clock-skew correction are the SDK's own.
// Every client reaches the fake through AWS_ENDPOINT_URL (loopback); credentials are dummies.

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AwsClients, AwsCredentialsError } from '../../src/sources/aws-clients.js';
import {
  collectEcsSnapshot,
  minimumEcsCalls,
  SNAPSHOT_SCHEMA,
  type EcsLiveOptions,
  type EcsProgress,
  type EcsSnapshot,
  type FleetShape,
} from '../../src/sources/ecs-live.js';
import {
  buildFleet,
  clusterArn,
  FakeAwsServer,
  imageDigest,
  useFakeAwsEnv,
  type FakeAwsFaults,
  type FakeAwsFixture,
  type FakeRegion,
} from '../helpers/fake-aws.js';

const ACCOUNT = '123456789012';
const ENV_KEY = 'AKIAFAKEFAKEFAKE0001';

// The large fleet: 300 services / 3,000 service tasks (+ standalone) in 3 clusters of us-east-1,
// and 105 empty clusters in eu-west-1 so that ListClusters really pages.
const east = buildFleet({
  region: 'us-east-1',
  families: 40,
  clusters: [
    { name: 'prod-web', services: 150, tasksPerService: 10, standaloneTasks: 5 },
    { name: 'prod-api', services: 100, tasksPerService: 10 },
    { name: 'staging', services: 50, tasksPerService: 10, standaloneTasks: 2 },
  ],
});
const west = buildFleet({
  region: 'eu-west-1',
  clusters: Array.from({ length: 105 }, (_, i) => ({ name: `edge-${String(i).padStart(3, '0')}`, services: 0, tasksPerService: 0 })),
});

// A small fleet for the fault-injection tests: 4 clusters, 46 services, 460 tasks.
const small = buildFleet({
  region: 'us-east-1',
  families: 6,
  clusters: [
    { name: 'a', services: 12, tasksPerService: 10 },
    { name: 'b', services: 12, tasksPerService: 10, standaloneTasks: 1 },
    { name: 'c', services: 11, tasksPerService: 10 },
    { name: 'd', services: 11, tasksPerService: 10 },
  ],
});
const smallWest = buildFleet({
  region: 'eu-west-1',
  families: 2,
  clusters: [{ name: 'eu', services: 3, tasksPerService: 2 }],
});

const bigFixture: FakeAwsFixture = {
  account: ACCOUNT,
  regions: { 'us-east-1': east.region, 'eu-west-1': west.region },
  repositories: [...east.repositories, ...west.repositories],
};
const smallFixture: FakeAwsFixture = {
  account: ACCOUNT,
  regions: { 'us-east-1': small.region, 'eu-west-1': smallWest.region },
  repositories: [...small.repositories, ...smallWest.repositories],
};

/** The shape of a fake region as minimumEcsCalls wants it. */
function regionShape(r: FakeRegion, opts: { clusters?: (n: string) => boolean; services?: (n: string) => boolean } = {}): FleetShape['regions'][number] {
  const tds = new Set<string>();
  let revisions = 0;
  const clusters = r.clusters.map((c) => {
    const matched = opts.clusters ? opts.clusters(c.name) : true;
    const svcs = c.services.filter((s) => (opts.services ? opts.services(s.name) : true));
    if (matched) {
      for (const s of svcs) {
        tds.add(s.taskDefinition);
        revisions += s.currentServiceRevisions?.length ?? 0;
      }
      for (const t of c.tasks) {
        const svc = t.group?.startsWith('service:') ? t.group.slice(8) : undefined;
        if (svc === undefined || !opts.services || opts.services(svc)) tds.add(t.taskDefinitionArn);
      }
    }
    return { services: c.services.length, matchedServices: svcs.length, tasks: c.tasks.length, matched };
  });
  return { clusters, taskDefinitions: tds.size, serviceRevisions: revisions };
}

function expectCallsToEqual(server: FakeAwsServer, expected: Record<string, number>): void {
  const actual: Record<string, number> = {};
  for (const op of Object.keys(expected)) actual[op] = server.count(op);
  expect(actual).toEqual(expected);
}

function nonZero(calls: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(calls).filter(([, n]) => n > 0));
}

function smallMinimum(): Record<string, number> {
  return minimumEcsCalls({
    regions: [regionShape(small.region), regionShape(smallWest.region)],
    ecrRepositoryGroups: [4, 3], // app-0..app-4 are not all used by the small fleets: see repositories
  });
}

/** A snapshot without the fields that legitimately vary between runs. */
function stable(s: EcsSnapshot): unknown {
  const { startedAt: _a, finishedAt: _b, serverTime: _c, clockOffsetMs: _d, calls: _e, ...rest } = s;
  return rest;
}

let server: FakeAwsServer;
let restoreEnv: () => void;

beforeAll(async () => {
  server = await FakeAwsServer.start(bigFixture);
  restoreEnv = useFakeAwsEnv(server.url);
});

afterEach(() => {
  server.reset();
  server.faults = {};
  server.fixture = bigFixture;
});

afterAll(async () => {
  restoreEnv?.();
  await server?.close();
});

function run(opts: Partial<EcsLiveOptions> = {}): Promise<EcsSnapshot> {
  return collectEcsSnapshot({ regions: ['us-east-1', 'eu-west-1'], ...opts });
}

let smallBaseline: EcsSnapshot | undefined;
async function baseline(): Promise<EcsSnapshot> {
  if (!smallBaseline) {
    server.fixture = smallFixture;
    smallBaseline = await run();
    server.reset();
  }
  return smallBaseline;
}

describe('collectEcsSnapshot: a fleet of 300 services / 3,000 tasks', () => {
  it('enumerates with exactly the minimum number of calls per operation', async () => {
    server.faults = { latencyMs: 1 };
    const progress: EcsProgress[] = [];
    const snap = await run({ onProgress: (p) => progress.push(p) });

    const shape: FleetShape = {
      regions: [regionShape(east.region), regionShape(west.region)],
      ecrRepositoryGroups: [east.repositories.length], // 5 app repositories + the otel collector, one registry/region
    };
    const min = minimumEcsCalls(shape);
    expect(min).toMatchObject({
      ListClusters: 1 + 2,
      ListServices: 2 + 1 + 1 + 105,
      DescribeServices: 15 + 10 + 5,
      ListTasks: 16 + 10 + 6 + 105,
      DescribeTasks: 16 + 10 + 6,
      DescribeTaskDefinition: 40 + 2,
      DescribeServiceRevisions: 15,
      ListServiceDeployments: 0,
      DescribeRepositories: 1,
    });
    expectCallsToEqual(server, { ...min, DescribeClusters: 0 });
    expect(snap.calls).toEqual(nonZero(min));
    // Bounded concurrency: never more than 4 requests in flight.
    expect(server.maxInFlight).toBeLessThanOrEqual(4);

    expect(snap.schema).toBe(SNAPSHOT_SCHEMA);
    expect(snap.incomplete).toEqual([]);
    expect(snap.clusters).toHaveLength(108);
    const eastClusters = snap.clusters.filter((c) => c.region === 'us-east-1');
    expect(eastClusters.map((c) => c.name).sort()).toEqual(['prod-api', 'prod-web', 'staging']);
    const services = eastClusters.flatMap((c) => c.services);
    expect(services).toHaveLength(300);
    const tasks = services.flatMap((s) => s.tasks);
    expect(tasks).toHaveLength(3000);
    expect(services.every((s) => s.tasks.length === 10)).toBe(true);
    expect(eastClusters.flatMap((c) => c.standaloneTasks)).toHaveLength(7);
    expect(tasks.every((t) => t.containers.length === 2 && t.containers.every((c) => c.imageDigest?.startsWith('sha256:')))).toBe(true);
    expect(tasks[0]).toMatchObject({ startedAt: '2025-01-02T03:04:05.000Z', group: expect.stringMatching(/^service:svc-\d+$/) });
    expect(Object.keys(snap.taskDefinitions)).toHaveLength(42);
    expect(Object.keys(snap.serviceRevisions)).toHaveLength(300);
    const someRev = snap.serviceRevisions[services[0]!.serviceRevisionArns[0]!];
    expect(someRev?.containerImages.map((c) => c.containerName)).toEqual(['app', 'otel']);
    const web = eastClusters.find((c) => c.name === 'prod-web')!;
    expect(web.arn).toBe(clusterArn('us-east-1', ACCOUNT, 'prod-web'));
    expect(web.services[0]!.deployments[0]).toMatchObject({ status: 'PRIMARY', taskDefinition: web.services[0]!.taskDefinition });

    // Repositories behind the images: mutability and exclusion filters.
    expect(snap.repositories.map((r) => r.name)).toEqual(['app-0', 'app-1', 'app-2', 'app-3', 'app-4', 'aws-otel-collector']);
    expect(snap.repositories.find((r) => r.name === 'app-1')).toMatchObject({
      registryId: ACCOUNT,
      region: 'us-east-1',
      imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION',
      exclusionFilters: [{ filterType: 'WILDCARD', filter: 'latest' }],
      found: true,
    });
    expect(snap.repositories.find((r) => r.name === 'aws-otel-collector')?.imageTagMutability).toBe('MUTABLE');

    // Plain JSON; server time recorded.
    expect(JSON.parse(JSON.stringify(snap))).toEqual(snap);
    expect(Date.parse(snap.serverTime!)).toBeGreaterThan(Date.now() - 60_000);

    // Progress reached the totals.
    const last = progress.at(-1)!;
    expect(last).toMatchObject({ phase: 'done', clustersTotal: 108, clustersDone: 108, servicesTotal: 300, servicesDone: 300, tasksTotal: 3007, tasksDone: 3007 });
  });

  it('filters clusters and services by glob with the minimum calls', async () => {
    const clusterGlob = (n: string) => n.startsWith('prod-');
    const serviceGlob = (n: string) => /^svc-1\d$/.test(n);
    const snap = await collectEcsSnapshot({ regions: ['us-east-1'], clusters: ['prod-*'], services: ['svc-1?'] });
    const min = minimumEcsCalls({
      regions: [regionShape(east.region, { clusters: clusterGlob, services: serviceGlob })],
      ecrRepositoryGroups: [6],
    });
    expectCallsToEqual(server, min);
    expect(snap.clusters.map((c) => c.name)).toEqual(['prod-web', 'prod-api']);
    for (const c of snap.clusters) {
      expect(c.services.map((s) => s.name).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `svc-1${i}`));
      expect(c.services.every((s) => s.tasks.length === 10)).toBe(true);
    }
    // Tasks of services outside the glob are dropped; standalone tasks are kept.
    expect(snap.clusters.find((c) => c.name === 'prod-web')!.standaloneTasks).toHaveLength(5);
  });
});

describe('collectEcsSnapshot: faults', () => {
  it('retries throttling bursts invisibly', async () => {
    const base = await baseline();
    server.fixture = smallFixture;
    const throttle = { ListClusters: 1, ListServices: 2, DescribeServices: 3, DescribeTaskDefinition: 2, ListTasks: 3, DescribeTasks: 3, DescribeServiceRevisions: 1, DescribeRepositories: 1 };
    server.faults = { throttle };
    const snap = await run();
    expect(stable(snap)).toEqual(stable(base));
    expect(snap.incomplete).toEqual([]);
    const min = smallMinimum();
    // Commands sent = the minimum; HTTP requests = the minimum + the throttled ones.
    expect(snap.calls).toEqual(nonZero(min));
    const expected: Record<string, number> = {};
    for (const [op, n] of Object.entries(min)) expected[op] = n + ((throttle as Record<string, number>)[op] ?? 0);
    expectCallsToEqual(server, expected);
  });

  it('records AccessDenied on one cluster as incomplete and completes the rest', async () => {
    const base = await baseline();
    server.fixture = smallFixture;
    const denied = clusterArn('us-east-1', ACCOUNT, 'b');
    server.faults = { accessDenied: { clusters: [denied] } };
    const snap = await run();
    expect(snap.incomplete.length).toBeGreaterThan(0);
    for (const entry of snap.incomplete) {
      expect(entry).toMatchObject({ scope: 'cluster', id: denied, region: 'us-east-1', code: 'AccessDeniedException' });
      expect(entry.reason).toContain('not authorized');
    }
    expect(snap.incomplete.map((e) => e.operation).sort()).toEqual(['ListServices', 'ListTasks']);
    const b = snap.clusters.find((c) => c.arn === denied)!;
    expect(b.services).toEqual([]);
    expect(b.standaloneTasks).toEqual([]);
    for (const name of ['a', 'c', 'd', 'eu']) {
      expect(snap.clusters.find((c) => c.name === name)).toEqual(base.clusters.find((c) => c.name === name));
    }
  });

  it('records AccessDenied on a whole region as incomplete and completes the other region', async () => {
    const base = await baseline();
    server.fixture = smallFixture;
    server.faults = { accessDenied: { regions: ['eu-west-1'] } };
    const snap = await run();
    expect(snap.incomplete).toEqual([
      expect.objectContaining({ scope: 'region', id: 'eu-west-1', operation: 'ListClusters', code: 'AccessDeniedException' }),
    ]);
    expect(snap.clusters).toEqual(base.clusters.filter((c) => c.region === 'us-east-1'));
    expect(server.count('ListClusters', 'eu-west-1')).toBe(1); // AccessDenied is not retried
  });

  it('survives a server clock months ahead: the SDK corrects systemClockOffset and retries', async () => {
    const base = await baseline();
    server.fixture = smallFixture;
    const ninetyDays = 90 * 24 * 3600 * 1000;
    server.faults = { clockSkew: { serverOffsetMs: ninetyDays } };
    const clients = new AwsClients();
    try {
      const snap = await run({ clients });
      expect(snap.incomplete).toEqual([]);
      expect(stable(snap)).toEqual(stable(base));
      // One rejected request per client at most (2 ECS regions; ECR starts from the learnt offset).
      expect(server.skewRejections).toBeGreaterThanOrEqual(1);
      expect(server.skewRejections).toBeLessThanOrEqual(2);
      // The retries are the SDK's own: commands sent = the minimum.
      expect(snap.calls).toEqual(nonZero(smallMinimum()));
      expect(Math.abs(snap.clockOffsetMs! - ninetyDays)).toBeLessThan(5_000);
      expect(Math.abs(Date.parse(snap.serverTime!) - (Date.now() + ninetyDays))).toBeLessThan(60_000);
      // Every accepted request was signed with the corrected (server) time.
      const accepted = server.requests.filter((r) => r.status === 200);
      expect(accepted.length).toBeGreaterThan(0);
      for (const r of accepted) {
        const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(r.amzDate!)!;
        const t = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
        expect(Math.abs(t - server.now())).toBeLessThan(5 * 60_000);
      }
    } finally {
      clients.destroy();
    }
  });

  it('survives a local clock months ahead (RequestTimeTooSkewed, 403): corrected by the SDK', async () => {
    server.fixture = smallFixture;
    const months = -150 * 24 * 3600 * 1000; // the server is behind = the local clock is ahead
    server.faults = { clockSkew: { serverOffsetMs: months, errorCode: 'RequestTimeTooSkewed' } };
    const snap = await run();
    expect(snap.incomplete).toEqual([]);
    expect(server.skewRejections).toBeGreaterThanOrEqual(1);
    expect(server.skewRejections).toBeLessThanOrEqual(2);
    expect(snap.calls).toEqual(nonZero(smallMinimum()));
    expect(Math.abs(snap.clockOffsetMs! - months)).toBeLessThan(5_000);
  });

  it('recovers when the local clock is right again but the client still holds a stale offset', async () => {
    // The SDK does not retry a correction back towards zero; withSkewRetry repeats the call once.
    server.fixture = smallFixture;
    server.faults = { clockSkew: { serverOffsetMs: 0, errorCode: 'RequestTimeTooSkewed' } };
    const snap = await run({ aws: { systemClockOffset: -150 * 24 * 3600 * 1000 } });
    expect(snap.incomplete).toEqual([]);
    expect(server.skewRejections).toBeGreaterThanOrEqual(1);
    expect(server.skewRejections).toBeLessThanOrEqual(2);
    expect(Math.abs(snap.clockOffsetMs!)).toBeLessThan(5_000);
  });

  it('stops with one clear error when credentials are missing', async () => {
    const restore = useFakeAwsEnv(server.url, { AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined });
    try {
      const err = await run().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AwsCredentialsError);
      expect(err).toMatchObject({ problem: 'missing', message: expect.stringContaining('No usable AWS credentials') });
      expect(server.requests).toHaveLength(0);
    } finally {
      restore();
    }
  });

  it('stops with one clear error when credentials have expired', async () => {
    server.fixture = smallFixture;
    server.faults = { expiredAccessKeys: [ENV_KEY] };
    const err = await run().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AwsCredentialsError);
    expect(err).toMatchObject({ problem: 'expired', message: expect.stringContaining('expired') });
    // Not retried, nothing else attempted after the first answers.
    expect(server.requests.length).toBeLessThanOrEqual(2);
  });

  it('falls back to ListServiceDeployments and tolerates an unknown DescribeServiceRevisions', async () => {
    const region = structuredClone(smallWest.region);
    for (const s of region.clusters[0]!.services) delete s.currentServiceRevisions;
    server.fixture = { ...smallFixture, regions: { 'eu-west-1': region } };
    const snap = await collectEcsSnapshot({ regions: ['eu-west-1'] });
    expect(server.count('ListServiceDeployments')).toBe(3);
    expect(server.count('DescribeServiceRevisions')).toBe(1);
    expect(Object.keys(snap.serviceRevisions)).toHaveLength(3);
    expect(snap.incomplete).toEqual([]);

    server.reset();
    server.faults = { unknownOperations: ['ListServiceDeployments', 'DescribeServiceRevisions'] };
    const snap2 = await collectEcsSnapshot({ regions: ['eu-west-1'] });
    expect(server.count('ListServiceDeployments')).toBe(1); // stops at the first "unknown operation"
    expect(snap2.incomplete).toEqual([
      expect.objectContaining({ scope: 'service-revisions', id: 'eu-west-1', operation: 'ListServiceDeployments', code: 'UnknownOperationException' }),
    ]);
    expect(snap2.clusters[0]!.services.flatMap((s) => s.tasks)).toHaveLength(6);
  });

  it('marks repositories that no longer exist, at one extra call each', async () => {
    const region = structuredClone(smallWest.region);
    const td = region.taskDefinitions[0]!;
    td.containers.push({ name: 'gone', image: `${ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/deleted-repo:1.0` });
    server.fixture = { ...smallFixture, regions: { 'eu-west-1': region } };
    const snap = await collectEcsSnapshot({ regions: ['eu-west-1'] });
    expect(snap.repositories.find((r) => r.name === 'deleted-repo')).toEqual({
      registryId: ACCOUNT,
      region: 'eu-west-1',
      name: 'deleted-repo',
      exclusionFilters: [],
      found: false,
    });
    expect(snap.repositories.filter((r) => r.found).map((r) => r.name)).toEqual(['app-0', 'app-1', 'app-2', 'aws-otel-collector']);
    expect(server.count('DescribeRepositories')).toBe(2);
  });

  it('assumes a role through STS once and signs every ECS/ECR call with it', async () => {
    server.fixture = smallFixture;
    server.faults = { validAccessKeys: [ENV_KEY] } satisfies FakeAwsFaults;
    const snap = await run({ aws: { roleArn: `arn:aws:iam::${ACCOUNT}:role/imagedrift-audit`, roleSessionName: 'audit' } });
    expect(snap.incomplete).toEqual([]);
    expect(server.count('AssumeRole')).toBe(1);
    const assumed = [...server.assumedRoles.entries()];
    expect(assumed).toHaveLength(1);
    const [key, role] = assumed[0]!;
    expect(role).toEqual({ roleArn: `arn:aws:iam::${ACCOUNT}:role/imagedrift-audit`, sessionName: 'audit', sourceAccessKeyId: ENV_KEY });
    const others = server.requests.filter((r) => r.service !== 'sts');
    expect(others.length).toBeGreaterThan(0);
    expect(others.every((r) => r.accessKeyId === key)).toBe(true);
    expect(imageDigest(small.repositories[0]!.images[0]!)).toMatch(/^sha256:/);
  });
});
