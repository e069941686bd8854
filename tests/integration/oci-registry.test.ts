// Integration: the OCI registry resolver against a real distribution registry on 127.0.0.1
// (anonymous), with a fault-injecting proxy in front. Covers tag → digest, multi-arch and
// platform selection, version tags, moved/deleted manifests, tag pagination, retries, 429,
// digest verification, truncation, redirects, dedupe, per-host concurrency, cache and offline.

import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ResolveCache } from '../../src/resolve/cache.js';
import { NO_CREDENTIALS } from '../../src/resolve/auth.js';
import { OciRegistryClient, type OciRegistryOptions } from '../../src/resolve/oci-registry.js';
import { ResolverSession, resolveKey } from '../../src/resolve/session.js';
import type { ResolveOutcome, ResolveSuccess } from '../../src/resolve/types.js';
import { findVersionTag } from '../../src/resolve/version-tags.js';
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy.js';
import { OCI_INDEX, OCI_MANIFEST, Pusher, sha256, startRegistry, testRef, type PushedImage, type PushedIndex, type TestRegistry } from '../helpers/registry.js';

let registry: TestRegistry;
let proxy: FaultProxy;
let pusher: Pusher;
let plain: PushedImage;
let multi: PushedIndex;
let otel: { v0_27: PushedImage; v0_28: PushedImage; v0_29: PushedImage };
const clients: OciRegistryClient[] = [];
const tmpDirs: string[] = [];

function client(opts: OciRegistryOptions = {}): OciRegistryClient {
  const c = new OciRegistryClient({ credentials: NO_CREDENTIALS, backoffBaseMs: 5, timeoutMs: 5000, ...opts });
  clients.push(c);
  return c;
}
const ref = (repo: string, tag?: string, digest?: string) => testRef(proxy.host, repo, tag, digest);
const tmpDir = () => {
  const d = mkdtempSync(path.join(os.tmpdir(), 'imagedrift-cache-'));
  tmpDirs.push(d);
  return d;
};
function expectOk(o: ResolveOutcome): ResolveSuccess {
  if (!o.ok) throw new Error(`expected success, got ${o.kind}: ${o.reason}`);
  return o;
}

beforeAll(async () => {
  registry = await startRegistry();
  pusher = new Pusher(registry.url);
  plain = await pusher.pushImage('team/app', ['1.0.0', 'stable']);
  multi = await pusher.pushIndex('library/multi', ['latest', '2.0'], [
    { os: 'linux', architecture: 'amd64' },
    { os: 'linux', architecture: 'arm64', variant: 'v8' },
    { os: 'linux', architecture: 'arm', variant: 'v7' },
  ]);
  // The aws-otel-collector incident: latest was v0.29.0; we want to know latest's version.
  const v0_27 = await pusher.pushImage('aws-observability/aws-otel-collector', ['v0.27.0', '0.27.0']);
  const v0_28 = await pusher.pushImage('aws-observability/aws-otel-collector', ['v0.28.0', '0.28']);
  const v0_29 = await pusher.pushImage('aws-observability/aws-otel-collector', ['0.29.0', 'v0.29.0']);
  await pusher.tag('aws-observability/aws-otel-collector', v0_28.digest, ['latest']);
  otel = { v0_27, v0_28, v0_29 };
  proxy = await startFaultProxy({ upstream: registry.host });
}, 60_000);

afterAll(async () => {
  for (const c of clients) c.close();
  await proxy?.stop();
  await registry?.stop();
  for (const d of tmpDirs) rmSync(d, { recursive: true, force: true });
});

beforeEach(() => proxy.reset());

