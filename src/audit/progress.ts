// The progress of a long audit (or merge) on stderr, so a job that is working is not taken for a
// hung one:
//   auditing ECS: clusters 3/108, services 120/300, tasks 1500/3007
// `--progress tty` redraws one line in place (at most every 100 ms) and erases it when done;
// `--progress plain`, for CI logs, prints a whole line at most every 10 s (and at least that often
// while the audit runs, even when nothing moved); `none` prints nothing; `auto`, the default, is
// `tty` when stderr is a terminal and `plain` otherwise. The clock and the timer are injected, so
// tests need no sleeping.
import type { AuditProgress } from './collect.js';

export interface ProgressStream {
  isTTY?: boolean;
  write(text: string): boolean;
}

export type ProgressMode = 'auto' | 'tty' | 'plain' | 'none';
export const PROGRESS_MODES: readonly ProgressMode[] = ['auto', 'tty', 'plain', 'none'];

/** How often a plain progress line is printed (CI logs). */
export const PLAIN_INTERVAL_MS = 10_000;

export function progressLine(p: AuditProgress): string {
  const who = p.identities > 1 ? ` (account ${p.identity}/${p.identities})` : '';
  const parts = [`clusters ${p.clustersDone}/${p.clustersTotal}`, `services ${p.servicesDone}/${p.servicesTotal}`, `tasks ${p.tasksDone}/${p.tasksTotal}`];
  if (p.registryTotal > 0) parts.push(`registry ${p.registryDone}/${p.registryTotal}`);
  return `auditing ECS${who}: ${parts.join(', ')}`;
}

export interface ProgressDisplay<P = AuditProgress> {
  update(p: P): void;
  /** Erase the line, or stop the timer (call once, at the end, whatever happened). */
  done(): void;
}

export interface ProgressOptions<P> {
  mode?: ProgressMode;
  /** Minimum time between two lines: 100 ms on a terminal, 10 s in plain mode. */
  intervalMs?: number;
  now?: () => number;
  /** Plain mode: calls `tick` every `ms` until the returned function is called (default: an unref'd setInterval). */
  every?: (ms: number, tick: () => void) => () => void;
  /** The line for a state (default: the ECS audit's). */
  line?: (p: P) => string;
  /** A state's phase, redrawn at once when it changes (tty). */
  phase?: (p: P) => string;
}

const CLEAR = '\r\u001b[K';

function defaultEvery(ms: number, tick: () => void): () => void {
  const timer = setInterval(tick, ms);
  timer.unref();
  return () => clearInterval(timer);
}

export function progressDisplay<P = AuditProgress>(stream: ProgressStream, options: ProgressOptions<P> = {}): ProgressDisplay<P> {
  const requested = options.mode ?? 'auto';
  const mode = requested === 'auto' ? (stream.isTTY === true ? 'tty' : 'plain') : requested;
  const now = options.now ?? Date.now;
  const line = options.line ?? (progressLine as unknown as (p: P) => string);
  const phaseOf = options.phase ?? ((p: P) => (p as unknown as { phase?: string }).phase ?? '');
  if (mode === 'none') return { update: () => undefined, done: () => undefined };
  if (mode === 'tty') {
    const interval = options.intervalMs ?? 100;
    let last = -Infinity;
    let shown = false;
    let phase: string | undefined;
    return {
      update(p) {
        const t = now();
        const current = phaseOf(p);
        if (t - last < interval && current === phase && current !== 'done') return;
        last = t;
        phase = current;
        shown = true;
        stream.write(`${CLEAR}${line(p)}`);
      },
      done() {
        if (shown) stream.write(CLEAR);
        shown = false;
      },
    };
  }
  // Plain: whole lines, at most one per interval, counted from the start; the timer prints the
  // latest state when updates stall (a slow API call), so the log shows the job is alive.
  const interval = options.intervalMs ?? PLAIN_INTERVAL_MS;
  const started = now();
  let last = started;
  let latest: P | undefined;
  const print = () => {
    if (latest === undefined) return;
    last = now();
    stream.write(`${line(latest)} (${Math.round((last - started) / 1000)}s)\n`);
  };
  const stop = (options.every ?? defaultEvery)(interval, () => {
    if (now() - last >= interval) print();
  });
  return {
    update(p) {
      latest = p;
      if (now() - last >= interval) print();
    },
    done() {
      stop();
    },
  };
}
