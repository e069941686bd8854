// `imagedrift pr`, once the changes are known: for each group (one branch and one request), commit
// the changed files on top of the checked-out commit, push the branch with a lease, and open or
// update the request; close the request and delete the branch when nothing is left. Idempotent: a
// branch whose tree already holds the changes is not pushed again, and a request whose title and
// body are unchanged is not written. Requests without our marker, and branches with commits that are
// not ours, are never touched.
import type { LeftAlone, PinnedReference, Waiting } from '../fix/pin.js';
import { body as renderBody, closedBody, commitMessage, hasTrailer, isOurs, title as renderTitle } from './body.js';
import type { ChangeRequest, Forge } from './forge.js';
import type { Git } from './git.js';

export interface GroupPlan {
  /** For titles and bodies: `sidecars`, `rest`, a file's path, or undefined for one request for all. */
  label?: string;
  branch: string;
  files: Array<{ path: string; output: string; mode: string; pinned: PinnedReference[] }>;
  waiting: Array<Waiting & { path: string }>;
  left: Array<LeftAlone & { path: string }>;
}

export interface PrContext {
  git: Git;
  /** Undefined only in a dry run without API access. */
  forge?: Forge;
  remote: string;
  /** The branch requests target. */
  base: string;
  /** The checked-out commit the changes are made on. */
  baseCommit: string;
  webUrl?: string;
  dryRun: boolean;
  labels: readonly string[];
  reviewers: readonly string[];
  author?: { name: string; email: string };
  version: string;
  /** Prints one line of the run's account (stdout). */
  say: (line: string) => void;
}

export type GroupStatus = 'opened' | 'updated' | 'unchanged' | 'closed' | 'kept' | 'nothing' | 'refused' | 'dry-run';

export interface GroupOutcome {
  branch: string;
  status: GroupStatus;
  request?: ChangeRequest;
  pushed?: string;
  warnings: string[];
}

const normalise = (text: string) => text.replace(/\r\n/g, '\n').trimEnd();

/** Is the remote branch's tip a commit of ours (our trailer, one parent)? */
async function tipIsOurs(ctx: PrContext, branch: string, tip: string): Promise<boolean> {
  await ctx.git.fetchBranch(ctx.remote, branch);
  const info = await ctx.git.commitInfo(tip);
  return info.parents.length === 1 && hasTrailer(info.message, branch);
}

/** Closes our request for a branch (if any) and deletes the branch (if its tip is ours). */
async function closeGroup(ctx: PrContext, branch: string, mine: ChangeRequest | undefined): Promise<GroupOutcome> {
  const forge = ctx.forge!;
  const warnings: string[] = [];
  if (ctx.dryRun) {
    ctx.say(`${branch}: nothing left to change${mine !== undefined ? `: would close ${forge.noun} ${forge.ref(mine.number)} and delete the branch` : ''}`);
    return { branch, status: 'dry-run', warnings };
  }
  const tip = await ctx.git.remoteBranch(ctx.remote, branch);
  if (mine === undefined && tip === undefined) {
    ctx.say(`${branch}: nothing to change`);
    return { branch, status: 'nothing', warnings };
  }
  if (mine !== undefined) await forge.close(mine.number, closedBody(branch, forge.noun));
  if (tip !== undefined) {
    if (await tipIsOurs(ctx, branch, tip)) await forge.deleteBranch(branch);
    else warnings.push(`${branch}: the branch has commits imagedrift did not make; it was not deleted`);
  }
  ctx.say(`${branch}: nothing left to change: ${mine !== undefined ? `closed ${forge.noun} ${forge.ref(mine.number)}` : 'no open request'}${tip !== undefined && warnings.length === 0 ? ' and deleted the branch' : ''}`);
  return { branch, status: 'closed', ...(mine !== undefined ? { request: mine } : {}), warnings };
}

