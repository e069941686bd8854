// `audit k8s`'s pure parts: Kubernetes objects (shaped as the API and kubectl give them, built by
// tests/helpers/fake-k8s.ts) to a snapshot, and the snapshot judged: owner chains, injected
// sidecars, rollouts, local image ids, imagePullPolicy, finished pods, incomplete lists, policy.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { k8sCommand, k8sSummaryLine } from '../../src/cli/audit-k8s.js';
import { addK8sRegistryFacts } from '../../src/audit/k8s/collect.js';
import { k8sAuditResult, k8sPath, k8sUnits } from '../../src/audit/k8s/judge.js';
import type { ResolveOutcome, Resolver } from '../../src/resolve/types.js';
import { K8sSnapshotFileError, readK8sSnapshot, writeK8sSnapshot } from '../../src/audit/k8s/snapshot-file.js';
import { loadDefaultPolicy, loadPolicyFile } from '../../src/policy/load.js';
import { K8sInputError, objectsFromList, snapshotFromFile } from '../../src/sources/k8s/from-file.js';
import { keepWorkloads, parseImageId, sortObjects } from '../../src/sources/k8s/objects.js';
import { K8S_KINDS, K8S_SNAPSHOT_SCHEMA } from '../../src/sources/k8s/snapshot.js';
import type { K8sIncomplete, K8sSnapshot } from '../../src/sources/k8s/snapshot.js';
import { cronJob, deployment, job, pod, podTemplateWorkload, replicaSet, sha256Digest } from '../helpers/fake-k8s.js';
import type { K8sObject } from '../helpers/fake-k8s.js';

const OTEL = 'public.ecr.aws/aws-observability/aws-otel-collector:latest';
const APP = 'ghcr.io/acme/checkout:4.2.1';
const ISTIO = 'docker.io/istio/proxyv2:1.22.1';
const OLD = sha256Digest('otel v0.28.0');
const NEW = sha256Digest('otel v0.29.0');

/** A snapshot of `objects`, as `--from-file` reads a kubectl List of them. */
function snapshotOf(objects: K8sObject[], extra: Partial<K8sSnapshot> = {}): K8sSnapshot {
  const { pods, workloads } = objectsFromList({ apiVersion: 'v1', kind: 'List', items: objects, metadata: { resourceVersion: '' } }, 'test.json');
  const kept = keepWorkloads(workloads, pods);
  sortObjects(pods, kept);
  return { schema: K8S_SNAPSHOT_SCHEMA, source: 'kubernetes', startedAt: '2025-06-02T02:00:00.000Z', finishedAt: '2025-06-02T02:00:05.000Z', via: 'file', context: 'prod-eu', scope: { namespaces: [], allNamespaces: true }, pods, workloads: kept, incomplete: [], calls: {}, ...extra };
}

function lines(snapshot: K8sSnapshot, policy = loadDefaultPolicy()): string[] {
  return k8sAuditResult(snapshot, policy).result.findings.map((f) => `${f.location.path}: ${f.severity} ${f.message} [${f.ruleId}]`);
}

/** The incident: a Deployment whose OTEL sidecar is `:latest`, 6 pods, half on each build; istio injected. */
function incident(): K8sObject[] {
  const d = deployment({ namespace: 'shop', name: 'checkout', replicas: 6, containers: [{ name: 'checkout-api', image: APP }, { name: 'otel-collector', image: OTEL }] });
  const rs = replicaSet(d, '7d9f8b6c5');
  const pods = Array.from({ length: 6 }, (_, i) =>
    pod(rs, `checkout-7d9f8b6c5-${i}`, [
      { name: 'istio-init', image: ISTIO, digest: sha256Digest('istio'), init: true },
      { name: 'checkout-api', image: APP, digest: sha256Digest('app') },
      { name: 'otel-collector', image: OTEL, digest: i < 3 ? OLD : NEW },
      { name: 'istio-proxy', image: ISTIO, digest: sha256Digest('istio') },
    ]),
  );
  return [d, rs, ...pods];
}

const LOC = 'k8s://prod-eu/shop/Deployment/checkout';

