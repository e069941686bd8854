// `--changed-since REF`: the files this branch changed since it left REF, as a pull request shows
// them (`git diff REF...HEAD`), plus staged, unstaged and untracked (not ignored) files. The
// working tree is compared with the merge base of REF and HEAD (`git diff --name-only $(git
// merge-base REF HEAD)`), so a branch behind REF is not blamed for what only REF changed. git runs
// with execFile, never through a shell.
import { execFile } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { UsageError } from './outputs.js';

const run = promisify(execFile);

async function git(args: string[], cwd: string, what: string): Promise<string> {
  try {
    const { stdout } = await run('git', args, { cwd, maxBuffer: 256 * 1024 * 1024, encoding: 'utf8' });
    return stdout;
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    const detail = e.code === 'ENOENT' ? 'git is not installed (or not on PATH)' : (e.stderr ?? '').trim().split('\n')[0] || String(err);
    throw new UsageError(`--changed-since ${what}: ${detail}`);
  }
}

export interface ChangedFiles {
  /** The repository's top level, as git reports it. */
  root: string;
  /** Absolute paths of the changed and untracked files. */
  files: Set<string>;
}

export async function changedFiles(ref: string, cwd: string): Promise<ChangedFiles> {
  if (ref === '' || ref.startsWith('-')) throw new UsageError(`--changed-since: \`${ref}\` is not a git revision`);
  const root = (await git(['rev-parse', '--show-toplevel'], cwd, ref)).trim();
  // An unknown ref is a usage error with a hint, not git's "ambiguous argument"; `--` after the
  // ref below keeps git from reading it as a path.
  await git(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], root, ref).catch(() => {
    throw new UsageError(`--changed-since ${ref}: not a commit in this repository (fetch it first: shallow CI clones lack the base branch)`);
  });
  // The merge base: where this branch left REF. A shallow clone may not reach it.
  const base = (
    await git(['merge-base', `${ref}^{commit}`, 'HEAD'], root, ref).catch(() => {
      throw new UsageError(`--changed-since ${ref}: ${ref} and HEAD have no common ancestor in this clone (a shallow clone may not reach it: fetch more history, e.g. actions/checkout with fetch-depth: 0)`);
    })
  ).trim();
  const diff = await git(['-c', 'core.quotePath=false', 'diff', '--name-only', '--no-relative', '-z', base, '--'], root, ref);
  const untracked = await git(['ls-files', '--others', '--exclude-standard', '-z'], root, ref);
  const files = new Set<string>();
  for (const name of [...diff.split('\0'), ...untracked.split('\0')]) if (name !== '') files.add(join(root, name));
  return { root, files };
}

function real(path: string): string | undefined {
  try {
    return realpathSync(path);
  } catch {
    return undefined;
  }
}

/** A source filter that keeps only the changed files (compared by absolute and by real path). */
export function changedFilter(changed: ChangedFiles): (path: string) => boolean {
  const realRoot = real(changed.root);
  const files = new Set(changed.files);
  if (realRoot !== undefined && realRoot !== changed.root) for (const file of changed.files) files.add(join(realRoot, file.slice(changed.root.length)));
  return (path) => {
    if (files.has(resolve(path))) return true;
    const target = real(path);
    return target !== undefined && files.has(target);
  };
}
