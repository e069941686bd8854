// `imagedrift audit ecs` end to end through the CLI (node bin/imagedrift.js, built from src/), with
// the real AWS SDK clients reaching the loopback fake of ECS, ECR and STS through the SDK's own
// endpoint variables (AWS_ENDPOINT_URL_ECS, AWS_ENDPOINT_URL_ECR, AWS_ENDPOINT_URL_STS) and dummy
// credentials in the environment. Nothing here can reach real AWS: every endpoint is 127.0.0.1,
// instance metadata is disabled, and the shared config files do not exist.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Finding } from '../../src/core/types.js';
import type { EcsSnapshot } from '../../src/sources/ecs-live.js';
import { FakeAwsServer, clusterArn, fakeAwsCliEnv, imageDigest, OTEL, otelIncidentFixture, taskDefinitionArn } from '../helpers/fake-aws.js';
import { freePort } from '../helpers/registry.js';

const root = join(import.meta.dirname, '..', '..');
const { ACCOUNT, REGION, ECR } = OTEL;
const KEY = 'AKIAFAKEFAKEFAKE0001';
const OLD = imageDigest(OTEL.v028);
const NEW = imageDigest(OTEL.v029);
const otelFixture = otelIncidentFixture;
const awsEnv = fakeAwsCliEnv;

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI without blocking this process (the fake server answers from it). */
function runCli(args: string[], env: Record<string, string | undefined>, cwd = root): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(root, 'bin', 'imagedrift.js'), ...args], { cwd, env: env as NodeJS.ProcessEnv });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

let server: FakeAwsServer;
let work: string;

beforeAll(async () => {
  server = await FakeAwsServer.start(otelFixture());
  work = mkdtempSync(join(tmpdir(), 'imagedrift-audit-'));
});

afterEach(() => {
  server.reset();
  server.faults = {};
  server.fixture = otelFixture();
});

afterAll(async () => server?.close());

const LOC = `ecs://${ACCOUNT}/${REGION}/prod/checkout`;

