#!/usr/bin/env node
// Part of `npm run build`, after tsc: bundles the command line (src/cli/main.ts), the scan worker
// (src/scan/worker.ts) and the GitHub Action (src/cli/action-main.ts) with esbuild into
// dist/bundle/main.cjs, worker.cjs and action.cjs, and the npm packages
// only some runs need into dist/bundle/vendor/*.cjs. bin/imagedrift.js (CommonJS, as
// bin/package.json says) turns on Node's compile cache and requires main.cjs.
//
// dist/bundle is the whole program: the published package has no dependencies to install (an
// install from a tarball, pre-commit's and the GitHub Action's need no registry), and
// dist/bundle/THIRD-PARTY-LICENSES.txt carries the licences of what it bundles.
//
// Why one bundle: start-up is most of a CI gate's run. Node's module loader paid for each of the ~80
// files a scan loaded (resolve, read, compile, link); one CommonJS file costs none of it, and Node's
// compile cache keeps V8's code for it between runs. What a run may not need stays lazy: esbuild
// turns each import() of ours into a module initialised on first use, and each package of
// LAZY_PACKAGES is required from its vendor file on first use (so a plain scan neither reads nor
// compiles the AWS SDK). import.meta.url, which the sources use to find policies/, package.json and
// the worker, becomes the bundle's own file URL; every output sits two levels below the package root,
// as dist/cli/*.js does, so those relative paths hold.
import { build } from 'esbuild';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/**
 * npm packages kept out of main.cjs, each required from a vendor file when first needed: the full
 * YAML parser, the schema checker, the registry and audit side (AWS SDK, Kubernetes client), the HCL (WebAssembly) and Dockerfile
 * parsers. A glob
 * ends in `/*` for a scope.
 */
const LAZY_PACKAGES = ['yaml', 'ajv', 'semver', 'diff', '@aws-sdk/*', '@smithy/*', '@kubernetes/client-node', 'web-tree-sitter', 'dockerfile-ast', '@octokit/*'];
/** Lazy packages that share code go into one vendor file together (by its name). */
const VENDOR_GROUPS = { aws: ['@aws-sdk/*', '@smithy/*'], octokit: ['@octokit/*'] };
const outdir = join(root, 'dist', 'bundle');

