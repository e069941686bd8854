// Unit: HttpClient against a tiny loopback server — truncation by Content-Length, full-jitter
// backoff bounds, Retry-After as an HTTP date, redirects (303, loops, Authorization kept on the
// same origin), body size limit, and no transparent decompression requested; bounded decoding of
// a Content-Encoding nobody asked for (compression bombs); the per-reference time budget.

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import zlib from 'node:zlib';
import { withBudget } from '../../src/resolve/budget.js';
import { decodeBody, HttpClient, type RetryInfo } from '../../src/resolve/http.js';

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;
let handler: Handler = (_req, res) => res.end();
let server: http.Server;
let base: string;
const seen: http.IncomingHttpHeaders[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    seen.push(req.headers);
    handler(req, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

describe('HttpClient', () => {
  it('detects a body shorter than Content-Length and retries it', async () => {
    let n = 0;
    handler = (_req, res) => {
      n++;
      res.writeHead(200, { 'content-length': '100' });
      if (n === 1) {
        res.write('x'.repeat(40));
        setTimeout(() => res.destroy(), 10);
      } else res.end('y'.repeat(100));
    };
    const retries: RetryInfo[] = [];
    const c = new HttpClient({ backoffBaseMs: 1, onRetry: (i) => retries.push(i) });
    const res = await c.request({ method: 'GET', url: `${base}/x` });
    expect(res.body.toString()).toBe('y'.repeat(100));
    expect(retries[0]?.reason).toMatch(/truncated body: connection .* after 40 of 100 bytes/);
    c.close();
  });

  it('backoff is full jitter under base·2^(n-1), capped', async () => {
    handler = (_req, res) => {
      res.writeHead(500);
      res.end();
    };
    const delays: number[] = [];
    const c = new HttpClient({ maxAttempts: 5, backoffBaseMs: 8, backoffMaxMs: 20, random: () => 0.999, onRetry: (i) => delays.push(i.delayMs) });
    const res = await c.request({ method: 'GET', url: `${base}/fail` });
    expect(res.status).toBe(500);
    expect(delays).toEqual([7, 15, 19, 19]);
    c.close();
  });

  it('honours Retry-After given as an HTTP date', async () => {
    let n = 0;
    handler = (_req, res) => {
      n++;
      if (n === 1) {
        res.writeHead(429, { 'retry-after': new Date(Date.now() + 1500).toUTCString() });
        res.end();
      } else res.end('ok');
    };
    const delays: number[] = [];
    const c = new HttpClient({ backoffBaseMs: 1, onRetry: (i) => delays.push(i.delayMs) });
    const res = await c.request({ method: 'GET', url: `${base}/rl` });
    expect(res.body.toString()).toBe('ok');
    expect(delays[0]).toBeGreaterThan(0);
    expect(delays[0]).toBeLessThanOrEqual(1500);
    c.close();
  });

  it('follows redirects, keeping Authorization on the same origin; 303 becomes GET; loops stop', async () => {
    seen.length = 0;
    handler = (req, res) => {
      if (req.url === '/a') {
        res.writeHead(307, { location: '/b' });
        res.end();
      } else if (req.url === '/post') {
        res.writeHead(303, { location: '/b' });
        res.end();
      } else if (req.url === '/loop') {
        res.writeHead(302, { location: '/loop' });
        res.end();
      } else res.end(req.method);
    };
    const c = new HttpClient({ maxRedirects: 3 });
    const res = await c.request({ method: 'GET', url: `${base}/a`, headers: { authorization: 'Bearer t' } });
    expect(res.url.pathname).toBe('/b');
    expect(seen.map((h) => h.authorization)).toEqual(['Bearer t', 'Bearer t']);
    expect((await c.request({ method: 'POST', url: `${base}/post`, body: 'x' })).body.toString()).toBe('GET');
    await expect(c.request({ method: 'GET', url: `${base}/loop` })).rejects.toMatchObject({ kind: 'network' });
    c.close();
  });

  it('enforces the body limit without retrying, and never asks for compression', async () => {
    seen.length = 0;
    handler = (_req, res) => res.end('z'.repeat(5000));
    const c = new HttpClient();
    await expect(c.request({ method: 'GET', url: `${base}/big`, maxBodyBytes: 1000 })).rejects.toThrow(/exceeds 1000 bytes/);
    expect(seen).toHaveLength(1);
    expect(seen[0]?.['accept-encoding']).toBeUndefined();
    c.close();
  });

  it('connection refused is a network error after the attempts', async () => {
    const probe = http.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const retries: RetryInfo[] = [];
    const c = new HttpClient({ maxAttempts: 2, backoffBaseMs: 1, onRetry: (i) => retries.push(i) });
    await expect(c.request({ method: 'HEAD', url: `http://127.0.0.1:${port}/v2/` })).rejects.toMatchObject({
      kind: 'network',
      message: expect.stringMatching(/ECONNREFUSED.*after 2 attempts/),
    });
    expect(retries).toHaveLength(1);
    c.close();
  });

  it('decodes an unasked-for gzip, deflate or br body, but a bomb only up to the limit, once (no retry)', async () => {
    const manifest = Buffer.from('{"schemaVersion":2}');
    let n = 0;
    let encoding = 'gzip';
    let payload = zlib.gzipSync(manifest);
    handler = (_req, res) => {
      n++;
      res.writeHead(200, { 'content-encoding': encoding, 'content-length': String(payload.length) });
      res.end(payload);
    };
    const c = new HttpClient({ backoffBaseMs: 1 });
    expect((await c.request({ method: 'GET', url: `${base}/m` })).body).toEqual(manifest);
    for (const [name, encoded] of [['deflate', zlib.deflateSync(manifest)], ['deflate', zlib.deflateRawSync(manifest)], ['br', zlib.brotliCompressSync(manifest)], ['gzip, identity', zlib.gzipSync(manifest)]] as const) {
      encoding = name;
      payload = encoded;
      expect((await c.request({ method: 'GET', url: `${base}/m` })).body, name).toEqual(manifest);
    }
    const zeros = Buffer.alloc(16 * 1024 * 1024);
    for (const [name, bomb] of [['gzip', zlib.gzipSync(zeros)], ['deflate', zlib.deflateSync(zeros)], ['br', zlib.brotliCompressSync(zeros)]] as const) {
      encoding = name;
      payload = bomb;
      n = 0;
      const err = await c.request({ method: 'GET', url: `${base}/bomb`, maxBodyBytes: 1024 * 1024 }).catch((e: unknown) => e as Error);
      expect(err.message).toBe(`GET ${base}/bomb: response body exceeds 1048576 bytes once decoded (Content-Encoding ${name}, which imagedrift did not ask for: a compression bomb?)`);
      expect(n).toBe(1);
    }
    encoding = 'compress';
    payload = manifest;
    await expect(c.request({ method: 'GET', url: `${base}/m` })).rejects.toThrow('unsupported Content-Encoding "compress" (imagedrift asks for none)');
    c.close();
  });

  it('decodeBody never allocates past the limit, whatever the ratio', () => {
    const bomb = zlib.gzipSync(Buffer.alloc(16 * 1024 * 1024));
    expect(() => decodeBody(bomb, 'gzip', 4096)).toThrow(/exceeds 4096 bytes once decoded/);
    expect(decodeBody(Buffer.from('x'), undefined, 1)).toEqual(Buffer.from('x'));
  });

  it('a HEAD, 204 or 304 with Content-Encoding is not decoded (there is no body)', async () => {
    handler = (req, res) => {
      res.writeHead(req.url === '/204' ? 204 : 200, { 'content-encoding': 'gzip' });
      res.end();
    };
    const c = new HttpClient({ maxAttempts: 1 });
    expect((await c.request({ method: 'HEAD', url: `${base}/h` })).status).toBe(200);
    expect((await c.request({ method: 'GET', url: `${base}/204` })).status).toBe(204);
    c.close();
  });

  it('under a budget: no retry, back-off or Retry-After wait goes past the deadline, and the message says the budget was spent', async () => {
    let n = 0;
    handler = (_req, res) => {
      n++;
      res.writeHead(503, { 'retry-after': '30' });
      res.end();
    };
    const c = new HttpClient({ backoffBaseMs: 1 });
    const res = await withBudget(2000, '4 × --timeout', () => c.request({ method: 'GET', url: `${base}/busy` }));
    expect(res.status).toBe(503);
    expect(res.notRetried).toBe('waiting Retry-After 30s would go past the deadline: the 2s budget for this reference (4 × --timeout) was spent');
    expect(n).toBe(1);
    // Without a budget the same answer is retried (after the wait, which is capped here for speed).
    n = 0;
    handler = (_req, res) => {
      n++;
      res.writeHead(n === 1 ? 503 : 200, n === 1 ? { 'retry-after': '0' } : {});
      res.end();
    };
    expect((await c.request({ method: 'GET', url: `${base}/busy` })).status).toBe(200);
    expect(n).toBe(2);
    // A budget already spent: no request at all.
    n = 0;
    await expect(withBudget(0, 'test', () => c.request({ method: 'GET', url: `${base}/busy` }))).rejects.toThrow(`GET ${base}/busy: the 0ms budget for this reference (test) was spent`);
    expect(n).toBe(0);
    c.close();
  });

  it('an attempt that would outlive the budget is cut at the deadline', async () => {
    handler = () => {}; // never answers
    const c = new HttpClient({ timeoutMs: 60_000, maxAttempts: 4 });
    const err = await withBudget(300, 'test', () => c.request({ method: 'GET', url: `${base}/hang` })).catch((e: unknown) => e as Error);
    expect(err.message).toMatch(new RegExp(`^GET ${base}/hang: timed out after \\d+ ms; the 300ms budget for this reference \\(test\\) was spent$`));
    c.close();
  });
});
