#!/usr/bin/env node
// Part of `npm run build`, after tsc: bundles the command line (src/cli/main.ts) and the scan worker
// (src/scan/worker.ts) with esbuild into dist/bundle/main.cjs and worker.cjs. bin/imagedrift.js
// (CommonJS, as bin/package.json says) turns on Node's compile cache and requires main.cjs.
//
// Why: start-up is most of a CI gate's run. Node's module loader paid for each of the ~80 files a
// scan loaded (resolve, read, compile, link), and starting the ES module loader at all costs a few ms.
// One CommonJS file costs none of it, and Node's compile cache keeps V8's code for it between runs.
// What a run may not need stays lazy: esbuild turns each import() of ours into a module initialised
// on first use, and the npm packages only some runs need (LAZY_PACKAGES) stay in node_modules,
// required on first use; those a plain scan uses (commander, picomatch, jsonc-parser) are bundled.
// import.meta.url, which the sources use to find policies/, package.json and the worker, becomes the
// bundle's own file URL; every output sits two levels below the package root, as dist/cli/*.js
// does, so those relative paths hold.
import { build } from 'esbuild';
import { mkdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** npm packages left out of the bundle: the full YAML parser, the schema checker, the registry and audit side. */
const LAZY_PACKAGES = ['yaml', 'ajv', 'semver', 'diff', '@aws-sdk/*', '@smithy/*'];
const outdir = join(root, 'dist', 'bundle');
/**
 * commander requires node:child_process when it loads, for executable subcommands, which imagedrift
 * has none of; loading it (with node:net and node:dgram behind it) cost ~1 ms of every run. In the
 * bundle commander gets a stand-in that requires the real module on first use.
 */
const lazyChildProcessForCommander = {
  name: 'lazy-child-process-for-commander',
  setup(bundler) {
    bundler.onResolve({ filter: /^node:child_process$/ }, (args) => (/[\\/]node_modules[\\/]commander[\\/]/.test(args.importer) ? { path: 'child_process', namespace: 'lazy-builtin' } : undefined));
    bundler.onLoad({ filter: /.*/, namespace: 'lazy-builtin' }, () => ({
      contents: "module.exports = new Proxy({}, { get: (_target, name) => require('node:child_process')[name] });",
      loader: 'js',
    }));
  },
};
rmSync(outdir, { recursive: true, force: true });
mkdirSync(outdir, { recursive: true });
await build({
  absWorkingDir: root,
  entryPoints: { main: 'src/cli/main.ts', worker: 'src/scan/worker.ts' },
  outdir,
  outExtension: { '.js': '.cjs' },
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node22',
  // What a plain scan uses is bundled; what only some runs need stays in node_modules, required on
  // first use.
  external: [...LAZY_PACKAGES],
  // jsonc-parser's UMD build requires its parts by computed names; its ES module build bundles.
  mainFields: ['module', 'main'],
  define: { 'import.meta.url': 'importMetaUrl' },
  // The bundle's own file URL; after "use strict", which must stay the first statement.
  banner: { js: '"use strict";\nvar importMetaUrl = require(\'node:url\').pathToFileURL(__filename).href;' },
  plugins: [lazyChildProcessForCommander],
  sourcemap: 'linked',
  logLevel: 'warning',
});