describe('imageID', () => {
  it('strips docker-pullable:// and docker://, and tells a local image id from a registry digest', () => {
    const d = `sha256:${'a'.repeat(64)}`;
    expect(parseImageId(`docker-pullable://nginx@${d}`)).toEqual({ digest: d });
    expect(parseImageId(`docker.io/library/nginx@${d}`)).toEqual({ digest: d });
    expect(parseImageId(`123456789012.dkr.ecr.eu-west-1.amazonaws.com/app@${d}`)).toEqual({ digest: d });
    expect(parseImageId(`docker://${d}`)).toEqual({ localImageId: true });
    expect(parseImageId(d)).toEqual({ localImageId: true });
    expect(parseImageId('')).toEqual({});
    expect(parseImageId('nginx@sha256:short')).toEqual({});
  });
});

describe('judging a cluster', () => {
  it('replays the incident: fleet-drift, the sidecar latest-tag error and pull-policy-always-floating; istio-proxy injected at admission is a sidecar', () => {
    const out = lines(snapshotOf(incident()));
    expect(out).toEqual([
      `${LOC}#checkout-api: note Container \`checkout-api\` in Deployment \`shop/checkout\` uses \`4.2.1\` without a digest: the tag can be re-pushed [undigested-tag]`,
      `${LOC}#istio-init: note Init container \`istio-init\` in Deployment \`shop/checkout\` uses \`1.22.1\` without a digest: the tag can be re-pushed [undigested-tag]`,
      `${LOC}#istio-proxy: warning Sidecar \`istio-proxy\` in Deployment \`shop/checkout\` uses \`1.22.1\` without a digest: the tag can be re-pushed [undigested-tag]`,
      `${LOC}#otel-collector: error Sidecar \`otel-collector\` in Deployment \`shop/checkout\` uses floating tag \`latest\`: any pod restart or reschedule can pull a different build [latest-tag]`,
      `${LOC}#otel-collector: error Sidecar \`otel-collector\` in Deployment \`shop/checkout\` runs 2 different builds of \`${OTEL}\` across 6 pods: 3 on ${OLD.slice(0, 19)}… and 3 on ${NEW.slice(0, 19)}…: the same reference pulled different images as pods were started [fleet-drift]`,
      `${LOC}#otel-collector: error Sidecar \`otel-collector\` in Deployment \`shop/checkout\` has imagePullPolicy: Always with floating tag \`latest\`: every container start (a crash-loop restart, a rescheduled or new pod) pulls whatever the tag points at then, so its pods drift across builds without a rollout [pull-policy-always-floating]`,
    ]);
    const { result, stats } = k8sAuditResult(snapshotOf(incident()), loadDefaultPolicy());
    expect(stats).toMatchObject({ context: 'prod-eu', namespaces: 1, workloads: 1, pods: 6, references: 4, localImageIds: 0 });
    const injected = result.findings.find((f) => f.location.path.endsWith('#istio-proxy'));
    expect(injected?.container).toEqual({ name: 'istio-proxy', role: 'sidecar', roleReason: 'injected at admission' });
    expect(injected?.workload).toEqual({ kind: 'Deployment', name: 'checkout', namespace: 'shop' });
  });

  it('with registry facts: tag-moved-since-deploy names both versions, running-digest-missing a deleted build', () => {
    const snapshot = snapshotOf(incident(), {
      images: {
        'public.ecr.aws/aws-observability/aws-otel-collector:latest': { source: 'oci', checkedAt: '2025-06-02T02:00:04.000Z', current: { digest: NEW, versionTag: 'v0.29.0' }, digests: { [OLD]: { exists: true, versionTag: 'v0.28.0' }, [NEW]: { exists: true } } },
        'ghcr.io/acme/checkout:4.2.1': { source: 'oci', current: { digest: sha256Digest('app v2') }, digests: { [sha256Digest('app')]: { exists: false } } },
      },
    });
    const out = lines(snapshot);
    expect(out).toContain(
      `${LOC}#otel-collector: error Sidecar \`otel-collector\` in Deployment \`shop/checkout\` runs \`latest\` at ${OLD.slice(0, 19)}… (v0.28.0) on 3 of 6 pods, but \`latest\` now points at ${NEW.slice(0, 19)}… (v0.29.0): the next rollout, and any pod restart (imagePullPolicy: Always), will pull a different build [tag-moved-since-deploy]`,
    );
    expect(out).toContain(
      `${LOC}#otel-collector: error Sidecar \`otel-collector\` in Deployment \`shop/checkout\` runs 2 different builds of \`${OTEL}\` across 6 pods: 3 on ${OLD.slice(0, 19)}… (v0.28.0) and 3 on ${NEW.slice(0, 19)}… (v0.29.0): the same reference pulled different images as pods were started [fleet-drift]`,
    );
    expect(out).toContain(
      `${LOC}#checkout-api: error Container \`checkout-api\` in Deployment \`shop/checkout\` runs ${sha256Digest('app').slice(0, 19)}… (6 pods), which the registry no longer has (deleted by a lifecycle policy?): the next pod started on a node without it will pull \`4.2.1\` as it is now, a different build, and this one cannot be restored [running-digest-missing]`,
    );
    expect(out).toContain(
      `${LOC}#checkout-api: warning Container \`checkout-api\` in Deployment \`shop/checkout\` runs \`4.2.1\` at ${sha256Digest('app').slice(0, 19)}… on 6 of 6 pods, but \`4.2.1\` now points at ${sha256Digest('app v2').slice(0, 19)}…: the next rollout, and any pod started on a node without this build, will pull a different build [tag-moved-since-deploy]`,
    );
  });

  it('follows owners: Job → CronJob, StatefulSet, DaemonSet, a bare pod, a static pod, an owner that was not listed', () => {
    const cj = cronJob({ namespace: 'ops', name: 'report', containers: [{ name: 'report', image: 'ghcr.io/acme/report:1.0.0' }] });
    const j = job(cj, { namespace: 'ops', name: 'report-29150000', active: 1, containers: [{ name: 'report', image: 'ghcr.io/acme/report:1.0.0' }] });
    const done = job(cj, { namespace: 'ops', name: 'report-29140000', containers: [{ name: 'report', image: 'ghcr.io/acme/report:0.9.0' }] });
    const sts = podTemplateWorkload('StatefulSet', { namespace: 'data', name: 'db', replicas: 1, containers: [{ name: 'db', image: 'postgres:16.3' }] });
    const ds = podTemplateWorkload('DaemonSet', { namespace: 'kube-system', name: 'fluent-bit', replicas: 2, containers: [{ name: 'fluent-bit', image: 'fluent/fluent-bit:3.0' }] });
    const rollout = { kind: 'Rollout', metadata: { name: 'web', namespace: 'shop', uid: 'r-1' }, spec: {} } as unknown as K8sObject;
    const objects = [
      cj,
      j,
      done,
      pod(j, 'report-29150000-abcde', [{ name: 'report', image: 'ghcr.io/acme/report:1.0.0', digest: sha256Digest('r') }]),
      pod(done, 'report-29140000-zzzzz', [{ name: 'report', image: 'ghcr.io/acme/report:0.9.0', digest: sha256Digest('r0') }], { phase: 'Succeeded' }),
      sts,
      pod(sts, 'db-0', [{ name: 'db', image: 'postgres:16.3', digest: sha256Digest('pg') }]),
      ds,
      pod(ds, 'fluent-bit-a', [{ name: 'fluent-bit', image: 'fluent/fluent-bit:3.0', digest: sha256Digest('fb1') }]),
      pod(ds, 'fluent-bit-b', [{ name: 'fluent-bit', image: 'fluent/fluent-bit:3.0', digest: sha256Digest('fb2') }]),
      pod(undefined, 'debug', [{ name: 'shell', image: 'busybox', digest: sha256Digest('bb') }], { namespace: 'shop' }),
      pod(rollout, 'web-5c4d-1', [{ name: 'web', image: 'ghcr.io/acme/web:2.0.0', digest: sha256Digest('w') }]),
    ];
    const mirror = pod(undefined, 'etcd-node-1', [{ name: 'etcd', image: 'registry.k8s.io/etcd:3.5.15-0', digest: sha256Digest('etcd') }], { namespace: 'kube-system' });
    (mirror.metadata as Record<string, unknown>).ownerReferences = [{ apiVersion: 'v1', kind: 'Node', name: 'node-1', uid: 'n-1', controller: true }];
    objects.push(mirror);
    const snapshot = snapshotOf(objects);
    // The finished Job is history: not kept.
    expect(snapshot.workloads.map((w) => `${w.kind}/${w.name}`)).toEqual(['StatefulSet/db', 'DaemonSet/fluent-bit', 'CronJob/report', 'Job/report-29150000']);
    const units = k8sUnits(snapshot).map((u) => `${u.path} ${u.kind} pods=${u.pods.length} templates=${u.templates.length}`);
    expect(units).toEqual([
      'k8s://prod-eu/data/StatefulSet/db service pods=1 templates=1',
      'k8s://prod-eu/kube-system/DaemonSet/fluent-bit service pods=2 templates=1',
      'k8s://prod-eu/kube-system/Pod/etcd-node-1 standalone pods=1 templates=1',
      'k8s://prod-eu/ops/CronJob/report service pods=1 templates=2',
      'k8s://prod-eu/shop/Pod/debug standalone pods=1 templates=1',
      'k8s://prod-eu/shop/Rollout/web service pods=1 templates=0',
    ]);
    const out = lines(snapshot);
    // Two builds of one DaemonSet's image: drift. The finished Job's 0.9.0 pod is not judged.
    const [fb1, fb2] = [sha256Digest('fb1'), sha256Digest('fb2')].sort();
    expect(out.filter((l) => l.endsWith('[fleet-drift]'))).toEqual([
      `k8s://prod-eu/kube-system/DaemonSet/fluent-bit#fluent-bit: error Container \`fluent-bit\` (a known sidecar image) in DaemonSet \`kube-system/fluent-bit\` runs 2 different builds of \`fluent/fluent-bit:3.0\` across 2 pods: 1 on ${fb1!.slice(0, 19)}… and 1 on ${fb2!.slice(0, 19)}…: the same reference pulled different images as pods were started [fleet-drift]`,
    ]);
    expect(out.some((l) => l.includes('0.9.0'))).toBe(false);
    expect(out).toContain('k8s://prod-eu/shop/Pod/debug#shell: error Container `shell` in Pod `shop/debug` uses `busybox` with no tag, which means `latest`: any pod restart or reschedule can pull a different build [missing-tag]');
    expect(out).toContain('k8s://prod-eu/shop/Pod/debug#shell: error Container `shell` in Pod `shop/debug` has imagePullPolicy: Always with no tag (which means `latest`): every container start (a crash-loop restart, a rescheduled or new pod) pulls whatever the tag points at then, so its pods drift across builds without a rollout [pull-policy-always-floating]');
  });

  it('a rollout in progress is not drift: two ReplicaSets, two images, each pod on its own build', () => {
    const d = deployment({ namespace: 'shop', name: 'web', replicas: 4, containers: [{ name: 'web', image: 'ghcr.io/acme/web:2.0.0' }] });
    const oldRs = replicaSet(d, 'aaaa1111', [{ name: 'web', image: 'ghcr.io/acme/web:1.9.0' }], 2);
    const newRs = replicaSet(d, 'bbbb2222', undefined, 2);
    const history = replicaSet(d, 'cccc3333', [{ name: 'web', image: 'ghcr.io/acme/web:1.8.0' }], 0);
    const objects = [d, oldRs, newRs, history, ...[0, 1].map((i) => pod(oldRs, `web-aaaa1111-${i}`, [{ name: 'web', image: 'ghcr.io/acme/web:1.9.0', digest: sha256Digest('1.9') }])), ...[0, 1].map((i) => pod(newRs, `web-bbbb2222-${i}`, [{ name: 'web', image: 'ghcr.io/acme/web:2.0.0', digest: sha256Digest('2.0') }]))];
    const snapshot = snapshotOf(objects);
    expect(snapshot.workloads.map((w) => w.name)).toEqual(['web', 'web-aaaa1111', 'web-bbbb2222']);
    const { result, stats } = k8sAuditResult(snapshot, loadDefaultPolicy());
    expect(result.findings.map((f) => f.ruleId)).toEqual(['undigested-tag', 'undigested-tag']);
    expect(result.findings.map((f) => f.image?.raw)).toEqual(['ghcr.io/acme/web:1.9.0', 'ghcr.io/acme/web:2.0.0']);
    expect(stats).toMatchObject({ workloads: 1, pods: 4, references: 2 });
  });

  it('a bare sha256 image id is a local id: not compared, and the message and figures say so', () => {
    const d = deployment({ namespace: 'shop', name: 'api', replicas: 3, containers: [{ name: 'api', image: 'ghcr.io/acme/api:latest' }] });
    const rs = replicaSet(d, 'abc');
    const local = `sha256:${'c'.repeat(64)}`;
    const objects = [d, rs, pod(rs, 'api-abc-1', [{ name: 'api', image: 'ghcr.io/acme/api:latest', digest: sha256Digest('a1') }]), pod(rs, 'api-abc-2', [{ name: 'api', image: 'ghcr.io/acme/api:latest', digest: sha256Digest('a2') }]), pod(rs, 'api-abc-3', [{ name: 'api', image: 'ghcr.io/acme/api:latest', imageID: `docker://${local}` }])];
    const snapshot = snapshotOf(objects);
    expect(snapshot.pods[2]!.containers[0]).toMatchObject({ imageID: `docker://${local}`, localImageId: true });
    expect(snapshot.pods[2]!.containers[0]!.digest).toBeUndefined();
    const { result, stats } = k8sAuditResult(snapshot, loadDefaultPolicy());
    expect(stats.localImageIds).toBe(1);
    // Equal counts: in digest order.
    const [first, second] = [sha256Digest('a1'), sha256Digest('a2')].sort();
    expect(result.findings.find((f) => f.ruleId === 'fleet-drift')?.message).toBe(
      `Container \`api\` in Deployment \`shop/api\` runs 2 different builds of \`ghcr.io/acme/api:latest\` across 3 pods: 1 on ${first!.slice(0, 19)}… and 1 on ${second!.slice(0, 19)}… (1 pod reports only a local image id, not a registry digest: not compared): the same reference pulled different images as pods were started`,
    );
  });

  it('imagePullPolicy: Always is harmless on an exact pinned version, and IfNotPresent on latest is only the tag rule', () => {
    const d = deployment({ namespace: 'a', name: 'x', containers: [{ name: 'pinned', image: `ghcr.io/acme/x:1.2.3@${sha256Digest('x')}`, imagePullPolicy: 'Always' }, { name: 'exact', image: 'ghcr.io/acme/y:1.2.3', imagePullPolicy: 'Always' }, { name: 'cached', image: 'ghcr.io/acme/z:latest', imagePullPolicy: 'IfNotPresent' }, { name: 'stable', image: 'ghcr.io/acme/w:stable', imagePullPolicy: 'Always' }] });
    const rules = k8sAuditResult(snapshotOf([d]), loadDefaultPolicy()).result.findings.map((f) => `${f.location.path.split('#')[1]} ${f.ruleId}`);
    expect(rules.filter((r) => r.endsWith('pull-policy-always-floating'))).toEqual(['stable pull-policy-always-floating']);
    expect(rules).toContain('cached latest-tag');
  });

  it('policy overrides and exceptions match k8s:// paths and workloads', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'imagedrift-k8s-policy-')), '.imagedrift.yaml');
    writeFileSync(
      file,
      `rules:\n  pull-policy-always-floating: warning\noverrides:\n  - paths: ["k8s://*/shop/**"]\n    rules:\n      undigested-tag: off\nexceptions:\n  - rule: latest-tag\n    workload: shop/checkout\n    container: otel-collector\n    reason: upstream pins it next sprint\n    expires: 2099-01-01\n`,
    );
    const policy = loadPolicyFile(file);
    const out = lines(snapshotOf(incident()), policy);
    expect(out.map((l) => l.replace(/^.*#/, '').replace(/: (\w+) .*\[/, ' $1 ['))).toEqual(['otel-collector error [fleet-drift]', 'otel-collector warning [pull-policy-always-floating]']);
  });

  it('incomplete lists: a whole forbidden namespace is one finding, a single kind its own; the rest is judged and errors make exit 3', () => {
    const forbidden = (namespace: string, kind: string, plural: string): K8sIncomplete => ({ scope: 'namespace', namespace, kind, operation: `list ${plural}`, code: 'Forbidden', status: 403, reason: `${plural} is forbidden: User "ci" cannot list resource "${plural}" in API group "" in the namespace "${namespace}"` });
    const all = [['Pod', 'pods'], ['Deployment', 'deployments'], ['StatefulSet', 'statefulsets'], ['DaemonSet', 'daemonsets'], ['ReplicaSet', 'replicasets'], ['Job', 'jobs'], ['CronJob', 'cronjobs']] as const;
    const snapshot = snapshotOf(incident(), {
      incomplete: [...all.map(([k, p]) => forbidden('restricted', k, p)), { scope: 'namespace', namespace: 'batch', kind: 'CronJob', operation: 'list cronjobs', code: 'InternalError', status: 500, reason: 'Internal error occurred: etcdserver: request timed out' }],
    });
    const { result } = k8sAuditResult(snapshot, loadDefaultPolicy());
    const incomplete = result.findings.filter((f) => f.ruleId === 'audit-incomplete').map((f) => `${f.location.path}: ${f.message}`);
    expect(incomplete).toEqual([
      'k8s://prod-eu/batch/CronJob: Audit incomplete: InternalError on list cronjobs (Internal error occurred: etcdserver: request timed out): cronjobs in this namespace were not audited',
      'k8s://prod-eu/restricted: Audit incomplete: Forbidden on list pods, list deployments, list statefulsets, list daemonsets, list replicasets, list jobs, list cronjobs (pods is forbidden: User "ci" cannot list resource "pods" in API group "" in the namespace "restricted"): nothing in this namespace was audited',
    ]);
    expect(result.errors).toHaveLength(2);
    expect(result.findings.some((f) => f.ruleId === 'fleet-drift')).toBe(true);
  });

  it('control characters from the cluster, a kubectl file or a snapshot never reach a terminal raw', () => {
    const d = deployment({ namespace: 'shop', name: 'evil\u001b[2Jname', containers: [{ name: 'c\u0007', image: 'nginx:latest\u001b[31m' }] });
    const snapshot = snapshotOf([d]);
    const out = lines(snapshot).join('\n');
    expect(out).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
    expect(out).toContain('evil\\u001b[2Jname');
    const file = join(mkdtempSync(join(tmpdir(), 'imagedrift-k8s-ctl-')), 'snap.json');
    writeFileSync(file, JSON.stringify({ ...snapshot, context: 'ctx\u001b]0;title\u0007' }));
    expect(readK8sSnapshot(file).context).toBe('ctx\\u001b]0;title\\u0007');
  });

  it('denied-version: a running workload that declares a version deny.versions lists', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'imagedrift-k8s-deny-')), '.imagedrift.yaml');
    writeFileSync(file, 'deny:\n  versions:\n    - image: "**/aws-otel-collector"\n      versions: "0.29.0"\n      reason: panics on string attributes\n');
    const bad = 'public.ecr.aws/aws-observability/aws-otel-collector:v0.29.0';
    const d = deployment({ namespace: 'shop', name: 'checkout', containers: [{ name: 'checkout-api', image: APP }, { name: 'otel-collector', image: bad }] });
    const rs = replicaSet(d, '5f6d7c8b9');
    const running = pod(rs, 'checkout-5f6d7c8b9-0', [{ name: 'checkout-api', image: APP, digest: sha256Digest('app') }, { name: 'otel-collector', image: bad, digest: NEW }]);
    const out = lines(snapshotOf([d, rs, running]), loadPolicyFile(file)).filter((line) => line.endsWith('[denied-version]'));
    expect(out).toEqual([
      `${LOC}#otel-collector: error Sidecar \`otel-collector\` in Deployment \`shop/checkout\` uses \`v0.29.0\`, release 0.29.0, which the policy denies (\`deny.versions\`: \`0.29.0\` of \`**/aws-otel-collector\`: panics on string attributes) [denied-version]`,
    ]);
  });

  it('locations escape what would break the path', () => {
    expect(k8sPath('arn:aws:eks:eu-west-1:1:cluster/prod', 'shop', 'Deployment', 'web')).toBe('k8s://arn:aws:eks:eu-west-1:1:cluster%2Fprod/shop/Deployment/web');
  });
});

