// The live collection of `audit k8s` through the real @kubernetes/client-node, against the loopback
// Kubernetes API of tests/helpers/fake-k8s.ts over TLS (certificates made by openssl): pagination
// with limit/continue at the lower bound of requests, a forbidden namespace, 500s and 429s that
// recover, a persistent failure, an expired continue token, token and client-certificate
// kubeconfigs, rejected credentials, an unknown context, a label selector, an unreachable server.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { collectK8sSnapshot, K8sConfigError, minimumK8sCalls } from '../../src/sources/k8s/live.js';
import type { K8sLiveOptions } from '../../src/sources/k8s/live.js';
import { deployment, FakeK8sServer, kubeconfig, makeCerts, pod, replicaSet, sha256Digest } from '../helpers/fake-k8s.js';
import type { K8sObject, TestCerts } from '../helpers/fake-k8s.js';
import { freePort } from '../helpers/registry.js';

const TOKEN = 'k8s-aws-v1.fake-token-for-tests';
let certs: TestCerts;
let server: FakeK8sServer;
let dir: string;
let config: string;

/** `namespaces` × `deployments` Deployments of `pods` pods each (one ReplicaSet each). */
function cluster(namespaces: string[], deployments: number, pods: number): K8sObject[] {
  const out: K8sObject[] = [];
  for (const ns of namespaces) {
    for (let d = 0; d < deployments; d++) {
      const dep = deployment({ namespace: ns, name: `svc-${d}`, replicas: pods, labels: { tier: d % 2 === 0 ? 'web' : 'worker' }, containers: [{ name: 'app', image: `ghcr.io/acme/svc-${d}:1.0.${d}` }] });
      const rs = replicaSet(dep, `h${d}`);
      out.push(dep, rs);
      for (let p = 0; p < pods; p++) out.push(pod(rs, `svc-${d}-h${d}-${p}`, [{ name: 'app', image: `ghcr.io/acme/svc-${d}:1.0.${d}`, digest: sha256Digest(`svc-${d}`) }]));
    }
  }
  return out;
}

const OBJECTS = cluster(['shop', 'payments', 'restricted'], 3, 3); // 9 Deployments, 9 ReplicaSets, 27 pods

function options(extra: Partial<K8sLiveOptions> = {}): K8sLiveOptions {
  return { kubeconfig: config, pageSize: 4, retryDelayMs: () => 0, ...extra };
}

beforeAll(async () => {
  certs = makeCerts();
  server = await FakeK8sServer.start(OBJECTS, { certs, token: TOKEN, clientCerts: true });
  dir = mkdtempSync(join(tmpdir(), 'imagedrift-k8s-live-'));
  config = join(dir, 'kubeconfig');
  writeFileSync(
    config,
    kubeconfig(server.url, certs, [
      { name: 'prod-token', user: { token: TOKEN }, namespace: 'shop' },
      { name: 'prod-cert', user: { clientCert: true } },
      { name: 'prod-stale', user: { token: 'expired-token' } },
    ]),
  );
});

afterEach(() => {
  server.reset();
  server.objects = OBJECTS;
});

afterAll(async () => {
  await server?.close();
  certs?.cleanup();
});

