// The user's own `git`, run with execFile (never a shell): reading the checkout, building a commit
// without touching the working tree or the index (a temporary index file), and talking to the
// remote with the remote and credentials git already has. A token, when one is given, goes to git
// as an HTTP extra header through the environment (GIT_CONFIG_COUNT, for this run's git processes
// only): never on a command line, never in .git/config, never in output (gitError() redacts it).
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export class GitError extends Error {}

export interface GitOptions {
  /** The repository's top directory (commands run there). */
  cwd: string;
  /**
   * An `Authorization` header for the remote's HTTP origin (`https://github.com`), added to the
   * requests of git processes that talk to the remote, and to no other origin.
   */
  auth?: { origin: string; header: string; secret: string };
  /** Per git process; fetch and push may take long on a slow link. Default 120 s. */
  timeoutMs?: number;
}

export interface GitResult {
  stdout: string;
  stderr: string;
}

/** Bytes of output kept from one git process (a tree listing of a large repository fits). */
const MAX_OUTPUT = 256 * 1024 * 1024;

/** Control characters git or a remote could print, shown escaped. */
function printable(text: string): string {
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export class Git {
  constructor(private readonly options: GitOptions) {}

  get cwd(): string {
    return this.options.cwd;
  }

  /** What a message may show of git's output: the secret and any credentials in URLs removed. */
  redact(text: string): string {
    let out = text;
    const secret = this.options.auth?.secret;
    if (secret !== undefined && secret !== '') out = out.split(secret).join('***');
    const header = this.options.auth?.header;
    if (header !== undefined) out = out.split(header).join('Authorization: ***');
    return printable(out.replace(/(\b[a-z][a-z0-9+.-]*:\/\/)[^/@\s:]+(:[^/@\s]*)?@/gi, '$1***@'));
  }

  private env(remote: boolean, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_ASKPASS: '', SSH_ASKPASS: '', LC_ALL: 'C', ...extra };
    // Git's own environment config (GIT_CONFIG_COUNT) is replaced, not extended: it is ours for this run.
    for (const key of Object.keys(env)) if (/^GIT_CONFIG_(COUNT|KEY_\d+|VALUE_\d+)$/.test(key)) delete env[key];
    const auth = this.options.auth;
    if (remote && auth !== undefined) {
      // An empty value first drops headers the checkout may have kept for that origin (actions/checkout
      // stores its token as http.<origin>/.extraheader): one Authorization header, ours.
      const key = `http.${auth.origin}/.extraheader`;
      Object.assign(env, { GIT_CONFIG_COUNT: '2', GIT_CONFIG_KEY_0: key, GIT_CONFIG_VALUE_0: '', GIT_CONFIG_KEY_1: key, GIT_CONFIG_VALUE_1: auth.header });
    }
    return env;
  }

  /** Runs git; throws GitError with git's (redacted) message when it fails. */
  run(args: readonly string[], opts: { input?: string; remote?: boolean; env?: NodeJS.ProcessEnv; allowFailure?: boolean } = {}): Promise<GitResult & { code: number }> {
    return new Promise((resolve, reject) => {
      const child = execFile(
        'git',
        [...args],
        { cwd: this.options.cwd, env: this.env(opts.remote === true, opts.env), maxBuffer: MAX_OUTPUT, timeout: this.options.timeoutMs ?? 120_000, encoding: 'utf8' },
        (err, stdout, stderr) => {
          const code = err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : -1;
          if (err !== null && (opts.allowFailure !== true || code < 0)) {
            const killed = (err as { killed?: boolean }).killed === true ? ` (stopped after ${Math.round((this.options.timeoutMs ?? 120_000) / 1000)}s)` : '';
            const detail = this.redact(String(stderr || err.message).trim()).split('\n').slice(-6).join('\n');
            reject(new GitError(`git ${args[0] ?? ''} failed${killed}: ${detail}`));
            return;
          }
          resolve({ stdout, stderr, code });
        },
      );
      if (opts.input !== undefined) child.stdin?.end(opts.input);
      else child.stdin?.end();
    });
  }

  async text(args: readonly string[], opts: { input?: string; remote?: boolean; env?: NodeJS.ProcessEnv } = {}): Promise<string> {
    return (await this.run(args, opts)).stdout.trim();
  }

  /** The top of the repository containing `dir`, or undefined outside one. */
  static async topLevel(dir: string): Promise<string | undefined> {
    const git = new Git({ cwd: dir });
    const out = await git.run(['rev-parse', '--show-toplevel'], { allowFailure: true }).catch(() => undefined);
    return out !== undefined && out.code === 0 ? out.stdout.trim() : undefined;
  }

  /** Tracked files with uncommitted changes (staged or not), relative to the top. */
  async dirtyFiles(): Promise<string[]> {
    const out = await this.run(['status', '--porcelain=v1', '-z', '--untracked-files=no', '--ignore-submodules=none']);
    const entries = out.stdout.split('\0').filter((entry) => entry !== '');
    const files: string[] = [];
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i]!;
      files.push(entry.slice(3));
      if (entry[0] === 'R' || entry[0] === 'C') i++; // a rename's source path follows
    }
    return files;
  }

  /** Tracked regular files (not symlinks, not submodules) with their mode, relative to the top. */
  async trackedFiles(): Promise<Map<string, string>> {
    const out = await this.run(['ls-files', '--stage', '-z']);
    const files = new Map<string, string>();
    for (const entry of out.stdout.split('\0')) {
      const match = /^(100644|100755) [0-9a-f]+ 0\t(.+)$/s.exec(entry);
      if (match !== null) files.set(match[2]!, match[1]!);
    }
    return files;
  }

  /** The commit checked out, and its branch (undefined when HEAD is detached, as in most CI checkouts). */
  async head(): Promise<{ commit: string; branch?: string }> {
    const out = await this.run(['rev-parse', 'HEAD^{commit}', '--symbolic-full-name', 'HEAD', '--'], { allowFailure: true });
    const [commit = '', name = ''] = out.stdout.trim().split('\n');
    if (out.code !== 0 || !/^[0-9a-f]{40,64}$/.test(commit)) throw new GitError('the checkout has no commit yet (git rev-parse HEAD failed)');
    return { commit, ...(name.startsWith('refs/heads/') ? { branch: name.slice('refs/heads/'.length) } : {}) };
  }

  async remoteUrl(remote: string): Promise<string> {
    const out = await this.run(['remote', 'get-url', remote], { allowFailure: true });
    if (out.code !== 0) throw new GitError(`no git remote named \`${remote}\` (git remote -v lists them; --remote names another)`);
    return out.stdout.trim();
  }

  /** The remote's default branch as the checkout knows it (refs/remotes/<remote>/HEAD), if it does. */
  async remoteDefaultBranch(remote: string): Promise<string | undefined> {
    const out = await this.run(['symbolic-ref', '-q', '--short', `refs/remotes/${remote}/HEAD`], { allowFailure: true });
    return out.code === 0 ? out.stdout.trim().replace(`${remote}/`, '') : undefined;
  }

  async isShallow(): Promise<boolean> {
    return (await this.text(['rev-parse', '--is-shallow-repository'])) === 'true';
  }

  /** The commit a branch of the remote points at, or undefined when it has no such branch. */
  async remoteBranch(remote: string, branch: string): Promise<string | undefined> {
    const out = await this.text(['ls-remote', '--heads', remote, `refs/heads/${branch}`], { remote: true });
    const line = out.split('\n').find((l) => l.endsWith(`\trefs/heads/${branch}`));
    return line === undefined ? undefined : line.split('\t')[0];
  }

  /** Fetches a branch's tip (objects only: no ref, no FETCH_HEAD), so its commit can be read. */
  async fetchBranch(remote: string, branch: string): Promise<void> {
    const depth = (await this.isShallow()) ? ['--depth=1'] : [];
    await this.run(['fetch', '--quiet', '--no-tags', '--no-write-fetch-head', '--no-recurse-submodules', ...depth, remote, `refs/heads/${branch}`], { remote: true });
  }

  /** A commit's tree, parents and message. */
  async commitInfo(commit: string): Promise<{ tree: string; parents: string[]; message: string }> {
    const out = await this.run(['cat-file', 'commit', commit]);
    const [head = '', ...rest] = out.stdout.split('\n\n');
    const tree = /^tree ([0-9a-f]+)$/m.exec(head)?.[1] ?? '';
    const parents = [...head.matchAll(/^parent ([0-9a-f]+)$/gm)].map((m) => m[1]!);
    return { tree, parents, message: rest.join('\n\n') };
  }

  /**
   * A commit of `files` (path relative to the top → new text, with their mode) on top of `parent`,
   * made with a temporary index: the working tree, the index and every ref stay as they are. The
   * texts go through the checkout's clean filters (`.gitattributes` eol, for instance), as `git add` does.
   */
  async commitFiles(parent: string, files: ReadonlyMap<string, { text: string; mode: string }>, message: string, author?: { name: string; email: string }): Promise<{ commit: string; tree: string }> {
    const tree = await this.treeWith(parent, files);
    const identity = author !== undefined ? { GIT_AUTHOR_NAME: author.name, GIT_AUTHOR_EMAIL: author.email, GIT_COMMITTER_NAME: author.name, GIT_COMMITTER_EMAIL: author.email } : {};
    const commit = await this.text(['commit-tree', tree, '-p', parent, '-F', '-'], { input: message, env: identity });
    return { commit, tree };
  }

  /** The tree `parent` would have with `files` changed (objects written, no ref or index touched). */
  async treeWith(parent: string, files: ReadonlyMap<string, { text: string; mode: string }>): Promise<string> {
    const dir = mkdtempSync(join(tmpdir(), 'imagedrift-index-'));
    const env = { GIT_INDEX_FILE: join(dir, 'index') };
    try {
      await this.run(['read-tree', parent], { env });
      const entries: string[] = [];
      for (const [path, { text, mode }] of files) {
        const blob = await this.text(['hash-object', '-w', '--stdin', `--path=${path}`], { input: text });
        entries.push(`${mode} ${blob}\t${path}`);
      }
      await this.run(['update-index', '-z', '--index-info'], { env, input: entries.map((e) => `${e}\0`).join('') });
      return await this.text(['write-tree'], { env });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  /**
   * Pushes `commit` to the remote's `branch`, only if the branch is still at `expected` (absent when
   * undefined): `--force-with-lease` with an explicit value, so a branch someone else moved is never overwritten.
   */
  async push(remote: string, commit: string, branch: string, expected: string | undefined): Promise<void> {
    await this.run(['push', '--quiet', '--porcelain', `--force-with-lease=refs/heads/${branch}:${expected ?? ''}`, remote, `${commit}:refs/heads/${branch}`], { remote: true });
  }

  /** The identity git is configured with (user.name and user.email, or GIT_AUTHOR_*), if any: never one git guesses from the host name. */
  async configuredIdentity(): Promise<{ name: string; email: string } | undefined> {
    const out = await this.run(['config', '--get-regexp', '^user\\.(name|email)$'], { allowFailure: true });
    const config = new Map(out.stdout.split('\n').filter((line) => line !== '').map((line) => [line.slice(0, line.indexOf(' ')), line.slice(line.indexOf(' ') + 1).trim()]));
    const pick = (variable: string, key: string) => (process.env[variable] !== undefined && process.env[variable] !== '' ? process.env[variable] : config.get(key) || undefined);
    const name = pick('GIT_AUTHOR_NAME', 'user.name');
    const email = pick('GIT_AUTHOR_EMAIL', 'user.email');
    return name !== undefined && email !== undefined ? { name, email } : undefined;
  }
}