describe('registry facts (--resolve)', () => {
  it('asks once per unique reference, with every digest its pods run, and records a registry that cannot answer', async () => {
    const other = deployment({ namespace: 'ops', name: 'batch', replicas: 2, containers: [{ name: 'otel', image: OTEL }, { name: 'tool', image: 'ghcr.io/acme/tool:1.0.0' }] });
    const rs = replicaSet(other, 'x');
    const objects = [...incident(), other, rs, pod(rs, 'batch-x-1', [{ name: 'otel', image: OTEL, digest: NEW }, { name: 'tool', image: 'ghcr.io/acme/tool:1.0.0', digest: sha256Digest('tool') }])];
    const asked: string[] = [];
    const exists: string[] = [];
    const session: Resolver = {
      async resolve(ref) {
        asked.push(`${ref.registry}/${ref.repository}:${ref.tag}`);
        if (ref.repository === 'acme/tool') return { ok: false, kind: 'network', reason: 'connect ECONNREFUSED 127.0.0.1:443' } as ResolveOutcome;
        const digest = ref.repository === 'aws-observability/aws-otel-collector' ? NEW : ref.repository === 'acme/checkout' ? sha256Digest('app') : sha256Digest('istio');
        return { ok: true, digest, mediaType: 'application/vnd.oci.image.manifest.v1+json' } as ResolveOutcome;
      },
      async listTags() {
        return ['v0.28.0', 'v0.29.0', 'latest'];
      },
      async manifestExists(ref, digest) {
        exists.push(`${ref.repository}@${digest}`);
        return true;
      },
    };
    const snapshot = await addK8sRegistryFacts(snapshotOf(objects), { session });
    // One HEAD of each tag in use (then, for the moved tag, the tags that name its builds); one existence check of the other digest.
    expect(asked.filter((a) => a.endsWith('aws-otel-collector:latest'))).toHaveLength(1);
    expect(exists).toEqual([`aws-observability/aws-otel-collector@${OLD}`]);
    expect(snapshot.images?.[OTEL]).toMatchObject({ source: 'oci', current: { digest: NEW }, digests: { [OLD]: { exists: true }, [NEW]: { exists: true } } });
    expect(snapshot.incomplete).toEqual([{ scope: 'registry', id: 'ghcr.io/acme/tool', operation: 'resolve', code: 'RegistryError', reason: 'connect ECONNREFUSED 127.0.0.1:443' }]);
    const { result } = k8sAuditResult(snapshot, loadDefaultPolicy());
    expect(result.findings.filter((f) => f.ruleId === 'audit-incomplete').map((f) => `${f.location.path}: ${f.message}`)).toEqual([
      'oci://ghcr.io/acme/tool: Audit incomplete: RegistryError on resolve (connect ECONNREFUSED 127.0.0.1:443): what the registry serves now for this image was not judged',
    ]);
    expect(result.findings.filter((f) => f.ruleId === 'tag-moved-since-deploy').map((f) => f.location.path)).toEqual([`${LOC}#otel-collector`]);
  });
});

