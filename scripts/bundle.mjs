#!/usr/bin/env node
// Part of `npm run build`, after tsc: bundles the command line (src/cli/main.ts) and the scan worker
// (src/scan/worker.ts) into dist/bundle/ with esbuild, which bin/imagedrift.js runs. Node's ES module
// loader pays for every module it resolves, reads, compiles and links: a scan loaded ~80 of ours
// before its first file, ~20 ms of a gate that should be nearly free. Code splitting keeps what a run
// may not need (pin, audit, the registry client, the AWS SDK) in chunks loaded by import() as before;
// npm packages stay outside, loaded from node_modules as they are (yaml still only when a file needs
// it). Every output is flat in dist/bundle/, two levels below the package root like dist/cli/*.js,
// so the `../../policies/` and `../../package.json` the sources resolve from import.meta.url hold.
// dist/bundle/meta.json (esbuild's metafile) says which sources each output holds: the start-up
// test reads it to tell which of ours a run loaded.
import { build } from 'esbuild';
import { rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'dist', 'bundle');
rmSync(outdir, { recursive: true, force: true });
const result = await build({
  absWorkingDir: root,
  entryPoints: { main: 'src/cli/main.ts', worker: 'src/scan/worker.ts' },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  chunkNames: '[name]-[hash]',
  sourcemap: 'linked',
  metafile: true,
  logLevel: 'warning',
});
writeFileSync(join(outdir, 'meta.json'), `${JSON.stringify(result.metafile, null, 1)}\n`);
