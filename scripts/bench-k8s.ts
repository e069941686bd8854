// Benchmark: `imagedrift audit k8s -A` end to end through the CLI (node bin/imagedrift.js, run
// `npm run build` first) against the loopback Kubernetes API of tests/helpers/fake-k8s.ts (TLS,
// token kubeconfig): 5,000 pods in 500 workloads by default (400 Deployments with their
// ReplicaSets, 50 StatefulSets, 50 DaemonSets, 10 pods each, in 50 namespaces; one workload in ten
// running two builds). Prints the list requests of each kind against the lower bound (one
// paginated list per kind and namespace scope), the wall time and the peak RSS of the CLI.
// Run: npm run bench:k8s [-- --workloads 500 --pods-per-workload 10 --runs 3 --latency 0]
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { minimumK8sCalls } from '../src/sources/k8s/live.js';
import { deployment, FakeK8sServer, kubeconfig, makeCerts, pod, podTemplateWorkload, replicaSet, sha256Digest } from '../tests/helpers/fake-k8s.js';
import type { K8sObject } from '../tests/helpers/fake-k8s.js';

const { values } = parseArgs({ options: { workloads: { type: 'string', default: '500' }, 'pods-per-workload': { type: 'string', default: '10' }, runs: { type: 'string', default: '3' }, latency: { type: 'string', default: '0' } } });
const workloads = Number(values.workloads);
const perWorkload = Number(values['pods-per-workload']);
const runs = Number(values.runs);
const root = join(import.meta.dirname, '..');

function cluster(): { objects: K8sObject[]; counts: Record<string, number> } {
  const objects: K8sObject[] = [];
  const counts = { Pod: 0, Deployment: 0, StatefulSet: 0, DaemonSet: 0, ReplicaSet: 0, Job: 0, CronJob: 0 };
  for (let w = 0; w < workloads; w++) {
    const namespace = `team-${String(w % 50).padStart(2, '0')}`;
    const name = `svc-${w}`;
    const image = `registry.example.com/team-${w % 50}/svc-${w}:1.${w % 7}.0`;
    const sidecar = 'public.ecr.aws/aws-observability/aws-otel-collector:latest';
    const containers = [{ name: 'app', image }, { name: 'otel', image: sidecar }];
    const kind = w % 10 === 8 ? 'StatefulSet' : w % 10 === 9 ? 'DaemonSet' : 'Deployment';
    const top = kind === 'Deployment' ? deployment({ namespace, name, replicas: perWorkload, containers }) : podTemplateWorkload(kind, { namespace, name, replicas: perWorkload, containers });
    objects.push(top);
    counts[kind] += 1;
    const owner = kind === 'Deployment' ? replicaSet(top, `h${w}`) : top;
    if (kind === 'Deployment') {
      objects.push(owner);
      counts.ReplicaSet += 1;
    }
    for (let p = 0; p < perWorkload; p++) {
      // One workload in ten runs two builds of its sidecar.
      const otel = sha256Digest(w % 10 === 3 && p % 2 === 1 ? 'otel-new' : 'otel-old');
      objects.push(pod(owner, `${name}-${p}`, [{ name: 'app', image, digest: sha256Digest(image) }, { name: 'otel', image: sidecar, digest: otel }], { namespace }));
      counts.Pod += 1;
    }
  }
  return { objects, counts };
}

const { objects, counts } = cluster();
const certs = makeCerts();
const server = await FakeK8sServer.start(objects, { certs, token: 'bench-token' });
server.faults = { latencyMs: Number(values.latency) };
const dir = mkdtempSync(join(tmpdir(), 'imagedrift-bench-k8s-'));
const config = join(dir, 'kubeconfig');
writeFileSync(config, kubeconfig(server.url, certs, [{ name: 'bench', user: { token: 'bench-token' } }]));
const preload = join(dir, 'maxrss.mjs');
writeFileSync(preload, "import { writeFileSync } from 'node:fs';\nprocess.on('exit', () => writeFileSync(process.env.IMAGEDRIFT_BENCH_RSS_FILE, String(process.resourceUsage().maxRSS)));\n");

function runOnce(i: number): Promise<{ wall: number; rssMB: number; code: number | null; stdout: string; stderr: string }> {
  const rssFile = join(dir, `rss-${i}`);
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, ['--import', pathToFileURL(preload).href, join(root, 'bin', 'imagedrift.js'), 'audit', 'k8s', '-A', '--format', 'json', '-o', join(dir, 'report.json')], {
      env: { PATH: process.env.PATH, HOME: dir, KUBECONFIG: config, IMAGEDRIFT_BENCH_RSS_FILE: rssFile },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ wall: (performance.now() - started) / 1000, rssMB: Number(readFileSync(rssFile, 'utf8')) / 1024, code, stdout, stderr }));
  });
}

try {
  const results = [];
  for (let i = 0; i < runs; i++) {
    server.reset();
    server.faults = { latencyMs: Number(values.latency) };
    results.push(await runOnce(i));
  }
  const last = results.at(-1)!;
  if (last.code !== 1) throw new Error(`audit k8s exited ${last.code}: ${last.stderr}`);
  const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as { findings: Array<{ ruleId: string }>; summary: { refsFound: number } };
  const minimum = minimumK8sCalls(Object.fromEntries(Object.entries(counts).map(([k, n]) => [k, [n]])));
  console.log(`\n## audit k8s -A: ${counts.Pod} pods in ${workloads} workloads (${counts.Deployment} Deployments + ${counts.ReplicaSet} ReplicaSets, ${counts.StatefulSet} StatefulSets, ${counts.DaemonSet} DaemonSets), 50 namespaces, ${Number(values.latency)} ms per request\n`);
  console.log('| list | requests | lower bound |');
  console.log('| --- | ---: | ---: |');
  let total = 0;
  let lower = 0;
  for (const [list, n] of Object.entries(minimum)) {
    total += server.count(list);
    lower += n;
    console.log(`| ${list} | ${server.count(list)} | ${n} |`);
  }
  console.log(`| all | ${total} | ${lower} |`);
  const walls = results.map((r) => r.wall).sort((a, b) => a - b);
  console.log(`\nwall (CLI, median of ${runs}): ${walls[Math.floor(walls.length / 2)]!.toFixed(2)} s (runs: ${results.map((r) => r.wall.toFixed(2)).join(', ')} s); peak RSS ${Math.max(...results.map((r) => r.rssMB)).toFixed(0)} MiB`);
  const byRule: Record<string, number> = {};
  for (const f of report.findings) byRule[f.ruleId] = (byRule[f.ruleId] ?? 0) + 1;
  console.log(`${report.findings.length} findings (${Object.entries(byRule).map(([r, n]) => `${r} ${n}`).join(', ')}), ${report.summary.refsFound} image references`);
} finally {
  await server.close();
  certs.cleanup();
  rmSync(dir, { recursive: true, force: true });
}
