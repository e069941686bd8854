#!/usr/bin/env node
// Writes a deterministic synthetic repository of deployment files for the benchmarks: multi-document
// Kubernetes manifests (Deployments, StatefulSets, DaemonSets, CronJobs with init containers and
// sidecars, next to Services, ConfigMaps with block scalars, HPAs, RBAC, Ingresses), ECS task
// definitions in JSON (register-task-definition input and describe-task-definition output),
// CloudFormation templates in YAML with short-form tags (and a few in JSON, as CDK writes them),
// YAML that holds no workload (Prometheus rules, and kustomizations under names kustomize never
// reads), and Helm values (`values-N.yaml`, one image block each). A few files use
// YAML the fast reader leaves to the full parser (anchors, multi-line flow collections and quoted
// scalars), as real repositories do.
//
//   node scripts/gen-synthetic.mjs --size 50 [--seed 1] [--findings mixed|dense|sparse] [--out DIR]
//
// --findings dense writes only workload files (multi-document Kubernetes manifests with sidecars,
// ECS JSON, CloudFormation) whose images are never pinned by digest, so nearly every reference is
// a finding; --findings sparse writes the very same files (same seed, same structure) with every
// image pinned by digest, so almost none is. The two measure what a finding costs.
//
// The same seed and size always give the same bytes. Without --out it writes to
// $TMPDIR/imagedrift-synthetic/<size>MB-seed<seed>. It records in <dir>/.synthetic.json what it
// wrote, including how many image references a correct scan must find (`expectedRefs`), and
// reuses a directory whose record matches.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Identifies this generator's output: a hash of its own source, so any change regenerates. */
export const GENERATOR_VERSION = createHash('sha256').update(readFileSync(fileURLToPath(import.meta.url))).digest('hex').slice(0, 16);

// ---- seeded randomness ----------------------------------------------------------------------------

export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Gen {
  constructor(seed, findings = 'mixed') {
    this.r = rng(seed);
    /** Tags come from their own sequence in dense and sparse mode, so both write the same files otherwise. */
    this.t = rng(seed ^ 0x5bd1e995);
    this.findings = findings;
    this.expectedRefs = 0;
  }
  int(min, max) {
    return min + Math.floor(this.r() * (max - min + 1));
  }
  pick(list) {
    return list[Math.floor(this.r() * list.length)];
  }
  chance(p) {
    return this.r() < p;
  }
  hex(n) {
    let s = '';
    for (let i = 0; i < n; i++) s += '0123456789abcdef'[Math.floor(this.r() * 16)];
    return s;
  }
}

const TEAMS = ['payments', 'checkout', 'search', 'identity', 'platform', 'data', 'growth', 'catalog', 'shipping', 'notifications'];
const SERVICES = ['api', 'worker', 'gateway', 'scheduler', 'indexer', 'consumer', 'frontend', 'admin', 'exporter', 'sync', 'ingest', 'reporter'];
const ENVS = ['dev', 'staging', 'prod', 'prod-eu', 'prod-us', 'sandbox'];
const REGISTRIES = ['123456789012.dkr.ecr.eu-west-1.amazonaws.com', '123456789012.dkr.ecr.us-east-1.amazonaws.com', 'ghcr.io/example', 'registry.example.com', 'docker.io/example', 'quay.io/example', ''];
const SIDECARS = [
  ['istio-proxy', 'docker.io/istio/proxyv2'],
  ['log-shipper', 'fluent/fluent-bit'],
  ['otel-collector', 'public.ecr.aws/aws-observability/aws-otel-collector'],
  ['cloudsql-proxy', 'gcr.io/cloud-sql-connectors/cloud-sql-proxy'],
  ['vault-agent', 'hashicorp/vault'],
  ['kube-rbac-proxy', 'quay.io/brancz/kube-rbac-proxy'],
  ['config-reloader', 'ghcr.io/stakater/reloader'],
  ['datadog-agent', 'gcr.io/datadoghq/agent'],
];
const INIT = [
  ['migrate', 'migrations'],
  ['wait-for-db', 'busybox'],
  ['copy-config', 'alpine'],
  ['fix-permissions', 'busybox'],
];

/** An image tag of a realistic kind: exact versions, digests, partial versions, `latest`, none, templates. */
function tag(g) {
  if (g.findings !== 'mixed') {
    const t = g.t;
    const int = (min, max) => min + Math.floor(t() * (max - min + 1));
    const hex = (n) => Array.from({ length: n }, () => '0123456789abcdef'[Math.floor(t() * 16)]).join('');
    const version = `${int(0, 5)}.${int(0, 30)}.${int(0, 20)}`;
    if (g.findings === 'sparse') return `:${version}@sha256:${hex(64)}`;
    const x = t();
    if (x < 0.35) return `:${version}`;
    if (x < 0.5) return `:${int(1, 3)}.${int(0, 30)}`;
    if (x < 0.7) return ':latest';
    if (x < 0.8) return '';
    if (x < 0.9) return `:${['stable', 'main', 'edge', 'alpine', 'lts'][int(0, 4)]}`;
    return `:v${version}-alpine`;
  }
  const x = g.r();
  if (x < 0.3) return `:${g.int(0, 5)}.${g.int(0, 30)}.${g.int(0, 20)}`;
  if (x < 0.5) return `:${g.int(0, 5)}.${g.int(0, 30)}.${g.int(0, 20)}@sha256:${g.hex(64)}`;
  if (x < 0.58) return `@sha256:${g.hex(64)}`;
  if (x < 0.68) return `:${g.int(1, 3)}.${g.int(0, 30)}`;
  if (x < 0.76) return ':latest';
  if (x < 0.82) return '';
  if (x < 0.87) return `:${g.pick(['stable', 'main', 'edge', 'alpine', 'lts'])}`;
  if (x < 0.93) return `:sha-${g.hex(7)}`;
  if (x < 0.97) return `:v${g.int(0, 5)}.${g.int(0, 30)}.${g.int(0, 20)}-alpine`;
  return ':${IMAGE_TAG}';
}

function appImage(g, team, service) {
  const registry = g.pick(REGISTRIES);
  return `${registry === '' ? '' : `${registry}/`}${team}/${service}${tag(g)}`;
}

function sidecarImage(g, base) {
  return `${base}${tag(g)}`;
}

// ---- YAML writing helpers -------------------------------------------------------------------------

/** A YAML scalar in a style real files use for it (the values given are all valid plain scalars). */
function q(g, value) {
  const x = g.r();
  return x < 0.7 ? value : x < 0.85 ? `"${value}"` : `'${value}'`;
}

function imageScalar(g, image) {
  // Quote images that YAML would otherwise read differently; most are written plain.
  if (image.includes('${') || image.startsWith('@')) return `"${image}"`;
  const x = g.r();
  return x < 0.75 ? image : x < 0.9 ? `"${image}"` : `'${image}'`;
}