describe('--from-file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'imagedrift-k8s-file-'));

  it('reads a List, a typed list (items without kind), and a single object; ignores other kinds', () => {
    const [d, rs, ...pods] = incident();
    const list = { apiVersion: 'v1', kind: 'List', items: [d, rs, { apiVersion: 'v1', kind: 'Service', metadata: { name: 's', namespace: 'shop' } }, ...pods], metadata: { resourceVersion: '' } };
    expect(objectsFromList(list, 'x').pods).toHaveLength(6);
    expect(objectsFromList(list, 'x').ignored).toBe(1);
    const podList = { apiVersion: 'v1', kind: 'PodList', items: pods.map(({ kind: _k, apiVersion: _a, ...rest }) => rest), metadata: {} };
    expect(objectsFromList(podList, 'x').pods.map((p) => p.name)).toHaveLength(6);
    expect(objectsFromList(d, 'x').workloads.map((w) => w.name)).toEqual(['checkout']);
  });

  it('refuses what is not kubectl JSON with file:line:col', () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{\n  "kind": "List",\n  "items": [,]\n}\n');
    expect(() => snapshotFromFile(bad)).toThrow(K8sInputError);
    expect(() => snapshotFromFile(bad)).toThrow(/bad\.json:3:13: not JSON: a value expected \(expected the output of `kubectl get … -o json`\)$/);
    writeFileSync(bad, 'apiVersion: v1\nkind: List\n');
    expect(() => snapshotFromFile(bad)).toThrow(/bad\.json:1:1: not JSON/);
    writeFileSync(bad, '[1, 2]');
    expect(() => snapshotFromFile(bad)).toThrow(/bad\.json:1:1: not a Kubernetes object or list/);
    expect(() => snapshotFromFile(join(dir, 'missing.json'))).toThrow(/missing\.json: cannot read: no such file/);
    expect(() => snapshotFromFile('-', { stdin: () => '' })).toThrow(/<stdin>:1:1: empty/);
  });
});