describe('imagedrift audit ecs: the OTEL sidecar incident while it is happening', () => {
  it('reports fleet-drift, tag-moved-since-deploy and the sidecar latest-tag error, naming both versions', async () => {
    const result = await runCli(['audit', 'ecs', '--region', REGION], awsEnv(server.url));
    expect(result.stderr).toBe('');
    expect(result.code).toBe(1);
    const lines = result.stdout.trimEnd().split('\n');
    const sidecar = lines.filter((l) => l.startsWith(`${LOC}#aws-otel-collector`));
    const old = `${OLD.slice(0, 19)}…`;
    const now = `${NEW.slice(0, 19)}…`;
    expect(sidecar).toEqual([
      `${LOC}#aws-otel-collector: error Sidecar \`aws-otel-collector\` in Service \`prod/checkout\` uses floating tag \`latest\`: any task replacement can pull a different build [latest-tag]`,
      `${LOC}#aws-otel-collector: error Sidecar \`aws-otel-collector\` in Service \`prod/checkout\` runs 2 different builds of \`${ECR}/aws-otel-collector:latest\` across 10 tasks: 5 on ${old} (v0.28.0) and 5 on ${now} (v0.29.0): the same reference pulled different images as tasks were started [fleet-drift]`,
      `${LOC}#aws-otel-collector: error Sidecar \`aws-otel-collector\` in Service \`prod/checkout\` runs \`latest\` at ${old} (v0.28.0) on 5 of 10 tasks, but \`latest\` now points at ${now} (v0.29.0): the next deployment, and any task ECS starts (versionConsistency is disabled), will pull a different build [tag-moved-since-deploy]`,
      `${LOC}#aws-otel-collector: error Sidecar \`aws-otel-collector\` in Service \`prod/checkout\` has versionConsistency disabled with floating tag \`latest\`: every task ECS starts pulls whatever the tag points at then, so replacements and scale-outs mix builds within one deployment [version-consistency-disabled]`,
      `${LOC}#aws-otel-collector: warning Sidecar \`aws-otel-collector\` in Service \`prod/checkout\` uses \`latest\` from ECR repository \`aws-otel-collector\` (${ACCOUNT}, ${REGION}), whose tag mutability is MUTABLE: a push can replace the build \`latest\` names under running tasks [mutable-repository]`,
    ]);
    // The app container: an exact version in an IMMUTABLE repository, running what the tag names.
    expect(lines.filter((l) => l.startsWith(`${LOC}#checkout-api`))).toEqual([
      `${LOC}#checkout-api: note Container \`checkout-api\` in Service \`prod/checkout\` uses \`4.2.1\` without a digest: the tag can be re-pushed [undigested-tag]`,
    ]);
    expect(lines.at(-1)).toMatch(/^6 findings \(4 errors, 1 warning, 1 note\) in 1 service; 10 tasks, 2 image references across 1 cluster, 1 region, 1 account, as of \d{4}-\d\d-\d\dT[\d:.]+Z \(AWS time\)$/);
    // The minimum calls: one of each ECS call, one DescribeRepositories and one DescribeImages for
    // the two repositories (each asked for its tag and the digests in use at once), no STS at all.
    expect(server.calls).toEqual({
      ListClusters: 1,
      ListServices: 1,
      DescribeServices: 1,
      DescribeTaskDefinition: 1,
      ListTasks: 1,
      DescribeTasks: 1,
      DescribeServiceRevisions: 1,
      DescribeRepositories: 1,
      DescribeImages: 2,
    });
    const otelAsk = server.requests.find((r) => r.operation === 'DescribeImages' && (r.body as { repositoryName?: string }).repositoryName === 'aws-otel-collector');
    expect((otelAsk?.body as { imageIds: unknown[] }).imageIds).toEqual([{ imageTag: 'latest' }, ...[OLD, NEW].sort().map((imageDigest) => ({ imageDigest }))]);
  });

  it('writes the same findings as JSON (imagedrift.scan/v1), with ecs:// locations and the Service workload', async () => {
    const result = await runCli(['audit', 'ecs', '--region', REGION, '--format', 'json'], awsEnv(server.url));
    expect(result.code).toBe(1);
    const doc = JSON.parse(result.stdout) as { schema: string; findings: Finding[]; errors: string[]; summary: { refsFound: number; byRule: Record<string, number> } };
    expect(doc.schema).toBe('imagedrift.scan/v1');
    expect(doc.errors).toEqual([]);
    expect(doc.summary.byRule).toEqual({ 'latest-tag': 1, 'fleet-drift': 1, 'tag-moved-since-deploy': 1, 'version-consistency-disabled': 1, 'mutable-repository': 1, 'undigested-tag': 1 });
    const drift = doc.findings.find((f) => f.ruleId === 'fleet-drift')!;
    expect(drift).toMatchObject({
      severity: 'error',
      location: { path: `${LOC}#aws-otel-collector`, line: 0, column: 0, endLine: 0, endColumn: 0 },
      image: { raw: `${ECR}/aws-otel-collector:latest`, registry: ECR, repository: 'aws-otel-collector', tag: 'latest' },
      container: { name: 'aws-otel-collector', role: 'sidecar', roleReason: 'known sidecar image' },
      workload: { kind: 'Service', name: 'checkout', namespace: 'prod' },
    });
  });

  it('catches it before it happens: the tag moved but no task has been replaced yet', async () => {
    const fixture = otelFixture();
    for (const task of fixture.regions[REGION]!.clusters[0]!.tasks) task.containers[1]!.imageDigest = OLD;
    server.fixture = fixture;
    const result = await runCli(['audit', 'ecs', '--region', REGION, '--format', 'json'], awsEnv(server.url));
    const doc = JSON.parse(result.stdout) as { findings: Finding[] };
    const rules = doc.findings.filter((f) => f.location.path.endsWith('#aws-otel-collector')).map((f) => f.ruleId);
    expect(rules).toEqual(['latest-tag', 'tag-moved-since-deploy', 'version-consistency-disabled', 'mutable-repository']);
    expect(doc.findings.find((f) => f.ruleId === 'tag-moved-since-deploy')?.message).toContain('on 10 of 10 tasks');
  });

  it('never prints the SDK\'s NodeVersionSupportWarning, nor anything about credentials', async () => {
    const result = await runCli(['audit', 'ecs', '--region', REGION], awsEnv(server.url));
    expect(result.stderr).not.toMatch(/NodeVersionSupportWarning|Warning/);
    expect(`${result.stdout}${result.stderr}`).not.toContain('fake/secret/key');
    expect(`${result.stdout}${result.stderr}`).not.toContain(KEY);
  });
});