/** Sequence style: indented under the key (`  - x`) or at the key's column (`- x`, kubectl/kustomize style). */
class Y {
  constructor(g) {
    this.g = g;
    this.lines = [];
    this.seqIndent = g.chance(0.5) ? 2 : 0;
  }
  line(indent, text) {
    this.lines.push(`${' '.repeat(indent)}${text}`);
  }
  comment(indent) {
    if (this.g.chance(0.04)) this.line(indent, `# ${this.g.pick(['TODO: tune after load test', 'managed by platform team', 'see runbook', 'do not edit: generated', 'bumped by renovate'])}`);
  }
  text() {
    return `${this.lines.join('\n')}\n`;
  }
}

function labels(y, indent, app, team, version) {
  y.line(indent, `app.kubernetes.io/name: ${app}`);
  y.line(indent, `app.kubernetes.io/part-of: ${team}`);
  if (y.g.chance(0.6)) y.line(indent, `app.kubernetes.io/version: "${version}"`);
  if (y.g.chance(0.5)) y.line(indent, `app.kubernetes.io/managed-by: ${y.g.pick(['kustomize', 'Helm', 'argocd'])}`);
}

function envVars(y, indent) {
  const g = y.g;
  const s = y.seqIndent;
  const count = g.int(2, 9);
  y.line(indent, 'env:');
  for (let i = 0; i < count; i++) {
    const name = g.pick(['LOG_LEVEL', 'PORT', 'DB_HOST', 'DB_NAME', 'REDIS_URL', 'FEATURE_FLAGS', 'OTEL_EXPORTER_OTLP_ENDPOINT', 'JAVA_OPTS', 'GOMAXPROCS', 'TZ', 'AWS_REGION']) + (i > 5 ? `_${i}` : '');
    y.line(indent + s, `- name: ${name}`);
    const x = g.r();
    if (x < 0.6) y.line(indent + s + 2, `value: ${q(g, g.pick(['info', '8080', 'db.internal', 'orders', 'redis://cache:6379/0', 'a,b,c', 'http://otel-collector:4317', '-Xmx512m -XX:+UseG1GC', '2', 'UTC', 'eu-west-1']))}`);
    else if (x < 0.8) {
      y.line(indent + s + 2, 'valueFrom:');
      y.line(indent + s + 4, 'secretKeyRef:');
      y.line(indent + s + 6, `name: ${g.pick(['db', 'api-keys', 'redis'])}-credentials`);
      y.line(indent + s + 6, `key: ${g.pick(['password', 'token', 'url'])}`);
    } else {
      y.line(indent + s + 2, 'valueFrom:');
      y.line(indent + s + 4, 'fieldRef:');
      y.line(indent + s + 6, `fieldPath: ${g.pick(['metadata.namespace', 'status.podIP', 'spec.nodeName'])}`);
    }
  }
}

function probe(y, indent, name) {
  const g = y.g;
  y.line(indent, `${name}:`);
  if (g.chance(0.7)) {
    y.line(indent + 2, 'httpGet:');
    y.line(indent + 4, `path: ${g.pick(['/healthz', '/ready', '/live', '/actuator/health'])}`);
    y.line(indent + 4, `port: ${g.pick(['http', '8080', 'metrics'])}`);
  } else {
    y.line(indent + 2, 'tcpSocket:');
    y.line(indent + 4, 'port: 8080');
  }
  y.line(indent + 2, `initialDelaySeconds: ${g.int(0, 30)}`);
  y.line(indent + 2, `periodSeconds: ${g.pick([5, 10, 15])}`);
  if (g.chance(0.5)) y.line(indent + 2, `failureThreshold: ${g.int(1, 6)}`);
}

function container(y, indent, name, image, full) {
  const g = y.g;
  const s = y.seqIndent;
  y.line(indent, `- name: ${name}`);
  const i = indent + 2;
  y.line(i, `image: ${imageScalar(g, image)}`);
  g.expectedRefs += 1;
  if (g.chance(0.6)) y.line(i, `imagePullPolicy: ${g.pick(['IfNotPresent', 'Always'])}`);
  if (g.chance(0.4)) {
    y.line(i, 'args:');
    for (let k = 0; k < g.int(1, 4); k++) y.line(i + s, `- ${q(g, g.pick(['--port=8080', '--log-format=json', '--config=/etc/app/config.yaml', '-v=2', '--metrics-addr=:9090']))}`);
  }
  if (g.chance(0.2)) y.line(i, `command: ["/bin/sh", "-c", "exec /app/${name} --serve"]`);
  if (full) {
    y.line(i, 'ports:');
    y.line(i + s, '- name: http');
    y.line(i + s + 2, `containerPort: ${g.pick([8080, 8000, 3000, 9000])}`);
    y.line(i + s + 2, 'protocol: TCP');
    if (g.chance(0.5)) {
      y.line(i + s, '- name: metrics');
      y.line(i + s + 2, 'containerPort: 9090');
    }
    envVars(y, i);
    y.comment(i);
    if (g.chance(0.5)) {
      y.line(i, 'envFrom:');
      y.line(i + s, '- configMapRef:');
      y.line(i + s + 4, `name: ${name}-config`);
    }
    probe(y, i, 'readinessProbe');
    if (g.chance(0.7)) probe(y, i, 'livenessProbe');
  }
  y.line(i, 'resources:');
  y.line(i + 2, 'requests:');
  y.line(i + 4, `cpu: ${g.pick(['50m', '100m', '250m', '500m', '1'])}`);
  y.line(i + 4, `memory: ${g.pick(['64Mi', '128Mi', '256Mi', '512Mi', '1Gi'])}`);
  if (g.chance(0.7)) {
    y.line(i + 2, 'limits:');
    y.line(i + 4, `memory: ${g.pick(['128Mi', '256Mi', '512Mi', '1Gi', '2Gi'])}`);
  }
  if (g.chance(0.6)) {
    y.line(i, 'securityContext:');
    y.line(i + 2, 'allowPrivilegeEscalation: false');
    y.line(i + 2, 'readOnlyRootFilesystem: true');
    y.line(i + 2, 'capabilities:');
    y.line(i + 4, 'drop: ["ALL"]');
  }
  if (g.chance(0.6)) {
    y.line(i, 'volumeMounts:');
    y.line(i + s, '- name: config');
    y.line(i + s + 2, `mountPath: /etc/${name}`);
    y.line(i + s + 2, 'readOnly: true');
    if (g.chance(0.4)) {
      y.line(i + s, '- name: tmp');
      y.line(i + s + 2, 'mountPath: /tmp');
    }
  }
}

