// Test token server for the Docker registry token auth flow (distribution's `auth.token`).
// Generates a throwaway EC P-256 key and self-signed certificate with `openssl` (the registry's
// `rootcertbundle`), and issues ES256 JWTs whose header carries the certificate in `x5c`, which is
// how distribution 2.8 finds the signing key. Users authenticate with Basic on GET, or with an
// identity (refresh) token on POST; anonymous callers get pull-only tokens when allowed.
// Loopback only; every request is recorded so tests can count token fetches.

import { execFileSync } from 'node:child_process';
import { createPrivateKey, randomBytes, sign, X509Certificate, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';

export interface TokenServerOptions {
  service: string;
  issuer: string;
  /** username → password */
  users?: Record<string, string>;
  /** refresh token → username (for the OAuth2 POST flow, Docker's identitytoken) */
  refreshTokens?: Record<string, string>;
  /** Anonymous callers get pull access. Default false. */
  allowAnonymous?: boolean;
  /** expires_in in the response. Default 300. */
  expiresIn?: number;
  /** Which response field carries the token. Default 'token'. */
  tokenField?: 'token' | 'access_token' | 'both';
}

export interface TokenRequestRecord {
  method: string;
  url: string;
  scope: string[];
  user?: string;
  authorization?: string;
  status: number;
}

export interface TokenServer {
  realm: string;
  host: string;
  certPath: string;
  requests: TokenRequestRecord[];
  /** Tokens issued so far (for secret-leak checks). */
  issued: string[];
  stop(): Promise<void>;
}

const b64url = (buf: Buffer | string) => Buffer.from(buf).toString('base64url');

interface Access {
  type: string;
  name: string;
  actions: string[];
}

function parseScope(scope: string): Access | undefined {
  const first = scope.indexOf(':');
  const last = scope.lastIndexOf(':');
  if (first < 0 || last <= first) return undefined;
  return { type: scope.slice(0, first), name: scope.slice(first + 1, last), actions: scope.slice(last + 1).split(',').filter(Boolean) };
}

export async function startTokenServer(opts: TokenServerOptions): Promise<TokenServer> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'imagedrift-token-'));
  const keyPath = path.join(dir, 'key.pem');
  const certPath = path.join(dir, 'cert.pem');
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', keyPath, '-out', certPath,
      '-days', '2', '-subj', '/CN=imagedrift-test-token-issuer'],
    { stdio: 'ignore' },
  );
  const key: KeyObject = createPrivateKey(readFileSync(keyPath));
  const certDer = new X509Certificate(readFileSync(certPath)).raw;

  const requests: TokenRequestRecord[] = [];
  const issued: string[] = [];

  const makeToken = (subject: string, access: Access[]): string => {
    const now = Math.floor(Date.now() / 1000);
    const header = { typ: 'JWT', alg: 'ES256', x5c: [certDer.toString('base64')] };
    const claims = {
      iss: opts.issuer,
      sub: subject,
      aud: opts.service,
      exp: now + (opts.expiresIn ?? 300),
      nbf: now - 10,
      iat: now,
      jti: randomBytes(12).toString('hex'),
      access,
    };
    const signingInput = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    const signature = sign('sha256', Buffer.from(signingInput), { key, dsaEncoding: 'ieee-p1363' });
    const token = `${signingInput}.${b64url(signature)}`;
    issued.push(token);
    return token;
  };

  const grant = (user: string | undefined, scopes: string[]): Access[] =>
    scopes
      .map(parseScope)
      .filter((a): a is Access => a !== undefined && a.type === 'repository')
      .map((a) => ({ ...a, actions: user ? a.actions : a.actions.filter((x) => x === 'pull') }));

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://token.invalid');
      const record: TokenRequestRecord = {
        method: req.method ?? '',
        url: req.url ?? '',
        scope: [],
        ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
        status: 0,
      };
      requests.push(record);
      const reply = (status: number, body: unknown) => {
        record.status = status;
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (url.pathname !== '/token') return reply(404, { error: 'not found' });

      let user: string | undefined;
      let service: string | null;
      let scopes: string[];
      if (req.method === 'POST') {
        const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
        service = form.get('service');
        scopes = form.getAll('scope').flatMap((s) => s.split(' ')).filter(Boolean);
        const rt = form.get('refresh_token') ?? '';
        if (form.get('grant_type') !== 'refresh_token' || !opts.refreshTokens?.[rt]) return reply(401, { error: 'invalid_grant' });
        user = opts.refreshTokens[rt];
      } else {
        service = url.searchParams.get('service');
        scopes = url.searchParams.getAll('scope').flatMap((s) => s.split(' ')).filter(Boolean);
        const auth = req.headers.authorization;
        if (auth) {
          const m = /^Basic (.+)$/.exec(auth);
          const decoded = m ? Buffer.from(m[1] as string, 'base64').toString('utf8') : '';
          const colon = decoded.indexOf(':');
          const name = decoded.slice(0, colon);
          if (colon < 0 || opts.users?.[name] === undefined || opts.users[name] !== decoded.slice(colon + 1)) {
            return reply(401, { errors: [{ code: 'UNAUTHORIZED', message: 'invalid credentials' }] });
          }
          user = name;
        } else if (!opts.allowAnonymous) {
          res.setHeader('www-authenticate', 'Basic realm="test-token-server"');
          return reply(401, { errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] });
        }
      }
      record.scope = scopes;
      if (user) record.user = user;
      if (service !== opts.service) return reply(400, { error: 'unknown service' });
      const token = makeToken(user ?? 'anonymous', grant(user, scopes));
      const expires = opts.expiresIn ?? 300;
      const field = opts.tokenField ?? 'token';
      const body: Record<string, unknown> = { expires_in: expires, issued_at: new Date().toISOString() };
      if (field === 'token' || field === 'both') body.token = token;
      if (field === 'access_token' || field === 'both') body.access_token = token;
      reply(200, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    realm: `http://127.0.0.1:${port}/token`,
    host: `127.0.0.1:${port}`,
    certPath,
    requests,
    issued,
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
