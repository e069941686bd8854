// OCI Distribution (registry v2 API) client: tag → digest with HEAD (verified by GET + sha256 when
// asked), multi-arch platform selection, manifest existence checks, and paginated tag listing.
// Works against Docker Hub, GHCR, Quay, Harbor, distribution, … — ECR has its own resolver (ecr.ts).

import { createHash } from 'node:crypto';
import type { ParsedReference } from '../core/types.js';
import { canonicalName } from '../core/parse-reference.js';
import { DockerConfigCredentials, RegistryAuth, type CredentialProvider } from './auth.js';
import { budgetSpentMessage, currentBudget } from './budget.js';
import { displayUrl, HttpClient, type HttpClientOptions, type HttpResponse } from './http.js';
import {
  DIGEST_RE,
  INDEX_MEDIA_TYPES,
  MEDIA_TYPES,
  ResolveError,
  toFailure,
  type ResolveOptions,
  type ResolveOutcome,
  type Resolver,
} from './types.js';

export const MANIFEST_ACCEPT = [
  MEDIA_TYPES.ociIndex,
  MEDIA_TYPES.dockerManifestList,
  MEDIA_TYPES.ociManifest,
  MEDIA_TYPES.dockerManifest,
].join(', ');

const SUPPORTED_MANIFEST_TYPES: ReadonlySet<string> = new Set(Object.values(MEDIA_TYPES));
const MANIFEST_MAX_BYTES = 4 * 1024 * 1024; // as containerd
const CONFIG_MAX_BYTES = 8 * 1024 * 1024;


export interface OciRegistryOptions extends HttpClientOptions {
  /** `host:port` of registries to reach over plain http (loopback hosts always are). */
  insecureRegistries?: string[];
  /** Default: DockerConfigCredentials (reads $DOCKER_CONFIG/config.json). */
  credentials?: CredentialProvider;
  /** Share one HttpClient (and its per-host limits) between resolvers; options above are then ignored. */
  httpClient?: HttpClient;
  /** Page size asked for when listing tags (`?n=`). Default 1000. */
  tagsPageSize?: number;
  /** Stop listing after this many pages. Default 1000. */
  maxTagPages?: number;
  /**
   * Registries whose manifest GETs count against a pull rate limit, so a tag is resolved with a
   * HEAD first even when a verified digest is preferred. Default `['docker.io']`.
   */
  headFirstRegistries?: string[];
  onWarning?: (message: string) => void;
}

interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

interface ManifestDescriptor {
  mediaType?: string;
  digest?: string;
  platform?: { os?: string; architecture?: string; variant?: string };
  annotations?: Record<string, string>;
}

interface FetchedManifest {
  digest: string;
  mediaType: string;
  body: Buffer;
  json: { mediaType?: string; manifests?: ManifestDescriptor[]; config?: { digest?: string; mediaType?: string } };
}

/** Is this host (without port) a loopback address or name? */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/** Split `host:port`, `[::1]:5000`, `host` into host and port. */
function splitHostPort(hostport: string): { host: string; port?: string } {
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(hostport);
  if (!m) return { host: hostport };
  return m[2] !== undefined ? { host: m[1] as string, port: m[2] } : { host: m[1] as string };
}

/** Base URL of the v2 API for a registry as named in references. */
export function registryBaseUrl(registry: string, insecureRegistries: readonly string[] = []): URL {
  const lower = registry.toLowerCase();
  if (lower === 'docker.io' || lower === 'index.docker.io') return new URL('https://registry-1.docker.io');
  const { host } = splitHostPort(lower);
  const plain = isLoopbackHost(host) || insecureRegistries.some((r) => r.toLowerCase() === lower);
  return new URL(`${plain ? 'http' : 'https'}://${lower}`);
}

/** Parse `os/arch[/variant]`. */
export function parsePlatform(spec: string): Platform {
  const parts = spec.trim().toLowerCase().split('/');
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => p === '')) {
    throw new ResolveError('platform', `invalid platform "${spec}": expected os/arch[/variant], e.g. linux/arm64`);
  }
  const [os, arch, variant] = parts as [string, string, string?];
  return { os, architecture: normalizeArch(arch), ...(variant ? { variant } : {}) };
}

function normalizeArch(arch: string): string {
  switch (arch) {
    case 'x86_64':
    case 'x86-64':
      return 'amd64';
    case 'aarch64':
      return 'arm64';
    default:
      return arch;
  }
}

