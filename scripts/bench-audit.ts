// Benchmark, part 5 of `npm run bench` (`--with-audit`): the nightly audit of an organisation,
// sharded as a CI matrix would run it. Every shard (one account × one region) is a real run of the
// built CLI, `imagedrift audit ecs --region R --snapshot shard.json`, through the real AWS SDK
// against the loopback ECS/ECR fake (tests/helpers/fake-aws.ts) answering each call after a
// latency and throttling each API of a region with a token bucket, as AWS does. Then
// `imagedrift merge` combines the shards into one snapshot and the JSON, HTML, Markdown and text
// reports, once alone and once against the previous night's report (--baseline).
//
// Printed: per shard, the API calls of each operation against the computed lower bound, the wall
// time, the throttled responses the SDK absorbed (none may reach the user: no audit-incomplete, no
// error); for the merges, the wall time and the peak RSS (bound: 256 MB for the whole fleet).
//
// Run: npx tsx scripts/bench-audit.ts [--accounts 20] [--regions 3] [--services 500]
//        [--tasks-per-service 3] [--clusters 5] [--latency 30] [--parallel 3] [--keep DIR]
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { minimumEcsCalls } from '../src/sources/ecs-live.js';
import type { EcsSnapshot } from '../src/sources/ecs-live.js';
import { buildFleet, FakeAwsServer, fakeAwsCliEnv } from '../tests/helpers/fake-aws.js';
import type { BuiltFleet, FakeRepository } from '../tests/helpers/fake-aws.js';

const { values } = parseArgs({
  options: {
    accounts: { type: 'string', default: '20' },
    regions: { type: 'string', default: '3' },
    services: { type: 'string', default: '500' },
    'tasks-per-service': { type: 'string', default: '3' },
    clusters: { type: 'string', default: '5' },
    families: { type: 'string', default: '100' },
    latency: { type: 'string', default: '30' },
    parallel: { type: 'string', default: '3' },
    'rate-burst': { type: 'string', default: '20' },
    'rate-per-second': { type: 'string', default: '10' },
    keep: { type: 'string' },
  },
});
const ACCOUNTS = Number(values.accounts);
const REGIONS = ['us-east-1', 'eu-west-1', 'ap-southeast-2', 'us-west-2', 'eu-central-1'].slice(0, Number(values.regions));
const SERVICES = Number(values.services);
const PER_SERVICE = Number(values['tasks-per-service']);
const CLUSTERS = Number(values.clusters);
const LATENCY = Number(values.latency);
const PARALLEL = Number(values.parallel);
const root = join(import.meta.dirname, '..');
const bin = join(root, 'bin', 'imagedrift.js');
if (!existsSync(join(root, 'dist', 'bundle', 'main.cjs'))) {
  console.error('bench-audit: build first (npm run build): the shards run the built CLI');
  process.exit(2);
}

const work = values.keep ?? mkdtempSync(join(tmpdir(), 'imagedrift-bench-audit-'));
mkdirSync(join(work, 'shards'), { recursive: true });
mkdirSync(join(work, 'reports'), { recursive: true });
// Peak RSS of a child: a preload records process.resourceUsage().maxRSS (KiB) when it exits.
const rssPreload = join(work, 'max-rss.cjs');
writeFileSync(rssPreload, "process.on('exit', () => { try { require('node:fs').writeFileSync(process.env.BENCH_RSS_FILE, String(process.resourceUsage().maxRSS)); } catch {} });\n");

const accountId = (i: number) => String(100000000000 + i * 7919).padStart(12, '0');

interface ShardOutcome {
  account: string;
  region: string;
  seconds: number;
  code: number | null;
  calls: Record<string, number>;
  lower: Record<string, number>;
  incomplete: number;
  throttledMention: boolean;
  services: number;
  tasks: number;
}

function lowerBound(fleet: BuiltFleet): Record<string, number> {
  const tds = new Set<string>();
  let revisions = 0;
  for (const c of fleet.region.clusters) {
    for (const s of c.services) {
      tds.add(s.taskDefinition);
      revisions += s.currentServiceRevisions?.length ?? 0;
    }
    for (const t of c.tasks) tds.add(t.taskDefinitionArn);
  }
  const bound: Record<string, number> = {
    ...minimumEcsCalls({
      regions: [{ clusters: fleet.region.clusters.map((c) => ({ services: c.services.length, tasks: c.tasks.length })), taskDefinitions: tds.size, serviceRevisions: revisions }],
      ecrRepositoryGroups: [fleet.repositories.length],
    }),
  };
  // Registry facts: one DescribeImages per ECR repository in use (its tags and digests in use, ≤ 100 ids, in one call).
  bound.DescribeImages = new Set(fleet.region.taskDefinitions.flatMap((td) => td.containers.map((c) => /\.amazonaws\.com\/([^:@]+)/.exec(c.image)?.[1]))).size;
  for (const op of Object.keys(bound)) if (bound[op] === 0) delete bound[op];
  return bound;
}

