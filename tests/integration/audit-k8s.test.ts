// `imagedrift audit k8s` end to end through the CLI (node bin/imagedrift.js, built from src/): the
// OTEL sidecar incident replayed in a Kubernetes cluster served by the loopback API of
// tests/helpers/fake-k8s.ts (TLS, token kubeconfig), with a real registry (Debian's
// docker-registry) on 127.0.0.1 for --resolve; every reporter's location; snapshots judged again;
// a forbidden namespace (exit 3); rejected credentials (exit 2); and the real kubectl's
// `get … -o json` output read with --from-file.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { deployment, FakeK8sServer, KUBECTL, kubeconfig, kubectlGetJson, makeCerts, pod, replicaSet } from '../helpers/fake-k8s.js';
import type { K8sObject, TestCerts } from '../helpers/fake-k8s.js';
import { Pusher, startRegistry } from '../helpers/registry.js';
import type { PushedImage, TestRegistry } from '../helpers/registry.js';

const root = join(import.meta.dirname, '..', '..');
const TOKEN = 'test-token-0123456789';

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI without blocking this process (the fake API answers from it). */
function runCli(args: string[], env: Record<string, string | undefined> = {}, stdin?: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(root, 'bin', 'imagedrift.js'), ...args], { cwd: work, env: { PATH: process.env.PATH, HOME: work, KUBECONFIG: config, ...env } as NodeJS.ProcessEnv });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin ?? '');
  });
}

/** imagedrift's own messages on stderr (not the runtime's). */
const ours = (stderr: string) => stderr.split('\n').filter((l) => l.startsWith('imagedrift:'));

let registry: TestRegistry;
let certs: TestCerts;
let server: FakeK8sServer;
let work: string;
let config: string;
let v028: PushedImage;
let v029: PushedImage;
let app: PushedImage;
let objects: K8sObject[];
let OTEL: string;
let APP: string;
let ISTIO: string;
let istio: PushedImage;
const LOC = 'k8s://prod/shop/Deployment/checkout';
const short = (d: string) => `${d.slice(0, 19)}…`;
/** `5 on <old> and 5 on <new>`: equal counts are listed in digest order. */
const bothBuilds = (oldVersion = '', newVersion = '') =>
  [`${short(v028.digest)}${oldVersion}`, `${short(v029.digest)}${newVersion}`]
    .sort()
    .map((d) => `5 on ${d}`)
    .join(' and ');

beforeAll(async () => {
  registry = await startRegistry();
  const push = new Pusher(registry.url);
  v028 = await push.pushImage('aws-observability/aws-otel-collector', ['v0.28.0', 'latest']);
  v029 = await push.pushImage('aws-observability/aws-otel-collector', ['v0.29.0', 'latest']); // upstream releases: latest moves
  app = await push.pushImage('shop/checkout-api', ['4.2.1']);
  istio = await push.pushImage('istio/proxyv2', ['1.22.1']);
  await push.pushImage('shop/ledger', ['2.3.0']);
  ISTIO = `${registry.host}/istio/proxyv2:1.22.1`;
  OTEL = `${registry.host}/aws-observability/aws-otel-collector:latest`;
  APP = `${registry.host}/shop/checkout-api:4.2.1`;
  // The Deployment declares the collector sidecar on :latest; pods were replaced over hours, half
  // before the release and half after; istio-proxy was injected at admission.
  const d = deployment({ namespace: 'shop', name: 'checkout', replicas: 10, containers: [{ name: 'checkout-api', image: APP }, { name: 'otel-collector', image: OTEL }] });
  const rs = replicaSet(d, '7d9f8b6c5');
  const pods = Array.from({ length: 10 }, (_, i) =>
    pod(rs, `checkout-7d9f8b6c5-${String(i).padStart(2, '0')}`, [
      { name: 'checkout-api', image: APP, digest: app.digest },
      { name: 'otel-collector', image: OTEL, digest: i < 5 ? v028.digest : v029.digest },
      { name: 'istio-proxy', image: ISTIO, digest: istio.digest },
    ]),
  );
  const other = deployment({ namespace: 'restricted', name: 'ledger', containers: [{ name: 'ledger', image: `${registry.host}/shop/ledger:2.3.0` }] });
  objects = [d, rs, ...pods, other];
  certs = makeCerts();
  server = await FakeK8sServer.start(objects, { certs, token: TOKEN });
  work = mkdtempSync(join(tmpdir(), 'imagedrift-audit-k8s-'));
  config = join(work, 'kubeconfig');
  writeFileSync(config, kubeconfig(server.url, certs, [{ name: 'prod', user: { token: TOKEN } }, { name: 'stale', user: { token: 'revoked' } }]));
}, 60_000);

afterEach(() => server.reset());

afterAll(async () => {
  await server?.close();
  certs?.cleanup();
  await registry?.stop();
});