export async function runGroup(ctx: PrContext, group: GroupPlan, requests: readonly ChangeRequest[]): Promise<GroupOutcome> {
  const { branch } = group;
  const forge = ctx.forge;
  const existing = requests.filter((request) => request.branch === branch);
  const foreign = existing.find((request) => !isOurs(request.body, branch));
  if (foreign !== undefined && forge !== undefined) {
    return { branch, status: 'refused', warnings: [`${branch}: ${forge.noun} ${forge.ref(foreign.number)} (${foreign.url}) comes from this branch but was not opened by imagedrift; not touching it or the branch (choose another --branch)`] };
  }
  const mine = existing.find((request) => isOurs(request.body, branch));

  if (group.files.length === 0) {
    // Something could not be done or waits: what the request holds may still be right; leave it.
    if (group.left.length > 0 || group.waiting.length > 0) {
      ctx.say(`${branch}: nothing new to change (${group.waiting.length} waiting, ${group.left.length} not changed)${mine !== undefined && forge !== undefined ? `; ${forge.noun} ${forge.ref(mine.number)} left as it is` : ''}`);
      return { branch, status: 'kept', ...(mine !== undefined ? { request: mine } : {}), warnings: [] };
    }
    if (forge === undefined) {
      ctx.say(`${branch}: nothing to change`);
      return { branch, status: ctx.dryRun ? 'dry-run' : 'nothing', warnings: [] };
    }
    return closeGroup(ctx, branch, mine);
  }

  const noun = forge?.noun ?? 'pull request';
  const webUrl = ctx.webUrl;
  const link = forge !== undefined && webUrl !== undefined ? (path: string, line?: number) => forge.blobUrl(webUrl, ctx.baseCommit, path, line) : undefined;
  const files = group.files.map(({ path, pinned }) => ({ path, pinned }));
  const input = { branch, ...(group.label !== undefined ? { group: group.label } : {}), files, waiting: group.waiting, left: group.left, noun, version: ctx.version, ...(link !== undefined ? { link } : {}) };
  const message = commitMessage(input);
  const title = renderTitle(input);
  const text = renderBody(input);

  if (ctx.dryRun) {
    ctx.say(`branch: ${branch}${mine !== undefined && forge !== undefined ? ` (updates ${noun} ${forge.ref(mine.number)})` : ''}`);
    ctx.say('commit message:');
    for (const line of message.trimEnd().split('\n')) ctx.say(`  ${line}`);
    ctx.say(`${noun} title: ${title}`);
    ctx.say(`${noun} body:`);
    for (const line of text.trimEnd().split('\n')) ctx.say(`  ${line}`);
    return { branch, status: 'dry-run', warnings: [] };
  }
  if (forge === undefined) throw new Error('no forge');

  const warnings: string[] = [];
  const changed = new Map(group.files.map((file) => [file.path, { text: file.output, mode: file.mode }]));
  const tip = await ctx.git.remoteBranch(ctx.remote, branch);
  let pushed: string | undefined;
  if (tip !== undefined && !(await tipIsOurs(ctx, branch, tip))) {
    return { branch, status: 'refused', warnings: [`${branch}: the branch has commits imagedrift did not make; not touching it (merge or delete it, or choose another --branch)`] };
  }
  const tree = await ctx.git.treeWith(ctx.baseCommit, changed);
  const current = tip !== undefined ? await ctx.git.commitInfo(tip) : undefined;
  if (current === undefined || current.tree !== tree) {
    const { commit } = await ctx.git.commitFiles(ctx.baseCommit, changed, message, ctx.author);
    await ctx.git.push(ctx.remote, commit, branch, tip);
    pushed = commit;
  }

  if (mine === undefined) {
    const created = await forge.create({ branch, base: ctx.base, title, body: text, labels: ctx.labels, reviewers: ctx.reviewers });
    for (const item of created.warnings) warnings.push(item);
    ctx.say(`${branch}: ${pushed !== undefined ? `pushed ${pushed.slice(0, 12)}, ` : ''}opened ${noun} ${forge.ref(created.number)}: ${created.url}`);
    return { branch, status: 'opened', request: created, ...(pushed !== undefined ? { pushed } : {}), warnings };
  }
  if (normalise(mine.body) !== normalise(text) || mine.title !== title) {
    await forge.update(mine.number, { title, body: text });
    ctx.say(`${branch}: ${pushed !== undefined ? `pushed ${pushed.slice(0, 12)}, ` : ''}updated ${noun} ${forge.ref(mine.number)}: ${mine.url}`);
    return { branch, status: 'updated', request: mine, ...(pushed !== undefined ? { pushed } : {}), warnings };
  }
  ctx.say(`${branch}: ${pushed !== undefined ? `pushed ${pushed.slice(0, 12)}; ` : ''}${noun} ${forge.ref(mine.number)} is up to date: ${mine.url}`);
  return { branch, status: pushed !== undefined ? 'updated' : 'unchanged', request: mine, ...(pushed !== undefined ? { pushed } : {}), warnings };
}

/** Closes our requests on branches no group has any more (a file with nothing left, under `--group files`). */
export async function closeStale(ctx: PrContext, requests: readonly ChangeRequest[], current: ReadonlySet<string>): Promise<GroupOutcome[]> {
  const outcomes: GroupOutcome[] = [];
  for (const request of requests) {
    if (current.has(request.branch) || !isOurs(request.body, request.branch)) continue;
    outcomes.push(await closeGroup(ctx, request.branch, request));
  }
  return outcomes;
}
