// Minimal HTTP client for registry traffic: per-attempt timeout, retries with exponential backoff
// and full jitter (5xx, timeouts, connection resets, truncated bodies), Retry-After on 429,
// a per-host concurrency bound, manual redirects that drop Authorization when the origin changes,
// and a callback when Docker Hub's RateLimit-Remaining runs low.
//
// Why node:http/https rather than the global fetch (undici): digests are computed over the exact
// bytes on the wire, so the client must not decompress transparently (fetch always sends
// Accept-Encoding and decodes), and we must compare Content-Length with the bytes received
// ourselves to report truncation precisely; socket errors surface with their codes (ECONNRESET,
// ETIMEDOUT), which is what the retry policy keys on; and undici is not a dependency, so its
// dispatcher (pool size, timeouts) could not be tuned. Redirects are followed by hand either way,
// so that credentials never leave their origin.
//
// Bounds: each attempt has its own timeout; all attempts, back-off and Retry-After waits made for
// one image reference end at that reference's deadline (budget.ts). A body is read up to a byte
// limit; a Content-Encoding we never asked for is decoded only up to the same limit (a 3 MB gzip
// of 3 GB of zeros costs at most the limit, then fails without retry). Proxies come from the
// environment (proxy.ts).

import http from 'node:http';
import https from 'node:https';
import zlib from 'node:zlib';
import { budgetSpentMessage, currentBudget, formatMs } from './budget.js';
import { KeyedSemaphore } from './limit.js';
import { EnvProxyHttpAgent, EnvProxyHttpsAgent, proxySettingsFromEnv, type ProxySettings } from './proxy.js';
import { ResolveError } from './types.js';

export interface RateLimitInfo {
  host: string;
  remaining: number;
  limit?: number;
}

export interface RetryInfo {
  method: string;
  /** URL without query string. */
  url: string;
  attempt: number;
  delayMs: number;
  reason: string;
}

export interface HttpClientOptions {
  /** Per-attempt timeout covering connect, headers and body. Default 15 000 ms. */
  timeoutMs?: number;
  /** Attempts per request, including the first. Default 4. */
  maxAttempts?: number;
  /** Backoff base: attempt n sleeps random(0, min(max, base·2^(n-1))). Default 250 ms. */
  backoffBaseMs?: number;
  /** Backoff cap. Default 10 000 ms. */
  backoffMaxMs?: number;
  /** A 429 whose Retry-After is longer than this is not waited for. Default 60 000 ms. */
  maxRetryAfterMs?: number;
  /** Requests in flight per `host:port`. Default 8. */
  maxConcurrencyPerHost?: number;
  /** Default 5. */
  maxRedirects?: number;
  /** Default body limit (bytes) when a request does not give one. Default 8 MiB. */
  maxBodyBytes?: number;
  userAgent?: string;
  /** onRateLimitLow fires when RateLimit-Remaining is below this. Default 10. */
  rateLimitThreshold?: number;
  onRateLimitLow?: (info: RateLimitInfo) => void;
  onRetry?: (info: RetryInfo) => void;
  /** For tests: jitter source in [0, 1). */
  random?: () => number;
  /** Proxies (default: HTTPS_PROXY, HTTP_PROXY, NO_PROXY from the environment). */
  proxy?: ProxySettings;
}

export interface HttpRequest {
  method: 'GET' | 'HEAD' | 'POST';
  url: URL | string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  maxBodyBytes?: number;
}

export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** Raw body bytes (decoded only if the server sent a Content-Encoding we did not ask for). */
  body: Buffer;
  /** The final URL, after redirects. */
  url: URL;
  /** First value of a header, case-insensitive. */
  header(name: string): string | undefined;
  /** Why a retryable answer (429, 5xx) was returned without waiting for another attempt. */
  notRetried?: string;
}

const RETRYABLE_STATUS = new Set([500, 502, 503, 504]);
const REDIRECT_STATUS = new Set([301, 302, 303, 307, 308]);
const RETRYABLE_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'UND_ERR_SOCKET',
  'ERR_TIMEOUT',
  'ERR_TRUNCATED',
]);

