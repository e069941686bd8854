// The time budget of one image reference: every request made on its behalf (token fetches, HEAD,
// GET, tag-list pages, version-tag look-ups), with their retries, back-off and Retry-After waits,
// must end before the reference's deadline. The deadline travels with the asynchronous work
// started under withBudget() (AsyncLocalStorage), so the layers in between (session, dedupe,
// version-tag search) need not pass it along; the HTTP client reads it.

import { AsyncLocalStorage } from 'node:async_hooks';

export interface Budget {
  /** Epoch ms after which no request may start or wait. */
  deadline: number;
  /** The budget as given, for messages (ms). */
  totalMs: number;
  /** How the budget is named in messages, e.g. "4 × --timeout". */
  label: string;
}

const storage = new AsyncLocalStorage<Budget>();

/** Run `fn` (and everything it starts) under a budget of `totalMs` from now. */
export function withBudget<T>(totalMs: number, label: string, fn: () => Promise<T>): Promise<T> {
  return storage.run({ deadline: Date.now() + totalMs, totalMs, label }, fn);
}

/** The budget the current work runs under, if any. */
export function currentBudget(): Budget | undefined {
  return storage.getStore();
}

/** Milliseconds left in the current budget (Infinity without one). */
export function budgetLeft(now: number = Date.now()): number {
  const budget = storage.getStore();
  return budget === undefined ? Infinity : budget.deadline - now;
}

/** "the 60s budget for this reference (4 × --timeout) was spent" */
export function budgetSpentMessage(budget: Budget): string {
  return `the ${formatMs(budget.totalMs)} budget for this reference (${budget.label}) was spent`;
}

export function formatMs(ms: number): string {
  if (ms % 1000 !== 0 || ms < 1000) return `${ms}ms`;
  const s = ms / 1000;
  if (s % 3600 === 0) return `${s / 3600}h`;
  if (s % 60 === 0) return `${s / 60}m`;
  return `${s}s`;
}