/** The package name of a bare import (`@aws-sdk/client-ecs/dist` -> `@aws-sdk/client-ecs`). */
const packageOf = (path) => path.split('/').slice(0, path.startsWith('@') ? 2 : 1).join('/');
const matches = (glob, name) => (glob.endsWith('/*') ? name.startsWith(glob.slice(0, -1)) : name === glob);
const isLazy = (path) => LAZY_PACKAGES.some((glob) => matches(glob, packageOf(path)));
/** The vendor file a lazy import is in: its group's, else one of its own. */
function vendorOf(path) {
  const name = packageOf(path);
  const group = Object.entries(VENDOR_GROUPS).find(([, globs]) => globs.some((glob) => matches(glob, name)));
  return group !== undefined ? group[0] : name.replace(/^@/, '').replace(/\//g, '__');
}

/** Every lazy import path the bundles make, by vendor file. */
const vendored = new Map();
/**
 * In main.cjs and worker.cjs a lazy package is a stand-in that requires its vendor file, which is
 * left out of the bundle (external) and sits beside it in vendor/.
 */
const lazyPackages = {
  name: 'lazy-packages',
  setup(bundler) {
    bundler.onResolve({ filter: /^[@a-z]/ }, (args) => {
      if (args.namespace === 'vendor-stand-in' || !isLazy(args.path)) return undefined;
      const vendor = vendorOf(args.path);
      if (!vendored.has(vendor)) vendored.set(vendor, new Set());
      vendored.get(vendor).add(args.path);
      return { path: args.path, namespace: 'vendor-stand-in', pluginData: { vendor } };
    });
    bundler.onLoad({ filter: /.*/, namespace: 'vendor-stand-in' }, (args) => ({
      contents: `module.exports = require(${JSON.stringify(`./vendor/${args.pluginData.vendor}.cjs`)})[${JSON.stringify(args.path)}];`,
      loader: 'js',
    }));
    bundler.onResolve({ filter: /^\.\/vendor\//, namespace: 'vendor-stand-in' }, (args) => ({ path: args.path, external: true }));
  },
};

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
const common = {
  absWorkingDir: root,
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node22',
  // jsonc-parser's UMD build requires its parts by computed names; its ES module build bundles.
  mainFields: ['module', 'main'],
  define: { 'import.meta.url': 'importMetaUrl' },
  // The bundle's own file URL; after "use strict", which must stay the first statement.
  banner: { js: '"use strict";\nvar importMetaUrl = require(\'node:url\').pathToFileURL(__filename).href;' },
  sourcemap: 'linked',
  logLevel: 'warning',
  metafile: true,
};
const main = await build({
  ...common,
  entryPoints: { main: 'src/cli/main.ts', worker: 'src/scan/worker.ts', action: 'src/cli/action-main.ts' },
  outdir,
  outExtension: { '.js': '.cjs' },
  plugins: [lazyChildProcessForCommander, lazyPackages],
});

// One vendor file per lazy package (or group): an object whose properties are the import paths the
// bundles make, each initialised when first read (requiring aws.cjs initialises only the client asked
// for). Everything they import is bundled into them.
const metafiles = [main.metafile];
for (const [vendor, paths] of [...vendored].sort(([a], [b]) => a.localeCompare(b))) {
  const contents = [...paths]
    .sort()
    .map((path) => `Object.defineProperty(exports, ${JSON.stringify(path)}, { enumerable: true, get: () => require(${JSON.stringify(path)}) });`)
    .join('\n');
  const out = await build({
    ...common,
    stdin: { contents, resolveDir: root, sourcefile: `vendor-${vendor}.js`, loader: 'js' },
    outfile: join(outdir, 'vendor', `${vendor}.cjs`),
    // Other people's code, read and compiled only when a run needs it: smaller is faster to load
    // (the Kubernetes client is ~15 MB as written), and its own sources are where to debug it.
    minify: true,
    sourcemap: false,
  });
  metafiles.push(out.metafile);
}

// The WebAssembly the HCL parser loads (src/parse/hcl.ts finds it in dist/bundle/wasm/).
const requireHere = createRequire(import.meta.url);
mkdirSync(join(outdir, 'wasm'), { recursive: true });
for (const file of ['web-tree-sitter/web-tree-sitter.wasm', '@tree-sitter-grammars/tree-sitter-hcl/tree-sitter-terraform.wasm']) {
  copyFileSync(requireHere.resolve(file), join(outdir, 'wasm', file.split('/').at(-1)));
  metafiles.push({ inputs: { [`node_modules/${file}`]: {} } });
}

// The licences of every npm package in the bundle, as their licences ask of a redistribution.
const packages = new Map();
for (const metafile of metafiles) {
  for (const input of Object.keys(metafile.inputs)) {
    const match = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input);
    if (match === null) continue;
    const dir = join(root, match[1]);
    if (packages.has(dir)) continue;
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    const licenceFile = readdirSync(dir).find((name) => /^(licen[cs]e|copying|notice)(\.|$)/i.test(name));
    packages.set(dir, { name: pkg.name, version: pkg.version, license: typeof pkg.license === 'string' ? pkg.license : 'see below', text: licenceFile !== undefined ? readFileSync(join(dir, licenceFile), 'utf8').trim() : undefined });
  }
}
const notices = [...packages.values()]
  .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  .map(({ name, version, license, text }) => `${name}@${version} (${license})\n\n${text ?? `Licensed under ${license}; the package ships no licence file.`}\n`);
writeFileSync(join(outdir, 'THIRD-PARTY-LICENSES.txt'), `The imagedrift bundle includes the following npm packages.\n\n${'-'.repeat(72)}\n${notices.join(`\n${'-'.repeat(72)}\n`)}`);
if (!existsSync(join(outdir, 'main.cjs'))) throw new Error('bundle: main.cjs was not written');
