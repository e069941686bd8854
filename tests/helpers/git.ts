// Test helper: real git repositories. A bare repository as the remote (a local path, as a remote
// on a file server would be), a clone to work in, and git run with an isolated configuration (no
// system or global config: the machine's own identity or credential helpers never leak in). Also
// serves a bare repository over HTTP with git's own CGI (git http-backend), for pushes that must
// carry an Authorization header.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** An environment for git (and for imagedrift runs that call git) with no system or global config. */
export function isolatedGitEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const home = mkdtempSync(join(tmpdir(), 'imagedrift-git-home-'));
  const global = join(home, 'gitconfig');
  writeFileSync(global, '');
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: global, GIT_TERMINAL_PROMPT: '0', ...extra };
  for (const key of ['GIT_AUTHOR_NAME', 'GIT_AUTHOR_EMAIL', 'GIT_COMMITTER_NAME', 'GIT_COMMITTER_EMAIL', 'GIT_DIR', 'GIT_WORK_TREE', 'GIT_INDEX_FILE', 'GITHUB_ACTIONS', 'GITHUB_TOKEN', 'GH_TOKEN', 'GITHUB_REPOSITORY', 'GITHUB_API_URL', 'GITLAB_CI', 'GITLAB_TOKEN', 'CI_JOB_TOKEN', 'CI_PROJECT_ID', 'CI_API_V4_URL']) {
    if (!(key in extra)) delete env[key];
  }
  return env;
}

export interface TestRepo {
  /** The bare repository (the remote `origin`). */
  bare: string;
  /** The working clone. */
  work: string;
  env: NodeJS.ProcessEnv;
  /** git in the working clone. */
  git(...args: string[]): string;
  /** git in the bare repository. */
  bareGit(...args: string[]): string;
  /** Writes files (relative paths) in the clone, commits them on the current branch and pushes. */
  commit(files: Record<string, string>, message?: string): string;
  /** The text of a file at a ref of the remote, or undefined when the ref or file does not exist. */
  show(ref: string, path: string): string | undefined;
  /** The commit a branch of the remote points at, or undefined. */
  tip(branch: string): string | undefined;
}

export function makeRepo(files: Record<string, string>, env: NodeJS.ProcessEnv = isolatedGitEnv()): TestRepo {
  const dir = mkdtempSync(join(tmpdir(), 'imagedrift-repo-'));
  const bare = join(dir, 'remote.git');
  const work = join(dir, 'work');
  const run = (cwd: string, args: string[]) => execFileSync('git', args, { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  mkdirSync(bare);
  run(bare, ['init', '--quiet', '--bare', '--initial-branch=main']);
  run(dir, ['clone', '--quiet', bare, work]);
  run(work, ['config', 'user.name', 'Repo Owner']);
  run(work, ['config', 'user.email', 'owner@example.com']);
  const repo: TestRepo = {
    bare,
    work,
    env,
    git: (...args) => run(work, args),
    bareGit: (...args) => run(bare, args),
    commit(changes, message = 'change') {
      for (const [name, text] of Object.entries(changes)) {
        mkdirSync(dirname(join(work, name)), { recursive: true });
        writeFileSync(join(work, name), text);
      }
      run(work, ['add', '-A']);
      run(work, ['commit', '--quiet', '-m', message]);
      run(work, ['push', '--quiet', 'origin', 'HEAD']);
      return run(work, ['rev-parse', 'HEAD']);
    },
    show(ref, path) {
      try {
        return execFileSync('git', ['show', `${ref}:${path}`], { cwd: bare, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
      } catch {
        return undefined;
      }
    },
    tip(branch) {
      try {
        return run(bare, ['rev-parse', '--verify', '--quiet', `refs/heads/${branch}`]);
      } catch {
        return undefined;
      }
    },
  };
  repo.commit(files, 'initial');
  run(work, ['remote', 'set-head', 'origin', 'main']);
  return repo;
}

export interface GitHttpServer {
  /** `http://127.0.0.1:<port>` */
  origin: string;
  /** The Authorization header of every request, in order. */
  authorizations: Array<string | undefined>;
  stop(): Promise<void>;
}

/**
 * Serves the bare repositories under `root` (`<origin>/<name>.git`) with `git http-backend`,
 * answering 401 (Basic) to any request whose Authorization is not `expected`.
 */
export async function serveGitOverHttp(root: string, expected: string, env: NodeJS.ProcessEnv): Promise<GitHttpServer> {
  const authorizations: Array<string | undefined> = [];
  const server = http.createServer((req, res) => {
    authorizations.push(req.headers.authorization);
    if (req.headers.authorization !== expected) {
      req.resume();
      res.writeHead(401, { 'www-authenticate': 'Basic realm="git"' }).end('unauthorized\n');
      return;
    }
    const url = new URL(req.url ?? '/', 'http://localhost');
    const cgi = spawn('git', ['http-backend'], {
      env: {
        ...env,
        GIT_PROJECT_ROOT: root,
        GIT_HTTP_EXPORT_ALL: '1',
        REMOTE_USER: 'x-access-token',
        REQUEST_METHOD: req.method ?? 'GET',
        PATH_INFO: decodeURIComponent(url.pathname),
        QUERY_STRING: url.search.slice(1),
        CONTENT_TYPE: req.headers['content-type'] ?? '',
        ...(req.headers['content-encoding'] !== undefined ? { HTTP_CONTENT_ENCODING: req.headers['content-encoding'] } : {}),
        ...(req.headers['git-protocol'] !== undefined ? { GIT_PROTOCOL: String(req.headers['git-protocol']) } : {}),
      },
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    req.pipe(cgi.stdin);
    let head = Buffer.alloc(0);
    let headersDone = false;
    cgi.stdout.on('data', (chunk: Buffer) => {
      if (headersDone) {
        res.write(chunk);
        return;
      }
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end === -1) return;
      headersDone = true;
      let status = 200;
      for (const line of head.subarray(0, end).toString('latin1').split('\r\n')) {
        const colon = line.indexOf(':');
        const name = line.slice(0, colon).trim();
        const value = line.slice(colon + 1).trim();
        if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10);
        else res.setHeader(name, value);
      }
      res.statusCode = status;
      res.write(head.subarray(end + 4));
    });
    cgi.on('close', () => res.end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    authorizations,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
