// The progress line `audit ecs` keeps on stderr while it enumerates, when stderr is a terminal:
//   auditing ECS: clusters 3/108, services 120/300, tasks 1500/3007
// Redrawn in place at most every `intervalMs`, erased when done. Nothing at all when not a TTY.
import type { AuditProgress } from './collect.js';

export interface ProgressStream {
  isTTY?: boolean;
  write(text: string): boolean;
}

export function progressLine(p: AuditProgress): string {
  const who = p.identities > 1 ? ` (account ${p.identity}/${p.identities})` : '';
  const parts = [`clusters ${p.clustersDone}/${p.clustersTotal}`, `services ${p.servicesDone}/${p.servicesTotal}`, `tasks ${p.tasksDone}/${p.tasksTotal}`];
  if (p.registryTotal > 0) parts.push(`registry ${p.registryDone}/${p.registryTotal}`);
  return `auditing ECS${who}: ${parts.join(', ')}`;
}

export interface ProgressDisplay {
  update(p: AuditProgress): void;
  /** Erase the line (call once, at the end, whatever happened). */
  done(): void;
}

const CLEAR = '\r\u001b[K';

export function progressDisplay(stream: ProgressStream, options: { intervalMs?: number; now?: () => number } = {}): ProgressDisplay {
  if (stream.isTTY !== true) return { update: () => undefined, done: () => undefined };
  const interval = options.intervalMs ?? 100;
  const now = options.now ?? Date.now;
  let last = -Infinity;
  let shown = false;
  let phase: string | undefined;
  return {
    update(p) {
      const t = now();
      if (t - last < interval && p.phase === phase && p.phase !== 'done') return;
      last = t;
      phase = p.phase;
      shown = true;
      stream.write(`${CLEAR}${progressLine(p)}`);
    },
    done() {
      if (shown) stream.write(CLEAR);
      shown = false;
    },
  };
}
