// Outbound proxies from the environment, for the registry client (http.ts) and the AWS SDK
// clients (sources/aws-clients.ts): HTTPS_PROXY for https:// targets, HTTP_PROXY for http://
// targets, ALL_PROXY for either, NO_PROXY for the hosts reached directly. Lower case wins over
// upper case when both are set (as curl, wget and undici read them).
//
// Every proxied connection is a CONNECT tunnel, plain-http targets included: the proxy sees the
// target host and port, never a request, a header or a credential (TLS runs end to end inside the
// tunnel; a plain-http registry is reached only when it is loopback or named with
// --insecure-registry, and its bytes then cross the tunnel as they would cross the network).
//
// NO_PROXY: entries separated by commas or spaces; `*` alone bypasses the proxy for every host;
// `example.com`, `.example.com` and `*.example.com` match example.com and every name below it
// (as Go's net/http, and so Docker, read them); an IP address matches itself, a CIDR block
// (`10.0.0.0/8`, `fd00::/8`) every address in it; `host:port` only that port. Names are compared
// without case. Nothing is bypassed implicitly: put `localhost,127.0.0.1` in NO_PROXY for loopback.
//
// Why not a package: proxy-from-env matches a plain NO_PROXY name exactly (not its subdomains) and
// knows no CIDR blocks, unlike Go and curl; https-proxy-agent adds agent-base and debug for the
// thirty lines below, and still needs a per-host choice on top for NO_PROXY.

import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';

export interface ProxySettings {
  /** For http:// targets. */
  http?: URL;
  /** For https:// targets. */
  https?: URL;
  noProxy: NoProxyRule[];
}

type NoProxyRule =
  | { kind: 'all' }
  | { kind: 'name'; name: string; port?: number }
  | { kind: 'ip'; list: net.BlockList; port?: number };

function envValue(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name.toLowerCase()] ?? env[name.toUpperCase()];
  return value !== undefined && value.trim() !== '' ? value.trim() : undefined;
}

/** A proxy URL as written in the environment (`http://proxy:3128`, `proxy:3128`, `https://u:p@proxy`). */
export function parseProxyUrl(value: string, variable: string): URL {
  let url: URL;
  try {
    url = new URL(value.includes('://') ? value : `http://${value}`);
  } catch {
    throw new ProxyConfigError(`${variable} is not a proxy URL: ${JSON.stringify(redact(value))}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ProxyConfigError(`${variable}: unsupported proxy scheme ${url.protocol} (http: and https: proxies are supported)`);
  }
  return url;
}

export class ProxyConfigError extends Error {
  override readonly name = 'ProxyConfigError';
}

/** `user:password@` taken out of a proxy URL for messages. */
function redact(value: string): string {
  return value.replace(/\/\/[^@/]*@/, '//');
}

/** How a proxy is named in messages: scheme, host and port, never its credentials. */
export function displayProxy(proxy: URL): string {
  return `${proxy.protocol}//${proxy.host}`;
}

function parseNoProxy(value: string | undefined): NoProxyRule[] {
  if (value === undefined) return [];
  const rules: NoProxyRule[] = [];
  for (const raw of value.split(/[\s,]+/)) {
    let entry = raw.trim().toLowerCase();
    if (entry === '') continue;
    if (entry === '*') {
      rules.push({ kind: 'all' });
      continue;
    }
    let port: number | undefined;
    const withPort = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(entry);
    if (withPort) {
      entry = withPort[1] as string;
      port = Number(withPort[2]);
    }
    entry = entry.replace(/^\[|\]$/g, '');
    const cidr = /^(.+)\/(\d{1,3})$/.exec(entry);
    const address = cidr ? (cidr[1] as string) : entry;
    const family = net.isIP(address);
    if (family !== 0) {
      const list = new net.BlockList();
      const type = family === 6 ? 'ipv6' : 'ipv4';
      try {
        if (cidr) list.addSubnet(address, Number(cidr[2]), type);
        else list.addAddress(address, type);
      } catch {
        continue; // a prefix out of range: ignore the entry, as curl does
      }
      rules.push({ kind: 'ip', list, ...(port !== undefined ? { port } : {}) });
      continue;
    }
    const name = entry.replace(/^\*?\.+/, '');
    if (name !== '') rules.push({ kind: 'name', name, ...(port !== undefined ? { port } : {}) });
  }
  return rules;
}

/** Read HTTPS_PROXY, HTTP_PROXY, ALL_PROXY and NO_PROXY (either case). Throws ProxyConfigError. */
export function proxySettingsFromEnv(env: NodeJS.ProcessEnv = process.env): ProxySettings {
  const all = envValue(env, 'all_proxy');
  const httpsValue = envValue(env, 'https_proxy') ?? all;
  const httpValue = envValue(env, 'http_proxy') ?? all;
  const httpsName = envValue(env, 'https_proxy') !== undefined ? 'HTTPS_PROXY' : 'ALL_PROXY';
  const httpName = envValue(env, 'http_proxy') !== undefined ? 'HTTP_PROXY' : 'ALL_PROXY';
  return {
    ...(httpsValue !== undefined ? { https: parseProxyUrl(httpsValue, httpsName) } : {}),
    ...(httpValue !== undefined ? { http: parseProxyUrl(httpValue, httpName) } : {}),
    noProxy: parseNoProxy(envValue(env, 'no_proxy')),
  };
}

function bypassed(rules: readonly NoProxyRule[], host: string, port: number): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '').replace(/\.$/, '');
  const family = net.isIP(h);
  return rules.some((rule) => {
    if (rule.kind === 'all') return true;
    if (rule.port !== undefined && rule.port !== port) return false;
    if (rule.kind === 'ip') return family !== 0 && rule.list.check(h, family === 6 ? 'ipv6' : 'ipv4');
    return h === rule.name || h.endsWith(`.${rule.name}`);
  });
}

