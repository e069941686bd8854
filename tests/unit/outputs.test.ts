// How reports reach their file or stdout: chunks joined into writes of about 64 KiB.
import { describe, expect, it } from 'vitest';
import { batched } from '../../src/cli/outputs.js';

describe('batched writes', () => {
  it('writes every character once, in order, in few writes of at least 64 KiB (but the last)', () => {
    const chunks = Array.from({ length: 5000 }, (_, i) => `    {"finding": ${i}, "message": "${'x'.repeat(i % 97)}"},\n`);
    const writes = [...batched(chunks)];
    expect(writes.join('')).toBe(chunks.join(''));
    expect(writes.length).toBeLessThan(chunks.length / 100);
    for (const write of writes.slice(0, -1)) expect(write.length).toBeGreaterThanOrEqual(64 * 1024);
  });

  it('passes a single large report on as it is, and writes nothing for nothing', () => {
    const report = 'y'.repeat(300 * 1024);
    expect([...batched([report])]).toEqual([report]);
    expect([...batched([])]).toEqual([]);
    expect([...batched(['', ''])]).toEqual([]);
  });
});