describe('tag → digest', () => {
  it('resolves a plain OCI manifest with one HEAD', async () => {
    const out = expectOk(await client().resolve(ref('team/app', '1.0.0')));
    expect(out).toMatchObject({ digest: plain.digest, mediaType: OCI_MANIFEST, verified: false, source: 'registry' });
    expect(proxy.count({ method: 'HEAD', path: '/v2/team/app/manifests/1.0.0' })).toBe(1);
    expect(proxy.count({ method: 'GET' })).toBe(0);
    const accept = String(proxy.requests[0]?.headers.accept);
    for (const t of [OCI_INDEX, 'application/vnd.docker.distribution.manifest.list.v2+json', OCI_MANIFEST, 'application/vnd.docker.distribution.manifest.v2+json']) {
      expect(accept).toContain(t);
    }
  });

  it('verify: GETs the manifest and checks sha256(body)', async () => {
    const out = expectOk(await client().resolve(ref('team/app', 'stable'), { verify: true }));
    expect(out).toMatchObject({ digest: plain.digest, verified: true });
    expect(proxy.count({ method: 'GET', path: '/v2/team/app/manifests/stable' })).toBe(1);
  });

  it('resolves a multi-arch index to the index digest by default', async () => {
    const out = expectOk(await client().resolve(ref('library/multi', 'latest')));
    expect(out.digest).toBe(multi.digest);
    expect(out.mediaType).toBe(OCI_INDEX);
    expect(out.platformDigest).toBeUndefined();
  });

  it('a tag absent → not-found; a reference with only a digest resolves to itself', async () => {
    const missing = await client().resolve(ref('team/app', 'nope'));
    expect(missing).toMatchObject({ ok: false, kind: 'not-found' });
    const missingRepo = await client().resolve(ref('team/absent', '1'));
    expect(missingRepo).toMatchObject({ ok: false, kind: 'not-found' });
    const byDigest = expectOk(await client().resolve(ref('team/app', undefined, plain.digest), { verify: true }));
    expect(byDigest.digest).toBe(plain.digest);
  });
});

describe('platform selection', () => {
  it('picks the child manifest for linux/arm64 (index digest stays the tag digest)', async () => {
    const out = expectOk(await client().resolve(ref('library/multi', 'latest'), { platform: 'linux/arm64' }));
    expect(out.digest).toBe(multi.digest);
    expect(out.platformDigest).toBe(multi.children[1]?.digest);
    expect(out.verified).toBe(true);
  });

  it('matches variants and verifies the child when asked', async () => {
    const c = client();
    const arm = expectOk(await c.resolve(ref('library/multi', '2.0'), { platform: 'linux/arm/v7', verify: true }));
    expect(arm.platformDigest).toBe(multi.children[2]?.digest);
    expect(proxy.count({ method: 'GET', path: `/manifests/${multi.children[2]?.digest}` })).toBe(1);
    const amd = expectOk(await c.resolve(ref('library/multi', '2.0'), { platform: 'linux/amd64' }));
    expect(amd.platformDigest).toBe(multi.children[0]?.digest);
  });

  it('fails with kind platform listing what is available', async () => {
    const out = await client().resolve(ref('library/multi', 'latest'), { platform: 'linux/s390x' });
    expect(out).toMatchObject({ ok: false, kind: 'platform' });
    if (!out.ok) expect(out.reason).toMatch(/linux\/amd64, linux\/arm64\/v8, linux\/arm\/v7/);
    const bad = await client().resolve(ref('library/multi', 'latest'), { platform: 'linux' });
    expect(bad).toMatchObject({ ok: false, kind: 'platform' });
  });

  it('checks a single-platform image against its config', async () => {
    const ok = expectOk(await client().resolve(ref('team/app', '1.0.0'), { platform: 'linux/amd64' }));
    expect(ok.platformDigest).toBe(plain.digest);
    const no = await client().resolve(ref('team/app', '1.0.0'), { platform: 'linux/arm64' });
    expect(no).toMatchObject({ ok: false, kind: 'platform' });
    if (!no.ok) expect(no.reason).toContain('linux/amd64');
  });
});

