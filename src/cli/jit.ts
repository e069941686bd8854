// How the launcher tunes V8's optimising compiler for a short run. A CI gate's scan is over before
// V8 has optimised the readers: on the corpus (1 MiB) the YAML reader's first pass took ~75 ms
// where a warm one takes ~7, and most of the gap was the main thread running unoptimised code while
// Turbofan, on the one other core of a 2-core runner, compiled the reader's methods with their
// callees inlined into them (26 ms for one of them). Inlining only small callees makes those
// compiles several times cheaper, so the optimised code arrives sooner: scans of 1–10 MiB took
// 13–15% less time, and a warm reader runs about 6% slower (figures in BENCHMARKS.md).
//
// The flag is set after the bundle is compiled from its code cache (V8 checks its flags against
// the cache's then), never while the build makes that cache (the cache would record the changed
// flags and be refused at every run), and not when the user gave Node an inlining flag of their own
// (`node --max-inlined-bytecode-size=460 …/imagedrift.js`; NODE_OPTIONS cannot carry one).
import { setFlagsFromString } from 'node:v8';

/** Turbofan inlines callees of at most this many bytecodes (V8's default: 460). */
export const MAX_INLINED_BYTECODE_SIZE = 120;

/** Whether Node was started with an inlining flag of the user's (`--max-inlined-…`, `--no-turbo-inlining`). */
export function userSetsInlining(execArgv: readonly string[]): boolean {
  return execArgv.some((arg) => arg.includes('inlin'));
}

/** Limits Turbofan's inlining for this process (its workers too) unless the user set it; says whether it did. */
export function tuneJit(execArgv: readonly string[]): boolean {
  if (userSetsInlining(execArgv)) return false;
  setFlagsFromString(`--max-inlined-bytecode-size=${MAX_INLINED_BYTECODE_SIZE}`);
  return true;
}