function runShard(url: string, account: string, region: string, fleet: BuiltFleet): Promise<ShardOutcome> {
  const snapshot = join(work, 'shards', `${account}-${region}.json`);
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, 'audit', 'ecs', '--region', region, '--snapshot', snapshot, '--format', `json=${join(work, 'reports', `${account}-${region}.json`)}`, '--fail-on', 'never', '--progress', 'none'], {
      env: fakeAwsCliEnv(url, { AWS_MAX_ATTEMPTS: undefined }) as NodeJS.ProcessEnv,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => {
      const seconds = (performance.now() - started) / 1000;
      const snap = JSON.parse(readFileSync(snapshot, 'utf8')) as EcsSnapshot;
      resolve({
        account,
        region,
        seconds,
        code,
        calls: snap.calls,
        lower: lowerBound(fleet),
        incomplete: snap.incomplete.length,
        throttledMention: /thrott|rate exceeded/i.test(stderr) || snap.incomplete.some((i) => /thrott/i.test(`${i.code} ${i.reason}`)),
        services: fleet.serviceCount,
        tasks: fleet.taskCount,
      });
    });
  });
}

async function pool<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!);
      }
    }),
  );
  return out;
}

function merge(args: string[], label: string): { seconds: number; rssMiB: number; code: number | null; stderr: string } {
  const rssFile = join(work, `rss-${label}.txt`);
  const started = performance.now();
  const child = spawnSync(process.execPath, ['--require', rssPreload, bin, 'merge', ...args], { cwd: work, encoding: 'utf8', env: { ...process.env, BENCH_RSS_FILE: rssFile, NO_COLOR: '1' }, maxBuffer: 256 * 1024 * 1024 });
  const seconds = (performance.now() - started) / 1000;
  const rss = existsSync(rssFile) ? Number(readFileSync(rssFile, 'utf8')) / 1024 : NaN;
  return { seconds, rssMiB: rss, code: child.status, stderr: child.stderr };
}

const mib = (file: string) => (statSync(file).size / (1024 * 1024)).toFixed(1);

