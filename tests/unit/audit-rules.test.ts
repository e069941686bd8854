// The audit's pure parts: tag mutability with exclusion filters, version tags, the wanted
// references of a snapshot, the minimum DescribeImages arithmetic, snapshot validation, the
// progress line, the summary line, the live rules' edges, and the SDK warning filter.
import { describe, expect, it } from 'vitest';
import { auditResult, incompleteLocation, judgeSnapshot } from '../../src/audit/judge.js';
import { progressDisplay, progressLine } from '../../src/audit/progress.js';
import type { AuditProgress } from '../../src/audit/collect.js';
import { bestVersionTag, wantedReferences } from '../../src/audit/registry-facts.js';
import { snapshotProblem } from '../../src/audit/snapshot-file.js';
import { auditSummaryLine, silenceSdkNodeVersionWarning } from '../../src/cli/audit.js';
import type { ImageRef } from '../../src/core/types.js';
import { loadDefaultPolicy } from '../../src/policy/load.js';
import { judge } from '../../src/rules/engine.js';
import { tagOverwritable, wildcardMatches } from '../../src/rules/mutable-repository.js';
import { minimumDescribeImagesCalls, SNAPSHOT_SCHEMA } from '../../src/sources/ecs-live.js';
import type { EcsSnapshot, SnapshotTask } from '../../src/sources/ecs-live.js';

const policy = loadDefaultPolicy();
const ACCOUNT = '123456789012';
const ECR = `${ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com`;
const d = (prefix: string) => `sha256:${prefix.padEnd(64, '0')}`;

function snapshot(partial: Partial<EcsSnapshot> = {}): EcsSnapshot {
  return {
    schema: SNAPSHOT_SCHEMA,
    source: 'ecs',
    startedAt: '2025-06-02T02:00:00.000Z',
    finishedAt: '2025-06-02T02:00:10.000Z',
    serverTime: '2025-06-02T02:00:09.000Z',
    scope: { regions: ['us-east-1'], clusters: [], services: [] },
    clusters: [],
    taskDefinitions: {},
    serviceRevisions: {},
    repositories: [],
    incomplete: [],
    calls: {},
    ...partial,
  };
}

const TD = `arn:aws:ecs:us-east-1:${ACCOUNT}:task-definition/app:1`;
function oneService(opts: { image: string; versionConsistency?: string; digests: string[]; revisionDigest?: string; images?: EcsSnapshot['images'] }): EcsSnapshot {
  const tasks: SnapshotTask[] = opts.digests.map((digest, i) => ({ arn: `arn:aws:ecs:us-east-1:${ACCOUNT}:task/prod/t${i}`, taskDefinitionArn: TD, group: 'service:app', containers: [{ name: 'app', image: opts.image, imageDigest: digest }] }));
  const rev = `arn:aws:ecs:us-east-1:${ACCOUNT}:service-revision/prod/app/1`;
  return snapshot({
    clusters: [
      {
        arn: `arn:aws:ecs:us-east-1:${ACCOUNT}:cluster/prod`,
        name: 'prod',
        region: 'us-east-1',
        accountId: ACCOUNT,
        services: [{ arn: 'svc', name: 'app', taskDefinition: TD, deployments: [{ status: 'PRIMARY', taskDefinition: TD }], serviceRevisionArns: opts.revisionDigest ? [rev] : [], tasks }],
        standaloneTasks: [],
      },
    ],
    taskDefinitions: { [TD]: { arn: TD, containers: [{ name: 'app', image: opts.image, essential: true, ...(opts.versionConsistency ? { versionConsistency: opts.versionConsistency } : {}) }] } },
    serviceRevisions: opts.revisionDigest ? { [rev]: { arn: rev, taskDefinition: TD, containerImages: [{ containerName: 'app', image: opts.image, imageDigest: opts.revisionDigest }] } } : {},
    ...(opts.images ? { images: opts.images } : {}),
  });
}

