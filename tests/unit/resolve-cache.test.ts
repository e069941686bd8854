// Unit: the on-disk resolve cache — round trip, TTL and stale reads, atomic writes (no temp files
// left), corrupt files as misses, and the XDG default directory.

import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ResolveCache, defaultCacheDir } from '../../src/resolve/cache.js';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(path.join(os.tmpdir(), 'imagedrift-cache-unit-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name));
}

describe('ResolveCache', () => {
  it('round-trips values per namespace and key', async () => {
    const cache = new ResolveCache({ dir: tmp() });
    await cache.set('resolve', 'docker.io/library/nginx:1.25', { digest: 'sha256:x', verified: true });
    expect((await cache.get('resolve', 'docker.io/library/nginx:1.25'))?.value).toEqual({ digest: 'sha256:x', verified: true });
    expect(await cache.get('tags', 'docker.io/library/nginx:1.25')).toBeUndefined();
    expect(await cache.get('resolve', 'docker.io/library/nginx:1.26')).toBeUndefined();
    await cache.delete('resolve', 'docker.io/library/nginx:1.25');
    expect(await cache.get('resolve', 'docker.io/library/nginx:1.25')).toBeUndefined();
  });

  it('expires after the TTL; allowStale returns it flagged stale; a future timestamp is stale', async () => {
    let now = 1_000_000;
    const dir = tmp();
    const cache = new ResolveCache({ dir, ttlMs: 1000, now: () => now });
    await cache.set('resolve', 'k', 1);
    now += 999;
    expect(await cache.get('resolve', 'k')).toMatchObject({ value: 1, stale: false });
    now += 2;
    expect(await cache.get('resolve', 'k')).toBeUndefined();
    expect(await cache.get('resolve', 'k', { allowStale: true })).toMatchObject({ value: 1, stale: true });
    now -= 60 * 60 * 1000; // clock jumped back: entry now looks like it is from the future
    expect(await cache.get('resolve', 'k')).toBeUndefined();
  });

  it('writes atomically (no temp files left behind), files are private', async () => {
    const dir = tmp();
    const cache = new ResolveCache({ dir });
    await Promise.all(Array.from({ length: 20 }, (_, i) => cache.set('resolve', 'same-key', { i })));
    const files = filesUnder(dir);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/\.json$/);
    expect((await cache.get<{ i: number }>('resolve', 'same-key'))?.value.i).toBeGreaterThanOrEqual(0);
  });

  it('treats corrupt or foreign files as misses', async () => {
    const dir = tmp();
    const cache = new ResolveCache({ dir });
    await cache.set('resolve', 'k', 1);
    const [file] = filesUnder(dir);
    writeFileSync(file as string, '{"version":1,"key":"k","storedAt":');
    expect(await cache.get('resolve', 'k')).toBeUndefined();
    writeFileSync(file as string, JSON.stringify({ version: 1, key: 'other', storedAt: Date.now(), value: 2 }));
    expect(await cache.get('resolve', 'k')).toBeUndefined();
  });

  it('defaults to $XDG_CACHE_HOME/imagedrift, else ~/.cache/imagedrift', () => {
    expect(defaultCacheDir({ XDG_CACHE_HOME: '/x/cache', HOME: '/home/u' })).toBe('/x/cache/imagedrift');
    expect(defaultCacheDir({ HOME: '/home/u' })).toBe('/home/u/.cache/imagedrift');
    expect(defaultCacheDir({ XDG_CACHE_HOME: 'relative', HOME: '/home/u' })).toBe('/home/u/.cache/imagedrift');
  });
});
