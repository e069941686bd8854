// The title, commit message and body of an autofix pull request, from what `pin` changed. Written
// for a reviewer: a table per file (sidecars first) of each container, its role, the change, why,
// the rule it answers and a link to the line; how to verify each digest independently (skopeo,
// crane); what waits and what could not be done. Deterministic: the same changes give the same
// text, so an unchanged PR is never rewritten. Pure.
import { parseReference } from '../core/parse-reference.js';
import type { PinnedReference, Waiting, LeftAlone } from '../fix/pin.js';
import { releaseTime } from '../policy/release-age.js';
import { ruleHelpUri } from '../report/help.js';
import { parseVersionTag, versionTagSuffix } from '../resolve/version-tags.js';
import { code, prose, url, visible } from './markdown.js';

export interface FileChanges {
  /** Relative to the repository's top, `/`-separated. */
  path: string;
  pinned: PinnedReference[];
}

export interface BodyInput {
  branch: string;
  /** `sidecars` or `rest` when split by role, the file's path when split by file, else undefined. */
  group?: string;
  files: FileChanges[];
  waiting: Array<Waiting & { path: string }>;
  left: Array<LeftAlone & { path: string }>;
  /** A link to a file at a line, at the commit the changes are based on. */
  link?: (path: string, line?: number) => string | undefined;
  /** `pull request` or `merge request`. */
  noun: string;
  version: string;
}

/** The hidden first line that marks a request as imagedrift's: it only ever touches requests that carry it. */
export function marker(branch: string): string {
  return `<!-- imagedrift:pr branch=${branch} -->`;
}

export function isOurs(body: string | null | undefined, branch: string): boolean {
  return typeof body === 'string' && body.startsWith(marker(branch));
}

/** GitHub refuses bodies over 65,536 characters; the body stays under this. */
const MAX_BODY = 60_000;

const ROLE_ORDER = { sidecar: 0, app: 1, init: 2 } as const;

