// ResolverSession: what a scan uses. Wraps any Resolver (OCI registry, ECR, or a router choosing
// between them per reference) and adds, for one run: dedupe (each unique canonical reference is
// resolved once, even when asked concurrently), the on-disk cache (TTL, noCache) and offline mode
// (answers from the cache only). Per-host concurrency is bounded below, in the HttpClient.

import type { ParsedReference } from '../core/types.js';
import { canonicalName } from '../core/parse-reference.js';
import type { ResolveCache } from './cache.js';
import { mapLimit } from './limit.js';
import {
  DIGEST_RE,
  ResolveError,
  toFailure,
  type ResolveOptions,
  type ResolveOutcome,
  type ResolveSuccess,
  type Resolver,
} from './types.js';

export interface ResolverSessionOptions {
  /** The back end, or a function choosing one per reference (e.g. ECR vs. OCI). */
  resolver: Resolver | ((ref: ParsedReference) => Resolver);
  /** On-disk cache; leave out (or set noCache) to always ask the registry. */
  cache?: ResolveCache;
  /** Neither read nor write the cache. */
  noCache?: boolean;
  /** Never touch the network: answer from the cache (stale entries included) or fail with kind 'network'. */
  offline?: boolean;
  /** Overall bound on resolves in flight in resolveAll (per-host bounds apply below). Default 64. */
  concurrency?: number;
  onWarning?: (message: string) => void;
}

export interface SessionStats {
  /** resolve() calls answered by the back end. */
  registry: number;
  /** resolve() calls answered by the on-disk cache. */
  cache: number;
  /** resolve() calls that joined an earlier identical call of this session. */
  deduped: number;
}

type CachedResolve = Omit<ResolveSuccess, 'ok' | 'source'>;

const OFFLINE_MISS = 'offline and not in cache';

/** What a resolve of `ref` actually asks the registry: the tag (default latest), else the digest. */
export function resolveKey(ref: ParsedReference, platform?: string): string {
  const target = ref.tag !== undefined ? `:${ref.tag}` : ref.digest !== undefined ? `@${ref.digest}` : ':latest';
  return `${canonicalName(ref)}${target}${platform ? `#${platform.toLowerCase()}` : ''}`;
}

export class ResolverSession implements Resolver {
  readonly stats: SessionStats = { registry: 0, cache: 0, deduped: 0 };
  private readonly inflight = new Map<string, { verify: boolean; promise: Promise<ResolveOutcome> }>();
  private readonly tagLists = new Map<string, Promise<string[]>>();
  private readonly created = new Map<string, Promise<string | undefined>>();
  private readonly cache: ResolveCache | undefined;

  constructor(private readonly opts: ResolverSessionOptions) {
    this.cache = opts.noCache ? undefined : opts.cache;
  }

  private backend(ref: ParsedReference): Resolver {
    const r = this.opts.resolver;
    return typeof r === 'function' ? r(ref) : r;
  }

  resolve(ref: ParsedReference, opts: ResolveOptions = {}): Promise<ResolveOutcome> {
    const key = resolveKey(ref, opts.platform);
    const verify = opts.verify === true;
    const existing = this.inflight.get(key);
    if (existing && (existing.verify || !verify)) {
      this.stats.deduped++;
      return existing.promise;
    }
    const promise = this.resolveUncached(ref, key, opts);
    this.inflight.set(key, { verify, promise });
    return promise;
  }

  /** Resolve many references; the map is keyed by resolveKey(ref, opts.platform). */
  async resolveAll(refs: Iterable<ParsedReference>, opts: ResolveOptions = {}): Promise<Map<string, ResolveOutcome>> {
    const unique = new Map<string, ParsedReference>();
    for (const ref of refs) {
      const key = resolveKey(ref, opts.platform);
      if (!unique.has(key)) unique.set(key, ref);
    }
    const entries = [...unique.entries()];
    const outcomes = await mapLimit(entries, this.opts.concurrency ?? 64, ([, ref]) => this.resolve(ref, opts));
    const result = new Map<string, ResolveOutcome>();
    entries.forEach(([key], i) => result.set(key, outcomes[i] as ResolveOutcome));
    return result;
  }

