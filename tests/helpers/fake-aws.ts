// A loopback fake of the parts of Amazon ECS, Amazon ECR and AWS STS that imagedrift reads.
//
// It speaks the real wire protocols so that the real SDK clients (pointed at it with an endpoint
// override) exercise their own serialisation, pagination, retries, throttling back-off and
// clock-skew correction:
//   - ECS and ECR: AWS JSON 1.1 (`X-Amz-Target: <ServicePrefix>.<Operation>`, JSON bodies,
//     errors `{"__type": "...", "message": "..."}` with an `x-amzn-errortype` header);
//   - STS: the AWS query protocol (form-encoded body, XML responses) for AssumeRole and
//     GetCallerIdentity.
// The region is read from the SigV4 credential scope of the Authorization header. Signatures are
// not verified (the secret is not known to a real server either); the X-Amz-Date is checked
// against the server's (possibly fake) clock when clock-skew mode is on.
//
// Every request is counted per operation and per region, including the ones the server rejects,
// so tests can assert exact call counts.
//
// Also: otelIncidentFixture (the OTEL sidecar incident in progress, for `audit ecs` tests) and
// fakeAwsCliEnv (the environment a CLI child process needs to reach only this server).

import { createHash } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';

export const ECS_TARGET_PREFIX = 'AmazonEC2ContainerServiceV20141113';
export const ECR_TARGET_PREFIX = 'AmazonEC2ContainerRegistry_V20150921';

export const DEFAULT_ACCOUNT = '123456789012';

// ---------------------------------------------------------------------------------------------
// Fixture types

export interface FakeContainer {
  name: string;
  image: string;
  imageDigest?: string;
  lastStatus?: string;
}

export interface FakeTask {
  /** Task id (last ARN component); the ARN is derived from region/account/cluster. */
  id: string;
  /** `service:<name>` for service tasks; anything else (e.g. `family:web`) is standalone. */
  group?: string;
  taskDefinitionArn: string;
  startedAt?: Date;
  lastStatus?: string;
  desiredStatus?: 'RUNNING' | 'PENDING' | 'STOPPED';
  launchType?: string;
  containers: FakeContainer[];
}

export interface FakeDeployment {
  id: string;
  status: 'PRIMARY' | 'ACTIVE' | 'INACTIVE';
  taskDefinition: string;
  desiredCount?: number;
  runningCount?: number;
  pendingCount?: number;
  rolloutState?: 'COMPLETED' | 'FAILED' | 'IN_PROGRESS';
  createdAt?: Date;
  updatedAt?: Date;
}

export interface FakeService {
  name: string;
  taskDefinition: string;
  desiredCount?: number;
  runningCount?: number;
  pendingCount?: number;
  status?: string;
  launchType?: string;
  /** Defaults to one PRIMARY deployment of `taskDefinition`. */
  deployments?: FakeDeployment[];
  /** ARNs reported in DescribeServices' `currentServiceRevisions`. Omit to mimic an older API. */
  currentServiceRevisions?: string[];
  createdAt?: Date;
}

export interface FakeCluster {
  name: string;
  services: FakeService[];
  tasks: FakeTask[];
}

export interface FakeTaskDefinition {
  arn: string;
  family: string;
  revision: number;
  status?: 'ACTIVE' | 'INACTIVE';
  containers: FakeContainerDefinition[];
  registeredAt?: Date;
}

export interface FakeContainerDefinition {
  name: string;
  image: string;
  essential?: boolean;
  /** Sent as a `firelensConfiguration` of type fluentbit. */
  firelens?: boolean;
  /** Sent as `versionConsistency` (ECS omits it when never set; the default is enabled). */
  versionConsistency?: 'enabled' | 'disabled';
}

export interface FakeServiceRevision {
  arn: string;
  serviceArn: string;
  clusterArn: string;
  taskDefinition: string;
  containerImages: Array<{ containerName: string; image: string; imageDigest?: string }>;
  createdAt?: Date;
}

export interface FakeServiceDeployment {
  arn: string;
  serviceArn: string;
  clusterArn: string;
  targetServiceRevisionArn: string;
  status: 'PENDING' | 'IN_PROGRESS' | 'SUCCESSFUL' | 'STOPPED' | 'STOP_REQUESTED' | 'ROLLBACK_IN_PROGRESS' | 'ROLLBACK_SUCCESSFUL' | 'ROLLBACK_FAILED';
  createdAt: Date;
}

export interface FakeRegion {
  clusters: FakeCluster[];
  taskDefinitions: FakeTaskDefinition[];
  serviceRevisions?: FakeServiceRevision[];
  serviceDeployments?: FakeServiceDeployment[];
}

export interface FakeImage {
  tags: string[];
  /** The manifest bytes (UTF-8). Generated when absent. */
  manifest?: string;
  mediaType?: string;
  /** What BatchGetImage returns as `imageManifest` when it should differ from `manifest` (corruption). */
  servedManifest?: string;
  pushedAt?: Date;
  sizeInBytes?: number;
}

export interface FakeRepository {
  account?: string;
  region: string;
  name: string;
  imageTagMutability?: 'MUTABLE' | 'IMMUTABLE' | 'MUTABLE_WITH_EXCLUSION' | 'IMMUTABLE_WITH_EXCLUSION';
  exclusionFilters?: Array<{ filterType: 'WILDCARD'; filter: string }>;
  images: FakeImage[];
  createdAt?: Date;
}

export interface FakeAwsFixture {
  /** Account owning the ECS resources and the default ECR registry. */
  account?: string;
  regions: Record<string, FakeRegion>;
  repositories?: FakeRepository[];
}

export interface FakeAwsFaults {
  /** Operation name → the first N calls of that operation (all regions) get ThrottlingException. */
  throttle?: Record<string, number>;
  accessDenied?: {
    /** Cluster names or ARNs: every ECS call naming that cluster is denied. */
    clusters?: string[];
    /** Regions where every call is denied. */
    regions?: string[];
    /** ECR registry ids (accounts) where every ECR call is denied. */
    registries?: string[];
    /** Operation names denied everywhere. */
    operations?: string[];
    /** Role ARNs whose AssumeRole is denied (the caller may not assume them). */
    roles?: string[];
  };
  /**
   * Clock-skew mode: the server's clock is `Date.now() + serverOffsetMs`; a request whose X-Amz-Date
   * differs by more than `toleranceMs` (default 5 min) is rejected, and every response carries the
   * server's fake time in its `Date` header.
   */
  clockSkew?: {
    serverOffsetMs: number;
    toleranceMs?: number;
    /** Default `InvalidSignatureException` (what JSON services send); `RequestTimeTooSkewed` is the S3 style. */
    errorCode?: string;
    /** Default 403. */
    status?: number;
  };
  /** Access key ids answered with ExpiredTokenException. */
  expiredAccessKeys?: string[];
  /** When set, any other access key id gets UnrecognizedClientException. */
  validAccessKeys?: string[];
  /** Operations answered with UnknownOperationException (an API not offered in this partition). */
  unknownOperations?: string[];
  /** Added latency per request, in ms. */
  latencyMs?: number;
  /**
   * AWS-style request-rate throttling: a token bucket per region, service and operation (as ECS
   * and ECR throttle each API of an account and region separately) holding `burst` requests and refilled at `perSecond`; a request
   * that finds it empty gets ThrottlingException (counted in `throttledResponses`).
   */
  rateLimit?: { burst: number; perSecond: number };
  /** DescribeImages' ImageNotFoundException says which image id is missing only when this is not set. */
  terseImageNotFound?: boolean;
}