function counts(files: readonly FileChanges[]): { pin: number; refresh: number; upgrade: number; total: number } {
  const all = files.flatMap((file) => file.pinned);
  return { pin: all.filter((p) => p.kind === 'pin').length, refresh: all.filter((p) => p.kind === 'refresh').length, upgrade: all.filter((p) => p.kind === 'upgrade').length, total: all.length };
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** `fix(images): pin 7 image references`, `fix(images): pin 2 and refresh 1 sidecar image references` (Conventional Commits). */
export function title(input: Pick<BodyInput, 'files' | 'group'>): string {
  const c = counts(input.files);
  const verbs = (['pin', 'refresh', 'upgrade'] as const).filter((verb) => c[verb] > 0).map((verb) => `${verb} ${c[verb]}`);
  const listed = verbs.length <= 1 ? (verbs[0] ?? 'pin 0') : `${verbs.slice(0, -1).join(', ')} and ${verbs.at(-1)}`;
  const noun = `${input.group === 'sidecars' ? 'sidecar ' : ''}image reference${c.total === 1 ? '' : 's'}`;
  const where = input.group !== undefined && input.group !== 'sidecars' && input.group !== 'rest' ? ` in ${visible(input.group)}` : '';
  return `fix(images): ${listed} ${noun}${where}`;
}

/** The commit message: the title, one line per change, and the trailer that marks the commit as imagedrift's. */
export function commitMessage(input: Pick<BodyInput, 'files' | 'group' | 'branch'>): string {
  const lines = input.files.flatMap((file) => sorted(file.pinned).map((p) => `- ${visible(file.path)}:${p.line} ${visible(p.container?.name ?? '?')}: ${p.from} -> ${p.to}`));
  return `${title(input)}\n\n${lines.join('\n')}\n\nImagedrift-Branch: ${input.branch}\n`;
}

/** The trailer commitMessage() writes, to recognise imagedrift's own commits on a branch. */
export function hasTrailer(message: string, branch: string): boolean {
  return message.split('\n').some((line) => line.trim() === `Imagedrift-Branch: ${branch}`);
}

function sorted(pins: readonly PinnedReference[]): PinnedReference[] {
  return [...pins].sort((a, b) => ROLE_ORDER[a.container?.role ?? 'app'] - ROLE_ORDER[b.container?.role ?? 'app'] || a.line - b.line || a.column - b.column);
}

const DIGEST_IN_REF = /@(sha256:[a-f0-9]{12})[a-f0-9]{52}$|@(sha512:[a-f0-9]{12})[a-f0-9]{116}$/;

/** `repo:tag@sha256:7b4e2c9a1f00…`: the digest cut short for a table (the commands below carry it whole). */
function shortRef(ref: string): string {
  return ref.replace(DIGEST_IN_REF, (_m, a: string | undefined, b: string | undefined) => `@${a ?? b}…`);
}

const shortDigest = (digest: string) => `${digest.slice(0, digest.indexOf(':') + 13)}…`;

function day(created: string | undefined): string | undefined {
  const time = releaseTime(created);
  return time === undefined ? undefined : new Date(time).toISOString().slice(0, 10);
}

function upgradeLevel(from: string | undefined, to: string | undefined): string {
  const a = from !== undefined ? parseVersionTag(from, versionTagSuffix(from))?.version : undefined;
  const b = to !== undefined ? parseVersionTag(to, versionTagSuffix(to))?.version : undefined;
  if (a === undefined || b === undefined) return 'newer';
  return a.major !== b.major ? 'major' : a.minor !== b.minor ? 'minor' : 'patch';
}

/** Why a change, for a reviewer, in Markdown (values in code spans). */
export function why(pin: PinnedReference): string {
  const parsed = parseReference(pin.from);
  const tag = parsed.ok ? parsed.ref.tag : undefined;
  const { proposal } = pin;
  const built = day(proposal.created);
  const when = built !== undefined ? ` (image created ${built})` : '';
  const note = proposal.note !== undefined ? `; ${prose(proposal.note)}` : '';
  if (pin.kind === 'refresh') {
    const versionOf = (v: string | undefined) => (v !== undefined ? code(v, true) : 'an unknown version');
    const versions = proposal.previousVersionTag !== undefined || proposal.versionTag !== undefined ? `, ${versionOf(proposal.previousVersionTag)} → ${versionOf(proposal.versionTag)}` : '';
    const moved = built !== undefined ? `moved to an image created ${built}` : 'moved';
    return `tag ${code(tag ?? '?', true)} ${moved}: ${code(shortDigest(proposal.previousDigest ?? '?'), true)} → ${code(shortDigest(proposal.digest), true)}${versions}${note}`;
  }
  if (pin.kind === 'upgrade') {
    return `newer ${upgradeLevel(tag, proposal.tag)} release: ${code(tag ?? '?', true)} → ${code(proposal.tag ?? '?', true)}${when}${note}`;
  }
  const version = proposal.versionTag !== undefined ? `, which is ${code(proposal.versionTag, true)}` : '';
  switch (pin.rule) {
    case 'latest-tag':
      return proposal.versionTag !== undefined ? `${code('latest', true)} is ${code(proposal.versionTag, true)}${when}${note}` : `${code('latest', true)} pinned to what it points at now${when}${note}`;
    case 'missing-tag':
      return `no tag means ${code('latest', true)}${version}: pinned to what it points at now${when}${note}`;
    case 'mutable-tag':
      return `${code(tag ?? '?', true)} moves${version}: pinned to what it points at now${when}${note}`;
    case 'partial-version-tag':
      return `${code(tag ?? '?', true)} moves with each release in its line${version}: pinned to what it points at now${when}${note}`;
    default:
      return `${code(tag ?? '?', true)} can be re-pushed: pinned to the digest it points at${when}${note}`;
  }
}

/** Characters a reference needs, and nothing a shell would act on. */
const SHELL_SAFE = /^[A-Za-z0-9._:/@\-[\]]+$/;

/** How to check a pinned reference's digest without trusting imagedrift: skopeo and crane commands. */
export function verifyCommands(reference: string): string[] | undefined {
  const outcome = parseReference(reference);
  if (!outcome.ok || outcome.ref.digest === undefined || !SHELL_SAFE.test(reference)) return undefined;
  const { registry, path, tag, digest } = outcome.ref;
  const name = `${registry}/${path}`;
  const hex = digest.slice(digest.indexOf(':') + 1);
  const sum = digest.startsWith('sha512:') ? 'sha512sum' : 'sha256sum';
  const lines = [`skopeo inspect --raw docker://${name}@${digest} | ${sum}   # expect ${hex}`];
  if (tag !== undefined) lines.push(`crane digest ${name}:${tag}   # expect ${digest} while the tag has not moved`);
  return lines;
}

function row(pin: PinnedReference, path: string, link: BodyInput['link']): string {
  const container = code(pin.container?.name ?? '(unnamed)', true);
  const target = link?.(path, pin.line);
  const safe = target !== undefined ? url(target) : undefined;
  const where = safe !== undefined ? `[${container}](${safe})` : container;
  const change = `${code(pin.from, true)} → ${code(shortRef(pin.to), true)}`;
  const rule = url(ruleHelpUri(pin.rule));
  return `| ${where} | ${pin.container?.role ?? 'app'} | ${change} | ${why(pin)} | ${rule !== undefined ? `[${code(pin.rule, true)}](${rule})` : code(pin.rule, true)} |`;
}

function fileSection(file: FileChanges, link: BodyInput['link']): string {
  const target = link?.(file.path);
  const safe = target !== undefined ? url(target) : undefined;
  const heading = safe !== undefined ? `[${code(file.path)}](${safe})` : code(file.path);
  return [`#### ${heading}`, '', '| container | role | from → to | why | rule |', '| --- | --- | --- | --- | --- |', ...sorted(file.pinned).map((pin) => row(pin, file.path, link)), ''].join('\n');
}

export function body(input: BodyInput): string {
  const c = counts(input.files);
  const sidecars = input.files.flatMap((f) => f.pinned).filter((p) => p.container?.role === 'sidecar').length;
  const out: string[] = [marker(input.branch), ''];
  const doing = { pin: 'pins', refresh: 'refreshes', upgrade: 'upgrades' };
  const parts = (['pin', 'refresh', 'upgrade'] as const).filter((verb) => c[verb] > 0).map((verb, i) => (i === 0 ? `${doing[verb]} ${plural(c[verb], 'image reference')}` : `${doing[verb]} ${c[verb]}`));
  const listed = parts.length <= 1 ? (parts[0] ?? '') : `${parts.slice(0, -1).join(', ')} and ${parts.at(-1)}`;
  out.push(
    `This ${input.noun} ${listed} in ${plural(input.files.length, 'file')}${sidecars > 0 ? ` (${plural(sidecars, 'sidecar')} among them, listed first)` : ''}. Every digest was fetched from its registry and its sha256 checked before it was written.`,
    '',
  );
  const legend = [
    c.pin > 0 ? '**pin**: a floating or undigested reference now names the digest its tag points at today' : undefined,
    c.refresh > 0 ? '**refresh**: a pinned tag moved; the pin follows it (review what changed in the image)' : undefined,
    c.upgrade > 0 ? '**upgrade**: a newer release at the level asked' : undefined,
  ].filter((line): line is string => line !== undefined);
  for (const line of legend) out.push(`- ${line}`);
  if (legend.length > 0) out.push('');

  const verify: string[] = [];
  const seen = new Set<string>();
  for (const file of input.files) {
    for (const pin of sorted(file.pinned)) {
      if (seen.has(pin.to)) continue;
      seen.add(pin.to);
      const commands = verifyCommands(pin.to);
      if (commands !== undefined) verify.push(`# ${visible(pin.container?.name ?? '?').replace(/[^\x20-\x7e]/g, '?')} (${visible(file.path).replace(/[^\x20-\x7e]/g, '?')}:${pin.line})`, ...commands, '');
    }
  }
  const tail: string[] = [];
  if (verify.length > 0) {
    const fence = '`'.repeat(Math.max(3, ...verify.map((line) => (/`+/.exec(line)?.[0].length ?? 0) + 1)));
    tail.push('<details>', '<summary>Verify the digests yourself</summary>', '', `${fence}sh`, ...verify.slice(0, -1), fence, '', '</details>', '');
  }
  if (input.waiting.length > 0) {
    tail.push(`### Waiting (${input.waiting.length})`, '');
    for (const w of input.waiting) tail.push(`- ${code(`${w.path}:${w.line}`)} ${code(w.image)}: ${prose(w.reason)}`);
    tail.push('');
  }
  if (input.left.length > 0) {
    tail.push(`### Not changed (${input.left.length})`, '');
    for (const l of input.left) tail.push(`- ${code(`${l.path}:${l.line}`)} ${code(l.image)}: ${prose(l.reason)}`);
    tail.push('');
  }
  tail.push('---', `Opened by imagedrift ${prose(input.version)}, which updates this ${input.noun} when it finds something new and closes it when nothing is left to change. Once someone else pushes to the branch, imagedrift leaves it alone.`);

  const footer = tail.join('\n');
  let used = out.join('\n').length + footer.length;
  const sections: string[] = [];
  let dropped = 0;
  for (const file of input.files) {
    const section = fileSection(file, input.link);
    if (used + section.length + 200 > MAX_BODY) {
      dropped++;
      continue;
    }
    used += section.length + 1;
    sections.push(section);
  }
  if (dropped > 0) sections.push(`… and ${plural(dropped, 'more file')}: the commit lists every change.`, '');
  return `${[...out, ...sections].join('\n')}\n${footer}\n`;
}

/** What a closed request's body says. */
export function closedBody(branch: string, noun: string): string {
  return `${marker(branch)}\n\nNothing is left for this ${noun} to change: every reference it pinned is pinned on the base branch, or no longer there. Closed by imagedrift.\n`;
}