describe('tags', () => {
  it('lists tags across Link-paginated pages', async () => {
    const repo = 'team/many';
    const img = await pusher.pushImage(repo, ['a']);
    await pusher.tag(repo, img.digest, ['b', 'c', 'd', 'e', 'f', 'g']);
    proxy.reset();
    proxy.addFault({ path: '/tags/list', fault: { kind: 'paginate-tags', pageSize: 3 } });
    const tags = await client({ tagsPageSize: 100 }).listTags(ref(repo));
    expect(tags).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g']);
    expect(proxy.count({ method: 'GET', path: '/tags/list' })).toBe(3);
    expect(proxy.requests.map((r) => r.path)).toEqual([
      `/v2/${repo}/tags/list?n=100`,
      `/v2/${repo}/tags/list?n=3&last=c`,
      `/v2/${repo}/tags/list?n=3&last=f`,
    ]);
    // Absolute next links, and our own page size (?n=2) respected.
    proxy.reset();
    proxy.addFault({ path: '/tags/list', fault: { kind: 'paginate-tags', pageSize: 50, absolute: true } });
    expect(await client({ tagsPageSize: 2 }).listTags(ref(repo))).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g']);
    expect(proxy.count({ path: '/tags/list' })).toBe(4);
  });

  it('finds the version tag sharing latest’s digest (most specific, highest)', async () => {
    const session = new ResolverSession({ resolver: client() });
    const repoRef = ref('aws-observability/aws-otel-collector');
    const latest = expectOk(await session.resolve({ ...repoRef, tag: 'latest' }));
    expect(latest.digest).toBe(otel.v0_28.digest);
    const tags = await session.listTags(repoRef);
    const match = await findVersionTag({
      tags,
      targetDigest: latest.digest,
      concurrency: 1,
      digestOf: async (tag) => {
        const o = await session.resolve({ ...repoRef, tag });
        return o.ok ? o.digest : undefined;
      },
    });
    expect(match.best).toBe('v0.28.0');
    expect(match.matches).toEqual(['v0.28.0']);
    // Newest first with an early stop once an x.y.z match is in: 0.28 and the 0.27 tags are never
    // looked up (concurrency 1 keeps this exact; the bound itself is unit-tested).
    expect(proxy.count({ path: '/manifests/v0.27.0' }) + proxy.count({ path: '/manifests/0.27.0' })).toBe(0);
    expect(match.lookedUp).toBe(3);
  });
});

describe('moved and deleted', () => {
  it('detects a moved tag (digest differs from the pin) while the old digest still exists', async () => {
    const repo = 'team/moving';
    const first = await pusher.pushImage(repo, ['1.4']);
    const c = client();
    const pinned = ref(repo, '1.4', first.digest);
    expect(expectOk(await c.resolve(pinned)).digest).toBe(first.digest);
    const second = await pusher.moveTag(repo, '1.4');
    const now = expectOk(await c.resolve(pinned, { verify: true }));
    expect(now.digest).toBe(second.digest);
    expect(now.digest).not.toBe(pinned.digest);
    expect(await c.manifestExists(pinned, first.digest)).toBe(true);
  });

  it('a deleted manifest is not-found, and manifestExists says false', async () => {
    const repo = 'team/deleted';
    const img = await pusher.pushImage(repo, ['gone']);
    await pusher.deleteManifest(repo, img.digest);
    const c = client();
    expect(await c.resolve(ref(repo, undefined, img.digest))).toMatchObject({ ok: false, kind: 'not-found' });
    expect(await c.resolve(ref(repo, 'gone'))).toMatchObject({ ok: false, kind: 'not-found' });
    expect(await c.manifestExists(ref(repo), img.digest)).toBe(false);
  });
});

