// Integration: registry authentication against real distribution registries on 127.0.0.1 —
// htpasswd Basic (behind the fault proxy) and token auth (distribution's `auth.token` with JWTs
// from tests/helpers/token-server.ts). Covers good/wrong/missing credentials, token caching and
// expiry, identity tokens, Docker config files and credential helpers (a docker-credential-test
// script on PATH), Authorization dropped on a cross-host redirect, and that no secret ever shows up
// in outcomes, errors, warnings or console output.

import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DockerConfigCredentials, RegistryAuth, StaticCredentials, type CredentialProvider } from '../../src/resolve/auth.js';
import { HttpClient } from '../../src/resolve/http.js';
import { OciRegistryClient, type OciRegistryOptions } from '../../src/resolve/oci-registry.js';
import { ResolveError, type ResolveOutcome, type ResolveSuccess } from '../../src/resolve/types.js';
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy.js';
import { Pusher, startRegistry, testRef, type PushedImage, type TestRegistry } from '../helpers/registry.js';
import { startTokenServer, type TokenServer, type TokenServerOptions } from '../helpers/token-server.js';

const rand = () => Math.random().toString(36).slice(2, 10);
const BASIC_USER = 'alice';
const BASIC_PASS = `basic-pw-${rand()}`;
const TOKEN_USER = 'bob';
const TOKEN_PASS = `token-pw-${rand()}`;
const IDENTITY_TOKEN = `identity-${rand()}`;
const basicHeader = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;

let basicReg: TestRegistry;
let basicProxy: FaultProxy;
let basicImage: PushedImage;
let tokenServer: TokenServer;
let tokenReg: TestRegistry;
let secureImage: PushedImage;
let otherImage: PushedImage;
const tokenOpts: TokenServerOptions = {
  service: 'imagedrift-test',
  issuer: 'imagedrift-test-issuer',
  users: { [TOKEN_USER]: TOKEN_PASS },
  refreshTokens: { [IDENTITY_TOKEN]: TOKEN_USER },
  expiresIn: 300,
};

const clients: OciRegistryClient[] = [];
const tmpDirs: string[] = [];
/** Everything the code under test said: outcomes, error messages, warnings, retry notes, console. */
const said: string[] = [];

function client(credentials: CredentialProvider, opts: OciRegistryOptions = {}): OciRegistryClient {
  const c = new OciRegistryClient({
    credentials,
    backoffBaseMs: 5,
    timeoutMs: 5000,
    onWarning: (m) => said.push(m),
    onRetry: (i) => said.push(JSON.stringify(i)),
    ...opts,
  });
  clients.push(c);
  return c;
}
async function resolveRecorded(c: OciRegistryClient, ...args: Parameters<OciRegistryClient['resolve']>): Promise<ResolveOutcome> {
  const out = await c.resolve(...args);
  said.push(JSON.stringify(out));
  return out;
}
function expectOk(o: ResolveOutcome): ResolveSuccess {
  if (!o.ok) throw new Error(`expected success, got ${o.kind}: ${o.reason}`);
  return o;
}
function tmpDir(): string {
  const d = mkdtempSync(path.join(os.tmpdir(), 'imagedrift-auth-'));
  tmpDirs.push(d);
  return d;
}
const basicCreds = (pass = BASIC_PASS) => new StaticCredentials({ [basicProxy.host]: { kind: 'basic', username: BASIC_USER, password: pass } });
const tokenCreds = (pass = TOKEN_PASS) => new StaticCredentials({ [tokenReg.host]: { kind: 'basic', username: TOKEN_USER, password: pass } });
const tokenRequestsFor = (repo: string) => tokenServer.requests.filter((r) => r.scope.includes(`repository:${repo}:pull`));