async function main(): Promise<void> {
  const accounts = Array.from({ length: ACCOUNTS }, (_, i) => accountId(i));
  const shards: ShardOutcome[] = [];
  let throttled = 0;
  const started = performance.now();
  for (const account of accounts) {
    const fleets = new Map<string, BuiltFleet>();
    const repositories: FakeRepository[] = [];
    for (const region of REGIONS) {
      const per = Math.ceil(SERVICES / CLUSTERS);
      const fleet = buildFleet({ region, account, families: Number(values.families), clusters: Array.from({ length: CLUSTERS }, (_, c) => ({ name: `cluster-${c}`, services: Math.min(per, SERVICES - c * per), tasksPerService: PER_SERVICE })) });
      fleets.set(region, fleet);
      repositories.push(...fleet.repositories);
    }
    const server = await FakeAwsServer.start(
      { account, regions: Object.fromEntries([...fleets].map(([r, f]) => [r, f.region])), repositories },
      { latencyMs: LATENCY, rateLimit: { burst: Number(values['rate-burst']), perSecond: Number(values['rate-per-second']) } },
    );
    try {
      shards.push(...(await pool(REGIONS, PARALLEL, (region) => runShard(server.url, account, region, fleets.get(region)!))));
      throttled += server.throttledResponses;
    } finally {
      await server.close();
    }
    process.stderr.write(`bench-audit: ${shards.length}/${accounts.length * REGIONS.length} shards\n`);
  }
  const shardWall = (performance.now() - started) / 1000;

  const services = shards.reduce((n, s) => n + s.services, 0);
  const tasks = shards.reduce((n, s) => n + s.tasks, 0);
  console.log(`\n## Sharded ECS audit: ${ACCOUNTS} accounts × ${REGIONS.length} regions × ${SERVICES} services (${services.toLocaleString('en-US')} services, ${tasks.toLocaleString('en-US')} tasks), ${LATENCY} ms per call\n`);
  console.log(`Each shard is one run of \`imagedrift audit ecs --region R --snapshot …\` (the built CLI, real AWS SDK) against the loopback fake, ${PARALLEL} at a time; each API of a region is throttled by a token bucket of ${values['rate-burst']} requests refilled at ${values['rate-per-second']}/s.\n`);
  const ops = [...new Set(shards.flatMap((s) => [...Object.keys(s.lower), ...Object.keys(s.calls)]))].sort();
  const atBound = shards.filter((s) => ops.every((op) => (s.calls[op] ?? 0) === (s.lower[op] ?? 0)));
  const first = shards[0]!;
  console.log('| operation (one shard) | calls | lower bound |');
  console.log('| --- | ---: | ---: |');
  for (const op of ops) console.log(`| ${op} | ${first.calls[op] ?? 0} | ${first.lower[op] ?? '—'} |`);
  const times = shards.map((s) => s.seconds).sort((a, b) => a - b);
  const q = (p: number) => times[Math.min(times.length - 1, Math.floor(p * times.length))]!.toFixed(2);
  console.log(`\nshards at the lower bound for every operation: ${atBound.length} of ${shards.length}`);
  console.log(`time per shard: min ${q(0)} s, median ${q(0.5)} s, max ${q(1)} s (all ${shards.length} shards: ${shardWall.toFixed(1)} s wall, ${PARALLEL} at a time)`);
  console.log(`throttled responses absorbed by the SDK's retries: ${throttled}; shards with an error or incomplete scope: ${shards.filter((s) => s.code !== 0 || s.incomplete > 0).length}; throttling reaching the user: ${shards.some((s) => s.throttledMention) ? 'YES' : 'none'}`);

  const expect = `${accounts.join(',')}/${REGIONS.join(',')}`;
  const night1 = merge(['shards', '--snapshot', 'fleet.json', '--expect', expect, '--format', 'json=night1.json', '--format', 'html=night1.html', '--format', 'markdown=night1.md', '--format', 'text=night1.txt', '--fail-on', 'never', '--progress', 'none'], 'night1');
  const night2 = merge(['shards', '--expect', expect, '--baseline', 'night1.json', '--format', 'json=night2.json', '--format', 'html=night2.html', '--format', 'text=night2.txt', '--fail-on', 'never', '--progress', 'none'], 'night2');
  console.log(`\n## Merge of the ${shards.length} shards\n`);
  console.log('| run | wall | peak RSS | exit |');
  console.log('| --- | ---: | ---: | ---: |');
  console.log(`| \`merge shards/ --snapshot fleet.json\` + JSON, HTML, Markdown, text reports | ${night1.seconds.toFixed(1)} s | ${night1.rssMiB.toFixed(0)} MiB | ${night1.code} |`);
  console.log(`| the same with \`--baseline night1.json\` (new/existing/fixed, deploy drift) | ${night2.seconds.toFixed(1)} s | ${night2.rssMiB.toFixed(0)} MiB | ${night2.code} |`);
  const report = JSON.parse(readFileSync(join(work, 'night1.json'), 'utf8'));
  console.log(`\nmerged snapshot ${mib(join(work, 'fleet.json'))} MiB; JSON report ${mib(join(work, 'night1.json'))} MiB (${report.findings.length.toLocaleString('en-US')} findings, ${report.live.inventory.length.toLocaleString('en-US')} services in the inventory); HTML ${mib(join(work, 'night1.html'))} MiB; Markdown ${mib(join(work, 'night1.md'))} MiB`);
  console.log(`summary: ${readFileSync(join(work, 'night1.txt'), 'utf8').trimEnd().split('\n').at(-1)}`);
  console.log(`with the baseline: ${readFileSync(join(work, 'night2.txt'), 'utf8').trimEnd().split('\n').at(-1)}`);
  const ok = night1.rssMiB <= 256 && night2.rssMiB <= 256 && night1.code === 0 && night2.code === 0;
  console.log(`\npeak RSS within 256 MB: ${ok ? 'yes' : 'NO'}${night1.code !== 0 || night2.code !== 0 ? `\n${night1.stderr}${night2.stderr}` : ''}`);
  if (values.keep === undefined) rmSync(work, { recursive: true, force: true });
  else console.log(`files kept in ${work}`);
}

await main();
