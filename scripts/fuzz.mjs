#!/usr/bin/env node
// `npm run fuzz`: the randomized differential tests with many cases and a seed printed first, so a
// failure can be replayed: `FUZZ_SEED=<seed> npm run fuzz`. `npm test` runs the same tests small with
// fixed seeds (tests/helpers/fuzz.ts). Extra arguments go to vitest (a test file to run only it).
import { spawnSync } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const seed = process.env.FUZZ_SEED ?? String(randomInt(0, 2 ** 31));
const files = ['tests/unit/parse-differential.test.ts', 'tests/unit/fast-yaml-fuzz.test.ts', 'tests/unit/fast-yaml-template.test.ts', 'tests/unit/core-schema.test.ts'];
const args = process.argv.slice(2);
console.log(`imagedrift fuzz: FUZZ_SEED=${seed}${process.env.FUZZ_CASES ? ` FUZZ_CASES=${process.env.FUZZ_CASES}` : ''}`);
const run = spawnSync(process.execPath, [join(root, 'node_modules', 'vitest', 'vitest.mjs'), 'run', '--testTimeout=0', ...(args.length > 0 ? args : files)], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, IMAGEDRIFT_FUZZ: '1', FUZZ_SEED: seed },
});
console.log(`imagedrift fuzz: FUZZ_SEED=${seed} ${run.status === 0 ? 'passed' : 'FAILED'}`);
process.exit(run.status ?? 1);