beforeAll(async () => {
  for (const level of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
      said.push(args.map(String).join(' '));
    });
  }
  basicReg = await startRegistry({ kind: 'htpasswd', users: { [BASIC_USER]: BASIC_PASS } });
  basicImage = await new Pusher(basicReg.url, { username: BASIC_USER, password: BASIC_PASS }).pushImage('team/private', ['1.0']);
  // The other listener plays a blob host that authorizes by URL (like a presigned S3 link).
  basicProxy = await startFaultProxy({ upstream: basicReg.host, otherUpstreamAuthorization: basicHeader(BASIC_USER, BASIC_PASS) });

  tokenServer = await startTokenServer(tokenOpts);
  tokenReg = await startRegistry({
    kind: 'token',
    realm: tokenServer.realm,
    service: tokenOpts.service,
    issuer: tokenOpts.issuer,
    rootCertBundle: tokenServer.certPath,
  });
  const pusher = new Pusher(tokenReg.url, { username: TOKEN_USER, password: TOKEN_PASS });
  secureImage = await pusher.pushImage('team/secure', ['1.0', '1.1', '2.0']);
  otherImage = await pusher.pushImage('team/other', ['latest']);
}, 60_000);

afterAll(async () => {
  vi.restoreAllMocks();
  for (const c of clients) c.close();
  await basicProxy?.stop();
  await basicReg?.stop();
  await tokenReg?.stop();
  await tokenServer?.stop();
  for (const d of tmpDirs) rmSync(d, { recursive: true, force: true });
});

describe('Basic (htpasswd)', () => {
  it('resolves with the right credentials, answering the 401 once and then pre-emptively', async () => {
    basicProxy.reset();
    const c = client(basicCreds());
    const ref = testRef(basicProxy.host, 'team/private', '1.0');
    expect(expectOk(await resolveRecorded(c, ref)).digest).toBe(basicImage.digest);
    expect(expectOk(await resolveRecorded(c, ref, { verify: true })).verified).toBe(true);
    expect(await c.listTags(ref)).toEqual(['1.0']);
    // First HEAD without auth (401), then everything with it: HEAD, the verifying GET, the tag list.
    expect(basicProxy.requests.map((r) => r.headers.authorization === undefined)).toEqual([true, false, false, false]);
  });

  it('wrong password → kind auth, "rejected"', async () => {
    const out = await resolveRecorded(client(basicCreds('wrong-password')), testRef(basicProxy.host, 'team/private', '1.0'));
    expect(out).toMatchObject({ ok: false, kind: 'auth' });
    if (!out.ok) expect(out.reason).toMatch(/credentials for 127\.0\.0\.1:\d+ were rejected/);
    const err = await client(basicCreds('wrong-password'))
      .listTags(testRef(basicProxy.host, 'team/private'))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ResolveError);
    expect(err).toMatchObject({ kind: 'auth' });
    said.push(String((err as Error).message), String((err as Error).stack));
  });

  it('no credentials → kind auth, says how to log in', async () => {
    const out = await resolveRecorded(client(new StaticCredentials({})), testRef(basicProxy.host, 'team/private', '1.0'));
    expect(out).toMatchObject({ ok: false, kind: 'auth' });
    if (!out.ok) expect(out.reason).toContain(`no credentials were found for ${basicProxy.host}`);
  });

  it('drops Authorization when a redirect leaves the registry host', async () => {
    basicProxy.reset();
    const c = client(basicCreds());
    // A first resolve learns that the registry wants Basic auth, so the GET below carries it.
    expectOk(await resolveRecorded(c, testRef(basicProxy.host, 'team/private', '1.0')));
    basicProxy.addFault({ method: 'GET', path: '/manifests/', fault: { kind: 'redirect-other' } });
    const out = expectOk(await resolveRecorded(c, testRef(basicProxy.host, 'team/private', '1.0'), { verify: true }));
    expect(out.digest).toBe(basicImage.digest);
    const atOther = basicProxy.requests.filter((r) => r.listener === 'other');
    expect(atOther).toHaveLength(1);
    expect(atOther[0]?.headers.authorization).toBeUndefined();
    const redirected = basicProxy.requests.filter((r) => r.listener === 'proxy' && r.fault === 'redirect-other');
    expect(redirected).toHaveLength(1);
    expect(redirected[0]?.headers.authorization).toBe(basicHeader(BASIC_USER, BASIC_PASS));
  });

  it('reads auths from a Docker config file (base64 auth and username/password)', async () => {
    const dir = tmpDir();
    writeFileSync(
      path.join(dir, 'config.json'),
      JSON.stringify({ auths: { [`http://${basicProxy.host}`]: { auth: Buffer.from(`${BASIC_USER}:${BASIC_PASS}`).toString('base64') } } }),
    );
    const c = client(new DockerConfigCredentials({ configDir: dir }));
    expect(expectOk(await resolveRecorded(c, testRef(basicProxy.host, 'team/private', '1.0'))).digest).toBe(basicImage.digest);

    const dir2 = tmpDir();
    writeFileSync(path.join(dir2, 'config.json'), JSON.stringify({ auths: { [basicProxy.host]: { username: BASIC_USER, password: BASIC_PASS } } }));
    const c2 = client(new DockerConfigCredentials({ env: { DOCKER_CONFIG: dir2 } }));
    expect(expectOk(await resolveRecorded(c2, testRef(basicProxy.host, 'team/private', '1.0'))).digest).toBe(basicImage.digest);
  });
});

