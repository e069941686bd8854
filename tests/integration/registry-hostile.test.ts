// Hostile registries (issue 14): a real registry (Debian's docker-registry) on 127.0.0.1 behind the
// fault proxy, which lies about digests, sends a gzip bomb, compresses a HEAD, rate-limits with a
// long Retry-After, paginates slowly or sends a tag list that is not JSON. Each case is run through
// the CLI (`scan --resolve`, `pin`, `pin --from-results`, `pin --offline`) or the resolve phase the
// CLI uses, and asserts what a user gets: no digest written unless well formed and verified, a
// bounded time per reference, and a message that names the registry and the reason.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImageRef } from '../../src/core/types.js';
import { loadDefaultPolicy } from '../../src/policy/load.js';
import { withBudget } from '../../src/resolve/budget.js';
import { ResolveCache } from '../../src/resolve/cache.js';
import { createResolver } from '../../src/resolve/create.js';
import { OciRegistryClient } from '../../src/resolve/oci-registry.js';
import { ResolverSession, resolveKey } from '../../src/resolve/session.js';
import { gatherFacts } from '../../src/scan/resolve-phase.js';
import { scanPaths } from '../../src/scan/scan.js';
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy.js';
import { OCI_MANIFEST, Pusher, startRegistry, testRef, type PushedImage, type TestRegistry } from '../helpers/registry.js';

const root = join(import.meta.dirname, '..', '..');
const ONES = `sha256:${'1'.repeat(64)}`;
let registry: TestRegistry;
let app: PushedImage;
const proxies: FaultProxy[] = [];

