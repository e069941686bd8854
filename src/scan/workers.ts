// Scans files on every core. The main thread walks the inputs and scans files itself; a pool of
// worker threads (src/scan/worker.ts), each with its own FileScanner built from the policy data,
// takes the next files whenever their queues have room, reading the files themselves, so texts
// never cross threads. scanInOrder() hands the results on in input order (the report is the same
// as a scan in one thread) and holds at most a bounded number of them, so memory stays flat.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { FileResult } from '../core/types.js';
import { readCheckedSync } from '../sources/files.js';
import type { PendingFile, SourceItem } from '../sources/files.js';
import type { FileScanner, ScanOptions } from './scan-file.js';

/** What each worker is started with: everything it needs to build its FileScanner. */
export interface WorkerData {
  /** The scan options without their functions (the relative path of each file comes with its job). */
  scanOptions: Omit<ScanOptions, 'relativePath'>;
  maxFileBytes: number;
}

export interface WorkerJob {
  id: number;
  path: string;
  /** The path relative to the scan root, for the policy's path globs (computed by the main thread). */
  relative: string;
  /** The text, when the main thread already has it (stdin); otherwise the worker reads the file. */
  text?: string;
}

export type WorkerReply =
  /** `result` is a FileResult as JSON (plain data, so nothing is lost). */
  | { id: number; kind: 'scanned'; result: string }
  | { id: number; kind: 'skipped'; path: string; reason: string }
  | { id: number; kind: 'failed'; message: string };

export type ScanOutcome = { kind: 'scanned'; result: FileResult } | { kind: 'skipped'; path: string; reason: string } | { kind: 'error'; path: string; message: string };

/**
 * With the worker count left to the scanner, workers start once the main thread has scanned this
 * many bytes: a smaller scan ends before they would pay for their start (each loads the scanner
 * and warms up its own JIT).
 */
export const AUTO_START_BYTES = 64 * 1024 * 1024;
/** Files queued per worker: enough to keep it busy while the main thread scans a file of its own. */
const QUEUE_PER_WORKER = 256;
/** Results held for hand-on in input order, at most (a slow file holds up the ones after it). */
const MAX_WINDOW = 1024;
/** The main thread lets worker messages in at least this often (milliseconds of its own scanning). */
const TURN_MS = 2;

function workerUrl(): URL {
  const here = import.meta.url;
  // Under a TypeScript test runner this module is the source; the worker is always the compiled one.
  if (here.endsWith('.ts')) return new URL('../../dist/scan/worker.js', here);
  // In the bundle (dist/bundle/main.cjs, scripts/bundle.mjs) the worker is bundled beside it.
  return new URL(here.endsWith('.cjs') ? './worker.cjs' : './worker.js', here);
}

interface Slot {
  worker: Worker;
  busy: number;
  jobs: Set<number>;
  /** Jobs given since the last turn of the event loop, sent together in one message. */
  outbox: WorkerJob[];
  /** The worker stopped (out of memory, crashed): it gets no more jobs. */
  dead: boolean;
}

/** Heap limits of a worker: small, as a worker holds one file at a time (see ScanPool). */
export interface WorkerLimits {
  maxOldGenerationSizeMb: number;
  maxYoungGenerationSizeMb: number;
}

/**
 * A worker's heap holds one file's text and trees at a time, so it is kept small, which keeps the
 * scan's memory flat. A file too large for it (a 10 MB text the full parser reads, say) stops the
 * worker; the files it held are then scanned in the main thread, which has no such limit.
 */
export const WORKER_LIMITS: WorkerLimits = { maxOldGenerationSizeMb: 96, maxYoungGenerationSizeMb: 16 };

/** What a job's promise gives when its worker stopped before answering: scan the file elsewhere. */
export const WORKER_LOST = 'worker-lost';

/** A fixed set of worker threads running FileScanners. */
export class ScanPool {
  private readonly slots: Slot[] = [];
  private readonly waiting = new Map<number, (reply: WorkerReply | typeof WORKER_LOST) => void>();
  private nextId = 0;
  private closing = false;

