// The findings of a huge scan wait in a temporary file instead of memory (src/scan/finding-store.ts):
// reading them back gives exactly what was stored, in order, however the file is cut into chunks;
// no file is left behind; and a scan whose findings were spilled reports byte for byte what a scan
// that held them all reports.
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Finding } from '../../src/core/types.js';
import { loadDefaultPolicy } from '../../src/policy/load.js';
import { REPORTERS } from '../../src/report/index.js';
import type { FormatName } from '../../src/report/index.js';
import { FindingStore } from '../../src/scan/finding-store.js';
import { releaseFindings, relativeTo, scanPaths } from '../../src/scan/scan.js';

function finding(i: number, note = ''): Finding {
  return {
    ruleId: i % 2 === 0 ? 'latest-tag' : 'mutable-tag',
    severity: i % 3 === 0 ? 'error' : 'warning',
    message: `Container \`app-${i}\` uses \`nginx:latest\`${note}`,
    location: { path: `deploy/ünïcode-${i}.yaml`, line: i + 1, column: 12, endLine: i + 1, endColumn: 24 },
    image: { raw: 'nginx:latest', repository: 'library/nginx', tag: 'latest' },
    container: { name: `app-${i}`, role: i % 4 === 0 ? 'sidecar' : 'app' },
  };
}

const originalTmp = process.env.TMPDIR;
let tmp: string;

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'imagedrift-store-test-'));
});
afterEach(() => {
  if (originalTmp === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = originalTmp;
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('FindingStore', () => {
  it('keeps a small list in memory and hands on the plain array', () => {
    const store = new FindingStore(10);
    const items = [finding(0), finding(1)];
    store.push(...items);
    expect(store.spilledCount).toBe(0);
    const list = store.result();
    expect(Array.isArray(list)).toBe(true);
    expect([...list]).toEqual(items);
  });

  it('reads spilled findings back in order, through chunks that cut lines and characters, more than once', () => {
    // Multi-byte characters (ü, …, an emoji) and a finding longer than a chunk.
    const items = Array.from({ length: 57 }, (_, i) => finding(i, i === 20 ? ` ${'…😀'.repeat(80)}` : i % 5 === 0 ? ' — ü' : ''));
    for (const chunkBytes of [16, 61, 333, 4096]) {
      const store = new FindingStore(4, chunkBytes);
      for (const item of items) store.push(item);
      expect(store.spilledCount).toBeGreaterThan(40);
      const list = store.result();
      expect(list).toBe(store);
      expect(list.length).toBe(items.length);
      expect([...list]).toEqual(items);
      expect([...list]).toEqual(items);
      store.close();
    }
  });

  it('leaves no temporary file behind', () => {
    const dir = join(tmp, 'spill');
    mkdirSync(dir);
    process.env.TMPDIR = dir;
    const store = new FindingStore(2);
    for (let i = 0; i < 10; i++) store.push(finding(i));
    expect(store.spilledCount).toBeGreaterThan(0);
    expect(readdirSync(dir)).toEqual([]); // unlinked as soon as it was opened
    expect([...store].length).toBe(10);
    store.close();
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('releasing a list the run no longer needs', () => {
  it('closes a spilled store and leaves an array alone', () => {
    const store = new FindingStore(1);
    for (let i = 0; i < 5; i++) store.push(finding(i));
    const list = store.result();
    releaseFindings(list);
    expect(() => [...list]).toThrow(/closed/);
    const array = [finding(0)];
    releaseFindings(array);
    expect([...array]).toEqual([finding(0)]);
  });
});

describe('a scan whose findings were spilled', () => {
  it('reports exactly what a scan that held them all reports, in every format', async () => {
    const input = join(tmp, 'repo');
    mkdirSync(input);
    for (let i = 0; i < 12; i++) {
      writeFileSync(
        join(input, `deploy-${String(i).padStart(2, '0')}.yaml`),
        `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web-${i}\nspec:\n  template:\n    spec:\n      containers:\n      - name: app\n        image: registry.example.com/app:latest\n      - name: otel\n        image: public.ecr.aws/aws-observability/aws-otel-collector\n      - name: proxy\n        image: envoyproxy/envoy:v1\n`,
      );
    }
    const policy = loadDefaultPolicy();
    const relativePath = (path: string) => relativeTo(input, path);
    const options = { policy, root: input, now: '2026-01-01', relativePath, workers: 0 };
    const held = await scanPaths([input], options);
    const spilled = await scanPaths([input], { ...options, spillLimit: 5 });
    expect(Array.isArray(held.findings)).toBe(true);
    expect(Array.isArray(spilled.findings)).toBe(false);
    expect(held.findings.length).toBeGreaterThan(20);
    expect(spilled.summary).toEqual(held.summary);
    const ctx = { color: false, version: '0.0.0-test', policy, relativePath };
    for (const format of Object.keys(REPORTERS) as FormatName[]) {
      expect(REPORTERS[format](spilled, ctx), format).toBe(REPORTERS[format](held, ctx));
    }
  });
});
