// Scanning with worker threads (src/scan/workers.ts, src/scan/worker.ts) gives exactly the result
// of a scan in one thread: the same findings in the same order, the same skipped files and reasons,
// the same summary, the same files handed to onFile in input order; with a policy that has
// overrides and exceptions (copied to the workers as data), with stdin, with options that cannot be
// copied (then everything is scanned in the main thread), and through the CLI's --workers.
// The workers run the compiled scanner (dist/), as `npm test` builds it first.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FileResult } from '../../src/core/types.js';
import { loadDefaultPolicy, loadPolicyFile } from '../../src/policy/load.js';
import { FileScanner } from '../../src/scan/scan-file.js';
import { scanPaths } from '../../src/scan/scan.js';
import type { RunOptions } from '../../src/scan/scan.js';
import { ScanPool, scanInOrder, WORKER_LOST } from '../../src/scan/workers.js';
import { pendingSources } from '../../src/sources/files.js';
// @ts-expect-error a plain ESM script without type declarations
import { generate } from '../../scripts/gen-synthetic.mjs';

const repo = join(import.meta.dirname, '..', '..');
const corpus = join(repo, '..', 'shared', 'corpus');
let dir: string;
let synthetic: string;
let odd: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'imagedrift-workers-'));
  synthetic = join(dir, 'synthetic');
  mkdirSync(synthetic);
  generate(synthetic, 1, 11);
  // Files every reader must skip the same way, whichever thread reads them.
  odd = join(dir, 'odd');
  mkdirSync(odd);
  writeFileSync(join(odd, 'binary.yaml'), Buffer.from([0x61, 0x3a, 0x00, 0x62]));
  writeFileSync(join(odd, 'latin1.yaml'), Buffer.from('image: caf\xe9\n', 'latin1'));
  writeFileSync(join(odd, 'big.yaml'), `image: nginx\n${'# padding\n'.repeat(200_000)}`);
  writeFileSync(join(odd, 'broken.yaml'), 'spec:\n  containers:\n  - image: nginx:latest\n   name: bad\n');
  writeFileSync(join(odd, 'deploy.yaml'), 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: app\n    image: busybox:latest\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function both(paths: string[], options: Omit<RunOptions, 'workers'>) {
  const files: Record<string, string[]> = { here: [], workers: [] };
  const collect = (into: string[]) => (file: FileResult) => into.push(`${file.path}:${file.refs.length}:${file.findings.length}`);
  const here = await scanPaths(paths, { ...options, workers: 0, onFile: collect(files.here as string[]) });
  const workers = await scanPaths(paths, { ...options, workers: 2, onFile: collect(files.workers as string[]) });
  return { here, workers, files };
}

describe('scanning with worker threads', () => {
  it('gives the result of a scan in one thread, on fixtures, a synthetic repository and odd files', async () => {
    const paths = [join(repo, 'tests', 'golden'), join(repo, 'examples'), synthetic, odd, ...(existsSync(corpus) ? [corpus] : [])];
    const { here, workers, files } = await both(paths, { policy: loadDefaultPolicy(), now: '2026-01-01', maxFileBytes: 1024 * 1024 });
    expect(here.summary.filesScanned).toBeGreaterThan(100);
    expect(here.findings.length).toBeGreaterThan(200);
    const reasons = here.skipped.map((s) => s.reason).join('\n');
    for (const reason of [/binary file/, /larger than/, /not valid UTF-8/]) expect(reasons).toMatch(reason);
    expect(workers).toEqual(here);
    expect(files.workers).toEqual(files.here);
  });

  it('copies a policy with overrides and exceptions to the workers', async () => {
    const policyFile = join(dir, '.imagedrift.yaml');
    writeFileSync(
      policyFile,
      [
        'rules:',
        '  undigested-tag: off',
        'overrides:',
        '  - paths: ["**/envs/prod/**"]',
        '    extends: strict',
        'exceptions:',
        '  - rule: latest-tag',
        '    paths: ["**/envs/dev/**"]',
        '    reason: "dev images float on purpose"',
        '    expires: 2030-01-31',
        '',
      ].join('\n'),
    );
    const policy = loadPolicyFile(policyFile, { cwd: dir });
    const { here, workers } = await both([synthetic], { policy, now: '2026-01-01', root: dir });
    expect(here.summary.byRule['undigested-tag'] ?? 0).toBeGreaterThan(0); // from the strict override
    expect(workers).toEqual(here);
  });

  it('reads stdin in the main thread and scans it like a file', async () => {
    const stdin = async () => readFileSync(join(odd, 'deploy.yaml'));
    const { here, workers } = await both(['-', odd], { policy: loadDefaultPolicy(), now: '2026-01-01', stdin });
    expect(here.findings.some((f) => f.location.path === '<stdin>')).toBe(true);
    expect(workers).toEqual(here);
  });

  it('scans in the main thread when the options cannot be copied to a worker', async () => {
    const facts = { resolutions: new Map(), propose: () => undefined };
    const { here, workers } = await both([join(repo, 'tests', 'golden')], { policy: loadDefaultPolicy(), now: '2026-01-01', facts } as Omit<RunOptions, 'workers'>);
    expect(workers).toEqual(here);
  });

  it('keeps input order when the main thread and the workers share the files', async () => {
    const policy = loadDefaultPolicy();
    const scanner = new FileScanner({ policy, now: '2026-01-01' });
    const outcomes = async (workers: number, queuePerWorker: number) => {
      const list: unknown[] = [];
      const items = pendingSources([synthetic, odd, join(repo, 'tests', 'golden')]);
      for await (const outcome of scanInOrder(items, { scanner, workers, queuePerWorker, scanOptions: { policy, now: '2026-01-01' }, maxFileBytes: 1024 * 1024, relativePath: (path) => path })) list.push(outcome);
      return list;
    };
    const here = await outcomes(0, 1);
    expect(here.length).toBeGreaterThan(100);
    // Queues of one and two files: most files are scanned here, the rest by the workers, interleaved.
    expect(await outcomes(2, 1)).toEqual(here);
    expect(await outcomes(1, 2)).toEqual(here);
  });

  it('scans the files of a worker that runs out of memory in the main thread', async () => {
    const big = join(dir, 'big');
    mkdirSync(big);
    // An anchor sends this file to the full parser, which needs far more than the worker's heap.
    let text = 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: &n big\nspec:\n  containers:\n  - name: app\n    image: nginx:latest\n    env:\n';
    for (let i = 0; i < 60_000; i++) text += `    - name: VAR_${i}\n      value: "value number ${i}"\n`;
    writeFileSync(join(big, 'big.yaml'), text);
    writeFileSync(join(big, 'pod.yaml'), readFileSync(join(odd, 'deploy.yaml')));
    const policy = loadDefaultPolicy();
    const workerLimits = { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 4 };
    const pool = new ScanPool(1, { scanOptions: { policy }, maxFileBytes: 10 * 1024 * 1024 }, workerLimits);
    try {
      expect(await pool.run(join(big, 'big.yaml'), 'big.yaml')).toBe(WORKER_LOST);
      expect(pool.alive).toBe(false);
    } finally {
      await pool.close();
    }
    const scanner = new FileScanner({ policy, now: '2026-01-01' });
    const outcomes = async (workers: number) => {
      const list: unknown[] = [];
      for await (const outcome of scanInOrder(pendingSources([big, odd]), { scanner, workers, workerLimits, scanOptions: { policy, now: '2026-01-01' }, maxFileBytes: 10 * 1024 * 1024, relativePath: (path) => path })) list.push(outcome);
      return list;
    };
    const here = await outcomes(0);
    expect(here[0]).toMatchObject({ kind: 'scanned', result: { refs: [{ raw: 'nginx:latest' }] } });
    expect(await outcomes(1)).toEqual(here);
  });

  it('ends the scan with the error when scanning a file throws, and does not hang', async () => {
    const broken = { ...loadDefaultPolicy(), rules: undefined } as unknown as ReturnType<typeof loadDefaultPolicy>;
    await expect(scanPaths([synthetic], { policy: broken, workers: 2 })).rejects.toThrow();
  });
});

describe('imagedrift scan --workers', () => {
  const cli = join(repo, 'bin', 'imagedrift.js');
  const run = (...args: string[]) => spawnSync(process.execPath, [cli, 'scan', ...args], { cwd: repo, encoding: 'utf8' });

  it('writes the same report with and without workers', () => {
    const none = run(synthetic, '--format', 'json', '--workers', '0', '--now', '2026-01-01');
    const two = run(synthetic, '--format', 'json', '--workers', '2', '--now', '2026-01-01');
    expect(none.status).toBe(1);
    expect(two.status).toBe(1);
    expect(JSON.parse(two.stdout)).toEqual(JSON.parse(none.stdout));
  });

  it('rejects a bad worker count as a usage error', () => {
    const bad = run(synthetic, '--workers', 'many');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/worker threads/);
  });
});
