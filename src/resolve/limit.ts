// Small concurrency primitives: a counting semaphore, a keyed set of semaphores (one per host),
// and mapLimit for bounded parallel work. No dependencies.

export class Semaphore {
  private active = 0;
  private readonly waiters: Array<() => void> = [];

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`concurrency limit must be a positive integer, got ${limit}`);
  }

  get inFlight(): number {
    return this.active;
  }

  async acquire(): Promise<() => void> {
    if (this.active < this.limit) {
      this.active++;
    } else {
      // The releasing holder hands its slot straight to us (active stays the same).
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiters.shift();
      if (next) next();
      else this.active--;
    };
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    const release = await this.acquire();
    try {
      return await fn();
    } finally {
      release();
    }
  }
}

/** One semaphore per key (e.g. per `host:port`), created on first use. */
export class KeyedSemaphore {
  private readonly byKey = new Map<string, Semaphore>();
  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`concurrency limit must be a positive integer, got ${limit}`);
  }

  for(key: string): Semaphore {
    let sem = this.byKey.get(key);
    if (!sem) {
      sem = new Semaphore(this.limit);
      this.byKey.set(key, sem);
    }
    return sem;
  }
}

/**
 * Run `fn` over `items` with at most `limit` in flight; results keep input order.
 * `shouldStop()` is checked before each new item starts; items not started get `undefined`.
 */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
  shouldStop?: () => boolean,
): Promise<Array<R | undefined>> {
  const results: Array<R | undefined> = new Array(items.length).fill(undefined);
  let next = 0;
  const workers: Promise<void>[] = [];
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      if (shouldStop?.()) return;
      const index = next++;
      results[index] = await fn(items[index] as T, index);
    }
  };
  for (let i = 0; i < Math.max(1, Math.min(limit, items.length)); i++) workers.push(worker());
  await Promise.all(workers);
  return results;
}
