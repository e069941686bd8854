// Loads policy files: the bundled ones in policies/ and a user's own, following `extends` (bundled
// names or paths) and the `extends` of `overrides`. The thin I/O edge of src/policy: reading files
// and finding them; parsing (parse.ts) and merging (merge.ts) are pure.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readTextFileBounded, ReadRefused } from '../sources/files.js';
import { PolicyError } from './errors.js';
import { applyLayer, emptyPolicy } from './merge.js';
import { parsePolicy } from './parse.js';
import type { ExtendsRef, Override, Policy, PolicyLayer } from './types.js';

/** policies/ of the installed package (same depth from src/ and dist/). */
export const BUNDLED_POLICY_DIR = fileURLToPath(new URL('../../policies/', import.meta.url));

/** File names looked for when no --policy is given, nearest first. */
export const POLICY_FILE_NAMES = ['.imagedrift.yaml', '.imagedrift.yml'] as const;

const BUNDLED_NAME = /^[A-Za-z0-9_-]+$/;

export { PolicyError };

/** Names of the bundled policies (`default`, `strict`, …). */
export function bundledPolicyNames(): string[] {
  return readdirSync(BUNDLED_POLICY_DIR)
    .filter((name) => name.endsWith('.yaml'))
    .map((name) => name.slice(0, -'.yaml'.length))
    .sort();
}

function isBundled(file: string): boolean {
  return dirname(file) === resolve(BUNDLED_POLICY_DIR);
}

/** A policy file larger than this is refused (the bundled ones are a few KB). */
export const MAX_POLICY_BYTES = 1024 * 1024;

export interface LoadOptions {
  /** Directory relative paths in messages are relative to. */
  cwd?: string;
  /** Reads a file as UTF-8 text (tests inject one). */
  readFile?: (path: string) => string;
}

class Loader {
  private readonly layers = new Map<string, PolicyLayer>();
  private readonly cwd: string;
  private readonly read: (path: string) => string;

  constructor(options: LoadOptions) {
    this.cwd = options.cwd ?? process.cwd();
    // Bounded: a policy (or an `extends`) naming /dev/zero or a FIFO is refused, never read forever.
    this.read = options.readFile ?? ((path) => readTextFileBounded(path, MAX_POLICY_BYTES));
  }

  /** A file as messages show it: relative to the working directory (`../.imagedrift.yaml` from a subdirectory); bundled policies absolute. */
  display(file: string): string {
    const rel = relative(this.cwd, file);
    if (rel === '' || isAbsolute(rel) || (rel.startsWith('..') && isBundled(file))) return file;
    return rel.split('\\').join('/');
  }

  private layer(file: string, via: ExtendsRef | undefined): PolicyLayer {
    let layer = this.layers.get(file);
    if (layer === undefined) {
      let text: string;
      try {
        text = this.read(file);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        const why = err instanceof ReadRefused ? err.message : code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (code ?? String(err));
        if (via !== undefined) throw new PolicyError({ file: via.location.path, line: via.location.line, column: via.location.column, message: `extends: cannot read \`${via.value}\` (${this.display(file)}): ${why}` });
        throw new PolicyError({ file: this.display(file), message: `cannot read policy file: ${why}` });
      }
      layer = parsePolicy(text, { id: file, display: this.display(file), ...(isBundled(file) ? { bundled: true } : {}) });
      this.layers.set(file, layer);
    }
    return layer;
  }

  private target(ref: ExtendsRef, from: string): string {
    if (BUNDLED_NAME.test(ref.value)) {
      const file = join(resolve(BUNDLED_POLICY_DIR), `${ref.value}.yaml`);
      if (!existsSync(file)) {
        throw new PolicyError({
          file: ref.location.path,
          line: ref.location.line,
          column: ref.location.column,
          message: `extends: no bundled policy named \`${ref.value}\` (bundled: ${bundledPolicyNames().join(', ')}); a path to a file must contain \`/\` or end in .yaml`,
        });
      }
      return file;
    }
    return resolve(dirname(from), ref.value);
  }

