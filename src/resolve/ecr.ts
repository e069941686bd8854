// Amazon ECR resolver: tags → verified digests through the ECR API (not the registry's HTTP API),
// so the SDK's credentials (default chain, profile, assumed role), retries and endpoint settings
// apply, and one BatchGetImage call answers up to 100 references.
//
// - `resolveAll(refs)` groups references per (region, registry account, repository) — BatchGetImage
//   takes one repository per call — and sends ceil(n / 100) calls per group. Failures are per
//   reference (`{ok:false, kind, reason}`); a failing group (RepositoryNotFound, AccessDenied, …)
//   fails only its own references. Nothing throws for the batch.
// - `resolve(ref)` joins a micro-batch: calls made in the same tick (as ResolverSession.resolveAll
//   does) are sent together.
// - Every manifest returned is verified: sha256(imageManifest) must equal imageId.imageDigest.
// - DescribeImages answers "does this digest still exist" (batched, 100 ids a call) and lists a
//   repository's tags, or the tags of the image a tag points at (so `latest` maps to its version
//   tags).
// - Endpoints come from the SDK (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_ECR, shared config); this module
//   never sets one unless the caller's AwsClients was given one explicitly.

import { createHash } from 'node:crypto';
import {
  BatchGetImageCommand,
  DescribeImagesCommand,
  type ECRClient,
  type ImageIdentifier,
} from '@aws-sdk/client-ecr';
import { canonicalName, canonicalReference } from '../core/parse-reference.js';
import type { ParsedReference } from '../core/types.js';
import {
  AwsClients,
  awsErrorMessage,
  awsErrorName,
  isAccessDenied,
  toCredentialsError,
  withSkewRetry,
  type AwsClientOptions,
} from '../sources/aws-clients.js';
import { parseEcrHost, type EcrHost } from './ecr-host.js';
import { mapLimit } from './limit.js';
import { formatPlatform, parsePlatform } from './oci-registry.js';
import {
  INDEX_MEDIA_TYPES,
  MEDIA_TYPES,
  ResolveError,
  type ResolveFailure,
  type ResolveFailureKind,
  type ResolveOptions,
  type ResolveOutcome,
  type Resolver,
} from './types.js';

/** Media types asked of BatchGetImage: an index stays an index (no conversion by ECR). */
export const ECR_ACCEPTED_MEDIA_TYPES = [
  MEDIA_TYPES.ociIndex,
  MEDIA_TYPES.dockerManifestList,
  MEDIA_TYPES.ociManifest,
  MEDIA_TYPES.dockerManifest,
];

/** BatchGetImage and DescribeImages accept at most 100 image ids per call. */
export const ECR_MAX_IMAGE_IDS = 100;

export interface EcrResolverOptions {
  /** Shared client factory (profile, role, retries). Created from `aws` when absent. */
  clients?: AwsClients;
  /** Options for the factory created when `clients` is absent (e.g. `{ profile: 'prod' }`). */
  aws?: AwsClientOptions;
  /** Shortcut for `aws.profile`. */
  profile?: string;
  /** Parallel ECR calls (different repositories). Default 8. */
  concurrency?: number;
}

export interface EcrImageDetail {
  digest: string;
  tags: string[];
  mediaType?: string;
  pushedAt?: string;
  sizeInBytes?: number;
}

/** The ECR coordinates of a reference. */
export interface EcrTarget {
  host: EcrHost;
  repository: string;
}

export function ecrTarget(ref: ParsedReference): EcrTarget | undefined {
  const host = parseEcrHost(ref.registry);
  return host ? { host, repository: ref.repository } : undefined;
}

const DIGEST_RE = /^sha256:[a-f0-9]{64}$/;

function sha256(text: string): string {
  return `sha256:${createHash('sha256').update(text, 'utf8').digest('hex')}`;
}