describe('Bearer (token auth)', () => {
  it('resolves with the right credentials; one token request serves many resolves', async () => {
    const before = tokenRequestsFor('team/secure').length;
    const c = client(tokenCreds());
    const ref = (tag: string) => testRef(tokenReg.host, 'team/secure', tag);
    expect(expectOk(await resolveRecorded(c, ref('1.0'))).digest).toBe(secureImage.digest);
    const many = await Promise.all(['1.0', '1.1', '2.0', '1.0', '1.1'].map((t) => resolveRecorded(c, ref(t), { verify: true })));
    for (const o of many) expect(expectOk(o).digest).toBe(secureImage.digest);
    expect(await c.listTags(ref('1.0'))).toEqual(expect.arrayContaining(['1.0', '1.1', '2.0']));
    const issuedHere = tokenRequestsFor('team/secure').slice(before);
    expect(issuedHere).toHaveLength(1);
    expect(issuedHere[0]).toMatchObject({ user: TOKEN_USER, status: 200 });
    expect(c.auth.tokenRequests).toBe(1);
    // Another repository needs its own scope: exactly one more.
    expect(expectOk(await resolveRecorded(c, testRef(tokenReg.host, 'team/other', 'latest'))).digest).toBe(otherImage.digest);
    expect(c.auth.tokenRequests).toBe(2);
  });

  it('concurrent first requests share one token fetch', async () => {
    const c = client(tokenCreds());
    const outs = await Promise.all(Array.from({ length: 8 }, () => resolveRecorded(c, testRef(tokenReg.host, 'team/secure', '2.0'))));
    for (const o of outs) expectOk(o);
    expect(c.auth.tokenRequests).toBe(1);
  });

  it('wrong password → kind auth from the token endpoint', async () => {
    const out = await resolveRecorded(client(tokenCreds('nope')), testRef(tokenReg.host, 'team/secure', '1.0'));
    expect(out).toMatchObject({ ok: false, kind: 'auth' });
    if (!out.ok) expect(out.reason).toMatch(/rejected by the token endpoint http:\/\/127\.0\.0\.1:\d+\/token \(HTTP 401\)/);
  });

  it('no credentials → kind auth', async () => {
    const out = await resolveRecorded(client(new StaticCredentials({})), testRef(tokenReg.host, 'team/secure', '1.0'));
    expect(out).toMatchObject({ ok: false, kind: 'auth' });
    if (!out.ok) expect(out.reason).toContain('no credentials were found');
  });

  it('accepts access_token instead of token, and renews after expires_in', async () => {
    tokenOpts.tokenField = 'access_token';
    tokenOpts.expiresIn = 1;
    try {
      const c = client(tokenCreds());
      const ref = testRef(tokenReg.host, 'team/secure', '1.1');
      expectOk(await resolveRecorded(c, ref));
      expectOk(await resolveRecorded(c, ref));
      expect(c.auth.tokenRequests).toBe(1);
      await new Promise((r) => setTimeout(r, 1100));
      expectOk(await resolveRecorded(c, ref));
      expect(c.auth.tokenRequests).toBe(2);
    } finally {
      delete tokenOpts.tokenField;
      tokenOpts.expiresIn = 300;
    }
  });

  it('exchanges a Docker identity token with the OAuth2 POST flow', async () => {
    const dir = tmpDir();
    writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ auths: { [tokenReg.host]: { auth: '', identitytoken: IDENTITY_TOKEN } } }));
    const before = tokenServer.requests.length;
    const c = client(new DockerConfigCredentials({ configDir: dir }));
    expect(expectOk(await resolveRecorded(c, testRef(tokenReg.host, 'team/secure', '1.0'))).digest).toBe(secureImage.digest);
    const reqs = tokenServer.requests.slice(before);
    expect(reqs.map((r) => [r.method, r.user, r.status])).toEqual([['POST', TOKEN_USER, 200]]);
  });

  it('does not send a password to a plain-http realm that is not trusted', async () => {
    const http = new HttpClient({ backoffBaseMs: 5 });
    try {
      const auth = new RegistryAuth(http, tokenCreds(), { allowPlainHttp: () => false });
      const before = tokenServer.requests.length;
      const challenge = `Bearer realm="${tokenServer.realm}",service="${tokenOpts.service}",scope="repository:team/secure:pull"`;
      const err = await auth.challenge(tokenReg.host, tokenReg.host, challenge, 'repository:team/secure:pull', undefined).catch((e: Error) => e);
      expect(err).toMatchObject({ kind: 'auth' });
      expect(String((err as Error).message)).toContain('were not sent');
      said.push(String((err as Error).message));
      const reqs = tokenServer.requests.slice(before);
      expect(reqs).toHaveLength(1);
      expect(reqs[0]?.authorization).toBeUndefined();
    } finally {
      http.close();
    }
  });
});

