// The worker thread `imagedrift merge` judges and reports a fleet in (src/cli/merge-report.ts):
// its heap is capped, so V8 keeps it near what is live. Text for stdout and stderr goes to the
// main thread as messages, which writes it in order.
import { parentPort, workerData } from 'node:worker_threads';
import { judgeAndReport } from './merge-report.js';
import type { ReportJob, WorkerMessage } from './merge-report.js';

const post = (message: WorkerMessage) => parentPort?.postMessage(message);

judgeAndReport(
  workerData as ReportJob,
  (text) => post({ stdout: text }),
  (text) => post({ stderr: text }),
  (progress) => post({ progress }),
)
  .then((done) => post({ done }))
  .catch((err: unknown) => {
    // Usage errors (a baseline that is not a report, a policy that does not load) say what to fix; anything else is a crash.
    const name = err instanceof Error ? err.name : '';
    if (err instanceof Error && (err.constructor.name === 'UsageError' || name === 'SnapshotFileError' || err.constructor.name === 'ShardOverlapError' || name === 'BaselineError' || err.constructor.name === 'PolicyError')) {
      const issues = (err as { issues?: Array<{ message: string }> }).issues;
      post({ usage: issues !== undefined ? issues.map((i) => i.message).join('\n') : err.message });
    } else throw err;
  });