function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(root, 'bin', 'imagedrift.js'), ...args], {
      cwd: root,
      env: { ...process.env, XDG_CACHE_HOME: mkdtempSync(join(tmpdir(), 'imagedrift-xdg-')), ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function proxy(): Promise<FaultProxy> {
  const p = await startFaultProxy({ upstream: registry.host });
  proxies.push(p);
  return p;
}

/** A directory with one Pod using `image`. */
function podDir(image: string): { dir: string; file: string; text: string } {
  const dir = mkdtempSync(join(tmpdir(), 'imagedrift-hostile-'));
  const file = join(dir, 'pod.yaml');
  const text = `apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - name: app\n      image: ${image}\n`;
  writeFileSync(file, text);
  return { dir, file, text };
}

/** The references of a directory, as `scan --resolve` finds them. */
async function refsOf(dir: string): Promise<ImageRef[]> {
  const refs: ImageRef[] = [];
  await scanPaths([dir], { policy: loadDefaultPolicy(), onFile: (file) => refs.push(...file.refs) });
  return refs;
}

beforeAll(async () => {
  registry = await startRegistry();
  const push = new Pusher(registry.url);
  app = await push.pushImage('team/app', ['1.0.0']);
  await push.pushImage('team/app', ['1.0.1']);
  await push.pushImage('team/many', Array.from({ length: 20 }, (_, i) => `1.0.${i}`));
}, 60_000);

afterAll(async () => {
  for (const p of proxies) await p.stop();
  await registry?.stop();
});

describe('a digest is written only if well formed and verified (High 1)', () => {
  it('scan --resolve proposes no digest when the registry sends sha256:abc, and pin --from-results writes none', async () => {
    const p = await proxy();
    p.addFault({ path: '/manifests/', fault: { kind: 'lie-digest', digest: 'sha256:abc' } });
    const { dir, file, text } = podDir(`${p.host}/team/app:1.0.0`);
    const results = join(mkdtempSync(join(tmpdir(), 'imagedrift-results-')), 'results.json');
    const scan = await cli(['scan', '--resolve', '--newer', 'off', '--format', 'json', '-o', results, dir]);
    expect(scan.code).toBe(3);
    const report = JSON.parse(readFileSync(results, 'utf8')) as { findings: Array<{ ruleId: string; message: string; fix?: unknown }> };
    expect(report.findings.filter((f) => f.fix !== undefined)).toEqual([]);
    expect(report.findings.find((f) => f.ruleId === 'resolve-failed')?.message).toContain('malformed');
    const pin = await cli(['pin', '--from-results', results, dir]);
    expect(pin.code).toBe(3);
    expect(readFileSync(file, 'utf8')).toBe(text);
  }, 60_000);

  it('a HEAD saying sha256:abc is refused as malformed even where a HEAD is trusted (Docker Hub style)', async () => {
    const p = await proxy();
    p.addFault({ method: 'HEAD', path: '/manifests/', fault: { kind: 'lie-digest', digest: 'sha256:abc' } });
    const client = new OciRegistryClient({ headFirstRegistries: [p.host] });
    try {
      const out = await client.resolve(testRef(p.host, 'team/app', '1.0.0'), { preferVerified: true });
      expect(out).toMatchObject({ ok: false, kind: 'verify' });
      if (!out.ok) expect(out.reason).toContain(`${p.host} returned a malformed Docker-Content-Digest "sha256:abc"`);
    } finally {
      client.close();
    }
  });

  it('a HEAD saying sha256:1111… while GET serves the real manifest: scan --resolve proposes the verified digest, and pin --from-results writes it', async () => {
    const p = await proxy();
    p.addFault({ method: 'HEAD', path: '/manifests/', fault: { kind: 'lie-digest', digest: ONES } });
    const { dir, file, text } = podDir(`${p.host}/team/app:1.0.0`);
    const results = join(mkdtempSync(join(tmpdir(), 'imagedrift-results-')), 'results.json');
    const scan = await cli(['scan', '--resolve', '--newer', 'off', '--format', 'json', '-o', results, dir]);
    expect(scan.code).toBe(0);
    const report = JSON.parse(readFileSync(results, 'utf8')) as { findings: Array<{ fix?: { digest: string; verified: boolean } }> };
    expect(report.findings.map((f) => f.fix).filter(Boolean)).toEqual([expect.objectContaining({ digest: app.digest, verified: true })]);
    const pin = await cli(['pin', '--from-results', results, dir]);
    expect(pin.code).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe(text.replace(':1.0.0', `:1.0.0@${app.digest}`));
    expect(readFileSync(file, 'utf8')).not.toContain(ONES);
  }, 60_000);

  it('an unverified proposal (from a HEAD) is verified by pin --from-results before it is written, or refused with the reason', async () => {
    const p = await proxy();
    // Where a HEAD is trusted for scanning (Docker Hub), the lie becomes an unverified proposal.
    p.addFault({ method: 'HEAD', path: '/manifests/', fault: { kind: 'lie-digest', digest: ONES } });
    const { dir, file, text } = podDir(`${p.host}/team/app:1.0.0`);
    const session = new ResolverSession({ resolver: new OciRegistryClient({ headFirstRegistries: [p.host] }) });
    const facts = await gatherFacts(await refsOf(dir), loadDefaultPolicy(), { resolver: session, newer: 'off' });
    const result = await scanPaths([dir], { policy: loadDefaultPolicy(), facts });
    const fix = result.findings.find((f) => f.fix !== undefined)?.fix;
    expect(fix).toMatchObject({ digest: ONES, verified: false });

    const results = join(mkdtempSync(join(tmpdir(), 'imagedrift-results-')), 'results.json');
    writeFileSync(results, JSON.stringify({ schema: 'imagedrift.scan/v1', findings: result.findings }));
    p.reset();
    const pin = await cli(['pin', '--from-results', results, dir]);
    expect(pin.code).toBe(3);
    expect(pin.stdout).toContain(`the digest ${ONES} in ${results} was not verified by the scan, and verifying it failed:`);
    expect(p.count({ method: 'GET', path: `/v2/team/app/manifests/${ONES}` })).toBe(1);
    expect(readFileSync(file, 'utf8')).toBe(text);

    const offline = await cli(['pin', '--offline', '--from-results', results, dir]);
    expect(offline.code).toBe(3);
    expect(offline.stdout).toContain('offline and not in cache');
    expect(readFileSync(file, 'utf8')).toBe(text);

    // A results file written before `verified` existed: verified first, then written.
    writeFileSync(results, JSON.stringify({ schema: 'imagedrift.scan/v1', findings: [{ ...result.findings.find((f) => f.fix)!, fix: { ...fix, digest: app.digest, verified: undefined } }] }));
    p.reset();
    const old = await cli(['pin', '--from-results', results, dir]);
    expect(old.code).toBe(0);
    expect(p.count({ method: 'GET', path: `/v2/team/app/manifests/${app.digest}` })).toBe(1);
    expect(readFileSync(file, 'utf8')).toBe(text.replace(':1.0.0', `:1.0.0@${app.digest}`));

    // A malformed digest in a results file is never written, even when marked verified.
    writeFileSync(file, text);
    writeFileSync(results, JSON.stringify({ schema: 'imagedrift.scan/v1', findings: [{ ...result.findings.find((f) => f.fix)!, fix: { ...fix, digest: 'sha256:abc', verified: true } }] }));
    const bad = await cli(['pin', '--from-results', results, dir]);
    expect(bad.code).toBe(3);
    expect(bad.stdout).toContain('is not a well-formed sha256 or sha512 digest');
    expect(readFileSync(file, 'utf8')).toBe(text);
  }, 60_000);

  it('pin --offline never writes a cache entry nobody verified, and does write a verified one', async () => {
    const { dir, file, text } = podDir(`${registry.host}/team/app:1.0.0`);
    const xdg = mkdtempSync(join(tmpdir(), 'imagedrift-xdg-'));
    const cache = new ResolveCache({ dir: join(xdg, 'imagedrift') });
    const key = resolveKey(testRef(registry.host, 'team/app', '1.0.0'));
    await cache.set('resolve', key, { digest: ONES, mediaType: OCI_MANIFEST, verified: false });
    const refused = await cli(['pin', '--offline', dir], { XDG_CACHE_HOME: xdg });
    expect(refused.code).toBe(3);
    expect(refused.stdout).toContain(`the cached digest ${ONES} was never verified`);
    expect(readFileSync(file, 'utf8')).toBe(text);

    await cache.set('resolve', key, { digest: app.digest, mediaType: OCI_MANIFEST, verified: true });
    const pinned = await cli(['pin', '--offline', dir], { XDG_CACHE_HOME: xdg });
    expect(pinned.code).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe(text.replace(':1.0.0', `:1.0.0@${app.digest}`));
  }, 60_000);
});

describe('compressed answers nobody asked for (High 5, Low)', () => {
  it('a gzip bomb is decoded only up to the manifest limit, not retried, and the message names the registry and the reason', async () => {
    const p = await proxy();
    const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024)); // 64 MiB of zeros in ~64 KB
    p.addFault({ method: 'GET', path: '/manifests/', fault: { kind: 'status', status: 200, headers: { 'content-type': OCI_MANIFEST, 'content-encoding': 'gzip', 'content-length': String(bomb.length) }, body: bomb } });
    const { dir, file, text } = podDir(`${p.host}/team/app:1.0.0`);
    const pin = await cli(['pin', dir]);
    expect(pin.code).toBe(3);
    expect(pin.stdout).toContain(`GET http://${p.host}/v2/team/app/manifests/1.0.0: response body exceeds 4194304 bytes once decoded (Content-Encoding gzip, which imagedrift did not ask for`);
    expect(p.count({ method: 'GET', path: '/manifests/' })).toBe(1);
    expect(readFileSync(file, 'utf8')).toBe(text);
  }, 60_000);

  it('a HEAD with Content-Encoding: gzip and no body is fine: a HEAD has no body to decode', async () => {
    const p = await proxy();
    p.addFault({ method: 'HEAD', fault: { kind: 'add-headers', headers: { 'content-encoding': 'gzip' } } });
    const client = new OciRegistryClient({ headFirstRegistries: [p.host] });
    try {
      expect(await client.resolve(testRef(p.host, 'team/app', '1.0.0'))).toMatchObject({ ok: true, digest: app.digest, verified: false });
      expect(await client.manifestExists(testRef(p.host, 'team/app'), app.digest)).toBe(true);
      expect(p.count({ method: 'HEAD' })).toBe(2);
    } finally {
      client.close();
    }
  });
});