/** A failure of one attempt; `retryable` decides whether the loop tries again. */
class AttemptError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** URL for messages: no query string (token endpoints carry scopes there, never secrets, but keep it short). */
export function displayUrl(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`;
}

/** Parse Retry-After (delta-seconds or HTTP-date) into milliseconds from now. */
export function parseRetryAfter(value: string | undefined, now: number = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/** `76;w=21600` → 76 */
function parseRateLimit(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const m = /^\s*(\d+)/.exec(value);
  return m ? Number(m[1]) : undefined;
}

function firstHeader(headers: http.IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

export class HttpClient {
  readonly timeoutMs: number;
  readonly maxAttempts: number;
  private readonly backoffBaseMs: number;
  private readonly backoffMaxMs: number;
  private readonly maxRetryAfterMs: number;
  private readonly maxRedirects: number;
  private readonly maxBodyBytes: number;
  private readonly userAgent: string;
  private readonly rateLimitThreshold: number;
  private readonly random: () => number;
  private readonly hosts: KeyedSemaphore;
  readonly httpAgent: EnvProxyHttpAgent;
  readonly httpsAgent: EnvProxyHttpsAgent;

  constructor(private readonly opts: HttpClientOptions = {}) {
    this.timeoutMs = opts.timeoutMs ?? 15_000;
    this.maxAttempts = Math.max(1, opts.maxAttempts ?? 4);
    this.backoffBaseMs = opts.backoffBaseMs ?? 250;
    this.backoffMaxMs = opts.backoffMaxMs ?? 10_000;
    this.maxRetryAfterMs = opts.maxRetryAfterMs ?? 60_000;
    this.maxRedirects = opts.maxRedirects ?? 5;
    this.maxBodyBytes = opts.maxBodyBytes ?? 8 * 1024 * 1024;
    this.userAgent = opts.userAgent ?? 'imagedrift';
    this.rateLimitThreshold = opts.rateLimitThreshold ?? 10;
    this.random = opts.random ?? Math.random;
    this.hosts = new KeyedSemaphore(opts.maxConcurrencyPerHost ?? 8);
    const settings = opts.proxy ?? proxySettingsFromEnv();
    this.httpAgent = new EnvProxyHttpAgent({ keepAlive: true, settings, connectTimeoutMs: this.timeoutMs });
    this.httpsAgent = new EnvProxyHttpsAgent({ keepAlive: true, settings, connectTimeoutMs: this.timeoutMs });
  }

  /** Release pooled keep-alive sockets. */
  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  /**
   * Send a request, following redirects by hand. Authorization is dropped as soon as a redirect
   * leaves the original origin (scheme + host + port). Resolves with the final response whatever
   * its status (after retries); rejects with ResolveError kind 'network' when no response came.
   */
  async request(req: HttpRequest): Promise<HttpResponse> {
    let url = typeof req.url === 'string' ? new URL(req.url) : req.url;
    const origin = url.origin;
    let method = req.method;
    let body = req.body;
    let headers: Record<string, string> = { ...req.headers };
    for (let hop = 0; ; hop++) {
      const res = await this.requestWithRetries({ ...req, method, url, headers, body });
      const location = res.header('location');
      if (!REDIRECT_STATUS.has(res.status) || location === undefined) return res;
      if (hop >= this.maxRedirects) {
        throw new ResolveError('network', `${req.method} ${displayUrl(url)}: more than ${this.maxRedirects} redirects`);
      }
      const next = new URL(location, url);
      if (next.protocol !== 'http:' && next.protocol !== 'https:') {
        throw new ResolveError('network', `${req.method} ${displayUrl(url)}: redirect to unsupported scheme ${next.protocol}`);
      }
      if (next.origin !== origin) {
        // Credentials belong to the registry's origin only.
        headers = Object.fromEntries(Object.entries(headers).filter(([k]) => k.toLowerCase() !== 'authorization'));
      }
      if (res.status === 303 && method !== 'HEAD') {
        method = 'GET';
        body = undefined;
      }
      url = next;
    }
  }

  private backoff(attempt: number): number {
    const ceiling = Math.min(this.backoffMaxMs, this.backoffBaseMs * 2 ** (attempt - 1));
    return Math.floor(this.random() * ceiling);
  }

  private async requestWithRetries(req: HttpRequest & { url: URL }): Promise<HttpResponse> {
    const where = `${req.method} ${displayUrl(req.url)}`;
    const budget = currentBudget();
    const left = () => (budget === undefined ? Infinity : budget.deadline - Date.now());
    for (let attempt = 1; ; attempt++) {
      if (left() <= 0) throw new ResolveError('network', `${where}: ${budgetSpentMessage(budget!)}`);
      const sem = this.hosts.for(req.url.host);
      let res: HttpResponse;
      try {
        res = await sem.run(() => this.once(req, Math.min(this.timeoutMs, left())));
      } catch (err) {
        const e = err instanceof AttemptError ? err : new AttemptError(String((err as Error)?.message ?? err), 'EUNKNOWN', false);
        const tries = attempt > 1 ? ` after ${attempt} attempts` : '';
        if (budget !== undefined && left() <= 0) throw new ResolveError('network', `${where}: ${e.message}${tries}; ${budgetSpentMessage(budget)}`);
        if (!e.retryable || attempt >= this.maxAttempts) throw new ResolveError('network', `${where}: ${e.message}${tries}`);
        const delayMs = this.backoff(attempt);
        if (budget !== undefined && delayMs >= left()) throw new ResolveError('network', `${where}: ${e.message}${tries}; ${budgetSpentMessage(budget)}`);
        this.opts.onRetry?.({ method: req.method, url: displayUrl(req.url), attempt, delayMs, reason: e.message });
        await sleep(delayMs);
        continue;
      }

      this.checkRateLimit(req.url, res);

      if (attempt < this.maxAttempts && (res.status === 429 || RETRYABLE_STATUS.has(res.status))) {
        const retryAfter = parseRetryAfter(res.header('retry-after'));
        if (retryAfter !== undefined && retryAfter > this.maxRetryAfterMs) {
          return { ...res, notRetried: `Retry-After ${formatMs(retryAfter)} is longer than the ${formatMs(this.maxRetryAfterMs)} imagedrift waits` };
        }
        const delayMs = retryAfter ?? this.backoff(attempt);
        if (budget !== undefined && delayMs >= left()) {
          return { ...res, notRetried: `${retryAfter !== undefined ? `waiting Retry-After ${formatMs(retryAfter)}` : 'another attempt'} would go past the deadline: ${budgetSpentMessage(budget)}` };
        }
        this.opts.onRetry?.({ method: req.method, url: displayUrl(req.url), attempt, delayMs, reason: `HTTP ${res.status}` });
        await sleep(delayMs);
        continue;
      }
      return res;
    }
  }

  private checkRateLimit(url: URL, res: HttpResponse): void {
    const remaining = parseRateLimit(res.header('ratelimit-remaining'));
    if (remaining === undefined || remaining >= this.rateLimitThreshold) return;
    const limit = parseRateLimit(res.header('ratelimit-limit'));
    this.opts.onRateLimitLow?.({ host: url.host, remaining, ...(limit !== undefined ? { limit } : {}) });
  }

  /** One attempt: no retries, no redirects; `timeoutMs` covers connect, headers and body. */
  private once(req: HttpRequest & { url: URL }, timeoutMs: number): Promise<HttpResponse> {
    const url = req.url;
    const isHttps = url.protocol === 'https:';
    const mod = isHttps ? https : http;
    const limit = req.maxBodyBytes ?? this.maxBodyBytes;
    const headers: Record<string, string> = { 'user-agent': this.userAgent, ...req.headers };
    if (req.body !== undefined) headers['content-length'] = String(Buffer.byteLength(req.body));

    return new Promise<HttpResponse>((resolve, reject) => {
      let settled = false;
      const finish = (err: AttemptError | undefined, res?: HttpResponse) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (err) reject(err);
        else resolve(res as HttpResponse);
      };
      const request = mod.request(
        url,
        { method: req.method, headers, agent: isHttps ? this.httpsAgent : this.httpAgent },
        (res) => {
          const chunks: Buffer[] = [];
          let received = 0;
          res.on('data', (chunk: Buffer) => {
            received += chunk.length;
            if (received > limit) {
              finish(new AttemptError(`response body exceeds ${limit} bytes`, 'ERR_TOO_LARGE', false));
              request.destroy();
              return;
            }
            chunks.push(chunk);
          });
          const truncated = (why: string) => {
            const declared = firstHeader(res.headers, 'content-length');
            const of = declared !== undefined ? ` of ${declared}` : '';
            finish(new AttemptError(`truncated body: ${why} after ${received}${of} bytes`, 'ERR_TRUNCATED', true));
          };
          res.on('error', (err: NodeJS.ErrnoException) => truncated(`connection ${err.code ?? 'error'}`));
          res.on('close', () => {
            if (!res.complete) truncated('connection closed');
          });
          res.on('end', () => {
            const status = res.statusCode ?? 0;
            const declared = firstHeader(res.headers, 'content-length');
            const hasBody = req.method !== 'HEAD' && status !== 204 && status !== 304;
            if (hasBody && declared !== undefined && /^\d+$/.test(declared) && Number(declared) !== received) {
              finish(
                new AttemptError(`truncated body: Content-Length ${declared} but ${received} bytes received`, 'ERR_TRUNCATED', true),
              );
              return;
            }
            let body: Buffer = Buffer.concat(chunks);
            if (hasBody) {
              // We never send Accept-Encoding; a server that compresses anyway is decoded, but only
              // up to the same limit (a HEAD, a 204 or a 304 has no body to decode).
              try {
                body = decodeBody(body, firstHeader(res.headers, 'content-encoding'), limit);
              } catch (err) {
                finish(err instanceof AttemptError ? err : new AttemptError(String(err), 'ERR_DECODE', false));
                return;
              }
            }
            finish(undefined, {
              status,
              headers: res.headers,
              body,
              url,
              header: (name) => firstHeader(res.headers, name),
            });
          });
        },
      );
      const timer = setTimeout(() => {
        finish(new AttemptError(`timed out after ${timeoutMs} ms`, 'ERR_TIMEOUT', true));
        request.destroy();
      }, timeoutMs);
      request.on('error', (err: NodeJS.ErrnoException) => {
        const code = err.code ?? 'EUNKNOWN';
        const label = code === 'ECONNRESET' ? 'connection reset' : err.message;
        finish(new AttemptError(`${label}${label.includes(code) ? '' : ` (${code})`}`, code, RETRYABLE_CODES.has(code)));
      });
      request.end(req.body);
    });
  }
}

/**
 * Undo a Content-Encoding (`gzip`, `x-gzip`, `deflate`, `br`, `identity`, or a list of them,
 * applied in order) without ever producing more than `limit` bytes. Throws a non-retryable
 * AttemptError: a bomb or an encoding we cannot read does not get better on a second attempt.
 */
export function decodeBody(body: Buffer, contentEncoding: string | undefined, limit: number): Buffer {
  if (contentEncoding === undefined) return body;
  const codings = contentEncoding
    .split(',')
    .map((c) => c.trim().toLowerCase())
    .filter((c) => c !== '' && c !== 'identity');
  let out = body;
  for (const coding of codings.reverse()) {
    const options = { maxOutputLength: limit };
    try {
      if (coding === 'gzip' || coding === 'x-gzip') out = zlib.gunzipSync(out, options);
      else if (coding === 'deflate') out = inflateEither(out, options);
      else if (coding === 'br') out = zlib.brotliDecompressSync(out, options);
      else throw new AttemptError(`unsupported Content-Encoding ${JSON.stringify(coding)} (imagedrift asks for none)`, 'ERR_DECODE', false);
    } catch (err) {
      if (err instanceof AttemptError) throw err;
      if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
        throw new AttemptError(
          `response body exceeds ${limit} bytes once decoded (Content-Encoding ${coding}, which imagedrift did not ask for: a compression bomb?)`,
          'ERR_TOO_LARGE',
          false,
        );
      }
      throw new AttemptError(`body could not be decoded (Content-Encoding ${coding}): ${(err as Error).message}`, 'ERR_DECODE', false);
    }
  }
  return out;
}

/** `deflate` is zlib-wrapped by the RFC, but some servers send raw deflate. */
function inflateEither(data: Buffer, options: zlib.ZlibOptions): Buffer {
  try {
    return zlib.inflateSync(data, options);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw err;
    return zlib.inflateRawSync(data, options);
  }
}
