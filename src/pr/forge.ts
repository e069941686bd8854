// What `imagedrift pr` needs of a forge (GitHub, GitLab): the repository, its open change requests
// from our branches, creating, updating and closing one, and a branch's tip and deletion.
// Implemented by github.ts (the REST API through @octokit/rest) and gitlab.ts (REST v4).

export interface ChangeRequest {
  /** The pull request number, or the merge request iid. */
  number: number;
  url: string;
  title: string;
  body: string;
  /** The source branch. */
  branch: string;
  /** The target branch. */
  base: string;
}

export interface RepositoryInfo {
  defaultBranch: string;
  /** The repository's web page (`https://github.com/acme/shop`). */
  webUrl: string;
}

export interface CreateRequest {
  branch: string;
  base: string;
  title: string;
  body: string;
  labels: readonly string[];
  /** User names; `org/team` is a team on GitHub. */
  reviewers: readonly string[];
}

export interface Forge {
  /** `pull request` or `merge request`, for messages and bodies. */
  readonly noun: string;
  /** `#12` or `!12`. */
  ref(number: number): string;
  repository(): Promise<RepositoryInfo>;
  /** Open requests whose source branch, in this repository (not a fork), is one of `branches` or starts with `prefix`. */
  openRequests(branches: readonly string[], prefix: string | undefined): Promise<ChangeRequest[]>;
  create(request: CreateRequest): Promise<ChangeRequest & { warnings: string[] }>;
  update(number: number, changes: { title: string; body: string }): Promise<void>;
  close(number: number, body: string): Promise<void>;
  /** The commit a branch points at, or undefined when there is no such branch. */
  branchTip(branch: string): Promise<string | undefined>;
  deleteBranch(branch: string): Promise<void>;
  /** A link to a file (at a line) at a commit. */
  blobUrl(webUrl: string, commit: string, path: string, line?: number): string;
}

export class ForgeError extends Error {}

/** Host and path of a git remote URL: `https://github.com/acme/shop.git`, `git@github.com:acme/shop.git`, `ssh://git@host:2222/group/sub/project`. */
export function parseRemoteUrl(remote: string): { host: string; path: string; origin?: string } | undefined {
  const scp = /^(?:[^@/\s]+@)?([^:/\s]+):(?!\/)(.+?)(?:\.git)?\/?$/.exec(remote);
  if (scp !== null && !/^[a-z][a-z0-9+.-]*:\/\//i.test(remote)) return { host: scp[1]!.toLowerCase(), path: scp[2]! };
  let url: URL;
  try {
    url = new URL(remote);
  } catch {
    return undefined;
  }
  if (!['https:', 'http:', 'ssh:', 'git:', 'git+ssh:', 'ssh+git:'].includes(url.protocol)) return undefined;
  const path = decodeURIComponent(url.pathname).replace(/^\/+/, '').replace(/\.git\/?$/, '').replace(/\/+$/, '');
  if (path === '') return undefined;
  return { host: url.hostname.toLowerCase(), path, ...(url.protocol === 'https:' || url.protocol === 'http:' ? { origin: url.origin } : {}) };
}
