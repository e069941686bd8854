// `imagedrift pr`: pin (refresh, upgrade) the checked-out repository's image references and carry
// the change as one reviewable pull request (GitHub) or merge request (GitLab), kept up to date by
// later runs and closed when nothing is left. The options are defined up front; git, the resolver,
// the pin machinery and the forge clients (@octokit/rest) are loaded when the action runs.
import { realpathSync } from 'node:fs';
import { relative, resolve, sep } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { canonicalReference } from '../core/parse-reference.js';
import type { Finding, ParsedReference } from '../core/types.js';
import type { PinReport, ProposalOutcome } from '../fix/pin.js';
import { formatIssue, PolicyError } from '../policy/errors.js';
import type { CreatedResolver } from '../resolve/create.js';
import type { UpgradeLevel } from '../resolve/version-tags.js';
import { ExitCode } from './exit-codes.js';
import { UsageError } from './outputs.js';
import { onlyFilter, onlySelectorProblems } from './pin.js';
import { addPolicyOptions, setupRun } from './policy-options.js';
import type { PolicyFlags } from './policy-options.js';
import { addResolveOptions, budgetOptions, resolverFrom } from './resolve-options.js';
import type { ResolveFlags } from './resolve-options.js';
import { VERSION } from './version.js';

type Grouping = 'none' | 'sidecars' | 'files';

interface PrFlags extends ResolveFlags, PolicyFlags {
  branch: string;
  base?: string;
  remote: string;
  group: Grouping;
  label: string[];
  reviewer: string[];
  author?: { name: string; email: string };
  dryRun?: boolean;
  refresh: boolean;
  upgrade?: UpgradeLevel;
  prerelease?: boolean;
  keepTag?: boolean;
  style: 'tag-digest' | 'digest';
  only: string[];
  repo?: string;
  apiUrl?: string;
  token?: string;
  gitlab?: boolean;
  gitlabUrl?: string;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** A branch name imagedrift may create: plain characters, no `..`, nothing git would refuse. */
export function parseBranch(value: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._/-]{0,150}$/.test(value) || value.includes('..') || value.includes('//') || value.endsWith('/') || value.endsWith('.') || value.endsWith('.lock') || value.includes('/.') || value.includes('@{')) {
    throw new InvalidArgumentError('expected a branch name of letters, digits, `.`, `_`, `-` and `/` (e.g. imagedrift/pin)');
  }
  return value;
}

function parseAuthor(value: string): { name: string; email: string } {
  const match = /^\s*([^<>\n]+?)\s*<([^<>\s@]+@[^<>\s]+)>\s*$/.exec(value);
  if (match === null) throw new InvalidArgumentError('expected `Name <email@example.com>`');
  return { name: match[1]!, email: match[2]! };
}

function parseName(value: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._\-/ :]{0,99}$/.test(value)) throw new InvalidArgumentError('expected a plain name');
  return value;
}

/** `files`: one branch per file, named after it (`imagedrift/pin-deploy-task-json-3f2a1c`). */
async function fileBranch(base: string, path: string): Promise<string> {
  const { createHash } = await import('node:crypto');
  const slug = path.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 48).replace(/-+$/, '');
  return `${base}-${slug}-${createHash('sha256').update(path).digest('hex').slice(0, 6)}`;
}

