#!/usr/bin/env node
// Part of `npm run build`, after tsc: bundles the command line (src/cli/main.ts), the scan worker
// (src/scan/worker.ts) and the launcher (src/cli/launch.ts) with esbuild into dist/bundle/main.cjs,
// worker.cjs and launch.cjs, then makes the V8 code cache the launcher compiles main.cjs with.
// bin/imagedrift.js (CommonJS, as bin/package.json says) requires the launcher.
//
// Why: start-up is most of a CI gate's run. Node's ES module loader paid for each of the ~80 files a
// scan loaded (resolve, read, compile, link: ~20 ms), V8 compiled every function a scan calls on its
// first call (another ~20 ms), and starting the ES module loader at all costs ~5 ms. One CommonJS
// file, compiled from a cache made by running a scan, costs none of it. CommonJS because only a
// script (vm.Script) takes V8's cached data in Node 20. What a run may not need stays lazy: esbuild
// turns each import() of ours into a module initialised on first use, and the npm packages only some
// runs need (LAZY_PACKAGES) stay in node_modules, required on first use; those a plain scan uses
// (commander, picomatch, jsonc-parser) are bundled, under the cache. import.meta.url, which the
// sources use to find policies/, package.json and the worker, becomes the bundle's own file URL;
// every output sits two levels below the package root, as dist/cli/*.js does, so those relative
// paths hold.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** npm packages left out of the bundle: the full YAML parser, the schema checker, the registry and audit side, the HCL (WebAssembly) and Dockerfile parsers. */
const LAZY_PACKAGES = ['yaml', 'ajv', 'semver', 'diff', '@aws-sdk/*', '@smithy/*', 'web-tree-sitter', 'dockerfile-ast'];
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
  entryPoints: { main: 'src/cli/main.ts', worker: 'src/scan/worker.ts', launch: 'src/cli/launch.ts' },
  outdir,
  outExtension: { '.js': '.cjs' },
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  // What a plain scan uses is bundled, so the code cache covers it too; what only some runs need
  // stays in node_modules, required on first use.
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

// The code cache: made by a scan of the examples in every report format, so that what a scan and
// its reporters call is compiled in it (src/cli/code-cache.ts writes it at the run's exit).
const cache = join(outdir, 'main.cjs.cache');
const reports = mkdtempSync(join(tmpdir(), 'imagedrift-bundle-'));
const formats = ['json', 'sarif', 'text', 'github', 'markdown'].flatMap((format) => ['--format', `${format}=${join(reports, format)}`]);
const run = spawnSync(process.execPath, [join(root, 'bin', 'imagedrift.js'), 'scan', ...formats, join(root, 'examples')], {
  cwd: root,
  encoding: 'utf8',
  env: { ...process.env, IMAGEDRIFT_CODE_CACHE_OUT: cache },
});
rmSync(reports, { recursive: true, force: true });
// The examples have findings: exit code 1.
if (run.status !== 1 || !existsSync(cache)) {
  rmSync(cache, { force: true });
  throw new Error(`bundle: the run that makes the code cache failed (exit ${run.status}):\n${run.stderr}`);
}
