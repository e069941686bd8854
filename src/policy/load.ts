// Loads policy files: the bundled ones in policies/ and a user's own, following `extends` (bundled
// names or paths) and the `extends` of `overrides`. The thin I/O edge of src/policy: reading files
// and finding them; parsing (parse.ts) and merging (merge.ts) are pure.
import { closeSync, constants, existsSync, fstatSync, openSync, readdirSync, readSync, realpathSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PolicyError } from './errors.js';
import { applyLayer, emptyPolicy } from './merge.js';
import { notAPolicy, parsePolicy } from './parse.js';
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

export interface LoadOptions {
  /** Directory relative paths in messages are relative to. */
  cwd?: string;
  /**
   * The scan root (the repository root, else the working directory; by default found from `cwd`).
   * A policy file inside it has its path globs relative to its own directory; `extends` may name
   * policy files inside it.
   */
  root?: string;
  /** Further directories whose policy files `extends` may name (`--allow-extends-from`). */
  extendsFrom?: readonly string[];
  /** Reads a file as UTF-8 text (tests inject one). */
  readFile?: (path: string) => string;
}

/** The largest policy file read: a policy is a page of YAML, not a data set. */
export const MAX_POLICY_BYTES = 1024 * 1024;

/** Reads a policy file: a regular file of at most MAX_POLICY_BYTES, never more than that (a FIFO, a device, a huge file are refused). */
function readPolicyText(path: string): string {
  // Non-blocking, so that opening a FIFO returns at once (and is then refused) instead of waiting for a writer.
  const fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  try {
    const stat = fstatSync(fd);
    if (stat.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    if (!stat.isFile()) throw Object.assign(new Error('not a regular file'), { code: 'ENOTREG' });
    if (stat.size > MAX_POLICY_BYTES) throw Object.assign(new Error('too large'), { code: 'EFBIG' });
    const buffer = Buffer.alloc(MAX_POLICY_BYTES + 1);
    let length = 0;
    for (let n; length < buffer.length && (n = readSync(fd, buffer, length, buffer.length - length, null)) > 0; ) length += n;
    if (length > MAX_POLICY_BYTES) throw Object.assign(new Error('too large'), { code: 'EFBIG' });
    return buffer.toString('utf8', 0, length);
  } finally {
    closeSync(fd);
  }
}

const READ_ERRORS: Readonly<Record<string, string>> = {
  ENOENT: 'no such file',
  EISDIR: 'is a directory',
  ENOTREG: 'not a regular file',
  EFBIG: `larger than ${MAX_POLICY_BYTES / 1024 / 1024} MiB`,
  EACCES: 'permission denied',
};

/** Whether `path` is `dir` or inside it (both absolute). */
function isInside(dir: string, path: string): boolean {
  const rel = relative(dir, path);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

function realOrSelf(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

class Loader {
  private readonly layers = new Map<string, PolicyLayer>();
  private readonly cwd: string;
  private readonly root: string;
  private readonly extendsFrom: string[];
  /** The directory of the policy file the run started from: `extends` may name files beside it. */
  private topDir: string | undefined;
  private readonly read: (path: string) => string;

  constructor(options: LoadOptions) {
    this.cwd = options.cwd ?? process.cwd();
    this.root = resolve(options.root ?? findRepoRoot(this.cwd) ?? this.cwd);
    this.extendsFrom = (options.extendsFrom ?? []).map((dir) => resolve(this.cwd, dir));
    this.read = options.readFile ?? readPolicyText;
  }

  /** A policy file's directory relative to the scan root, `/`-separated: what its path globs are relative to ('' for the root and outside it). */
  private base(file: string): string {
    if (isBundled(file)) return '';
    const dir = dirname(file);
    if (!isInside(this.root, dir)) return '';
    return relative(this.root, dir).split(sep).join('/');
  }

  /** Why `extends` may not read `file`, or undefined: it must be a YAML file inside the root, beside the policy the run started from, or under --allow-extends-from. */
  private extendsProblem(file: string): string | undefined {
    if (!/\.ya?ml$/i.test(file)) return 'a policy file is YAML and its name ends in .yaml or .yml';
    const allowed = [this.root, ...(this.topDir !== undefined ? [this.topDir] : []), ...this.extendsFrom];
    const inside = (path: string) => allowed.some((dir) => isInside(dir, path) || isInside(realOrSelf(dir), path));
    // Lexically first (nothing is revealed about files outside), then through symbolic links.
    if (!inside(file) || (existsSync(file) && !inside(realOrSelf(file)))) {
      return `${this.display(file)} is outside the repository (${this.display(this.root) || '.'})${this.topDir !== undefined && this.topDir !== this.root ? ` and the policy's directory (${this.display(this.topDir)})` : ''}: a policy may only extend policy files there (--allow-extends-from DIR allows another directory)`;
    }
    return undefined;
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
        const why = (code !== undefined ? READ_ERRORS[code] : undefined) ?? code ?? String(err);
        if (via !== undefined) throw new PolicyError({ file: via.location.path, line: via.location.line, column: via.location.column, message: `extends: cannot read \`${via.value}\` (${this.display(file)}): ${why}` });
        throw new PolicyError({ file: this.display(file), message: `cannot read policy file: ${why}` });
      }
      // A file reached through `extends` that is not a policy at all is named, never quoted: its
      // lines could be anyone's secrets.
      const notPolicy = via !== undefined && !isBundled(file) ? notAPolicy(text) : undefined;
      if (notPolicy !== undefined && via !== undefined) {
        throw new PolicyError({ file: via.location.path, line: via.location.line, column: via.location.column, message: `extends: \`${via.value}\` (${this.display(file)}) is not an imagedrift policy: ${notPolicy}` });
      }
      const base = this.base(file);
      layer = parsePolicy(text, { id: file, display: this.display(file), ...(isBundled(file) ? { bundled: true } : {}), ...(base !== '' ? { base } : {}) });
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
    const file = resolve(dirname(from), ref.value);
    const problem = this.extendsProblem(file);
    if (problem !== undefined) throw new PolicyError({ file: ref.location.path, line: ref.location.line, column: ref.location.column, message: `extends: \`${ref.value}\`: ${problem}` });
    return file;
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
    for (const ref of parents) result.push(...this.chain(this.target(ref, file), ref, [...stack, file]));
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
    if (!isBundled(file)) this.topDir = dirname(file);
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
export function discoverPolicy(options: { policyFile?: string; cwd?: string; root?: string; extendsFrom?: readonly string[] }): DiscoveredPolicy {
  const cwd = options.cwd ?? process.cwd();
  const root = options.root ?? findRepoRoot(cwd) ?? cwd;
  const load = { cwd, root, ...(options.extendsFrom !== undefined ? { extendsFrom: options.extendsFrom } : {}) };
  if (options.policyFile !== undefined) return { policy: loadPolicyFile(options.policyFile, load), file: resolve(cwd, options.policyFile) };
  const found = findPolicyFile(cwd, options.root ?? findRepoRoot(cwd));
  if (found !== undefined) return { policy: loadPolicyFile(found, load), file: found };
  return { policy: loadBundledPolicy('default', { cwd }) };
}