function podSpec(y, indent, team, app, version) {
  const g = y.g;
  const s = y.seqIndent;
  if (g.chance(0.7)) y.line(indent, `serviceAccountName: ${app}`);
  if (g.chance(0.5)) {
    y.line(indent, 'securityContext:');
    y.line(indent + 2, 'runAsNonRoot: true');
    y.line(indent + 2, `runAsUser: ${g.pick([1000, 10001, 65532])}`);
    y.line(indent + 2, 'fsGroup: 2000');
  }
  if (g.chance(0.4)) {
    y.line(indent, 'initContainers:');
    const [name, base] = g.pick(INIT);
    const image = base === 'migrations' ? appImage(g, team, `${app}-migrations`) : `${base}${tag(g)}`;
    container(y, indent + s, name, image, false);
    if (g.chance(0.2)) {
      // a native sidecar
      container(y, indent + s, 'proxy-init', `docker.io/istio/proxyv2${tag(g)}`, false);
      y.line(indent + s + 2, 'restartPolicy: Always');
    }
  }
  y.line(indent, 'containers:');
  container(y, indent + s, app, appImage(g, team, app.split('-').pop() ?? app), true);
  const sidecars = g.int(0, 2);
  for (let k = 0; k < sidecars; k++) {
    const [name, base] = g.pick(SIDECARS);
    container(y, indent + s, `${name}${k > 0 ? `-${k}` : ''}`, sidecarImage(g, base), false);
  }
  if (g.chance(0.3)) {
    y.line(indent, 'nodeSelector:');
    y.line(indent + 2, `kubernetes.io/arch: ${g.pick(['amd64', 'arm64'])}`);
  }
  if (g.chance(0.3)) {
    y.line(indent, 'tolerations:');
    y.line(indent + s, '- key: dedicated');
    y.line(indent + s + 2, 'operator: Equal');
    y.line(indent + s + 2, `value: ${team}`);
    y.line(indent + s + 2, 'effect: NoSchedule');
  }
  y.line(indent, 'volumes:');
  y.line(indent + s, '- name: config');
  y.line(indent + s + 2, 'configMap:');
  y.line(indent + s + 4, `name: ${app}-config`);
  y.line(indent + s, '- name: tmp');
  y.line(indent + s + 2, 'emptyDir: {}');
  void version;
}

function workload(g, team, app, ns) {
  const y = new Y(g);
  const kind = g.pick(['Deployment', 'Deployment', 'Deployment', 'StatefulSet', 'DaemonSet', 'CronJob', 'Job', 'Rollout']);
  const version = `${g.int(0, 5)}.${g.int(0, 30)}.${g.int(0, 20)}`;
  if (g.chance(0.3)) y.line(0, `# Source: ${team}/templates/${kind.toLowerCase()}.yaml`);
  y.line(0, `apiVersion: ${kind === 'CronJob' || kind === 'Job' ? 'batch/v1' : kind === 'Rollout' ? 'argoproj.io/v1alpha1' : 'apps/v1'}`);
  y.line(0, `kind: ${kind}`);
  y.line(0, 'metadata:');
  y.line(2, `name: ${app}`);
  y.line(2, `namespace: ${ns}`);
  y.line(2, 'labels:');
  labels(y, 4, app, team, version);
  if (g.chance(0.5)) {
    y.line(2, 'annotations:');
    y.line(4, `deployment.kubernetes.io/revision: "${g.int(1, 90)}"`);
    if (g.chance(0.5)) y.line(4, `argocd.argoproj.io/sync-wave: "${g.int(-2, 5)}"`);
  }
  y.line(0, 'spec:');
  if (kind === 'CronJob') {
    y.line(2, `schedule: "${g.int(0, 59)} ${g.int(0, 23)} * * *"`);
    y.line(2, 'concurrencyPolicy: Forbid');
    y.line(2, 'jobTemplate:');
    y.line(4, 'spec:');
    y.line(6, `backoffLimit: ${g.int(0, 6)}`);
    y.line(6, 'template:');
    y.line(8, 'spec:');
    y.line(10, 'restartPolicy: OnFailure');
    podSpec(y, 10, team, app, version);
    return y.text();
  }
  if (kind !== 'DaemonSet' && kind !== 'Job') y.line(2, `replicas: ${g.int(1, 12)}`);
  if (kind !== 'Job') {
    y.line(2, 'selector:');
    y.line(4, 'matchLabels:');
    y.line(6, `app.kubernetes.io/name: ${app}`);
  }
  if (kind === 'StatefulSet') y.line(2, `serviceName: ${app}`);
  if (kind === 'Deployment' && g.chance(0.6)) {
    y.line(2, 'strategy:');
    y.line(4, 'type: RollingUpdate');
    y.line(4, `rollingUpdate: {maxSurge: 25%, maxUnavailable: ${g.int(0, 1)}}`);
  }
  if (kind === 'Rollout') {
    y.line(2, 'strategy:');
    y.line(4, 'canary:');
    y.line(6, 'steps:');
    y.line(6 + y.seqIndent, `- setWeight: ${g.pick([10, 20, 25])}`);
    y.line(6 + y.seqIndent, '- pause: {duration: 10m}');
  }
  y.line(2, 'template:');
  y.line(4, 'metadata:');
  y.line(6, 'labels:');
  labels(y, 8, app, team, version);
  if (g.chance(0.6)) {
    y.line(6, 'annotations:');
    y.line(8, 'prometheus.io/scrape: "true"');
    y.line(8, `prometheus.io/port: "${g.pick([9090, 8080])}"`);
  }
  y.line(4, 'spec:');
  if (kind === 'Job') y.line(6, 'restartPolicy: Never');
  podSpec(y, 6, team, app, version);
  if (kind === 'StatefulSet') {
    y.line(2, 'volumeClaimTemplates:');
    y.line(2 + y.seqIndent, '- metadata:');
    y.line(4 + y.seqIndent + 2, 'name: data');
    y.line(4 + y.seqIndent, 'spec:');
    y.line(6 + y.seqIndent, 'accessModes: ["ReadWriteOnce"]');
    y.line(6 + y.seqIndent, 'resources:');
    y.line(8 + y.seqIndent, 'requests:');
    y.line(10 + y.seqIndent, `storage: ${g.pick(['10Gi', '50Gi', '200Gi'])}`);
  }
  return y.text();
}

function service(g, app, ns) {
  const y = new Y(g);
  y.line(0, 'apiVersion: v1');
  y.line(0, 'kind: Service');
  y.line(0, 'metadata:');
  y.line(2, `name: ${app}`);
  y.line(2, `namespace: ${ns}`);
  y.line(0, 'spec:');
  y.line(2, `type: ${g.pick(['ClusterIP', 'ClusterIP', 'NodePort', 'LoadBalancer'])}`);
  y.line(2, 'selector:');
  y.line(4, `app.kubernetes.io/name: ${app}`);
  y.line(2, 'ports:');
  y.line(2 + y.seqIndent, '- name: http');
  y.line(4 + y.seqIndent, 'port: 80');
  y.line(4 + y.seqIndent, 'targetPort: http');
  return y.text();
}