/** The variant a platform has when none is written (containerd's defaults). */
function defaultVariant(arch: string): string | undefined {
  if (arch === 'arm64') return 'v8';
  if (arch === 'arm') return 'v7';
  return undefined;
}

export function formatPlatform(p: { os?: string; architecture?: string; variant?: string }): string {
  return [p.os ?? '?', p.architecture ?? '?', ...(p.variant ? [p.variant] : [])].join('/');
}

function platformMatches(want: Platform, have: { os?: string; architecture?: string; variant?: string }): boolean {
  if ((have.os ?? '').toLowerCase() !== want.os) return false;
  if (normalizeArch((have.architecture ?? '').toLowerCase()) !== want.architecture) return false;
  if (want.variant === undefined) return true;
  const haveVariant = have.variant?.toLowerCase() ?? defaultVariant(want.architecture);
  return haveVariant === want.variant;
}

function digestOf(algorithm: string, body: Buffer): string {
  return `${algorithm}:${createHash(algorithm).update(body).digest('hex')}`;
}

function mediaTypeOf(res: HttpResponse): string | undefined {
  const ct = res.header('content-type');
  return ct ? (ct.split(';')[0] as string).trim().toLowerCase() : undefined;
}

function scopeFor(ref: ParsedReference): string {
  return `repository:${ref.repository}:pull`;
}

