// Test helper: a loopback HTTP proxy in front of a registry that injects faults — latency,
// arbitrary statuses (429 + Retry-After, 500), connection resets, truncated bodies, a lying
// Docker-Content-Digest, and redirects to a second listener on another port that stands in for
// "another host" (like a blob CDN). Every request to either listener is recorded (method, path,
// headers), and requests in flight are counted, so tests can assert request counts, concurrency,
// and that no Authorization header reached the other host. The other listener can also play a
// hostile host that challenges for credentials (Basic, or Bearer with its own token realm), so a
// test can prove none are offered to it; and a status fault can send any bytes (a gzip bomb).

import http from 'node:http';
import https from 'node:https';
import net, { type AddressInfo } from 'node:net';

export type Fault =
  | { kind: 'latency'; ms: number }
  | { kind: 'status'; status: number; headers?: Record<string, string>; body?: string | Buffer }
  | { kind: 'reset' }
  /** Forward, keep the upstream Content-Length, send only half the body, then cut the connection. */
  | { kind: 'truncate' }
  /** Forward, but replace Docker-Content-Digest. */
  | { kind: 'lie-digest'; digest: string }
  /** Forward, but replace the body (keeping the upstream headers, Content-Length fixed up). */
  | { kind: 'replace-body'; body: Buffer }
  /** Forward, adding response headers (e.g. RateLimit-Remaining). */
  | { kind: 'add-headers'; headers: Record<string, string> }
  /**
   * Paginate `/tags/list` like Docker Hub/GHCR do (distribution 2.8 ignores `n`): honour `n` (capped
   * at `pageSize`) and `last`, and add `Link: <…>; rel="next"` (relative, or absolute if asked;
   * `nextOnOther`: absolute, on the other listener). `delayMs`: wait that long before each page.
   */
  | { kind: 'paginate-tags'; pageSize: number; absolute?: boolean; nextOnOther?: boolean; delayMs?: number }
  /** 307 to the same path on the other listener. */
  | { kind: 'redirect-other' };

export interface FaultRule {
  method?: string;
  /** Substring or regexp tested against the request path (with query). */
  path?: string | RegExp;
  fault: Fault;
  /** How many matching requests this rule applies to. Default: all. */
  times?: number;
}

export interface RecordedRequest {
  listener: 'proxy' | 'other';
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  fault?: Fault['kind'];
}

export interface FaultProxyOptions {
  /** `host:port` of the upstream (the registry). */
  upstream: string;
  /** Authorization the other listener adds when forwarding (it plays a host that authorizes by URL). */
  otherUpstreamAuthorization?: string;
  /**
   * What the other listener does: forward to the upstream (default), or answer every request with
   * 401 and a Basic challenge, or a Bearer challenge whose realm is its own `/token` (which answers
   * 401 too). Either way every request it gets is recorded with its headers.
   */
  other?: 'forward' | 'basic-challenge' | 'bearer-challenge';
  /** Serve the proxy listener over TLS with this certificate (the upstream is still plain http). */
  tls?: { cert: Buffer; key: Buffer };
}

export interface FaultProxy {
  host: string;
  url: string;
  otherHost: string;
  otherUrl: string;
  requests: RecordedRequest[];
  /** Highest number of requests in flight at the proxy listener since the last reset(). */
  readonly maxInFlight: number;
  addFault(rule: FaultRule): void;
  /** Forget faults, records and the in-flight high-water mark. */
  reset(): void;
  count(filter: { listener?: 'proxy' | 'other'; method?: string; path?: string | RegExp }): number;
  stop(): Promise<void>;
}

function matchesPath(p: string, pattern: string | RegExp | undefined): boolean {
  if (pattern === undefined) return true;
  return typeof pattern === 'string' ? p.includes(pattern) : pattern.test(p);
}

