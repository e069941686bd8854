// The yaml package, loaded on first use. It is CommonJS (some 70 files, a large part of a short
// run's start-up), and most runs never need it: the fast reader (fast-yaml.ts) reads the files and
// the bundled policy. Modules that use it import its types with `import type` only and call
// yamlLib() where they need a value; require() keeps that synchronous.
import { createRequire } from 'node:module';
import type * as Yaml from 'yaml';

let lib: typeof Yaml | undefined;

export function yamlLib(): typeof Yaml {
  lib ??= createRequire(import.meta.url)('yaml') as typeof Yaml;
  return lib;
}
