// How the launcher tunes V8's optimising compiler for a short run. A CI gate's scan is over before
// V8 has optimised the readers: on the corpus (1 MiB) the YAML reader's first pass took ~75 ms
// where a warm one takes ~7. Most of the gap was the main thread running unoptimised code while
// Turbofan compiled methods on Node's four platform threads, on a 2-core runner: jobs of 10–26 ms
// each (the reader's methods with their callees inlined into them), several at once, taking time
// from the main thread's core too (Node started with --v8-pool-size=1 scanned the corpus 10% faster).
// Two settings make that background work smaller, so the optimised code that matters arrives sooner:
//
// - inlining only callees of up to 120 bytecodes (V8's default: 460) makes each compile several
//   times cheaper (corpus 204 -> 175 ms; a warm reader runs about 6% slower);
// - an interrupt budget three times V8's makes a function wait for three times as much work before
//   it is optimised, so fewer of the lukewarm ones are (corpus 162 -> 145 ms, three copies of it
//   257 -> 236 ms, 10 MiB 366 -> 354 ms; 50 and 120 MiB unchanged; faster under load too).
//
// Figures: BENCHMARKS.md. The flags are set after the bundle is compiled from its code cache (V8
// checks its flags against the cache's then), never while the build makes that cache (the cache
// would record the changed flags and be refused at every run), and each only when the user did
// not give Node that flag themselves (`node --interrupt-budget=… …/imagedrift.js`).
import { setFlagsFromString } from 'node:v8';

/** Turbofan inlines callees of at most this many bytecodes (V8's default: 460). */
export const MAX_INLINED_BYTECODE_SIZE = 120;
/** Bytecode budget a function spends before V8 considers optimising it (V8's default: 66 KiB). */
export const INTERRUPT_BUDGET = 3 * 66 * 1024;

/** The V8 flags the launcher sets: each with the word that shows the user set it already. */
const TUNING: ReadonlyArray<{ flag: string; userWord: string }> = [
  { flag: `--max-inlined-bytecode-size=${MAX_INLINED_BYTECODE_SIZE}`, userWord: 'inlin' },
  { flag: `--interrupt-budget=${INTERRUPT_BUDGET}`, userWord: 'interrupt-budget' },
];

/**
 * Sets the tuning flags for this process (its workers too) but those the user set on Node's command
 * line (`--max-inlined-…`, `--no-turbo-inlining`, `--interrupt-budget=…`); returns the flags it set.
 */
export function tuneJit(execArgv: readonly string[]): string[] {
  const set: string[] = [];
  for (const { flag, userWord } of TUNING) {
    if (execArgv.some((arg) => arg.includes(userWord))) continue;
    setFlagsFromString(flag);
    set.push(flag);
  }
  return set;
}