export interface RequestLogEntry {
  service: 'ecs' | 'ecr' | 'sts' | 'unknown';
  operation: string;
  region: string;
  accessKeyId?: string;
  amzDate?: string;
  status: number;
  errorType?: string;
  body: unknown;
}

// ---------------------------------------------------------------------------------------------
// Helpers shared with tests

export function sha256Digest(text: string): string {
  return `sha256:${createHash('sha256').update(text, 'utf8').digest('hex')}`;
}

export function clusterArn(region: string, account: string, cluster: string): string {
  return `arn:aws:ecs:${region}:${account}:cluster/${cluster}`;
}
export function serviceArn(region: string, account: string, cluster: string, service: string): string {
  return `arn:aws:ecs:${region}:${account}:service/${cluster}/${service}`;
}
export function taskArn(region: string, account: string, cluster: string, id: string): string {
  return `arn:aws:ecs:${region}:${account}:task/${cluster}/${id}`;
}
export function taskDefinitionArn(region: string, account: string, family: string, revision: number): string {
  return `arn:aws:ecs:${region}:${account}:task-definition/${family}:${revision}`;
}
export function serviceRevisionArn(region: string, account: string, cluster: string, service: string, id: string): string {
  return `arn:aws:ecs:${region}:${account}:service-revision/${cluster}/${service}/${id}`;
}

export const MEDIA_TYPES = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
} as const;

/** A deterministic, realistic single-platform manifest for a seed string. */
export function makeManifest(seed: string, mediaType: string = MEDIA_TYPES.ociManifest): string {
  const h = (s: string) => createHash('sha256').update(s).digest('hex');
  return JSON.stringify(
    {
      schemaVersion: 2,
      mediaType,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: `sha256:${h(`cfg:${seed}`)}`, size: 1469 },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: `sha256:${h(`layer:${seed}`)}`, size: 3623807 }],
    },
    null,
    3,
  );
}

export function imageDigest(image: FakeImage): string {
  return sha256Digest(image.manifest ?? '');
}

function normaliseImage(image: FakeImage, seed: string): Required<Pick<FakeImage, 'manifest' | 'mediaType'>> & FakeImage {
  const mediaType = image.mediaType ?? MEDIA_TYPES.ociManifest;
  if (image.manifest === undefined) image.manifest = makeManifest(seed, mediaType);
  image.mediaType = mediaType;
  return image as Required<Pick<FakeImage, 'manifest' | 'mediaType'>> & FakeImage;
}

// ---------------------------------------------------------------------------------------------
// Fleet builder: a realistic fleet for tests and benchmarks

export interface FleetSpec {
  region: string;
  account?: string;
  /** Per cluster: number of services, tasks per service, standalone tasks. */
  clusters: Array<{ name: string; services: number; tasksPerService: number; standaloneTasks?: number }>;
  /** Distinct task-definition families shared round-robin by services (default: one per service). */
  families?: number;
  /** ECR registry host used in images; repository names are `app-<n % repositories>`. */
  ecrAccount?: string;
  repositories?: number;
  /** Add `currentServiceRevisions` + matching service revisions (default true). */
  serviceRevisions?: boolean;
}

export interface BuiltFleet {
  region: FakeRegion;
  /** Unique task-definition ARNs referenced by services and tasks. */
  taskDefinitionArns: Set<string>;
  repositories: FakeRepository[];
  serviceCount: number;
  taskCount: number;
}

export function buildFleet(spec: FleetSpec): BuiltFleet {
  const account = spec.account ?? DEFAULT_ACCOUNT;
  const ecrAccount = spec.ecrAccount ?? account;
  const nRepos = spec.repositories ?? 5;
  const host = `${ecrAccount}.dkr.ecr.${spec.region}.amazonaws.com`;
  const repositories: FakeRepository[] = [];
  for (let r = 0; r < nRepos; r++) {
    const images: FakeImage[] = [
      { tags: ['latest', `1.${r}.1`] },
      { tags: [`1.${r}.0`] },
    ];
    images.forEach((img, i) => normaliseImage(img, `${spec.region}/${ecrAccount}/app-${r}/${i}`));
    repositories.push({
      account: ecrAccount,
      region: spec.region,
      name: `app-${r}`,
      imageTagMutability: r % 2 === 0 ? 'MUTABLE' : 'IMMUTABLE_WITH_EXCLUSION',
      exclusionFilters: r % 2 === 0 ? [] : [{ filterType: 'WILDCARD', filter: 'latest' }],
      images,
    });
  }
  const taskDefinitions = new Map<string, FakeTaskDefinition>();
  const region: FakeRegion = { clusters: [], taskDefinitions: [], serviceRevisions: [], serviceDeployments: [] };
  let serviceIndex = 0;
  let serviceCount = 0;
  let taskCount = 0;
  const tdArns = new Set<string>();
  const sidecar = `${ecrAccount}.dkr.ecr.${spec.region}.amazonaws.com/aws-otel-collector:latest`;
  const otel: FakeRepository = {
    account: ecrAccount,
    region: spec.region,
    name: 'aws-otel-collector',
    imageTagMutability: 'MUTABLE',
    exclusionFilters: [],
    images: [normaliseImage({ tags: ['latest', 'v0.29.0'] }, `${spec.region}/otel/0.29`), normaliseImage({ tags: ['v0.28.0'] }, `${spec.region}/otel/0.28`)],
  };
  repositories.push(otel);
  const otelDigest = imageDigest(otel.images[0]!);
  for (const c of spec.clusters) {
    const cluster: FakeCluster = { name: c.name, services: [], tasks: [] };
    const cArn = clusterArn(spec.region, account, c.name);
    for (let s = 0; s < c.services; s++, serviceIndex++) {
      const family = spec.families ? `fam-${serviceIndex % spec.families}` : `${c.name}-svc-${s}`;
      const tdArn = taskDefinitionArn(spec.region, account, family, 3);
      const repoIdx = serviceIndex % nRepos;
      const repo = repositories[repoIdx]!;
      const appImage = `${host}/${repo.name}:latest`;
      if (!taskDefinitions.has(tdArn)) {
        taskDefinitions.set(tdArn, {
          arn: tdArn,
          family,
          revision: 3,
          containers: [
            { name: 'app', image: appImage, essential: true },
            { name: 'otel', image: sidecar, essential: false },
          ],
        });
      }
      tdArns.add(tdArn);
      const name = `svc-${s}`;
      const sArn = serviceArn(spec.region, account, c.name, name);
      const service: FakeService = {
        name,
        taskDefinition: tdArn,
        desiredCount: c.tasksPerService,
        runningCount: c.tasksPerService,
        pendingCount: 0,
        launchType: 'FARGATE',
      };
      const appDigest = imageDigest(repo.images[0]!);
      if (spec.serviceRevisions !== false) {
        const revArn = serviceRevisionArn(spec.region, account, c.name, name, `rev${s}`);
        service.currentServiceRevisions = [revArn];
        region.serviceRevisions!.push({
          arn: revArn,
          serviceArn: sArn,
          clusterArn: cArn,
          taskDefinition: tdArn,
          containerImages: [
            { containerName: 'app', image: appImage, imageDigest: appDigest },
            { containerName: 'otel', image: sidecar, imageDigest: otelDigest },
          ],
        });
        region.serviceDeployments!.push({
          arn: `arn:aws:ecs:${spec.region}:${account}:service-deployment/${c.name}/${name}/dep${s}`,
          serviceArn: sArn,
          clusterArn: cArn,
          targetServiceRevisionArn: revArn,
          status: 'SUCCESSFUL',
          createdAt: new Date(Date.UTC(2025, 0, 1)),
        });
      }
      cluster.services.push(service);
      serviceCount++;
      for (let t = 0; t < c.tasksPerService; t++) {
        cluster.tasks.push({
          id: `${s.toString(16).padStart(4, '0')}${t.toString(16).padStart(4, '0')}aaaabbbbccccdddd`,
          group: `service:${name}`,
          taskDefinitionArn: tdArn,
          startedAt: new Date(Date.UTC(2025, 0, 2, 3, 4, 5)),
          lastStatus: 'RUNNING',
          desiredStatus: 'RUNNING',
          launchType: 'FARGATE',
          containers: [
            { name: 'app', image: appImage, imageDigest: appDigest, lastStatus: 'RUNNING' },
            { name: 'otel', image: sidecar, imageDigest: otelDigest, lastStatus: 'RUNNING' },
          ],
        });
        taskCount++;
      }
    }
    for (let t = 0; t < (c.standaloneTasks ?? 0); t++) {
      const family = `${c.name}-batch`;
      const tdArn = taskDefinitionArn(spec.region, account, family, 1);
      if (!taskDefinitions.has(tdArn)) {
        taskDefinitions.set(tdArn, { arn: tdArn, family, revision: 1, containers: [{ name: 'job', image: `${host}/app-0:1.0.0` }] });
      }
      tdArns.add(tdArn);
      cluster.tasks.push({
        id: `ffff${t.toString(16).padStart(4, '0')}aaaabbbbccccdddd`,
        group: `family:${family}`,
        taskDefinitionArn: tdArn,
        startedAt: new Date(Date.UTC(2025, 0, 2)),
        lastStatus: 'RUNNING',
        desiredStatus: 'RUNNING',
        containers: [{ name: 'job', image: `${host}/app-0:1.0.0`, imageDigest: imageDigest(repositories[0]!.images[1]!) }],
      });
      taskCount++;
    }
    region.clusters.push(cluster);
  }
  region.taskDefinitions = [...taskDefinitions.values()];
  return { region, taskDefinitionArns: tdArns, repositories, serviceCount, taskCount };
}