function configMap(g, app, ns) {
  const y = new Y(g);
  y.line(0, 'apiVersion: v1');
  y.line(0, 'kind: ConfigMap');
  y.line(0, 'metadata:');
  y.line(2, `name: ${app}-config`);
  y.line(2, `namespace: ${ns}`);
  y.line(0, 'data:');
  y.line(2, `LOG_LEVEL: ${g.pick(['info', 'debug', 'warn'])}`);
  y.line(2, `config.yaml: ${g.pick(['|', '|-', '>-'])}`);
  const folded = y.lines[y.lines.length - 1].endsWith('>-');
  const lines = g.int(8, 60);
  for (let i = 0; i < lines; i++) {
    if (folded) y.line(4, g.pick(['a long sentence that is folded into one line', 'when the manifest is read', 'by any YAML parser']));
    else y.line(i === 0 ? 4 : 4 + 2 * g.int(0, 2), `${g.pick(['server', 'port', 'timeout', 'upstream', 'cache', 'retries', 'pool', '# comment inside the block'])}${g.pick([': 8080', ': 30s', ':', ': true', ' = "value"', ''])}`);
    if (!folded && g.chance(0.05)) y.lines.push('');
  }
  if (g.chance(0.3)) {
    y.line(2, 'nginx.conf: |');
    y.line(4, 'worker_processes auto;');
    for (let i = 0; i < g.int(1, 5); i++) {
      y.line(4, 'server {');
      y.line(4, `  listen ${8080 + i};`);
      y.line(4, '  location / {');
      y.line(4, `    proxy_pass http://upstream-${i};`);
      y.line(4, '  }');
      y.line(4, '}');
    }
  }
  return y.text();
}

function smallObject(g, app, ns) {
  const y = new Y(g);
  const kind = g.pick(['HorizontalPodAutoscaler', 'PodDisruptionBudget', 'ServiceAccount', 'Ingress', 'NetworkPolicy', 'RoleBinding']);
  y.line(0, `apiVersion: ${{ HorizontalPodAutoscaler: 'autoscaling/v2', PodDisruptionBudget: 'policy/v1', ServiceAccount: 'v1', Ingress: 'networking.k8s.io/v1', NetworkPolicy: 'networking.k8s.io/v1', RoleBinding: 'rbac.authorization.k8s.io/v1' }[kind]}`);
  y.line(0, `kind: ${kind}`);
  y.line(0, 'metadata:');
  y.line(2, `name: ${app}`);
  y.line(2, `namespace: ${ns}`);
  if (kind === 'ServiceAccount') {
    y.line(2, 'annotations:');
    y.line(4, `eks.amazonaws.com/role-arn: arn:aws:iam::123456789012:role/${app}`);
    return y.text();
  }
  y.line(0, 'spec:');
  const s = y.seqIndent;
  switch (kind) {
    case 'HorizontalPodAutoscaler':
      y.line(2, 'scaleTargetRef:');
      y.line(4, 'apiVersion: apps/v1');
      y.line(4, 'kind: Deployment');
      y.line(4, `name: ${app}`);
      y.line(2, `minReplicas: ${g.int(1, 3)}`);
      y.line(2, `maxReplicas: ${g.int(4, 30)}`);
      y.line(2, 'metrics:');
      y.line(2 + s, '- type: Resource');
      y.line(4 + s, 'resource:');
      y.line(6 + s, 'name: cpu');
      y.line(6 + s, 'target:');
      y.line(8 + s, 'type: Utilization');
      y.line(8 + s, `averageUtilization: ${g.int(50, 85)}`);
      break;
    case 'PodDisruptionBudget':
      y.line(2, `minAvailable: ${g.int(1, 2)}`);
      y.line(2, 'selector:');
      y.line(4, 'matchLabels:');
      y.line(6, `app.kubernetes.io/name: ${app}`);
      break;
    case 'Ingress':
      y.line(2, 'ingressClassName: nginx');
      y.line(2, 'rules:');
      y.line(2 + s, `- host: ${app}.example.com`);
      y.line(4 + s, 'http:');
      y.line(6 + s, 'paths:');
      y.line(6 + s + s, '- path: /');
      y.line(8 + s + s, 'pathType: Prefix');
      y.line(8 + s + s, 'backend:');
      y.line(10 + s + s, 'service:');
      y.line(12 + s + s, `name: ${app}`);
      y.line(12 + s + s, 'port: {number: 80}');
      break;
    case 'NetworkPolicy':
      y.line(2, 'podSelector:');
      y.line(4, 'matchLabels:');
      y.line(6, `app.kubernetes.io/name: ${app}`);
      y.line(2, 'policyTypes: [Ingress, Egress]');
      y.line(2, 'ingress:');
      y.line(2 + s, '- from:');
      y.line(4 + s + s, '- namespaceSelector:');
      y.line(8 + s + s, 'matchLabels:');
      y.line(10 + s + s, `kubernetes.io/metadata.name: ${ns}`);
      break;
    default:
      y.line(2, 'roleRef:');
      y.line(4, 'apiGroup: rbac.authorization.k8s.io');
      y.line(4, 'kind: Role');
      y.line(4, `name: ${app}`);
  }
  return y.text();
}

function kubernetesFile(g, team, env) {
  const docs = [];
  const apps = g.int(1, 4);
  const ns = `${team}-${env}`;
  for (let a = 0; a < apps; a++) {
    const app = `${team}-${g.pick(SERVICES)}`;
    docs.push(workload(g, team, app, ns));
    if (g.chance(0.8)) docs.push(service(g, app, ns));
    if (g.chance(0.7)) docs.push(configMap(g, app, ns));
    for (let k = 0; k < g.int(1, 4); k++) docs.push(smallObject(g, app, ns));
  }
  // kubectl/helm output starts every document with `---`; hand-written files only separate them.
  const lead = g.chance(0.5);
  return docs.map((doc, i) => (i > 0 || lead ? `---\n${doc}` : doc)).join('');
}

// ---- ECS task definitions (JSON) ------------------------------------------------------------------

