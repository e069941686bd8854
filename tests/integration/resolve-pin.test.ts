// `scan --resolve` proposals and rules, and `imagedrift pin` end to end, against a real OCI
// registry (Debian's docker-registry) on 127.0.0.1 holding images this test pushes.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImageRef } from '../../src/core/types.js';
import { loadDefaultPolicy } from '../../src/policy/load.js';
import { createResolver } from '../../src/resolve/create.js';
import { gatherFacts } from '../../src/scan/resolve-phase.js';
import { scanPaths } from '../../src/scan/scan.js';
import { startFaultProxy } from '../helpers/fault-proxy.js';
import { Pusher, startRegistry } from '../helpers/registry.js';
import type { PushedImage, PushedIndex, TestRegistry } from '../helpers/registry.js';

const root = join(import.meta.dirname, '..', '..');
let registry: TestRegistry;
let host: string;
let v028: PushedImage;
let v029: PushedImage;
let app123: PushedImage;
let gone: PushedImage;
let multi: PushedIndex;

function cli(args: string[], cwd = root) {
  const result = spawnSync(process.execPath, [join(root, 'bin', 'imagedrift.js'), ...args], { cwd, encoding: 'utf8', env: { ...process.env, XDG_CACHE_HOME: mkdtempSync(join(tmpdir(), 'imagedrift-xdg-')) } });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** For runs that talk to a proxy living in this process: spawnSync would block it. */
function cliAsync(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(root, 'bin', 'imagedrift.js'), ...args], { cwd: root, env: { ...process.env, XDG_CACHE_HOME: mkdtempSync(join(tmpdir(), 'imagedrift-xdg-')) } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

beforeAll(async () => {
  registry = await startRegistry();
  host = registry.host;
  const push = new Pusher(registry.url);
  await push.pushImage('otel/aws-otel-collector', ['v0.27.0']);
  v028 = await push.pushImage('otel/aws-otel-collector', ['v0.28.0', '0.28', 'latest']);
  app123 = await push.pushImage('team/app', ['1.2.3']);
  await push.pushImage('team/app', ['1.2.4']);
  await push.pushImage('team/app', ['1.3.0']);
  gone = await push.pushImage('team/gone', ['1.0.0']);
  await push.pushImage('team/gone', ['1.0.1']);
  await push.deleteManifest('team/gone', gone.digest);
  multi = await push.pushIndex('team/multi', ['2.0.0'], [
    { os: 'linux', architecture: 'amd64' },
    { os: 'linux', architecture: 'arm64' },
  ]);
}, 60_000);

afterAll(async () => registry?.stop());

function taskDefinition(h = host): string {
  return `{
  "family": "checkout",
  "containerDefinitions": [
    {"name": "app", "image": "${h}/team/app:1.2.3", "essential": true},
    {"name": "aws-otel-collector", "image": "${h}/otel/aws-otel-collector:latest", "essential": true},
    {"name": "multi", "image": "${h}/team/multi:2.0.0", "essential": false}
  ]
}
`;
}

describe('scan --resolve (resolve phase)', () => {
  it('proposes version-tagged pins, and finds moved tags, deleted digests, newer versions and unreachable registries', async () => {
    const push = new Pusher(registry.url);
    const dir = mkdtempSync(join(tmpdir(), 'imagedrift-resolve-'));
    writeFileSync(join(dir, 'task.json'), taskDefinition());
    writeFileSync(
      join(dir, 'pod.yaml'),
      `apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - name: pinned\n      image: ${host}/otel/aws-otel-collector:stable@${v028.digest}\n    - name: gone\n      image: ${host}/team/gone:1.0.0@${gone.digest}\n    - name: offline\n      image: 127.0.0.1:9/nowhere/app:1.0.0\n`,
    );
    // `stable` pinned at v0.28.0's digest, then moved to v0.29.0.
    v029 = await push.pushImage('otel/aws-otel-collector', ['v0.29.0', 'stable']);
    const refs: ImageRef[] = [];
    const policy = loadDefaultPolicy();
    await scanPaths([dir], { policy, onFile: (file) => refs.push(...file.refs) });
    const { session, close } = createResolver({ noCache: true, timeoutMs: 2000 });
    try {
      const facts = await gatherFacts(refs, policy, { resolver: session });
      expect(facts.unique).toBe(6);
      expect(facts.unchecked).toBe(1);
      const result = await scanPaths([dir], { policy, facts });

      const latest = result.findings.find((f) => f.ruleId === 'latest-tag');
      expect(latest?.fix).toMatchObject({
        replacement: `${host}/otel/aws-otel-collector:v0.28.0@${v028.digest}`,
        digest: v028.digest,
        versionTag: 'v0.28.0',
        description: 'latest is v0.28.0',
      });
      const app = result.findings.find((f) => f.ruleId === 'undigested-tag' && f.container?.name === 'app');
      expect(app?.fix?.replacement).toBe(`${host}/team/app:1.2.3@${app123.digest}`);

      const resolveRules = new Set(['tag-moved', 'digest-not-found', 'newer-version-available', 'resolve-failed']);
      const byRule = Object.fromEntries(result.findings.filter((f) => resolveRules.has(f.ruleId)).map((f) => [`${f.ruleId}:${f.container?.name}`, f]));
      expect(byRule['tag-moved:pinned']?.message).toContain('pins `stable` at sha256:');
      expect(byRule['tag-moved:pinned']?.message).toContain('(pinned v0.28.0, now v0.29.0): the pin is stale');
      expect(byRule['digest-not-found:gone']?.severity).toBe('error');
      expect(byRule['digest-not-found:gone']?.message).toContain(`pins ${gone.digest}, which the registry no longer has`);
      expect(byRule['newer-version-available:app']?.message).toContain('newer releases: 1.2.4 (patch), 1.3.0 (minor)');
      expect(byRule['resolve-failed:offline']?.message).toMatch(/could not be checked: .*(ECONNREFUSED|connect)/);
      expect(Object.keys(byRule).sort()).toEqual(['digest-not-found:gone', 'newer-version-available:app', 'resolve-failed:offline', 'tag-moved:pinned']);
    } finally {
      close();
      await push.tag('otel/aws-otel-collector', v028.digest, ['stable']);
    }
  }, 60_000);
});

describe('request counts', () => {
  it('asks for each unique tag exactly once in scan mode, however often it appears', async () => {
    const proxy = await startFaultProxy({ upstream: host });
    const policy = loadDefaultPolicy();
    const dir = mkdtempSync(join(tmpdir(), 'imagedrift-count-'));
    const containers = Array.from({ length: 40 }, (_, i) => `    - {name: c${i}, image: "${proxy.host}/team/app:${i % 2 === 0 ? '1.2.3' : '1.2.4'}"}`).join('\n');
    for (const name of ['a.yaml', 'b.yaml']) writeFileSync(join(dir, name), `apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n${containers}\n`);
    const refs: ImageRef[] = [];
    await scanPaths([dir], { policy, onFile: (file) => refs.push(...file.refs) });
    const { session, close } = createResolver({ noCache: true });
    try {
      await gatherFacts(refs, policy, { resolver: session, newer: 'off' });
      expect(proxy.count({ path: '/v2/team/app/manifests/1.2.3' })).toBe(1);
      expect(proxy.count({ path: '/v2/team/app/manifests/1.2.4' })).toBe(1);
      expect(proxy.count({ path: /manifests/ })).toBe(2);
    } finally {
      close();
      await proxy.stop();
    }
  });
});

describe('imagedrift scan --resolve and pin (CLI, real registry)', () => {
  it('saves proposals with scan --resolve --format json, and pin --from-results applies them without a registry', async () => {
    // The registry is reached through a proxy that is stopped before pinning: pin --from-results must not need it.
    const proxy = await startFaultProxy({ upstream: host });
    const h = proxy.host;
    const dir = mkdtempSync(join(tmpdir(), 'imagedrift-from-results-'));
    const file = join(dir, 'task.json');
    writeFileSync(file, taskDefinition(h));
    const results = join(mkdtempSync(join(tmpdir(), 'imagedrift-results-')), 'results.json');
    const scan = await cliAsync(['scan', '--resolve', '--newer', 'off', '--format', 'json', '-o', results, dir]);
    expect(scan.code).toBe(1); // the latest-tag error
    const report = JSON.parse(readFileSync(results, 'utf8')) as { findings: Array<{ ruleId: string; fix?: { replacement: string } }> };
    expect(report.findings.find((f) => f.ruleId === 'latest-tag')?.fix?.replacement).toBe(`${h}/otel/aws-otel-collector:v0.28.0@${v028.digest}`);

    const text = await cliAsync(['scan', '--resolve', '--newer', 'off', dir]);
    expect(text.stdout).toContain(`  fix: ${h}/otel/aws-otel-collector:v0.28.0@${v028.digest} (latest is v0.28.0)`);
    await proxy.stop();

    const pin = cli(['pin', '--upgrade-latest', '--from-results', results, dir]);
    expect(pin.code).toBe(0);
    expect(readFileSync(file, 'utf8')).toContain(`"${h}/otel/aws-otel-collector:v0.28.0@${v028.digest}"`);
    expect(readFileSync(file, 'utf8')).toContain(`"${h}/team/app:1.2.3@${app123.digest}"`);
  }, 60_000);

  it('exits 3 when --resolve cannot check a reference', () => {
    const dir = mkdtempSync(join(tmpdir(), 'imagedrift-resolve-fail-'));
    writeFileSync(join(dir, 'pod.yaml'), 'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - {name: a, image: "127.0.0.1:9/x/y:1.0.0@sha256:' + 'a'.repeat(64) + '"}\n');
    const result = cli(['scan', '--resolve', '--timeout', '1s', dir]);
    expect(result.code).toBe(3);
    expect(result.stdout).toContain('[resolve-failed]');
    expect(result.stderr).toContain('1 of 1 image references could not be checked');
  }, 60_000);
});

describe('imagedrift pin (CLI, real registry)', () => {
  it('pins in place with verified digests, shows the diff with --dry-run, gates with --check, and is idempotent', () => {
    const dir = mkdtempSync(join(tmpdir(), 'imagedrift-pin-e2e-'));
    const file = join(dir, 'task.json');
    writeFileSync(file, taskDefinition());

    const check = cli(['pin', '--check', dir]);
    expect(check.code).toBe(1);
    expect(readFileSync(file, 'utf8')).toBe(taskDefinition());

    const dry = cli(['pin', '--dry-run', '--upgrade-latest', dir]);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain(`+    {"name": "aws-otel-collector", "image": "${host}/otel/aws-otel-collector:v0.28.0@${v028.digest}", "essential": true},`);
    expect(readFileSync(file, 'utf8')).toBe(taskDefinition());

    const pin = cli(['pin', '--upgrade-latest', dir]);
    expect(pin.code).toBe(0);
    expect(pin.stdout).toContain('pinned 3 references in 1 file');
    expect(readFileSync(file, 'utf8')).toBe(
      taskDefinition()
        .replace(`${host}/team/app:1.2.3`, `${host}/team/app:1.2.3@${app123.digest}`)
        .replace(`${host}/otel/aws-otel-collector:latest`, `${host}/otel/aws-otel-collector:v0.28.0@${v028.digest}`)
        .replace(`${host}/team/multi:2.0.0`, `${host}/team/multi:2.0.0@${multi.digest}`),
    );

    const again = cli(['pin', '--check', dir]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('would pin 0 references in 0 files');
  }, 60_000);

  it('pins the platform child with --platform, only sidecars with --only sidecar, and fails a reference with no such platform', () => {
    const dir = mkdtempSync(join(tmpdir(), 'imagedrift-pin-platform-'));
    const file = join(dir, 'task.json');
    writeFileSync(file, taskDefinition());
    const arm = multi.children.find((child) => child.platform.architecture === 'arm64')!;
    const result = cli(['pin', '--only', 'sidecar', '--platform', 'linux/arm64', dir]);
    // The collector (a sidecar) is a single linux/amd64 image: no arm64 to pin, so it is left alone.
    expect(result.code).toBe(3);
    expect(result.stdout).toMatch(/aws-otel-collector:latest: .*linux\/amd64/);
    const text = readFileSync(file, 'utf8');
    expect(text).toContain(`"${host}/team/multi:2.0.0@${arm.digest}"`);
    expect(text).toContain(`"${host}/otel/aws-otel-collector:latest"`);
    expect(text).toContain(`"${host}/team/app:1.2.3"`); // the app container is not a sidecar
  }, 60_000);

  it('leaves unresolvable references alone, lists them and exits 3', () => {
    const dir = mkdtempSync(join(tmpdir(), 'imagedrift-pin-fail-'));
    const file = join(dir, 'pod.yaml');
    const pod = `apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - {name: a, image: "${host}/team/nope:1.0.0"}\n    - {name: b, image: "${host}/team/app:1.2.3"}\n`;
    writeFileSync(file, pod);
    const result = cli(['pin', '--timeout', '2s', dir]);
    expect(result.code).toBe(3);
    expect(result.stdout).toContain('left alone 1 reference:');
    expect(result.stdout).toMatch(/team\/nope:1\.0\.0: .*(not found|unknown|404)/i);
    expect(readFileSync(file, 'utf8')).toBe(pod.replace(`${host}/team/app:1.2.3`, `${host}/team/app:1.2.3@${app123.digest}`));
  }, 60_000);
});