/** The proxy for a connection to host:port (`secure`: an https:// target), or undefined to go direct. */
export function proxyFor(settings: ProxySettings, host: string, port: number, secure: boolean): URL | undefined {
  const proxy = secure ? settings.https : settings.http;
  if (proxy === undefined || bypassed(settings.noProxy, host, port)) return undefined;
  return proxy;
}

/** Is any proxy configured at all? */
export function hasProxy(settings: ProxySettings): boolean {
  return settings.http !== undefined || settings.https !== undefined;
}

interface TunnelOptions {
  /** How long the proxy may take to answer the CONNECT. */
  connectTimeoutMs: number;
}

/**
 * Open a CONNECT tunnel to host:port through `proxy` and hand back the raw socket. The proxy's
 * own credentials (from its URL) go only to the proxy, as Proxy-Authorization.
 */
function openTunnel(proxy: URL, host: string, port: number, opts: TunnelOptions, callback: (err: Error | null, socket?: Duplex) => void): void {
  const target = `${net.isIPv6(host) ? `[${host}]` : host}:${port}`;
  const headers: Record<string, string> = { host: target };
  if (proxy.username !== '' || proxy.password !== '') {
    const user = decodeURIComponent(proxy.username);
    const password = decodeURIComponent(proxy.password);
    headers['proxy-authorization'] = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  }
  const mod = proxy.protocol === 'https:' ? https : http;
  const proxyHost = proxy.hostname.replace(/^\[|\]$/g, '');
  const req = mod.request({
    host: proxyHost,
    port: proxy.port !== '' ? Number(proxy.port) : proxy.protocol === 'https:' ? 443 : 80,
    method: 'CONNECT',
    path: target,
    headers,
    agent: false,
    ...(proxy.protocol === 'https:' && !net.isIP(proxyHost) ? { servername: proxyHost } : {}),
  });
  let done = false;
  const finish = (err: Error | null, socket?: Duplex) => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    callback(err, socket);
  };
  const where = `proxy ${displayProxy(proxy)}`;
  const timer = setTimeout(() => {
    req.destroy();
    finish(Object.assign(new Error(`${where} did not open a tunnel to ${target} within ${opts.connectTimeoutMs} ms`), { code: 'ETIMEDOUT' }));
  }, opts.connectTimeoutMs);
  req.once('connect', (res, socket, head) => {
    if (res.statusCode !== 200) {
      socket.destroy();
      const hint = res.statusCode === 407 ? ' (proxy authentication required: put user:password in the proxy URL)' : '';
      finish(Object.assign(new Error(`${where} refused a tunnel to ${target}: HTTP ${res.statusCode}${hint}`), { code: 'EPROXY' }));
      return;
    }
    if (head.length > 0) socket.unshift(head);
    finish(null, socket);
  });
  req.once('error', (err: NodeJS.ErrnoException) => {
    finish(Object.assign(new Error(`${where}: ${err.message}`), { code: err.code ?? 'EPROXY' }));
  });
  req.end();
}

