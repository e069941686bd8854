// GitLab (gitlab.com or self-managed) through its REST API v4: merge requests instead of pull
// requests. A personal, project or group access token goes as PRIVATE-TOKEN (GITLAB_TOKEN, --token);
// a CI job token as JOB-TOKEN (CI_JOB_TOKEN). Requests go through apiFetch (proxies, timeouts,
// bounded answers, credentials only to the API's origin); nothing that writes is retried.
import type { ApiFetch } from './http.js';
import { urlPath } from './markdown.js';
import type { ChangeRequest, CreateRequest, Forge, RepositoryInfo } from './forge.js';
import { ForgeError } from './forge.js';

export interface GitLabOptions {
  /** `https://gitlab.com/api/v4` (CI_API_V4_URL in GitLab CI). */
  apiUrl: string;
  /** The numeric id (CI_PROJECT_ID) or the path with its namespace (`group/sub/project`). */
  project: string;
  token?: { kind: 'private' | 'job'; value: string };
  fetch: ApiFetch;
  userAgent: string;
}

const MAX_PAGES = 20;

interface MergeRequestLike {
  iid: number;
  web_url: string;
  title: string;
  description?: string | null;
  source_branch: string;
  target_branch: string;
  source_project_id?: number;
  target_project_id?: number;
}

class HttpFailure extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function gitLabForge(options: GitLabOptions): Forge {
  const base = options.apiUrl.replace(/\/+$/, '');
  const project = encodeURIComponent(options.project);
  const headers: Record<string, string> = { accept: 'application/json', 'user-agent': options.userAgent };
  if (options.token !== undefined) headers[options.token.kind === 'job' ? 'job-token' : 'private-token'] = options.token.value;

  async function call<T>(method: string, path: string, body?: Record<string, unknown>): Promise<{ data: T; headers: Headers }> {
    const res = await options.fetch(`${base}${path}`, {
      method,
      headers: { ...headers, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    if (res.status < 200 || res.status >= 300) {
      let message = text.slice(0, 300);
      try {
        const parsed = JSON.parse(text) as { message?: unknown; error?: unknown };
        message = JSON.stringify(parsed.message ?? parsed.error ?? message).slice(0, 300);
      } catch {
        /* not JSON: the text as it is */
      }
      throw new HttpFailure(res.status, message.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' '));
    }
    let data: T;
    try {
      data = (text === '' ? undefined : JSON.parse(text)) as T;
    } catch {
      throw new HttpFailure(res.status, 'the answer is not JSON');
    }
    return { data, headers: res.headers };
  }

  const failure = (what: string, err: unknown): ForgeError => {
    const code = err instanceof HttpFailure ? err.status : undefined;
    const hint = code === 401 ? ' (the token was refused: set GITLAB_TOKEN or --token)' : code === 403 || code === 404 ? ' (the token may lack the `api` and `write_repository` scopes, or the project is wrong)' : '';
    return new ForgeError(`GitLab API: ${what}: ${code !== undefined ? `HTTP ${code}: ` : ''}${err instanceof Error ? err.message : String(err)}${hint}`);
  };
  const toRequest = (mr: MergeRequestLike): ChangeRequest => ({ number: mr.iid, url: mr.web_url, title: mr.title, body: mr.description ?? '', branch: mr.source_branch, base: mr.target_branch });
  let projectId: number | undefined;
  const sameProject = (mr: MergeRequestLike) => projectId === undefined || mr.source_project_id === undefined || mr.source_project_id === projectId;

  return {
    noun: 'merge request',
    ref: (number) => `!${number}`,

    async repository(): Promise<RepositoryInfo> {
      try {
        const { data } = await call<{ id: number; default_branch: string; web_url: string }>('GET', `/projects/${project}`);
        projectId = data.id;
        return { defaultBranch: data.default_branch, webUrl: data.web_url };
      } catch (err) {
        throw failure(`reading the project ${options.project}`, err);
      }
    },

    async openRequests(branches, prefix) {
      const found: ChangeRequest[] = [];
      try {
        if (prefix === undefined) {
          for (const branch of branches) {
            const { data } = await call<MergeRequestLike[]>('GET', `/projects/${project}/merge_requests?state=opened&source_branch=${encodeURIComponent(branch)}&per_page=100`);
            for (const mr of data) if (sameProject(mr) && mr.source_branch === branch) found.push(toRequest(mr));
          }
          return found;
        }
        for (let page = 1; page <= MAX_PAGES; page++) {
          const { data, headers: answer } = await call<MergeRequestLike[]>('GET', `/projects/${project}/merge_requests?state=opened&per_page=100&page=${page}`);
          for (const mr of data) if (sameProject(mr) && (branches.includes(mr.source_branch) || mr.source_branch.startsWith(prefix))) found.push(toRequest(mr));
          const next = answer.get('x-next-page');
          if (data.length < 100 || next === null || next === '') break;
        }
        return found;
      } catch (err) {
        throw failure('listing open merge requests', err);
      }
    },

    async create(request: CreateRequest) {
      const warnings: string[] = [];
      // Reviewers are users by name; GitLab wants their ids.
      const reviewerIds: number[] = [];
      for (const name of request.reviewers) {
        try {
          const { data } = await call<Array<{ id: number; username: string }>>('GET', `/users?username=${encodeURIComponent(name)}`);
          const user = data.find((u) => u.username === name);
          if (user !== undefined) reviewerIds.push(user.id);
          else warnings.push(`GitLab: no user named ${JSON.stringify(name)} to ask for a review`);
        } catch (err) {
          warnings.push(failure(`looking up the reviewer ${JSON.stringify(name)}`, err).message);
        }
      }
      try {
        const { data } = await call<MergeRequestLike>('POST', `/projects/${project}/merge_requests`, {
          source_branch: request.branch,
          target_branch: request.base,
          title: request.title,
          description: request.body,
          remove_source_branch: true,
          ...(request.labels.length > 0 ? { labels: request.labels.join(',') } : {}),
          ...(reviewerIds.length > 0 ? { reviewer_ids: reviewerIds } : {}),
        });
        return { ...toRequest(data), warnings };
      } catch (err) {
        throw failure(`opening a merge request from ${request.branch} into ${request.base}`, err);
      }
    },

    async update(number, changes) {
      try {
        await call('PUT', `/projects/${project}/merge_requests/${number}`, { title: changes.title, description: changes.body });
      } catch (err) {
        throw failure(`updating !${number}`, err);
      }
    },

    async close(number, body) {
      try {
        await call('PUT', `/projects/${project}/merge_requests/${number}`, { state_event: 'close', description: body });
      } catch (err) {
        throw failure(`closing !${number}`, err);
      }
    },

    async branchTip(branch) {
      try {
        const { data } = await call<{ commit?: { id?: string } }>('GET', `/projects/${project}/repository/branches/${encodeURIComponent(branch)}`);
        return data.commit?.id;
      } catch (err) {
        if (err instanceof HttpFailure && err.status === 404) return undefined;
        throw failure(`reading the branch ${branch}`, err);
      }
    },

    async deleteBranch(branch) {
      try {
        await call('DELETE', `/projects/${project}/repository/branches/${encodeURIComponent(branch)}`);
      } catch (err) {
        if (err instanceof HttpFailure && err.status === 404) return;
        throw failure(`deleting the branch ${branch}`, err);
      }
    },

    blobUrl: (webUrl, commit, path, line) => `${webUrl.replace(/\/+$/, '')}/-/blob/${commit}/${urlPath(path)}${line !== undefined ? `#L${line}` : ''}`,
  };
}
