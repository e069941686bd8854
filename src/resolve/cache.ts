// On-disk cache of resolve results and tag lists: one small JSON file per key under
// `$XDG_CACHE_HOME/imagedrift` (default `~/.cache/imagedrift`), written atomically (tmp + rename) so
// concurrent runs never read a half-written file. Keys are canonical references (+ platform); file
// names are sha256(key) so any key is a safe file name. A corrupt or foreign file is a miss.

import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

const FORMAT_VERSION = 1;

export interface ResolveCacheOptions {
  /** Cache directory. Default defaultCacheDir(). */
  dir?: string;
  /** Entries older than this are stale. Default 1 hour. */
  ttlMs?: number;
  env?: NodeJS.ProcessEnv;
  now?: () => number;
}

export interface CacheEntry<T> {
  value: T;
  /** Epoch ms when stored. */
  storedAt: number;
  stale: boolean;
}

interface CacheFile {
  version: number;
  key: string;
  storedAt: number;
  value: unknown;
}

/** `$XDG_CACHE_HOME/imagedrift`, else `~/.cache/imagedrift`. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_CACHE_HOME;
  const base = xdg && path.isAbsolute(xdg) ? xdg : path.join(env.HOME ?? os.homedir(), '.cache');
  return path.join(base, 'imagedrift');
}

export class ResolveCache {
  readonly dir: string;
  readonly ttlMs: number;
  private readonly now: () => number;

  constructor(opts: ResolveCacheOptions = {}) {
    this.dir = opts.dir ?? defaultCacheDir(opts.env);
    this.ttlMs = opts.ttlMs ?? 60 * 60 * 1000;
    this.now = opts.now ?? Date.now;
  }

  private fileFor(namespace: string, key: string): string {
    const hash = createHash('sha256').update(`${namespace}\0${key}`).digest('hex');
    return path.join(this.dir, `v${FORMAT_VERSION}`, namespace, hash.slice(0, 2), `${hash}.json`);
  }

  /**
   * Read an entry. Stale entries (older than the TTL) are returned only with `allowStale`
   * (offline mode), flagged `stale: true`.
   */
  async get<T>(namespace: string, key: string, opts: { allowStale?: boolean } = {}): Promise<CacheEntry<T> | undefined> {
    let parsed: CacheFile;
    try {
      parsed = JSON.parse(await readFile(this.fileFor(namespace, key), 'utf8')) as CacheFile;
    } catch {
      return undefined;
    }
    if (!parsed || parsed.version !== FORMAT_VERSION || parsed.key !== key || typeof parsed.storedAt !== 'number') {
      return undefined;
    }
    const age = this.now() - parsed.storedAt;
    const stale = age > this.ttlMs || age < -5 * 60 * 1000; // an entry "from the future" is a clock jump: distrust it
    if (stale && !opts.allowStale) return undefined;
    return { value: parsed.value as T, storedAt: parsed.storedAt, stale };
  }

  async set(namespace: string, key: string, value: unknown): Promise<void> {
    const file = this.fileFor(namespace, key);
    await mkdir(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
    const data: CacheFile = { version: FORMAT_VERSION, key, storedAt: this.now(), value };
    try {
      await writeFile(tmp, `${JSON.stringify(data)}\n`, { mode: 0o600 });
      await rename(tmp, file);
    } catch (err) {
      await rm(tmp, { force: true }).catch(() => {});
      throw err;
    }
  }

  async delete(namespace: string, key: string): Promise<void> {
    await rm(this.fileFor(namespace, key), { force: true });
  }
}
