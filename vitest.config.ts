import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    // Vitest's default is one worker less than the cores: one on a 2-core runner. Most integration
    // tests wait on a child process (the CLI, git, a registry), so two files at a time use 2 cores.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    // Generous: a test waits for a real registry, git or a CLI run, never for a speed; a hung one
    // still fails. Nothing here is CPU-bound against a clock (big randomized runs: `npm run fuzz`).
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
