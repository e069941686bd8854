// Test helper: a loopback GitHub REST API for one repository, used through the real @octokit/rest:
// the repository, pull requests (list with head filter and Link pagination, create, update, close),
// labels, requested reviewers, and git refs (read and delete), answered from the real bare git
// repository the test pushes to. It records every call and refuses any without the token.
import { execFileSync } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedCall {
  method: string;
  path: string;
  query: Record<string, string>;
  body?: Record<string, unknown>;
  authorization?: string;
}

export interface FakePull {
  number: number;
  title: string;
  body: string;
  state: 'open' | 'closed';
  head: string;
  base: string;
  /** A pull request from a fork has its head in another repository. */
  headRepo: string;
  labels: string[];
  reviewers: string[];
  teamReviewers: string[];
}

export interface FakeGitHub {
  /** `http://127.0.0.1:<port>` (the API's base URL: no /api/v3 prefix, as api.github.com). */
  url: string;
  calls: RecordedCall[];
  pulls: FakePull[];
  /** Calls that change something (anything but GET). */
  writes(): RecordedCall[];
  stop(): Promise<void>;
}

export interface FakeGitHubOptions {
  owner: string;
  repo: string;
  token: string;
  /** The bare repository whose branches the API reports and deletes. */
  bare: string;
  env: NodeJS.ProcessEnv;
  defaultBranch?: string;
  /** The repository's html_url (default `https://github.example/<owner>/<repo>`). */
  htmlUrl?: string;
  /** Page size cap, to exercise pagination (default 100). */
  maxPerPage?: number;
}