/** Parse `Link: <url>; rel="next"` (RFC 8288) and return the next-page URL, if any. */
export function parseNextLink(header: string | undefined, base: URL): URL | undefined {
  if (!header) return undefined;
  for (const part of header.split(/,(?=\s*<)/)) {
    const m = /^\s*<([^>]*)>\s*(.*)$/.exec(part);
    if (!m) continue;
    const params = m[2] ?? '';
    if (/(?:^|;)\s*rel\s*=\s*"?(?:[^";]*\s)?next(?:\s[^";]*)?"?\s*(?:;|$)/i.test(params)) {
      try {
        return new URL(m[1] as string, base);
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

export class OciRegistryClient implements Resolver {
  readonly http: HttpClient;
  readonly auth: RegistryAuth;
  private readonly ownsHttp: boolean;
  private readonly insecure: string[];

  constructor(private readonly opts: OciRegistryOptions = {}) {
    this.ownsHttp = opts.httpClient === undefined;
    this.http = opts.httpClient ?? new HttpClient(opts);
    this.insecure = (opts.insecureRegistries ?? []).map((r) => r.toLowerCase());
    const credentials =
      opts.credentials ?? new DockerConfigCredentials(opts.onWarning ? { onWarning: opts.onWarning } : {});
    this.auth = new RegistryAuth(this.http, credentials, {
      allowPlainHttp: (url) => isLoopbackHost(url.hostname) || this.insecure.includes(url.host.toLowerCase()),
    });
  }

  /** Close pooled connections (only if this client created its HttpClient). */
  close(): void {
    if (this.ownsHttp) this.http.close();
  }

  baseUrl(ref: ParsedReference): URL {
    return registryBaseUrl(ref.registry, this.insecure);
  }

  async resolve(ref: ParsedReference, opts: ResolveOptions = {}): Promise<ResolveOutcome> {
    try {
      return await this.resolveOrThrow(ref, opts);
    } catch (err) {
      return toFailure(err);
    }
  }

  private async resolveOrThrow(ref: ParsedReference, opts: ResolveOptions): Promise<ResolveOutcome> {
    const platform = opts.platform !== undefined ? parsePlatform(opts.platform) : undefined;
    const reference = ref.tag ?? ref.digest ?? 'latest';
    const byDigest = ref.tag === undefined && ref.digest !== undefined;
    const name = `${canonicalName(ref)}${byDigest ? '@' : ':'}${reference}`;
    if (byDigest && !DIGEST_RE.test(reference)) {
      throw new ResolveError('other', `${name}: not a well-formed digest (sha256 with 64 hex digits or sha512 with 128), so it cannot be verified`);
    }

    // 1. HEAD: cheap, and does not count against Docker Hub's pull rate limit. When the manifest
    // must be fetched anyway (verify, platform) from a registry without such a limit, the GET
    // alone answers: one request instead of two, and its body is still checked against its header.
    const headFirst = (this.opts.headFirstRegistries ?? ['docker.io']).includes(ref.registry);
    const getAnyway = opts.verify === true || platform !== undefined || (opts.preferVerified === true && !headFirst);
    const head = getAnyway && !headFirst ? undefined : await this.manifestRequest(ref, 'HEAD', reference);
    let headDigest: string | undefined;
    let headType: string | undefined;
    if (head === undefined) {
      // straight to GET
    } else if (head.status === 200) {
      headDigest = head.header('docker-content-digest')?.trim();
      headType = mediaTypeOf(head);
    } else if (head.status !== 405 && head.status !== 400) {
      // Some registries do not implement HEAD; fall through to GET for those.
      throw this.statusError(ref, name, head);
    }
    if (byDigest && headDigest !== undefined && headDigest !== reference) {
      throw new ResolveError('verify', `${name}: registry reported digest ${headDigest} for a request by digest`);
    }

    const needGet = opts.verify === true || platform !== undefined || headDigest === undefined || headType === undefined;
    if (!needGet) {
      if (!DIGEST_RE.test(headDigest as string)) {
        throw new ResolveError('verify', `${name}: ${head!.url.host} returned a malformed Docker-Content-Digest ${JSON.stringify(clip(headDigest as string))}; nothing is proposed`);
      }
      this.checkSupportedType(name, headType as string);
      return { ok: true, digest: headDigest as string, mediaType: headType as string, verified: false, source: 'registry' };
    }

    // 2. GET and verify the body against every digest we were told.
    const expected = byDigest ? reference : headDigest;
    const manifest = await this.fetchManifest(ref, reference, name, expected);
    this.checkSupportedType(name, manifest.mediaType);
    if (!platform) {
      return { ok: true, digest: manifest.digest, mediaType: manifest.mediaType, verified: true, source: 'registry' };
    }

    // 3. Platform selection.
    const platformDigest = INDEX_MEDIA_TYPES.has(manifest.mediaType)
      ? await this.selectChild(ref, name, manifest, platform, opts.verify === true)
      : await this.checkSinglePlatform(ref, name, manifest, platform);
    return {
      ok: true,
      digest: manifest.digest,
      mediaType: manifest.mediaType,
      verified: true,
      platformDigest,
      source: 'registry',
    };
  }

  /** Is `digest` still present in the repository of `ref`? */
  async manifestExists(ref: ParsedReference, digest: string): Promise<boolean> {
    const res = await this.manifestRequest(ref, 'HEAD', digest);
    if (res.status === 200) return true;
    if (res.status === 404) return false;
    throw this.statusError(ref, `${canonicalName(ref)}@${digest}`, res);
  }

  /** Fetch and verify a manifest by tag or digest (body included). */
  async getManifest(ref: ParsedReference, reference: string): Promise<FetchedManifest> {
    const name = `${canonicalName(ref)}${reference.includes(':') ? '@' : ':'}${reference}`;
    return this.fetchManifest(ref, reference, name, DIGEST_RE.test(reference) ? reference : undefined);
  }

  async listTags(ref: ParsedReference): Promise<string[]> {
    const pageSize = this.opts.tagsPageSize ?? 1000;
    const maxPages = this.opts.maxTagPages ?? 1000;
    const name = canonicalName(ref);
    const first = new URL(`/v2/${ref.repository}/tags/list`, this.baseUrl(ref));
    first.searchParams.set('n', String(pageSize));
    let url: URL | undefined = first;
    const seenPages = new Set<string>();
    const tags: string[] = [];
    const seenTags = new Set<string>();
    const budget = currentBudget();
    while (url) {
      if (seenPages.has(url.href)) break; // a registry that links a page to itself
      if (seenPages.size >= maxPages) {
        throw new ResolveError('other', `${name}: the tags list has more than ${maxPages} pages; stopped listing`);
      }
      if (budget !== undefined && Date.now() >= budget.deadline) {
        throw new ResolveError('network', `${name}: stopped listing tags after ${seenPages.size} pages: ${budgetSpentMessage(budget)}`);
      }
      seenPages.add(url.href);
      const res = await this.send(ref, { method: 'GET', url, headers: { accept: 'application/json' } });
      if (res.status !== 200) throw this.statusError(ref, `${name} (tags list)`, res);
      let body: { tags?: unknown };
      try {
        body = JSON.parse(res.body.toString('utf8')) as typeof body;
      } catch {
        throw new ResolveError('other', `${name}: the tags list from ${res.url.host} is not JSON`);
      }
      if (body === null || typeof body !== 'object' || (body.tags !== undefined && body.tags !== null && !Array.isArray(body.tags))) {
        throw new ResolveError('other', `${name}: the tags list from ${res.url.host} is not {"tags": [...]}`);
      }
      if (Array.isArray(body.tags)) {
        for (const t of body.tags) {
          if (typeof t === 'string' && !seenTags.has(t)) {
            seenTags.add(t);
            tags.push(t);
          }
        }
      }
      url = parseNextLink(res.header('link'), res.url);
      if (url !== undefined && url.origin !== first.origin) {
        // The same rule as for redirects: the registry's credentials stay with its origin, and a
        // list continued elsewhere is not the registry's list.
        throw new ResolveError(
          'other',
          `${name}: the tags list's next page is on another origin (${url.origin}, not ${first.origin}); not followed, so no credentials for ${ref.registry} go there`,
        );
      }
    }
    return tags;
  }

  // -------------------------------------------------------------------------------------------

  private checkSupportedType(name: string, mediaType: string): void {
    if (!SUPPORTED_MANIFEST_TYPES.has(mediaType)) {
      throw new ResolveError('other', `${name}: unsupported manifest media type ${mediaType}`);
    }
  }

  private async selectChild(
    ref: ParsedReference,
    name: string,
    index: FetchedManifest,
    platform: Platform,
    verify: boolean,
  ): Promise<string> {
    const children = (Array.isArray(index.json.manifests) ? index.json.manifests : []).filter(
      (m) =>
        m &&
        typeof m.digest === 'string' &&
        m.platform?.os !== 'unknown' && // buildx attestation manifests
        m.annotations?.['vnd.docker.reference.type'] !== 'attestation-manifest',
    );
    const matches = children.filter((m) => m.platform && platformMatches(platform, m.platform));
    // Prefer the entry whose variant is the default one when no variant was asked for.
    const best =
      matches.find((m) => (m.platform?.variant ?? defaultVariant(platform.architecture)) === (platform.variant ?? defaultVariant(platform.architecture))) ??
      matches[0];
    if (!best) {
      const available = [...new Set(children.filter((m) => m.platform).map((m) => formatPlatform(m.platform ?? {})))];
      throw new ResolveError(
        'platform',
        `${name}: no manifest for ${formatPlatform(platform)}; available: ${available.length ? available.join(', ') : 'none'}`,
      );
    }
    const childDigest = best.digest as string;
    if (!DIGEST_RE.test(childDigest)) throw new ResolveError('verify', `${name}: index lists a malformed digest`);
    if (verify) await this.fetchManifest(ref, childDigest, `${canonicalName(ref)}@${childDigest}`, childDigest);
    return childDigest;
  }

  /** An image manifest's config blob, checked against its digest and parsed. */
  private async fetchConfig(ref: ParsedReference, name: string, manifest: FetchedManifest, purpose: string): Promise<{ os?: unknown; architecture?: unknown; variant?: unknown; created?: unknown }> {
    const configDigest = manifest.json.config?.digest;
    if (typeof configDigest !== 'string' || !DIGEST_RE.test(configDigest)) {
      throw new ResolveError('platform', `${name}: single-platform manifest without a config digest; cannot ${purpose}`);
    }
    const url = new URL(`/v2/${ref.repository}/blobs/${configDigest}`, this.baseUrl(ref));
    const res = await this.send(ref, { method: 'GET', url, headers: { accept: '*/*' }, maxBodyBytes: CONFIG_MAX_BYTES });
    if (res.status !== 200) throw this.statusError(ref, `${name} (config blob)`, res);
    const [algorithm] = configDigest.split(':') as [string];
    if (digestOf(algorithm, res.body) !== configDigest) {
      throw new ResolveError('verify', `${name}: config blob does not match its digest ${configDigest}`);
    }
    let config: unknown;
    try {
      config = JSON.parse(res.body.toString('utf8'));
    } catch {
      throw new ResolveError('platform', `${name}: image config is not JSON; cannot ${purpose}`);
    }
    if (config === null || typeof config !== 'object' || Array.isArray(config)) throw new ResolveError('platform', `${name}: image config is not a JSON object; cannot ${purpose}`);
    return config as { os?: unknown; architecture?: unknown; variant?: unknown; created?: unknown };
  }

  /**
   * The image config's `created` time for `digest` (for an index: the child for `platform`, else
   * linux/amd64, else the first listed). Each manifest is fetched by digest and checked, and so
   * is the config blob.
   */
  async imageCreated(ref: ParsedReference, digest: string, opts: { platform?: string } = {}): Promise<string | undefined> {
    if (!DIGEST_RE.test(digest)) throw new ResolveError('other', `${canonicalName(ref)}@${digest}: not a well-formed digest`);
    const name = `${canonicalName(ref)}@${digest}`;
    let manifest = await this.fetchManifest(ref, digest, name, digest);
    if (INDEX_MEDIA_TYPES.has(manifest.mediaType)) {
      const children = (Array.isArray(manifest.json.manifests) ? manifest.json.manifests : []).filter(
        (m) => m && typeof m.digest === 'string' && DIGEST_RE.test(m.digest) && m.platform?.os !== 'unknown' && m.annotations?.['vnd.docker.reference.type'] !== 'attestation-manifest',
      );
      const want = parsePlatform(opts.platform ?? 'linux/amd64');
      const child = children.find((m) => m.platform !== undefined && platformMatches(want, m.platform)) ?? (opts.platform === undefined ? children[0] : undefined);
      if (child === undefined) throw new ResolveError('platform', `${name}: the index lists no image${opts.platform !== undefined ? ` for ${opts.platform}` : ''}; its release time cannot be read`);
      const childDigest = child.digest as string;
      manifest = await this.fetchManifest(ref, childDigest, `${canonicalName(ref)}@${childDigest}`, childDigest);
      if (INDEX_MEDIA_TYPES.has(manifest.mediaType)) throw new ResolveError('other', `${name}: an index inside an index; its release time is not read`);
    }
    const config = await this.fetchConfig(ref, name, manifest, 'read its release time');
    return typeof config.created === 'string' ? config.created : undefined;
  }

  /** A single-platform manifest: read its config to check os/architecture. */
  private async checkSinglePlatform(
    ref: ParsedReference,
    name: string,
    manifest: FetchedManifest,
    platform: Platform,
  ): Promise<string> {
    const raw = await this.fetchConfig(ref, name, manifest, 'check platform');
    const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
    const config = { os: text(raw.os), architecture: text(raw.architecture), variant: text(raw.variant) } as { os?: string; architecture?: string; variant?: string };
    if (!platformMatches(platform, config)) {
      throw new ResolveError(
        'platform',
        `${name}: single-platform image for ${formatPlatform(config)}, not ${formatPlatform(platform)}; available: ${formatPlatform(config)}`,
      );
    }
    return manifest.digest;
  }

  /**
   * GET a manifest and check its bytes: sha256 (or sha512) of the body must equal `expected`
   * (from the HEAD or the requested digest) and the GET's own Docker-Content-Digest, if present.
   */
  private async fetchManifest(
    ref: ParsedReference,
    reference: string,
    name: string,
    expected: string | undefined,
  ): Promise<FetchedManifest> {
    const res = await this.manifestRequest(ref, 'GET', reference);
    if (res.status !== 200) throw this.statusError(ref, name, res);
    const header = res.header('docker-content-digest')?.trim();
    for (const claimed of [expected, header]) {
      if (claimed !== undefined && !DIGEST_RE.test(claimed)) {
        throw new ResolveError('verify', `${name}: registry returned a malformed digest`);
      }
    }
    const algorithm = (expected ?? header ?? 'sha256').split(':')[0] as string;
    const computed = digestOf(algorithm, res.body);
    if (header !== undefined && header !== computed && header.startsWith(`${algorithm}:`)) {
      throw new ResolveError(
        'verify',
        `${name}: Docker-Content-Digest ${header} does not match the manifest body (${computed}); refusing to use it`,
      );
    }
    if (expected !== undefined && expected !== computed) {
      throw new ResolveError(
        'verify',
        `${name}: manifest body hashes to ${computed}, expected ${expected} (tampered or truncated response, or the tag moved during the request); refusing to use it`,
      );
    }
    let json: FetchedManifest['json'];
    try {
      json = JSON.parse(res.body.toString('utf8')) as FetchedManifest['json'];
    } catch {
      throw new ResolveError('verify', `${name}: manifest body is not JSON`);
    }
    if (json === null || typeof json !== 'object') throw new ResolveError('verify', `${name}: manifest body is not a JSON object`);
    const mediaType =
      (typeof json.mediaType === 'string' && json.mediaType !== '' ? json.mediaType : undefined) ??
      mediaTypeOf(res) ??
      (Array.isArray(json.manifests) ? MEDIA_TYPES.ociIndex : MEDIA_TYPES.ociManifest);
    return { digest: computed, mediaType, body: res.body, json };
  }

  private manifestRequest(ref: ParsedReference, method: 'GET' | 'HEAD', reference: string): Promise<HttpResponse> {
    const url = new URL(`/v2/${ref.repository}/manifests/${reference}`, this.baseUrl(ref));
    return this.send(ref, { method, url, headers: { accept: MANIFEST_ACCEPT }, maxBodyBytes: MANIFEST_MAX_BYTES });
  }

  /**
   * Send with authentication: pre-emptive if we know the host's scheme, else answer one 401.
   * Credentials for `ref.registry` are only ever sent to the registry's own origin (the token realm
   * it names is reached by RegistryAuth); a request to any other origin goes out without them.
   */
  private async send(
    ref: ParsedReference,
    req: { method: 'GET' | 'HEAD'; url: URL; headers: Record<string, string>; maxBodyBytes?: number },
  ): Promise<HttpResponse> {
    if (req.url.origin !== this.baseUrl(ref).origin) return this.http.request(req);
    const apiHost = req.url.host;
    const scope = scopeFor(ref);
    let authorization = await this.auth.authorize(ref.registry, apiHost, scope);
    for (let round = 0; ; round++) {
      const headers = { ...req.headers, ...(authorization ? { authorization } : {}) };
      const res = await this.http.request({ ...req, headers });
      if (res.status !== 401 || res.url.host !== apiHost) return res;
      if (round >= 1) {
        if (authorization?.startsWith('Basic ')) {
          throw new ResolveError('auth', `credentials for ${ref.registry} were rejected by ${apiHost} (HTTP 401)`);
        }
        return res; // a fresh token that still does not grant access: statusError explains
      }
      authorization = await this.auth.challenge(ref.registry, apiHost, res.header('www-authenticate'), scope, authorization);
    }
  }

  private statusError(ref: ParsedReference, name: string, res: HttpResponse): ResolveError {
    const code = registryErrorCode(res);
    const detail = code ? ` (${code})` : '';
    switch (res.status) {
      case 404:
        return new ResolveError('not-found', `${name}: not found in ${res.url.host}${detail}`);
      case 401:
        return new ResolveError(
          'auth',
          `${name}: access denied by ${res.url.host} (HTTP 401${code ? ` ${code}` : ''}); the credentials were rejected or do not grant pull, or the repository does not exist`,
        );
      case 403:
        return new ResolveError('auth', `${name}: forbidden by ${res.url.host} (HTTP 403${code ? ` ${code}` : ''})`);
      case 429: {
        const after = res.header('retry-after');
        return new ResolveError(
          'network',
          `${name}: rate limited by ${res.url.host} (HTTP 429${after ? `, Retry-After ${clip(after)}` : ''})${res.notRetried ? `; not retried: ${res.notRetried}` : ''}${
            ref.registry === 'docker.io' ? '; log in to Docker Hub for a higher pull limit' : ''
          }`,
        );
      }
      default:
        return new ResolveError(
          res.status >= 500 ? 'network' : 'other',
          `${name}: ${displayUrl(res.url)} answered HTTP ${res.status}${detail}${res.notRetried ? `; not retried: ${res.notRetried}` : ''}`,
        );
    }
  }
}

/** A value from a registry's headers, cut short for a message. */
function clip(value: string): string {
  return value.length > 80 ? `${value.slice(0, 77)}...` : value;
}

/** First error code from a registry JSON error body (`{"errors":[{"code":"MANIFEST_UNKNOWN"}]}`). */
function registryErrorCode(res: HttpResponse): string | undefined {
  if (res.body.length === 0 || res.body.length > 64 * 1024) return undefined;
  try {
    const parsed = JSON.parse(res.body.toString('utf8')) as { errors?: Array<{ code?: unknown }> };
    const code = parsed.errors?.[0]?.code;
    return typeof code === 'string' && /^[A-Z_]{1,64}$/.test(code) ? code : undefined;
  } catch {
    return undefined;
  }
}