describe('imagedrift audit ecs: faults', () => {
  it('AccessDenied on one cluster: an audit-incomplete finding for it, the rest completes, exit 3', async () => {
    const fixture = otelFixture();
    const region = fixture.regions[REGION]!;
    region.clusters.push({ name: 'restricted', services: [{ name: 'ledger', taskDefinition: region.taskDefinitions[0]!.arn }], tasks: [] });
    server.fixture = fixture;
    server.faults = { accessDenied: { clusters: ['restricted'] } };
    const result = await runCli(['audit', 'ecs', '--region', REGION], awsEnv(server.url));
    expect(result.code).toBe(3);
    const lines = result.stdout.split('\n');
    expect(lines).toContain(
      `ecs://${ACCOUNT}/${REGION}/restricted: warning Audit incomplete: AccessDeniedException on ListServices (User: arn:aws:iam::${ACCOUNT}:user/imagedrift-test is not authorized to perform: ecs:ListServices on resource: ${clusterArn(REGION, ACCOUNT, 'restricted')} because no identity-based policy allows the ecs:ListServices action): services and tasks of this cluster may be missing from the audit [audit-incomplete]`,
    );
    // The other cluster was audited in full.
    expect(lines.filter((l) => l.includes('[fleet-drift]'))).toHaveLength(1);
    expect(result.stderr).toBe('imagedrift: the audit is incomplete: 2 scopes could not be read (see the audit-incomplete findings)\n');
  });

  it('AccessDenied on a whole region: reported at ecs://<account>/<region>, the other region completes', async () => {
    const fixture = otelFixture();
    fixture.regions['eu-west-1'] = { clusters: [], taskDefinitions: [] };
    server.fixture = fixture;
    server.faults = { accessDenied: { regions: ['eu-west-1'] } };
    const result = await runCli(['audit', 'ecs', '--region', REGION, '--region', 'eu-west-1', '--format', 'json'], awsEnv(server.url));
    expect(result.code).toBe(3);
    const doc = JSON.parse(result.stdout) as { findings: Finding[]; errors: string[] };
    const incomplete = doc.findings.filter((f) => f.ruleId === 'audit-incomplete');
    expect(incomplete.map((f) => f.location.path)).toEqual([`ecs://${ACCOUNT}/eu-west-1`]);
    expect(incomplete[0]!.message).toMatch(/^Audit incomplete: AccessDeniedException on ListClusters \(.*\): nothing in this region was audited$/);
    expect(doc.errors).toEqual([`ecs://${ACCOUNT}/eu-west-1: not audited: AccessDeniedException on ListClusters`]);
    expect(doc.findings.some((f) => f.ruleId === 'fleet-drift')).toBe(true);
  });

  it('a role per account: a role that cannot be assumed makes its account incomplete, the other account completes', async () => {
    const denied = 'arn:aws:iam::210987654321:role/imagedrift-audit';
    const allowed = `arn:aws:iam::${ACCOUNT}:role/imagedrift-audit`;
    server.faults = { accessDenied: { roles: [denied] }, validAccessKeys: [KEY] };
    const result = await runCli(['audit', 'ecs', '--region', REGION, '--role-arn', allowed, '--role-arn', denied, '--format', 'json'], awsEnv(server.url));
    expect(result.code).toBe(3);
    const doc = JSON.parse(result.stdout) as { findings: Finding[] };
    const incomplete = doc.findings.filter((f) => f.ruleId === 'audit-incomplete');
    expect(incomplete).toHaveLength(1);
    expect(incomplete[0]).toMatchObject({ location: { path: 'ecs://210987654321' } });
    expect(incomplete[0]!.message).toMatch(/^Audit incomplete: AccessDenied on AssumeRole \(.*sts:AssumeRole.*\): nothing in this account was audited$/);
    expect(doc.findings.some((f) => f.ruleId === 'fleet-drift')).toBe(true);
    // Every ECS and ECR call was signed with the assumed role's temporary key, never the base key.
    const others = server.requests.filter((r) => r.service !== 'sts');
    expect(others.length).toBeGreaterThan(0);
    expect(others.every((r) => r.accessKeyId?.startsWith('ASIAFAKE'))).toBe(true);
    expect(server.count('AssumeRole')).toBe(2);
  });

  it('missing credentials: one clear message, exit 2, nothing sent', async () => {
    const result = await runCli(['audit', 'ecs', '--region', REGION], awsEnv(server.url, { AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined }));
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    const lines = result.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^imagedrift: No usable AWS credentials: .*Configure credentials \(environment, --profile, SSO login, or an instance\/task role\)\.$/);
    expect(server.requests).toHaveLength(0);
  });

  it('expired credentials: one clear message, exit 2', async () => {
    server.faults = { expiredAccessKeys: [KEY] };
    const result = await runCli(['audit', 'ecs', '--region', REGION], awsEnv(server.url));
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      'imagedrift: AWS credentials have expired (ExpiredTokenException: The security token included in the request is expired). Refresh them (e.g. `aws sso login`) and retry.\n',
    );
  });

  it('takes the region from the environment when --region is not given', async () => {
    const result = await runCli(['audit', 'ecs', '--format', 'json'], awsEnv(server.url, { AWS_REGION: REGION }));
    expect(result.code).toBe(1);
    expect(server.count('ListClusters', REGION)).toBe(1);
  });

  it('usage errors exit 2: no region anywhere, a bad role ARN, --from-snapshot with live flags', async () => {
    const noRegion = await runCli(['audit', 'ecs'], awsEnv(server.url));
    expect(noRegion).toMatchObject({ code: 2, stdout: '' });
    expect(noRegion.stderr).toContain('no region: pass --region');
    const badRole = await runCli(['audit', 'ecs', '--region', REGION, '--role-arn', 'admin'], awsEnv(server.url));
    expect(badRole.code).toBe(2);
    expect(badRole.stderr).toContain('expected a role ARN');
    const mixed = await runCli(['audit', 'ecs', '--from-snapshot', 'x.json', '--region', REGION], awsEnv(server.url));
    expect(mixed.code).toBe(2);
    expect(mixed.stderr).toBe('imagedrift: --from-snapshot judges a saved snapshot and reads nothing from AWS: drop --region\n');
    const notSnapshot = join(work, 'not-a-snapshot.json');
    writeFileSync(notSnapshot, '{"schema": "imagedrift.scan/v1"}');
    const bad = await runCli(['audit', 'ecs', '--from-snapshot', notSnapshot], awsEnv(server.url));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe(`imagedrift: ${notSnapshot}: not an imagedrift ECS snapshot: \`schema\` is "imagedrift.scan/v1", expected "imagedrift.snapshot/v1"\n`);
    expect(server.requests).toHaveLength(0);
  });
});