describe('credential helpers', () => {
  let binDir: string;
  let logFile: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(() => {
    const dir = tmpDir();
    binDir = path.join(dir, 'bin');
    mkdirSync(binDir);
    logFile = path.join(dir, 'helper.log');
    const script = path.join(binDir, 'docker-credential-test');
    writeFileSync(
      script,
      `#!/bin/sh
# docker-credential-test: a credential helper for one registry, logging the server URLs asked for.
[ "$1" = "get" ] || exit 3
IFS= read -r server || true
printf '%s\\n' "$server" >> '${logFile}'
if [ "$server" = '${tokenReg.host}' ]; then
  printf '{"ServerURL":"%s","Username":"${TOKEN_USER}","Secret":"${TOKEN_PASS}"}\\n' "$server"
  exit 0
fi
echo "credentials not found in native keychain"
exit 1
`,
    );
    chmodSync(script, 0o755);
    env = { ...process.env, PATH: `${binDir}${path.delimiter}${process.env.PATH ?? ''}` };
  });

  it('credHelpers[host] runs docker-credential-<name> get with the server URL on stdin', async () => {
    const dir = tmpDir();
    writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ credHelpers: { [tokenReg.host]: 'test' } }));
    const c = client(new DockerConfigCredentials({ configDir: dir, env }));
    expect(expectOk(await resolveRecorded(c, testRef(tokenReg.host, 'team/secure', '2.0'))).digest).toBe(secureImage.digest);
    expectOk(await resolveRecorded(c, testRef(tokenReg.host, 'team/other', 'latest')));
    expect(readFileSync(logFile, 'utf8')).toBe(`${tokenReg.host}\n`); // spawned once per registry
  });

  it('credsStore is the fallback; a helper without credentials means anonymous', async () => {
    const dir = tmpDir();
    writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ credsStore: 'test' }));
    const creds = new DockerConfigCredentials({ configDir: dir, env, onWarning: (m) => said.push(m) });
    expectOk(await resolveRecorded(client(creds), testRef(tokenReg.host, 'team/secure', '1.0')));
    expect(await creds.get('docker.io')).toBeUndefined();
    expect(readFileSync(logFile, 'utf8')).toContain('https://index.docker.io/v1/\n');
    const out = await resolveRecorded(client(creds), testRef(basicProxy.host, 'team/private', '1.0'));
    expect(out).toMatchObject({ ok: false, kind: 'auth' });
  });

  it('a missing helper is a warning, not a crash', async () => {
    const dir = tmpDir();
    writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ credHelpers: { [tokenReg.host]: 'does-not-exist' } }));
    const warnings: string[] = [];
    const creds = new DockerConfigCredentials({ configDir: dir, env, onWarning: (m) => warnings.push(m) });
    expect(await creds.get(tokenReg.host)).toBeUndefined();
    expect(warnings.join('\n')).toContain('docker-credential-does-not-exist not found');
    said.push(...warnings);
  });
});