function groupKey(t: EcrTarget): string {
  return `${t.host.region}\u0000${t.host.fips ? 'fips' : ''}\u0000${t.host.account}\u0000${t.repository}`;
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Map a call-level SDK error to a per-reference failure kind. */
export function failureKindOf(err: unknown): ResolveFailureKind {
  if (err instanceof ResolveError) return err.kind;
  const name = awsErrorName(err);
  if (toCredentialsError(err) || isAccessDenied(err)) return 'auth';
  if (name === 'RepositoryNotFoundException' || name === 'ImageNotFoundException' || name === 'RegistryNotFoundException') return 'not-found';
  if (
    name === 'ThrottlingException' ||
    name === 'TimeoutError' ||
    name === 'ServerException' ||
    name === 'ServiceUnavailableException' ||
    /ECONN|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|socket/i.test(String((err as { code?: unknown })?.code ?? (err as Error)?.message ?? ''))
  ) {
    return 'network';
  }
  return 'other';
}

function failureCodeKind(code: string | undefined): ResolveFailureKind {
  switch (code) {
    case 'ImageNotFound':
      return 'not-found';
    case 'UpstreamAccessDenied':
      return 'auth';
    case 'UpstreamTooManyRequests':
    case 'UpstreamUnavailable':
      return 'network';
    case 'ImageTagDoesNotMatchDigest':
      return 'verify';
    default:
      return 'other';
  }
}

interface PlatformSpec {
  os: string;
  architecture: string;
  variant?: string;
}

const normArch = (a: string) => (a === 'x86_64' || a === 'x86-64' ? 'amd64' : a === 'aarch64' ? 'arm64' : a);
const defaultVariant = (arch: string) => (arch === 'arm64' ? 'v8' : arch === 'arm' ? 'v7' : undefined);

function selectPlatform(name: string, manifest: string, want: PlatformSpec): string {
  let json: { manifests?: Array<{ digest?: string; platform?: { os?: string; architecture?: string; variant?: string }; annotations?: Record<string, string> }> };
  try {
    json = JSON.parse(manifest) as typeof json;
  } catch {
    throw new ResolveError('verify', `${name}: index manifest is not JSON`);
  }
  const children = (json.manifests ?? []).filter(
    (m) => typeof m.digest === 'string' && m.platform?.os !== 'unknown' && m.annotations?.['vnd.docker.reference.type'] !== 'attestation-manifest',
  );
  const matches = children.filter((m) => {
    const p = m.platform;
    if (!p || (p.os ?? '').toLowerCase() !== want.os || normArch((p.architecture ?? '').toLowerCase()) !== want.architecture) return false;
    if (want.variant === undefined) return true;
    return (p.variant?.toLowerCase() ?? defaultVariant(want.architecture)) === want.variant;
  });
  const dv = defaultVariant(want.architecture);
  const best = matches.find((m) => (m.platform?.variant ?? dv) === (want.variant ?? dv)) ?? matches[0];
  if (!best?.digest) {
    const available = [...new Set(children.filter((m) => m.platform).map((m) => formatPlatform(m.platform ?? {})))];
    throw new ResolveError('platform', `${name}: no manifest for ${formatPlatform(want)}; available: ${available.length ? available.join(', ') : 'none'}`);
  }
  if (!DIGEST_RE.test(best.digest)) throw new ResolveError('verify', `${name}: index lists a malformed digest`);
  return best.digest;
}

interface Pending {
  ref: ParsedReference;
  opts: ResolveOptions;
  resolve: (o: ResolveOutcome) => void;
}

/** Parse ECR's ImageNotFoundException message to learn which image id was missing. */
function missingIdFromMessage(message: string): { imageDigest?: string; imageTag?: string } | undefined {
  const m = /imageDigest:'([^']*)',\s*imageTag:'([^']*)'/.exec(message);
  if (!m) return undefined;
  const out: { imageDigest?: string; imageTag?: string } = {};
  if (m[1] && m[1] !== 'null') out.imageDigest = m[1];
  if (m[2] && m[2] !== 'null') out.imageTag = m[2];
  return out.imageDigest || out.imageTag ? out : undefined;
}

export class EcrResolver implements Resolver {
  readonly clients: AwsClients;
  private readonly ownsClients: boolean;
  private readonly concurrency: number;
  private queue: Pending[] = [];
  private flushScheduled = false;

  constructor(opts: EcrResolverOptions = {}) {
    this.ownsClients = opts.clients === undefined;
    this.clients = opts.clients ?? new AwsClients({ ...opts.aws, ...(opts.profile ? { profile: opts.profile } : {}) });
    this.concurrency = opts.concurrency ?? 8;
  }

  /** True when `ref` names a private ECR registry this resolver can answer. */
  static handles(ref: ParsedReference): boolean {
    return parseEcrHost(ref.registry) !== undefined;
  }

  close(): void {
    if (this.ownsClients) this.clients.destroy();
  }

  private client(t: EcrTarget): ECRClient {
    return this.clients.ecr(t.host.region, { fips: t.host.fips });
  }

  // ------------------------------------------------------------------------------- resolve

  resolve(ref: ParsedReference, opts: ResolveOptions = {}): Promise<ResolveOutcome> {
    return new Promise<ResolveOutcome>((resolve) => {
      this.queue.push({ ref, opts, resolve });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => {
          this.flushScheduled = false;
          const batch = this.queue;
          this.queue = [];
          this.run(batch).catch((err: unknown) => {
            for (const p of batch) p.resolve({ ok: false, kind: 'other', reason: awsErrorMessage(err) });
          });
        });
      }
    });
  }

  /**
   * Resolve many references with the fewest BatchGetImage calls. Keyed by canonicalReference(ref)
   * (`registry/repository[:tag][@digest]`). Never throws.
   */
  async resolveAll(refs: Iterable<ParsedReference>, opts: ResolveOptions = {}): Promise<Map<string, ResolveOutcome>> {
    const result = new Map<string, ResolveOutcome>();
    const pending: Pending[] = [];
    for (const ref of refs) {
      const key = canonicalReference(ref);
      if (result.has(key)) continue;
      result.set(key, { ok: false, kind: 'other', reason: 'not resolved' });
      pending.push({ ref, opts, resolve: (o) => result.set(key, o) });
    }
    await this.run(pending);
    return result;
  }

  private async run(items: Pending[]): Promise<void> {
    type Group = { target: EcrTarget; items: Array<Pending & { id: ImageIdentifier; idKey: string }> };
    const groups = new Map<string, Group>();
    for (const p of items) {
      const target = ecrTarget(p.ref);
      if (!target) {
        p.resolve({ ok: false, kind: 'other', reason: `${canonicalName(p.ref)}: not an Amazon ECR private registry` });
        continue;
      }
      const byDigest = p.ref.tag === undefined && p.ref.digest !== undefined;
      if (byDigest && !DIGEST_RE.test(p.ref.digest!)) {
        p.resolve({ ok: false, kind: 'other', reason: `${canonicalReference(p.ref)}: ECR only serves sha256 digests` });
        continue;
      }
      const id: ImageIdentifier = byDigest ? { imageDigest: p.ref.digest! } : { imageTag: p.ref.tag ?? 'latest' };
      const key = groupKey(target);
      let g = groups.get(key);
      if (!g) groups.set(key, (g = { target, items: [] }));
      g.items.push({ ...p, id, idKey: id.imageDigest ? `@${id.imageDigest}` : `:${id.imageTag}` });
    }
    const calls: Array<{ target: EcrTarget; items: Group['items'] }> = [];
    for (const g of groups.values()) {
      const uniqueIds = [...new Set(g.items.map((i) => i.idKey))];
      for (const ids of chunk(uniqueIds, ECR_MAX_IMAGE_IDS)) {
        const set = new Set(ids);
        calls.push({ target: g.target, items: g.items.filter((i) => set.has(i.idKey)) });
      }
    }
    await mapLimit(calls, this.concurrency, (c) => this.batchGet(c.target, c.items));
  }

  private async batchGet(target: EcrTarget, items: Array<Pending & { id: ImageIdentifier; idKey: string }>): Promise<void> {
    const ids = new Map<string, ImageIdentifier>();
    for (const i of items) ids.set(i.idKey, i.id);
    const where = `${target.host.account}.dkr.ecr.${target.host.region}/${target.repository}`;
    let out;
    try {
      out = await withSkewRetry(() => this.client(target).send(
        new BatchGetImageCommand({
          registryId: target.host.account,
          repositoryName: target.repository,
          imageIds: [...ids.values()],
          acceptedMediaTypes: ECR_ACCEPTED_MEDIA_TYPES,
        }),
      ));
    } catch (err) {
      const cred = toCredentialsError(err);
      const reason = cred ? cred.message : `${where}: ${awsErrorMessage(err)}`;
      const failure: ResolveFailure = { ok: false, kind: failureKindOf(err), reason };
      for (const i of items) i.resolve(failure);
      return;
    }
    const images = new Map<string, { digest?: string; manifest?: string; mediaType?: string }>();
    for (const img of out.images ?? []) {
      const d = img.imageId?.imageDigest;
      const entry = { digest: d, manifest: img.imageManifest, mediaType: img.imageManifestMediaType };
      if (img.imageId?.imageTag) images.set(`:${img.imageId.imageTag}`, entry);
      if (d) images.set(`@${d}`, entry);
    }
    const failures = new Map<string, { code?: string; reason?: string }>();
    for (const f of out.failures ?? []) {
      const id = f.imageId ?? {};
      const key = id.imageTag && !id.imageDigest ? `:${id.imageTag}` : id.imageDigest && !id.imageTag ? `@${id.imageDigest}` : id.imageTag ? `:${id.imageTag}` : '';
      failures.set(key, { code: f.failureCode, reason: f.failureReason });
    }
    for (const i of items) {
      const name = canonicalReference(i.ref);
      const img = images.get(i.idKey);
      if (!img) {
        const f = failures.get(i.idKey);
        i.resolve(
          f
            ? { ok: false, kind: failureCodeKind(f.code), reason: `${name}: ${f.code ?? 'failure'}${f.reason ? `: ${f.reason}` : ''}` }
            : { ok: false, kind: 'not-found', reason: `${name}: ECR returned neither the image nor a failure for it` },
        );
        continue;
      }
      i.resolve(this.outcome(name, i, img));
    }
  }

  private outcome(name: string, i: Pending & { id: ImageIdentifier }, img: { digest?: string; manifest?: string; mediaType?: string }): ResolveOutcome {
    let digest = img.digest;
    let verified = false;
    if (img.manifest !== undefined) {
      const actual = sha256(img.manifest);
      if (digest !== undefined && actual !== digest) {
        return { ok: false, kind: 'verify', reason: `${name}: manifest sha256 ${actual} does not match ECR's imageDigest ${digest}` };
      }
      digest ??= actual;
      verified = true;
    }
    if (!digest || !DIGEST_RE.test(digest)) return { ok: false, kind: 'verify', reason: `${name}: ECR returned no valid digest` };
    if (i.id.imageDigest && digest !== i.id.imageDigest) {
      return { ok: false, kind: 'verify', reason: `${name}: ECR returned ${digest} for a request by digest` };
    }
    let mediaType = img.mediaType;
    if (!mediaType && img.manifest) {
      try {
        mediaType = (JSON.parse(img.manifest) as { mediaType?: string }).mediaType;
      } catch {
        /* leave undefined */
      }
    }
    mediaType ??= MEDIA_TYPES.dockerManifest;
    const out: ResolveOutcome = { ok: true, digest, mediaType, verified, source: 'registry' };
    if (i.opts.platform !== undefined) {
      try {
        const want = parsePlatform(i.opts.platform) as PlatformSpec;
        // A single-platform manifest's os/arch lives in its config blob, which the ECR API does
        // not return; the digest is the platform digest (unchecked).
        out.platformDigest = INDEX_MEDIA_TYPES.has(mediaType) && img.manifest ? selectPlatform(name, img.manifest, want) : digest;
      } catch (err) {
        return err instanceof ResolveError ? err.toFailure() : { ok: false, kind: 'platform', reason: String(err) };
      }
    }
    return out;
  }

  // ------------------------------------------------------------------------------- DescribeImages

  private target(ref: ParsedReference): EcrTarget {
    const t = ecrTarget(ref);
    if (!t) throw new ResolveError('other', `${canonicalName(ref)}: not an Amazon ECR private registry`);
    return t;
  }

  private wrap(ref: ParsedReference, err: unknown): ResolveError {
    if (err instanceof ResolveError) return err;
    const cred = toCredentialsError(err);
    return new ResolveError(failureKindOf(err), cred ? cred.message : `${canonicalName(ref)}: ${awsErrorMessage(err)}`, { cause: err });
  }

  /** Every image of the repository with its tags (DescribeImages, all pages). Throws ResolveError. */
  async listImages(ref: ParsedReference, tagStatus: 'TAGGED' | 'ANY' = 'TAGGED'): Promise<EcrImageDetail[]> {
    const t = this.target(ref);
    const out: EcrImageDetail[] = [];
    let nextToken: string | undefined;
    try {
      do {
        const page = await withSkewRetry(() => this.client(t).send(
          new DescribeImagesCommand({
            registryId: t.host.account,
            repositoryName: t.repository,
            filter: { tagStatus },
            maxResults: 1000,
            ...(nextToken ? { nextToken } : {}),
          }),
        ));
        for (const d of page.imageDetails ?? []) if (d.imageDigest) out.push(detailOf(d));
        nextToken = page.nextToken;
      } while (nextToken);
    } catch (err) {
      throw this.wrap(ref, err);
    }
    return out;
  }

  /** All tags of the repository. Throws ResolveError. */
  async listTags(ref: ParsedReference): Promise<string[]> {
    const images = await this.listImages(ref, 'TAGGED');
    return [...new Set(images.flatMap((i) => i.tags))].sort();
  }

  /** When the image was pushed to ECR (imagePushedAt): its release time here. Throws ResolveError. */
  async imageCreated(ref: ParsedReference, digest: string): Promise<string | undefined> {
    const found = (await this.describeIds(ref, [{ imageDigest: digest }])).get(`@${digest}`);
    if (found === undefined) throw new ResolveError('not-found', `${canonicalName(ref)}@${digest}: not found in ECR`);
    return found.pushedAt;
  }

  /** Is `digest` still in `ref`'s repository? Throws ResolveError on anything but "not found". */
  async manifestExists(ref: ParsedReference, digest: string): Promise<boolean> {
    const r = await this.describeIds(ref, [{ imageDigest: digest }]);
    return r.get(`@${digest}`) !== undefined;
  }

  /**
   * Batched existence check: for each (ref, digest), is the digest still in the repository?
   * Keyed by `canonicalName(ref)@digest`. A group that fails (no access, no repository) yields a
   * ResolveFailure for each of its entries; "repository not found" yields false.
   */
  async digestsExist(items: Iterable<{ ref: ParsedReference; digest: string }>): Promise<Map<string, boolean | ResolveFailure>> {
    const byRepo = new Map<string, { ref: ParsedReference; digests: Set<string> }>();
    for (const { ref, digest } of items) {
      const k = canonicalName(ref);
      let g = byRepo.get(k);
      if (!g) byRepo.set(k, (g = { ref, digests: new Set() }));
      g.digests.add(digest);
    }
    const result = new Map<string, boolean | ResolveFailure>();
    await mapLimit([...byRepo.values()], this.concurrency, async (g) => {
      const name = canonicalName(g.ref);
      try {
        const found = await this.describeIds(g.ref, [...g.digests].map((d) => ({ imageDigest: d })));
        for (const d of g.digests) result.set(`${name}@${d}`, found.has(`@${d}`));
      } catch (err) {
        const e = this.wrap(g.ref, err);
        for (const d of g.digests) result.set(`${name}@${d}`, e.kind === 'not-found' && /RepositoryNotFound/.test(e.message) ? false : e.toFailure());
      }
    });
    return result;
  }

  /**
   * For each tag, every tag of the image it points at (e.g. `latest` → [`latest`, `1.4.2`, `1.4`]).
   * Keyed by the tag; a tag that does not exist is absent from the map. Throws ResolveError.
   */
  async tagsOfImages(ref: ParsedReference, tags: Iterable<string>): Promise<Map<string, EcrImageDetail>> {
    const wanted = [...new Set(tags)];
    const found = await this.describeIds(
      ref,
      wanted.map((t) => ({ imageTag: t })),
    );
    const out = new Map<string, EcrImageDetail>();
    for (const t of wanted) {
      const d = found.get(`:${t}`);
      if (d) out.set(t, d);
    }
    return out;
  }

  /** The other tags of the image `ref`'s tag (default `latest`) points at. Throws ResolveError. */
  async versionTagsFor(ref: ParsedReference): Promise<string[]> {
    const tag = ref.tag ?? 'latest';
    const d = (await this.tagsOfImages(ref, [tag])).get(tag);
    return d ? d.tags.filter((t) => t !== tag) : [];
  }

  /**
   * DescribeImages by image id, 100 ids a call. ECR fails the whole call with ImageNotFoundException
   * when one id is missing, naming it in the message: that id is dropped and the call repeated
   * (if the message cannot be read, the remaining ids are asked one by one).
   * Returns `:tag` / `@digest` → detail for the ids found.
   */
  private async describeIds(ref: ParsedReference, ids: ImageIdentifier[]): Promise<Map<string, EcrImageDetail>> {
    const t = this.target(ref);
    const found = new Map<string, EcrImageDetail>();
    const record = (d: EcrImageDetail) => {
      found.set(`@${d.digest}`, d);
      for (const tag of d.tags) found.set(`:${tag}`, d);
    };
    const ask = async (batch: ImageIdentifier[]): Promise<void> => {
      let remaining = batch;
      while (remaining.length > 0) {
        try {
          const out = await withSkewRetry(() => this.client(t).send(
            new DescribeImagesCommand({ registryId: t.host.account, repositoryName: t.repository, imageIds: remaining }),
          ));
          for (const d of out.imageDetails ?? []) if (d.imageDigest) record(detailOf(d));
          return;
        } catch (err) {
          if (awsErrorName(err) !== 'ImageNotFoundException') throw this.wrap(ref, err);
          if (remaining.length === 1) return;
          const missing = missingIdFromMessage(err instanceof Error ? err.message : '');
          const idx = missing
            ? remaining.findIndex((r) => (missing.imageDigest ?? undefined) === r.imageDigest && (missing.imageTag ?? undefined) === r.imageTag)
            : -1;
          if (idx === -1) {
            for (const one of remaining) await ask([one]);
            return;
          }
          remaining = remaining.filter((_, i) => i !== idx);
        }
      }
    };
    for (const batch of chunk(ids, ECR_MAX_IMAGE_IDS)) await ask(batch);
    return found;
  }
}

function detailOf(d: { imageDigest?: string; imageTags?: string[]; imageManifestMediaType?: string; imagePushedAt?: Date; imageSizeInBytes?: number }): EcrImageDetail {
  const out: EcrImageDetail = { digest: d.imageDigest!, tags: d.imageTags ?? [] };
  if (d.imageManifestMediaType) out.mediaType = d.imageManifestMediaType;
  if (d.imagePushedAt) out.pushedAt = d.imagePushedAt.toISOString();
  if (d.imageSizeInBytes !== undefined) out.sizeInBytes = d.imageSizeInBytes;
  return out;
}