describe('faults', () => {
  it('retries 500s and recovers', async () => {
    proxy.addFault({ method: 'HEAD', path: '/manifests/1.0.0', fault: { kind: 'status', status: 500 }, times: 2 });
    const retries: string[] = [];
    const out = expectOk(await client({ onRetry: (i) => retries.push(i.reason) }).resolve(ref('team/app', '1.0.0')));
    expect(out.digest).toBe(plain.digest);
    expect(proxy.count({ method: 'HEAD', path: '/manifests/1.0.0' })).toBe(3);
    expect(retries).toEqual(['HTTP 500', 'HTTP 500']);
  });

  it('retries connection resets and recovers', async () => {
    proxy.addFault({ method: 'HEAD', path: '/manifests/1.0.0', fault: { kind: 'reset' }, times: 2 });
    const out = expectOk(await client().resolve(ref('team/app', '1.0.0')));
    expect(out.digest).toBe(plain.digest);
    expect(proxy.count({ method: 'HEAD', path: '/manifests/1.0.0' })).toBe(3);
  });

  it('gives up after maxAttempts with kind network', async () => {
    proxy.addFault({ path: '/manifests/1.0.0', fault: { kind: 'status', status: 503 } });
    const out = await client({ maxAttempts: 3 }).resolve(ref('team/app', '1.0.0'));
    expect(out).toMatchObject({ ok: false, kind: 'network' });
    expect(proxy.count({ path: '/manifests/1.0.0' })).toBe(3);
    proxy.reset();
    proxy.addFault({ path: '/manifests/1.0.0', fault: { kind: 'reset' } });
    const reset = await client({ maxAttempts: 2 }).resolve(ref('team/app', '1.0.0'));
    expect(reset).toMatchObject({ ok: false, kind: 'network' });
    if (!reset.ok) expect(reset.reason).toMatch(/reset|hang up/);
  });

  it('times out a slow attempt and retries', async () => {
    proxy.addFault({ method: 'HEAD', path: '/manifests/1.0.0', fault: { kind: 'latency', ms: 600 }, times: 1 });
    const out = expectOk(await client({ timeoutMs: 200 }).resolve(ref('team/app', '1.0.0')));
    expect(out.digest).toBe(plain.digest);
    expect(proxy.count({ method: 'HEAD', path: '/manifests/1.0.0' })).toBe(2);
  });

  it('honours Retry-After on 429', async () => {
    proxy.addFault({ method: 'HEAD', path: '/manifests/1.0.0', fault: { kind: 'status', status: 429, headers: { 'retry-after': '1' } }, times: 1 });
    const start = Date.now();
    const out = expectOk(await client({ backoffBaseMs: 1 }).resolve(ref('team/app', '1.0.0')));
    expect(Date.now() - start).toBeGreaterThanOrEqual(950);
    expect(out.digest).toBe(plain.digest);
    expect(proxy.count({ method: 'HEAD' })).toBe(2);
  });

  it('does not wait for an unreasonable Retry-After; reports the rate limit', async () => {
    proxy.addFault({ path: '/manifests/1.0.0', fault: { kind: 'status', status: 429, headers: { 'retry-after': '3600' } } });
    const out = await client({ maxRetryAfterMs: 5000 }).resolve(ref('team/app', '1.0.0'));
    expect(out).toMatchObject({ ok: false, kind: 'network' });
    if (!out.ok) expect(out.reason).toMatch(/rate limited.*Retry-After 3600/);
    expect(proxy.count({})).toBe(1);
  });

  it('calls back when RateLimit-Remaining is low', async () => {
    proxy.addFault({ path: '/manifests/', fault: { kind: 'add-headers', headers: { 'ratelimit-limit': '100;w=21600', 'ratelimit-remaining': '3;w=21600' } } });
    const seen: unknown[] = [];
    expectOk(await client({ onRateLimitLow: (i) => seen.push(i) }).resolve(ref('team/app', '1.0.0')));
    expect(seen).toEqual([{ host: proxy.host, remaining: 3, limit: 100 }]);
  });

  it('verify fetches the manifest itself: a lying Docker-Content-Digest on HEAD is never used', async () => {
    const fake = sha256('not the manifest');
    proxy.addFault({ method: 'HEAD', path: '/manifests/1.0.0', fault: { kind: 'lie-digest', digest: fake } });
    const out = expectOk(await client().resolve(ref('team/app', '1.0.0'), { verify: true }));
    expect(out.digest).not.toBe(fake);
    expect(out.verified).toBe(true);
    // One request: the GET, whose body is hashed (no HEAD outside Docker Hub when verifying).
    expect(proxy.count({ path: '/manifests/1.0.0' })).toBe(1);
    expect(proxy.count({ method: 'HEAD', path: '/manifests/1.0.0' })).toBe(0);
    // Without verify only the HEAD is used: the body check is what verify buys.
    proxy.reset();
    proxy.addFault({ method: 'HEAD', path: '/manifests/1.0.0', fault: { kind: 'lie-digest', digest: fake } });
    const unverified = expectOk(await client().resolve(ref('team/app', '1.0.0')));
    expect(unverified.verified).toBe(false);
    expect(unverified.digest).toBe(fake);
  });

  it('a lying Docker-Content-Digest on GET never yields a digest', async () => {
    const fake = sha256('evil');
    proxy.addFault({ path: '/manifests/1.0.0', fault: { kind: 'lie-digest', digest: fake } });
    const out = await client().resolve(ref('team/app', '1.0.0'), { verify: true });
    expect(out).toMatchObject({ ok: false, kind: 'verify' });
  });

  it('a substituted body (consistent headers) is rejected against the HEAD digest', async () => {
    const evil = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: {}, layers: [] }));
    proxy.addFault({ method: 'GET', path: '/manifests/1.0.0', fault: { kind: 'replace-body', body: evil } });
    const out = await client().resolve(ref('team/app', '1.0.0'), { verify: true });
    expect(out).toMatchObject({ ok: false, kind: 'verify' });
  });

  it('a truncated body is detected: retried, and never yields a digest', async () => {
    proxy.addFault({ method: 'GET', path: '/manifests/1.0.0', fault: { kind: 'truncate' }, times: 1 });
    const once = expectOk(await client().resolve(ref('team/app', '1.0.0'), { verify: true }));
    expect(once).toMatchObject({ digest: plain.digest, verified: true });
    expect(proxy.count({ method: 'GET', path: '/manifests/1.0.0' })).toBe(2);
    proxy.reset();
    proxy.addFault({ method: 'GET', path: '/manifests/1.0.0', fault: { kind: 'truncate' } });
    const always = await client({ maxAttempts: 2 }).resolve(ref('team/app', '1.0.0'), { verify: true });
    expect(always).toMatchObject({ ok: false, kind: 'network' });
    if (!always.ok) expect(always.reason).toMatch(/truncated|before the body was complete/);
  });

  it('follows a redirect to another host', async () => {
    proxy.addFault({ method: 'GET', path: '/manifests/1.0.0', fault: { kind: 'redirect-other' } });
    const out = expectOk(await client().resolve(ref('team/app', '1.0.0'), { verify: true }));
    expect(out.digest).toBe(plain.digest);
    expect(proxy.count({ listener: 'other', method: 'GET', path: '/v2/team/app/manifests/1.0.0' })).toBe(1);
  });
});