type ConnectionCallback = (err: Error | null, stream: Duplex) => void;

/** Node's Agent takes the socket from the callback when createConnection returns nothing. */
function fail(callback: ConnectionCallback | undefined, err: Error): void {
  callback?.(err, undefined as unknown as Duplex);
}

export interface ProxyAgentOptions {
  settings: ProxySettings;
  /** How long a proxy may take to answer a CONNECT. Default 15 000 ms. */
  connectTimeoutMs?: number;
}

/**
 * An http.Agent for plain-http targets that goes through a CONNECT tunnel when the environment
 * names a proxy for the host, and straight to the host otherwise. Connections are pooled as usual.
 */
export class EnvProxyHttpAgent extends http.Agent {
  private readonly settings: ProxySettings;
  private readonly connectTimeoutMs: number;
  /** Tunnels opened (for diagnostics and tests). */
  tunnels = 0;

  constructor(options: http.AgentOptions & ProxyAgentOptions) {
    const { settings, connectTimeoutMs, ...agentOptions } = options;
    super(agentOptions);
    this.settings = settings;
    this.connectTimeoutMs = connectTimeoutMs ?? 15_000;
  }

  override createConnection(options: http.ClientRequestArgs, callback?: ConnectionCallback): Duplex | undefined {
    const host = options.host ?? 'localhost';
    const port = Number(options.port ?? 80);
    const proxy = proxyFor(this.settings, host, port, false);
    if (proxy === undefined) return net.createConnection(options as net.NetConnectOpts);
    this.tunnels++;
    openTunnel(proxy, host, port, { connectTimeoutMs: this.connectTimeoutMs }, (err, socket) => {
      if (err || socket === undefined) fail(callback, err ?? new Error('no tunnel'));
      else callback?.(null, socket);
    });
    return undefined;
  }
}

/** The same for https:// targets: TLS runs end to end, inside the tunnel. */
export class EnvProxyHttpsAgent extends https.Agent {
  private readonly settings: ProxySettings;
  private readonly connectTimeoutMs: number;
  tunnels = 0;

  constructor(options: https.AgentOptions & ProxyAgentOptions) {
    const { settings, connectTimeoutMs, ...agentOptions } = options;
    super(agentOptions);
    this.settings = settings;
    this.connectTimeoutMs = connectTimeoutMs ?? 15_000;
  }

  override createConnection(options: https.RequestOptions, callback?: ConnectionCallback): Duplex | undefined {
    const host = options.host ?? 'localhost';
    const port = Number(options.port ?? 443);
    const proxy = proxyFor(this.settings, host, port, true);
    if (proxy === undefined) {
      // https.Agent's own createConnection (TLS session reuse included).
      const direct = (https.Agent.prototype as unknown as { createConnection(o: unknown): Duplex }).createConnection;
      return direct.call(this, options);
    }
    this.tunnels++;
    openTunnel(proxy, host, port, { connectTimeoutMs: this.connectTimeoutMs }, (err, socket) => {
      if (err || socket === undefined) {
        fail(callback, err ?? new Error('no tunnel'));
        return;
      }
      const servername = options.servername ?? (net.isIP(host) ? undefined : host);
      const secure = tls.connect({ ...(options as tls.ConnectionOptions), socket, ...(servername ? { servername } : {}) });
      callback?.(null, secure);
    });
    return undefined;
  }
}
