#!/usr/bin/env node
// Part of `npm run build`, after tsc: bundles the command line (src/cli/main.ts) and the scan worker
// (src/scan/worker.ts) with esbuild into dist/bundle/main.cjs and worker.cjs, then makes the V8 code
// cache that src/cli/launch.ts (what bin/imagedrift.js runs) compiles the bundle with.
//
// Why: start-up is most of a CI gate's run. Node's ES module loader paid for each of the ~80 files a
// scan loaded (resolve, read, compile, link: ~20 ms), and V8 compiled every function a scan calls on
// its first call (another ~20 ms). One file, compiled from a cache made by running a scan, costs
// neither. CommonJS because only a script (vm.Script) takes V8's cached data in Node 20. What a run
// may not need stays lazy: esbuild turns each import() of ours into a module initialised on first
// use, and npm packages stay outside the bundle, required from node_modules when first needed (the
// AWS SDK, semver, diff, ajv, yaml). import.meta.url, which the sources use to find policies/,
// package.json and the worker, becomes the bundle's own file URL; every output sits two levels below
// the package root, as dist/cli/*.js does, so those relative paths hold.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'dist', 'bundle');
rmSync(outdir, { recursive: true, force: true });
mkdirSync(outdir, { recursive: true });
const shim = join(outdir, 'import-meta-url.js');
writeFileSync(shim, "export const importMetaUrl = require('node:url').pathToFileURL(__filename).href;\n");
await build({
  absWorkingDir: root,
  entryPoints: { main: 'src/cli/main.ts', worker: 'src/scan/worker.ts' },
  outdir,
  outExtension: { '.js': '.cjs' },
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  define: { 'import.meta.url': 'importMetaUrl' },
  inject: [shim],
  sourcemap: 'linked',
  logLevel: 'warning',
});
rmSync(shim);

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