describe('tags/list pagination to another origin (Link: <…>; rel="next")', () => {
  /** Every request the other origin received must be free of credentials, and none is expected. */
  function expectNothingOffered(proxy: FaultProxy): void {
    const atOther = proxy.requests.filter((r) => r.listener === 'other');
    for (const r of atOther) expect(r.headers.authorization, `${r.method} ${r.path}`).toBeUndefined();
    expect(atOther).toEqual([]);
  }

  it('Basic: the next page on another host:port is not followed, so its 401 never gets the registry\'s credentials', async () => {
    await new Pusher(basicReg.url, { username: BASIC_USER, password: BASIC_PASS }).pushImage('team/paged', ['1.0', '1.1', '1.2']);
    const proxy = await startFaultProxy({ upstream: basicReg.host, other: 'basic-challenge' });
    try {
      proxy.addFault({ method: 'GET', path: '/tags/list', fault: { kind: 'paginate-tags', pageSize: 1, nextOnOther: true } });
      const c = client(new StaticCredentials({ [proxy.host]: { kind: 'basic', username: BASIC_USER, password: BASIC_PASS } }));
      const err = await c.listTags(testRef(proxy.host, 'team/paged')).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ResolveError);
      expect((err as Error).message).toContain(`the tags list's next page is on another origin (${proxy.otherUrl}`);
      said.push((err as Error).message);
      // The first page did go to the registry with its credentials.
      expect(proxy.requests.some((r) => r.listener === 'proxy' && r.path.includes('/tags/list') && r.headers.authorization === basicHeader(BASIC_USER, BASIC_PASS))).toBe(true);
      expectNothingOffered(proxy);
    } finally {
      await proxy.stop();
    }
  });

  it('Bearer: a next page whose host challenges with a realm of its own gets neither the password nor a token', async () => {
    const proxy = await startFaultProxy({ upstream: tokenReg.host, other: 'bearer-challenge' });
    try {
      proxy.addFault({ method: 'GET', path: '/tags/list', fault: { kind: 'paginate-tags', pageSize: 1, nextOnOther: true } });
      const c = client(new StaticCredentials({ [proxy.host]: { kind: 'basic', username: TOKEN_USER, password: TOKEN_PASS } }));
      const before = tokenServer.requests.length;
      const err = await c.listTags(testRef(proxy.host, 'team/secure')).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ResolveError);
      expect((err as Error).message).toContain('next page is on another origin');
      said.push((err as Error).message);
      // One token from the registry's own realm, for the first page; nothing at the other host's realm.
      expect(tokenServer.requests.length - before).toBe(1);
      expectNothingOffered(proxy);
    } finally {
      await proxy.stop();
    }
  });
});

describe('secrets', () => {
  it('never appear in outcomes, errors, warnings or console output', () => {
    expect(said.length).toBeGreaterThan(20);
    const secrets = [
      BASIC_PASS,
      TOKEN_PASS,
      IDENTITY_TOKEN,
      Buffer.from(`${BASIC_USER}:${BASIC_PASS}`).toString('base64'),
      Buffer.from(`${TOKEN_USER}:${TOKEN_PASS}`).toString('base64'),
      ...tokenServer.issued,
      ...tokenServer.issued.map((t) => t.split('.')[2] as string), // signatures
    ];
    expect(tokenServer.issued.length).toBeGreaterThan(3);
    const all = said.join('\n');
    for (const s of secrets) expect(all.includes(s), `secret leaked: ${s.slice(0, 12)}…`).toBe(false);
  });
});