describe('golden: the real kubectl output of a mixed cluster (tests/golden-audit-k8s/regenerate.ts)', () => {
  it('judges Deployments with injected istio containers, a StatefulSet with a native sidecar and a local image id, a DaemonSet, a CronJob and a bare pod', () => {
    const dir = join(import.meta.dirname, '..', 'golden-audit-k8s', 'kubectl-mixed');
    const snapshot = snapshotFromFile(join(dir, 'kubectl.json'), { context: 'prod' });
    const { result, stats } = k8sAuditResult(snapshot, loadDefaultPolicy());
    const text = `${[...result.findings.map((f) => `${f.location.path}: ${f.severity} ${f.message} [${f.ruleId}]`), k8sSummaryLine(result, stats)].join('\n')}\n`;
    expect(text).toBe(readFileSync(join(dir, 'expected.txt'), 'utf8'));
  });
});

describe('snapshot files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'imagedrift-k8s-snap-'));

  it('round-trips: judged again, a saved snapshot gives the same findings', () => {
    const snapshot = snapshotOf(incident());
    const file = join(dir, 'snap.json');
    writeK8sSnapshot(file, snapshot);
    const again = readK8sSnapshot(file);
    expect(k8sAuditResult(again, loadDefaultPolicy()).result.findings).toEqual(k8sAuditResult(snapshot, loadDefaultPolicy()).result.findings);
    expect(Object.keys(again)).toEqual(['schema', 'source', 'startedAt', 'finishedAt', 'via', 'context', 'scope', 'pods', 'workloads', 'incomplete', 'calls']);
  });

  it('refuses a file that is not a Kubernetes snapshot, with the reason', () => {
    const file = join(dir, 'ecs.json');
    writeFileSync(file, JSON.stringify({ schema: 'imagedrift.snapshot/v1', source: 'ecs' }));
    expect(() => readK8sSnapshot(file)).toThrow(K8sSnapshotFileError);
    expect(() => readK8sSnapshot(file)).toThrow('not an imagedrift Kubernetes snapshot: `schema` is "imagedrift.snapshot/v1", expected "imagedrift.k8s-snapshot/v1" (an ECS snapshot: judge it with `audit ecs --from-snapshot`)');
    const snapshot = snapshotOf(incident());
    writeFileSync(file, JSON.stringify({ ...snapshot, pods: [{ ...snapshot.pods[0], containers: [{ image: 'x' }] }] }));
    expect(() => readK8sSnapshot(file)).toThrow('`pods[0].containers[0]` has no `name`');
  });
});