describe('time per reference is bounded by 4 × --timeout (Low)', () => {
  it('a Retry-After beyond the budget is not waited for, and the message says why', async () => {
    const p = await proxy();
    p.addFault({ path: '/manifests/', fault: { kind: 'status', status: 429, headers: { 'retry-after': '55' } } });
    const { dir } = podDir(`${p.host}/team/app:1.0.0`);
    const scan = await cli(['scan', '--resolve', '--timeout', '1s', dir]);
    expect(scan.code).toBe(3);
    expect(scan.stdout).toContain(`rate limited by ${p.host} (HTTP 429, Retry-After 55); not retried: waiting Retry-After 55s would go past the deadline: the 4s budget for this reference (4 × --timeout) was spent`);
    expect(p.count({ path: '/manifests/' })).toBe(1);
  }, 60_000);

  it('slow tags/list pagination stops at the budget, and the scan warns that newer-version-available was not checked', async () => {
    const p = await proxy();
    p.addFault({ method: 'GET', path: '/tags/list', fault: { kind: 'paginate-tags', pageSize: 1, delayMs: 200 } });
    const { dir } = podDir(`${p.host}/team/many:1.0.3`);
    const { session, close } = createResolver({ noCache: true, timeoutMs: 5000 });
    const warnings: string[] = [];
    try {
      const facts = await gatherFacts(await refsOf(dir), loadDefaultPolicy(), { resolver: session, budgetMs: 1000, budgetLabel: 'test budget', onWarning: (m) => warnings.push(m) });
      expect(facts.unchecked).toBe(0);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(new RegExp(`^${p.host}/team/many:1\\.0\\.3: the tag list could not be read \\(.*the 1s budget for this reference \\(test budget\\) was spent\\): newer-version-available was not checked$`));
      expect(p.count({ path: '/tags/list' })).toBeLessThan(20);
    } finally {
      close();
    }
  }, 60_000);

  it('listTags under a budget stops between pages and says how far it got', async () => {
    const p = await proxy();
    p.addFault({ method: 'GET', path: '/tags/list', fault: { kind: 'paginate-tags', pageSize: 1, delayMs: 150 } });
    const client = new OciRegistryClient({ timeoutMs: 100_000 });
    try {
      const err = await withBudget(600, 'test budget', () => client.listTags(testRef(p.host, 'team/many'))).catch((e: unknown) => e as Error);
      expect(String(err)).toMatch(/the 600ms budget for this reference \(test budget\) was spent/);
    } finally {
      client.close();
    }
  }, 30_000);
});