describe('ECR tag mutability', () => {
  it('matches WILDCARD filters: `*` is any run of characters, everything else literal', () => {
    expect(wildcardMatches('latest', 'latest')).toBe(true);
    expect(wildcardMatches('latest', 'latest-1')).toBe(false);
    expect(wildcardMatches('release-*', 'release-7')).toBe(true);
    expect(wildcardMatches('release-*', 'prerelease-7')).toBe(false);
    expect(wildcardMatches('*-dev', 'feature.x-dev')).toBe(true);
    expect(wildcardMatches('v1.*', 'v1x2')).toBe(false); // `.` is a dot
    expect(wildcardMatches('*', 'anything')).toBe(true);
  });

  it.each([
    ['MUTABLE', [], 'latest', true],
    [undefined, [], 'latest', true],
    ['IMMUTABLE', [], 'latest', false],
    ['IMMUTABLE_WITH_EXCLUSION', ['latest'], 'latest', true],
    ['IMMUTABLE_WITH_EXCLUSION', ['latest', 'dev-*'], 'dev-3', true],
    ['IMMUTABLE_WITH_EXCLUSION', ['latest'], '1.2.3', false],
    ['MUTABLE_WITH_EXCLUSION', ['v*'], 'v1.2.3', false],
    ['MUTABLE_WITH_EXCLUSION', ['v*'], 'latest', true],
    ['MUTABLE_WITH_EXCLUSION', [], 'latest', true],
  ] as const)('%s %j: `%s` overwritable = %s', (mutability, filters, tag, expected) => {
    const verdict = tagOverwritable(tag, mutability, filters.map((filter) => ({ filterType: 'WILDCARD', filter })));
    expect(verdict.overwritable).toBe(expected);
    expect(verdict.why).toMatch(/^is /);
  });
});

describe('version tags of an image', () => {
  it('prefers the most specific, then the newest, never the declared tag, with the declared suffix', () => {
    expect(bestVersionTag(['latest', '0.29', 'v0.29.0', '0'], 'latest')).toBe('v0.29.0');
    expect(bestVersionTag(['1.2', '1'], 'latest')).toBe('1.2');
    expect(bestVersionTag(['1.2.3', 'latest'], '1.2.3')).toBeUndefined();
    expect(bestVersionTag(['1.25.3-alpine', '1.25.3', '1.25-alpine'], '1.25-alpine')).toBe('1.25.3-alpine');
    expect(bestVersionTag(['stable', 'main'], 'stable')).toBeUndefined();
  });
});

describe('the references a snapshot asks the registries about', () => {
  it('one per declared reference, with every digest tasks run, revisions resolved or the reference pins', () => {
    const snap = oneService({ image: `${ECR}/app:latest`, digests: [d('aa'), d('bb'), d('aa')], revisionDigest: d('cc') });
    snap.taskDefinitions[TD]!.containers.push({ name: 'pinned', image: `${ECR}/lib@${d('dd')}` }, { name: 'tpl', image: '${REGISTRY}/x:1' });
    const wanted = wantedReferences(snap);
    expect([...wanted.keys()].sort()).toEqual([`${ECR}/app:latest`, `${ECR}/lib@${d('dd')}`]);
    expect([...wanted.get(`${ECR}/app:latest`)!.digests].sort()).toEqual([d('aa'), d('bb'), d('cc')]);
    expect([...wanted.get(`${ECR}/lib@${d('dd')}`)!.digests]).toEqual([d('dd')]);
    expect(wanted.get(`${ECR}/app:latest`)!.account).toBe(ACCOUNT);
  });
});

describe('minimum DescribeImages calls', () => {
  it.each([
    [0, 0, false, 0],
    [3, 0, false, 1],
    [3, 1, false, 2],
    [3, 2, false, 3],
    [2, 2, false, 2], // every id missing: the last one costs no extra call
    [100, 0, false, 1],
    [101, 0, false, 2],
    [150, 1, false, 3],
    [5, 0, true, 1],
  ])('%i ids, %i missing, repository missing %s: %i', (ids, missing, gone, calls) => {
    expect(minimumDescribeImagesCalls(ids, missing, gone)).toBe(calls);
  });
});