describe('imagedrift audit ecs: progress', () => {
  it('keeps a progress line on stderr when it is a terminal, and erases it', async () => {
    // util-linux `script` gives the CLI a pseudo-terminal for stdout and stderr.
    const command = [process.execPath, join(root, 'bin', 'imagedrift.js'), 'audit', 'ecs', '--region', REGION, '--no-color'].map((a) => `'${a}'`).join(' ');
    const result = await new Promise<CliResult>((resolve, reject) => {
      const child = spawn('script', ['-qfec', command, '/dev/null'], { env: awsEnv(server.url) as NodeJS.ProcessEnv });
      let stdout = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr: '' }));
    });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/\r\u001b\[Kauditing ECS: clusters \d+\/1, services \d+\/\d+, tasks \d+\/\d+/);
    expect(result.stdout).toContain('auditing ECS: clusters 1/1, services 1/1, tasks 10/10');
    // Erased before the report: the first finding starts on a clean line.
    expect(result.stdout).toMatch(/\r\u001b\[Kecs:\/\/123456789012\/us-east-1\/prod\/checkout#aws-otel-collector: error/);
  });

  it('writes nothing but the report when stderr is not a terminal', async () => {
    const result = await runCli(['audit', 'ecs', '--region', REGION], awsEnv(server.url));
    expect(result.stderr).toBe('');
    expect(result.stdout).not.toContain('auditing ECS');
  });
});

