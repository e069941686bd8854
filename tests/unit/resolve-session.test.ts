// Unit: ResolverSession with a fake back end — dedupe (also concurrent), verify upgrades, a
// throwing back end becomes a per-reference failure, routing per reference, and the
// manifestExists fallback through resolve().

import { describe, expect, it } from 'vitest';
import type { ParsedReference } from '../../src/core/types.js';
import { ResolverSession } from '../../src/resolve/session.js';
import type { ResolveOptions, ResolveOutcome, Resolver } from '../../src/resolve/types.js';

const ref = (repository: string, tag?: string, digest?: string): ParsedReference => ({
  registry: 'registry.example',
  implicitRegistry: false,
  path: repository,
  repository,
  ...(tag ? { tag } : {}),
  ...(digest ? { digest } : {}),
});

class FakeResolver implements Resolver {
  calls: Array<{ ref: ParsedReference; opts: ResolveOptions | undefined }> = [];
  constructor(private readonly digests: Record<string, string>) {}
  async resolve(r: ParsedReference, opts?: ResolveOptions): Promise<ResolveOutcome> {
    this.calls.push({ ref: r, opts });
    await new Promise((res) => setTimeout(res, 5));
    if (r.repository === 'boom') throw new Error('back end exploded');
    const key = r.tag ?? r.digest ?? 'latest';
    const digest = this.digests[key];
    if (!digest) return { ok: false, kind: 'not-found', reason: `${key} not found` };
    return { ok: true, digest, mediaType: 'm', verified: opts?.verify === true, source: 'registry' };
  }
  async listTags(): Promise<string[]> {
    return Object.keys(this.digests);
  }
}

describe('ResolverSession', () => {
  it('dedupes sequential and concurrent calls; a verify request upgrades an unverified one', async () => {
    const fake = new FakeResolver({ '1': 'sha256:1', 'sha256:1': 'sha256:1' });
    const s = new ResolverSession({ resolver: fake });
    const [a, b] = await Promise.all([s.resolve(ref('app', '1')), s.resolve(ref('app', '1'))]);
    expect(a).toBe(b);
    expect(fake.calls).toHaveLength(1);
    const v = await s.resolve(ref('app', '1'), { verify: true });
    expect(v).toMatchObject({ ok: true, verified: true });
    await s.resolve(ref('app', '1'));
    await s.resolve(ref('app', '1'), { verify: true });
    expect(fake.calls).toHaveLength(2);
    await s.resolve(ref('app', '1'), { platform: 'linux/arm64' });
    expect(fake.calls).toHaveLength(3);
    expect(s.stats).toEqual({ registry: 3, cache: 0, deduped: 3 });
  });

  it('turns a throwing back end into a failure for that reference only', async () => {
    const s = new ResolverSession({ resolver: new FakeResolver({ '1': 'sha256:1' }) });
    const all = await s.resolveAll([ref('boom', '1'), ref('app', '1'), ref('app', '2')]);
    expect(all.get('registry.example/boom:1')).toEqual({ ok: false, kind: 'other', reason: 'back end exploded' });
    expect(all.get('registry.example/app:1')).toMatchObject({ ok: true });
    expect(all.get('registry.example/app:2')).toMatchObject({ ok: false, kind: 'not-found' });
  });

  it('routes each reference to its back end', async () => {
    const a = new FakeResolver({ x: 'sha256:a' });
    const b = new FakeResolver({ x: 'sha256:b' });
    const s = new ResolverSession({ resolver: (r) => (r.repository.startsWith('ecr/') ? b : a) });
    expect(await s.resolve(ref('ecr/app', 'x'))).toMatchObject({ digest: 'sha256:b' });
    expect(await s.resolve(ref('hub/app', 'x'))).toMatchObject({ digest: 'sha256:a' });
    expect(await s.listTags(ref('hub/app'))).toEqual(['x']);
  });

  it('manifestExists falls back to resolving the digest', async () => {
    const s = new ResolverSession({ resolver: new FakeResolver({ 'sha256:1': 'sha256:1' }) });
    expect(await s.manifestExists(ref('app'), 'sha256:1')).toBe(true);
    expect(await s.manifestExists(ref('app'), 'sha256:2')).toBe(false);
    const offline = new ResolverSession({ resolver: new FakeResolver({}), offline: true });
    await expect(offline.manifestExists(ref('app'), 'sha256:1')).rejects.toMatchObject({ kind: 'network' });
    expect(await offline.resolve(ref('app', '1'))).toMatchObject({ ok: false, kind: 'network', reason: expect.stringContaining('offline and not in cache') });
  });
});
