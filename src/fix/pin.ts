// `imagedrift pin`: resolve each unique reference once, then for each file plan the edits, check
// the edited text reads back as intended, refuse a file that changed since it was read, and write
// it atomically. A second run changes nothing: pinned references have digests.
//
// Only the content of a file inside the scanned root ever changes: a path that resolves outside it
// (through a committed symlink) is refused, a symlink is written through to its target (never
// replaced by a regular file), and a read-only file, a file with several hard links or one whose
// owner cannot be kept is refused (src/fix/atomic-write.ts).
import { realpathSync, statSync } from 'node:fs';
import { dirname, relative, resolve, isAbsolute, sep } from 'node:path';
import { createTwoFilesPatch } from 'diff';
import { canonicalReference, parseReference } from '../core/parse-reference.js';
import type { Container, Finding, ImageRef, ParsedReference, Workload } from '../core/types.js';
import { PINNABLE_RULES } from '../rules/engine.js';
import { FileScanner } from '../scan/scan-file.js';
import type { ScanOptions } from '../scan/scan-file.js';
import { findRepoRoot } from '../policy/load.js';
import { describeError, encode, sources } from '../sources/files.js';
import type { SourceOptions } from '../sources/files.js';
import { writeFileAtomic, WriteRaced, WriteRefused } from './atomic-write.js';
import { applyAndVerify, planFile, pinnedValue } from './plan.js';
import type { PinOptions, PinTarget, Proposal, ProposalKind } from './plan.js';
import type { ProposalOutcome } from './propose.js';

export type { ProposalOutcome };

export interface PinRunOptions extends PinOptions, ScanOptions, SourceOptions {
  /** Finds the digest (and version tag) for a reference; called once per unique reference. */
  propose: (parsed: ParsedReference) => Promise<ProposalOutcome>;
  /** Which findings to act on (`--only` rule, role or path); all pinnable ones by default. */
  only?: (finding: Finding) => boolean;
  /** Also look at `tag@digest` references whose tag may have moved (`tag-moved`). */
  refresh?: boolean;
  /** Also look at `tag@digest` references with an exact version, for a newer release (`newer-version-available`). */
  upgrade?: boolean;
  /** Print a unified diff instead of writing. */
  dryRun?: boolean;
  /** Keep each changed file's new text in its outcome (`output`); with dryRun, nothing is written (`imagedrift pr`). */
  keepOutput?: boolean;
  /** Called after a file is planned and verified, just before the on-disk check and the write. */
  beforeWrite?: (path: string) => void;
  /** Called after the new content is written to the temporary file and synced, just before the last check and the rename. */
  beforeRename?: (path: string) => void;
}

export interface LeftAlone {
  path: string;
  line: number;
  column: number;
  image: string;
  reason: string;
}

export interface PinnedReference {
  line: number;
  column: number;
  from: string;
  to: string;
  kind: ProposalKind;
  /** The rule the change answers: the reference's floating-tag finding, `tag-moved` or `newer-version-available`. */
  rule: string;
  container?: Container;
  workload?: Workload;
  proposal: Proposal;
}

export interface FileOutcome {
  path: string;
  pinned: PinnedReference[];
  /** Why the whole file was left untouched, when it was. */
  refused?: string;
  diff?: string;
  /** The file's new text (with `keepOutput`). */
  output?: string;
  written: boolean;
}

export interface Waiting extends LeftAlone {
  /** When it may go ahead (`pin.minimumReleaseAge`), in ms, when that is known. */
  until?: number;
}

export interface PinReport {
  files: FileOutcome[];
  left: LeftAlone[];
  /** Proposals held back: too young for `pin.minimumReleaseAge`, or a version the policy denies. Not failures. */
  waiting: Waiting[];
  skipped: Array<{ path: string; reason: string }>;
  errors: string[];
}

/**
 * The directory a path named on the command line may write inside: its repository (the nearest
 * directory above it holding `.git`), or outside any repository the path itself (its directory,
 * for a file). Resolved, so that a file is compared by where it really is.
 */
function scanRoot(path: string): string {
  const absolute = resolve(path);
  let root = findRepoRoot(absolute);
  if (root === undefined) {
    const isDir = statSync(absolute, { throwIfNoEntry: false })?.isDirectory() ?? false;
    root = isDir ? absolute : dirname(absolute);
  }
  try {
    return realpathSync(root);
  } catch {
    return root;
  }
}

