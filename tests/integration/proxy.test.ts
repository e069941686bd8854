// Proxies from the environment (issue 16): `scan --resolve`, `pin` and `audit ecs` reach registries,
// ECR, ECS and STS through HTTPS_PROXY / HTTP_PROXY (either case) as CONNECT tunnels, go direct to
// the hosts NO_PROXY names, and the proxy never sees a registry credential in clear.
//
// The parts: a real registry (htpasswd Basic) behind a TLS front (the fault proxy with a certificate
// the test makes with openssl for `registry.test`), the fake AWS over TLS for `ecs.test`, `ecr.test`
// and `sts.test`, and a loopback CONNECT proxy (tests/helpers/fault-proxy.ts) that maps those names
// to 127.0.0.1 and counts tunnels per name. The child processes trust the test CA through
// NODE_EXTRA_CA_CERTS, as a user behind a TLS-inspecting proxy would. The `.test` names are only
// ever resolved by the test proxy (a client that ignored the proxy would fail to resolve them).
// A second, plain-http registry on 127.0.0.1 stands for a host NO_PROXY exempts.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeAwsServer, fakeAwsCliEnv, imageDigest, OTEL, otelIncidentFixture } from '../helpers/fake-aws.js';
import { startConnectProxy, startFaultProxy, type ConnectProxy, type FaultProxy } from '../helpers/fault-proxy.js';
import { makeTestCertificates, Pusher, startRegistry, type PushedImage, type TestCertificates, type TestRegistry } from '../helpers/registry.js';

const root = join(import.meta.dirname, '..', '..');
const USER = 'proxy-user';
const PASSWORD = `pw-${Math.random().toString(36).slice(2)}`;
const BASIC = Buffer.from(`${USER}:${PASSWORD}`).toString('base64');
const PROXY_VARIABLES = ['HTTPS_PROXY', 'HTTP_PROXY', 'ALL_PROXY', 'NO_PROXY', 'https_proxy', 'http_proxy', 'all_proxy', 'no_proxy'];

let certs: TestCertificates;
let privateReg: TestRegistry;
let tlsFront: FaultProxy;
let plainReg: TestRegistry;
let aws: FakeAwsServer;
let proxy: ConnectProxy;
let registryName: string;
let app: PushedImage;
let latest: PushedImage;
let direct: PushedImage;
let dockerConfig: string;

function cli(args: string[], env: Record<string, string | undefined>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(root, 'bin', 'imagedrift.js'), ...args], { cwd: root, env: env as NodeJS.ProcessEnv });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The child's environment: the fake AWS by name over TLS, the test CA, the Docker config, and `proxyVars` only. */
function env(proxyVars: Record<string, string>): Record<string, string | undefined> {
  const base = fakeAwsCliEnv(`https://ecs.test:${aws.port}`, {
    AWS_ENDPOINT_URL_ECR: `https://ecr.test:${aws.port}`,
    AWS_ENDPOINT_URL_STS: `https://sts.test:${aws.port}`,
    AWS_REGION: 'us-east-1',
    NODE_EXTRA_CA_CERTS: certs.caPath,
    DOCKER_CONFIG: dockerConfig,
    XDG_CACHE_HOME: mkdtempSync(join(tmpdir(), 'imagedrift-xdg-')),
  });
  for (const name of PROXY_VARIABLES) delete base[name];
  return { ...base, ...proxyVars };
}

/** What must never cross the proxy in clear. */
function expectNoCredentialSeen(): void {
  const seen = proxy.clientBytes().toString('latin1');
  expect(seen.length).toBeGreaterThan(1000); // TLS records did go through it
  expect(seen.includes(PASSWORD)).toBe(false);
  expect(seen.includes(BASIC)).toBe(false);
  expect(proxy.plainRequests).toEqual([]);
}

function workDir(): { dir: string; file: string; text: string } {
  const dir = mkdtempSync(join(tmpdir(), 'imagedrift-proxy-'));
  const file = join(dir, 'task.json');
  const text = `{
  "family": "checkout",
  "containerDefinitions": [
    {"name": "app", "image": "${registryName}/team/app:1.0.0", "essential": true},
    {"name": "collector", "image": "${registryName}/otel/collector:latest", "essential": false},
    {"name": "direct", "image": "${plainReg.host}/team/direct:2.0.0", "essential": false},
    {"name": "api", "image": "${OTEL.ECR}/checkout-api:4.2.1", "essential": false}
  ]
}
`;
  writeFileSync(file, text);
  return { dir, file, text };
}

