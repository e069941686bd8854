// The yaml package, loaded on first use. It is CommonJS (some 70 files, a large part of a short
// run's start-up), and most runs never need it: the fast reader (fast-yaml.ts) reads the files and
// the bundled policy. Modules that use it import its types with `import type` only and call
// yamlLib() where they need a value; require() keeps that synchronous. In the CLI's bundle
// (CommonJS) `require` is the bundle's own and the bundler sees require('yaml'): the package is in
// the bundle's vendor files (scripts/bundle.mjs). Elsewhere (dist/, the tests) it comes from
// node_modules.
import { createRequire } from 'node:module';
import type * as Yaml from 'yaml';

let lib: typeof Yaml | undefined;

export function yamlLib(): typeof Yaml {
  lib ??= (typeof require === 'function' ? require('yaml') : createRequire(import.meta.url)('yaml')) as typeof Yaml;
  return lib;
}
