// Test helper: a loopback GitLab REST API v4 for one project: the project, merge requests (list by
// state and source branch with X-Next-Page pagination, create, update, close), users by name, and
// repository branches (read and delete) answered from the real bare git repository the test pushes
// to. It records every call and refuses any without the token (PRIVATE-TOKEN or JOB-TOKEN).
import { execFileSync } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RecordedCall } from './fake-github.js';

export interface FakeMergeRequest {
  iid: number;
  title: string;
  description: string;
  state: 'opened' | 'closed';
  source_branch: string;
  target_branch: string;
  source_project_id: number;
  labels: string[];
  reviewer_ids: number[];
  remove_source_branch: boolean;
}

export interface FakeGitLab {
  /** `http://127.0.0.1:<port>/api/v4` */
  url: string;
  calls: Array<RecordedCall & { token?: string }>;
  mergeRequests: FakeMergeRequest[];
  writes(): RecordedCall[];
  stop(): Promise<void>;
}

export interface FakeGitLabOptions {
  projectId: number;
  /** `group/project` */
  path: string;
  /** The header and value every call must carry: `private-token` or `job-token`. */
  token: { header: 'private-token' | 'job-token'; value: string };
  bare: string;
  env: NodeJS.ProcessEnv;
  users?: Record<string, number>;
}

export async function startFakeGitLab(options: FakeGitLabOptions): Promise<FakeGitLab> {
  const calls: FakeGitLab['calls'] = [];
  const mergeRequests: FakeMergeRequest[] = [];
  const webUrl = `https://gitlab.example/${options.path}`;
  const refOf = (branch: string): string | undefined => {
    try {
      return execFileSync('git', ['rev-parse', '--verify', '--quiet', `refs/heads/${branch}`], { cwd: options.bare, env: options.env, encoding: 'utf8' }).trim();
    } catch {
      return undefined;
    }
  };
  const json = (mr: FakeMergeRequest) => ({ ...mr, web_url: `${webUrl}/-/merge_requests/${mr.iid}`, target_project_id: options.projectId });

  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk: Buffer) => (raw += chunk.toString()));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const body = raw === '' ? undefined : (JSON.parse(raw) as Record<string, unknown>);
      const token = req.headers[options.token.header];
      calls.push({ method: req.method ?? 'GET', path: url.pathname, query: Object.fromEntries(url.searchParams), ...(body !== undefined ? { body } : {}), ...(typeof token === 'string' ? { token } : {}) });
      const send = (status: number, data?: unknown, headers: Record<string, string> = {}) => {
        res.writeHead(status, { 'content-type': 'application/json', ...headers });
        res.end(data === undefined ? '' : JSON.stringify(data));
      };
      if (token !== options.token.value) return send(401, { message: '401 Unauthorized' });
      // The project is named by id or by its URL-encoded path, as GitLab accepts both.
      const match = /^\/api\/v4\/projects\/([^/]+)(\/.*)?$/.exec(url.pathname);
      const id = match !== null ? decodeURIComponent(match[1]!) : undefined;
      const rest = match?.[2] ?? '';
      if (url.pathname === '/api/v4/users' && req.method === 'GET') {
        const name = url.searchParams.get('username') ?? '';
        const userId = options.users?.[name];
        return send(200, userId !== undefined ? [{ id: userId, username: name }] : []);
      }
      if (id !== String(options.projectId) && id !== options.path) return send(404, { message: '404 Project Not Found' });
      if (req.method === 'GET' && rest === '') return send(200, { id: options.projectId, path_with_namespace: options.path, default_branch: 'main', web_url: webUrl });
      if (req.method === 'GET' && rest === '/merge_requests') {
        const state = url.searchParams.get('state');
        const source = url.searchParams.get('source_branch');
        const perPage = Number(url.searchParams.get('per_page') ?? 20);
        const page = Number(url.searchParams.get('page') ?? 1);
        const matching = mergeRequests.filter((mr) => (state === null || state === 'all' || mr.state === state) && (source === null || mr.source_branch === source));
        const more = page * perPage < matching.length;
        return send(200, matching.slice((page - 1) * perPage, page * perPage).map(json), { 'x-next-page': more ? String(page + 1) : '' });
      }
      if (req.method === 'POST' && rest === '/merge_requests') {
        const source = String(body?.source_branch);
        if (refOf(source) === undefined) return send(400, { message: { source_branch: ['is invalid'] } });
        if (mergeRequests.some((mr) => mr.state === 'opened' && mr.source_branch === source)) return send(409, { message: ['Another open merge request already exists for this source branch'] });
        const mr: FakeMergeRequest = {
          iid: mergeRequests.length + 1,
          title: String(body?.title),
          description: String(body?.description ?? ''),
          state: 'opened',
          source_branch: source,
          target_branch: String(body?.target_branch),
          source_project_id: options.projectId,
          labels: typeof body?.labels === 'string' ? body.labels.split(',') : [],
          reviewer_ids: Array.isArray(body?.reviewer_ids) ? (body.reviewer_ids as number[]) : [],
          remove_source_branch: body?.remove_source_branch === true,
        };
        mergeRequests.push(mr);
        return send(201, json(mr));
      }
      const mrMatch = /^\/merge_requests\/(\d+)$/.exec(rest);
      if (req.method === 'PUT' && mrMatch !== null) {
        const mr = mergeRequests.find((m) => m.iid === Number(mrMatch[1]));
        if (mr === undefined) return send(404, { message: '404 Not found' });
        if (typeof body?.title === 'string') mr.title = body.title;
        if (typeof body?.description === 'string') mr.description = body.description;
        if (body?.state_event === 'close') mr.state = 'closed';
        return send(200, json(mr));
      }
      const branchMatch = /^\/repository\/branches\/(.+)$/.exec(rest);
      if (branchMatch !== null) {
        const branch = decodeURIComponent(branchMatch[1]!);
        const sha = refOf(branch);
        if (sha === undefined) return send(404, { message: '404 Branch Not Found' });
        if (req.method === 'GET') return send(200, { name: branch, commit: { id: sha } });
        if (req.method === 'DELETE') {
          execFileSync('git', ['update-ref', '-d', `refs/heads/${branch}`], { cwd: options.bare, env: options.env });
          return send(204);
        }
      }
      send(404, { message: `404 Not Found: ${req.method} ${url.pathname}` });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/api/v4`,
    calls,
    mergeRequests,
    writes: () => calls.filter((call) => call.method !== 'GET'),
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