describe('audit k8s: reading a cluster through @kubernetes/client-node', () => {
  it('-A: one cluster-wide list per kind, paginated with limit/continue, at the lower bound of requests', async () => {
    const snapshot = await collectK8sSnapshot(options({ allNamespaces: true }));
    expect(snapshot.pods).toHaveLength(27);
    expect(snapshot.workloads.filter((w) => w.kind === 'Deployment')).toHaveLength(9);
    expect(snapshot.workloads.filter((w) => w.kind === 'ReplicaSet')).toHaveLength(9);
    expect(snapshot).toMatchObject({ via: 'api', context: 'prod-token', server: server.url, scope: { namespaces: [], allNamespaces: true }, incomplete: [] });
    const minimum = minimumK8sCalls({ Pod: [27], Deployment: [9], StatefulSet: [0], DaemonSet: [0], ReplicaSet: [9], Job: [0], CronJob: [0] }, 4);
    expect(minimum).toEqual({ 'list pods': 7, 'list deployments': 3, 'list statefulsets': 1, 'list daemonsets': 1, 'list replicasets': 3, 'list jobs': 1, 'list cronjobs': 1 });
    expect(snapshot.calls).toEqual(minimum);
    for (const [list, n] of Object.entries(minimum)) expect(server.count(list), list).toBe(n);
    // Every request: a page of 4, the token (the context's user), cluster-wide paths; later pages follow `continue`.
    expect(server.requests.every((r) => r.query.limit === '4' && r.auth === 'token' && !r.path.includes('/namespaces/'))).toBe(true);
    expect(server.requests.filter((r) => r.path === '/api/v1/pods' && r.query.continue !== undefined)).toHaveLength(6);
    expect(snapshot.serverTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/);
  });

  it("defaults to the context's namespace; --namespace lists each kind once per namespace", async () => {
    const own = await collectK8sSnapshot(options());
    expect(own.scope).toEqual({ namespaces: ['shop'], allNamespaces: false });
    expect(new Set(own.pods.map((p) => p.namespace))).toEqual(new Set(['shop']));
    server.reset();
    const two = await collectK8sSnapshot(options({ namespaces: ['shop', 'payments'] }));
    expect(two.pods).toHaveLength(18);
    expect(two.calls).toEqual(minimumK8sCalls({ Pod: [9, 9], Deployment: [3, 3], StatefulSet: [0, 0], DaemonSet: [0, 0], ReplicaSet: [3, 3], Job: [0, 0], CronJob: [0, 0] }, 4));
    expect(server.requests.every((r) => /^\/api(s\/(apps|batch))?\/v1\/namespaces\/(shop|payments)\//.test(r.path))).toBe(true);
  });

  it('a forbidden namespace becomes incomplete entries, one per kind, and the other namespaces are read in full', async () => {
    server.faults = { forbidden: [{ namespace: 'restricted' }] };
    const snapshot = await collectK8sSnapshot(options({ namespaces: ['shop', 'restricted', 'payments'] }));
    expect(snapshot.pods).toHaveLength(18);
    expect(snapshot.incomplete).toHaveLength(7);
    expect(snapshot.incomplete[0]).toEqual({
      scope: 'namespace',
      namespace: 'restricted',
      kind: 'Pod',
      operation: 'list pods',
      code: 'Forbidden',
      status: 403,
      reason: 'pods is forbidden: User "system:serviceaccount:imagedrift:audit" cannot list resource "pods" in API group "" in the namespace "restricted"',
    });
    expect(snapshot.incomplete.map((e) => e.kind)).toEqual(['Pod', 'Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'CronJob']);
  });

  it('-A with a kind forbidden at the cluster scope: that kind is incomplete, the others are read', async () => {
    server.faults = { forbidden: [{ namespace: '*', plural: 'cronjobs' }] };
    const snapshot = await collectK8sSnapshot(options({ allNamespaces: true }));
    expect(snapshot.pods).toHaveLength(27);
    expect(snapshot.incomplete).toEqual([expect.objectContaining({ scope: 'kind', namespace: '*', kind: 'CronJob', code: 'Forbidden', status: 403, reason: expect.stringContaining('at the cluster scope') })]);
  });

  it('a 500, then success: retried, nothing missing; a 429 with Retry-After too', async () => {
    server.faults = { failing: [{ path: /^\/api\/v1\/pods\?.*continue=/, times: 2, status: 500 }, { path: /^\/apis\/apps\/v1\/deployments/, times: 1, status: 429, retryAfter: 0 }] };
    const waits: Array<[number, number | undefined]> = [];
    const snapshot = await collectK8sSnapshot(options({ allNamespaces: true, retryDelayMs: (attempt, retryAfter) => (waits.push([attempt, retryAfter]), 0) }));
    expect(snapshot.incomplete).toEqual([]);
    expect(snapshot.pods).toHaveLength(27);
    // Pages are counted once, retries are not; the server saw them.
    expect(snapshot.calls['list pods']).toBe(7);
    expect(server.count('list pods')).toBe(9);
    expect(server.requests.filter((r) => r.status === 500)).toHaveLength(2);
    expect(waits).toEqual(expect.arrayContaining([[1, undefined], [2, undefined], [1, 0]]));
  });

  it('a list that keeps failing is incomplete after 4 attempts; the rest is read', async () => {
    server.faults = { failing: [{ path: /^\/apis\/batch\/v1\/jobs/, times: 99, status: 500 }] };
    const snapshot = await collectK8sSnapshot(options({ allNamespaces: true }));
    expect(server.count('list jobs')).toBe(4);
    expect(snapshot.incomplete).toEqual([{ scope: 'kind', namespace: '*', kind: 'Job', operation: 'list jobs', code: 'InternalError', status: 500, reason: 'Internal error occurred: etcdserver: request timed out' }]);
    expect(snapshot.pods).toHaveLength(27);
  });

  it('a continue token that expired (410) starts the list again, once, and nothing is counted twice', async () => {
    server.faults = { expireContinueOnce: /^\/api\/v1\/pods$/ };
    const snapshot = await collectK8sSnapshot(options({ allNamespaces: true }));
    expect(snapshot.incomplete).toEqual([]);
    expect(snapshot.pods).toHaveLength(27);
    expect(new Set(snapshot.pods.map((p) => `${p.namespace}/${p.name}`)).size).toBe(27);
    expect(server.requests.filter((r) => r.status === 410)).toHaveLength(1);
  });

  it('a client-certificate kubeconfig (--context): the API server sees the certificate', async () => {
    const snapshot = await collectK8sSnapshot(options({ context: 'prod-cert', namespaces: ['payments'] }));
    expect(snapshot.context).toBe('prod-cert');
    expect(snapshot.pods).toHaveLength(9);
    expect(new Set(server.requests.map((r) => r.auth))).toEqual(new Set([`cert:${certs.clientName}`]));
  });

  it('--selector is sent with every list, as kubectl -l', async () => {
    const snapshot = await collectK8sSnapshot(options({ allNamespaces: true, selector: 'tier=web' }));
    expect(server.requests.every((r) => r.query.labelSelector === 'tier=web')).toBe(true);
    expect(new Set(snapshot.pods.map((p) => p.owner?.name.replace(/-h\d$/, '')))).toEqual(new Set(['svc-0', 'svc-2']));
    expect(snapshot.scope.selector).toBe('tier=web');
  });

  it('rejected credentials (401) stop the audit with one message; so do an unknown context and an unreachable server', async () => {
    await expect(collectK8sSnapshot(options({ context: 'prod-stale', allNamespaces: true }))).rejects.toThrow(
      new K8sConfigError(`the API server at ${server.url} rejected the credentials of context "prod-stale" (401 Unauthorized): refresh them (e.g. your cloud's \`get-token\` or \`kubectl config view\`) and retry`),
    );
    await expect(collectK8sSnapshot(options({ context: 'staging' }))).rejects.toThrow('no context "staging" in the kubeconfig (it has: prod-token, prod-cert, prod-stale)');
    const closed = join(dir, 'closed');
    writeFileSync(closed, kubeconfig(`https://127.0.0.1:${await freePort()}`, certs, [{ name: 'gone', user: { token: TOKEN } }]));
    await expect(collectK8sSnapshot({ kubeconfig: closed, allNamespaces: true, retryDelayMs: () => 0 })).rejects.toThrow(/^cannot reach the API server at https:\/\/127\.0\.0\.1:\d+ \(context "gone"\): ECONNREFUSED: /);
    await expect(collectK8sSnapshot({ kubeconfig: join(dir, 'nope') })).rejects.toThrow(K8sConfigError);
    // No kubeconfig anywhere (and not in a pod): client-node would try http://localhost:8080; we say so instead.
    const saved = { HOME: process.env.HOME, KUBECONFIG: process.env.KUBECONFIG, KUBERNETES_SERVICE_HOST: process.env.KUBERNETES_SERVICE_HOST };
    try {
      process.env.HOME = mkdtempSync(join(tmpdir(), 'imagedrift-k8s-home-'));
      delete process.env.KUBECONFIG;
      delete process.env.KUBERNETES_SERVICE_HOST;
      await expect(collectK8sSnapshot({ allNamespaces: true })).rejects.toThrow('no kubeconfig: set KUBECONFIG, pass --kubeconfig, or run inside a cluster (service account)');
    } finally {
      for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });
});