function ecsContainer(g, name, image, extra) {
  g.expectedRefs += 1;
  const c = {
    name,
    image,
    cpu: g.pick([0, 128, 256, 512]),
    memoryReservation: g.pick([128, 256, 512, 1024]),
    essential: true,
    portMappings: [{ containerPort: g.pick([8080, 3000, 80]), hostPort: 0, protocol: 'tcp' }],
    environment: Array.from({ length: g.int(1, 8) }, (_, i) => ({ name: `${g.pick(['LOG_LEVEL', 'PORT', 'DB_HOST', 'QUEUE_URL', 'FEATURE_X'])}_${i}`, value: g.pick(['info', '8080', 'db.internal', 'https://sqs.eu-west-1.amazonaws.com/123456789012/jobs', 'true']) })),
    secrets: g.chance(0.5) ? [{ name: 'DB_PASSWORD', valueFrom: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf' }] : [],
    logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': `/ecs/${name}`, 'awslogs-region': 'eu-west-1', 'awslogs-stream-prefix': 'ecs' } },
    mountPoints: [],
    volumesFrom: [],
    ...extra,
  };
  if (g.chance(0.5)) c.healthCheck = { command: ['CMD-SHELL', 'curl -f http://localhost:8080/healthz || exit 1'], interval: 30, timeout: 5, retries: 3, startPeriod: 10 };
  return c;
}

function ecsFile(g, team, env) {
  const family = `${team}-${g.pick(SERVICES)}-${env}`;
  const containers = [ecsContainer(g, family, appImage(g, team, family))];
  if (g.chance(0.6)) containers.push(ecsContainer(g, 'aws-otel-collector', `public.ecr.aws/aws-observability/aws-otel-collector${tag(g)}`, { essential: false, command: ['--config=/etc/ecs/ecs-cloudwatch-xray.yaml'] }));
  if (g.chance(0.5)) containers.push(ecsContainer(g, 'log_router', `public.ecr.aws/aws-observability/aws-for-fluent-bit${tag(g)}`, { firelensConfiguration: { type: 'fluentbit', options: { 'enable-ecs-log-metadata': 'true' } } }));
  if (g.chance(0.2)) containers.push(ecsContainer(g, 'xray-daemon', `amazon/aws-xray-daemon${tag(g)}`, { essential: false }));
  const task = {
    family,
    taskRoleArn: `arn:aws:iam::123456789012:role/${family}-task`,
    executionRoleArn: 'arn:aws:iam::123456789012:role/ecsTaskExecutionRole',
    networkMode: 'awsvpc',
    containerDefinitions: containers,
    volumes: [],
    placementConstraints: [],
    requiresCompatibilities: ['FARGATE'],
    cpu: String(g.pick([256, 512, 1024, 2048])),
    memory: String(g.pick([512, 1024, 2048, 4096])),
    runtimePlatform: { cpuArchitecture: g.pick(['X86_64', 'ARM64']), operatingSystemFamily: 'LINUX' },
  };
  const document = g.chance(0.3) ? { taskDefinition: { ...task, taskDefinitionArn: `arn:aws:ecs:eu-west-1:123456789012:task-definition/${family}:${g.int(1, 400)}`, revision: g.int(1, 400), status: 'ACTIVE' }, tags: [] } : task;
  const x = g.r();
  return `${JSON.stringify(document, null, x < 0.6 ? 2 : x < 0.9 ? 4 : undefined)}\n`;
}

// ---- CloudFormation -------------------------------------------------------------------------------

function cfnYamlFile(g, team, env) {
  const y = new Y(g);
  const s = y.seqIndent;
  const svc = `${team}-${g.pick(SERVICES)}`;
  y.line(0, "AWSTemplateFormatVersion: '2010-09-09'");
  y.line(0, `Description: ${svc} service (${env})`);
  y.line(0, 'Parameters:');
  y.line(2, 'Env:');
  y.line(4, 'Type: String');
  y.line(4, `Default: ${env}`);
  y.line(4, `AllowedValues: [${ENVS.join(', ')}]`);
  y.line(2, 'AppImage:');
  y.line(4, 'Type: String');
  y.line(4, `Default: ${imageScalar(g, appImage(g, team, svc))}`);
  y.line(2, 'CollectorImage:');
  y.line(4, 'Type: String');
  y.line(4, `Default: public.ecr.aws/aws-observability/aws-otel-collector${tag(g)}`);
  y.line(0, 'Conditions:');
  y.line(2, 'IsProd: !Equals [!Ref Env, prod]');
  y.line(0, 'Mappings:');
  y.line(2, 'RegionImages:');
  y.line(4, 'eu-west-1:');
  y.line(6, `fluentbit: 906394416424.dkr.ecr.eu-west-1.amazonaws.com/aws-for-fluent-bit${tag(g)}`);
  y.line(0, 'Resources:');
  const extra = g.int(2, 8);
  const tasks = g.int(1, 3);
  const multiLineFlow = g.chance(0.04);
  for (let t = 0; t < tasks; t++) {
    y.line(2, `LogGroup${t}:`);
    y.line(4, 'Type: AWS::Logs::LogGroup');
    y.line(4, 'Properties:');
    y.line(6, `LogGroupName: !Sub '/ecs/\${AWS::StackName}/${svc}-${t}'`);
    y.line(6, `RetentionInDays: ${g.pick([7, 14, 30, 90])}`);
    y.line(2, `TaskDefinition${t}:`);
    y.line(4, 'Type: AWS::ECS::TaskDefinition');
    y.line(4, 'Properties:');
    y.line(6, `Family: !Sub '\${AWS::StackName}-${svc}-${t}'`);
    y.line(6, `Cpu: '${g.pick([256, 512, 1024])}'`);
    y.line(6, `Memory: '${g.pick([512, 1024, 2048])}'`);
    y.line(6, 'NetworkMode: awsvpc');
    y.line(6, 'RequiresCompatibilities: [FARGATE]');
    y.line(6, 'ExecutionRoleArn: !GetAtt ExecutionRole.Arn');
    y.line(6, 'TaskRoleArn: !Ref TaskRole');
    y.line(6, 'ContainerDefinitions:');
    const c = 6 + s;
    y.line(c, `- Name: ${svc}`);
    const how = g.r();
    if (how < 0.4) y.line(c + 2, 'Image: !Ref AppImage');
    else if (how < 0.7) y.line(c + 2, `Image: ${imageScalar(g, appImage(g, team, svc))}`);
    else y.line(c + 2, `Image: !Sub '\${AWS::AccountId}.dkr.ecr.\${AWS::Region}.amazonaws.com/${svc}${tag(g)}'`);
    g.expectedRefs += 1;
    y.line(c + 2, 'Essential: true');
    y.line(c + 2, 'PortMappings:');
    y.line(c + 2 + s, '- ContainerPort: 8080');
    y.line(c + 2, 'Environment:');
    for (let k = 0; k < g.int(1, 6); k++) {
      y.line(c + 2 + s, `- Name: VAR_${k}`);
      y.line(c + 4 + s, `Value: ${g.pick(['!Ref Env', "'true'", '!Sub "${AWS::Region}"', 'plain-value', '!GetAtt Queue.QueueName'])}`);
    }
    y.line(c + 2, 'LogConfiguration:');
    y.line(c + 4, 'LogDriver: awslogs');
    y.line(c + 4, 'Options:');
    y.line(c + 6, `awslogs-group: !Ref LogGroup${t}`);
    y.line(c + 6, 'awslogs-region: !Ref AWS::Region');
    y.line(c + 6, 'awslogs-stream-prefix: app');
    if (g.chance(0.6)) {
      y.line(c, '- Name: aws-otel-collector');
      y.line(c + 2, 'Image: !Ref CollectorImage');
      y.line(c + 2, 'Essential: false');
      y.line(c + 2, 'Command: [--config=/etc/ecs/ecs-default-config.yaml]');
      g.expectedRefs += 1;
    }
    if (g.chance(0.5)) {
      y.line(c, '- Name: log_router');
      y.line(c + 2, 'Image: !FindInMap [RegionImages, eu-west-1, fluentbit]');
      y.line(c + 2, 'FirelensConfiguration:');
      y.line(c + 4, 'Type: fluentbit');
      g.expectedRefs += 1;
    }
    if (g.chance(0.3)) {
      y.line(c, '- Name: xray');
      const other = `amazon/aws-xray-daemon${tag(g)}`;
      y.line(c + 2, `Image: !If [IsProd, 'amazon/aws-xray-daemon${tag(g)}', ${other.includes('${') ? `"${other}"` : other}]`);
      y.line(c + 2, 'Essential: false');
      g.expectedRefs += 2;
    }
  }
  y.line(2, 'TaskRole:');
  y.line(4, 'Type: AWS::IAM::Role');
  y.line(4, 'Properties:');
  y.line(6, 'AssumeRolePolicyDocument:');
  y.line(8, "Version: '2012-10-17'");
  y.line(8, 'Statement:');
  y.line(8 + s, '- Effect: Allow');
  y.line(10 + s, 'Principal:');
  y.line(12 + s, 'Service: ecs-tasks.amazonaws.com');
  y.line(10 + s, 'Action: sts:AssumeRole');
  y.line(6, 'Policies:');
  y.line(6 + s, '- PolicyName: app');
  y.line(8 + s, 'PolicyDocument:');
  y.line(10 + s, 'Statement:');
  for (let k = 0; k < g.int(1, 5); k++) {
    y.line(10 + s + s, '- Effect: Allow');
    y.line(12 + s + s, 'Action:');
    for (let a = 0; a < g.int(1, 4); a++) y.line(12 + s + s + s, `- ${g.pick(['s3:GetObject', 's3:PutObject', 'sqs:ReceiveMessage', 'sqs:DeleteMessage', 'dynamodb:GetItem', 'kms:Decrypt'])}`);
    y.line(12 + s + s, `Resource: !Sub 'arn:aws:s3:::\${Bucket}/${k}/*'`);
  }
  for (let k = 0; k < extra; k++) {
    const kind = g.pick(['Queue', 'Bucket', 'Alarm', 'SecurityGroup', 'LaunchTemplate']);
    y.line(2, `${kind}${k}:`);
    if (kind === 'Queue') {
      y.line(4, 'Type: AWS::SQS::Queue');
      y.line(4, 'Properties:');
      y.line(6, `VisibilityTimeout: ${g.int(30, 900)}`);
      y.line(6, 'RedrivePolicy:');
      y.line(8, `deadLetterTargetArn: !GetAtt DeadLetter${k}.Arn`);
      y.line(8, 'maxReceiveCount: 5');
    } else if (kind === 'Bucket') {
      y.line(4, 'Type: AWS::S3::Bucket');
      y.line(4, 'DeletionPolicy: Retain');
      y.line(4, 'Properties:');
      y.line(6, 'BucketEncryption:');
      y.line(8, 'ServerSideEncryptionConfiguration:');
      y.line(8 + s, '- ServerSideEncryptionByDefault:');
      y.line(12 + s, 'SSEAlgorithm: aws:kms');
      y.line(6, 'Tags:');
      y.line(6 + s, '- Key: team');
      y.line(8 + s, `Value: ${team}`);
    } else if (kind === 'Alarm') {
      y.line(4, 'Type: AWS::CloudWatch::Alarm');
      y.line(4, 'Condition: IsProd');
      y.line(4, 'Properties:');
      y.line(6, `AlarmDescription: !Sub '\${AWS::StackName} 5xx above threshold'`);
      y.line(6, 'MetricName: HTTPCode_Target_5XX_Count');
      y.line(6, 'Namespace: AWS/ApplicationELB');
      y.line(6, 'Dimensions:');
      y.line(6 + s, '- Name: LoadBalancer');
      if (multiLineFlow && k === 0) {
        // Written across lines: outside the fast reader's subset.
        y.line(8 + s, 'Value: !Join [');
        y.line(10 + s, "'/', [app, !GetAtt LoadBalancer.LoadBalancerFullName]");
        y.line(10 + s, ']');
      } else {
        y.line(8 + s, 'Value: !GetAtt LoadBalancer.LoadBalancerFullName');
      }
      y.line(6, 'Statistic: Sum');
      y.line(6, 'Period: 60');
      y.line(6, 'EvaluationPeriods: 5');
      y.line(6, `Threshold: ${g.int(1, 50)}`);
      y.line(6, 'ComparisonOperator: GreaterThanThreshold');
    } else if (kind === 'SecurityGroup') {
      y.line(4, 'Type: AWS::EC2::SecurityGroup');
      y.line(4, 'Properties:');
      y.line(6, `GroupDescription: ${svc} tasks`);
      y.line(6, 'VpcId: !ImportValue network-VpcId');
      y.line(6, 'SecurityGroupIngress:');
      y.line(6 + s, '- IpProtocol: tcp');
      y.line(8 + s, 'FromPort: 8080');
      y.line(8 + s, 'ToPort: 8080');
      y.line(8 + s, 'SourceSecurityGroupId: !Ref LoadBalancerSecurityGroup');
    } else {
      y.line(4, 'Type: AWS::EC2::LaunchTemplate');
      y.line(4, 'Properties:');
      y.line(6, 'LaunchTemplateData:');
      y.line(8, 'UserData:');
      y.line(10, 'Fn::Base64: !Sub |');
      y.line(12, '#!/bin/bash');
      y.line(12, 'echo ECS_CLUSTER=${Cluster} >> /etc/ecs/ecs.config');
      y.line(12, 'echo ECS_ENABLE_CONTAINER_METADATA=true >> /etc/ecs/ecs.config');
      for (let l = 0; l < g.int(0, 10); l++) y.line(12, `yum install -y package-${l}`);
    }
  }
  y.line(0, 'Outputs:');
  y.line(2, 'TaskDefinitionArn:');
  y.line(4, 'Value: !Ref TaskDefinition0');
  y.line(4, 'Export:');
  y.line(6, "Name: !Sub '${AWS::StackName}-TaskDefinitionArn'");
  return y.text();
}

function cfnJsonFile(g, team, env) {
  const svc = `${team}-${g.pick(SERVICES)}`;
  const resources = {};
  for (let t = 0; t < g.int(1, 2); t++) {
    const image = g.chance(0.5) ? appImage(g, team, svc) : { 'Fn::Join': ['', [{ Ref: 'AWS::AccountId' }, '.dkr.ecr.', { Ref: 'AWS::Region' }, `.amazonaws.com/${svc}${tag(g)}`]] };
    g.expectedRefs += 1;
    const defs = [{ Name: svc, Image: image, Essential: true, PortMappings: [{ ContainerPort: 8080, Protocol: 'tcp' }], LogConfiguration: { LogDriver: 'awslogs', Options: { 'awslogs-group': { Ref: `Logs${t}` }, 'awslogs-stream-prefix': svc, 'awslogs-region': { Ref: 'AWS::Region' } } } }];
    if (g.chance(0.5)) {
      defs.push({ Name: 'aws-otel-collector', Image: `public.ecr.aws/aws-observability/aws-otel-collector${tag(g)}`, Essential: false });
      g.expectedRefs += 1;
    }
    resources[`${svc.replace(/-/g, '')}TaskDef${t}`] = {
      Type: 'AWS::ECS::TaskDefinition',
      Properties: { ContainerDefinitions: defs, Cpu: '512', Memory: '1024', NetworkMode: 'awsvpc', RequiresCompatibilities: ['FARGATE'], TaskRoleArn: { 'Fn::GetAtt': ['TaskRole', 'Arn'] } },
      Metadata: { 'aws:cdk:path': `${team}-${env}/${svc}/TaskDef/Resource` },
    };
    resources[`Logs${t}`] = { Type: 'AWS::Logs::LogGroup', Properties: { RetentionInDays: 30 }, UpdateReplacePolicy: 'Retain', DeletionPolicy: 'Retain' };
  }
  return `${JSON.stringify({ Resources: resources, Parameters: { BootstrapVersion: { Type: 'AWS::SSM::Parameter::Value<String>', Default: '/cdk-bootstrap/hnb659fds/version' } } }, null, 1)}\n`;
}

// ---- Helm values, kustomizations, and YAML without workloads ---------------------------------------

function valuesFile(g, team) {
  const y = new Y(g);
  y.line(0, `# Default values for ${team}.`);
  y.line(0, `replicaCount: ${g.int(1, 5)}`);
  y.line(0, 'image:');
  y.line(2, `repository: ${g.pick(REGISTRIES) || 'docker.io'}/${team}/app`);
  y.line(2, 'pullPolicy: IfNotPresent');
  y.line(2, `tag: "${g.int(0, 5)}.${g.int(0, 20)}.${g.int(0, 9)}"`);
  g.expectedRefs += 1;
  y.line(0, 'service:');
  y.line(2, 'type: ClusterIP');
  y.line(2, 'port: 80');
  y.line(0, 'ingress:');
  y.line(2, 'enabled: false');
  y.line(2, 'annotations: {}');
  y.line(0, 'resources: {}');
  y.line(0, 'nodeSelector: {}');
  y.line(0, 'tolerations: []');
  return y.text();
}

function rulesFile(g, team) {
  const y = new Y(g);
  const s = y.seqIndent;
  y.line(0, 'groups:');
  for (let k = 0; k < g.int(2, 8); k++) {
    y.line(s, `- name: ${team}-${k}`);
    y.line(s + 2, 'rules:');
    for (let r = 0; r < g.int(1, 5); r++) {
      y.line(s + 2 + s, `- alert: ${team}HighErrorRate${r}`);
      y.line(s + 4 + s, 'expr: |');
      y.line(s + 6 + s, `sum(rate(http_requests_total{job="${team}",code=~"5.."}[5m]))`);
      y.line(s + 6 + s, `  / sum(rate(http_requests_total{job="${team}"}[5m])) > 0.0${g.int(1, 9)}`);
      y.line(s + 4 + s, `for: ${g.pick(['5m', '10m', '15m'])}`);
      y.line(s + 4 + s, 'labels:');
      y.line(s + 6 + s, `severity: ${g.pick(['warning', 'critical'])}`);
      y.line(s + 4 + s, 'annotations:');
      y.line(s + 6 + s, `summary: "High error rate on ${team}"`);
      y.line(s + 6 + s, `runbook_url: https://runbooks.example.com/${team}#errors`);
    }
  }
  return y.text();
}

function kustomizationFile(g, team, env) {
  const y = new Y(g);
  const s = y.seqIndent;
  y.line(0, 'apiVersion: kustomize.config.k8s.io/v1beta1');
  y.line(0, 'kind: Kustomization');
  y.line(0, `namespace: ${team}-${env}`);
  y.line(0, 'resources:');
  for (let k = 0; k < g.int(1, 6); k++) y.line(s, `- ../../base/${g.pick(SERVICES)}`);
  y.line(0, 'images:');
  for (let k = 0; k < g.int(1, 4); k++) {
    y.line(s, `- name: ${team}/${g.pick(SERVICES)}`);
    y.line(s + 2, `newTag: ${g.int(0, 5)}.${g.int(0, 20)}.${g.int(0, 9)}`);
  }
  return y.text();
}

/** A CustomResourceDefinition: a large schema whose `image:` properties are not containers. */
function crdFile(g, team) {
  const y = new Y(g);
  const s = y.seqIndent;
  const kind = `${team[0].toUpperCase()}${team.slice(1)}${g.pick(['Cluster', 'Pipeline', 'Backup', 'Gateway', 'Cache'])}`;
  y.line(0, 'apiVersion: apiextensions.k8s.io/v1');
  y.line(0, 'kind: CustomResourceDefinition');
  y.line(0, 'metadata:');
  y.line(2, `name: ${kind.toLowerCase()}s.${team}.example.com`);
  y.line(2, 'annotations:');
  y.line(4, 'controller-gen.kubebuilder.io/version: v0.14.0');
  y.line(0, 'spec:');
  y.line(2, `group: ${team}.example.com`);
  y.line(2, 'names:');
  y.line(4, `kind: ${kind}`);
  y.line(4, `plural: ${kind.toLowerCase()}s`);
  y.line(2, 'scope: Namespaced');
  y.line(2, 'versions:');
  y.line(2 + s, '- name: v1');
  y.line(4 + s, 'served: true');
  y.line(4 + s, 'storage: true');
  y.line(4 + s, 'schema:');
  y.line(6 + s, 'openAPIV3Schema:');
  y.line(8 + s, 'type: object');
  y.line(8 + s, 'properties:');
  const properties = (indent, depth) => {
    for (let k = 0; k < g.int(3, 9); k++) {
      const name = `${g.pick(['image', 'replicas', 'resources', 'storage', 'tls', 'backup', 'schedule', 'selector', 'tolerations', 'config'])}${k > 3 ? k : ''}`;
      y.line(indent, `${name}:`);
      y.line(indent + 2, `description: ${g.pick(['Image is the container image to run.', 'Number of desired pods.', 'Compute resources required by this cluster.', 'Schedule in Cron format, see https://en.wikipedia.org/wiki/Cron.'])}`);
      if (depth < 3 && g.chance(0.35)) {
        y.line(indent + 2, 'type: object');
        y.line(indent + 2, 'properties:');
        properties(indent + 4, depth + 1);
      } else {
        y.line(indent + 2, `type: ${g.pick(['string', 'integer', 'boolean'])}`);
        if (g.chance(0.3)) y.line(indent + 2, `x-kubernetes-int-or-string: true`);
      }
    }
  };
  for (let block = 0; block < g.int(3, 12); block++) {
    y.line(10 + s, `section${block}:`);
    y.line(12 + s, 'type: object');
    y.line(12 + s, 'properties:');
    properties(14 + s, 0);
  }
  return y.text();
}

/** A Grafana dashboard: JSON with no image at all (skipped before parsing). */
function dashboardFile(g, team) {
  const panels = Array.from({ length: g.int(5, 40) }, (_, i) => ({
    id: i + 1,
    type: g.pick(['timeseries', 'stat', 'table', 'gauge']),
    title: `${team} ${g.pick(['latency', 'errors', 'throughput', 'saturation'])} ${i}`,
    gridPos: { h: 8, w: 12, x: (i % 2) * 12, y: Math.floor(i / 2) * 8 },
    targets: [{ expr: `histogram_quantile(0.99, sum(rate(http_request_duration_seconds_bucket{job="${team}"}[5m])) by (le))`, refId: 'A' }],
    fieldConfig: { defaults: { unit: g.pick(['s', 'reqps', 'percent']), thresholds: { mode: 'absolute', steps: [{ color: 'green', value: null }, { color: 'red', value: 80 }] } }, overrides: [] },
  }));
  return `${JSON.stringify({ title: `${team} overview`, uid: g.hex(9), schemaVersion: 39, panels, templating: { list: [] } }, null, 2)}\n`;
}

/** A workload file written with YAML the fast reader leaves to the full parser. */
function unusualFile(g, team, env) {
  const ns = `${team}-${env}`;
  const x = g.r();
  if (x < 0.5) {
    // An anchor on the namespace, used again as a label.
    const doc = workload(g, team, `${team}-anchored`, ns);
    return doc.replace(`\n  namespace: ${ns}\n`, `\n  namespace: &ns ${ns}\n`).replace(`\n    app.kubernetes.io/part-of: ${team}\n`, '\n    app.kubernetes.io/part-of: *ns\n');
  }
  const doc = workload(g, team, `${team}-described`, ns);
  // A description written as a double-quoted scalar over two lines.
  return doc.replace('metadata:\n', 'metadata:\n  annotations:\n    description: "this workload is described\n      over two lines"\n');
}

// ---- the repository -------------------------------------------------------------------------------

export function generate(dir, sizeMB, seed, options = {}) {
  const findings = options.findings ?? 'mixed';
  const g = new Gen(seed, findings);
  const target = Math.round(sizeMB * 1024 * 1024);
  let bytes = 0;
  let files = 0;
  const kinds = {};
  while (bytes < target) {
    const team = g.pick(TEAMS);
    const env = g.pick(ENVS);
    const x = g.r();
    let kind;
    let text;
    let ext;
    // The mix is set so that an image reference comes every 3 to 4 KB: denser than the shared
    // corpus (one per 8 KB), with workload files as dense as the corpus's (one per 2 KB).
    if (findings !== 'mixed') {
      // Workload files only: what a repository with a backlog of findings is made of.
      if (x < 0.5) [kind, text, ext] = ['kubernetes', kubernetesFile(g, team, env), 'yaml'];
      else if (x < 0.75) [kind, text, ext] = ['ecs-json', ecsFile(g, team, env), 'json'];
      else [kind, text, ext] = ['cloudformation-yaml', cfnYamlFile(g, team, env), 'yaml'];
    } else if (x < 0.3) [kind, text, ext] = ['kubernetes', kubernetesFile(g, team, env), g.chance(0.8) ? 'yaml' : 'yml'];
    else if (x < 0.36) [kind, text, ext] = ['ecs-json', ecsFile(g, team, env), 'json'];
    else if (x < 0.46) [kind, text, ext] = ['cloudformation-yaml', cfnYamlFile(g, team, env), g.chance(0.5) ? 'yaml' : 'template'];
    else if (x < 0.49) [kind, text, ext] = ['cloudformation-json', cfnJsonFile(g, team, env), 'json'];
    else if (x < 0.55) [kind, text, ext] = ['crd', crdFile(g, team), 'yaml'];
    else if (x < 0.62) [kind, text, ext] = ['dashboard', dashboardFile(g, team), 'json'];
    else if (x < 0.98) {
      const y = g.r();
      [kind, text, ext] = y < 0.4 ? ['values', valuesFile(g, team), 'yaml'] : y < 0.7 ? ['rules', rulesFile(g, team), 'yaml'] : ['kustomization', kustomizationFile(g, team, env), 'yaml'];
    } else [kind, text, ext] = ['unusual', unusualFile(g, team, env), 'yaml'];
    const sub = join(dir, 'envs', env, team, String(files % 7));
    if (!existsSync(sub)) mkdirSync(sub, { recursive: true });
    writeFileSync(join(sub, `${kind}-${files}.${ext}`), text);
    bytes += Buffer.byteLength(text);
    files += 1;
    kinds[kind] = (kinds[kind] ?? 0) + 1;
  }
  return { generator: GENERATOR_VERSION, sizeMB, seed, findings, files, bytes, expectedRefs: g.expectedRefs, kinds };
}

/** The directory for `sizeMB`/`seed`, generated unless a matching one exists. */
export function ensureSynthetic(sizeMB, seed = 1, out = undefined, findings = 'mixed') {
  const dir = out ?? join(tmpdir(), 'imagedrift-synthetic', `${sizeMB}MB-seed${seed}${findings === 'mixed' ? '' : `-${findings}`}`);
  const marker = join(dir, '.synthetic.json');
  if (existsSync(marker)) {
    try {
      const record = JSON.parse(readFileSync(marker, 'utf8'));
      if (record.generator === GENERATOR_VERSION && record.sizeMB === sizeMB && record.seed === seed && (record.findings ?? 'mixed') === findings) return { dir, ...record, reused: true };
    } catch {
      // regenerate
    }
  }
  if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const record = generate(dir, sizeMB, seed, { findings });
  writeFileSync(marker, `${JSON.stringify(record, null, 2)}\n`);
  return { dir, ...record, reused: false };
}

function main(argv) {
  const args = { size: 10, seed: 1, out: undefined, findings: 'mixed' };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--size') args.size = Number(argv[++i]);
    else if (arg === '--seed') args.seed = Number(argv[++i]);
    else if (arg === '--out') args.out = argv[++i];
    else if (arg === '--findings') args.findings = argv[++i];
    else if (arg === '--help' || arg === '-h') {
      process.stdout.write('usage: node scripts/gen-synthetic.mjs --size <MB> [--seed <n>] [--findings mixed|dense|sparse] [--out <dir>]\n');
      return;
    } else throw new Error(`unknown argument ${arg}`);
  }
  if (!(args.size > 0)) throw new Error('--size must be a positive number of MB');
  if (!['mixed', 'dense', 'sparse'].includes(args.findings)) throw new Error('--findings takes mixed, dense or sparse');
  const result = ensureSynthetic(args.size, args.seed, args.out, args.findings);
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main(process.argv.slice(2));