/** Where a file is really written (its symlinks resolved), or why it must not be. */
function writeTarget(path: string, root: string): { target: string } | { refused: string } {
  let target: string;
  try {
    target = realpathSync(path);
  } catch (err) {
    return { refused: `cannot resolve: ${describeError(err)}` };
  }
  const rel = relative(root, target);
  if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) return { refused: `resolves to ${target} (through a symlink), outside ${root}: not written` };
  return { target };
}

function key(ref: ImageRef): string {
  return `${ref.location.line}:${ref.location.column}:${ref.container.name ?? ''}`;
}

/** A finding-shaped stand-in, for `--only` on changes no file finding names (`tag-moved`, `newer-version-available`). */
function asFinding(ref: ImageRef, ruleId: string): Finding {
  return { ruleId, severity: 'note', message: '', location: ref.location, container: ref.container, workload: ref.workload };
}

interface Selected {
  ref: ImageRef;
  parsed: ParsedReference;
  /** The pinnable finding on an undigested reference. */
  finding?: Finding;
}

/**
 * The references of one scanned file that the pin should act on, with their parsed form: those
 * with a pinnable finding, and with `refresh` or `upgrade` the `tag@digest` ones, as `--only` allows.
 */
function selectTargets(path: string, refs: readonly ImageRef[], findings: readonly Finding[], options: Pick<PinRunOptions, 'only' | 'refresh' | 'upgrade'>): Selected[] {
  const { only } = options;
  const pinnable = new Map<string, Finding>();
  for (const f of findings) if (f.location.path === path && PINNABLE_RULES.has(f.ruleId)) pinnable.set(`${f.location.line}:${f.location.column}:${f.container?.name ?? ''}`, f);
  const out: Selected[] = [];
  for (const ref of refs) {
    // A reference in another file (a Terraform `file()` target) is pinned when that file is.
    if (ref.location.path !== path || ref.unresolvable !== undefined) continue;
    const outcome = parseReference(ref.raw);
    if (!outcome.ok) continue;
    const parsed = outcome.ref;
    if (parsed.digest === undefined) {
      const finding = pinnable.get(key(ref));
      if (finding === undefined) continue;
      if (only === undefined || only(finding) || (options.upgrade === true && only(asFinding(ref, 'newer-version-available')))) out.push({ ref, parsed, finding });
    } else if (parsed.tag !== undefined && (options.refresh === true || options.upgrade === true)) {
      const wanted = only === undefined || (options.refresh === true && only(asFinding(ref, 'tag-moved'))) || (options.upgrade === true && only(asFinding(ref, 'newer-version-available')));
      if (wanted) out.push({ ref, parsed });
    }
  }
  return out;
}

/** The rule a proposed change answers. */
function ruleOf(selected: Selected, proposal: Proposal): string {
  if (proposal.kind === 'upgrade') return 'newer-version-available';
  if (proposal.kind === 'refresh') return 'tag-moved';
  return selected.finding?.ruleId ?? 'undigested-tag';
}