export async function startFaultProxy(opts: FaultProxyOptions): Promise<FaultProxy> {
  const [upHost, upPort] = opts.upstream.split(':') as [string, string];
  const rules: Array<FaultRule & { used: number }> = [];
  const requests: RecordedRequest[] = [];
  let inFlight = 0;
  let maxInFlight = 0;

  const forward = (
    req: http.IncomingMessage,
    body: Buffer,
    extraHeaders: Record<string, string>,
  ): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> =>
    new Promise((resolve, reject) => {
      const up = http.request(
        { host: upHost, port: Number(upPort), method: req.method, path: req.url, headers: { ...req.headers, ...extraHeaders }, agent: false },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 502, headers: res.headers, body: Buffer.concat(chunks) }));
          res.on('error', reject);
        },
      );
      up.on('error', reject);
      up.end(body);
    });

  const sendUpstream = (
    res: http.ServerResponse,
    up: { status: number; headers: http.IncomingHttpHeaders; body: Buffer },
    method: string,
  ) => {
    const headers = { ...up.headers };
    delete headers['transfer-encoding'];
    delete headers.connection;
    if (method !== 'HEAD') headers['content-length'] = String(up.body.length);
    res.writeHead(up.status, headers);
    res.end(method === 'HEAD' ? undefined : up.body);
  };

  let otherUrl = '';

  const handler = (listener: 'proxy' | 'other') => (req: http.IncomingMessage, res: http.ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const method = req.method ?? 'GET';
      const p = req.url ?? '/';
      const record: RecordedRequest = { listener, method, path: p, headers: { ...req.headers } };
      requests.push(record);
      if (listener === 'proxy') {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        res.on('close', () => inFlight--);
      }
      const body = Buffer.concat(chunks);
      try {
        if (listener === 'other' && opts.other === 'basic-challenge') {
          res.writeHead(401, { 'www-authenticate': 'Basic realm="other-host"', 'content-type': 'application/json' });
          res.end('{"errors":[{"code":"UNAUTHORIZED"}]}');
          return;
        }
        if (listener === 'other' && opts.other === 'bearer-challenge') {
          res.writeHead(401, { 'www-authenticate': `Bearer realm="${otherUrl}/token",service="other-host"`, 'content-type': 'application/json' });
          res.end('{"errors":[{"code":"UNAUTHORIZED"}]}');
          return;
        }
        if (listener === 'other') {
          const extra: Record<string, string> = opts.otherUpstreamAuthorization ? { authorization: opts.otherUpstreamAuthorization } : {};
          sendUpstream(res, await forward(req, body, extra), method);
          return;
        }
        const rule = rules.find(
          (r) => (r.times === undefined || r.used < r.times) && (!r.method || r.method === method) && matchesPath(p, r.path),
        );
        if (rule) {
          rule.used++;
          record.fault = rule.fault.kind;
        }
        const fault = rule?.fault;
        switch (fault?.kind) {
          case 'reset':
            req.socket.destroy();
            return;
          case 'status':
            res.writeHead(fault.status, { 'content-type': 'application/json', ...fault.headers });
            res.end(fault.body ?? '{}');
            return;
          case 'redirect-other':
            res.writeHead(307, { location: `${otherUrl}${p}`, 'content-length': '0' });
            res.end();
            return;
          case 'latency':
            await new Promise((r) => setTimeout(r, fault.ms));
            sendUpstream(res, await forward(req, body, {}), method);
            return;
          case 'truncate': {
            const up = await forward(req, body, {});
            const headers = { ...up.headers, 'content-length': String(up.body.length) };
            delete headers['transfer-encoding'];
            res.writeHead(up.status, headers);
            res.write(up.body.subarray(0, Math.floor(up.body.length / 2)));
            setTimeout(() => res.destroy(), 20);
            return;
          }
          case 'lie-digest': {
            const up = await forward(req, body, {});
            up.headers['docker-content-digest'] = fault.digest;
            sendUpstream(res, up, method);
            return;
          }
          case 'add-headers': {
            const up = await forward(req, body, {});
            sendUpstream(res, { ...up, headers: { ...up.headers, ...fault.headers } }, method);
            return;
          }
          case 'paginate-tags': {
            if (fault.delayMs !== undefined) await new Promise((r) => setTimeout(r, fault.delayMs));
            const up = await forward(req, body, {});
            const url = new URL(p, 'http://proxy.invalid');
            const all = ((JSON.parse(up.body.toString('utf8')) as { tags?: string[] }).tags ?? []).sort();
            const n = Math.min(Number(url.searchParams.get('n') ?? fault.pageSize), fault.pageSize);
            const last = url.searchParams.get('last');
            const startAt = last === null ? 0 : all.findIndex((t) => t > last);
            const page = startAt < 0 ? [] : all.slice(startAt, startAt + n);
            const headers: http.IncomingHttpHeaders = { ...up.headers };
            const lastOfPage = page[page.length - 1];
            if (lastOfPage !== undefined && all.indexOf(lastOfPage) < all.length - 1) {
              const next = `${url.pathname}?n=${n}&last=${encodeURIComponent(lastOfPage)}`;
              const base = fault.nextOnOther ? otherUrl : fault.absolute ? `http://${req.headers.host}` : '';
              headers.link = `<${base}${next}>; rel="next"`;
            }
            const name = url.pathname.replace(/^\/v2\//, '').replace(/\/tags\/list$/, '');
            sendUpstream(res, { ...up, headers, body: Buffer.from(JSON.stringify({ name, tags: page })) }, method);
            return;
          }
          case 'replace-body': {
            const up = await forward(req, body, {});
            sendUpstream(res, { ...up, body: fault.body }, method);
            return;
          }
          default:
            sendUpstream(res, await forward(req, body, {}), method);
        }
      } catch (err) {
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(`proxy error: ${(err as Error).message}`);
      }
    });
  };

  const listen = async (server: http.Server) => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return (server.address() as AddressInfo).port;
  };
  const proxy = opts.tls ? https.createServer({ cert: opts.tls.cert, key: opts.tls.key }, handler('proxy')) : http.createServer(handler('proxy'));
  const other = http.createServer(handler('other'));
  const port = await listen(proxy);
  const otherPort = await listen(other);
  otherUrl = `http://127.0.0.1:${otherPort}`;

  return {
    host: `127.0.0.1:${port}`,
    url: `${opts.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    otherHost: `127.0.0.1:${otherPort}`,
    otherUrl,
    requests,
    get maxInFlight() {
      return maxInFlight;
    },
    addFault(rule) {
      rules.push({ ...rule, used: 0 });
    },
    reset() {
      rules.length = 0;
      requests.length = 0;
      maxInFlight = inFlight;
    },
    count(filter) {
      return requests.filter(
        (r) =>
          (!filter.listener || r.listener === filter.listener) &&
          (!filter.method || r.method === filter.method) &&
          matchesPath(r.path, filter.path),
      ).length;
    },
    stop: async () => {
      for (const s of [proxy, other]) {
        s.closeAllConnections();
        await new Promise<void>((resolve) => s.close(() => resolve()));
      }
    },
  };
}

// ---------------------------------------------------------------------------------------------
// An outbound (forward) proxy, as HTTPS_PROXY names one

export interface ConnectTunnel {
  /** `host:port` as the client asked for it. */
  target: string;
  host: string;
  port: number;
  /** Proxy-Authorization sent with the CONNECT, if any. */
  proxyAuthorization?: string;
}

export interface ConnectProxy {
  url: string;
  host: string;
  tunnels: ConnectTunnel[];
  /** Requests that were not CONNECT (a client speaking plain HTTP through the proxy). */
  plainRequests: Array<{ method: string; url: string; headers: http.IncomingHttpHeaders }>;
  /** Every byte every client sent the proxy: CONNECT lines, headers and tunnelled data. */
  clientBytes(): Buffer;
  tunnelsTo(host: string): number;
  reset(): void;
  stop(): Promise<void>;
}

/**
 * A loopback forward proxy that only tunnels (CONNECT) and counts the tunnels per target. Names
 * are resolved by `resolveName` (e.g. `registry.test` → 127.0.0.1), so clients can use names no DNS
 * knows; it connects only to loopback addresses, whatever it is asked. Every byte a client sends
 * is recorded, so a test can check that no credential crossed the proxy in clear.
 */
export async function startConnectProxy(opts: { resolveName?: (host: string) => string | undefined; requireAuthorization?: string } = {}): Promise<ConnectProxy> {
  const tunnels: ConnectTunnel[] = [];
  const plainRequests: ConnectProxy['plainRequests'] = [];
  const received: Buffer[] = [];
  const sockets = new Set<net.Socket>();
  const server = http.createServer((req, res) => {
    plainRequests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    received.push(Buffer.from(`${req.method} ${req.url}\n${JSON.stringify(req.headers)}\n`));
    req.on('data', (chunk: Buffer) => received.push(Buffer.from(chunk)));
    res.writeHead(405, { 'content-type': 'text/plain' });
    res.end('this proxy only tunnels (CONNECT)');
  });
  server.on('connection', (socket: net.Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    const target = req.url ?? '';
    // The CONNECT request as received, then every byte the client sends through the tunnel.
    received.push(Buffer.from(`CONNECT ${target}\n${JSON.stringify(req.headers)}\n`), Buffer.from(head));
    client.on('data', (chunk: Buffer) => received.push(Buffer.from(chunk)));
    const m = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(target);
    if (!m) {
      client.end('HTTP/1.1 400 Bad Request\r\n\r\n');
      return;
    }
    const host = (m[1] as string).replace(/^\[|\]$/g, '');
    const port = Number(m[2]);
    const tunnel: ConnectTunnel = { target, host, port, ...(req.headers['proxy-authorization'] ? { proxyAuthorization: req.headers['proxy-authorization'] } : {}) };
    tunnels.push(tunnel);
    if (opts.requireAuthorization !== undefined && req.headers['proxy-authorization'] !== opts.requireAuthorization) {
      client.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="test"\r\n\r\n');
      return;
    }
    const address = opts.resolveName?.(host) ?? host;
    if (!/^127\.\d+\.\d+\.\d+$/.test(address) && address !== '::1') {
      client.end('HTTP/1.1 403 Forbidden\r\n\r\n'); // loopback only, whatever is asked
      return;
    }
    const upstream = net.connect(port, address, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    tunnels,
    plainRequests,
    clientBytes: () => Buffer.concat(received),
    tunnelsTo: (host) => tunnels.filter((t) => t.host === host).length,
    reset: () => {
      tunnels.length = 0;
      plainRequests.length = 0;
      received.length = 0;
    },
    stop: async () => {
      for (const s of sockets) s.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
