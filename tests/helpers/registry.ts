// Test helper: run a real OCI registry (Debian's docker-registry, CNCF distribution 2.8) on
// 127.0.0.1 with a free port and a temp storage dir, anonymous / htpasswd Basic / token auth,
// and push content to it through the registry HTTP API itself (blobs via POST + monolithic PUT,
// OCI image manifests, OCI indexes, extra tags, moved tags, deletes).
//
// Started as: /usr/bin/docker-registry serve <tmp>/config.yml  (config written below).

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { ParsedReference } from '../../src/core/types.js';

export const REGISTRY_BIN = '/usr/bin/docker-registry';

export type RegistryAuthConfig =
  | { kind: 'none' }
  | { kind: 'htpasswd'; users: Record<string, string> }
  | { kind: 'token'; realm: string; service: string; issuer: string; rootCertBundle: string };

export interface TestRegistry {
  /** `127.0.0.1:<port>` */
  host: string;
  port: number;
  url: string;
  dir: string;
  /** Registry stderr/stdout so far (for debugging a failing test). */
  logs(): string;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

function configYaml(port: number, storage: string, authBlock: string): string {
  return `version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: ${storage}
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: 127.0.0.1:${port}
  secret: imagedrift-test-secret
${authBlock}`;
}

function authYaml(auth: RegistryAuthConfig, dir: string): string {
  switch (auth.kind) {
    case 'none':
      return '';
    case 'htpasswd': {
      const file = path.join(dir, 'htpasswd');
      const lines = Object.entries(auth.users).map(([u, p]) =>
        execFileSync('htpasswd', ['-Bbn', u, p], { encoding: 'utf8' }).trim(),
      );
      writeFileSync(file, `${lines.join('\n')}\n`);
      return `auth:\n  htpasswd:\n    realm: imagedrift-test\n    path: ${file}\n`;
    }
    case 'token':
      return `auth:\n  token:\n    realm: ${auth.realm}\n    service: ${auth.service}\n    issuer: ${auth.issuer}\n    rootcertbundle: ${auth.rootCertBundle}\n`;
  }
}

async function waitForV2(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`registry exited with ${child.exitCode}`);
    try {
      const res = await fetch(`${url}/v2/`);
      await res.arrayBuffer();
      if (res.status === 200 || res.status === 401) return;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('registry did not answer /v2/ in time');
}

export async function startRegistry(auth: RegistryAuthConfig = { kind: 'none' }): Promise<TestRegistry> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'imagedrift-registry-'));
    const storage = path.join(dir, 'storage');
    const port = await freePort();
    const config = path.join(dir, 'config.yml');
    writeFileSync(config, configYaml(port, storage, authYaml(auth, dir)));
    let output = '';
    const child = spawn(REGISTRY_BIN, ['serve', config], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    const url = `http://127.0.0.1:${port}`;
    try {
      await waitForV2(url, child, 15_000);
    } catch (err) {
      lastError = new Error(`${(err as Error).message}\n${output}`);
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
      continue; // port taken between probe and bind, most likely: try another
    }
    return {
      host: `127.0.0.1:${port}`,
      port,
      url,
      dir,
      logs: () => output,
      stop: async () => {
        if (child.exitCode === null) {
          const exited = new Promise((r) => child.once('exit', r));
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
          await exited;
          clearTimeout(timer);
        }
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  throw lastError;
}

export interface TestCertificates {
  /** The test CA (PEM): trust it with NODE_EXTRA_CA_CERTS in a child process. */
  caPath: string;
  /** A server certificate signed by the CA for `names` (DNS names and 127.0.0.1), and its key. */
  certPath: string;
  keyPath: string;
  cert: Buffer;
  key: Buffer;
  ca: Buffer;
}

/**
 * Make a throwaway CA and a server certificate for `names` with openssl, in a temporary directory.
 * Used to serve a registry (and AWS) over TLS on loopback under names such as `registry.test`.
 */
export function makeTestCertificates(names: string[]): TestCertificates {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'imagedrift-tls-'));
  const at = (f: string) => path.join(dir, f);
  const run = (args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });
  run(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', at('ca.key'), '-out', at('ca.pem'), '-days', '2', '-subj', '/CN=imagedrift test CA']);
  run(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', at('server.key'), '-out', at('server.csr'), '-subj', `/CN=${names[0] ?? 'localhost'}`]);
  const san = [...names.map((n) => `DNS:${n}`), 'IP:127.0.0.1'].join(',');
  writeFileSync(at('ext.cnf'), `subjectAltName=${san}\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n`);
  run(['x509', '-req', '-in', at('server.csr'), '-CA', at('ca.pem'), '-CAkey', at('ca.key'), '-CAcreateserial', '-out', at('server.pem'), '-days', '2', '-extfile', at('ext.cnf')]);
  return {
    caPath: at('ca.pem'),
    certPath: at('server.pem'),
    keyPath: at('server.key'),
    cert: readFileSync(at('server.pem')),
    key: readFileSync(at('server.key')),
    ca: readFileSync(at('ca.pem')),
  };
}

/** A ParsedReference literal for a repository on a test registry. */
export function testRef(host: string, repository: string, tag?: string, digest?: string): ParsedReference {
  return {
    registry: host,
    implicitRegistry: false,
    path: repository,
    repository,
    ...(tag !== undefined ? { tag } : {}),
    ...(digest !== undefined ? { digest } : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// Pushing through the registry API

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
export const OCI_LAYER = 'application/vnd.oci.image.layer.v1.tar+gzip';

export const sha256 = (data: Buffer | string) => `sha256:${createHash('sha256').update(data).digest('hex')}`;

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

export type PushAuth = { username: string; password: string };

export interface ImageOptions {
  /** The image config's `created` time (RFC 3339), e.g. `new Date(Date.now() - 86_400_000).toISOString()`. */
  created?: string;
}

/** An RFC 3339 time `days` ago (fractions allowed), for `created`. */
export function daysAgo(days: number): string {
  return new Date(Date.now() - days * 86_400_000).toISOString();
}

export interface PushedImage {
  digest: string;
  configDigest: string;
  layerDigest: string;
  manifest: Buffer;
  platform: Platform;
}

export interface PushedIndex {
  digest: string;
  children: PushedImage[];
}

/**
 * Pushes to a registry over its HTTP API. With `auth`, answers Basic challenges and Bearer
 * challenges (fetching a push token from the realm with the same credentials).
 */
export class Pusher {
  private readonly tokens = new Map<string, string>();

  constructor(
    readonly baseUrl: string,
    private readonly auth?: PushAuth,
  ) {}

  private async send(repo: string, url: string, init: RequestInit): Promise<Response> {
    const scope = `repository:${repo}:pull,push,delete`;
    const withAuth = (authorization?: string): RequestInit => ({
      ...init,
      redirect: 'follow',
      headers: { ...(init.headers as Record<string, string>), ...(authorization ? { authorization } : {}) },
    });
    let res = await fetch(url, withAuth(this.tokens.get(scope)));
    if (res.status !== 401 || !this.auth) return res;
    await res.arrayBuffer();
    const challenge = res.headers.get('www-authenticate') ?? '';
    const basic = `Basic ${Buffer.from(`${this.auth.username}:${this.auth.password}`).toString('base64')}`;
    let authorization: string;
    if (/^basic/i.test(challenge)) {
      authorization = basic;
    } else {
      const realm = /realm="([^"]+)"/.exec(challenge)?.[1];
      const service = /service="([^"]+)"/.exec(challenge)?.[1];
      if (!realm || !service) throw new Error(`unexpected challenge: ${challenge}`);
      const tokenUrl = new URL(realm);
      tokenUrl.searchParams.set('service', service);
      tokenUrl.searchParams.set('scope', scope);
      const tr = await fetch(tokenUrl, { headers: { authorization: basic } });
      if (tr.status !== 200) throw new Error(`push token request failed: ${tr.status}`);
      const body = (await tr.json()) as { token?: string; access_token?: string };
      authorization = `Bearer ${body.token ?? body.access_token}`;
    }
    this.tokens.set(scope, authorization);
    res = await fetch(url, withAuth(authorization));
    return res;
  }

  private async expect(res: Response, status: number | number[], what: string): Promise<Response> {
    const ok = Array.isArray(status) ? status.includes(res.status) : res.status === status;
    if (!ok) throw new Error(`${what}: HTTP ${res.status} ${await res.text()}`);
    return res;
  }

  /** POST to start an upload, then one monolithic PUT with ?digest=. */
  async uploadBlob(repo: string, data: Buffer): Promise<string> {
    const digest = sha256(data);
    const start = await this.expect(
      await this.send(repo, `${this.baseUrl}/v2/${repo}/blobs/uploads/`, { method: 'POST', headers: { 'content-length': '0' } }),
      202,
      'start upload',
    );
    await start.arrayBuffer();
    const location = new URL(start.headers.get('location') ?? '', this.baseUrl);
    location.searchParams.set('digest', digest);
    const put = await this.expect(
      await this.send(repo, location.href, {
        method: 'PUT',
        headers: { 'content-type': 'application/octet-stream', 'content-length': String(data.length) },
        body: data,
      }),
      201,
      'put blob',
    );
    await put.arrayBuffer();
    return digest;
  }

  async putManifest(repo: string, reference: string, body: Buffer, mediaType: string): Promise<string> {
    const res = await this.expect(
      await this.send(repo, `${this.baseUrl}/v2/${repo}/manifests/${reference}`, {
        method: 'PUT',
        headers: { 'content-type': mediaType },
        body,
      }),
      201,
      `put manifest ${repo}:${reference}`,
    );
    await res.arrayBuffer();
    const digest = sha256(body);
    const header = res.headers.get('docker-content-digest');
    if (header && header !== digest) throw new Error(`registry computed ${header}, expected ${digest}`);
    return digest;
  }

  /**
   * Push an OCI image (random layer, config for `platform`) by digest and under each tag. The
   * config's `created` time is `options.created` when given (an RFC 3339 time), else absent.
   */
  async pushImage(
    repo: string,
    tags: string[],
    platform: Platform = { os: 'linux', architecture: 'amd64' },
    options: ImageOptions = {},
  ): Promise<PushedImage> {
    const layer = randomBytes(512);
    const layerDigest = await this.uploadBlob(repo, layer);
    const config = Buffer.from(
      JSON.stringify({
        architecture: platform.architecture,
        os: platform.os,
        ...(platform.variant ? { variant: platform.variant } : {}),
        ...(options.created !== undefined ? { created: options.created } : {}),
        rootfs: { type: 'layers', diff_ids: [layerDigest] },
        config: {},
      }),
    );
    const configDigest = await this.uploadBlob(repo, config);
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        config: { mediaType: OCI_CONFIG, digest: configDigest, size: config.length },
        layers: [{ mediaType: OCI_LAYER, digest: layerDigest, size: layer.length }],
      }),
    );
    const digest = await this.putManifest(repo, sha256(manifest), manifest, OCI_MANIFEST);
    for (const tag of tags) await this.putManifest(repo, tag, manifest, OCI_MANIFEST);
    return { digest, configDigest, layerDigest, manifest, platform };
  }

  /** Push one image per platform, then an OCI index of them under each tag. */
  async pushIndex(repo: string, tags: string[], platforms: Platform[], options: ImageOptions = {}): Promise<PushedIndex> {
    const children: PushedImage[] = [];
    for (const p of platforms) children.push(await this.pushImage(repo, [], p, options));
    const index = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_INDEX,
        manifests: children.map((c) => ({
          mediaType: OCI_MANIFEST,
          digest: c.digest,
          size: c.manifest.length,
          platform: c.platform,
        })),
      }),
    );
    const digest = await this.putManifest(repo, sha256(index), index, OCI_INDEX);
    for (const tag of tags) await this.putManifest(repo, tag, index, OCI_INDEX);
    return { digest, children };
  }

  /** Point more tags at an existing manifest (by digest or tag). */
  async tag(repo: string, from: string, tags: string[]): Promise<string> {
    const res = await this.expect(
      await this.send(repo, `${this.baseUrl}/v2/${repo}/manifests/${from}`, {
        headers: { accept: `${OCI_MANIFEST}, ${OCI_INDEX}` },
      }),
      200,
      `get manifest ${repo}:${from}`,
    );
    const body = Buffer.from(await res.arrayBuffer());
    const mediaType = (res.headers.get('content-type') ?? OCI_MANIFEST).split(';')[0] as string;
    let digest = sha256(body);
    for (const tag of tags) digest = await this.putManifest(repo, tag, body, mediaType);
    return digest;
  }

  /** Move `tag` to a freshly pushed, different image. */
  async moveTag(repo: string, tag: string, options: ImageOptions = {}): Promise<PushedImage> {
    return this.pushImage(repo, [tag], undefined, options);
  }

  async deleteManifest(repo: string, digest: string): Promise<void> {
    const res = await this.expect(
      await this.send(repo, `${this.baseUrl}/v2/${repo}/manifests/${digest}`, { method: 'DELETE' }),
      202,
      `delete ${repo}@${digest}`,
    );
    await res.arrayBuffer();
  }
}
