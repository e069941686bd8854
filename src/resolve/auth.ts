// Registry authentication: credentials from the Docker config (auths, credHelpers, credsStore via
// `docker-credential-<name> get`), and the challenge flows of the Distribution spec — Basic, and
// Bearer tokens from the realm named in `WWW-Authenticate` (cached per realm+service+scope until
// expires_in, concurrent requests for the same token share one fetch).
//
// Secrets (passwords, identity tokens, bearer tokens) never appear in error messages: messages name
// the registry, the realm URL and the HTTP status only.

import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { displayUrl, type HttpClient } from './http.js';
import { ResolveError } from './types.js';

export type Credential =
  | { kind: 'basic'; username: string; password: string }
  /** An OAuth2 refresh token (Docker's `identitytoken`), exchanged at the realm with POST. */
  | { kind: 'identity-token'; token: string };

export interface CredentialProvider {
  /** Credentials for a registry as named in references (`docker.io`, `ghcr.io`, `127.0.0.1:5000`). */
  get(registry: string): Promise<Credential | undefined>;
}

/** Fixed credentials per registry: for tests and for callers that take them from elsewhere. */
export class StaticCredentials implements CredentialProvider {
  private readonly map: Map<string, Credential>;
  constructor(entries: Record<string, Credential>) {
    this.map = new Map(Object.entries(entries).map(([k, v]) => [normalizeRegistryKey(k), v]));
  }
  async get(registry: string): Promise<Credential | undefined> {
    return this.map.get(normalizeRegistryKey(registry));
  }
}

export const NO_CREDENTIALS: CredentialProvider = { get: async () => undefined };

const DOCKER_HUB_KEYS = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io', 'registry.hub.docker.com']);
/** The server URL Docker uses for Docker Hub in config.json and with credential helpers. */
export const DOCKER_HUB_SERVER_URL = 'https://index.docker.io/v1/';

/** `https://index.docker.io/v1/` → `docker.io`; `http://Host:5000/x` → `host:5000`. */
export function normalizeRegistryKey(key: string): string {
  let k = key.trim().toLowerCase();
  k = k.replace(/^[a-z][a-z0-9+.-]*:\/\//, '');
  const slash = k.indexOf('/');
  if (slash >= 0) k = k.slice(0, slash);
  return DOCKER_HUB_KEYS.has(k) ? 'docker.io' : k;
}

interface DockerConfigFile {
  auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string }>;
  credHelpers?: Record<string, string>;
  credsStore?: string;
}

export interface DockerConfigCredentialsOptions {
  /** Directory holding config.json. Default `$DOCKER_CONFIG`, else `~/.docker`. */
  configDir?: string;
  env?: NodeJS.ProcessEnv;
  /** Credential helper timeout. Default 10 000 ms. */
  helperTimeoutMs?: number;
  onWarning?: (message: string) => void;
}

/** Reads `config.json` once; each registry's credentials are looked up once (helpers spawn once). */
export class DockerConfigCredentials implements CredentialProvider {
  private config: Promise<DockerConfigFile> | undefined;
  private readonly perRegistry = new Map<string, Promise<Credential | undefined>>();
  private readonly env: NodeJS.ProcessEnv;

  constructor(private readonly opts: DockerConfigCredentialsOptions = {}) {
    this.env = opts.env ?? process.env;
  }

  get configPath(): string {
    const dir = this.opts.configDir ?? this.env.DOCKER_CONFIG ?? path.join(this.env.HOME ?? os.homedir(), '.docker');
    return path.join(dir, 'config.json');
  }

  get(registry: string): Promise<Credential | undefined> {
    const key = normalizeRegistryKey(registry);
    let p = this.perRegistry.get(key);
    if (!p) {
      p = this.lookup(key);
      this.perRegistry.set(key, p);
    }
    return p;
  }

