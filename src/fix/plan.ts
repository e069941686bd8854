// Plans the edits that pin one file's references, and checks the edited text reads back as
// intended before anything is written. Pure: text and proposals in, edits and verdicts out.
import { formatReference } from '../core/parse-reference.js';
import type { ImageRef, ParsedReference } from '../core/types.js';
import type { FileScanner } from '../scan/scan-file.js';
import { renderValue } from './render.js';
import { applyEdits, mapOffset } from './text-edit.js';
import type { TextEdit } from './text-edit.js';

export type PinStyle = 'tag-digest' | 'digest';

/** A pin of an undigested reference, a refresh of a stale `tag@digest`, or an upgrade to a newer release. */
export type ProposalKind = 'pin' | 'refresh' | 'upgrade';

export interface Proposal {
  digest: string;
  /** The version tag that shares the digest, for `latest` or no tag (`v0.28.0`). */
  versionTag?: string;
  /** What the change is; a pin when unset. */
  kind?: ProposalKind;
  /** For an upgrade: the release moved to (`1.2.4`), written as the tag. */
  tag?: string;
  /** The image's release time (image config `created`, or ECR's push time), when it was read. */
  created?: string;
  /** For a refresh or an upgrade of a pinned reference: the digest it had. */
  previousDigest?: string;
  /** For a refresh: the version tag of the digest it had, when known. */
  previousVersionTag?: string;
  /** A newer release that was not taken yet, and why (`1.2.5 waits until …`). */
  note?: string;
}

export interface PinTarget {
  ref: ImageRef;
  parsed: ParsedReference;
  proposal: Proposal;
}

export interface PinOptions {
  style: PinStyle;
  /**
   * Keep the tag as written (`:latest@sha256:…`, `repo@sha256:…` for no tag) instead of the version
   * tag that shares the digest (`:v0.28.0@sha256:…`, the default). In JSON, which cannot carry a
   * `# tag` comment, a reference without a tag still gets the version tag.
   */
  keepTag?: boolean;
}

export interface PlannedPin {
  ref: ImageRef;
  value: string;
}

export interface FilePlan {
  edits: TextEdit[];
  pins: PlannedPin[];
  left: Array<{ ref: ImageRef; reason: string }>;
}

/**
 * The pinned reference: `repo:tag@sha256:…` (default) or `repo@sha256:…` (`--style digest`, where
 * the format can keep the tag in a comment: not JSON). For `latest` or no tag the tag is the
 * version tag sharing the digest, unless `keepTag`; an upgrade writes the release it moves to.
 */
export function pinnedValue(parsed: ParsedReference, proposal: Proposal, options: PinOptions, json = false): { value: string; tag?: string } {
  const floating = parsed.tag === undefined || parsed.tag === 'latest';
  const readable = floating && proposal.versionTag !== undefined && (options.keepTag !== true || (json && parsed.tag === undefined));
  const tag = proposal.kind === 'upgrade' && proposal.tag !== undefined ? proposal.tag : readable ? proposal.versionTag : parsed.tag;
  if (options.style === 'digest' && !json) return { value: formatReference(parsed, { tag: undefined, digest: proposal.digest }), ...(tag !== undefined ? { tag } : {}) };
  return { value: formatReference(parsed, { tag, digest: proposal.digest }), ...(tag !== undefined ? { tag } : {}) };
}

function lineEndAt(text: string, offset: number): number {
  const newline = text.indexOf('\n', offset);
  const end = newline === -1 ? text.length : newline;
  return end > offset && text[end - 1] === '\r' ? end - 1 : end;
}

export function planFile(text: string, targets: readonly PinTarget[], options: PinOptions): FilePlan {
  const edits: TextEdit[] = [];
  const pins: PlannedPin[] = [];
  const left: FilePlan['left'] = [];
  // Image strings per line, each counted once: an anchor that aliases repeat is one string to edit.
  const perLine = new Map<number, Set<number>>();
  for (const { ref } of targets) {
    let starts = perLine.get(ref.location.line);
    if (starts === undefined) perLine.set(ref.location.line, (starts = new Set()));
    starts.add(ref.range.start);
  }
  for (const { ref, parsed, proposal } of targets) {
    if (ref.pin?.none !== undefined) {
      left.push({ ref, reason: ref.pin.none });
      continue;
    }
    // A reference built from parts is pinned in its parts, never by rewriting one of them whole.
    if (ref.pin !== undefined) {
      const planned = planParts(text, ref, parsed, proposal, options);
      if ('reason' in planned) left.push({ ref, reason: planned.reason });
      else {
        for (const item of planned.edits) edits.push(item);
        pins.push({ ref, value: planned.value });
      }
      continue;
    }
    const source = text.slice(ref.range.start, ref.range.end);
    const { value, tag } = pinnedValue(parsed, proposal, options, ref.style === 'json');
    if (ref.noRewrite !== undefined) {
      left.push({ ref, reason: `${ref.noRewrite} (pinned: \`${value}\`)` });
      continue;
    }
    const rendered = renderValue(value, ref.style, source);
    if (rendered === undefined) {
      left.push({ ref, reason: `a ${ref.style} scalar cannot be rewritten safely` });
      continue;
    }
    edits.push({ start: ref.range.start, end: ref.range.end, text: rendered });
    pins.push({ ref, value });
    // --style digest keeps the tag for readers in a trailing comment, where the format has comments.
    // (Not in a Dockerfile: `#` starts a comment only at the start of a line there.)
    if (options.style === 'digest' && tag !== undefined && ref.style !== 'json' && ref.format !== 'dockerfile' && perLine.get(ref.location.line)?.size === 1) {
      const end = lineEndAt(text, ref.range.end);
      const comment = /(^|[ \t])#/.exec(text.slice(ref.range.end, end));
      // Before an existing comment (`# 7.2 # cache`), else at the end of the line (after a flow mapping's `}`).
      if (comment !== null) {
        const at = ref.range.end + comment.index + comment[1]!.length;
        edits.push({ start: at, end: at, text: `# ${tag} ` });
      } else {
        edits.push({ start: end, end, text: ` # ${tag}` });
      }
    }
  }
  return { edits, pins, left };
}