describe('session: dedupe, concurrency, cache, offline', () => {
  it('resolves each unique reference once', async () => {
    const session = new ResolverSession({ resolver: client() });
    const refs = [
      ref('team/app', '1.0.0'),
      ref('team/app', '1.0.0'),
      ref('team/app', 'stable'),
      ref('team/app', '1.0.0', plain.digest), // same tag → same resolve
      ref('library/multi', 'latest'),
      ref('library/multi', 'latest'),
      ref('library/multi', '2.0'),
      ref('team/app', 'stable'),
    ];
    const result = await session.resolveAll(refs);
    expect([...result.keys()].sort()).toEqual(
      [`${proxy.host}/team/app:1.0.0`, `${proxy.host}/team/app:stable`, `${proxy.host}/library/multi:latest`, `${proxy.host}/library/multi:2.0`].sort(),
    );
    for (const p of ['/team/app/manifests/1.0.0', '/team/app/manifests/stable', '/library/multi/manifests/latest', '/library/multi/manifests/2.0']) {
      expect(proxy.count({ path: p })).toBe(1);
    }
    expect(proxy.count({})).toBe(4);
    // Concurrent single calls share one request too.
    proxy.reset();
    const again = new ResolverSession({ resolver: client() });
    await Promise.all(Array.from({ length: 5 }, () => again.resolve(ref('team/app', '1.0.0'))));
    expect(proxy.count({})).toBe(1);
    expect(again.stats).toEqual({ registry: 1, cache: 0, deduped: 4 });
  });

  it('bounds requests in flight per host', async () => {
    const repo = 'team/wide';
    const img = await pusher.pushImage(repo, ['t0']);
    const tags = Array.from({ length: 12 }, (_, i) => `t${i}`);
    await pusher.tag(repo, img.digest, tags.slice(1));
    proxy.reset();
    proxy.addFault({ path: '/manifests/', fault: { kind: 'latency', ms: 120 } });
    const session = new ResolverSession({ resolver: client({ maxConcurrencyPerHost: 3 }) });
    const result = await session.resolveAll(tags.map((t) => ref(repo, t)));
    expect([...result.values()].every((o) => o.ok)).toBe(true);
    expect(proxy.count({})).toBe(12);
    expect(proxy.maxInFlight).toBe(3);
  });

  it('answers from the cache without network, offline too', async () => {
    const dir = tmpDir();
    const first = new ResolverSession({ resolver: client(), cache: new ResolveCache({ dir }) });
    expect(expectOk(await first.resolve(ref('team/app', '1.0.0'), { verify: true })).source).toBe('registry');
    expect(await first.listTags(ref('team/app'))).toContain('stable');
    proxy.reset();

    const second = new ResolverSession({ resolver: client(), cache: new ResolveCache({ dir }) });
    const hit = expectOk(await second.resolve(ref('team/app', '1.0.0'), { verify: true }));
    expect(hit).toMatchObject({ digest: plain.digest, verified: true, source: 'cache' });
    expect(await second.listTags(ref('team/app'))).toContain('stable');
    expect(proxy.count({})).toBe(0);

    const offline = new ResolverSession({ resolver: client(), cache: new ResolveCache({ dir }), offline: true });
    expect(expectOk(await offline.resolve(ref('team/app', '1.0.0'))).source).toBe('cache');
    const miss = await offline.resolve(ref('team/app', 'stable'));
    expect(miss).toMatchObject({ ok: false, kind: 'network' });
    if (!miss.ok) expect(miss.reason).toContain('offline and not in cache');
    await expect(offline.listTags(ref('library/multi'))).rejects.toMatchObject({ kind: 'network' });
    expect(proxy.count({})).toBe(0);

    // noCache ignores it; an expired entry is a miss (but offline still uses it).
    const noCache = new ResolverSession({ resolver: client(), cache: new ResolveCache({ dir }), noCache: true });
    expect(expectOk(await noCache.resolve(ref('team/app', '1.0.0'))).source).toBe('registry');
    const later = () => Date.now() + 2 * 60 * 60 * 1000;
    const expired = new ResolverSession({ resolver: client(), cache: new ResolveCache({ dir, now: later }) });
    expect(expectOk(await expired.resolve(ref('team/app', '1.0.0'))).source).toBe('registry');
    const staleOffline = new ResolverSession({ resolver: client(), cache: new ResolveCache({ dir, now: later }), offline: true });
    expect(expectOk(await staleOffline.resolve(ref('team/app', '1.0.0'))).source).toBe('cache');
  });

  it('an unverified cache entry does not satisfy a verify request', async () => {
    const dir = tmpDir();
    const s1 = new ResolverSession({ resolver: client(), cache: new ResolveCache({ dir }) });
    expect(expectOk(await s1.resolve(ref('team/app', 'stable'))).verified).toBe(false);
    proxy.reset();
    const s2 = new ResolverSession({ resolver: client(), cache: new ResolveCache({ dir }) });
    const v = expectOk(await s2.resolve(ref('team/app', 'stable'), { verify: true }));
    expect(v).toMatchObject({ verified: true, source: 'registry' });
    expect(proxy.count({ method: 'GET' })).toBe(1);
    expect(resolveKey(ref('team/app', 'stable'), 'linux/ARM64')).toBe(`${proxy.host}/team/app:stable#linux/arm64`);
  });
});
