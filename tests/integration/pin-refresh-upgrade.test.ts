// `imagedrift pin` beyond first pins, against a real OCI registry (Debian's docker-registry) holding
// images this test pushes with chosen `created` times: readable tags by default (--keep-tag keeps
// the written one), refreshing stale pins (--refresh, --only tag-moved), upgrades at each level
// (--upgrade, --prerelease), the policy's pin.minimumReleaseAge (proposals wait, with the time) and
// deny.versions (never proposed, reported as denied-version), and scan --resolve holding back young pins.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatTime } from '../../src/policy/release-age.js';
import { daysAgo, Pusher, startRegistry } from '../helpers/registry.js';
import type { PushedImage, PushedIndex, TestRegistry } from '../helpers/registry.js';

const root = join(import.meta.dirname, '..', '..');
let registry: TestRegistry;
let host: string;
let push: Pusher;
const app: Record<string, PushedImage> = {};
let fresh: PushedImage;
let undated: PushedImage;
let multi: PushedIndex;
const created: Record<string, string> = {};

function cli(args: string[], cwd: string) {
  const result = spawnSync(process.execPath, [join(root, 'bin', 'imagedrift.js'), ...args], { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', XDG_CACHE_HOME: mkdtempSync(join(tmpdir(), 'imagedrift-xdg-')) } });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function workdir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'imagedrift-pin-more-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

const pod = (...images: Array<[string, string]>) =>
  `apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n${images.map(([name, image]) => `    - name: ${name}\n      image: ${image}\n`).join('')}`;

beforeAll(async () => {
  registry = await startRegistry();
  host = registry.host;
  push = new Pusher(registry.url);
  const versions: Array<[string, number]> = [['1.2.3', 30], ['1.2.4', 20], ['1.2.5', 1], ['1.2.6-rc.1', 10], ['1.3.0', 15], ['2.0.0', 12]];
  for (const [tag, days] of versions) {
    created[tag] = daysAgo(days);
    app[tag] = await push.pushImage('team/app', [tag], undefined, { created: created[tag] });
  }
  created.fresh = daysAgo(0.5);
  fresh = await push.pushImage('team/fresh', ['v3.1.0', 'latest'], undefined, { created: created.fresh });
  undated = await push.pushImage('team/undated', ['1.0.0']);
  multi = await push.pushIndex('team/multi', ['2.0.0'], [{ os: 'linux', architecture: 'arm64' }, { os: 'linux', architecture: 'amd64' }], { created: daysAgo(10) });
  for (const [tag, days] of [['v0.28.0', 40], ['v0.29.0', 20], ['v0.29.1', 10]] as const) app[`otel:${tag}`] = await push.pushImage('otel/aws-otel-collector', [tag], undefined, { created: daysAgo(days) });
  await push.tag('otel/aws-otel-collector', app['otel:v0.29.0']!.digest, ['latest']);
}, 60_000);

afterAll(async () => registry?.stop());

describe('pin: readable tags', () => {
  it('writes the version tag that shares the digest by default, and keeps the written tag with --keep-tag', () => {
    const images = (tag: string): Array<[string, string]> => [['fresh', `${host}/team/fresh:${tag}`], ['bare', `${host}/team/fresh`]];
    const dir = workdir({ 'pod.yaml': pod(...images('latest')) });
    const readable = cli(['pin', '.'], dir);
    expect(readable.code).toBe(0);
    expect(readFileSync(join(dir, 'pod.yaml'), 'utf8')).toBe(pod(['fresh', `${host}/team/fresh:v3.1.0@${fresh.digest}`], ['bare', `${host}/team/fresh:v3.1.0@${fresh.digest}`]));

    const kept = workdir({ 'pod.yaml': pod(...images('latest')) });
    expect(cli(['pin', '--keep-tag', '.'], kept).code).toBe(0);
    expect(readFileSync(join(kept, 'pod.yaml'), 'utf8')).toBe(pod(['fresh', `${host}/team/fresh:latest@${fresh.digest}`], ['bare', `${host}/team/fresh@${fresh.digest}`]));
  }, 60_000);
});

describe('pin --refresh', () => {
  it('re-pins a tag@digest whose tag moved, only when asked, and names it a refresh', async () => {
    const old = await push.pushImage('team/web', ['stable', '1.0.0'], undefined, { created: daysAgo(9) });
    const moved = await push.pushImage('team/web', ['stable', '1.1.0'], undefined, { created: daysAgo(4) });
    const text = pod(['web', `${host}/team/web:stable@${old.digest}`], ['same', `${host}/team/app:1.2.3@${app['1.2.3']!.digest}`]);
    const dir = workdir({ 'pod.yaml': text });

    const plain = cli(['pin', '.'], dir);
    expect(plain.stdout).toContain('pinned 0 references in 0 files');
    expect(readFileSync(join(dir, 'pod.yaml'), 'utf8')).toBe(text);

    // --only tag-moved implies --refresh.
    const refreshed = cli(['pin', '--only', 'tag-moved', '.'], dir);
    expect(refreshed.code).toBe(0);
    expect(refreshed.stdout).toContain(`pod.yaml:7:14: ${host}/team/web:stable@${old.digest} -> ${host}/team/web:stable@${moved.digest} (refresh: the tag moved)`);
    expect(readFileSync(join(dir, 'pod.yaml'), 'utf8')).toBe(text.replace(old.digest, moved.digest));
    expect(cli(['pin', '--refresh', '--check', '.'], dir).code).toBe(0);
  }, 60_000);
});

describe('pin --upgrade', () => {
  it('moves exact versions to the newest release at the level asked, pinned by digest, pinned or not', () => {
    const text = pod(['a', `${host}/team/app:1.2.3`], ['b', `${host}/team/app:1.2.3@${app['1.2.3']!.digest}`]);
    const expectAt = (level: string, tag: string, extra: string[] = []) => {
      const dir = workdir({ 'pod.yaml': text });
      const run = cli(['pin', '--upgrade', level, ...extra, '.'], dir);
      expect(run.code, run.stdout + run.stderr).toBe(0);
      expect(readFileSync(join(dir, 'pod.yaml'), 'utf8')).toBe(pod(['a', `${host}/team/app:${tag}@${app[tag]!.digest}`], ['b', `${host}/team/app:${tag}@${app[tag]!.digest}`]));
      return run;
    };
    const patch = expectAt('patch', '1.2.5');
    expect(patch.stdout).toContain(`${host}/team/app:1.2.3 -> ${host}/team/app:1.2.5@${app['1.2.5']!.digest} (upgrade)`);
    // The other levels are the unit tests' (upgradeCandidates); a pre-release only when asked.
    expectAt('patch', '1.2.6-rc.1', ['--prerelease']);
  }, 60_000);

  it('refuses an unknown level', () => {
    const run = cli(['pin', '--upgrade', 'huge', '.'], workdir({}));
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("argument 'huge' is invalid. Allowed choices are patch, minor, major.");
  });
});

describe('pin.minimumReleaseAge', () => {
  const policy = 'pin:\n  minimumReleaseAge: 3d\n';

  it('never proposes a younger digest or version: an upgrade takes the newest old enough, and a young pin waits, saying until when', () => {
    const text = pod(['a', `${host}/team/app:1.2.3`], ['fresh', `${host}/team/fresh:latest`], ['undated', `${host}/team/undated:1.0.0`], ['multi', `${host}/team/multi:2.0.0`]);
    const dir = workdir({ '.imagedrift.yaml': policy, 'pod.yaml': text });
    const run = cli(['pin', '--upgrade', 'patch', '.'], dir);
    // Waiting is not a failure: the scheduled job stays green until the release is old enough.
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const until = (iso: string) => formatTime(Date.parse(iso) + 3 * 86_400_000);
    expect(run.stdout).toContain(`${host}/team/app:1.2.3 -> ${host}/team/app:1.2.4@${app['1.2.4']!.digest} (upgrade); the upgrade to 1.2.5: released ${formatTime(Date.parse(created['1.2.5']!))}, younger than \`pin.minimumReleaseAge\` 3d: waits until ${until(created['1.2.5']!)}`);
    expect(run.stdout).toContain('waiting 2 references:');
    expect(run.stdout).toContain(`pod.yaml:9:14: ${host}/team/fresh:latest: not pinned yet: released ${formatTime(Date.parse(created.fresh!))}, younger than \`pin.minimumReleaseAge\` 3d: waits until ${until(created.fresh!)}`);
    expect(run.stdout).toContain(`pod.yaml:11:14: ${host}/team/undated:1.0.0: not pinned yet: its release time is unknown (no \`created\` time in the image config), and \`pin.minimumReleaseAge\` is 3d`);
    // A multi-arch index is dated by its linux/amd64 image's config.
    expect(readFileSync(join(dir, 'pod.yaml'), 'utf8')).toBe(
      text.replace(`${host}/team/app:1.2.3`, `${host}/team/app:1.2.4@${app['1.2.4']!.digest}`).replace(`${host}/team/multi:2.0.0`, `${host}/team/multi:2.0.0@${multi.digest}`),
    );
  }, 60_000);

  it('holds back scan --resolve proposals the same way, with a warning', () => {
    const dir = workdir({ '.imagedrift.yaml': policy, 'pod.yaml': pod(['fresh', `${host}/team/fresh:latest`], ['old', `${host}/team/app:1.2.4`]) });
    const run = cli(['scan', '--resolve', '--newer', 'off', '--format', 'json', '.'], dir);
    const report = JSON.parse(run.stdout) as { findings: Array<{ ruleId: string; container?: { name: string }; fix?: { replacement: string } }> };
    expect(report.findings.find((f) => f.container?.name === 'fresh' && f.ruleId === 'latest-tag')?.fix).toBeUndefined();
    expect(report.findings.find((f) => f.container?.name === 'old')?.fix?.replacement).toBe(`${host}/team/app:1.2.4@${app['1.2.4']!.digest}`);
    expect(run.stderr).toContain(`${host}/team/fresh:latest: no pin proposed: released`);
  }, 60_000);
});

describe('deny.versions', () => {
  const policy = 'deny:\n  versions:\n    - image: "**/aws-otel-collector"\n      versions: "0.29.0"\n      reason: panics on string attributes\n';

  it('is reported where written, never pinned, refreshed onto or upgraded to', () => {
    const collector = `${host}/otel/aws-otel-collector`;
    const text = pod(['latest', `${collector}:latest`], ['old', `${collector}:v0.28.0`], ['bad', `${collector}:v0.29.0`]);
    const dir = workdir({ '.imagedrift.yaml': policy, 'pod.yaml': text });
    const scan = cli(['scan', '--resolve', '--newer', 'off', '.'], dir);
    expect(scan.stdout).toContain('pod.yaml:11:14: error Sidecar `bad` in Pod `p` uses `v0.29.0`, release 0.29.0, which the policy denies (`deny.versions`: `0.29.0` of `**/aws-otel-collector`: panics on string attributes) [denied-version]');
    expect(scan.stdout).toContain('pod.yaml:7:14: error Container `latest` (a known sidecar image) in Pod `p` uses `latest`, which is now v0.29.0, release 0.29.0, which the policy denies');

    // No pin to a denied release is proposed, for the written v0.29.0 nor for latest, which is v0.29.0.
    expect(scan.stdout).not.toContain(`fix: ${collector}:v0.29.0@`);
    expect(scan.stdout).not.toContain(`fix: ${collector}:latest@`);
    const pin = cli(['pin', '--upgrade', 'minor', '.'], dir);
    expect(pin.code, pin.stdout + pin.stderr).toBe(0);
    expect(pin.stdout).toContain(`pod.yaml:7:14: ${collector}:latest: not pinned: v0.29.0 is release 0.29.0, which the policy denies`);
    // Upgrades skip the denied release: v0.28.0 and v0.29.0 both go to v0.29.1.
    expect(readFileSync(join(dir, 'pod.yaml'), 'utf8')).toBe(
      pod(['latest', `${collector}:latest`], ['old', `${collector}:v0.29.1@${app['otel:v0.29.1']!.digest}`], ['bad', `${collector}:v0.29.1@${app['otel:v0.29.1']!.digest}`]),
    );
  }, 60_000);
});