// ---------------------------------------------------------------------------------------------
// The OTEL sidecar incident, in progress

// `checkout` runs the AWS OTEL collector sidecar as `:latest` with
// versionConsistency disabled; upstream released v0.29.0 and `latest` moved; half the tasks were
// replaced since and run v0.29.0, half still run v0.28.0.
const otel028: FakeImage = { tags: ['v0.28.0', '0.28'], manifest: makeManifest('otel/v0.28.0') };
const otel029: FakeImage = { tags: ['latest', 'v0.29.0', '0.29'], manifest: makeManifest('otel/v0.29.0') };
const api421: FakeImage = { tags: ['4.2.1'], manifest: makeManifest('checkout-api/4.2.1') };

/** The OTEL incident fixture's names and images. */
export const OTEL = {
  ACCOUNT: DEFAULT_ACCOUNT,
  REGION: 'us-east-1',
  ECR: `${DEFAULT_ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com`,
  v028: otel028,
  v029: otel029,
  api: api421,
} as const;

export function otelIncidentFixture(): FakeAwsFixture {
  const { ACCOUNT, REGION, ECR } = OTEL;
  const OLD = imageDigest(otel028);
  const NEW = imageDigest(otel029);
  const API = imageDigest(api421);
  const td = taskDefinitionArn(REGION, ACCOUNT, 'checkout', 7);
  const revision = serviceRevisionArn(REGION, ACCOUNT, 'prod', 'checkout', '4021');
  const tasks: FakeTask[] = Array.from({ length: 10 }, (_, i) => ({
    id: `0c0ffee${i}aaaabbbbccccddddeeee0000`.slice(0, 32),
    group: 'service:checkout',
    taskDefinitionArn: td,
    startedAt: new Date(Date.UTC(2025, 5, 1, i)),
    containers: [
      { name: 'checkout-api', image: `${ECR}/checkout-api:4.2.1`, imageDigest: API },
      { name: 'aws-otel-collector', image: `${ECR}/aws-otel-collector:latest`, imageDigest: i < 5 ? OLD : NEW },
    ],
  }));
  return {
    account: ACCOUNT,
    regions: {
      [REGION]: {
        clusters: [{ name: 'prod', services: [{ name: 'checkout', taskDefinition: td, desiredCount: 10, runningCount: 10, currentServiceRevisions: [revision] }], tasks }],
        taskDefinitions: [
          {
            arn: td,
            family: 'checkout',
            revision: 7,
            containers: [
              { name: 'checkout-api', image: `${ECR}/checkout-api:4.2.1`, essential: true },
              { name: 'aws-otel-collector', image: `${ECR}/aws-otel-collector:latest`, essential: true, versionConsistency: 'disabled' },
            ],
          },
        ],
        serviceRevisions: [
          {
            arn: revision,
            serviceArn: serviceArn(REGION, ACCOUNT, 'prod', 'checkout'),
            clusterArn: clusterArn(REGION, ACCOUNT, 'prod'),
            taskDefinition: td,
            // versionConsistency disabled: ECS records no digest for the sidecar.
            containerImages: [
              { containerName: 'checkout-api', image: `${ECR}/checkout-api:4.2.1`, imageDigest: API },
              { containerName: 'aws-otel-collector', image: `${ECR}/aws-otel-collector:latest` },
            ],
          },
        ],
      },
    },
    repositories: [
      { account: ACCOUNT, region: REGION, name: 'aws-otel-collector', imageTagMutability: 'MUTABLE', images: [otel028, otel029] },
      { account: ACCOUNT, region: REGION, name: 'checkout-api', imageTagMutability: 'IMMUTABLE', images: [api421] },
    ],
  };
}


// ---------------------------------------------------------------------------------------------
// Server

class AwsError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

const epoch = (d: Date | undefined): number | undefined => (d === undefined ? undefined : d.getTime() / 1000);