beforeAll(async () => {
  certs = makeTestCertificates(['registry.test', 'ecs.test', 'ecr.test', 'sts.test']);
  privateReg = await startRegistry({ kind: 'htpasswd', users: { [USER]: PASSWORD } });
  const push = new Pusher(privateReg.url, { username: USER, password: PASSWORD });
  app = await push.pushImage('team/app', ['1.0.0']);
  latest = await push.pushImage('otel/collector', ['v0.28.0', 'latest']);
  tlsFront = await startFaultProxy({ upstream: privateReg.host, tls: { cert: certs.cert, key: certs.key } });
  registryName = `registry.test:${tlsFront.host.split(':')[1]}`;
  plainReg = await startRegistry();
  direct = await new Pusher(plainReg.url).pushImage('team/direct', ['2.0.0']);
  aws = await FakeAwsServer.start(otelIncidentFixture(), {}, { cert: certs.cert, key: certs.key });
  proxy = await startConnectProxy({ resolveName: (host) => (host.endsWith('.test') ? '127.0.0.1' : undefined) });
  dockerConfig = mkdtempSync(join(tmpdir(), 'imagedrift-docker-'));
  writeFileSync(join(dockerConfig, 'config.json'), JSON.stringify({ auths: { [registryName]: { auth: BASIC } } }));
}, 60_000);

afterAll(async () => {
  await proxy?.stop();
  await aws?.close();
  await tlsFront?.stop();
  await privateReg?.stop();
  await plainReg?.stop();
});