  private async resolveUncached(ref: ParsedReference, key: string, opts: ResolveOptions): Promise<ResolveOutcome> {
    const cache = this.cache;
    if (cache) {
      const hit = await cache.get<CachedResolve>('resolve', key, { allowStale: this.opts.offline === true });
      if (hit && isCachedResolve(hit.value) && (!opts.verify || hit.value.verified)) {
        this.stats.cache++;
        return { ok: true, ...hit.value, source: 'cache' };
      }
      if (hit && isCachedResolve(hit.value) && this.opts.offline) {
        // A digest about to be written must have been verified (GET + sha256); offline, it cannot be.
        return {
          ok: false,
          kind: 'verify',
          reason: `${key}: the cached digest ${hit.value.digest} was never verified (scan --resolve reads it from a HEAD answer), and --offline forbids fetching the manifest to verify it; run without --offline`,
        };
      }
    }
    if (this.opts.offline) return { ok: false, kind: 'network', reason: `${key}: ${OFFLINE_MISS}` };

    let outcome: ResolveOutcome;
    try {
      outcome = await this.backend(ref).resolve(ref, opts);
    } catch (err) {
      outcome = toFailure(err); // a back end that throws still yields a per-reference failure
    }
    this.stats.registry++;
    if (outcome.ok && cache) {
      const { ok: _ok, source: _source, ...value } = outcome;
      await cache.set('resolve', key, value).catch((err: Error) => this.opts.onWarning?.(`cache write failed: ${err.message}`));
    }
    return outcome;
  }

  listTags(ref: ParsedReference): Promise<string[]> {
    const key = canonicalName(ref);
    let p = this.tagLists.get(key);
    if (!p) {
      p = this.listTagsUncached(ref, key);
      this.tagLists.set(key, p);
    }
    return p;
  }

  private async listTagsUncached(ref: ParsedReference, key: string): Promise<string[]> {
    const cache = this.cache;
    if (cache) {
      const hit = await cache.get<string[]>('tags', key, { allowStale: this.opts.offline === true });
      if (hit && Array.isArray(hit.value)) return hit.value;
    }
    if (this.opts.offline) throw new ResolveError('network', `${key} (tags list): ${OFFLINE_MISS}`);
    const tags = await this.backend(ref).listTags(ref);
    if (cache) await cache.set('tags', key, tags).catch((err: Error) => this.opts.onWarning?.(`cache write failed: ${err.message}`));
    return tags;
  }

  /**
   * When the image was released (see Resolver.imageCreated): asked once per digest and platform in
   * a run, and kept in the on-disk cache (an image's config never changes under its digest).
   */
  imageCreated(ref: ParsedReference, digest: string, opts: { platform?: string } = {}): Promise<string | undefined> {
    const key = `${canonicalName(ref)}@${digest}${opts.platform ? `#${opts.platform.toLowerCase()}` : ''}`;
    let p = this.created.get(key);
    if (!p) {
      p = this.imageCreatedUncached(ref, digest, opts, key);
      this.created.set(key, p);
    }
    return p;
  }

  private async imageCreatedUncached(ref: ParsedReference, digest: string, opts: { platform?: string }, key: string): Promise<string | undefined> {
    const cache = this.cache;
    if (cache) {
      const hit = await cache.get<{ created: string | null }>('created', key, { allowStale: true });
      if (hit && hit.value !== null && typeof hit.value === 'object' && (typeof hit.value.created === 'string' || hit.value.created === null)) return hit.value.created ?? undefined;
    }
    if (this.opts.offline) throw new ResolveError('network', `${key} (release time): ${OFFLINE_MISS}`);
    const backend = this.backend(ref);
    if (backend.imageCreated === undefined) throw new ResolveError('other', `${key}: this registry cannot say when an image was released`);
    const created = await backend.imageCreated(ref, digest, opts);
    if (cache) await cache.set('created', key, { created: created ?? null }).catch((err: Error) => this.opts.onWarning?.(`cache write failed: ${err.message}`));
    return created;
  }

  /** Is `digest` still in the repository? Always asks the registry (never the cache). */
  async manifestExists(ref: ParsedReference, digest: string): Promise<boolean> {
    if (this.opts.offline) throw new ResolveError('network', `${canonicalName(ref)}@${digest}: offline, cannot check`);
    const backend = this.backend(ref);
    if (backend.manifestExists) return backend.manifestExists(ref, digest);
    const outcome = await backend.resolve({ ...ref, tag: undefined, digest });
    if (outcome.ok) return true;
    if (outcome.kind === 'not-found') return false;
    throw new ResolveError(outcome.kind, outcome.reason);
  }
}

function isCachedResolve(v: unknown): v is CachedResolve {
  if (!v || typeof v !== 'object') return false;
  const o = v as Record<string, unknown>;
  return (
    typeof o.digest === 'string' &&
    DIGEST_RE.test(o.digest) &&
    (o.platformDigest === undefined || (typeof o.platformDigest === 'string' && DIGEST_RE.test(o.platformDigest))) &&
    typeof o.mediaType === 'string' &&
    typeof o.verified === 'boolean'
  );
}
