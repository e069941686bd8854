// Regenerates tests/golden-audit-k8s/kubectl-mixed/kubectl.json: the real kubectl's
// `get pods,deployments,statefulsets,daemonsets,replicasets,jobs,cronjobs -A -o json` output for a
// mixed cluster served by the loopback API of tests/helpers/fake-k8s.ts. Debian's kubectl.
// Run: npx tsx tests/golden-audit-k8s/regenerate.ts (then check expected.txt with the test)
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cronJob, deployment, FakeK8sServer, job, kubeconfig, kubectlGetJson, makeCerts, pod, podTemplateWorkload, replicaSet, sha256Digest } from '../helpers/fake-k8s.js';

const OTEL = 'public.ecr.aws/aws-observability/aws-otel-collector:latest';
const d = deployment({ namespace: 'shop', name: 'checkout', replicas: 4, containers: [{ name: 'checkout-api', image: 'ghcr.io/acme/checkout-api:4.2.1' }, { name: 'otel-collector', image: OTEL }] });
const rs = replicaSet(d, '7d9f8b6c5');
const pods = [0, 1, 2, 3].map((i) =>
  pod(rs, `checkout-7d9f8b6c5-${i}`, [
    { name: 'istio-init', image: 'docker.io/istio/proxyv2:1.22.1', digest: sha256Digest('istio'), init: true },
    { name: 'checkout-api', image: 'ghcr.io/acme/checkout-api:4.2.1', imageID: `docker-pullable://ghcr.io/acme/checkout-api@${sha256Digest('api')}` },
    { name: 'otel-collector', image: OTEL, digest: sha256Digest(i < 2 ? 'otel v0.28.0' : 'otel v0.29.0') },
    { name: 'istio-proxy', image: 'docker.io/istio/proxyv2:1.22.1', digest: sha256Digest('istio') },
  ]),
);
const sts = podTemplateWorkload('StatefulSet', { namespace: 'data', name: 'db', replicas: 2, containers: [{ name: 'postgres', image: 'postgres:16' }], initContainers: [{ name: 'log-shipper', image: 'fluent/fluent-bit:3.0.7', restartPolicy: 'Always' }] });
const db = [0, 1].map((i) => pod(sts, `db-${i}`, [{ name: 'log-shipper', image: 'fluent/fluent-bit:3.0.7', digest: sha256Digest('fb'), init: true, restartPolicy: 'Always' }, { name: 'postgres', image: 'postgres:16', imageID: i === 0 ? `docker://sha256:${'e'.repeat(64)}` : `docker.io/library/postgres@${sha256Digest('pg16')}` }]));
const ds = podTemplateWorkload('DaemonSet', { namespace: 'kube-system', name: 'node-exporter', replicas: 1, containers: [{ name: 'node-exporter', image: 'quay.io/prometheus/node-exporter:v1.8.1', imagePullPolicy: 'Always' }] });
const cj = cronJob({ namespace: 'ops', name: 'report', containers: [{ name: 'report', image: 'ghcr.io/acme/report:stable', imagePullPolicy: 'Always' }] });
const j = job(cj, { namespace: 'ops', name: 'report-29150000', active: 1, containers: [{ name: 'report', image: 'ghcr.io/acme/report:stable', imagePullPolicy: 'Always' }] });
const objects = [
  d,
  rs,
  ...pods,
  sts,
  ...db,
  ds,
  pod(ds, 'node-exporter-x7k2p', [{ name: 'node-exporter', image: 'quay.io/prometheus/node-exporter:v1.8.1', imagePullPolicy: 'Always', digest: sha256Digest('ne') }]),
  cj,
  j,
  pod(j, 'report-29150000-q8w4n', [{ name: 'report', image: 'ghcr.io/acme/report:stable', imagePullPolicy: 'Always', digest: sha256Digest('report') }]),
  pod(undefined, 'debug-shell', [{ name: 'shell', image: 'busybox' }], { namespace: 'shop', phase: 'Pending' }),
];

const certs = makeCerts();
const server = await FakeK8sServer.start(objects, { certs, token: 'regenerate' });
const dir = mkdtempSync(join(tmpdir(), 'imagedrift-regenerate-'));
try {
  writeFileSync(join(dir, 'kubeconfig'), kubeconfig(server.url, certs, [{ name: 'prod', user: { token: 'regenerate' } }]));
  const out = await kubectlGetJson(join(dir, 'kubeconfig'));
  if (out.code !== 0) throw new Error(`kubectl failed: ${out.stderr}`);
  writeFileSync(join(import.meta.dirname, 'kubectl-mixed', 'kubectl.json'), out.stdout);
} finally {
  await server.close();
  certs.cleanup();
  rmSync(dir, { recursive: true, force: true });
}