  /** The layers a file stands for, parents first, each once. */
  chain(file: string, via: ExtendsRef | undefined, stack: readonly string[]): PolicyLayer[] {
    if (stack.includes(file)) {
      const cycle = [...stack.slice(stack.indexOf(file)), file].map((f) => this.display(f)).join(' -> ');
      const at = via?.location;
      throw new PolicyError({ file: at?.path ?? this.display(file), line: at?.line ?? 1, column: at?.column ?? 1, message: `extends: cycle ${cycle}` });
    }
    const layer = this.layer(file, via);
    const parents = layer.extends ?? (isBundled(file) ? [] : [{ value: 'default', location: { path: layer.display, line: 1, column: 1, endLine: 1, endColumn: 1 } }]);
    const result: PolicyLayer[] = [];
    for (const ref of parents) for (const parent of this.chain(this.target(ref, file), ref, [...stack, file])) result.push(parent);
    result.push(layer);
    return unique(result);
  }

  overrides(layer: PolicyLayer): Override[] {
    return layer.overrides.map((input) => {
      const parents = (input.layer.extends ?? []).flatMap((ref) => this.chain(this.target(ref, layer.id), ref, [layer.id]));
      return { paths: input.paths, layers: unique([...parents, input.layer]), location: input.location };
    });
  }

  policy(file: string): Policy {
    let policy = emptyPolicy();
    for (const layer of this.chain(file, undefined, [])) policy = applyLayer(policy, layer, this.overrides(layer));
    return policy;
  }
}

function unique(layers: PolicyLayer[]): PolicyLayer[] {
  const seen = new Set<string>();
  return layers.filter((layer) => !seen.has(layer.id) && seen.add(layer.id) !== undefined);
}

/** Loads a policy file and everything it extends. Throws PolicyError. */
export function loadPolicyFile(file: string, options: LoadOptions = {}): Policy {
  const cwd = options.cwd ?? process.cwd();
  return new Loader({ ...options, cwd }).policy(resolve(cwd, file));
}

/** A bundled policy by name (`default`, `strict`). */
export function loadBundledPolicy(name: string, options: LoadOptions = {}): Policy {
  return new Loader(options).policy(join(resolve(BUNDLED_POLICY_DIR), `${name}.yaml`));
}

/** Reads the bundled default policy: what runs with no flags and no .imagedrift.yaml. */
export function loadDefaultPolicy(): Policy {
  return loadBundledPolicy('default');
}

/** The repository root: the nearest directory at or above `cwd` holding `.git` (a directory, or a file in worktrees and submodules). */
export function findRepoRoot(cwd: string): string | undefined {
  let dir = resolve(cwd);
  for (;;) {
    if (existsSync(join(dir, '.git'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** `.imagedrift.yaml` in `cwd` or a directory above it, up to the repository root; only `cwd` outside a repository. */
export function findPolicyFile(cwd: string, root: string | undefined = findRepoRoot(cwd)): string | undefined {
  let dir = resolve(cwd);
  for (;;) {
    for (const name of POLICY_FILE_NAMES) {
      const file = join(dir, name);
      if (existsSync(file) && statSync(file).isFile()) return file;
    }
    if (root === undefined || dir === resolve(root)) return undefined;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

export interface DiscoveredPolicy {
  policy: Policy;
  /** The policy file used, as given or found; undefined for the bundled default. */
  file?: string;
}

/** `--policy FILE`, else the nearest `.imagedrift.yaml` up to the repository root, else the bundled default. */
export function discoverPolicy(options: { policyFile?: string; cwd?: string; root?: string }): DiscoveredPolicy {
  const cwd = options.cwd ?? process.cwd();
  if (options.policyFile !== undefined) return { policy: loadPolicyFile(options.policyFile, { cwd }), file: resolve(cwd, options.policyFile) };
  const found = findPolicyFile(cwd, options.root ?? findRepoRoot(cwd));
  if (found !== undefined) return { policy: loadPolicyFile(found, { cwd }), file: found };
  return { policy: loadBundledPolicy('default', { cwd }) };
}