/**
 * A reference built from parts (src/core/types.ts PinSite): the digest goes into its own key (set,
 * or added), else `tag@digest` into the tag; the tag changes as pinnedValue() says (`latest` to its version
 * tag unless keepTag, an upgrade to its release).
 * `value` is the reference the file then reads as.
 */
function planParts(text: string, ref: ImageRef, parsed: ParsedReference, proposal: Proposal, options: PinOptions): { edits: TextEdit[]; value: string } | { reason: string } {
  const site = ref.pin as NonNullable<ImageRef['pin']>;
  // The tag pinnedValue() would write: the version tag for `latest` (unless keepTag), an upgrade's release.
  const tag = pinnedValue(parsed, proposal, { ...options, style: 'tag-digest' }).tag;
  const upgrade = tag !== parsed.tag;
  const tagText = site.tag !== undefined ? text.slice(site.tag.range.start, site.tag.range.end) : '';
  const edits: TextEdit[] = [];
  const render = (value: string, where: { range: { start: number; end: number }; style: ImageRef['style'] }): boolean => {
    const rendered = renderValue(value, where.style, text.slice(where.range.start, where.range.end));
    if (rendered === undefined) return false;
    edits.push({ start: where.range.start, end: where.range.end, text: rendered });
    return true;
  };
  if (site.digest !== undefined || site.insertDigest !== undefined) {
    if (site.digest !== undefined) {
      if (!render(proposal.digest, site.digest)) return { reason: `a ${site.digest.style} scalar cannot be rewritten safely` };
    } else if (site.insertDigest !== undefined) {
      edits.push({ start: site.insertDigest.offset, end: site.insertDigest.offset, text: site.insertDigest.text.replace('{digest}', proposal.digest) });
    }
    const keepsTag = site.tag !== undefined && tagText !== '';
    if (keepsTag && upgrade && tag !== undefined && !render(tag, site.tag as NonNullable<typeof site.tag>)) return { reason: `a ${site.tag?.style} scalar cannot be rewritten safely` };
    return { edits, value: formatReference(parsed, { tag: keepsTag ? tag : undefined, digest: proposal.digest }) };
  }
  if (site.tag === undefined || tag === undefined) return { reason: 'no tag to pin' };
  if (!render(`${tag}@${proposal.digest}`, site.tag)) return { reason: `a ${site.tag.style} scalar cannot be rewritten safely` };
  return { edits, value: formatReference(parsed, { tag, digest: proposal.digest }) };
}

export interface Verdict {
  ok: boolean;
  output: string;
  problems: string[];
}

/**
 * Applies the plan and re-scans the result: every pinned reference must read back, at its new
 * place, as exactly the intended value, and no reference may appear or vanish.
 */
export function applyAndVerify(path: string, text: string, plan: FilePlan, scanner: FileScanner, refsBefore: number): Verdict {
  const { output, applied, skipped } = applyEdits(text, plan.edits);
  const problems: string[] = skipped.map((edit) => `overlapping edit at offset ${edit.start} was not applied`);
  const rescanned = scanner.scan(path, output);
  if (rescanned.findings.some((finding) => finding.ruleId === 'parse-error')) problems.push('the edited text no longer parses');
  if (rescanned.refs.length !== refsBefore) problems.push(`the edited text has ${rescanned.refs.length} image references instead of ${refsBefore}`);
  const byStart = new Map(rescanned.refs.map((ref) => [ref.range.start, ref]));
  for (const pin of plan.pins) {
    const after = byStart.get(mapOffset(pin.ref.range.start, applied));
    if (after?.raw !== pin.value) problems.push(`${pin.ref.location.line}:${pin.ref.location.column}: reads back as ${after === undefined ? 'nothing' : `\`${after.raw}\``} instead of \`${pin.value}\``);
  }
  return { ok: problems.length === 0, output, problems };
}