  private loadConfig(): Promise<DockerConfigFile> {
    this.config ??= (async () => {
      const file = this.configPath;
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.opts.onWarning?.(`cannot read ${file}: ${(err as Error).message}`);
        return {};
      }
      try {
        const parsed = JSON.parse(text) as unknown;
        return parsed !== null && typeof parsed === 'object' ? (parsed as DockerConfigFile) : {};
      } catch {
        this.opts.onWarning?.(`${file} is not valid JSON; ignoring it`);
        return {};
      }
    })();
    return this.config;
  }

  private async lookup(registry: string): Promise<Credential | undefined> {
    const config = await this.loadConfig();
    const serverUrl = registry === 'docker.io' ? DOCKER_HUB_SERVER_URL : registry;

    const helper = findByRegistry(config.credHelpers, registry);
    if (typeof helper === 'string' && helper !== '') return this.runHelper(helper, serverUrl);

    const entry = findByRegistry(config.auths, registry);
    if (entry && typeof entry === 'object') {
      if (typeof entry.identitytoken === 'string' && entry.identitytoken !== '') {
        return { kind: 'identity-token', token: entry.identitytoken };
      }
      if (typeof entry.auth === 'string' && entry.auth !== '') {
        const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
        const colon = decoded.indexOf(':');
        if (colon > 0) return { kind: 'basic', username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
        this.opts.onWarning?.(`the "auth" entry for ${registry} in ${this.configPath} is not base64 "user:password"; ignoring it`);
      } else if (typeof entry.username === 'string' && typeof entry.password === 'string') {
        return { kind: 'basic', username: entry.username, password: entry.password };
      }
    }

    if (typeof config.credsStore === 'string' && config.credsStore !== '') return this.runHelper(config.credsStore, serverUrl);
    return undefined;
  }

  /** `docker-credential-<name> get` with the server URL on stdin; no shell. */
  private runHelper(name: string, serverUrl: string): Promise<Credential | undefined> {
    if (!/^[A-Za-z0-9._-]+$/.test(name)) {
      this.opts.onWarning?.(`ignoring credential helper with an unsafe name: ${JSON.stringify(name)}`);
      return Promise.resolve(undefined);
    }
    const program = `docker-credential-${name}`;
    return new Promise((resolve) => {
      const child = execFile(
        program,
        ['get'],
        { timeout: this.opts.helperTimeoutMs ?? 10_000, env: this.env, maxBuffer: 1024 * 1024, windowsHide: true },
        (err, stdout) => {
          if (err) {
            const code = (err as { code?: unknown }).code;
            // "credentials not found" is exit status 1: not an error worth a warning.
            if (code === 'ENOENT') this.opts.onWarning?.(`credential helper ${program} not found on PATH`);
            else if (code !== 1) this.opts.onWarning?.(`credential helper ${program} failed for ${serverUrl} (${describeExit(err)})`);
            resolve(undefined);
            return;
          }
          try {
            const parsed = JSON.parse(stdout) as { Username?: unknown; Secret?: unknown };
            if (typeof parsed.Secret !== 'string' || parsed.Secret === '') {
              resolve(undefined);
            } else if (parsed.Username === '<token>') {
              resolve({ kind: 'identity-token', token: parsed.Secret });
            } else {
              resolve({ kind: 'basic', username: typeof parsed.Username === 'string' ? parsed.Username : '', password: parsed.Secret });
            }
          } catch {
            this.opts.onWarning?.(`credential helper ${program} printed something that is not JSON for ${serverUrl}`);
            resolve(undefined);
          }
        },
      );
      child.stdin?.on('error', () => {}); // helper may exit before reading stdin
      child.stdin?.end(serverUrl);
    });
  }
}

function describeExit(err: Error & { code?: unknown; signal?: unknown; killed?: boolean }): string {
  if (err.killed) return 'timed out';
  if (typeof err.code === 'number') return `exit status ${err.code}`;
  if (typeof err.signal === 'string') return `signal ${err.signal}`;
  return String(err.code ?? 'error');
}