describe('imagedrift audit k8s: the OTEL sidecar incident in a cluster', () => {
  let incident: CliResult;
  const snap = () => join(work, 'snapshot.json');

  it('reports fleet-drift, tag-moved-since-deploy, the sidecar latest-tag error and pull-policy-always-floating, naming both versions', async () => {
    const reports = ['json', 'sarif', 'markdown', 'github'].flatMap((f) => ['--format', `${f}=${join(work, `report.${f}`)}`]);
    incident = await runCli(['audit', 'k8s', '-A', '--resolve', '--snapshot', snap(), '--format', 'text', ...reports]);
    const result = incident;
    expect(ours(result.stderr)).toEqual([]);
    expect(result.code).toBe(1);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines.filter((l) => l.startsWith(`${LOC}#otel-collector`))).toEqual([
      `${LOC}#otel-collector: error Sidecar \`otel-collector\` in Deployment \`shop/checkout\` uses floating tag \`latest\`: any pod restart or reschedule can pull a different build [latest-tag]`,
      `${LOC}#otel-collector: error Sidecar \`otel-collector\` in Deployment \`shop/checkout\` runs 2 different builds of \`${OTEL}\` across 10 pods: ${bothBuilds(' (v0.28.0)', ' (v0.29.0)')}: the same reference pulled different images as pods were started [fleet-drift]`,
      `${LOC}#otel-collector: error Sidecar \`otel-collector\` in Deployment \`shop/checkout\` runs \`latest\` at ${short(v028.digest)} (v0.28.0) on 5 of 10 pods, but \`latest\` now points at ${short(v029.digest)} (v0.29.0): the next rollout, and any pod restart (imagePullPolicy: Always), will pull a different build [tag-moved-since-deploy]`,
      `${LOC}#otel-collector: error Sidecar \`otel-collector\` in Deployment \`shop/checkout\` has imagePullPolicy: Always with floating tag \`latest\`: every container start (a crash-loop restart, a rescheduled or new pod) pulls whatever the tag points at then, so its pods drift across builds without a rollout [pull-policy-always-floating]`,
    ]);
    // The app runs what its tag names; istio-proxy, injected at admission, is held to the sidecar severity.
    expect(lines.filter((l) => l.startsWith(`${LOC}#checkout-api`))).toEqual([`${LOC}#checkout-api: note Container \`checkout-api\` in Deployment \`shop/checkout\` uses \`4.2.1\` without a digest: the tag can be re-pushed [undigested-tag]`]);
    expect(lines.filter((l) => l.startsWith(`${LOC}#istio-proxy`))).toEqual([`${LOC}#istio-proxy: warning Sidecar \`istio-proxy\` in Deployment \`shop/checkout\` uses \`1.22.1\` without a digest: the tag can be re-pushed [undigested-tag]`]);
    expect(lines.at(-1)).toMatch(/^7 findings \(4 errors, 1 warning, 2 notes\) in 2 workloads \(10 pods, 4 image references\) across 2 namespaces of context `prod`, as of \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z \(API server time\)$/);
    // One paginated list per kind, cluster-wide.
    expect(server.requests.map((r) => r.path).sort()).toEqual(['/api/v1/pods', '/apis/apps/v1/daemonsets', '/apis/apps/v1/deployments', '/apis/apps/v1/replicasets', '/apis/apps/v1/statefulsets', '/apis/batch/v1/cronjobs', '/apis/batch/v1/jobs']);
  }, 60_000);

  it('every reporter names the k8s:// location; the snapshot judged again gives the same report, offline', async () => {
    const json = JSON.parse(readFileSync(join(work, 'report.json'), 'utf8')) as { findings: Array<{ ruleId: string; location: { path: string; line: number }; workload: unknown; container: unknown }>; summary: { refsFound: number } };
    const drift = json.findings.find((f) => f.ruleId === 'fleet-drift')!;
    expect(drift.location).toMatchObject({ path: `${LOC}#otel-collector`, line: 0 });
    expect(drift.workload).toEqual({ kind: 'Deployment', name: 'checkout', namespace: 'shop' });
    expect(drift.container).toEqual({ name: 'otel-collector', role: 'sidecar', roleReason: 'known sidecar image' });
    expect(json.summary.refsFound).toBe(4);
    const sarif = JSON.parse(readFileSync(join(work, 'report.sarif'), 'utf8')) as { runs: Array<{ results: Array<{ ruleId: string; locations: Array<{ physicalLocation: { artifactLocation: { uri: string } } }> }> }> };
    expect(sarif.runs[0]!.results.find((r) => r.ruleId === 'fleet-drift')!.locations[0]!.physicalLocation.artifactLocation.uri).toBe(`${LOC}#otel-collector`);
    expect(readFileSync(join(work, 'report.markdown'), 'utf8')).toContain(`${LOC}#otel-collector`);
    expect(readFileSync(join(work, 'report.github'), 'utf8')).toContain(`::error file=${LOC.replace(':', '%3A')}#otel-collector,title=fleet-drift::`);
    expect(JSON.parse(readFileSync(snap(), 'utf8'))).toMatchObject({ schema: 'imagedrift.k8s-snapshot/v1', source: 'kubernetes', via: 'api', context: 'prod', scope: { namespaces: [], allNamespaces: true } });

    const again = await runCli(['audit', 'k8s', '--from-snapshot', snap()], { KUBECONFIG: join(work, 'none') });
    expect(again.code).toBe(1);
    expect(again.stdout).toBe(incident.stdout);
    expect(server.requests).toHaveLength(0);
  }, 60_000);

  it('a forbidden namespace: audit-incomplete, everything else judged, exit 3', async () => {
    server.faults = { forbidden: [{ namespace: 'restricted' }] };
    const result = await runCli(['audit', 'k8s', '-n', 'shop,restricted', '--fail-on', 'never']);
    expect(result.code).toBe(3);
    expect(result.stdout).toContain(`${LOC}#otel-collector: error Sidecar \`otel-collector\` in Deployment \`shop/checkout\` runs 2 different builds`);
    expect(result.stdout).toContain(
      'k8s://prod/restricted: warning Audit incomplete: Forbidden on list pods, list deployments, list statefulsets, list daemonsets, list replicasets, list jobs, list cronjobs (pods is forbidden: User "system:serviceaccount:imagedrift:audit" cannot list resource "pods" in API group "" in the namespace "restricted"): nothing in this namespace was audited [audit-incomplete]',
    );
    expect(result.stdout).toContain('k8s://prod/restricted: not audited: Forbidden on list pods, list deployments');
    expect(ours(result.stderr)).toEqual(['imagedrift: the audit is incomplete: 1 scope could not be read (see the audit-incomplete findings)']);
  }, 60_000);

  it('rejected credentials or misused options: exit 2, one message, no report', async () => {
    const stale = await runCli(['audit', 'k8s', '-A', '--context', 'stale']);
    expect(stale.code).toBe(2);
    expect(stale.stdout).toBe('');
    expect(ours(stale.stderr)).toEqual([`imagedrift: the API server at ${server.url} rejected the credentials of context "stale" (401 Unauthorized): refresh them (e.g. your cloud's \`get-token\` or \`kubectl config view\`) and retry`]);
    const misuse = await runCli(['audit', 'k8s', '--from-snapshot', 'x.json', '-A']);
    expect(ours(misuse.stderr)).toEqual(['imagedrift: --from-snapshot judges a saved snapshot and reads nothing from the cluster or the registries: drop --all-namespaces']);
    expect(misuse.code).toBe(2);
    expect(server.requests.filter((r) => r.auth === 'token')).toHaveLength(0);
  }, 60_000);
});