function paginate<T>(items: T[], input: Record<string, unknown>, op: string, defaultSize: number, maxSize: number): { page: T[]; nextToken?: string } {
  let size = defaultSize;
  if (input.maxResults !== undefined && input.maxResults !== null) {
    const n = Number(input.maxResults);
    if (!Number.isInteger(n) || n < 1 || n > maxSize) {
      throw new AwsError('InvalidParameterException', `maxResults must be between 1 and ${maxSize}.`);
    }
    size = n;
  }
  let offset = 0;
  if (typeof input.nextToken === 'string') {
    try {
      const t = JSON.parse(Buffer.from(input.nextToken, 'base64url').toString('utf8')) as { op: string; o: number };
      if (t.op !== op || !Number.isInteger(t.o)) throw new Error('bad');
      offset = t.o;
    } catch {
      throw new AwsError('InvalidParameterException', 'The specified nextToken is invalid.');
    }
  }
  const page = items.slice(offset, offset + size);
  const next = offset + size;
  return next < items.length ? { page, nextToken: Buffer.from(JSON.stringify({ op, o: next })).toString('base64url') } : { page };
}

function lastSegment(arnOrName: string): string {
  const i = arnOrName.lastIndexOf('/');
  return i === -1 ? arnOrName : arnOrName.slice(i + 1);
}

interface Ctx {
  region: string;
  service: 'ecs' | 'ecr' | 'sts' | 'unknown';
  op: string;
  accessKeyId?: string;
}

export class FakeAwsServer {
  readonly calls: Record<string, number> = {};
  readonly callsByRegion: Record<string, Record<string, number>> = {};
  readonly requests: RequestLogEntry[] = [];
  /** Rejections answered in clock-skew mode. */
  skewRejections = 0;
  inFlight = 0;
  maxInFlight = 0;
  /** Roles assumed through STS, keyed by the temporary access key id handed out. */
  readonly assumedRoles = new Map<string, { roleArn: string; sessionName: string; sourceAccessKeyId?: string }>();
  private throttled: Record<string, number> = {};
  /** Requests refused by `rateLimit`. */
  throttledResponses = 0;
  private buckets = new Map<string, { tokens: number; at: number }>();
  private server: http.Server | https.Server;
  url = '';
  private stsCounter = 0;

  /** With `tls`, the server speaks HTTPS with that certificate (for proxy tests). */
  constructor(
    public fixture: FakeAwsFixture,
    public faults: FakeAwsFaults = {},
    tls?: { cert: Buffer; key: Buffer },
  ) {
    const listener = (req: http.IncomingMessage, res: http.ServerResponse) => {
      this.handle(req, res).catch((err: unknown) => {
        res.statusCode = 500;
        res.end(String(err));
      });
    };
    this.server = tls ? https.createServer({ cert: tls.cert, key: tls.key }, listener) : http.createServer(listener);
  }

  static async start(fixture: FakeAwsFixture, faults: FakeAwsFaults = {}, tls?: { cert: Buffer; key: Buffer }): Promise<FakeAwsServer> {
    const s = new FakeAwsServer(fixture, faults, tls);
    await new Promise<void>((resolve) => s.server.listen(0, '127.0.0.1', resolve));
    const { port } = s.server.address() as AddressInfo;
    s.url = `${tls ? 'https' : 'http'}://127.0.0.1:${port}`;
    return s;
  }

  /** The port the server listens on. */
  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  get account(): string {
    return this.fixture.account ?? DEFAULT_ACCOUNT;
  }

  /** The server's clock (fake when clock-skew mode is on). */
  now(): number {
    return Date.now() + (this.faults.clockSkew?.serverOffsetMs ?? 0);
  }

  reset(): void {
    for (const k of Object.keys(this.calls)) delete this.calls[k];
    for (const k of Object.keys(this.callsByRegion)) delete this.callsByRegion[k];
    this.requests.length = 0;
    this.throttled = {};
    this.skewRejections = 0;
    this.maxInFlight = 0;
    this.throttledResponses = 0;
    this.buckets.clear();
  }

  count(op: string, region?: string): number {
    return region === undefined ? (this.calls[op] ?? 0) : (this.callsByRegion[region]?.[op] ?? 0);
  }