describe('snapshot files', () => {
  it('accepts a snapshot and says what is wrong with anything else', () => {
    expect(snapshotProblem(snapshot())).toBeUndefined();
    expect(snapshotProblem([])).toBe('not a JSON object');
    expect(snapshotProblem({ ...snapshot(), schema: 'imagedrift.snapshot/v2' })).toBe('`schema` is "imagedrift.snapshot/v2", expected "imagedrift.snapshot/v1"');
    expect(snapshotProblem({ ...snapshot(), clusters: {} })).toBe('`clusters` is not a list');
    expect(snapshotProblem({ ...snapshot(), clusters: [{ arn: 'x', services: [{}], standaloneTasks: [] }] })).toMatch(/^`clusters\[0\]\.services\[0\]` is not a service/);
    expect(snapshotProblem({ ...snapshot(), taskDefinitions: { a: {} } })).toBe('`taskDefinitions["a"]` has no `containers` list');
  });
});

describe('the live rules at their edges', () => {
  const images = (current: string, digests: Record<string, { exists?: boolean; versionTag?: string }>) => ({
    [`${ECR}/app:2.1.0`]: { source: 'ecr' as const, current: { digest: current }, digests },
  });

  it('one build everywhere, still what the tag names: no live finding', () => {
    const snap = oneService({ image: `${ECR}/app:2.1.0`, digests: [d('aa'), d('aa')], images: images(d('aa'), { [d('aa')]: { exists: true } }) });
    expect(judgeSnapshot(snap, policy).map((f) => f.ruleId)).toEqual(['undigested-tag']);
  });

  it('a deployment resolved a digest that is gone, no task runs it yet: running-digest-missing, as deployed', () => {
    const snap = oneService({ image: `${ECR}/app:2.1.0`, digests: [], revisionDigest: d('cc'), images: images(d('aa'), { [d('cc')]: { exists: false } }) });
    const findings = judgeSnapshot(snap, policy);
    expect(findings.map((f) => f.ruleId)).toEqual(['undigested-tag', 'tag-moved-since-deploy', 'running-digest-missing']);
    expect(findings[1]!.message).toContain(`at ${d('cc').slice(0, 19)}… (resolved by the current deployment), but \`2.1.0\` now points at`);
    expect(findings[2]!.message).toContain('is deployed with sha256:cc0000000000… (the current deployment), which the registry no longer has');
    expect(findings[2]!.message).toContain('will fail to pull it (CannotPullContainerError)');
  });

  it('versionConsistency disabled: a missing running digest means the next task pulls the tag anew', () => {
    const snap = oneService({ image: `${ECR}/app:2.1.0`, versionConsistency: 'disabled', digests: [d('bb')], images: images(d('aa'), { [d('bb')]: { exists: false } }) });
    const missing = judgeSnapshot(snap, policy).find((f) => f.ruleId === 'running-digest-missing')!;
    expect(missing.message).toMatch(/the next scale-out or task replacement will pull `2\.1\.0` as it is now, a different build, and this one cannot be restored$/);
    // An exact version is not floating: versionConsistency disabled is not reported for it.
    expect(judgeSnapshot(snap, policy).some((f) => f.ruleId === 'version-consistency-disabled')).toBe(false);
  });

  it('registry facts that failed: nothing is claimed about the registry, drift in the tasks still is', () => {
    const snap = oneService({ image: `${ECR}/app:2.1.0`, digests: [d('aa'), d('bb')] });
    snap.images = { [`${ECR}/app:2.1.0`]: { source: 'ecr', digests: {}, failure: 'AccessDeniedException: no' } };
    expect(judgeSnapshot(snap, policy).map((f) => f.ruleId)).toEqual(['undigested-tag', 'fleet-drift']);
  });

  it('the live rules say nothing in a file scan (no live facts)', () => {
    const ref: ImageRef = {
      raw: `${ECR}/app:latest`,
      format: 'ecs-task-definition',
      location: { path: 'task.json', line: 3, column: 17, endLine: 3, endColumn: 60 },
      range: { start: 40, end: 83 },
      style: 'json',
      workload: { kind: 'TaskDefinition', name: 'app' },
      container: { name: 'app', role: 'app' },
    };
    expect(judge([ref], policy).map((f) => f.ruleId)).toEqual(['latest-tag']);
  });

  it('policy: a rule turned off and a sidecar severity apply to audit findings too', () => {
    const snap = oneService({ image: `${ECR}/app:latest`, digests: [d('aa'), d('bb')] });
    const off = { ...policy, rules: { ...policy.rules, 'fleet-drift': { severity: 'off' as const } } };
    expect(judgeSnapshot(snap, off).map((f) => f.ruleId)).toEqual(['latest-tag']);
    const note = { ...policy, rules: { ...policy.rules, 'fleet-drift': { severity: 'note' as const } } };
    expect(judgeSnapshot(snap, note).find((f) => f.ruleId === 'fleet-drift')?.severity).toBe('note');
  });
});

