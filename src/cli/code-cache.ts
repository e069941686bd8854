// What bin/imagedrift.js runs: the command line bundled into one CommonJS file
// (dist/bundle/main.cjs, scripts/bundle.mjs), compiled with the V8 code cache the build made for it
// (dist/bundle/main.cjs.cache). Start-up is most of a CI gate's run: Node's module loader paid for
// each of the ~80 files a scan loaded, and V8 then compiled every function a scan calls on its first
// call. The bundle is one file; the cache holds the bytecode of the functions a scan of the examples
// compiled, so a run starts without compiling them again. Node 20 has no compile cache of its own for
// ES modules (module.enableCompileCache() came with Node 22), hence vm.Script and cachedData, as
// Node's own CommonJS loader compiles a file.
//
// The cache file is a SHA-256 of the bundle's text, a SHA-256 of V8's data, then the data. V8 checks
// its version and flags and the source's length, but neither the source's content nor (in a release
// build) its own data, so the hashes are what tie a cache to the very text it was made from and keep
// a damaged one out: such a cache is not given to V8 at all. Nothing is ever written at run time;
// only the build (IMAGEDRIFT_CODE_CACHE_OUT) writes a cache, through a temporary file renamed into
// place.
import { createHash } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { Script } from 'node:vm';
import { tuneJit } from './jit.js';

/**
 * What became of the cache: used; refused by V8 (another Node version or flags); made for another
 * text; damaged (its data is not what was written); or absent.
 */
export type CacheStatus = 'accepted' | 'rejected' | 'stale' | 'damaged' | 'missing';

const HASH_BYTES = 32;

function sha256(data: string | Uint8Array): Buffer {
  return createHash('sha256').update(data).digest();
}

/** A cache file's bytes for `source`: the source's hash, the data's hash, then V8's data. */
export function cacheFile(source: string, data: Buffer): Buffer {
  return Buffer.concat([sha256(source), sha256(data), data]);
}

/** The V8 data in a cache file's bytes, when they were made for this very text and are whole. */
function cachedDataFor(source: string, cache: Buffer): { data: Buffer } | { status: 'stale' | 'damaged' } {
  if (cache.length <= 2 * HASH_BYTES || !cache.subarray(0, HASH_BYTES).equals(sha256(source))) return { status: 'stale' };
  const data = cache.subarray(2 * HASH_BYTES);
  return cache.subarray(HASH_BYTES, 2 * HASH_BYTES).equals(sha256(data)) ? { data } : { status: 'damaged' };
}

/** Compiles a CommonJS file's text with a cache file's bytes when they were made for this very text. */
export function compile(filename: string, source: string, cache: Buffer | undefined): { script: Script; status: CacheStatus } {
  let cachedData: Buffer | undefined;
  let status: CacheStatus = 'missing';
  if (cache !== undefined) {
    const found = cachedDataFor(source, cache);
    if ('data' in found) cachedData = found.data;
    else status = found.status;
  }
  const script = new Script(Module.wrap(source), { filename, ...(cachedData !== undefined ? { cachedData } : {}) });
  if (cachedData !== undefined) status = script.cachedDataRejected === true ? 'rejected' : 'accepted';
  return { script, status };
}

/** Runs a compiled CommonJS file as Node's loader would (its own module, require, __filename, __dirname); returns its exports. */
export function run(script: Script, filename: string): unknown {
  const module = new Module(filename);
  module.filename = filename;
  const wrapper = script.runInThisContext() as (exports: unknown, require: NodeJS.Require, module: Module, filename: string, dirname: string) => void;
  wrapper.call(module.exports, module.exports, createRequire(filename), module, filename, dirname(filename));
  return module.exports;
}

function readCache(path: string): Buffer | undefined {
  try {
    return readFileSync(path);
  } catch {
    return undefined;
  }
}

/** Loads and runs the bundle; with IMAGEDRIFT_CODE_CACHE_OUT (the build), writes its cache there at exit. */
export function launch(bundle: string): void {
  const source = readFileSync(bundle, 'utf8');
  const { script, status } = compile(bundle, source, readCache(`${bundle}.cache`));
  const debug = process.env.IMAGEDRIFT_DEBUG_STARTUP === '1';
  if (debug) process.stderr.write(`imagedrift: code cache ${status}\n`);
  const out = process.env.IMAGEDRIFT_CODE_CACHE_OUT;
  // After the compile (V8 checks its flags against the cache's then); not in the build's run, whose
  // cache would record the changed flags and be refused by every run (src/cli/jit.ts).
  if (out === undefined || out === '') {
    const tuned = tuneJit(process.execArgv);
    if (debug) process.stderr.write(`imagedrift: V8 flags set: ${tuned.length > 0 ? tuned.join(' ') : 'none (the user set them)'}\n`);
  } else {
    // At exit, so that the functions the run called are compiled and in the cache.
    process.on('exit', () => {
      writeFileSync(`${out}.tmp`, cacheFile(source, script.createCachedData()));
      renameSync(`${out}.tmp`, out);
    });
  }
  run(script, bundle);
}