export async function startFakeGitHub(options: FakeGitHubOptions): Promise<FakeGitHub> {
  const calls: RecordedCall[] = [];
  const pulls: FakePull[] = [];
  const full = `${options.owner}/${options.repo}`;
  const htmlUrl = options.htmlUrl ?? `https://github.example/${full}`;
  const refOf = (branch: string): string | undefined => {
    try {
      return execFileSync('git', ['rev-parse', '--verify', '--quiet', `refs/heads/${branch}`], { cwd: options.bare, env: options.env, encoding: 'utf8' }).trim();
    } catch {
      return undefined;
    }
  };
  const pullJson = (p: FakePull) => ({
    number: p.number,
    html_url: `${htmlUrl}/pull/${p.number}`,
    title: p.title,
    body: p.body,
    state: p.state,
    head: { ref: p.head, sha: refOf(p.head) ?? '0'.repeat(40), repo: { full_name: p.headRepo } },
    base: { ref: p.base, repo: { full_name: full } },
    labels: p.labels.map((name) => ({ name })),
  });

  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk: Buffer) => (raw += chunk.toString()));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const body = raw === '' ? undefined : (JSON.parse(raw) as Record<string, unknown>);
      const call: RecordedCall = { method: req.method ?? 'GET', path: url.pathname, query: Object.fromEntries(url.searchParams), ...(body !== undefined ? { body } : {}), ...(req.headers.authorization !== undefined ? { authorization: req.headers.authorization } : {}) };
      calls.push(call);
      const send = (status: number, data?: unknown, headers: Record<string, string> = {}) => {
        res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
        res.end(data === undefined ? '' : JSON.stringify(data));
      };
      if (req.headers.authorization !== `token ${options.token}` && req.headers.authorization !== `bearer ${options.token}`) {
        send(401, { message: 'Bad credentials' });
        return;
      }
      const base = `/repos/${full}`;
      const path = url.pathname;
      const number = (prefix: string) => Number(path.slice(prefix.length).split('/')[0]);
      const pull = (n: number) => pulls.find((p) => p.number === n);

      if (req.method === 'GET' && path === base) {
        send(200, { full_name: full, default_branch: options.defaultBranch ?? 'main', html_url: htmlUrl });
      } else if (req.method === 'GET' && path === `${base}/pulls`) {
        const head = url.searchParams.get('head');
        const state = url.searchParams.get('state') ?? 'open';
        const perPage = Math.min(Number(url.searchParams.get('per_page') ?? 30), options.maxPerPage ?? 100);
        const page = Number(url.searchParams.get('page') ?? 1);
        const matching = pulls.filter((p) => (state === 'all' || p.state === state) && (head === null || `${p.headRepo.split('/')[0]}:${p.head}` === head));
        const slice = matching.slice((page - 1) * perPage, page * perPage);
        const more = page * perPage < matching.length;
        const next = new URL(url.href.replace('http://localhost', `http://127.0.0.1:${(server.address() as AddressInfo).port}`));
        next.searchParams.set('page', String(page + 1));
        send(200, slice.map(pullJson), more ? { link: `<${next.href}>; rel="next"` } : {});
      } else if (req.method === 'POST' && path === `${base}/pulls`) {
        const head = String(body?.head);
        const baseBranch = String(body?.base);
        if (refOf(head) === undefined || refOf(baseBranch) === undefined) {
          send(422, { message: 'Validation Failed', errors: [{ resource: 'PullRequest', field: refOf(head) === undefined ? 'head' : 'base', code: 'invalid' }] });
          return;
        }
        if (pulls.some((p) => p.state === 'open' && p.head === head)) {
          send(422, { message: 'Validation Failed', errors: [{ message: `A pull request already exists for ${options.owner}:${head}.` }] });
          return;
        }
        const created: FakePull = { number: pulls.length + 1, title: String(body?.title), body: String(body?.body ?? ''), state: 'open', head, base: baseBranch, headRepo: full, labels: [], reviewers: [], teamReviewers: [] };
        pulls.push(created);
        send(201, pullJson(created));
      } else if (req.method === 'PATCH' && path.startsWith(`${base}/pulls/`)) {
        const p = pull(number(`${base}/pulls/`));
        if (p === undefined) return send(404, { message: 'Not Found' });
        if (typeof body?.title === 'string') p.title = body.title;
        if (typeof body?.body === 'string') p.body = body.body;
        if (body?.state === 'closed' || body?.state === 'open') p.state = body.state;
        send(200, pullJson(p));
      } else if (req.method === 'POST' && path.startsWith(`${base}/issues/`) && path.endsWith('/labels')) {
        const p = pull(number(`${base}/issues/`));
        if (p === undefined) return send(404, { message: 'Not Found' });
        p.labels.push(...((body?.labels as string[]) ?? []));
        send(200, p.labels.map((name) => ({ name })));
      } else if (req.method === 'POST' && path.startsWith(`${base}/pulls/`) && path.endsWith('/requested_reviewers')) {
        const p = pull(number(`${base}/pulls/`));
        if (p === undefined) return send(404, { message: 'Not Found' });
        p.reviewers.push(...((body?.reviewers as string[]) ?? []));
        p.teamReviewers.push(...((body?.team_reviewers as string[]) ?? []));
        send(201, pullJson(p));
      } else if (req.method === 'GET' && decodeURIComponent(path).startsWith(`${base}/git/ref/heads/`)) {
        // Octokit sends the ref percent-encoded (`heads%2Fimagedrift%2Fpin`), as GitHub accepts.
        const branch = decodeURIComponent(path).slice(`${base}/git/ref/heads/`.length);
        const sha = refOf(branch);
        if (sha === undefined) return send(404, { message: 'Not Found' });
        send(200, { ref: `refs/heads/${branch}`, object: { sha, type: 'commit' } });
      } else if (req.method === 'DELETE' && decodeURIComponent(path).startsWith(`${base}/git/refs/heads/`)) {
        const branch = decodeURIComponent(path).slice(`${base}/git/refs/heads/`.length);
        if (refOf(branch) === undefined) return send(422, { message: 'Reference does not exist' });
        execFileSync('git', ['update-ref', '-d', `refs/heads/${branch}`], { cwd: options.bare, env: options.env });
        send(204);
      } else {
        send(404, { message: `Not Found: ${req.method} ${path}` });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    pulls,
    writes: () => calls.filter((call) => call.method !== 'GET'),
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