  // -------------------------------------------------------------------------------------------

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const auth = String(req.headers.authorization ?? '');
    const scope = /Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request/.exec(auth);
    const target = String(req.headers['x-amz-target'] ?? '');
    const contentType = String(req.headers['content-type'] ?? '');
    let ctx: Ctx;
    let body: Record<string, unknown> = {};
    if (contentType.startsWith('application/x-www-form-urlencoded')) {
      const params = new URLSearchParams(raw);
      body = Object.fromEntries(params.entries());
      ctx = { service: 'sts', op: params.get('Action') ?? 'Unknown', region: scope?.[3] ?? 'us-east-1' };
    } else {
      try {
        body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
      } catch {
        body = {};
      }
      const [prefix, op = 'Unknown'] = target.split('.');
      const service = prefix === ECS_TARGET_PREFIX ? 'ecs' : prefix === ECR_TARGET_PREFIX ? 'ecr' : 'unknown';
      ctx = { service, op, region: scope?.[3] ?? 'unknown' };
    }
    if (scope?.[1]) ctx.accessKeyId = scope[1];
    this.calls[ctx.op] = (this.calls[ctx.op] ?? 0) + 1;
    const byRegion = (this.callsByRegion[ctx.region] ??= {});
    byRegion[ctx.op] = (byRegion[ctx.op] ?? 0) + 1;
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    const amzDate = req.headers['x-amz-date'] as string | undefined;
    const log: RequestLogEntry = { service: ctx.service, operation: ctx.op, region: ctx.region, status: 200, body };
    if (ctx.accessKeyId) log.accessKeyId = ctx.accessKeyId;
    if (amzDate) log.amzDate = amzDate;
    this.requests.push(log);
    try {
      if (this.faults.latencyMs) await new Promise((r) => setTimeout(r, this.faults.latencyMs));
      res.setHeader('Date', new Date(this.now()).toUTCString());
      res.setHeader('x-amzn-RequestId', `req-${this.requests.length}`);
      try {
        this.checkFaults(ctx, amzDate);
        const out = this.dispatch(ctx, body);
        if (ctx.service === 'sts') {
          res.setHeader('Content-Type', 'text/xml');
          res.end(out as string);
        } else {
          res.setHeader('Content-Type', 'application/x-amz-json-1.1');
          res.end(JSON.stringify(out));
        }
      } catch (e) {
        const err = e instanceof AwsError ? e : new AwsError('InternalFailure', String(e), 500);
        log.status = err.status;
        log.errorType = err.type;
        res.statusCode = err.status;
        if (ctx.service === 'sts') {
          res.setHeader('Content-Type', 'text/xml');
          res.end(
            `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>${err.type}</Code><Message>${escapeXml(err.message)}</Message></Error><RequestId>req-${this.requests.length}</RequestId></ErrorResponse>`,
          );
        } else {
          res.setHeader('Content-Type', 'application/x-amz-json-1.1');
          res.setHeader('x-amzn-errortype', `${err.type}:http://internal.amazon.com/coral/com.amazonaws.${ctx.service}/`);
          res.end(JSON.stringify({ __type: err.type, message: err.message }));
        }
      }
    } finally {
      this.inFlight--;
    }
  }

  private checkFaults(ctx: Ctx, amzDate: string | undefined): void {
    const f = this.faults;
    if (f.clockSkew) {
      const tolerance = f.clockSkew.toleranceMs ?? 5 * 60_000;
      const m = amzDate ? /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate) : null;
      const sent = m ? Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) : NaN;
      const now = this.now();
      if (!Number.isFinite(sent) || Math.abs(sent - now) > tolerance) {
        this.skewRejections++;
        const fmt = (t: number) => new Date(t).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
        const code = f.clockSkew.errorCode ?? 'InvalidSignatureException';
        const message =
          code === 'RequestTimeTooSkewed'
            ? 'The difference between the request time and the current time is too large.'
            : sent < now
              ? `Signature expired: ${amzDate} is now earlier than ${fmt(now - tolerance)} (${fmt(now)} - 5 min.)`
              : `Signature not yet current: ${amzDate} is still later than ${fmt(now + tolerance)} (${fmt(now)} + 5 min.)`;
        throw new AwsError(code, message, f.clockSkew.status ?? 403);
      }
    }
    if (ctx.accessKeyId && f.expiredAccessKeys?.includes(ctx.accessKeyId)) {
      throw new AwsError(ctx.service === 'sts' ? 'ExpiredToken' : 'ExpiredTokenException', 'The security token included in the request is expired', 400);
    }
    if (f.validAccessKeys && !(ctx.accessKeyId && (f.validAccessKeys.includes(ctx.accessKeyId) || this.assumedRoles.has(ctx.accessKeyId)))) {
      throw new AwsError(ctx.service === 'sts' ? 'InvalidClientTokenId' : 'UnrecognizedClientException', 'The security token included in the request is invalid.', 400);
    }
    if (f.unknownOperations?.includes(ctx.op)) {
      throw new AwsError('UnknownOperationException', '', 400);
    }
    if (f.rateLimit !== undefined && ctx.service !== 'sts') {
      const key = `${ctx.region}:${ctx.service}:${ctx.op}`;
      const now = Date.now();
      const bucket = this.buckets.get(key) ?? { tokens: f.rateLimit.burst, at: now };
      bucket.tokens = Math.min(f.rateLimit.burst, bucket.tokens + ((now - bucket.at) / 1000) * f.rateLimit.perSecond);
      bucket.at = now;
      this.buckets.set(key, bucket);
      if (bucket.tokens < 1) {
        this.throttledResponses++;
        throw new AwsError('ThrottlingException', 'Rate exceeded', 400);
      }
      bucket.tokens -= 1;
    }
    const limit = f.throttle?.[ctx.op];
    if (limit !== undefined) {
      const n = (this.throttled[ctx.op] ?? 0) + 1;
      if (n <= limit) {
        this.throttled[ctx.op] = n;
        throw new AwsError('ThrottlingException', 'Rate exceeded', 400);
      }
    }
    if (f.accessDenied?.regions?.includes(ctx.region) || f.accessDenied?.operations?.includes(ctx.op)) {
      this.deny(ctx, ctx.region);
    }
  }

  private deny(ctx: Ctx, resource: string): never {
    throw new AwsError(
      'AccessDeniedException',
      `User: arn:aws:iam::${this.account}:user/imagedrift-test is not authorized to perform: ${ctx.service}:${ctx.op} on resource: ${resource} because no identity-based policy allows the ${ctx.service}:${ctx.op} action`,
      400,
    );
  }

  private dispatch(ctx: Ctx, body: Record<string, unknown>): unknown {
    if (ctx.service === 'sts') return this.sts(ctx, body);
    if (ctx.service === 'ecs') return this.ecs(ctx, body);
    if (ctx.service === 'ecr') return this.ecr(ctx, body);
    throw new AwsError('UnknownOperationException', `Unknown target ${ctx.op}`);
  }

  // ---------------------------------------------------------------------------------- STS

  private sts(ctx: Ctx, body: Record<string, unknown>): string {
    const rid = `req-${this.requests.length}`;
    if (ctx.op === 'GetCallerIdentity') {
      const role = ctx.accessKeyId ? this.assumedRoles.get(ctx.accessKeyId) : undefined;
      const arn = role ? role.roleArn.replace(':iam::', ':sts::').replace(':role/', ':assumed-role/') + `/${role.sessionName}` : `arn:aws:iam::${this.account}:user/imagedrift-test`;
      return `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>${arn}</Arn><UserId>AIDAFAKE</UserId><Account>${this.account}</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>${rid}</RequestId></ResponseMetadata></GetCallerIdentityResponse>`;
    }
    if (ctx.op === 'AssumeRole') {
      const roleArn = String(body.RoleArn ?? '');
      const sessionName = String(body.RoleSessionName ?? '');
      if (!/^arn:aws[\w-]*:iam::\d{12}:role\/.+/.test(roleArn)) throw new AwsError('ValidationError', 'RoleArn is invalid');
      if (this.faults.accessDenied?.roles?.includes(roleArn)) {
        throw new AwsError(
          'AccessDenied',
          `User: arn:aws:iam::${this.account}:user/imagedrift-test is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`,
          403,
        );
      }
      const duration = Number(body.DurationSeconds ?? 3600);
      const key = `ASIAFAKE${String(++this.stsCounter).padStart(8, '0')}`;
      const entry: { roleArn: string; sessionName: string; sourceAccessKeyId?: string } = { roleArn, sessionName };
      if (ctx.accessKeyId) entry.sourceAccessKeyId = ctx.accessKeyId;
      this.assumedRoles.set(key, entry);
      const expiration = new Date(this.now() + duration * 1000).toISOString();
      const assumedArn = roleArn.replace(':iam::', ':sts::').replace(':role/', ':assumed-role/') + `/${sessionName}`;
      return `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult><Credentials><AccessKeyId>${key}</AccessKeyId><SecretAccessKey>fakeSecret${this.stsCounter}</SecretAccessKey><SessionToken>fakeSessionToken${this.stsCounter}</SessionToken><Expiration>${expiration}</Expiration></Credentials><AssumedRoleUser><AssumedRoleId>AROAFAKE:${escapeXml(sessionName)}</AssumedRoleId><Arn>${escapeXml(assumedArn)}</Arn></AssumedRoleUser></AssumeRoleResult><ResponseMetadata><RequestId>${rid}</RequestId></ResponseMetadata></AssumeRoleResponse>`;
    }
    throw new AwsError('InvalidAction', `Could not find operation ${ctx.op}`);
  }

  // ---------------------------------------------------------------------------------- ECS

  private region(ctx: Ctx): FakeRegion {
    return this.fixture.regions[ctx.region] ?? { clusters: [], taskDefinitions: [] };
  }

  private cluster(ctx: Ctx, ref: unknown): FakeCluster {
    const name = lastSegment(typeof ref === 'string' && ref ? ref : 'default');
    const arn = clusterArn(ctx.region, this.account, name);
    const denied = this.faults.accessDenied?.clusters;
    if (denied && (denied.includes(name) || denied.includes(arn))) this.deny(ctx, arn);
    const c = this.region(ctx).clusters.find((x) => x.name === name);
    if (!c) throw new AwsError('ClusterNotFoundException', 'Cluster not found.');
    return c;
  }

  private serviceJson(ctx: Ctx, cluster: FakeCluster, s: FakeService): Record<string, unknown> {
    const cArn = clusterArn(ctx.region, this.account, cluster.name);
    const deployments = s.deployments ?? [
      { id: `ecs-svc/${s.name}`, status: 'PRIMARY', taskDefinition: s.taskDefinition, desiredCount: s.desiredCount ?? 1, runningCount: s.runningCount ?? 1, pendingCount: 0, rolloutState: 'COMPLETED' },
    ];
    const out: Record<string, unknown> = {
      serviceArn: serviceArn(ctx.region, this.account, cluster.name, s.name),
      serviceName: s.name,
      clusterArn: cArn,
      status: s.status ?? 'ACTIVE',
      desiredCount: s.desiredCount ?? 1,
      runningCount: s.runningCount ?? 1,
      pendingCount: s.pendingCount ?? 0,
      launchType: s.launchType ?? 'FARGATE',
      taskDefinition: s.taskDefinition,
      schedulingStrategy: 'REPLICA',
      createdAt: epoch(s.createdAt ?? new Date(Date.UTC(2024, 5, 1))),
      deployments: deployments.map((d) => ({
        id: d.id,
        status: d.status,
        taskDefinition: d.taskDefinition,
        desiredCount: d.desiredCount ?? 0,
        pendingCount: d.pendingCount ?? 0,
        runningCount: d.runningCount ?? 0,
        rolloutState: d.rolloutState,
        createdAt: epoch(d.createdAt ?? new Date(Date.UTC(2025, 0, 1))),
        updatedAt: epoch(d.updatedAt ?? new Date(Date.UTC(2025, 0, 1))),
      })),
      events: [],
    };
    if (s.currentServiceRevisions) {
      out.currentServiceRevisions = s.currentServiceRevisions.map((arn) => ({
        arn,
        requestedTaskCount: s.desiredCount ?? 1,
        runningTaskCount: s.runningCount ?? 1,
        pendingTaskCount: 0,
      }));
    }
    return out;
  }

  private taskJson(ctx: Ctx, cluster: FakeCluster, t: FakeTask): Record<string, unknown> {
    const tArn = taskArn(ctx.region, this.account, cluster.name, t.id);
    return {
      taskArn: tArn,
      clusterArn: clusterArn(ctx.region, this.account, cluster.name),
      taskDefinitionArn: t.taskDefinitionArn,
      group: t.group,
      lastStatus: t.lastStatus ?? 'RUNNING',
      desiredStatus: t.desiredStatus ?? 'RUNNING',
      startedAt: epoch(t.startedAt),
      launchType: t.launchType ?? 'FARGATE',
      version: 3,
      containers: t.containers.map((c, i) => ({
        containerArn: `arn:aws:ecs:${ctx.region}:${this.account}:container/${cluster.name}/${t.id}/c${i}`,
        taskArn: tArn,
        name: c.name,
        image: c.image,
        imageDigest: c.imageDigest,
        runtimeId: `${t.id}-${i}`,
        lastStatus: c.lastStatus ?? 'RUNNING',
      })),
    };
  }

  private ecs(ctx: Ctx, body: Record<string, unknown>): unknown {
    const region = this.region(ctx);
    switch (ctx.op) {
      case 'ListClusters': {
        const arns = region.clusters.map((c) => clusterArn(ctx.region, this.account, c.name));
        const { page, nextToken } = paginate(arns, body, ctx.op, 10, 100);
        return { clusterArns: page, nextToken };
      }
      case 'DescribeClusters': {
        const refs = (body.clusters as string[] | undefined) ?? ['default'];
        if (refs.length > 100) throw new AwsError('InvalidParameterException', 'clusters can have at most 100 items.');
        const clusters: unknown[] = [];
        const failures: unknown[] = [];
        for (const ref of refs) {
          const name = lastSegment(ref);
          const c = region.clusters.find((x) => x.name === name);
          const arn = clusterArn(ctx.region, this.account, name);
          if (!c) failures.push({ arn, reason: 'MISSING' });
          else
            clusters.push({
              clusterArn: arn,
              clusterName: name,
              status: 'ACTIVE',
              activeServicesCount: c.services.length,
              runningTasksCount: c.tasks.filter((t) => (t.desiredStatus ?? 'RUNNING') === 'RUNNING').length,
              pendingTasksCount: 0,
            });
        }
        return { clusters, failures };
      }
      case 'ListServices': {
        const c = this.cluster(ctx, body.cluster);
        const arns = c.services.map((s) => serviceArn(ctx.region, this.account, c.name, s.name));
        const { page, nextToken } = paginate(arns, body, ctx.op, 10, 100);
        return { serviceArns: page, nextToken };
      }
      case 'DescribeServices': {
        const c = this.cluster(ctx, body.cluster);
        const refs = (body.services as string[] | undefined) ?? [];
        if (refs.length === 0 || refs.length > 10) {
          throw new AwsError('InvalidParameterException', 'services can have at most 10 items.');
        }
        const services: unknown[] = [];
        const failures: unknown[] = [];
        for (const ref of refs) {
          const name = lastSegment(ref);
          const s = c.services.find((x) => x.name === name);
          if (s) services.push(this.serviceJson(ctx, c, s));
          else failures.push({ arn: serviceArn(ctx.region, this.account, c.name, name), reason: 'MISSING' });
        }
        return { services, failures };
      }
      case 'DescribeTaskDefinition': {
        const ref = String(body.taskDefinition ?? '');
        const td = findTaskDefinition(region, ref);
        if (!td) throw new AwsError('ClientException', 'Unable to describe task definition.');
        return {
          taskDefinition: {
            taskDefinitionArn: td.arn,
            family: td.family,
            revision: td.revision,
            status: td.status ?? 'ACTIVE',
            registeredAt: epoch(td.registeredAt ?? new Date(Date.UTC(2024, 11, 1))),
            containerDefinitions: td.containers.map((c) => ({
              name: c.name,
              image: c.image,
              essential: c.essential ?? true,
              cpu: 0,
              portMappings: [],
              environment: [],
              ...(c.firelens ? { firelensConfiguration: { type: 'fluentbit', options: { 'enable-ecs-log-metadata': 'true' } } } : {}),
              ...(c.versionConsistency ? { versionConsistency: c.versionConsistency } : {}),
            })),
            requiresCompatibilities: ['FARGATE'],
            networkMode: 'awsvpc',
          },
          tags: [],
        };
      }
      case 'ListTasks': {
        const c = this.cluster(ctx, body.cluster);
        const desired = String(body.desiredStatus ?? 'RUNNING');
        let tasks = c.tasks.filter((t) => (t.desiredStatus ?? 'RUNNING') === desired);
        if (typeof body.serviceName === 'string') {
          const name = lastSegment(body.serviceName);
          if (!c.services.some((s) => s.name === name)) throw new AwsError('ServiceNotFoundException', 'Service not found.');
          tasks = tasks.filter((t) => t.group === `service:${name}`);
        }
        if (typeof body.family === 'string') {
          const fam = body.family;
          tasks = tasks.filter((t) => t.taskDefinitionArn.includes(`:task-definition/${fam}:`));
        }
        const arns = tasks.map((t) => taskArn(ctx.region, this.account, c.name, t.id));
        const { page, nextToken } = paginate(arns, body, ctx.op, 100, 100);
        return { taskArns: page, nextToken };
      }
      case 'DescribeTasks': {
        const c = this.cluster(ctx, body.cluster);
        const refs = (body.tasks as string[] | undefined) ?? [];
        if (refs.length === 0 || refs.length > 100) throw new AwsError('InvalidParameterException', 'tasks can have at most 100 items.');
        const byId = new Map(c.tasks.map((t) => [t.id, t]));
        const tasks: unknown[] = [];
        const failures: unknown[] = [];
        for (const ref of refs) {
          const t = byId.get(lastSegment(ref));
          if (t) tasks.push(this.taskJson(ctx, c, t));
          else failures.push({ arn: ref, reason: 'MISSING' });
        }
        return { tasks, failures };
      }
      case 'ListServiceDeployments': {
        const c = this.cluster(ctx, body.cluster);
        const name = lastSegment(String(body.service ?? ''));
        if (!c.services.some((s) => s.name === name)) throw new AwsError('ServiceNotFoundException', 'Service not found.');
        const sArn = serviceArn(ctx.region, this.account, c.name, name);
        const statuses = body.status as string[] | undefined;
        const deps = (region.serviceDeployments ?? [])
          .filter((d) => d.serviceArn === sArn && (!statuses || statuses.includes(d.status)))
          .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
        const { page, nextToken } = paginate(deps, body, ctx.op, 20, 100);
        return {
          serviceDeployments: page.map((d) => ({
            serviceDeploymentArn: d.arn,
            serviceArn: d.serviceArn,
            clusterArn: d.clusterArn,
            createdAt: epoch(d.createdAt),
            startedAt: epoch(d.createdAt),
            targetServiceRevisionArn: d.targetServiceRevisionArn,
            status: d.status,
          })),
          nextToken,
        };
      }
      case 'DescribeServiceRevisions': {
        const arns = (body.serviceRevisionArns as string[] | undefined) ?? [];
        if (arns.length === 0 || arns.length > 20) throw new AwsError('InvalidParameterException', 'serviceRevisionArns can have at most 20 items.');
        const serviceRevisions: unknown[] = [];
        const failures: unknown[] = [];
        for (const arn of arns) {
          const denied = this.faults.accessDenied?.clusters;
          const rev = (region.serviceRevisions ?? []).find((r) => r.arn === arn);
          if (rev && denied && (denied.includes(rev.clusterArn) || denied.includes(lastSegment(rev.clusterArn)))) {
            failures.push({ arn, reason: 'AccessDenied' });
            continue;
          }
          if (!rev) {
            failures.push({ arn, reason: 'MISSING' });
            continue;
          }
          serviceRevisions.push({
            serviceRevisionArn: rev.arn,
            serviceArn: rev.serviceArn,
            clusterArn: rev.clusterArn,
            taskDefinition: rev.taskDefinition,
            launchType: 'FARGATE',
            containerImages: rev.containerImages,
            createdAt: epoch(rev.createdAt ?? new Date(Date.UTC(2025, 0, 1))),
          });
        }
        return { serviceRevisions, failures };
      }
      default:
        throw new AwsError('UnknownOperationException', `Unknown operation ${ctx.op}`);
    }
  }

  // ---------------------------------------------------------------------------------- ECR

  private registry(ctx: Ctx, body: Record<string, unknown>): string {
    const registryId = typeof body.registryId === 'string' && body.registryId ? body.registryId : this.account;
    if (!/^\d{12}$/.test(registryId)) throw new AwsError('InvalidParameterException', `Invalid parameter at 'registryId' failed to satisfy constraint`);
    if (this.faults.accessDenied?.registries?.includes(registryId)) {
      this.deny(ctx, `arn:aws:ecr:${ctx.region}:${registryId}:repository/*`);
    }
    return registryId;
  }

  private repos(ctx: Ctx, registryId: string): FakeRepository[] {
    return (this.fixture.repositories ?? []).filter((r) => r.region === ctx.region && (r.account ?? this.account) === registryId);
  }

  private repo(ctx: Ctx, registryId: string, name: unknown): FakeRepository {
    const r = this.repos(ctx, registryId).find((x) => x.name === name);
    if (!r) {
      throw new AwsError('RepositoryNotFoundException', `The repository with name '${String(name)}' does not exist in the registry with id '${registryId}'`);
    }
    r.images.forEach((img, i) => normaliseImage(img, `${ctx.region}/${registryId}/${r.name}/${i}`));
    return r;
  }

  private ecr(ctx: Ctx, body: Record<string, unknown>): unknown {
    const registryId = this.registry(ctx, body);
    switch (ctx.op) {
      case 'BatchGetImage': {
        const repo = this.repo(ctx, registryId, body.repositoryName);
        const ids = (body.imageIds as Array<{ imageTag?: string; imageDigest?: string }> | undefined) ?? [];
        if (ids.length === 0 || ids.length > 100) throw new AwsError('InvalidParameterException', 'imageIds must contain between 1 and 100 items.');
        const accepted = (body.acceptedMediaTypes as string[] | undefined) ?? [MEDIA_TYPES.dockerManifest];
        const images: unknown[] = [];
        const failures: unknown[] = [];
        for (const id of ids) {
          if (!id.imageTag && !id.imageDigest) {
            failures.push({ imageId: id, failureCode: 'MissingDigestAndTag', failureReason: 'Invalid request parameters: both tag and digest cannot be null' });
            continue;
          }
          if (id.imageDigest && !/^sha256:[a-f0-9]{64}$/.test(id.imageDigest)) {
            failures.push({ imageId: id, failureCode: 'InvalidImageDigest', failureReason: 'Invalid image digest' });
            continue;
          }
          const byTag = id.imageTag ? repo.images.find((i) => i.tags.includes(id.imageTag!)) : undefined;
          const byDigest = id.imageDigest ? repo.images.find((i) => imageDigest(i) === id.imageDigest) : undefined;
          if (id.imageTag && id.imageDigest && byTag && byDigest && byTag !== byDigest) {
            failures.push({ imageId: id, failureCode: 'ImageTagDoesNotMatchDigest', failureReason: 'Invalid request parameters: image tag does not match digest' });
            continue;
          }
          const img = id.imageDigest ? byDigest : byTag;
          if (!img || (id.imageTag && !byTag)) {
            failures.push({ imageId: id, failureCode: 'ImageNotFound', failureReason: 'Requested image not found' });
            continue;
          }
          if (!accepted.includes(img.mediaType!)) {
            failures.push({ imageId: id, failureCode: 'UnsupportedImageType', failureReason: `Image manifest media type ${img.mediaType} is not accepted` });
            continue;
          }
          images.push({
            registryId,
            repositoryName: repo.name,
            imageId: { imageDigest: imageDigest(img), ...(id.imageTag ? { imageTag: id.imageTag } : {}) },
            imageManifest: img.servedManifest ?? img.manifest,
            imageManifestMediaType: img.mediaType,
          });
        }
        return { images, failures };
      }
      case 'DescribeImages': {
        const repo = this.repo(ctx, registryId, body.repositoryName);
        const ids = body.imageIds as Array<{ imageTag?: string; imageDigest?: string }> | undefined;
        const detail = (img: FakeImage) => ({
          registryId,
          repositoryName: repo.name,
          imageDigest: imageDigest(img),
          imageTags: img.tags.length ? img.tags : undefined,
          imageSizeInBytes: img.sizeInBytes ?? 31_337_000,
          imagePushedAt: epoch(img.pushedAt ?? new Date(Date.UTC(2025, 0, 1))),
          imageManifestMediaType: img.mediaType,
        });
        if (ids) {
          if (body.maxResults !== undefined) throw new AwsError('InvalidParameterException', 'maxResults cannot be used with imageIds');
          if (ids.length === 0 || ids.length > 100) throw new AwsError('InvalidParameterException', 'imageIds must contain between 1 and 100 items.');
          const out: unknown[] = [];
          const seen = new Set<FakeImage>();
          for (const id of ids) {
            const img = repo.images.find((i) => (id.imageDigest ? imageDigest(i) === id.imageDigest : true) && (id.imageTag ? i.tags.includes(id.imageTag) : true));
            if (!img) {
              throw new AwsError(
                'ImageNotFoundException',
                this.faults.terseImageNotFound
                  ? 'The requested image does not exist.'
                  : `The image with imageId {imageDigest:'${id.imageDigest ?? 'null'}', imageTag:'${id.imageTag ?? 'null'}'} does not exist within the repository with name '${repo.name}' in the registry with id '${registryId}'`,
              );
            }
            if (!seen.has(img)) out.push(detail(img));
            seen.add(img);
          }
          return { imageDetails: out };
        }
        const status = (body.filter as { tagStatus?: string } | undefined)?.tagStatus ?? 'ANY';
        const imgs = repo.images.filter((i) => (status === 'TAGGED' ? i.tags.length > 0 : status === 'UNTAGGED' ? i.tags.length === 0 : true));
        const { page, nextToken } = paginate(imgs, body, ctx.op, 100, 1000);
        return { imageDetails: page.map(detail), nextToken };
      }
      case 'DescribeRepositories': {
        const names = body.repositoryNames as string[] | undefined;
        const json = (r: FakeRepository) => ({
          repositoryArn: `arn:aws:ecr:${ctx.region}:${registryId}:repository/${r.name}`,
          registryId,
          repositoryName: r.name,
          repositoryUri: `${registryId}.dkr.ecr.${ctx.region}.amazonaws.com/${r.name}`,
          createdAt: epoch(r.createdAt ?? new Date(Date.UTC(2023, 0, 1))),
          imageTagMutability: r.imageTagMutability ?? 'MUTABLE',
          imageTagMutabilityExclusionFilters: r.exclusionFilters ?? [],
          imageScanningConfiguration: { scanOnPush: false },
          encryptionConfiguration: { encryptionType: 'AES256' },
        });
        if (names) {
          if (body.maxResults !== undefined) throw new AwsError('InvalidParameterException', 'maxResults cannot be used with repositoryNames');
          if (names.length === 0 || names.length > 100) throw new AwsError('InvalidParameterException', 'repositoryNames must contain between 1 and 100 items.');
          return { repositories: names.map((n) => json(this.repo(ctx, registryId, n))) };
        }
        const { page, nextToken } = paginate(this.repos(ctx, registryId), body, ctx.op, 100, 1000);
        return { repositories: page.map(json), nextToken };
      }
      default:
        throw new AwsError('UnknownOperationException', `Unknown operation ${ctx.op}`);
    }
  }
}