describe('tag-list problems are said, not swallowed (Low)', () => {
  it('a tags/list that is not JSON: scan --resolve warns that newer-version-available was not checked', async () => {
    const p = await proxy();
    p.addFault({ method: 'GET', path: '/tags/list', fault: { kind: 'status', status: 200, body: '{"tags": [not json' } });
    const { dir } = podDir(`${p.host}/team/app:1.0.0`);
    const scan = await cli(['scan', '--resolve', dir]);
    expect(scan.code).toBe(0);
    expect(scan.stderr).toContain(`imagedrift: warning: ${p.host}/team/app:1.0.0: the tag list could not be read (${p.host}/team/app: the tags list from ${p.host} is not JSON): newer-version-available was not checked`);
  }, 60_000);

  it('a tag list that fails: pin (--upgrade-latest, the default) says it found no version tag and why', async () => {
    const p = await proxy();
    await new Pusher(registry.url).tag('team/app', app.digest, ['latest']);
    p.addFault({ method: 'GET', path: '/tags/list', fault: { kind: 'status', status: 404, body: '{"errors":[{"code":"NAME_UNKNOWN"}]}' } });
    const { dir, file, text } = podDir(`${p.host}/team/app:latest`);
    const pin = await cli(['pin', '--upgrade-latest', dir]);
    expect(pin.code).toBe(0);
    expect(pin.stderr).toContain(`imagedrift: warning: ${p.host}/team/app:latest: the tag list could not be read (${p.host}/team/app (tags list): not found in ${p.host} (NAME_UNKNOWN)): no version tag was found to name it, so it is pinned as \`latest\``);
    expect(readFileSync(file, 'utf8')).toBe(text.replace(':latest', `:latest@${app.digest}`));
  }, 60_000);
});