describe('README: Auditing live Kubernetes', () => {
  const readme = readFileSync(join(import.meta.dirname, '..', '..', 'README.md'), 'utf8');
  const start = readme.indexOf('\n## Auditing live Kubernetes\n');
  const section = readme.slice(start, readme.indexOf('\n## ', start + 1));
  const yamlBlocks = [...section.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => parseAllDocuments(m[1] ?? '').map((d) => d.toJS() as Record<string, unknown>));

  it('grants exactly get and list on the kinds the audit lists, nothing more', () => {
    expect(start).toBeGreaterThan(0);
    const role = yamlBlocks.flat().find((d) => d.kind === 'ClusterRole') as { rules: Array<{ apiGroups: string[]; resources: string[]; verbs: string[] }> };
    const granted = role.rules.flatMap((r) => r.resources.map((res) => `${r.apiGroups.join()}/${res}`)).sort();
    expect(granted).toEqual(K8S_KINDS.map((k) => `${k.group}/${k.plural}`).sort());
    for (const r of role.rules) expect(r.verbs).toEqual(['get', 'list']);
    const cron = yamlBlocks.flat().find((d) => d.kind === 'CronJob') as { spec: { jobTemplate: { spec: { template: { spec: { serviceAccountName: string; containers: Array<{ args: string[] }> } } } } } };
    expect(cron.spec.jobTemplate.spec.template.spec.serviceAccountName).toBe('imagedrift-audit');
    expect(cron.spec.jobTemplate.spec.template.spec.containers[0]!.args[0]).toContain('imagedrift audit k8s -A --resolve --snapshot tonight.json');
  });

  it('documents every option of the command and every field of the snapshot', () => {
    for (const option of k8sCommand().options) expect(section, option.flags).toContain(`| \`${option.flags}\``);
    const snapshot = { ...snapshotOf(incident()), serverTime: 'x', server: 'x', images: {} };
    for (const key of Object.keys(snapshot)) expect(section, key).toMatch(new RegExp(`\\| (\`\\w+\`, )?\`${key}[\`{\\[]`));
    expect(section).toContain('<a id="rule-pull-policy-always-floating"></a>`pull-policy-always-floating` | error | error |');
  });
});