describe('audit-incomplete locations', () => {
  const snap = snapshot({ accounts: [{ accountId: ACCOUNT }] });
  it.each([
    [{ scope: 'account', id: '210987654321' }, 'ecs://210987654321'],
    [{ scope: 'region', id: 'eu-west-1', region: 'eu-west-1' }, `ecs://${ACCOUNT}/eu-west-1`],
    [{ scope: 'cluster', id: `arn:aws:ecs:eu-west-1:${ACCOUNT}:cluster/b` }, `ecs://${ACCOUNT}/eu-west-1/b`],
    [{ scope: 'service-revisions', id: `arn:aws:ecs:eu-west-1:${ACCOUNT}:service/b/api` }, `ecs://${ACCOUNT}/eu-west-1/b/api`],
    [{ scope: 'service-revisions', id: `arn:aws:ecs:eu-west-1:${ACCOUNT}:service-revision/b/api/77` }, `ecs://${ACCOUNT}/eu-west-1/b/api`],
    [{ scope: 'task-definition', id: `arn:aws:ecs:eu-west-1:${ACCOUNT}:task-definition/x:3` }, `ecs://${ACCOUNT}/eu-west-1/task-definition/x:3`],
    [{ scope: 'ecr-registry', id: `${ACCOUNT}/eu-west-1` }, `ecr://${ACCOUNT}/eu-west-1`],
    [{ scope: 'registry', id: `${ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/team/app` }, `ecr://${ACCOUNT}/eu-west-1/team/app`],
    [{ scope: 'registry', id: 'docker.io/library/nginx' }, 'oci://docker.io/library/nginx'],
  ] as const)('%j -> %s', (entry, location) => {
    expect(incompleteLocation({ operation: 'X', code: 'Y', reason: 'Z', ...entry }, snap)).toBe(location);
  });
});

