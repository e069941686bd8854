// --changed-since in a real temporary git repository: committed, staged, unstaged and untracked
// changes are scanned; unchanged, ignored and deleted files are not; odd file names survive; a
// branch behind the base is compared with the merge base, not with the base's tip.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

const bin = join(import.meta.dirname, '..', '..', 'bin', 'imagedrift.js');
const ENV: NodeJS.ProcessEnv = {
  PATH: process.env.PATH,
  NO_COLOR: '1',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_AUTHOR_NAME: 'test',
  GIT_AUTHOR_EMAIL: 'test@example.invalid',
  GIT_COMMITTER_NAME: 'test',
  GIT_COMMITTER_EMAIL: 'test@example.invalid',
};

let repo: string;

function pod(name: string, image: string): string {
  return `apiVersion: v1\nkind: Pod\nmetadata: {name: ${name}}\nspec:\n  containers:\n    - name: c\n      image: ${image}\n`;
}

function write(path: string, text: string): void {
  mkdirSync(dirname(join(repo, path)), { recursive: true });
  writeFileSync(join(repo, path), text);
}

function git(...args: string[]): string {
  return execFileSync('git', args, { cwd: repo, env: { ...ENV, HOME: repo }, encoding: 'utf8' });
}

function cli(args: string[], cwd = repo) {
  const result = spawnSync(process.execPath, [bin, ...args], { cwd, encoding: 'utf8', env: { ...ENV, HOME: repo } });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** The files the report has findings in. */
function files(stdout: string): string[] {
  return [...new Set(stdout.split('\n').filter((line) => /:\d+:\d+: /.test(line)).map((line) => line.slice(0, line.search(/:\d+:\d+: /))))].sort();
}

beforeAll(() => {
  repo = mkdtempSync(join(tmpdir(), 'imagedrift-git-'));
  git('init', '--quiet', '--initial-branch=main');
  write('.gitignore', 'build/\n');
  write('a.yaml', pod('a', 'nginx:latest'));
  write('b.yaml', pod('b', 'redis:latest'));
  write('sub/c.yaml', pod('c', 'alpine:latest'));
  write('sub/d.yaml', pod('d', 'busybox:latest'));
  write('gone.yaml', pod('gone', 'httpd:latest'));
  git('add', '-A');
  git('commit', '--quiet', '-m', 'base');
  git('tag', 'base');
  write('b.yaml', pod('b', 'redis:7')); // committed after base
  git('rm', '--quiet', 'gone.yaml'); // deleted after base
  git('commit', '--quiet', '-am', 'second');
  write('a.yaml', pod('a', 'nginx:stable')); // unstaged
  write('staged.yaml', pod('s', 'memcached:latest'));
  git('add', 'staged.yaml'); // staged, new
  write('sub/d.yaml', pod('d', 'busybox:1.36')); // unstaged, in a subdirectory
  write('new dir/ünïcode.yaml', pod('u', 'traefik:latest')); // untracked, with a space and non-ASCII
  write('build/out.yaml', pod('o', 'caddy:latest')); // ignored
});

describe('imagedrift scan --changed-since (real git repository)', () => {
  it('scans what changed since a ref: committed, staged, unstaged and untracked', () => {
    const result = cli(['scan', '--changed-since', 'base']);
    expect(result.stderr).toBe('');
    expect(files(result.stdout)).toEqual(['a.yaml', 'b.yaml', 'new dir/ünïcode.yaml', 'staged.yaml', 'sub/d.yaml']);
    expect(result.stdout).not.toContain('sub/c.yaml'); // unchanged
    expect(result.stdout).not.toContain('build/'); // ignored
    expect(result.code).toBe(1);
  });

  it('against HEAD leaves out what was committed', () => {
    expect(files(cli(['scan', '--changed-since', 'HEAD']).stdout)).toEqual(['a.yaml', 'new dir/ünïcode.yaml', 'staged.yaml', 'sub/d.yaml']);
  });

  it('combines with the paths given and works from a subdirectory', () => {
    expect(files(cli(['scan', '--changed-since', 'base', 'sub']).stdout)).toEqual(['sub/d.yaml']);
    expect(files(cli(['scan', '--changed-since', 'base', '.'], join(repo, 'sub')).stdout)).toEqual(['d.yaml']);
    expect(files(cli(['scan', '--changed-since', 'base', 'sub/c.yaml', 'a.yaml']).stdout)).toEqual(['a.yaml']);
  });

  it('scans nothing when nothing changed', () => {
    const clean = mkdtempSync(join(tmpdir(), 'imagedrift-git-clean-'));
    execFileSync('git', ['init', '--quiet'], { cwd: clean, env: { ...ENV, HOME: clean } });
    writeFileSync(join(clean, 'a.yaml'), pod('a', 'nginx:latest'));
    execFileSync('git', ['add', '-A'], { cwd: clean, env: { ...ENV, HOME: clean } });
    execFileSync('git', ['commit', '--quiet', '-m', 'one'], { cwd: clean, env: { ...ENV, HOME: clean } });
    const result = cli(['scan', '--changed-since', 'HEAD'], clean);
    expect(result.stdout).toBe('0 findings (0 errors, 0 warnings, 0 notes) in 0 files, 0 image references\n');
    expect(result.code).toBe(0);
  });

  it('exits 2 on an unknown ref, an option-like ref, or outside a repository', () => {
    const unknown = cli(['scan', '--changed-since', 'origin/nope']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe('imagedrift: --changed-since origin/nope: not a commit in this repository (fetch it first: shallow CI clones lack the base branch)\n');
    const optionLike = cli(['scan', '--changed-since=--output=/tmp/x']);
    expect(optionLike.code).toBe(2);
    expect(optionLike.stderr).toBe('imagedrift: --changed-since: `--output=/tmp/x` is not a git revision\n');
    const outside = mkdtempSync(join(tmpdir(), 'imagedrift-nogit-'));
    const noRepo = cli(['scan', '--changed-since', 'HEAD'], outside);
    expect(noRepo.code).toBe(2);
    expect(noRepo.stderr).toMatch(/^imagedrift: --changed-since HEAD: fatal: not a git repository/);
    rmSync(outside, { recursive: true, force: true });
  });

  it('compares with the merge base: what only the base branch changed is not blamed on a branch behind it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'imagedrift-git-behind-'));
    const run = (...args: string[]) => execFileSync('git', args, { cwd: dir, env: { ...ENV, HOME: dir }, encoding: 'utf8' });
    run('init', '--quiet', '--initial-branch=main');
    writeFileSync(join(dir, 'shared.yaml'), pod('shared', 'nginx:latest'));
    writeFileSync(join(dir, 'other.yaml'), pod('other', 'redis:latest'));
    run('add', '-A');
    run('commit', '--quiet', '-m', 'base');
    run('checkout', '--quiet', '-b', 'feature');
    writeFileSync(join(dir, 'mine.yaml'), pod('mine', 'alpine:latest'));
    run('add', '-A');
    run('commit', '--quiet', '-m', 'feature work');
    run('checkout', '--quiet', 'main');
    writeFileSync(join(dir, 'shared.yaml'), pod('shared', 'nginx:1.27.0')); // only main changes these
    writeFileSync(join(dir, 'other.yaml'), pod('other', 'redis:7.2.4'));
    run('commit', '--quiet', '-am', 'main moves on');
    run('checkout', '--quiet', 'feature');
    writeFileSync(join(dir, 'wip.yaml'), pod('wip', 'httpd:latest')); // untracked on the branch
    const result = cli(['scan', '--changed-since', 'main'], dir);
    expect(result.stderr).toBe('');
    // `git diff main` would also list shared.yaml and other.yaml (the branch has main's old versions).
    expect(files(result.stdout)).toEqual(['mine.yaml', 'wip.yaml']);
  });

  it('exits 2 when the ref and HEAD have no common ancestor', () => {
    const dir = mkdtempSync(join(tmpdir(), 'imagedrift-git-orphan-'));
    const run = (...args: string[]) => execFileSync('git', args, { cwd: dir, env: { ...ENV, HOME: dir }, encoding: 'utf8' });
    run('init', '--quiet', '--initial-branch=main');
    writeFileSync(join(dir, 'a.yaml'), pod('a', 'nginx:latest'));
    run('add', '-A');
    run('commit', '--quiet', '-m', 'one');
    run('checkout', '--quiet', '--orphan', 'other');
    run('commit', '--quiet', '-m', 'unrelated');
    const result = cli(['scan', '--changed-since', 'main'], dir);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('imagedrift: --changed-since main: main and HEAD have no common ancestor in this clone (a shallow clone may not reach it: fetch more history, e.g. actions/checkout with fetch-depth: 0)\n');
  });
});