  constructor(
    readonly size: number,
    data: WorkerData,
    limits: WorkerLimits = WORKER_LIMITS,
  ) {
    const url = workerUrl();
    for (let i = 0; i < size; i++) {
      const worker = new Worker(url, { workerData: data, resourceLimits: limits });
      const slot: Slot = { worker, busy: 0, jobs: new Set(), outbox: [], dead: false };
      // Messages carry batches both ways: a message costs tens of microseconds, a file's scan about a hundred.
      worker.on('message', (replies: WorkerReply[] | Record<string, number>) => {
        if (!Array.isArray(replies)) {
          process.stderr.write(`imagedrift: worker ${i}: ${JSON.stringify(replies)}\n`);
          return;
        }
        for (const reply of replies) {
          slot.busy -= 1;
          slot.jobs.delete(reply.id);
          const resolve = this.waiting.get(reply.id);
          this.waiting.delete(reply.id);
          resolve?.(reply);
        }
      });
      const lose = () => {
        slot.dead = true;
        for (const id of slot.jobs) {
          this.waiting.get(id)?.(WORKER_LOST);
          this.waiting.delete(id);
        }
        slot.jobs.clear();
        slot.busy = 0;
      };
      worker.on('error', lose);
      worker.on('exit', () => {
        if (!this.closing) lose();
      });
      this.slots.push(slot);
    }
  }

  /** Files sent to the workers and not answered yet. */
  get queued(): number {
    return this.waiting.size;
  }

  /** Workers that stopped before the pool was closed. */
  get lost(): number {
    return this.slots.filter((slot) => slot.dead).length;
  }

  /** Whether any worker still takes files. */
  get alive(): boolean {
    return this.slots.some((slot) => !slot.dead);
  }

  /** Scans one file (read by the worker unless `text` is given); WORKER_LOST if its worker stops first. */
  run(path: string, relative: string, text?: string): Promise<WorkerReply | typeof WORKER_LOST> {
    let slot: Slot | undefined;
    for (const candidate of this.slots) if (!candidate.dead && (slot === undefined || candidate.busy < slot.busy)) slot = candidate;
    if (slot === undefined) return Promise.resolve(WORKER_LOST);
    const chosen = slot;
    const id = this.nextId++;
    const job: WorkerJob = text === undefined ? { id, path, relative } : { id, path, relative, text };
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      chosen.busy += 1;
      chosen.jobs.add(id);
      if (chosen.outbox.push(job) === 1) {
        setImmediate(() => {
          const jobs = chosen.outbox;
          chosen.outbox = [];
          if (!chosen.dead) chosen.worker.postMessage(jobs);
        });
      }
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    const live = this.slots.filter((slot) => !slot.dead);
    if (process.env.IMAGEDRIFT_SCAN_STATS !== undefined) {
      await Promise.all(live.map((slot) => new Promise((resolve) => slot.worker.once('message', resolve).postMessage('stats'))));
    }
    await Promise.all(this.slots.map((slot) => slot.worker.terminate()));
  }
}

export interface ScanInOrderOptions {
  /** The main thread's scanner: the main thread always scans too. */
  scanner: FileScanner;
  /**
   * Worker threads besides the main thread: 0 scans in the main thread only; undefined gives one
   * per further core (defaultWorkers()), started once the main thread has scanned AUTO_START_BYTES.
   */
  workers?: number | undefined;
  /**
   * The options the scanner was built with; each worker builds its own FileScanner from them. Only
   * data crosses to a worker: functions are left out (`relativePath` is computed here, per file).
   */
  scanOptions: ScanOptions;
  maxFileBytes: number;
  relativePath: (path: string) => string;
  /** Files queued per worker (default QUEUE_PER_WORKER); a small queue makes the main thread take more files. */
  queuePerWorker?: number;
  /** Heap limits of each worker (default WORKER_LIMITS). */
  workerLimits?: WorkerLimits;
}

/** The data part of the scan options, for a worker; undefined when it cannot be copied to one. */
function workerData(options: ScanInOrderOptions): WorkerData | undefined {
  const scanOptions = Object.fromEntries(Object.entries(options.scanOptions).filter(([, value]) => typeof value !== 'function')) as Omit<ScanOptions, 'relativePath'>;
  const data: WorkerData = { scanOptions, maxFileBytes: options.maxFileBytes };
  try {
    structuredClone(data);
    return data;
  } catch {
    return undefined;
  }
}

/** Worker threads a large scan uses when not told: one per core besides the main thread's. */
export function defaultWorkers(): number {
  return Math.max(0, availableParallelism() - 1);
}

function fromReply(reply: WorkerReply): ScanOutcome {
  if (reply.kind === 'failed') throw new Error(`scan worker failed: ${reply.message}`);
  return reply.kind === 'scanned' ? { kind: 'scanned', result: JSON.parse(reply.result) as FileResult } : { kind: 'skipped', path: reply.path, reason: reply.reason };
}