export function prCommand(): Command {
  const command = new Command('pr')
    .description('Pin, refresh and upgrade the image references of the checked-out repository on a branch, and open (or update, or close) one reviewable pull request for it on GitHub, or a merge request on GitLab.')
    .argument('[paths...]', 'files or directories to pin (tracked files only)', ['.'])
    .addOption(new Option('--branch <name>', 'the branch the change is pushed to').argParser(parseBranch).default('imagedrift/pin'))
    .option('--base <branch>', 'the branch the request targets (default: the repository\'s default branch)')
    .option('--remote <name>', 'the git remote to push to', 'origin')
    .addOption(new Option('--group <how>', 'none: one request for everything; sidecars: one for sidecars (<branch>-sidecars) and one for the rest; files: one per file').choices(['none', 'sidecars', 'files']).default('none'))
    .addOption(new Option('--label <name>', 'a label for a new request; repeatable').argParser((v: string, p: string[]) => collect(parseName(v), p)).default([]))
    .addOption(new Option('--reviewer <name>', 'ask this user (or org/team on GitHub) to review a new request; repeatable').argParser((v: string, p: string[]) => collect(parseName(v), p)).default([]))
    .addOption(new Option('--author <name-and-email>', 'commit as `Name <email>` (default: git\'s user.name and user.email, else github-actions[bot] on GitHub Actions, else imagedrift)').argParser(parseAuthor))
    .option('--dry-run', 'print the branch, commit message and request body; write nothing (no commit, no push, no API call that writes)')
    .option('--no-refresh', 'do not re-pin tag@digest references whose tag moved')
    .addOption(new Option('--upgrade <level>', 'also move exact versions to the newest release at this level (patch, minor, major)').choices(['patch', 'minor', 'major']))
    .option('--prerelease', 'with --upgrade: pre-releases count as releases')
    .option('--keep-tag', 'keep tags as written (:latest@sha256:…) instead of the version tag sharing the digest')
    .addOption(new Option('--style <style>', 'tag-digest or digest, as for pin').choices(['tag-digest', 'digest']).default('tag-digest'))
    .addOption(new Option('--only <selector>', 'only changes for this rule id, role or path glob, as for pin; repeatable').argParser(collect).default([]))
    .option('--repo <owner/name>', 'the repository (GitHub: owner/name; GitLab: the project path or id) (default: $GITHUB_REPOSITORY or $CI_PROJECT_ID, else from the remote\'s URL)')
    .option('--api-url <url>', 'GitHub\'s API (default: $GITHUB_API_URL, else https://api.github.com, or https://<host>/api/v3 for GitHub Enterprise remotes)')
    .option('--token <token>', 'the API token (default: $GITHUB_TOKEN or $GH_TOKEN; on GitLab $GITLAB_TOKEN, else $CI_JOB_TOKEN); prefer the environment: options show in process lists')
    .option('--gitlab', 'open a GitLab merge request (the default inside GitLab CI)')
    .option('--gitlab-url <url>', 'GitLab\'s API v4 (default: $CI_API_V4_URL, else https://<remote host>/api/v4)');
  return addResolveOptions(addPolicyOptions(command))
    .addHelpText(
      'after',
      `
Examples:
  $ imagedrift pr                                  one pull request pinning everything
  $ imagedrift pr --dry-run .                      show the branch, commit message and body
  $ imagedrift pr --group sidecars --label deps    sidecars apart, so they can be merged first
  $ imagedrift pr --upgrade patch deploy/          also take patch releases
  $ imagedrift pr --gitlab                         a GitLab merge request

Exit codes: 0 done (opened, updated, unchanged, closed or nothing to do), 2 usage error (a dirty
working tree, no token, not a git checkout), 3 some references could not be resolved, or a
request or branch could not be written.`,
    )
    .action(async (paths: string[], flags: PrFlags) => {
      const created: { resolver?: CreatedResolver; fetch?: { close(): void } } = {};
      try {
        process.exitCode = await runPr(paths, flags, created);
      } catch (err) {
        if (err instanceof PolicyError) {
          for (const issue of err.issues) process.stderr.write(`${formatIssue(issue)}\n`);
          process.exitCode = ExitCode.USAGE;
        } else if (err instanceof UsageError) {
          process.stderr.write(`imagedrift: ${err.message}\n`);
          process.exitCode = ExitCode.USAGE;
        } else throw err;
      } finally {
        created.resolver?.close();
        created.fetch?.close();
      }
    });
}

