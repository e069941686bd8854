// The built CLI's memory across runs: `scan --baseline --new-only` adopts the gate on a backlog,
// `audit ecs --from-snapshot --baseline` marks new drift, `imagedrift diff` on two reports exits 1
// on new drift, and `imagedrift merge` refuses overlapping shards (exit 2) and reports missing
// ones as audit-incomplete (exit 3).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OTEL_028, OTEL_029, shardSnapshot, writeJson } from '../helpers/snapshots.js';

const bin = join(import.meta.dirname, '..', '..', 'bin', 'imagedrift.js');

function cli(args: string[], cwd: string) {
  const result = spawnSync(process.execPath, [bin, ...args], { cwd, encoding: 'utf8', env: { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1' } });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const TASK = (images: string[]) =>
  `{\n  "family": "api",\n  "containerDefinitions": [\n${images.map((image, i) => `    {"name": "c${i}", "image": "${image}"}`).join(',\n')}\n  ]\n}\n`;

describe('scan --baseline', () => {
  it('--new-only: a backlog of errors passes, a new error fails, and the reports mark it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'imagedrift-cli-baseline-'));
    mkdirSync(join(dir, '.git'));
    writeFileSync(join(dir, '.git', 'HEAD'), 'ref: refs/heads/main\n');
    writeFileSync(join(dir, 'task.json'), TASK(['nginx:latest', 'redis:latest']));
    const first = cli(['scan', '--format', 'json=base.json', '--format', 'sarif=base.sarif', '.'], dir);
    expect(first.code).toBe(1);
    // The backlog alone, lines moved: exit 0 with --new-only, 1 without.
    writeFileSync(join(dir, 'task.json'), `\n\n${TASK(['nginx:latest', 'redis:latest'])}`);
    expect(cli(['scan', '--baseline', 'base.json', '--new-only', '.'], dir).code).toBe(0);
    expect(cli(['scan', '--baseline', 'base.sarif', '--new-only', '.'], dir).code).toBe(0);
    expect(cli(['scan', '--baseline', 'base.json', '.'], dir).code).toBe(1);
    // A new floating reference fails the gate, and is the one marked new.
    writeFileSync(join(dir, 'task.json'), TASK(['nginx:latest', 'redis:latest', 'busybox:latest']));
    const gate = cli(['scan', '--baseline', 'base.json', '--new-only', '--format', 'text', '--format', 'json=now.json', '.'], dir);
    expect(gate.code).toBe(1);
    expect(gate.stdout).toContain('task.json:6:30: error (new) Container `c2`');
    expect(gate.stdout).toMatch(/; 1 new, 2 existing, 0 fixed since base\.json\n$/);
    const now = JSON.parse(readFileSync(join(dir, 'now.json'), 'utf8'));
    expect(now.findings.map((f: any) => f.baseline)).toEqual(['existing', 'existing', 'new']);
    expect(now.baseline).toMatchObject({ file: 'base.json', new: 1, existing: 2, fixedCount: 0, newBySeverity: { error: 1, warning: 0, note: 0 } });
  });

  it('usage errors: --new-only without --baseline, a baseline that is not a report', () => {
    const dir = mkdtempSync(join(tmpdir(), 'imagedrift-cli-baseline-'));
    writeFileSync(join(dir, 'task.json'), TASK(['nginx:1.25.3']));
    writeFileSync(join(dir, 'other.json'), '{"hello": 1}');
    const noBase = cli(['scan', '--new-only', '.'], dir);
    expect(noBase.code).toBe(2);
    expect(noBase.stderr).toContain('imagedrift: --new-only needs --baseline FILE');
    const bad = cli(['scan', '--baseline', 'other.json', '.'], dir);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('imagedrift: --baseline other.json: not an imagedrift JSON report');
  });
});

describe('audit, diff and merge on snapshots', () => {
  function nights(dir: string) {
    return {
      one: writeJson(join(dir, 'night1.json'), shardSnapshot({ services: 4 })),
      two: writeJson(join(dir, 'night2.json'), shardSnapshot({ services: 4, otel: (i) => (i === 0 ? OTEL_029 : OTEL_028), serverTime: '2025-06-03T02:00:09.000Z' })),
    };
  }

  it('audit ecs --from-snapshot --baseline: the same fleet is all existing; drift is listed with its versions', () => {
    const dir = mkdtempSync(join(tmpdir(), 'imagedrift-cli-audit-'));
    const { one, two } = nights(dir);
    const same = cli(['audit', 'ecs', '--from-snapshot', one, '--baseline', one, '--new-only'], dir);
    expect(same.code).toBe(0);
    expect(same.stdout).toMatch(/; 0 new, 16 existing, 0 fixed since .*night1\.json\n$/);
    const drift = cli(['audit', 'ecs', '--from-snapshot', two, '--baseline', one, '--format', 'text', '--format', 'json=audit.json'], dir);
    expect(drift.stdout).toContain('drifted: aws-otel-collector in 1 service: v0.28.0 → v0.29.0 since 2025-06-02T02:00:09.000Z, 3 services still on v0.28.0');
    const json = JSON.parse(readFileSync(join(dir, 'audit.json'), 'utf8'));
    expect(json.live.inventory).toHaveLength(4);
    expect(json.baseline.deploys).toEqual([expect.objectContaining({ kind: 'drifted', container: 'aws-otel-collector', from: [{ digest: OTEL_028, versionTag: 'v0.28.0' }], to: [{ digest: OTEL_029, versionTag: 'v0.29.0' }] })]);
  });

  it('imagedrift diff OLD NEW on two JSON reports: exit 1 on drift, 0 when nothing changed; markdown and json', () => {
    const dir = mkdtempSync(join(tmpdir(), 'imagedrift-cli-diff-'));
    const { one, two } = nights(dir);
    expect(cli(['audit', 'ecs', '--from-snapshot', one, '--format', 'json=r1.json', '--fail-on', 'never'], dir).code).toBe(0);
    expect(cli(['audit', 'ecs', '--from-snapshot', two, '--format', 'json=r2.json', '--fail-on', 'never'], dir).code).toBe(0);
    const diff = cli(['diff', 'r1.json', 'r2.json', '--format', 'text', '--format', 'markdown=diff.md', '--format', 'json=diff.json'], dir);
    expect(diff.code).toBe(1);
    expect(diff.stdout).toContain('New since r1.json (0):');
    expect(diff.stdout).toContain('Fixed (1):');
    expect(diff.stdout).toContain('drifted: aws-otel-collector in 1 service: v0.28.0 → v0.29.0');
    expect(readFileSync(join(dir, 'diff.md'), 'utf8')).toContain('- **drifted** aws-otel-collector in 1 service: v0.28.0 → v0.29.0');
    expect(JSON.parse(readFileSync(join(dir, 'diff.json'), 'utf8')).baseline.deploys).toHaveLength(1);
    expect(cli(['diff', 'r1.json', 'r1.json'], dir).code).toBe(0);
    expect(cli(['diff', 'r1.json'], dir).code).toBe(2);
  });

  it('imagedrift merge: one report from shards; overlaps exit 2 with nothing written; a missing shard exits 3', () => {
    const dir = mkdtempSync(join(tmpdir(), 'imagedrift-cli-merge-'));
    mkdirSync(join(dir, 'shards'));
    writeJson(join(dir, 'shards', '111111111111-us-east-1.json'), shardSnapshot({ services: 3, account: '111111111111', region: 'us-east-1' }));
    writeJson(join(dir, 'shards', '111111111111-eu-west-1.json'), shardSnapshot({ services: 2, account: '111111111111', region: 'eu-west-1' }));
    const ok = cli(['merge', 'shards', '--snapshot', 'fleet.json', '--expect', '111111111111/us-east-1,eu-west-1', '--format', 'text', '--format', 'json=fleet-report.json', '--fail-on', 'never', '--progress', 'none'], dir);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('in 5 services; 10 tasks, 10 image references across 2 clusters, 2 regions, 1 account');
    expect(ok.stderr).toContain('imagedrift: merged 2 shards (2 clusters) into fleet.json');
    expect(JSON.parse(readFileSync(join(dir, 'fleet.json'), 'utf8')).shards).toHaveLength(2);
    expect(JSON.parse(readFileSync(join(dir, 'fleet-report.json'), 'utf8')).live.inventory).toHaveLength(5);

    const missing = cli(['merge', 'shards', '--expect', '111111111111,222222222222/us-east-1', '--fail-on', 'never', '--progress', 'none'], dir);
    expect(missing.code).toBe(3);
    expect(missing.stdout).toContain('ecs://222222222222/us-east-1: warning Audit incomplete: ShardMissing on merge');
    expect(missing.stderr).toContain('missing: 222222222222/us-east-1');

    writeJson(join(dir, 'shards', 'again.json'), shardSnapshot({ services: 1, account: '111111111111', region: 'us-east-1', cluster: 'other' }));
    const overlap = cli(['merge', 'shards', '--snapshot', 'fleet2.json', '--progress', 'none'], dir);
    expect(overlap.code).toBe(2);
    expect(overlap.stderr).toContain('both cover 111111111111/us-east-1: shards must not overlap');
    expect(existsSync(join(dir, 'fleet2.json'))).toBe(false);
  });
});