function findTaskDefinition(region: FakeRegion, ref: string): FakeTaskDefinition | undefined {
  const tds = region.taskDefinitions;
  if (ref.startsWith('arn:')) return tds.find((t) => t.arn === ref);
  const [family, rev] = ref.split(':');
  if (rev !== undefined) return tds.find((t) => t.family === family && t.revision === Number(rev));
  return tds.filter((t) => t.family === family && (t.status ?? 'ACTIVE') === 'ACTIVE').sort((a, b) => b.revision - a.revision)[0];
}

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

// ---------------------------------------------------------------------------------------------
// Environment hygiene for tests: dummy credentials, no IMDS, no profile files, endpoint on loopback.

export const AWS_ENV_KEYS = [
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_PROFILE',
  'AWS_DEFAULT_PROFILE',
  'AWS_REGION',
  'AWS_DEFAULT_REGION',
  'AWS_CONFIG_FILE',
  'AWS_SHARED_CREDENTIALS_FILE',
  'AWS_EC2_METADATA_DISABLED',
  'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
  'AWS_CONTAINER_CREDENTIALS_FULL_URI',
  'AWS_WEB_IDENTITY_TOKEN_FILE',
  'AWS_ROLE_ARN',
  'AWS_ENDPOINT_URL',
  'AWS_ENDPOINT_URL_ECS',
  'AWS_ENDPOINT_URL_ECR',
  'AWS_ENDPOINT_URL_STS',
  'AWS_MAX_ATTEMPTS',
  'AWS_RETRY_MODE',
  'AWS_IGNORE_CONFIGURED_ENDPOINT_URLS',
] as const;

