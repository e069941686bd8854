// A scan worker thread (started by src/scan/workers.ts): builds its own FileScanner from the
// policy data it is given, then for each job reads the file itself (so texts never cross threads),
// scans it and sends the FileResult back.
import { getHeapStatistics } from 'node:v8';
import { parentPort, workerData } from 'node:worker_threads';
import { readCheckedSync } from '../sources/files.js';
import { FileScanner } from './scan-file.js';
import type { WorkerData, WorkerJob, WorkerReply } from './workers.js';

const data = workerData as WorkerData;
if (parentPort === null) throw new Error('src/scan/worker.ts runs in a worker thread');
const port = parentPort;

let current: WorkerJob = { id: -1, path: '', relative: '' };
const scanner = new FileScanner({ ...data.scanOptions, relativePath: (path) => (path === current.path ? current.relative : path) });

function run(job: WorkerJob): WorkerReply {
  let reply: WorkerReply;
  try {
    current = job;
    const item = job.text !== undefined ? { kind: 'file' as const, path: job.path, text: job.text } : readCheckedSync(job.path, data.maxFileBytes);
    // The result goes back as JSON text: V8 serialises a tree of small objects into JSON several
    // times faster than postMessage's structured clone does.
    if (item.kind === 'file') reply = { id: job.id, kind: 'scanned', result: JSON.stringify(scanner.scan(item.path, item.text)) };
    else if (item.kind === 'skipped') reply = { id: job.id, kind: 'skipped', path: item.path, reason: item.reason };
    else reply = { id: job.id, kind: 'skipped', path: item.path, reason: item.message };
  } catch (err) {
    reply = { id: job.id, kind: 'failed', message: err instanceof Error ? (err.stack ?? err.message) : String(err) };
  }
  return reply;
}

// Jobs come in batches; the replies to a batch go back together. Asked for 'stats' (the pool does
// when IMAGEDRIFT_SCAN_STATS is set), a worker says how long it lived and how much of that it scanned.
const started = performance.now();
const stats = { firstBatchMs: -1, busyMs: 0, files: 0, batches: 0 };
port.on('message', (jobs: WorkerJob[] | 'stats') => void handle(jobs));

async function handle(jobs: WorkerJob[] | 'stats'): Promise<void> {
  if (jobs === 'stats') {
    const heap = getHeapStatistics();
    port.postMessage({ ...stats, busyMs: Math.round(stats.busyMs), lifeMs: Math.round(performance.now() - started), heapMB: Math.round(heap.total_heap_size / 2 ** 20), peakMallocMB: Math.round(heap.peak_malloced_memory / 2 ** 20) });
    return;
  }
  // A parser that loads asynchronously (HCL, for a Terraform file) is loaded before the batch runs.
  for (const job of jobs) {
    const ready = scanner.prepare(job.path);
    if (ready !== undefined) await ready;
  }
  const begin = performance.now();
  if (stats.firstBatchMs < 0) stats.firstBatchMs = Math.round(begin - started);
  const replies = jobs.map(run);
  stats.busyMs += performance.now() - begin;
  stats.files += jobs.length;
  stats.batches += 1;
  port.postMessage(replies);
}