describe('imagedrift audit k8s --from-file: the real kubectl output', () => {
  it.runIf(existsSync(KUBECTL))('judges `kubectl get … -A -o json` (from a file and from stdin) exactly as the live audit', async () => {
    const kubectl = await kubectlGetJson(config);
    expect(kubectl.stderr).toBe('');
    expect(kubectl.code).toBe(0);
    const list = JSON.parse(kubectl.stdout) as { kind: string; items: Array<{ kind: string }> };
    expect(list.kind).toBe('List');
    expect(new Set(list.items.map((i) => i.kind))).toEqual(new Set(['Pod', 'Deployment', 'ReplicaSet']));
    const file = join(work, 'cluster.json');
    writeFileSync(file, kubectl.stdout);
    // What the live audit saw, judged without its registry facts: the same findings from kubectl's output.
    const saved = JSON.parse(readFileSync(join(work, 'snapshot.json'), 'utf8')) as Record<string, unknown>;
    delete saved.images;
    writeFileSync(join(work, 'no-registry.json'), JSON.stringify(saved));
    const live = await runCli(['audit', 'k8s', '--from-snapshot', join(work, 'no-registry.json')]);
    const fromFile = await runCli(['audit', 'k8s', '--from-file', file, '--context', 'prod']);
    const fromStdin = await runCli(['audit', 'k8s', '--from-file', '-', '--context', 'prod'], {}, kubectl.stdout);
    expect(fromFile.code).toBe(1);
    const body = (r: CliResult) => r.stdout.split('\n').slice(0, -2);
    expect(body(fromFile)).toEqual(body(live));
    expect(body(fromStdin)).toEqual(body(live));
    expect(fromFile.stdout).toContain(`${LOC}#otel-collector: error Sidecar \`otel-collector\` in Deployment \`shop/checkout\` runs 2 different builds of \`${OTEL}\` across 10 pods: ${bothBuilds()}: the same reference pulled different images as pods were started [fleet-drift]`);
    expect(fromFile.stdout.trimEnd().split('\n').at(-1)).toBe('6 findings (3 errors, 1 warning, 2 notes) in 2 workloads (10 pods, 4 image references) across 2 namespaces of context `prod`');
    const bad = await runCli(['audit', 'k8s', '--from-file', '-'], {}, '{"items": [');
    expect(bad.code).toBe(2);
    expect(ours(bad.stderr)).toEqual(["imagedrift: <stdin>:1:12: not JSON: ']' expected (expected the output of `kubectl get … -o json`)"]);
  }, 60_000);
});