/**
 * Point every AWS SDK client of this process at the fake server with dummy credentials.
 * Returns a function restoring the previous environment.
 */
export function useFakeAwsEnv(url: string, extra: Record<string, string | undefined> = {}): () => void {
  const saved = new Map<string, string | undefined>();
  for (const k of [...AWS_ENV_KEYS, ...Object.keys(extra)]) saved.set(k, process.env[k]);
  for (const k of AWS_ENV_KEYS) delete process.env[k];
  Object.assign(process.env, {
    AWS_ACCESS_KEY_ID: 'AKIAFAKEFAKEFAKE0001',
    AWS_SECRET_ACCESS_KEY: 'fake/secret/key',
    AWS_REGION: 'us-east-1',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: '/nonexistent/imagedrift-test/config',
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/imagedrift-test/credentials',
    AWS_ENDPOINT_URL: url,
  });
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  return () => {
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
}

/**
 * The environment for a CLI child process: nothing AWS inherited, dummy credentials, the
 * ECS/ECR/STS endpoint variables on the fake (loopback), no instance metadata, no config files.
 */
export function fakeAwsCliEnv(url: string, extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('AWS_')) env[k] = v;
  Object.assign(env, {
    AWS_ACCESS_KEY_ID: 'AKIAFAKEFAKEFAKE0001',
    AWS_SECRET_ACCESS_KEY: 'fake/secret/key',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: '/nonexistent/imagedrift-test/config',
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/imagedrift-test/credentials',
    AWS_ENDPOINT_URL_ECS: url,
    AWS_ENDPOINT_URL_ECR: url,
    AWS_ENDPOINT_URL_STS: url,
    AWS_MAX_ATTEMPTS: '5',
    NO_COLOR: '1',
    ...extra,
  });
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k];
  return env;
}