describe('the progress line on stderr', () => {
  const p = (over: Partial<AuditProgress>): AuditProgress => ({
    phase: 'tasks',
    clustersTotal: 3,
    clustersDone: 1,
    servicesTotal: 300,
    servicesDone: 120,
    tasksTotal: 3007,
    tasksDone: 1500,
    identity: 1,
    identities: 1,
    registryDone: 0,
    registryTotal: 0,
    ...over,
  });

  it('reads clusters, services and tasks done', () => {
    expect(progressLine(p({}))).toBe('auditing ECS: clusters 1/3, services 120/300, tasks 1500/3007');
    expect(progressLine(p({ identity: 2, identities: 3, registryDone: 2, registryTotal: 6 }))).toBe('auditing ECS (account 2/3): clusters 1/3, services 120/300, tasks 1500/3007, registry 2/6');
  });

  it('is redrawn in place on a TTY, at most every interval, and erased at the end', () => {
    const written: string[] = [];
    let t = 0;
    const display = progressDisplay({ isTTY: true, write: (s) => written.push(s) > 0 }, { intervalMs: 100, now: () => t });
    display.update(p({}));
    t = 50;
    display.update(p({ tasksDone: 1600 })); // too soon, same phase: skipped
    t = 150;
    display.update(p({ tasksDone: 1700 }));
    t = 160;
    display.update(p({ phase: 'done', tasksDone: 3007 })); // a new phase is always drawn
    display.done();
    expect(written).toEqual([
      '\r\u001b[Kauditing ECS: clusters 1/3, services 120/300, tasks 1500/3007',
      '\r\u001b[Kauditing ECS: clusters 1/3, services 120/300, tasks 1700/3007',
      '\r\u001b[Kauditing ECS: clusters 1/3, services 120/300, tasks 3007/3007',
      '\r\u001b[K',
    ]);
  });

  it('prints a whole line at most every 10 s when stderr is not a terminal (CI logs), and one while updates stall', () => {
    const written: string[] = [];
    let t = 1_000_000;
    let tick: (() => void) | undefined;
    let stopped = false;
    const display = progressDisplay(
      { isTTY: false, write: (s) => written.push(s) > 0 },
      { now: () => t, every: (ms, f) => ((tick = f), expect(ms).toBe(10_000), () => void (stopped = true)) },
    );
    display.update(p({})); // at the start: nothing yet
    t += 4_000;
    display.update(p({ tasksDone: 1600 }));
    t += 6_000; // 10 s since the start
    display.update(p({ tasksDone: 1700 }));
    t += 9_999;
    display.update(p({ tasksDone: 1800 })); // 9.999 s after the last line: not yet
    tick!(); // the timer fires too early as well: nothing
    t += 1;
    tick!(); // 10 s since the last line, no update since: the latest state again, so the log shows the job alive
    t += 10_000;
    display.update(p({ tasksDone: 3007, phase: 'done' }));
    display.done();
    expect(written).toEqual([
      'auditing ECS: clusters 1/3, services 120/300, tasks 1700/3007 (10s)\n',
      'auditing ECS: clusters 1/3, services 120/300, tasks 1800/3007 (20s)\n',
      'auditing ECS: clusters 1/3, services 120/300, tasks 3007/3007 (30s)\n',
    ]);
    expect(stopped).toBe(true);
  });

  it('prints nothing with --progress none, and redraws in place with --progress tty even when not a terminal', () => {
    const written: string[] = [];
    const none = progressDisplay({ isTTY: true, write: (s) => written.push(s) > 0 }, { mode: 'none' });
    none.update(p({}));
    none.done();
    expect(written).toEqual([]);
    const tty = progressDisplay({ isTTY: false, write: (s) => written.push(s) > 0 }, { mode: 'tty', now: () => 0 });
    tty.update(p({}));
    tty.done();
    expect(written).toEqual(['\r\u001b[Kauditing ECS: clusters 1/3, services 120/300, tasks 1500/3007', '\r\u001b[K']);
  });
});

describe('the text summary line', () => {
  it('counts services, tasks and references, with the AWS time and any incomplete scope', () => {
    const snap = oneService({ image: `${ECR}/app:latest`, digests: [d('aa'), d('bb')] });
    snap.incomplete.push({ scope: 'region', id: 'eu-west-1', region: 'eu-west-1', operation: 'ListClusters', code: 'AccessDeniedException', reason: 'no' });
    const { result, stats } = auditResult(snap, policy);
    expect(auditSummaryLine(result, stats)).toBe(
      '3 findings (2 errors, 1 warning, 0 notes) in 1 service; 2 tasks, 1 image reference across 1 cluster, 1 region, 1 account, as of 2025-06-02T02:00:09.000Z (AWS time); incomplete: 1 scope not read',
    );
  });
});

describe('the NodeVersionSupportWarning filter', () => {
  it('drops only the SDK\'s Node.js version warning', () => {
    const seen: unknown[] = [];
    const original = process.emitWarning;
    process.emitWarning = ((w: unknown) => void seen.push(w)) as typeof process.emitWarning;
    try {
      silenceSdkNodeVersionWarning();
      process.emitWarning('NodeVersionSupportWarning: The AWS SDK for JavaScript (v3) …');
      process.emitWarning('something else');
      silenceSdkNodeVersionWarning(); // idempotent
      process.emitWarning('NodeVersionSupportWarning: again');
    } finally {
      process.emitWarning = original;
    }
    expect(seen).toEqual(['something else']);
  });
});
