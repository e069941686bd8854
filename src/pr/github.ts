// GitHub (github.com or GitHub Enterprise Server) through its REST API with @octokit/rest, loaded only
// by `imagedrift pr` (in the bundle: its own vendor file). Requests go through apiFetch (proxies,
// timeouts, bounded answers, the token only to the API's origin); nothing that writes is retried.
import type { Octokit } from '@octokit/rest';
import type { ApiFetch } from './http.js';
import { urlPath } from './markdown.js';
import type { ChangeRequest, CreateRequest, Forge, RepositoryInfo } from './forge.js';
import { ForgeError } from './forge.js';

export interface GitHubOptions {
  /** `https://api.github.com`, or `https://github.example.com/api/v3` for GitHub Enterprise Server. */
  apiUrl: string;
  /** `owner/repo`. */
  repository: string;
  token?: string;
  fetch: ApiFetch;
  userAgent: string;
}

/** At most this many pages of open pull requests are read when looking for ours by branch prefix. */
const MAX_PAGES = 20;

interface PullLike {
  number: number;
  html_url: string;
  title: string;
  body?: string | null;
  head: { ref: string; repo?: { full_name?: string } | null };
  base: { ref: string };
}

function status(err: unknown): number | undefined {
  const value = (err as { status?: unknown })?.status;
  return typeof value === 'number' ? value : undefined;
}

/** A GitHub API failure in words: what was asked, the status, GitHub's message; never a header. */
function failure(what: string, err: unknown): ForgeError {
  const code = status(err);
  const message = err instanceof Error ? err.message.split('\n')[0]!.slice(0, 300) : String(err);
  const hint = code === 401 ? ' (the token was refused: set GITHUB_TOKEN or --token)' : code === 403 || code === 404 ? ' (the token may lack `contents: write` and `pull-requests: write`, or the repository name is wrong)' : '';
  return new ForgeError(`GitHub API: ${what}: ${code !== undefined ? `HTTP ${code}: ` : ''}${message}${hint}`);
}

export async function gitHubForge(options: GitHubOptions): Promise<Forge> {
  const [owner, repo] = options.repository.split('/') as [string, string];
  const { Octokit: OctokitClass } = await import('@octokit/rest');
  const octokit: Octokit = new OctokitClass({
    ...(options.token !== undefined ? { auth: options.token } : {}),
    baseUrl: options.apiUrl.replace(/\/+$/, ''),
    userAgent: options.userAgent,
    request: { fetch: options.fetch },
    log: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
  });
  const ours = (pull: PullLike) => (pull.head.repo?.full_name ?? '').toLowerCase() === options.repository.toLowerCase();
  const toRequest = (pull: PullLike): ChangeRequest => ({ number: pull.number, url: pull.html_url, title: pull.title, body: pull.body ?? '', branch: pull.head.ref, base: pull.base.ref });

  return {
    noun: 'pull request',
    ref: (number) => `#${number}`,

    async repository(): Promise<RepositoryInfo> {
      try {
        const { data } = await octokit.rest.repos.get({ owner, repo });
        return { defaultBranch: data.default_branch, webUrl: data.html_url };
      } catch (err) {
        throw failure(`reading ${options.repository}`, err);
      }
    },

    async openRequests(branches, prefix) {
      const found: ChangeRequest[] = [];
      try {
        if (prefix === undefined) {
          for (const branch of branches) {
            const { data } = await octokit.rest.pulls.list({ owner, repo, state: 'open', head: `${owner}:${branch}`, per_page: 100 });
            for (const pull of data as PullLike[]) if (ours(pull) && pull.head.ref === branch) found.push(toRequest(pull));
          }
          return found;
        }
        let pages = 0;
        for await (const { data } of octokit.paginate.iterator(octokit.rest.pulls.list, { owner, repo, state: 'open', per_page: 100 })) {
          for (const pull of data as PullLike[]) if (ours(pull) && (branches.includes(pull.head.ref) || pull.head.ref.startsWith(prefix))) found.push(toRequest(pull));
          if (++pages >= MAX_PAGES) break;
        }
        return found;
      } catch (err) {
        throw failure('listing open pull requests', err);
      }
    },

    async create(request: CreateRequest) {
      let created: PullLike;
      try {
        created = (await octokit.rest.pulls.create({ owner, repo, title: request.title, head: request.branch, base: request.base, body: request.body })).data as PullLike;
      } catch (err) {
        throw failure(`opening a pull request from ${request.branch} into ${request.base}`, err);
      }
      // Labels and reviewers are a courtesy: the pull request stands without them.
      const warnings: string[] = [];
      if (request.labels.length > 0) {
        await octokit.rest.issues.addLabels({ owner, repo, issue_number: created.number, labels: [...request.labels] }).catch((err: unknown) => warnings.push(failure(`labelling #${created.number}`, err).message));
      }
      const teams = request.reviewers.filter((r) => r.includes('/')).map((r) => r.slice(r.indexOf('/') + 1));
      const users = request.reviewers.filter((r) => !r.includes('/'));
      if (teams.length + users.length > 0) {
        await octokit.rest.pulls
          .requestReviewers({ owner, repo, pull_number: created.number, ...(users.length > 0 ? { reviewers: users } : {}), ...(teams.length > 0 ? { team_reviewers: teams } : {}) })
          .catch((err: unknown) => warnings.push(failure(`requesting reviews on #${created.number}`, err).message));
      }
      return { ...toRequest(created), warnings };
    },

    async update(number, changes) {
      try {
        await octokit.rest.pulls.update({ owner, repo, pull_number: number, title: changes.title, body: changes.body });
      } catch (err) {
        throw failure(`updating #${number}`, err);
      }
    },

    async close(number, body) {
      try {
        await octokit.rest.pulls.update({ owner, repo, pull_number: number, state: 'closed', body });
      } catch (err) {
        throw failure(`closing #${number}`, err);
      }
    },

    async branchTip(branch) {
      try {
        const { data } = await octokit.rest.git.getRef({ owner, repo, ref: `heads/${branch}` });
        return data.object.sha;
      } catch (err) {
        if (status(err) === 404) return undefined;
        throw failure(`reading the branch ${branch}`, err);
      }
    },

    async deleteBranch(branch) {
      try {
        await octokit.rest.git.deleteRef({ owner, repo, ref: `heads/${branch}` });
      } catch (err) {
        if (status(err) === 422 || status(err) === 404) return; // already gone
        throw failure(`deleting the branch ${branch}`, err);
      }
    },

    blobUrl: (webUrl, commit, path, line) => `${webUrl.replace(/\/+$/, '')}/blob/${commit}/${urlPath(path)}${line !== undefined ? `#L${line}` : ''}`,
  };
}