describe('imagedrift audit ecs: snapshots', () => {
  it('--snapshot then --from-snapshot gives identical findings with no network at all', async () => {
    const file = join(work, 'tonight.json');
    const live = await runCli(['audit', 'ecs', '--region', REGION, '--snapshot', file, '--format', 'json'], awsEnv(server.url));
    expect(live.code).toBe(1);
    const snapshot = JSON.parse(readFileSync(file, 'utf8')) as EcsSnapshot;
    expect(snapshot.schema).toBe('imagedrift.snapshot/v1');
    expect(snapshot.accounts).toEqual([{ accountId: ACCOUNT }]);
    expect(snapshot.images?.[`${ECR}/aws-otel-collector:latest`]).toEqual({
      source: 'ecr',
      checkedAt: expect.stringMatching(/^\d{4}-/),
      current: { digest: NEW, versionTag: 'v0.29.0' },
      digests: { [OLD]: { exists: true, versionTag: 'v0.28.0' }, [NEW]: { exists: true, versionTag: 'v0.29.0' } },
    });
    expect(snapshot.taskDefinitions[taskDefinitionArn(REGION, ACCOUNT, 'checkout', 7)]?.containers[1]).toEqual({
      name: 'aws-otel-collector',
      image: `${ECR}/aws-otel-collector:latest`,
      essential: true,
      versionConsistency: 'disabled',
    });

    // Offline: every endpoint points at a closed port, and the fake server must see nothing.
    const closed = `http://127.0.0.1:${await freePort()}`;
    server.reset();
    const offline = await runCli(['audit', 'ecs', '--from-snapshot', file, '--format', 'json'], awsEnv(closed, { AWS_ENDPOINT_URL: closed }));
    expect(server.requests).toHaveLength(0);
    expect(offline.code).toBe(live.code);
    expect(offline.stderr).toBe('');
    expect(JSON.parse(offline.stdout)).toEqual(JSON.parse(live.stdout));
  });

  it('several reports from one run, as scan writes them; an unwritable snapshot is a usage error', async () => {
    const dir = join(work, 'reports');
    const result = await runCli(['audit', 'ecs', '--region', REGION, '--format', 'text', '--format', `json=${dir}/audit.json`, '--format', `markdown=${dir}/audit.md`], awsEnv(server.url));
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('[fleet-drift]');
    expect((JSON.parse(readFileSync(join(dir, 'audit.json'), 'utf8')) as { findings: Finding[] }).findings).toHaveLength(6);
    expect(readFileSync(join(dir, 'audit.md'), 'utf8')).toContain('fleet-drift');
    const bad = await runCli(['audit', 'ecs', '--region', REGION, '--snapshot', join(work, 'no-such-dir', 'x.json')], awsEnv(server.url));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe(`imagedrift: ${join(work, 'no-such-dir', 'x.json')}: cannot write the snapshot: ENOENT\n`);
  });
});
