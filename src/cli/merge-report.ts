// The work of `imagedrift merge`: merge the shards, judge the merged snapshot, compare it with the
// baseline, write the reports. A fleet's merged snapshot is hundreds of MB: this runs in a worker thread
// whose old generation is capped (worker_threads' resourceLimits), so V8 collects as it goes
// instead of letting the heap grow to several times what is live (src/cli/merge-worker.ts). When
// the cap is too small after all, the merge runs it again in the main thread, uncapped.
import { statSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import type { FailOn } from './exit-codes.js';
import type { OutputSpec } from './outputs.js';
import type { ReportFlags } from './report-options.js';

export interface ReportJob {
  /** Shards to merge into `snapshot` first (in the worker too: the main thread stays small). */
  merge?: { files: string[]; expect: Array<{ account: string; region: string }> };
  snapshot: string;
  policy?: string;
  now?: string;
  flags: ReportFlags & { failOn: FailOn; color?: boolean };
  outputs: OutputSpec[];
  cwd: string;
}

export interface ReportOutcome {
  exitCode: number;
  errors: number;
  /** What the merge did, when the job merged. */
  merged?: { shards: number; clusters: number; missing: string[]; unreadable: Array<{ file: string; reason: string }> };
}

/** Messages from the worker: stdout text (the main thread writes it), stderr lines, the outcome, or a usage error. */
export type WorkerMessage = { stdout: string } | { stderr: string } | { done: ReportOutcome } | { usage: string } | { progress: { phase: string; done: number; total: number } };

/** Judges and reports; `stdout` and `stderr` say where text goes. Throws UsageError (baseline, policy) and SnapshotFileError. */
export async function judgeAndReport(job: ReportJob, stdout: (text: string) => void, stderr: (text: string) => void, onProgress?: (p: { phase: string; done: number; total: number }) => void): Promise<ReportOutcome> {
  const [{ judgeSnapshotFile, mergeSnapshots }, { setupRun }, { applyBaseline, reportContext, reportExitCode }, { writeOutputs }, { VERSION }] = await Promise.all([
    import('../audit/snapshot-file.js'),
    import('./policy-options.js'),
    import('./report-options.js'),
    import('./outputs.js'),
    import('./version.js'),
  ]);
  const { policy, now } = await setupRun({ ...(job.policy !== undefined ? { policy: job.policy } : {}), ...(job.now !== undefined ? { now: job.now } : {}) }, job.cwd);
  let merged: ReportOutcome['merged'];
  if (job.merge !== undefined) {
    const outcome = mergeSnapshots(job.merge.files, { output: job.snapshot, expect: job.merge.expect, onShard: (done, total) => onProgress?.({ phase: 'shards read', done, total }) });
    merged = { shards: outcome.shards.length, clusters: outcome.clusters, missing: outcome.missing, unreadable: outcome.unreadable };
    for (const bad of outcome.unreadable) stderr(`imagedrift: warning: ${bad.reason}: its scopes are missing from the merge\n`);
  }
  const clusters = merged?.clusters ?? 0;
  const judged = judgeSnapshotFile(job.snapshot, policy, { ...(job.now !== undefined ? { now } : {}), onCluster: (done) => onProgress?.({ phase: 'clusters judged', done, total: clusters }) });
  const result = await applyBaseline(judged.result, job.flags, { policy, ...(job.now !== undefined ? { now } : {}) });
  const ctx = { color: job.flags.color === true, version: VERSION, relativePath: (path: string) => path, policy, ...reportContext(job.flags) };
  writeOutputs(result, job.outputs, ctx, stdout);
  if (result.errors.length > 0) stderr(`imagedrift: the audit is incomplete: ${result.errors.length} scope${result.errors.length === 1 ? '' : 's'} could not be read (see the audit-incomplete findings)\n`);
  return { exitCode: reportExitCode(result, job.flags, job.flags.failOn), errors: result.errors.length, ...(merged !== undefined ? { merged } : {}) };
}

/**
 * The cap on the worker's old generation: about three times what a fleet was measured to keep
 * live (0.27 MB per MB of shard snapshots, 0.07 MB per MB of a baseline report), never under 128 MB.
 */
export function heapCapMb(snapshotBytes: number, baselineBytes = 0): number {
  return Math.max(128, Math.ceil((snapshotBytes / (1024 * 1024)) * 0.8 + (baselineBytes / (1024 * 1024)) * 0.2));
}

function workerUrl(): URL {
  const here = import.meta.url;
  // Under a TypeScript test runner this module is the source; the worker is always the compiled one.
  if (here.endsWith('.ts')) return new URL('../../dist/cli/merge-worker.js', here);
  // In the bundle (dist/bundle/main.cjs), tsc's dist/cli/merge-worker.js beside it.
  return new URL(here.endsWith('.cjs') ? '../cli/merge-worker.js' : './merge-worker.js', here);
}

/** Runs judgeAndReport in a capped worker; on running out of that memory, again here, uncapped. */
export async function judgeAndReportCapped(job: ReportJob, stdout: (text: string) => void, stderr: (text: string) => void, onProgress?: (p: { phase: string; done: number; total: number }) => void): Promise<ReportOutcome> {
  const bytes = job.merge !== undefined ? job.merge.files.reduce((n, file) => n + (statSync(file, { throwIfNoEntry: false })?.size ?? 0), 0) : statSync(job.snapshot).size;
  const baseline = job.flags.baseline !== undefined ? (statSync(job.flags.baseline, { throwIfNoEntry: false })?.size ?? 0) : 0;
  const cap = heapCapMb(bytes, baseline);
  let wrote = false;
  const outcome = await new Promise<ReportOutcome | 'out-of-memory'>((resolve, reject) => {
    const worker = new Worker(workerUrl(), { workerData: job, resourceLimits: { maxOldGenerationSizeMb: cap, maxYoungGenerationSizeMb: 4 }, stdout: false, stderr: false });
    let done: ReportOutcome | undefined;
    worker.on('message', (message: WorkerMessage) => {
      if ('stdout' in message) {
        wrote = true;
        stdout(message.stdout);
      } else if ('stderr' in message) stderr(message.stderr);
      else if ('done' in message) done = message.done;
      else if ('progress' in message) onProgress?.(message.progress);
      else if ('usage' in message) reject(Object.assign(new Error(message.usage), { usage: true }));
    });
    worker.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ERR_WORKER_OUT_OF_MEMORY') resolve('out-of-memory');
      else reject(err);
    });
    worker.on('exit', (code) => {
      if (done !== undefined) resolve(done);
      else reject(new Error(`the worker judging the merged snapshot stopped (exit ${code})`));
    });
  });
  if (outcome !== 'out-of-memory') return outcome;
  if (wrote) throw new Error(`the reports needed more than ${cap} MB and were left half written to stdout; run the merge again`);
  stderr(`imagedrift: warning: judging the merged snapshot needed more than ${cap} MB; judging it again without that cap\n`);
  return judgeAndReport(job, stdout, stderr, onProgress);
}
