import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  plugins: [
    {
      // Its published source maps point at sources it does not publish: Vite would warn per file.
      name: 'actions-parser-without-source-maps',
      enforce: 'pre',
      load(id) {
        if (!/[\\/]node_modules[\\/]@actions[\\/](workflow-parser|expressions)[\\/].*\.js$/.test(id)) return null;
        return readFileSync(id, 'utf8').replace(/^\/\/# sourceMappingURL=.*$/m, '');
      },
    },
  ],
  test: {
    include: ['tests/**/*.test.ts'],
    // Vitest's default is one worker less than the cores: one on a 2-core runner. Most integration
    // tests wait on a child process (the CLI, git, a registry), so two files at a time use 2 cores.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    // Generous: a test waits for a real registry, git or a CLI run, never for a speed; a hung one
    // still fails. Nothing here is CPU-bound against a clock (big randomized runs: `npm run fuzz`).
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // GitHub's own workflow and action.yml parser imports its JSON schemas without import
    // attributes, which only a bundler accepts: Vite transforms it instead of Node loading it.
    server: { deps: { inline: ['@actions/workflow-parser', '@actions/expressions'] } },
  },
});
