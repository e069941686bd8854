// Unit: the semaphore and mapLimit used for per-host bounds and bounded lookups.

import { describe, expect, it } from 'vitest';
import { KeyedSemaphore, Semaphore, mapLimit } from '../../src/resolve/limit.js';

const tick = (ms = 2) => new Promise((r) => setTimeout(r, ms));

describe('Semaphore', () => {
  it('never exceeds its limit and serves waiters in order', async () => {
    const sem = new Semaphore(2);
    let inFlight = 0;
    let max = 0;
    const order: number[] = [];
    await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        sem.run(async () => {
          inFlight++;
          max = Math.max(max, inFlight);
          order.push(i);
          await tick();
          inFlight--;
        }),
      ),
    );
    expect(max).toBe(2);
    expect(order).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(sem.inFlight).toBe(0);
  });
  it('releases on throw; double release is harmless', async () => {
    const sem = new Semaphore(1);
    await expect(sem.run(async () => Promise.reject(new Error('x')))).rejects.toThrow('x');
    const release = await sem.acquire();
    release();
    release();
    expect(sem.inFlight).toBe(0);
    expect(() => new Semaphore(0)).toThrow(RangeError);
  });
  it('KeyedSemaphore keeps one per key', () => {
    const k = new KeyedSemaphore(3);
    expect(k.for('a')).toBe(k.for('a'));
    expect(k.for('a')).not.toBe(k.for('b'));
  });
});

describe('mapLimit', () => {
  it('keeps order, bounds concurrency and stops when told', async () => {
    const out = await mapLimit([5, 1, 3], 2, async (x) => {
      await tick(x);
      return x * 2;
    });
    expect(out).toEqual([10, 2, 6]);
    let started = 0;
    const partial = await mapLimit(
      Array.from({ length: 10 }, (_, i) => i),
      1,
      async (x) => {
        started++;
        return x;
      },
      () => started >= 3,
    );
    expect(partial).toEqual([0, 1, 2, undefined, undefined, undefined, undefined, undefined, undefined, undefined]);
    expect(await mapLimit([], 4, async (x) => x)).toEqual([]);
  });
});