function findByRegistry<T>(record: Record<string, T> | undefined, registry: string): T | undefined {
  if (!record || typeof record !== 'object') return undefined;
  for (const [key, value] of Object.entries(record)) {
    if (normalizeRegistryKey(key) === registry) return value;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Challenges and tokens

export interface Challenge {
  scheme: string; // lowercased: 'bearer' | 'basic' | …
  params: Record<string, string>;
}

/** Parse a WWW-Authenticate header (first challenge; auth-params with quoted strings). */
export function parseChallenge(header: string | undefined): Challenge | undefined {
  if (!header) return undefined;
  const m = /^\s*([A-Za-z][A-Za-z0-9._~+/-]*)\s*(.*)$/s.exec(header);
  if (!m) return undefined;
  const scheme = (m[1] as string).toLowerCase();
  const params: Record<string, string> = {};
  const re = /([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))\s*,?\s*/gy;
  const rest = m[2] ?? '';
  re.lastIndex = 0;
  let pm: RegExpExecArray | null;
  while ((pm = re.exec(rest)) !== null && pm[0] !== '') {
    const name = (pm[1] as string).toLowerCase();
    params[name] = pm[2] !== undefined ? pm[2].replace(/\\(.)/g, '$1') : (pm[3] ?? '');
  }
  return { scheme, params };
}

interface CachedToken {
  value: string;
  expiresAt: number;
}

type HostScheme = { scheme: 'basic' } | { scheme: 'bearer'; realm: string; service: string | undefined };

export interface RegistryAuthOptions {
  /** May credentials go to this URL over plain http? (loopback and insecure registries.) */
  allowPlainHttp: (url: URL) => boolean;
  now?: () => number;
}

/**
 * Produces Authorization header values for registry requests. `authorize` is pre-emptive (uses what
 * an earlier challenge from the same host taught us); `challenge` handles a 401.
 */
export class RegistryAuth {
  private readonly tokens = new Map<string, CachedToken>();
  private readonly pending = new Map<string, Promise<CachedToken>>();
  private readonly hostSchemes = new Map<string, HostScheme>();
  private readonly now: () => number;
  /** Number of token fetches made (for diagnostics and tests). */
  tokenRequests = 0;

  constructor(
    private readonly http: HttpClient,
    private readonly credentials: CredentialProvider,
    private readonly opts: RegistryAuthOptions,
  ) {
    this.now = opts.now ?? Date.now;
  }

  /** Authorization for a request to `apiHost` (of logical `registry`) needing `scope`, if we know how. */
  async authorize(registry: string, apiHost: string, scope: string): Promise<string | undefined> {
    const known = this.hostSchemes.get(apiHost);
    if (!known) return undefined;
    if (known.scheme === 'basic') return this.basicHeader(registry, apiHost);
    return this.bearerHeader(registry, known.realm, known.service, scope, false);
  }

  /**
   * Handle a 401 from `apiHost`. Returns the header to retry with. `failedAuth` is what the rejected
   * request carried (a cached token is then dropped and fetched anew).
   */
  async challenge(
    registry: string,
    apiHost: string,
    wwwAuthenticate: string | undefined,
    fallbackScope: string,
    failedAuth: string | undefined,
  ): Promise<string> {
    const ch = parseChallenge(wwwAuthenticate);
    if (!ch) throw new ResolveError('auth', `${apiHost} answered 401 without a usable WWW-Authenticate challenge`);
    if (ch.scheme === 'basic') {
      this.hostSchemes.set(apiHost, { scheme: 'basic' });
      if (failedAuth?.startsWith('Basic ')) {
        throw new ResolveError('auth', `credentials for ${registry} were rejected by ${apiHost} (HTTP 401)`);
      }
      const header = await this.basicHeader(registry, apiHost);
      if (!header) throw new ResolveError('auth', noCredentialsMessage(registry, apiHost));
      return header;
    }
    if (ch.scheme === 'bearer') {
      const realm = ch.params.realm;
      if (!realm) throw new ResolveError('auth', `${apiHost} sent a Bearer challenge without a realm`);
      const service = ch.params.service;
      this.hostSchemes.set(apiHost, { scheme: 'bearer', realm, service });
      const scope = ch.params.scope || fallbackScope;
      return this.bearerHeader(registry, realm, service, scope, failedAuth !== undefined);
    }
    throw new ResolveError('auth', `${apiHost} requires unsupported authentication scheme "${ch.scheme}"`);
  }

  private async basicHeader(registry: string, apiHost: string): Promise<string | undefined> {
    const cred = await this.credentials.get(registry);
    if (!cred) return undefined;
    if (cred.kind !== 'basic') {
      throw new ResolveError('auth', `${apiHost} wants Basic authentication but the credentials for ${registry} are an identity token`);
    }
    return `Basic ${Buffer.from(`${cred.username}:${cred.password}`).toString('base64')}`;
  }

  private async bearerHeader(
    registry: string,
    realm: string,
    service: string | undefined,
    scope: string,
    refresh: boolean,
  ): Promise<string> {
    const key = JSON.stringify([realm, service ?? '', scope]);
    const cached = this.tokens.get(key);
    if (cached && !refresh && cached.expiresAt > this.now()) return `Bearer ${cached.value}`;
    if (refresh && cached) this.tokens.delete(key);
    let p = this.pending.get(key);
    if (!p) {
      p = this.fetchToken(registry, realm, service, scope).finally(() => this.pending.delete(key));
      this.pending.set(key, p);
    }
    const token = await p;
    this.tokens.set(key, token);
    return `Bearer ${token.value}`;
  }

  private async fetchToken(registry: string, realm: string, service: string | undefined, scope: string): Promise<CachedToken> {
    let url: URL;
    try {
      url = new URL(realm);
    } catch {
      throw new ResolveError('auth', `invalid token realm for ${registry}: ${JSON.stringify(realm)}`);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      throw new ResolveError('auth', `unsupported token realm scheme for ${registry}: ${url.protocol}`);
    }
    let cred = await this.credentials.get(registry);
    let withheld = false;
    if (cred && url.protocol === 'http:' && !this.opts.allowPlainHttp(url)) {
      // Never send a password over plain http to a host that is not loopback or declared insecure.
      cred = undefined;
      withheld = true;
    }
    this.tokenRequests++;
    const where = `token endpoint ${displayUrl(url)}`;
    let res;
    if (cred?.kind === 'identity-token') {
      const form = new URLSearchParams({ grant_type: 'refresh_token', client_id: 'imagedrift', refresh_token: cred.token });
      if (service) form.set('service', service);
      if (scope) form.set('scope', scope);
      res = await this.http.request({
        method: 'POST',
        url,
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: form.toString(),
        maxBodyBytes: 1024 * 1024,
      });
    } else {
      if (service) url.searchParams.set('service', service);
      if (scope) url.searchParams.set('scope', scope);
      const headers: Record<string, string> = { accept: 'application/json' };
      if (cred?.kind === 'basic') headers.authorization = `Basic ${Buffer.from(`${cred.username}:${cred.password}`).toString('base64')}`;
      res = await this.http.request({ method: 'GET', url, headers, maxBodyBytes: 1024 * 1024 });
    }
    if (res.status === 401 || res.status === 403) {
      throw new ResolveError(
        'auth',
        cred
          ? `credentials for ${registry} were rejected by the ${where} (HTTP ${res.status})`
          : withheld
            ? `${where} requires authentication, but it is plain http and not loopback or an insecure registry, so the credentials for ${registry} were not sent`
            : `${noCredentialsMessage(registry, url.host)} (${where} answered HTTP ${res.status})`,
      );
    }
    if (res.status !== 200) throw new ResolveError(res.status >= 500 ? 'network' : 'auth', `${where} answered HTTP ${res.status}`);
    let body: { token?: unknown; access_token?: unknown; expires_in?: unknown };
    try {
      body = JSON.parse(res.body.toString('utf8')) as typeof body;
    } catch {
      throw new ResolveError('auth', `${where} did not return JSON`);
    }
    const value = typeof body.token === 'string' && body.token !== '' ? body.token : body.access_token;
    if (typeof value !== 'string' || value === '') throw new ResolveError('auth', `${where} returned no token`);
    const expiresIn = typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : 60;
    // Renew a little early so a token does not expire in flight.
    const margin = Math.min(10, expiresIn / 10);
    return { value, expiresAt: this.now() + (expiresIn - margin) * 1000 };
  }
}

function noCredentialsMessage(registry: string, host: string): string {
  const login = registry === 'docker.io' ? 'docker login' : `docker login ${registry}`;
  return `${host} requires authentication and no credentials were found for ${registry} (run \`${login}\` or configure a credential helper)`;
}
