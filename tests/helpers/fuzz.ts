// Sizes and seeds of the randomized tests. In `npm test` each runs a small, fixed set of cases (a few
// seconds on a busy 2-core runner, the same cases every run); `npm run fuzz` (scripts/fuzz.mjs) runs
// them large with a seed it prints, so a failure found there can be replayed with FUZZ_SEED=<seed>.
//   IMAGEDRIFT_FUZZ=1   large runs: each test's fuzz size (FUZZ_CASES overrides it)
//   FUZZ_SEED=n         the base seed (each test adds its own offset); default: a fixed seed per test
//   FUZZ_CASES=n        the number of cases for every randomized test

/** Whether this is a large run (`npm run fuzz`). */
export const FUZZING = process.env.IMAGEDRIFT_FUZZ === '1';

/** The number of cases: `inSuite` in `npm test`, `inFuzz` in `npm run fuzz`, or FUZZ_CASES. */
export function cases(inSuite: number, inFuzz: number): number {
  const given = Number(process.env.FUZZ_CASES);
  if (Number.isInteger(given) && given > 0) return given;
  return FUZZING ? inFuzz : inSuite;
}

/** A test's seed: its own fixed one, shifted by FUZZ_SEED when that is given. */
export function seed(own: number): number {
  const base = Number(process.env.FUZZ_SEED);
  return Number.isInteger(base) ? (own + base) >>> 0 : own;
}