export async function pinPaths(paths: readonly string[], options: PinRunOptions): Promise<PinReport> {
  const scanner = new FileScanner(options);
  const report: PinReport = { files: [], left: [], waiting: [], skipped: [], errors: [] };

  // Pass 1: find what to pin, without keeping any text, and resolve each unique reference once.
  const unique = new Map<string, ParsedReference>();
  for await (const item of sources(paths, options)) {
    if (item.kind === 'error') report.errors.push(item.message);
    else if (item.kind === 'skipped') report.skipped.push({ path: item.path, reason: item.reason });
    else {
      await scanner.prepare(item.path);
      const scanned = scanner.scan(item.path, item.text);
      for (const { parsed } of selectTargets(item.path, scanned.refs, scanned.findings, options)) unique.set(canonicalReference(parsed), parsed);
    }
  }
  const proposals = new Map<string, ProposalOutcome>();
  await Promise.all([...unique].map(async ([canonical, parsed]) => proposals.set(canonical, await options.propose(parsed).catch((err: unknown) => ({ ok: false as const, reason: String(err) })))));

  // Pass 2: each file read again, planned, verified and written (or diffed), path by path: each
  // named path has its root, which the files found through it must resolve inside.
  for (const path of paths) {
    if (path === '-') continue;
    const root = scanRoot(path);
    for await (const item of sources([path], { ...options, stdin: undefined })) {
      if (item.kind !== 'file' || item.path === '<stdin>') continue;
      await scanner.prepare(item.path);
      const result = scanner.scan(item.path, item.text);
      if (result.skipped !== undefined || result.findings.some((f) => f.ruleId === 'parse-error')) {
        const selected = selectTargets(item.path, result.refs, result.findings, options);
        if (selected.length > 0) report.files.push({ path: item.path, pinned: [], written: false, refused: 'the file does not parse cleanly (see `imagedrift scan`); fix it first' });
        continue;
      }
      const targets: PinTarget[] = [];
      const selectedBy = new Map<ImageRef, Selected>();
      for (const selected of selectTargets(item.path, result.refs, result.findings, options)) {
        const { ref, parsed } = selected;
        const at = { path: item.path, line: ref.location.line, column: ref.location.column, image: ref.raw };
        const outcome = proposals.get(canonicalReference(parsed));
        if (outcome === undefined) report.left.push({ ...at, reason: 'not resolved (the file changed during the run)' });
        else if (!outcome.ok && outcome.held !== undefined) report.waiting.push({ ...at, reason: outcome.reason, ...(outcome.held.until !== undefined ? { until: outcome.held.until } : {}) });
        else if (!outcome.ok) report.left.push({ ...at, reason: outcome.reason });
        else if (outcome.proposal !== undefined) {
          const { only } = options;
          // Changes no file finding names (a refresh, an upgrade) are checked against --only once known.
          if (only !== undefined && !(selected.finding !== undefined && only(selected.finding)) && !only(asFinding(ref, ruleOf(selected, outcome.proposal)))) continue;
          targets.push({ ref, parsed, proposal: outcome.proposal });
          selectedBy.set(ref, selected);
        }
      }
      if (targets.length === 0) continue;
      const where = writeTarget(item.path, root);
      if ('refused' in where) {
        report.files.push({ path: item.path, pinned: [], written: false, refused: where.refused });
        continue;
      }
      const plan = planFile(item.text, targets, options);
      const proposalBy = new Map(targets.map((target) => [target.ref, target.proposal]));
      for (const { ref, reason } of plan.left) report.left.push({ path: item.path, line: ref.location.line, column: ref.location.column, image: ref.raw, reason });
      const outcome: FileOutcome = {
        path: item.path,
        pinned: plan.pins.map(({ ref, value }): PinnedReference => {
          const selected = selectedBy.get(ref)!;
          const proposal = proposalBy.get(ref)!;
          return { line: ref.location.line, column: ref.location.column, from: ref.raw, to: value, kind: proposal.kind ?? 'pin', rule: ruleOf(selected, proposal), container: ref.container, workload: ref.workload, proposal };
        }),
        written: false,
      };
      report.files.push(outcome);
      if (plan.pins.length === 0) continue;
      const verdict = applyAndVerify(item.path, item.text, plan, scanner, result.refs.length);
      if (!verdict.ok) {
        outcome.refused = `the edited file would not read back as intended: ${verdict.problems.join('; ')}`;
        outcome.pinned = [];
        continue;
      }
      if (options.keepOutput === true) outcome.output = verdict.output;
      if (options.dryRun) {
        outcome.diff = createTwoFilesPatch(item.path, item.path, item.text, verdict.output, undefined, undefined, { context: 3 });
        continue;
      }
      options.beforeWrite?.(item.path);
      try {
        // Written in the file's own encoding (UTF-16 stays UTF-16), only if it still holds what was read.
        writeFileAtomic(where.target, encode(verdict.output, item.encoding), {
          expected: encode(item.text, item.encoding),
          ...(options.beforeRename !== undefined ? { beforeRename: options.beforeRename } : {}),
        });
        outcome.written = true;
      } catch (err) {
        if (err instanceof WriteRaced) {
          // Pinned, but another writer's bytes went to the file it replaced: said loudly (exit 3).
          outcome.written = true;
          report.errors.push(`${item.path}: ${err.message}`);
        } else {
          outcome.refused = err instanceof WriteRefused ? err.message : `cannot write: ${describeError(err)}`;
          outcome.pinned = [];
        }
      }
    }
  }
  return report;
}

export { pinnedValue, PINNABLE_RULES };
