// Test helper: a loopback Kubernetes API server over HTTPS (certificates made by openssl in a temp
// directory), serving the lists `audit k8s` reads — and the discovery documents kubectl reads first —
// from fixture objects, the way kube-apiserver does: `limit`/`continue` pagination with opaque
// tokens and `remainingItemCount`, `labelSelector`, list objects without per-item kind/apiVersion,
// `Status` error bodies. Authentication by bearer token or by client certificate (401 otherwise).
// Faults: forbidden namespaces or kinds (403 with kube-apiserver's message), answers that fail N
// times (500, 429, …) before succeeding, continue tokens that expire (410), latency.
//
// Also: builders for realistic objects (Deployment → ReplicaSet → Pod with ownerReferences,
// container statuses with imageID, …) and kubeconfig files for the real @kubernetes/client-node
// and the real kubectl.
import { execFileSync, spawn } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';

// ------------------------------------------------------------------------------------------------
// Certificates

export interface TestCerts {
  dir: string;
  caCert: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** The client certificate's subject CN (the "user" the API server sees). */
  clientName: string;
  cleanup(): void;
}

/** A CA, a server certificate for 127.0.0.1 and a client certificate, made with openssl (EC P-256: fast). */
export function makeCerts(clientName = 'imagedrift-audit'): TestCerts {
  const dir = mkdtempSync(join(tmpdir(), 'imagedrift-k8s-certs-'));
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  ssl('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=imagedrift-test-ca');
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  ssl('req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=kube-apiserver');
  ssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '2', '-extfile', 'server.ext');
  writeFileSync(join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
  ssl('req', ...ec, '-keyout', 'client.key', '-out', 'client.csr', '-subj', `/O=imagedrift:readers/CN=${clientName}`);
  ssl('x509', '-req', '-in', 'client.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'client.crt', '-days', '2', '-extfile', 'client.ext');
  const read = (f: string) => readFileSync(join(dir, f), 'utf8');
  return {
    dir,
    caCert: read('ca.crt'),
    serverCert: read('server.crt'),
    serverKey: read('server.key'),
    clientCert: read('client.crt'),
    clientKey: read('client.key'),
    clientName,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

// ------------------------------------------------------------------------------------------------
// Kinds and objects

export const KINDS = {
  Pod: { plural: 'pods', group: '', version: 'v1', namespaced: true },
  Deployment: { plural: 'deployments', group: 'apps', version: 'v1', namespaced: true },
  StatefulSet: { plural: 'statefulsets', group: 'apps', version: 'v1', namespaced: true },
  DaemonSet: { plural: 'daemonsets', group: 'apps', version: 'v1', namespaced: true },
  ReplicaSet: { plural: 'replicasets', group: 'apps', version: 'v1', namespaced: true },
  Job: { plural: 'jobs', group: 'batch', version: 'v1', namespaced: true },
  CronJob: { plural: 'cronjobs', group: 'batch', version: 'v1', namespaced: true },
} as const;
export type Kind = keyof typeof KINDS;
const BY_PLURAL = new Map(Object.entries(KINDS).map(([kind, k]) => [k.plural, { kind: kind as Kind, ...k }]));

export type K8sObject = Record<string, unknown> & { kind: Kind; metadata: { name: string; namespace: string; uid: string; labels?: Record<string, string>; [k: string]: unknown } };

export function sha256Digest(seed: string): string {
  return `sha256:${createHash('sha256').update(seed).digest('hex')}`;
}

const CREATED = '2025-06-01T08:00:00Z';

export interface ContainerSpec {
  name: string;
  image: string;
  imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
  restartPolicy?: 'Always';
}

/** What the API server fills in: the pull policy's default (Always for `latest` or no tag). */
function withDefaults(c: ContainerSpec): Record<string, unknown> {
  const name = c.image.slice(c.image.lastIndexOf('/') + 1);
  const tag = name.includes('@') ? undefined : name.includes(':') ? name.slice(name.indexOf(':') + 1) : 'latest';
  return {
    name: c.name,
    image: c.image,
    imagePullPolicy: c.imagePullPolicy ?? (tag === 'latest' ? 'Always' : 'IfNotPresent'),
    resources: {},
    terminationMessagePath: '/dev/termination-log',
    terminationMessagePolicy: 'File',
    ...(c.restartPolicy !== undefined ? { restartPolicy: c.restartPolicy } : {}),
  };
}

function podSpec(containers: ContainerSpec[], initContainers: ContainerSpec[] = []): Record<string, unknown> {
  return {
    ...(initContainers.length > 0 ? { initContainers: initContainers.map(withDefaults) } : {}),
    containers: containers.map(withDefaults),
    dnsPolicy: 'ClusterFirst',
    restartPolicy: 'Always',
    schedulerName: 'default-scheduler',
    securityContext: {},
    terminationGracePeriodSeconds: 30,
  };
}

const uidOf = (seed: string) => {
  const h = createHash('sha1').update(seed).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
};

function meta(kind: string, namespace: string, name: string, labels: Record<string, string>, owner?: K8sObject): K8sObject['metadata'] {
  return {
    name,
    namespace,
    uid: uidOf(`${kind}/${namespace}/${name}`),
    resourceVersion: String(1000 + (name.length % 97)),
    creationTimestamp: CREATED,
    labels,
    ...(owner !== undefined
      ? { ownerReferences: [{ apiVersion: owner.kind === 'CronJob' || owner.kind === 'Job' ? 'batch/v1' : 'apps/v1', kind: owner.kind, name: owner.metadata.name, uid: owner.metadata.uid, controller: true, blockOwnerDeletion: true }] }
      : {}),
  };
}

export interface WorkloadSpec {
  namespace: string;
  name: string;
  containers: ContainerSpec[];
  initContainers?: ContainerSpec[];
  replicas?: number;
  labels?: Record<string, string>;
}

export function deployment(w: WorkloadSpec): K8sObject {
  const labels = { app: w.name, ...w.labels };
  return {
    kind: 'Deployment',
    apiVersion: 'apps/v1',
    metadata: { ...meta('Deployment', w.namespace, w.name, labels), generation: 1, annotations: { 'deployment.kubernetes.io/revision': '1' } },
    spec: {
      replicas: w.replicas ?? 1,
      selector: { matchLabels: { app: w.name } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
      template: { metadata: { labels }, spec: podSpec(w.containers, w.initContainers) },
    },
    status: { replicas: w.replicas ?? 1, readyReplicas: w.replicas ?? 1, availableReplicas: w.replicas ?? 1, observedGeneration: 1 },
  } as K8sObject;
}

/** A workload of another kind with a pod template (StatefulSet, DaemonSet). */
export function podTemplateWorkload(kind: 'StatefulSet' | 'DaemonSet', w: WorkloadSpec): K8sObject {
  const labels = { app: w.name, ...w.labels };
  return {
    kind,
    apiVersion: 'apps/v1',
    metadata: meta(kind, w.namespace, w.name, labels),
    spec: { ...(kind === 'StatefulSet' ? { replicas: w.replicas ?? 1, serviceName: w.name } : {}), selector: { matchLabels: { app: w.name } }, template: { metadata: { labels }, spec: podSpec(w.containers, w.initContainers) } },
    status: kind === 'DaemonSet' ? { desiredNumberScheduled: w.replicas ?? 1, currentNumberScheduled: w.replicas ?? 1, numberReady: w.replicas ?? 1 } : { replicas: w.replicas ?? 1, readyReplicas: w.replicas ?? 1 },
  } as K8sObject;
}

export function replicaSet(owner: K8sObject, hash: string, containers?: ContainerSpec[], replicas?: number): K8sObject {
  const template = (owner.spec as { template: { metadata: { labels: Record<string, string> }; spec: Record<string, unknown> } }).template;
  const labels = { ...template.metadata.labels, 'pod-template-hash': hash };
  const n = replicas ?? (owner.spec as { replicas?: number }).replicas ?? 1;
  return {
    kind: 'ReplicaSet',
    apiVersion: 'apps/v1',
    metadata: { ...meta('ReplicaSet', owner.metadata.namespace, `${owner.metadata.name}-${hash}`, labels, owner), annotations: { 'deployment.kubernetes.io/revision': '1' } },
    spec: { replicas: n, selector: { matchLabels: { app: owner.metadata.name, 'pod-template-hash': hash } }, template: { metadata: { labels }, spec: containers !== undefined ? podSpec(containers) : template.spec } },
    status: { replicas: n, readyReplicas: n, availableReplicas: n, fullyLabeledReplicas: n, observedGeneration: 1 },
  } as K8sObject;
}

export function cronJob(w: WorkloadSpec & { schedule?: string }): K8sObject {
  const labels = { app: w.name, ...w.labels };
  return {
    kind: 'CronJob',
    apiVersion: 'batch/v1',
    metadata: meta('CronJob', w.namespace, w.name, labels),
    spec: {
      schedule: w.schedule ?? '0 3 * * *',
      concurrencyPolicy: 'Allow',
      jobTemplate: { spec: { template: { metadata: { labels }, spec: { ...podSpec(w.containers, w.initContainers), restartPolicy: 'OnFailure' } } } },
    },
    status: { lastScheduleTime: CREATED },
  } as K8sObject;
}

export function job(owner: K8sObject | undefined, w: WorkloadSpec & { active?: number }): K8sObject {
  const labels = { 'job-name': w.name, ...w.labels };
  return {
    kind: 'Job',
    apiVersion: 'batch/v1',
    metadata: meta('Job', w.namespace, w.name, labels, owner),
    spec: { completions: 1, parallelism: 1, backoffLimit: 6, template: { metadata: { labels }, spec: { ...podSpec(w.containers, w.initContainers), restartPolicy: 'OnFailure' } } },
    status: { ...(w.active !== undefined && w.active > 0 ? { active: w.active } : { succeeded: 1 }), startTime: CREATED },
  } as K8sObject;
}

export interface RunningContainer extends ContainerSpec {
  /** What the kubelet reports: a digest (written as containerd does, `repo@sha256:…`), a full imageID, or nothing (not started). */
  digest?: string;
  imageID?: string;
  init?: boolean;
}

/** A pod owned by `owner` (or bare), running `containers`; the status reports each container's imageID. */
export function pod(owner: K8sObject | undefined, name: string, containers: RunningContainer[], options: { namespace?: string; phase?: string; labels?: Record<string, string>; node?: string } = {}): K8sObject {
  const namespace = options.namespace ?? owner?.metadata.namespace ?? 'default';
  const ownerLabels = owner !== undefined ? ((owner.spec as { template?: { metadata?: { labels?: Record<string, string> } } }).template?.metadata?.labels ?? {}) : {};
  const labels = { ...ownerLabels, ...options.labels };
  const regular = containers.filter((c) => c.init !== true);
  const init = containers.filter((c) => c.init === true);
  // containerd's form: the repository the image came from, at the manifest digest it pulled.
  const imageIdOf = (c: RunningContainer) => c.imageID ?? (c.digest !== undefined ? `${repoOf(c.image)}@${c.digest}` : '');
  const status = (c: RunningContainer, i: number) => ({
    name: c.name,
    image: c.image,
    imageID: imageIdOf(c),
    containerID: c.digest !== undefined || c.imageID !== undefined ? `containerd://${createHash('sha256').update(`${name}/${c.name}/${i}`).digest('hex')}` : undefined,
    ready: c.init !== true && (c.digest !== undefined || c.imageID !== undefined),
    restartCount: 0,
    started: c.digest !== undefined || c.imageID !== undefined,
    state: c.digest !== undefined || c.imageID !== undefined ? (c.init === true && c.restartPolicy !== 'Always' ? { terminated: { exitCode: 0, reason: 'Completed', startedAt: CREATED, finishedAt: CREATED } } : { running: { startedAt: CREATED } }) : { waiting: { reason: 'ContainerCreating' } },
  });
  return {
    kind: 'Pod',
    apiVersion: 'v1',
    metadata: { ...meta('Pod', namespace, name, labels, owner), generateName: owner !== undefined ? `${owner.metadata.name}-` : undefined },
    spec: { ...podSpec(regular, init), nodeName: options.node ?? 'node-1', serviceAccountName: 'default' },
    status: {
      phase: options.phase ?? 'Running',
      hostIP: '10.0.0.10',
      podIP: '10.1.0.10',
      startTime: CREATED,
      qosClass: 'BestEffort',
      conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: CREATED }],
      ...(init.length > 0 ? { initContainerStatuses: init.map(status) } : {}),
      containerStatuses: regular.map(status),
    },
  } as K8sObject;
}

/** The repository part of an image reference (`host/repo:tag` → `host/repo`), as containerd writes imageID. */
export function repoOf(image: string): string {
  const at = image.indexOf('@');
  const noDigest = at === -1 ? image : image.slice(0, at);
  const slash = noDigest.lastIndexOf('/');
  const colon = noDigest.lastIndexOf(':');
  return colon > slash ? noDigest.slice(0, colon) : noDigest;
}

// ------------------------------------------------------------------------------------------------
// Label selectors (the subset kubectl users write)

type Requirement = (labels: Record<string, string>) => boolean;

export function parseSelector(selector: string): Requirement[] {
  const parts = selector.match(/([^,(]+(\([^)]*\))?)/g) ?? [];
  return parts.map((raw) => {
    const p = raw.trim();
    let m: RegExpExecArray | null;
    if ((m = /^([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(p)) !== null) {
      const [, key, op, values] = m as unknown as [string, string, string, string];
      const set = new Set(values.split(',').map((v) => v.trim()));
      return (l) => (op === 'in' ? key in l && set.has(l[key]!) : !(key in l) || !set.has(l[key]!));
    }
    if ((m = /^([\w./-]+)\s*(==|=|!=)\s*([\w./-]*)$/.exec(p)) !== null) {
      const [, key, op, value] = m as unknown as [string, string, string, string];
      return op === '!=' ? (l) => l[key] !== value : (l) => l[key] === value;
    }
    if ((m = /^!([\w./-]+)$/.exec(p)) !== null) return (l) => !(m![1]! in l);
    if (/^[\w./-]+$/.test(p)) return (l) => p in l;
    throw new Error(`unable to parse requirement: ${p}`);
  });
}

// ------------------------------------------------------------------------------------------------
// The server

export interface FakeK8sFaults {
  /** Lists that answer 403: a namespace (every kind, or only `plural`), or a kind at the cluster scope (`namespace: '*'`). */
  forbidden?: Array<{ namespace: string; plural?: string }>;
  /** Requests whose path matches fail `times` times with `status` (default 500), then succeed. */
  failing?: Array<{ path: RegExp; times: number; status?: number; retryAfter?: number }>;
  /** Continue tokens older than this many pages expire (410 Gone), once per list. */
  expireContinueOnce?: RegExp;
  latencyMs?: number;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  /** `token`, `cert:<CN>` or `none`. */
  auth: string;
  status: number;
}

export interface FakeK8sOptions {
  certs: TestCerts;
  /** Accept this bearer token. */
  token?: string;
  /** Accept client certificates signed by the CA. */
  clientCerts?: boolean;
  /** The user named in 403 messages. */
  user?: string;
}

export class FakeK8sServer {
  readonly requests: RecordedRequest[] = [];
  objects: K8sObject[];
  faults: FakeK8sFaults = {};
  private failed = new Map<number, number>();
  private expired = new Set<string>();
  private resourceVersion = 48213;

  private constructor(
    private readonly server: https.Server,
    readonly url: string,
    readonly options: FakeK8sOptions,
    objects: K8sObject[],
  ) {
    this.objects = objects;
  }

  static async start(objects: K8sObject[], options: FakeK8sOptions): Promise<FakeK8sServer> {
    const server = https.createServer({ key: options.certs.serverKey, cert: options.certs.serverCert, ca: options.certs.caCert, requestCert: true, rejectUnauthorized: false });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const fake = new FakeK8sServer(server, url, options, objects);
    server.on('request', (req, res) => void fake.handle(req, res));
    return fake;
  }

  /** Requests of one list (`list pods`), pages counted, retries too. */
  count(list: string): number {
    const plural = list.replace(/^list /, '');
    return this.requests.filter((r) => BY_PLURAL.get(r.path.split('/').at(-1) ?? '')?.plural === plural).length;
  }

  reset(): void {
    this.requests.length = 0;
    this.failed.clear();
    this.expired.clear();
    this.faults = {};
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private authOf(req: IncomingMessage): string {
    const header = req.headers.authorization;
    if (this.options.token !== undefined && header === `Bearer ${this.options.token}`) return 'token';
    const socket = req.socket as TLSSocket;
    if (this.options.clientCerts === true && socket.authorized) {
      const cn = socket.getPeerCertificate()?.subject?.CN;
      if (typeof cn === 'string') return `cert:${cn}`;
    }
    return 'none';
  }

  private send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-cache, private', 'audit-id': randomUUID(), ...headers });
    res.end(JSON.stringify(body));
  }

  private status(res: ServerResponse, code: number, reason: string, message: string, details?: Record<string, unknown>, headers?: Record<string, string>): void {
    this.send(res, code, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, ...(details !== undefined ? { details } : {}), code }, headers);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const query = Object.fromEntries(url.searchParams);
    const auth = this.authOf(req);
    const record: RecordedRequest = { method: req.method ?? 'GET', path: url.pathname, query, auth, status: 200 };
    this.requests.push(record);
    const reply = (status: number, fn: () => void) => {
      record.status = status;
      fn();
    };
    if (this.faults.latencyMs !== undefined) await new Promise((r) => setTimeout(r, this.faults.latencyMs));
    if (auth === 'none') return reply(401, () => this.status(res, 401, 'Unauthorized', 'Unauthorized'));
    if (req.method !== 'GET') return reply(405, () => this.status(res, 405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`));
    const discovery = this.discovery(url.pathname);
    if (discovery !== undefined) return reply(200, () => this.send(res, 200, discovery));

    const m = /^\/(?:api\/v1|apis\/(apps|batch)\/v1)(?:\/namespaces\/([^/]+))?\/([a-z]+)$/.exec(url.pathname);
    const kind = m !== null ? BY_PLURAL.get(m[3]!) : undefined;
    if (m === null || kind === undefined || (kind.group || undefined) !== m[1]) return reply(404, () => this.status(res, 404, 'NotFound', 'the server could not find the requested resource', { }));
    const namespace = m[2] !== undefined ? decodeURIComponent(m[2]) : undefined;

    for (const [i, f] of (this.faults.failing ?? []).entries()) {
      if (!f.path.test(`${url.pathname}${url.search}`)) continue;
      const n = this.failed.get(i) ?? 0;
      if (n >= f.times) continue;
      this.failed.set(i, n + 1);
      const status = f.status ?? 500;
      return reply(status, () =>
        status === 429
          ? this.status(res, 429, 'TooManyRequests', 'storage is (re)initializing', { retryAfterSeconds: f.retryAfter ?? 0 }, { 'retry-after': String(f.retryAfter ?? 0) })
          : this.status(res, status, status === 503 ? 'ServiceUnavailable' : 'InternalError', status === 503 ? 'the server is currently unable to handle the request' : 'Internal error occurred: etcdserver: request timed out'),
      );
    }
    const user = this.options.user ?? (auth.startsWith('cert:') ? auth.slice(5) : 'system:serviceaccount:imagedrift:audit');
    const forbidden = (this.faults.forbidden ?? []).find((f) => (f.plural === undefined || f.plural === kind.plural) && (namespace === undefined ? f.namespace === '*' : f.namespace === namespace));
    if (forbidden !== undefined) {
      const where = namespace === undefined ? 'at the cluster scope' : `in the namespace "${namespace}"`;
      return reply(403, () => this.status(res, 403, 'Forbidden', `${kind.plural} is forbidden: User "${user}" cannot list resource "${kind.plural}" in API group "${kind.group}" ${where}`, { kind: kind.plural }));
    }

    let items = this.objects.filter((o) => o.kind === kind.kind && (namespace === undefined || o.metadata.namespace === namespace));
    if (query.labelSelector !== undefined && query.labelSelector !== '') {
      let requirements: Requirement[];
      try {
        requirements = parseSelector(query.labelSelector);
      } catch (err) {
        return reply(400, () => this.status(res, 400, 'BadRequest', (err as Error).message));
      }
      items = items.filter((o) => requirements.every((r) => r(o.metadata.labels ?? {})));
    }
    items.sort((a, b) => `${a.metadata.namespace}/${a.metadata.name}`.localeCompare(`${b.metadata.namespace}/${b.metadata.name}`));
    const limit = query.limit !== undefined ? Number(query.limit) : 0;
    let offset = 0;
    if (query.continue !== undefined && query.continue !== '') {
      let token: { list?: string; offset?: number; rv?: number };
      try {
        token = JSON.parse(Buffer.from(query.continue, 'base64').toString('utf8')) as typeof token;
      } catch {
        return reply(400, () => this.status(res, 400, 'BadRequest', 'continue key is not valid: illegal base64 data'));
      }
      if (token.list !== `${url.pathname}?${query.labelSelector ?? ''}` || typeof token.offset !== 'number') return reply(400, () => this.status(res, 400, 'BadRequest', 'continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)'));
      if (this.faults.expireContinueOnce?.test(url.pathname) === true && !this.expired.has(url.pathname)) {
        this.expired.add(url.pathname);
        return reply(410, () => this.status(res, 410, 'Expired', 'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results.'));
      }
      offset = token.offset;
    }
    const page = limit > 0 ? items.slice(offset, offset + limit) : items.slice(offset);
    const next = limit > 0 && offset + limit < items.length ? Buffer.from(JSON.stringify({ list: `${url.pathname}?${query.labelSelector ?? ''}`, offset: offset + limit, rv: this.resourceVersion })).toString('base64') : undefined;
    const listMeta = { resourceVersion: String(this.resourceVersion), ...(next !== undefined ? { continue: next, remainingItemCount: items.length - offset - limit } : {}) };
    // A list's items carry no kind/apiVersion (the list's kind says it); kubectl adds them.
    const stripped = page.map(({ kind: _k, apiVersion: _a, ...rest }) => rest);
    return reply(200, () => this.send(res, 200, { kind: `${kind.kind}List`, apiVersion: kind.group === '' ? 'v1' : `${kind.group}/v1`, metadata: listMeta, items: stripped }));
  }

  /** Legacy discovery (what kubectl reads before a `get`), for the kinds served. */
  private discovery(path: string): unknown {
    const resources = (group: string) =>
      Object.entries(KINDS)
        .filter(([, k]) => k.group === group)
        .map(([kind, k]) => ({ name: k.plural, singularName: kind.toLowerCase(), namespaced: true, kind, verbs: ['get', 'list', 'watch'], ...(kind === 'Pod' ? { shortNames: ['po'] } : {}) }));
    switch (path) {
      case '/version':
        return { major: '1', minor: '32', gitVersion: 'v1.32.4', platform: 'linux/amd64' };
      case '/api':
        return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1:6443' }] };
      case '/apis':
        return {
          kind: 'APIGroupList',
          apiVersion: 'v1',
          groups: ['apps', 'batch'].map((name) => ({ name, versions: [{ groupVersion: `${name}/v1`, version: 'v1' }], preferredVersion: { groupVersion: `${name}/v1`, version: 'v1' } })),
        };
      case '/api/v1':
        return { kind: 'APIResourceList', groupVersion: 'v1', resources: resources('') };
      case '/apis/apps/v1':
        return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: 'apps/v1', resources: resources('apps') };
      case '/apis/batch/v1':
        return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: 'batch/v1', resources: resources('batch') };
      default:
        return undefined;
    }
  }
}

// ------------------------------------------------------------------------------------------------
// Kubeconfig

export interface KubeconfigUser {
  token?: string;
  /** Use the client certificate of `certs`. */
  clientCert?: boolean;
}

/** A kubeconfig (YAML) for the fake server, with one context per entry of `contexts` (the first is current). */
export function kubeconfig(server: string, certs: TestCerts, contexts: Array<{ name: string; user: KubeconfigUser; namespace?: string }>): string {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const lines = ['apiVersion: v1', 'kind: Config', 'clusters:', '- name: fake', '  cluster:', `    server: ${server}`, `    certificate-authority-data: ${b64(certs.caCert)}`, 'users:'];
  contexts.forEach((c, i) => {
    lines.push(`- name: user-${i}`, '  user:');
    if (c.user.token !== undefined) lines.push(`    token: ${c.user.token}`);
    if (c.user.clientCert === true) lines.push(`    client-certificate-data: ${b64(certs.clientCert)}`, `    client-key-data: ${b64(certs.clientKey)}`);
    if (c.user.token === undefined && c.user.clientCert !== true) lines.push('    {}');
  });
  lines.push('contexts:');
  contexts.forEach((c, i) => lines.push(`- name: ${c.name}`, '  context:', '    cluster: fake', `    user: user-${i}`, ...(c.namespace !== undefined ? [`    namespace: ${c.namespace}`] : [])));
  lines.push(`current-context: ${contexts[0]?.name ?? ''}`, 'preferences: {}');
  return `${lines.join('\n')}\n`;
}

export const KUBECTL = '/usr/bin/kubectl';

/**
 * Runs the real kubectl against the fake server (`kubectl get <kinds> -A -o json`), without
 * blocking this process (the fake answers from it). Debian's package `kubectl`.
 */
export async function kubectlGetJson(kubeconfigFile: string, args: string[] = ['-A'], kinds = 'pods,deployments,statefulsets,daemonsets,replicasets,jobs,cronjobs'): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const cache = mkdtempSync(join(tmpdir(), 'imagedrift-kubectl-'));
  try {
    return await new Promise((resolve, reject) => {
      const child = spawn(KUBECTL, ['--kubeconfig', kubeconfigFile, '--cache-dir', cache, 'get', kinds, ...args, '-o', 'json'], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: cache } });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
}