describe('HTTPS_PROXY / HTTP_PROXY / NO_PROXY', () => {
  it('scan --resolve (lower-case variables): the TLS registry and ECR through tunnels, the NO_PROXY registry direct, no credential in clear', async () => {
    proxy.reset();
    tlsFront.reset();
    const { dir } = workDir();
    const results = join(mkdtempSync(join(tmpdir(), 'imagedrift-results-')), 'results.json');
    const result = await cli(['scan', '--resolve', '--newer', 'off', '--format', 'json', '-o', results, dir], env({ https_proxy: proxy.url, http_proxy: proxy.url, no_proxy: '127.0.0.1' }));
    expect(result.stderr).not.toContain('could not be checked');
    expect(result.code).toBe(1); // the latest-tag error
    const report = JSON.parse(readFileSync(results, 'utf8')) as { findings: Array<{ container?: { name: string }; fix?: { digest: string } }> };
    const fixes = Object.fromEntries(report.findings.filter((f) => f.fix).map((f) => [f.container?.name, f.fix?.digest]));
    expect(fixes).toEqual({ app: app.digest, collector: latest.digest, direct: direct.digest, api: imageDigest(OTEL.api) });
    expect(proxy.tunnelsTo('registry.test')).toBeGreaterThan(0);
    expect(proxy.tunnelsTo('ecr.test')).toBeGreaterThan(0);
    expect(proxy.tunnelsTo('127.0.0.1')).toBe(0);
    // The credentials did reach the registry, inside TLS.
    expect(tlsFront.requests.some((r) => r.headers.authorization === `Basic ${BASIC}`)).toBe(true);
    expectNoCredentialSeen();
  }, 60_000);

  it('pin (upper-case variables, NO_PROXY as a CIDR block): pins through the proxy', async () => {
    proxy.reset();
    const { dir, file, text } = workDir();
    const result = await cli(['pin', '--upgrade-latest', dir], env({ HTTPS_PROXY: proxy.url, HTTP_PROXY: proxy.url, NO_PROXY: '127.0.0.0/8' }));
    expect(result.stderr).not.toContain('warning');
    expect(result.code).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe(
      text
        .replace('/team/app:1.0.0', `/team/app:1.0.0@${app.digest}`)
        .replace('/otel/collector:latest', `/otel/collector:v0.28.0@${latest.digest}`)
        .replace('/team/direct:2.0.0', `/team/direct:2.0.0@${direct.digest}`)
        .replace('/checkout-api:4.2.1', `/checkout-api:4.2.1@${imageDigest(OTEL.api)}`),
    );
    expect(proxy.tunnelsTo('registry.test')).toBeGreaterThan(0);
    expect(proxy.tunnelsTo('ecr.test')).toBeGreaterThan(0);
    expect(proxy.tunnelsTo('127.0.0.1')).toBe(0);
    expectNoCredentialSeen();
  }, 60_000);

  it('a plain-http registry that NO_PROXY does not exempt is reached through a CONNECT tunnel too, never as a proxied request', async () => {
    proxy.reset();
    const dir = mkdtempSync(join(tmpdir(), 'imagedrift-proxy-plain-'));
    writeFileSync(join(dir, 'pod.yaml'), `apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - {name: a, image: "${plainReg.host}/team/direct:2.0.0"}\n`);
    const result = await cli(['scan', '--resolve', '--newer', 'off', dir], env({ http_proxy: proxy.url }));
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`fix: ${plainReg.host}/team/direct:2.0.0@${direct.digest}`);
    expect(proxy.tunnelsTo('127.0.0.1')).toBeGreaterThan(0);
    expect(proxy.plainRequests).toEqual([]);
  }, 60_000);

  it('audit ecs: ECS, ECR and STS (AssumeRole) all through the proxy', async () => {
    proxy.reset();
    aws.reset();
    const role = `arn:aws:iam::${OTEL.ACCOUNT}:role/imagedrift-audit`;
    const result = await cli(['audit', 'ecs', '--region', 'us-east-1', '--role-arn', role, '--format', 'json'], env({ https_proxy: proxy.url }));
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout) as { findings: Array<{ ruleId: string }> };
    expect(report.findings.some((f) => f.ruleId === 'fleet-drift')).toBe(true);
    expect(report.findings.some((f) => f.ruleId === 'audit-incomplete')).toBe(false);
    expect(aws.count('AssumeRole')).toBe(1);
    expect(proxy.tunnelsTo('sts.test')).toBeGreaterThan(0);
    expect(proxy.tunnelsTo('ecs.test')).toBeGreaterThan(0);
    expect(proxy.tunnelsTo('ecr.test')).toBeGreaterThan(0);
    expect(proxy.plainRequests).toEqual([]);
  }, 60_000);

  it('a proxy that wants credentials gets them from the proxy URL, as Proxy-Authorization on the CONNECT only', async () => {
    const guarded = await startConnectProxy({ resolveName: (host) => (host.endsWith('.test') ? '127.0.0.1' : undefined), requireAuthorization: `Basic ${Buffer.from('pu:pp').toString('base64')}` });
    try {
      const dir = mkdtempSync(join(tmpdir(), 'imagedrift-proxy-auth-'));
      writeFileSync(join(dir, 'pod.yaml'), `apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - {name: a, image: "${registryName}/team/app:1.0.0"}\n`);
      const ok = await cli(['scan', '--resolve', '--newer', 'off', dir], env({ HTTPS_PROXY: guarded.url.replace('http://', 'http://pu:pp@') }));
      expect(ok.code).toBe(0);
      expect(ok.stdout).toContain(`@${app.digest}`);
      const refused = await cli(['scan', '--resolve', '--newer', 'off', '--timeout', '2s', dir], env({ HTTPS_PROXY: guarded.url.replace('http://', 'http://pu:wrong@') }));
      expect(refused.code).toBe(3);
      expect(refused.stdout).toContain(`proxy ${guarded.url} refused a tunnel to ${registryName}: HTTP 407 (proxy authentication required`);
      expect(refused.stdout + refused.stderr).not.toContain('wrong');
    } finally {
      await guarded.stop();
    }
  }, 60_000);

  it('a malformed proxy variable is a usage error (exit 2) that names the variable', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'imagedrift-proxy-bad-'));
    writeFileSync(join(dir, 'pod.yaml'), `apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - {name: a, image: "${registryName}/team/app:1.0.0"}\n`);
    const result = await cli(['scan', '--resolve', dir], env({ HTTPS_PROXY: 'socks5://127.0.0.1:1080' }));
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('HTTPS_PROXY: unsupported proxy scheme socks5:');
  }, 30_000);
});
