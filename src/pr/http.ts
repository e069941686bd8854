// HTTP for the GitHub and GitLab APIs: a `fetch` that goes through the proxies the environment names
// (as the registry client does: HTTPS_PROXY, NO_PROXY, CONNECT tunnels), ends each request at a
// timeout, reads at most a bounded number of bytes, sends credentials only to the API's own origin
// (a redirect elsewhere drops them), and never retries a request that writes. Octokit is given it as
// its `fetch`; the GitLab client calls it directly.
import http from 'node:http';
import https from 'node:https';
import { EnvProxyHttpAgent, EnvProxyHttpsAgent, proxySettingsFromEnv } from '../resolve/proxy.js';
import type { ProxySettings } from '../resolve/proxy.js';

export interface ApiFetchOptions {
  /** The API's origin (`https://api.github.com`): the only one credentials go to. */
  origin: string;
  timeoutMs: number;
  /** Bytes of a response body read at most. Default 16 MiB. */
  maxBodyBytes?: number;
  proxy?: ProxySettings;
}

/** Headers that carry credentials: dropped on the way to any other origin. */
const CREDENTIAL_HEADERS = ['authorization', 'private-token', 'job-token', 'cookie'];

export type ApiFetch = ((input: string | URL | Request, init?: RequestInit) => Promise<Response>) & { close(): void };

function headerRecord(headers: RequestInit['headers'] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  new Headers(headers).forEach((value, key) => (out[key] = value));
  return out;
}

/** Body bytes of a request (strings and buffers: what Octokit and the GitLab client send). */
async function bodyBytes(body: RequestInit['body'] | ArrayBuffer | undefined): Promise<Buffer | undefined> {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  if (body instanceof ArrayBuffer) return Buffer.from(body);
  if (ArrayBuffer.isView(body)) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  return Buffer.from(await new Response(body).arrayBuffer());
}

export function apiFetch(options: ApiFetchOptions): ApiFetch {
  const proxy = options.proxy ?? proxySettingsFromEnv();
  const agents = { http: new EnvProxyHttpAgent({ settings: proxy, keepAlive: true }), https: new EnvProxyHttpsAgent({ settings: proxy, keepAlive: true }) };
  const maxBytes = options.maxBodyBytes ?? 16 * 1024 * 1024;
  const origin = new URL(options.origin).origin;

  const once = (url: URL, method: string, headers: Record<string, string>, body: Buffer | undefined, signal: AbortSignal | undefined): Promise<Response> =>
    new Promise((resolve, reject) => {
      const secure = url.protocol === 'https:';
      const sent: Record<string, string> = { ...headers, ...(body !== undefined ? { 'content-length': String(body.length) } : {}) };
      if (url.origin !== origin) for (const name of CREDENTIAL_HEADERS) delete sent[name];
      const req = (secure ? https : http).request(url, { method, headers: sent, agent: secure ? agents.https : agents.http, timeout: options.timeoutMs });
      const timer = setTimeout(() => req.destroy(new Error(`${method} ${url.origin}${url.pathname}: no complete answer within ${Math.round(options.timeoutMs / 1000)}s`)), options.timeoutMs);
      const abort = () => req.destroy(new Error('aborted'));
      signal?.addEventListener('abort', abort, { once: true });
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', abort);
      };
      req.on('timeout', () => req.destroy(new Error(`${method} ${url.origin}${url.pathname}: timed out`)));
      req.on('error', (err) => {
        done();
        reject(err);
      });
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > maxBytes) {
            req.destroy(new Error(`${method} ${url.origin}${url.pathname}: the answer is larger than ${maxBytes} bytes`));
            return;
          }
          chunks.push(chunk);
        });
        res.on('error', (err) => {
          done();
          reject(err);
        });
        res.on('end', () => {
          done();
          const status = res.statusCode ?? 0;
          const responseHeaders = new Headers();
          for (const [name, value] of Object.entries(res.headers)) {
            if (value === undefined) continue;
            for (const one of Array.isArray(value) ? value : [value]) responseHeaders.append(name, one);
          }
          const noBody = status === 204 || status === 304 || method === 'HEAD';
          const response = new Response(noBody ? null : Buffer.concat(chunks), { status, headers: responseHeaders });
          Object.defineProperty(response, 'url', { value: url.href });
          resolve(response);
        });
      });
      req.end(body);
    });

  const fetcher = async (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    const request = input instanceof Request ? input : undefined;
    let url = new URL(request?.url ?? String(input));
    const method = (init.method ?? request?.method ?? 'GET').toUpperCase();
    const headers = headerRecord(init.headers ?? request?.headers);
    const body = await bodyBytes(init.body ?? (request !== undefined && method !== 'GET' && method !== 'HEAD' ? await request.arrayBuffer() : undefined));
    const signal = init.signal ?? request?.signal ?? undefined;
    // Redirects (a renamed repository answers 301) are followed for reads only, at most 3.
    for (let hops = 0; ; hops++) {
      const response = await once(url, method, headers, body, signal);
      const location = response.headers.get('location');
      if (![301, 302, 303, 307, 308].includes(response.status) || location === null || (method !== 'GET' && method !== 'HEAD') || hops >= 3) return response;
      url = new URL(location, url);
    }
  };
  return Object.assign(fetcher, {
    close: () => {
      agents.http.destroy();
      agents.https.destroy();
    },
  });
}