async function runPr(paths: string[], flags: PrFlags, created: { resolver?: CreatedResolver; fetch?: { close(): void } }): Promise<number> {
  const cwd = realpathSync(process.cwd());
  const [{ Git, GitError }, { ForgeError, parseRemoteUrl }] = await Promise.all([import('../pr/git.js'), import('../pr/forge.js')]);
  const root = await Git.topLevel(cwd);
  if (root === undefined) throw new UsageError('imagedrift pr works on a git checkout; run it inside one');
  const local = new Git({ cwd: root });
  const dirty = await local.dirtyFiles();
  if (dirty.length > 0) {
    const shown = dirty.slice(0, 5).map((file) => JSON.stringify(file)).join(', ');
    throw new UsageError(`imagedrift pr needs a clean working tree, and ${dirty.length} tracked file${dirty.length === 1 ? ' has' : 's have'} uncommitted changes (${shown}${dirty.length > 5 ? ', …' : ''}): commit or stash them first`);
  }
  const onlyProblems = onlySelectorProblems(flags.only, paths, cwd, { upgrade: flags.upgrade !== undefined });
  if (onlyProblems.length > 0) throw new UsageError(onlyProblems.join('\nimagedrift: '));
  const setup = await setupRun(flags, cwd);
  const tracked = await local.trackedFiles();
  const { commit: baseCommit, branch: currentBranch } = await local.head().catch((err: unknown) => {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  });
  const toRepo = (path: string): string => relative(root, resolve(cwd, path)).split(sep).join('/');

  // The forge: GitHub unless asked for GitLab (or inside GitLab CI).
  const gitlab = flags.gitlab === true || process.env.GITLAB_CI === 'true';
  const remoteUrl = await local.remoteUrl(flags.remote).catch((err: unknown) => {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  });
  const remote = parseRemoteUrl(remoteUrl);
  const env = (name: string) => (process.env[name] !== undefined && process.env[name] !== '' ? process.env[name] : undefined);
  let forge: import('../pr/forge.js').Forge | undefined;
  let token: { value: string; gitUser: string } | undefined;
  const userAgent = `imagedrift/${VERSION}`;
  const { apiFetch } = await import('../pr/http.js');
  const { ProxyConfigError, proxySettingsFromEnv } = await import('../resolve/proxy.js');
  let proxy;
  try {
    proxy = proxySettingsFromEnv();
  } catch (err) {
    if (err instanceof ProxyConfigError) throw new UsageError(err.message);
    throw err;
  }
  if (gitlab) {
    const project = flags.repo ?? env('CI_PROJECT_ID') ?? remote?.path;
    const apiUrl = flags.gitlabUrl ?? env('CI_API_V4_URL') ?? (remote !== undefined ? `https://${remote.host}/api/v4` : undefined);
    if (project === undefined || apiUrl === undefined) throw new UsageError(`cannot tell the GitLab project from the remote ${JSON.stringify(remoteUrl)}: give --repo group/project and --gitlab-url https://gitlab.example.com/api/v4`);
    const value = flags.token ?? env('GITLAB_TOKEN');
    const job = value === undefined ? env('CI_JOB_TOKEN') : undefined;
    if (value === undefined && job === undefined && flags.dryRun !== true) throw new UsageError('imagedrift pr --gitlab needs a token: set GITLAB_TOKEN (a project access token with the api and write_repository scopes), or run in GitLab CI (CI_JOB_TOKEN)');
    const fetch = apiFetch({ origin: apiUrl, timeoutMs: flags.timeout, proxy });
    created.fetch = fetch;
    const { gitLabForge } = await import('../pr/gitlab.js');
    if (value !== undefined || job !== undefined) {
      token = { value: (value ?? job)!, gitUser: value !== undefined ? 'oauth2' : 'gitlab-ci-token' };
      forge = gitLabForge({ apiUrl, project, token: value !== undefined ? { kind: 'private', value } : { kind: 'job', value: job! }, fetch, userAgent });
    }
  } else {
    const repository = flags.repo ?? env('GITHUB_REPOSITORY') ?? remote?.path;
    if (repository === undefined || !/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/.test(repository)) {
      throw new UsageError(`cannot tell the GitHub repository (owner/name) from ${repository !== undefined ? JSON.stringify(repository) : `the remote ${JSON.stringify(remoteUrl)}`}: give --repo owner/name`);
    }
    const apiUrl = flags.apiUrl ?? env('GITHUB_API_URL') ?? (remote === undefined || remote.host === 'github.com' ? 'https://api.github.com' : `https://${remote.host}/api/v3`);
    const value = flags.token ?? env('GITHUB_TOKEN') ?? env('GH_TOKEN');
    if (value === undefined && flags.dryRun !== true) throw new UsageError('imagedrift pr needs a GitHub token: set GITHUB_TOKEN (on GitHub Actions: `env: GITHUB_TOKEN: ${{ secrets.GITHUB_TOKEN }}` with `contents: write` and `pull-requests: write`)');
    if (value !== undefined) {
      const fetch = apiFetch({ origin: apiUrl, timeoutMs: flags.timeout, proxy });
      created.fetch = fetch;
      const { gitHubForge } = await import('../pr/github.js');
      token = { value, gitUser: 'x-access-token' };
      forge = await gitHubForge({ apiUrl, repository, token: value, fetch, userAgent });
    }
  }

  const info = forge !== undefined ? await forge.repository() : undefined;
  const base = flags.base ?? info?.defaultBranch ?? (info === undefined ? await local.remoteDefaultBranch(flags.remote) : undefined) ?? currentBranch;
  if (base === undefined) throw new UsageError('cannot tell which branch to target: give --base');

  // Never the default branch, the base, or the branch checked out here; checked before any work
  // for the branches known now, and again for those named after files.
  const refuseBranch = (branch: string): void => {
    const forbidden: Array<[string | undefined, string]> = [[info?.defaultBranch, 'the default branch'], [base, 'the base branch'], [currentBranch, 'the branch checked out here']];
    const hit = forbidden.find(([name]) => name !== undefined && branch === name);
    if (hit !== undefined) throw new UsageError(`--branch ${flags.branch}: imagedrift pr never pushes to ${hit[1]} (${branch}); choose another --branch`);
  };
  if (flags.group !== 'files') refuseBranch(flags.branch);
  if (flags.group === 'sidecars') refuseBranch(`${flags.branch}-sidecars`);

  // The token goes to git only for the repository's own web origin, over HTTP(S).
  const webOrigin = info !== undefined ? new URL(info.webUrl).origin : undefined;
  const auth =
    token !== undefined && remote?.origin !== undefined && webOrigin !== undefined && remote.origin === webOrigin
      ? { origin: remote.origin, header: `Authorization: Basic ${Buffer.from(`${token.gitUser}:${token.value}`).toString('base64')}`, secret: token.value }
      : undefined;
  const git = new Git({ cwd: root, ...(auth !== undefined ? { auth } : {}), timeoutMs: Math.max(120_000, flags.timeout * 8) });

  // What to pin, and how: each unique reference is asked about once, whatever the groups.
  const warn = (message: string): void => void process.stderr.write(`imagedrift: warning: ${git.redact(message)}\n`);
  const [{ pinPaths }, { relativePaths }, { createProposer }, { withBudget }, { Semaphore }] = await Promise.all([
    import('../fix/pin.js'),
    import('../scan/scan.js'),
    import('../fix/propose.js'),
    import('../resolve/budget.js'),
    import('../resolve/limit.js'),
  ]);
  created.resolver = await resolverFrom(flags, warn);
  const proposer = createProposer({
    session: created.resolver.session,
    policy: setup.policy,
    refresh: flags.refresh,
    ...(flags.upgrade !== undefined ? { upgrade: flags.upgrade } : {}),
    prerelease: flags.prerelease === true,
    ...(flags.platform !== undefined ? { platform: flags.platform } : {}),
    now: Date.now(),
    onWarning: warn,
  });
  const { budgetMs, budgetLabel } = budgetOptions(flags);
  const turns = new Semaphore(32);
  const memo = new Map<string, Promise<ProposalOutcome>>();
  const propose = (parsed: ParsedReference): Promise<ProposalOutcome> => {
    const key = canonicalReference(parsed);
    let outcome = memo.get(key);
    if (outcome === undefined) {
      outcome = turns.run(() => withBudget(budgetMs, budgetLabel, () => proposer(parsed)));
      memo.set(key, outcome);
    }
    return outcome;
  };
  const userOnly = onlyFilter(flags.only, cwd);
  const trackedOnly = (path: string) => tracked.has(toRepo(path)) && (setup.filter === undefined || setup.filter(path));
  const pinWith = (only: ((finding: Finding) => boolean) | undefined, within: readonly string[] = paths): Promise<PinReport> =>
    pinPaths(within, {
      policy: setup.policy,
      now: setup.now,
      relativePath: relativePaths(setup.root),
      filter: trackedOnly,
      style: flags.style,
      keepTag: flags.keepTag === true,
      refresh: flags.refresh || flags.only.includes('tag-moved'),
      upgrade: flags.upgrade !== undefined,
      propose,
      dryRun: true,
      keepOutput: true,
      ...(only !== undefined ? { only } : {}),
    });
  const both = (a: ((f: Finding) => boolean) | undefined, b: (f: Finding) => boolean) => (f: Finding) => (a === undefined || a(f)) && b(f);

  const { closeStale, runGroup } = await import('../pr/run.js');
  type GroupPlan = import('../pr/run.js').GroupPlan;
  const plans: GroupPlan[] = [];
  const errors: string[] = [];
  const toPlan = (report: PinReport, branch: string, label?: string, onlyPath?: string): GroupPlan => {
    const inScope = (path: string) => onlyPath === undefined || toRepo(path) === onlyPath;
    for (const item of report.errors) errors.push(item);
    const refused = report.files.filter((file) => file.refused !== undefined && inScope(file.path));
    return {
      branch,
      ...(label !== undefined ? { label } : {}),
      files: report.files
        .filter((file) => file.refused === undefined && file.output !== undefined && file.pinned.length > 0 && inScope(file.path))
        .map((file) => ({ path: toRepo(file.path), output: file.output!, mode: tracked.get(toRepo(file.path)) ?? '100644', pinned: file.pinned })),
      waiting: report.waiting.filter((w) => inScope(w.path)).map((w) => ({ ...w, path: toRepo(w.path) })),
      left: [
        ...report.left.filter((l) => inScope(l.path)).map((l) => ({ ...l, path: toRepo(l.path) })),
        ...refused.map((file) => ({ path: toRepo(file.path), line: 1, column: 1, image: '(the whole file)', reason: file.refused! })),
      ],
    };
  };
  if (flags.group === 'sidecars') {
    plans.push(toPlan(await pinWith(both(userOnly, (f) => f.container?.role === 'sidecar')), `${flags.branch}-sidecars`, 'sidecars'));
    plans.push(toPlan(await pinWith(both(userOnly, (f) => f.container?.role !== 'sidecar')), flags.branch, 'rest'));
  } else if (flags.group === 'files') {
    const report = await pinWith(userOnly);
    const touched = new Set([...report.files.filter((f) => f.pinned.length > 0 || f.refused !== undefined).map((f) => f.path), ...report.waiting.map((w) => w.path), ...report.left.map((l) => l.path)].map(toRepo));
    for (const path of [...touched].sort()) plans.push(toPlan(report, await fileBranch(flags.branch, path), path, path));
  } else {
    plans.push(toPlan(await pinWith(userOnly), flags.branch));
  }

  for (const plan of plans) refuseBranch(plan.branch);

  const author = flags.author ?? (flags.dryRun === true ? undefined : await local.configuredIdentity()) ?? (process.env.GITHUB_ACTIONS === 'true' ? { name: 'github-actions[bot]', email: '41898282+github-actions[bot]@users.noreply.github.com' } : { name: 'imagedrift', email: 'imagedrift@users.noreply.invalid' });
  const say = (line: string) => void process.stdout.write(`${git.redact(line)}\n`);
  const ctx = {
    git,
    ...(forge !== undefined ? { forge } : {}),
    remote: flags.remote,
    base,
    baseCommit,
    ...(info !== undefined ? { webUrl: info.webUrl } : {}),
    dryRun: flags.dryRun === true,
    labels: flags.label,
    reviewers: flags.reviewer,
    author,
    version: VERSION,
    say,
  };
  let failed = errors.length > 0;
  for (const error of errors) process.stderr.write(`imagedrift: ${git.redact(error)}\n`);
  for (const plan of plans) {
    for (const w of plan.waiting) say(`${plan.branch}: waiting: ${w.path}:${w.line}:${w.column}: ${w.image}: ${w.reason}`);
    for (const l of plan.left) say(`${plan.branch}: not changed: ${l.path}:${l.line}:${l.column}: ${l.image}: ${l.reason}`);
    if (plan.left.length > 0) failed = true;
  }
  let requests: import('../pr/forge.js').ChangeRequest[] = [];
  try {
    if (forge !== undefined) requests = await forge.openRequests(plans.map((plan) => plan.branch), flags.group === 'files' ? `${flags.branch}-` : undefined);
    for (const plan of plans) {
      try {
        const outcome = await runGroup(ctx, plan, requests);
        for (const warning of outcome.warnings) process.stderr.write(`imagedrift: warning: ${git.redact(warning)}\n`);
        if (outcome.status === 'refused') failed = true;
      } catch (err) {
        if (!(err instanceof GitError || err instanceof ForgeError)) throw err;
        process.stderr.write(`imagedrift: ${plan.branch}: ${git.redact(err.message)}\n`);
        failed = true;
      }
    }
    if (flags.group === 'files' && forge !== undefined) {
      const stale = await closeStale(ctx, requests, new Set(plans.map((plan) => plan.branch)));
      for (const outcome of stale) for (const warning of outcome.warnings) process.stderr.write(`imagedrift: warning: ${git.redact(warning)}\n`);
    }
  } catch (err) {
    if (!(err instanceof GitError || err instanceof ForgeError)) throw err;
    process.stderr.write(`imagedrift: ${git.redact(err.message)}\n`);
    failed = true;
  }
  return failed ? ExitCode.INCOMPLETE : ExitCode.OK;
}
