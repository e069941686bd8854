// The launcher's code cache (src/cli/code-cache.ts): a cache is given to V8 only for the very text it
// was made from, and whole, and whatever becomes of it, the file runs as written. (V8 refusing the
// data, as under another Node version or other flags: tests/integration/startup.test.ts.)
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cacheFile, compile, run } from '../../src/cli/code-cache.js';

const filename = join(import.meta.dirname, 'bundle-under-test.cjs');
const source = (n: number) => `const path = require('node:path');\nfunction answer() { return ${n} + 2; }\nmodule.exports = { value: answer(), name: path.basename(__filename) };\n`;

/** A cache file for `text`, made as the build makes one: after a run, so its functions are compiled. */
function cacheFor(text: string): Buffer {
  const { script } = compile(filename, text, undefined);
  run(script, filename);
  return cacheFile(text, script.createCachedData());
}

describe('code cache', () => {
  it('runs a file without a cache', () => {
    const { script, status } = compile(filename, source(40), undefined);
    expect(status).toBe('missing');
    expect(run(script, filename)).toEqual({ value: 42, name: 'bundle-under-test.cjs' });
  });

  it('uses the cache made for the same text', () => {
    const cache = cacheFor(source(40));
    const { script, status } = compile(filename, source(40), cache);
    expect(status).toBe('accepted');
    expect(run(script, filename)).toEqual({ value: 42, name: 'bundle-under-test.cjs' });
  });

  it('does not give V8 a cache made for another text (V8 would take it: it does not compare contents)', () => {
    const cache = cacheFor(source(40));
    expect(source(50).length).toBe(source(40).length);
    const { script, status } = compile(filename, source(50), cache);
    expect(status).toBe('stale');
    expect(run(script, filename)).toEqual({ value: 52, name: 'bundle-under-test.cjs' });
  });

  it('does not give V8 damaged data (V8 would take it: a release build does not check its own data)', () => {
    const cache = cacheFor(source(40));
    for (let i = 100; i < cache.length; i += 7) cache[i] = (cache[i] ?? 0) ^ 0xff;
    const { script, status } = compile(filename, source(40), cache);
    expect(status).toBe('damaged');
    expect(run(script, filename)).toEqual({ value: 42, name: 'bundle-under-test.cjs' });
  });

  it('treats a truncated or empty cache file as made for another text', () => {
    const cache = cacheFor(source(40));
    for (const bytes of [cache.subarray(0, 20), cache.subarray(0, 64), Buffer.alloc(0)]) {
      const { script, status } = compile(filename, source(40), bytes);
      expect(status).toBe('stale');
      expect(run(script, filename)).toEqual({ value: 42, name: 'bundle-under-test.cjs' });
    }
  });
});
