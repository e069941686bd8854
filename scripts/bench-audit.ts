// Benchmark, part 4 of `npm run bench`: `audit ecs` over a synthetic fleet served by the loopback
// ECS/ECR fake (tests/helpers/fake-aws.ts) through the real AWS SDK clients. Prints the calls of
// each operation against the computed lower bound, and the wall time.
// Run: npx tsx scripts/bench-audit.ts [--services 1000] [--tasks-per-service 10] [--latency 2]
import { parseArgs } from 'node:util';
import { collectLiveSnapshot } from '../src/audit/collect.js';
import { judgeSnapshot } from '../src/audit/judge.js';
import { loadDefaultPolicy } from '../src/policy/load.js';
import { minimumEcsCalls } from '../src/sources/ecs-live.js';
import { buildFleet, FakeAwsServer, useFakeAwsEnv } from '../tests/helpers/fake-aws.js';

const { values } = parseArgs({ options: { services: { type: 'string', default: '1000' }, 'tasks-per-service': { type: 'string', default: '10' }, latency: { type: 'string', default: '2' } } });
const services = Number(values.services);
const perService = Number(values['tasks-per-service']);
const REGION = 'us-east-1';
const clusters = [0, 1, 2, 3].map((i) => ({ name: `cluster-${i}`, services: Math.ceil(services / 4), tasksPerService: perService, standaloneTasks: 3 }));
const fleet = buildFleet({ region: REGION, families: Math.ceil(services / 5), clusters });
const server = await FakeAwsServer.start({ account: '123456789012', regions: { [REGION]: fleet.region }, repositories: fleet.repositories }, { latencyMs: Number(values.latency) });
const restore = useFakeAwsEnv(server.url);
try {
  const started = performance.now();
  const snapshot = await collectLiveSnapshot({ regions: [REGION], concurrency: 4 });
  const findings = judgeSnapshot(snapshot, loadDefaultPolicy());
  const seconds = (performance.now() - started) / 1000;

  const tds = new Set<string>();
  let revisions = 0;
  for (const c of fleet.region.clusters) {
    for (const s of c.services) {
      tds.add(s.taskDefinition);
      revisions += s.currentServiceRevisions?.length ?? 0;
    }
    for (const t of c.tasks) tds.add(t.taskDefinitionArn);
  }
  const minimum = minimumEcsCalls({
    regions: [{ clusters: fleet.region.clusters.map((c) => ({ services: c.services.length, tasks: c.tasks.length })), taskDefinitions: tds.size, serviceRevisions: revisions }],
    ecrRepositoryGroups: [fleet.repositories.length],
  });
  console.log(`\n## ECS audit: ${fleet.serviceCount} services, ${fleet.taskCount} tasks, ${tds.size} task definitions, ${Number(values.latency)} ms per call\n`);
  console.log('| operation | calls | lower bound |');
  console.log('| --- | ---: | ---: |');
  // Registry facts: one DescribeImages per ECR repository in use (all its tags and digests in one batch of ≤ 100 ids).
  const repositoriesInUse = new Set(fleet.region.taskDefinitions.flatMap((td) => td.containers.map((c) => /\.amazonaws\.com\/([^:@]+)/.exec(c.image)?.[1])));
  (minimum as Record<string, number>).DescribeImages = repositoriesInUse.size;
  const ops = new Set([...Object.keys(minimum), ...Object.keys(snapshot.calls)]);
  for (const op of [...ops].sort()) {
    const lower = (minimum as Record<string, number>)[op];
    console.log(`| ${op} | ${server.count(op)} | ${lower ?? '—'} |`);
  }
  console.log(`\nwall ${seconds.toFixed(2)} s, ${findings.length} findings, ${snapshot.incomplete.length} incomplete scopes`);
} finally {
  restore();
  await server.close();
}