function scanHere(item: SourceItem | PendingFile, options: ScanInOrderOptions): { outcome: ScanOutcome; bytes: number } {
  const read = item.kind === 'pending' ? readCheckedSync(item.path, options.maxFileBytes) : item;
  if (read.kind === 'file') return { outcome: { kind: 'scanned', result: options.scanner.scan(read.path, read.text) }, bytes: read.text.length };
  return { outcome: read, bytes: 0 };
}

interface Entry {
  outcome?: ScanOutcome;
  /** A worker's answer, parsed only when its turn comes (short-lived objects are cheaper to collect). */
  reply?: WorkerReply;
  /** The file, when its worker stopped before answering: scanned here when its turn comes. */
  lost?: SourceItem | PendingFile;
  settled: boolean;
  promise: Promise<void>;
}

function settled(outcome: ScanOutcome): Entry {
  return { outcome, settled: true, promise: Promise.resolve() };
}

async function take(entry: Entry, options: ScanInOrderOptions): Promise<ScanOutcome> {
  if (entry.lost !== undefined) {
    const ready = options.scanner.prepare(entry.lost.path);
    if (ready !== undefined) await ready;
    return scanHere(entry.lost, options).outcome;
  }
  return entry.reply !== undefined ? fromReply(entry.reply) : (entry.outcome as ScanOutcome);
}

/** Lets pending messages (worker replies, batched jobs) through. */
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Scans every input and hands the results on in input order. The main thread scans files itself;
 * worker threads, once started, take the next files whenever their queues have room, so no thread
 * waits for another. At most MAX_WINDOW results wait to be handed on.
 */
export async function* scanInOrder(items: AsyncIterable<SourceItem | PendingFile>, options: ScanInOrderOptions): AsyncGenerator<ScanOutcome> {
  const size = options.workers ?? defaultWorkers();
  const queue = size * (options.queuePerWorker ?? QUEUE_PER_WORKER);
  // Workers start at once when asked for; by default only once the scan has shown itself large.
  let startAfter = options.workers === undefined ? AUTO_START_BYTES : 0;
  let pool: ScanPool | undefined;
  const window: Entry[] = [];
  try {
    let lastTurn = performance.now();
    for await (const item of items) {
      if (pool === undefined && size > 0 && startAfter <= 0) {
        const data = workerData(options);
        if (data !== undefined) pool = new ScanPool(size, data, options.workerLimits);
        startAfter = Infinity;
      }
      if (pool !== undefined && (item.kind === 'pending' || item.kind === 'file') && pool.queued < queue && pool.alive) {
        const entry: Entry = { settled: false, promise: Promise.resolve() };
        entry.promise = pool.run(item.path, options.relativePath(item.path), item.kind === 'file' ? item.text : undefined).then((reply) => {
          if (reply === WORKER_LOST) entry.lost = item;
          else entry.reply = reply;
          entry.settled = true;
        });
        window.push(entry);
      } else {
        const ready = options.scanner.prepare(item.path);
        if (ready !== undefined) await ready;
        const here = scanHere(item, options);
        startAfter -= here.bytes;
        if (pool === undefined) {
          yield here.outcome;
          continue;
        }
        window.push(settled(here.outcome));
      }
      while (window[0]?.settled === true) yield await take(window.shift() as Entry, options);
      while (window.length >= MAX_WINDOW) {
        const first = window.shift() as Entry;
        await first.promise;
        yield await take(first, options);
      }
      if (performance.now() - lastTurn > TURN_MS) {
        await turn();
        lastTurn = performance.now();
      }
    }
    while (window.length > 0) {
      const first = window.shift() as Entry;
      await first.promise;
      yield await take(first, options);
    }
  } finally {
    await pool?.close();
    // A diagnostic for the benchmarks: the peak RSS of the scan itself, before any report is built.
    if (process.env.IMAGEDRIFT_SCAN_STATS !== undefined) {
      const workers = pool === undefined ? 'no workers' : `${size} worker(s)${pool.lost > 0 ? `, ${pool.lost} stopped (their files were scanned in the main thread)` : ''}`;
      process.stderr.write(`imagedrift: scan: peak RSS ${Math.round(process.resourceUsage().maxRSS / 1024)} MB, ${workers}\n`);
    }
  }
}
