// Resolver contract shared by every registry back end (OCI Distribution, ECR, …) and by the
// ResolverSession that adds dedupe, caching and offline mode on top of any of them.
//
// Failures are data (ResolveFailure), not exceptions: one bad reference must not abort a scan,
// and the CLI reports failures per reference. `listTags` and `manifestExists` throw ResolveError
// (which carries the same `kind`) because their callers usually want to stop on failure.

import type { ParsedReference } from '../core/types.js';

export type ResolveFailureKind = 'not-found' | 'auth' | 'network' | 'verify' | 'platform' | 'other';

/** Media types a registry may answer a manifest request with. */
export const MEDIA_TYPES = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
} as const;

/** A well-formed digest of an algorithm we can verify: sha256 with 64 hex digits, sha512 with 128. */
export const DIGEST_RE = /^(?:sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;

export function isVerifiableDigest(digest: string): boolean {
  return DIGEST_RE.test(digest);
}

export const INDEX_MEDIA_TYPES: ReadonlySet<string> = new Set([
  MEDIA_TYPES.ociIndex,
  MEDIA_TYPES.dockerManifestList,
]);

export interface ResolveOptions {
  /**
   * GET the manifest and check sha256(body) against the digest (and cross-check the
   * Docker-Content-Digest header). Use whenever the digest will be written into a file.
   */
  verify?: boolean;
  /**
   * Verify when it costs nothing more: one GET instead of the HEAD, from every registry but Docker
   * Hub (where only GETs count against the pull rate limit). `verified` in the outcome says which.
   */
  preferVerified?: boolean;
  /**
   * `os/arch[/variant]`, e.g. `linux/arm64` or `linux/arm/v7`. When set and the reference is a
   * multi-arch index, `platformDigest` is the matching child manifest; when it is a
   * single-platform manifest, its config is checked to match. No match → kind 'platform'.
   */
  platform?: string;
}

export interface ResolveSuccess {
  ok: true;
  /** What the tag (or digest) points at: the index digest for a multi-arch image. */
  digest: string;
  /** Media type of the manifest `digest` names. */
  mediaType: string;
  /** True when the manifest body was fetched and its sha256 matched `digest` (and the child's, if any). */
  verified: boolean;
  /** Only when a platform was requested: the manifest for that platform (equals `digest` for a single-platform image). */
  platformDigest?: string;
  source: 'registry' | 'cache';
}

export interface ResolveFailure {
  ok: false;
  /** Human-readable, never contains credentials or tokens. */
  reason: string;
  kind: ResolveFailureKind;
}

export type ResolveOutcome = ResolveSuccess | ResolveFailure;

export interface Resolver {
  /**
   * Resolve `ref.tag` (default `latest`) to a digest. A reference with only a digest is checked
   * for existence and resolves to itself. With both, the tag is resolved, so the caller can
   * compare the outcome with `ref.digest` to detect a moved tag.
   */
  resolve(ref: ParsedReference, opts?: ResolveOptions): Promise<ResolveOutcome>;
  /** All tags of `ref`'s repository (all pages). Throws ResolveError. */
  listTags(ref: ParsedReference): Promise<string[]>;
  /** Is `digest` still present in `ref`'s repository? 404 → false; other failures throw ResolveError. */
  manifestExists?(ref: ParsedReference, digest: string): Promise<boolean>;
  /**
   * When the image `digest` names was released: the image config's `created` time (for an index,
   * the config of the child for `platform`, else linux/amd64, else the first), or the registry's
   * push time where that is what it keeps (ECR's imagePushedAt). Undefined when the image carries
   * none. Every manifest and config read is checked against its digest. Throws ResolveError.
   */
  imageCreated?(ref: ParsedReference, digest: string, opts?: { platform?: string }): Promise<string | undefined>;
}

/** The digest a platform-specific pin should use: the child manifest when one was selected. */
export function digestToPin(outcome: ResolveSuccess): string {
  return outcome.platformDigest ?? outcome.digest;
}

export class ResolveError extends Error {
  readonly kind: ResolveFailureKind;
  constructor(kind: ResolveFailureKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ResolveError';
    this.kind = kind;
  }

  toFailure(): ResolveFailure {
    return { ok: false, kind: this.kind, reason: this.message };
  }
}

/** Turn anything thrown into a ResolveFailure (unknown errors become kind 'other'). */
export function toFailure(err: unknown): ResolveFailure {
  if (err instanceof ResolveError) return err.toFailure();
  const message = err instanceof Error ? err.message : String(err);
  return { ok: false, kind: 'other', reason: message };
}
