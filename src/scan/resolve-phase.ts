// `scan --resolve`: asks the registries about every unique reference once. The facts are then
// handed to the file scanner, so the rules that need them (tag-moved, digest-not-found,
// newer-version-available, resolve-failed) run per file under the same policy, overrides,
// exceptions and suppressions as every other rule, and floating-tag findings carry a pin proposal.
import { canonicalReference, formatReference } from '../core/parse-reference.js';
import type { Fix, ImageRef, ParsedReference } from '../core/types.js';
import { FLOATING_TAG_KINDS } from '../core/tag-kind.js';
import type { Policy } from '../policy/types.js';
import { buildSubject } from '../rules/engine.js';
import type { ResolvedFacts } from '../rules/engine.js';
import type { Resolution, Subject } from '../rules/types.js';
import { budgetSpentMessage, currentBudget, withBudget } from '../resolve/budget.js';
import { mapLimit } from '../resolve/limit.js';
import type { Resolver } from '../resolve/types.js';
import { digestToPin } from '../resolve/types.js';
import { newerVersions, versionTagForDigest } from '../resolve/version-tags.js';
import { releaseAgeVerdict } from '../policy/release-age.js';

export type NewerLevel = 'patch' | 'minor' | 'major' | 'off';

export interface ResolvePhaseOptions {
  resolver: Resolver;
  /** `os/arch[/variant]`: pin the matching child manifest of a multi-arch index. */
  platform?: string;
  /** GET and verify each manifest (whenever the digest will be written into a file). */
  verify?: boolean;
  /** The lowest level of newer release to report (default patch). */
  newer?: NewerLevel;
  /** Unique references resolved at once (per-host bounds apply below). */
  concurrency?: number;
  /**
   * Time for all the requests made for one reference (retries, Retry-After waits, tag-list pages
   * and version-tag look-ups included); `budgetLabel` names it in messages ("4 × --timeout").
   */
  budgetMs?: number;
  budgetLabel?: string;
  /** What could not be checked although the reference resolved (the tag list, mostly). */
  onWarning?: (message: string) => void;
  /** `pin.minimumReleaseAge` (from the policy when gatherFacts is given one): younger digests are not proposed. */
  minimumReleaseAge?: string;
  /** The time release ages are judged at (ms since the epoch); now by default. */
  now?: number;
}

export interface GatheredFacts extends ResolvedFacts {
  /** How many unique references could not be checked. */
  unchecked: number;
  /** Unique references asked about. */
  unique: number;
}

const reasonOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

async function resolveOne(subject: Subject, opts: ResolvePhaseOptions): Promise<Resolution> {
  const { resolver } = opts;
  const parsed = subject.parsed!;
  const name = canonicalReference(parsed);
  /** The tag list, or undefined with a warning naming what could therefore not be checked. */
  const listTags = async (consequence: string): Promise<string[] | undefined> =>
    resolver.listTags(parsed).catch((err: unknown) => {
      opts.onWarning?.(`${name}: the tag list could not be read (${reasonOf(err)}): ${consequence}`);
      return undefined;
    });
  const resolution: Resolution = {};
  const exactTag = parsed.tag !== undefined && (subject.tagKind === 'exact' || (parsed.digest !== undefined && /^v?\d+\.\d+\.\d+/.test(parsed.tag)));
  if (parsed.tag === undefined && parsed.digest !== undefined) {
    const exists = await resolver.manifestExists?.(parsed, parsed.digest);
    if (exists === false) resolution.pinnedDigestMissing = true;
    return resolution;
  }
  const tagOnly = { ...parsed, digest: undefined } as ParsedReference;
  // The digest proposed for a pin is verified wherever that costs no extra request (every registry
  // but Docker Hub); `verified` in the proposal says whether it was, for pin --from-results.
  const outcome = await resolver.resolve(tagOnly, { ...(opts.verify ? { verify: true } : { preferVerified: true }), ...(opts.platform !== undefined ? { platform: opts.platform } : {}) });
  if (!outcome.ok) {
    // A pinned reference whose tag is gone: what matters is whether the pinned digest still is.
    if (outcome.kind === 'not-found' && parsed.digest !== undefined) {
      const exists = await resolver.manifestExists?.(parsed, parsed.digest).catch(() => undefined);
      if (exists !== undefined) return exists ? {} : { pinnedDigestMissing: true };
    }
    return { failure: outcome.reason };
  }
  const current: NonNullable<Resolution['current']> = { digest: digestToPin(outcome), verified: outcome.verified };
  resolution.current = current;
  const needsTags = parsed.digest !== undefined ? current.digest !== parsed.digest : parsed.tag === undefined || (subject.tagKind !== undefined && FLOATING_TAG_KINDS.has(subject.tagKind));
  const checksNewer = exactTag && opts.newer !== 'off';
  const consequence = [
    ...(needsTags ? [`\`${parsed.tag ?? 'latest'}\` was not matched to a version tag`] : []),
    ...(checksNewer ? ['newer-version-available was not checked'] : []),
  ].join(', and ');
  const tags = needsTags || checksNewer ? await listTags(consequence) : undefined;
  if (needsTags) {
    // Version tags are compared on what the registry serves for them (the index digest).
    const versionTag = await versionTagForDigest(resolver, parsed, outcome.digest, tags);
    if (versionTag !== undefined && versionTag !== parsed.tag) current.versionTag = versionTag;
    const budget = currentBudget();
    if (tags !== undefined && versionTag === undefined && budget !== undefined && Date.now() >= budget.deadline) {
      opts.onWarning?.(`${name}: \`${parsed.tag ?? 'latest'}\` was not matched to a version tag: ${budgetSpentMessage(budget)}`);
    }
  }
  if (parsed.digest !== undefined && current.digest !== parsed.digest) {
    const exists = await resolver.manifestExists?.(parsed, parsed.digest).catch(() => undefined);
    if (exists === false) resolution.pinnedDigestMissing = true;
    const pinned = await versionTagForDigest(resolver, parsed, parsed.digest, tags);
    if (pinned !== undefined) resolution.pinnedVersionTag = pinned;
  }
  if (parsed.digest === undefined && opts.minimumReleaseAge !== undefined) {
    // The digest a pin would propose must be old enough; its age comes from the image config.
    let created: string | undefined;
    let unreadable: string | undefined;
    try {
      created = await resolver.imageCreated?.(tagOnly, current.digest, opts.platform !== undefined ? { platform: opts.platform } : {});
    } catch (err) {
      unreadable = reasonOf(err);
    }
    const verdict = releaseAgeVerdict(created, opts.minimumReleaseAge, opts.now ?? Date.now());
    if (unreadable !== undefined) current.heldBack = `its release time could not be read (${unreadable}), and \`pin.minimumReleaseAge\` is ${opts.minimumReleaseAge}`;
    else if (!verdict.ok) current.heldBack = verdict.reason;
    if (current.heldBack !== undefined) opts.onWarning?.(`${name}: no pin proposed: ${current.heldBack}`);
  }
  if (exactTag && tags !== undefined && parsed.tag !== undefined && opts.newer !== 'off') {
    const newer = newerVersions(tags, parsed.tag);
    const levels = ['patch', 'minor', 'major'] as const;
    const from = levels.indexOf((opts.newer ?? 'patch') as (typeof levels)[number]);
    const kept = Object.fromEntries(levels.filter((level, i) => i >= from && newer[level] !== undefined).map((level) => [level, newer[level]]));
    if (Object.keys(kept).length > 0) resolution.newer = kept;
  }
  return resolution;
}

/** The pinned replacement for a floating or undigested reference: `repo:v0.28.0@sha256:…` for latest. */
export function proposeFix({ ref, parsed, resolution }: Subject): Fix | undefined {
  const current = resolution?.current;
  if (current === undefined || current.heldBack !== undefined || parsed === undefined || parsed.digest !== undefined) return undefined;
  const floating = parsed.tag === undefined || parsed.tag === 'latest';
  const tag = floating && current.versionTag !== undefined ? current.versionTag : parsed.tag;
  const description = current.versionTag !== undefined ? `${parsed.tag ?? 'latest'} is ${current.versionTag}` : undefined;
  return {
    replacement: formatReference(parsed, { tag, digest: current.digest }),
    range: ref.range,
    digest: current.digest,
    verified: current.verified === true,
    ...(current.versionTag !== undefined ? { versionTag: current.versionTag } : {}),
    ...(description !== undefined ? { description } : {}),
  };
}

/** Resolves every unique, judgeable reference among `refs` once. */
export async function gatherFacts(refs: readonly ImageRef[], policy: Policy, opts: ResolvePhaseOptions): Promise<GatheredFacts> {
  const mutableWords = new Set(policy.mutableTags.map((word) => word.toLowerCase()));
  const unique = new Map<string, Subject>();
  for (const ref of refs) {
    const subject = buildSubject(ref, mutableWords);
    // Partly templated values (`${REGISTRY}/app:latest`) are judged by tag but cannot be resolved.
    if (subject.parsed === undefined || subject.unresolvable !== undefined || ref.raw !== ref.raw.trim() || /[{}$<>%]/.test(ref.raw)) continue;
    unique.set(canonicalReference(subject.parsed), subject);
  }
  const resolutions = new Map<string, Resolution>();
  await mapLimit([...unique], opts.concurrency ?? 32, async ([key, subject]) => {
    const minimumReleaseAge = opts.minimumReleaseAge ?? policy.pin?.minimumReleaseAge;
    const one = () => resolveOne(subject, minimumReleaseAge !== undefined ? { ...opts, minimumReleaseAge } : opts);
    const run = opts.budgetMs !== undefined ? () => withBudget(opts.budgetMs!, opts.budgetLabel ?? 'per reference', one) : one;
    resolutions.set(key, await run().catch((err: unknown) => ({ failure: reasonOf(err) })));
  });
  const unchecked = [...resolutions.values()].filter((r) => r.failure !== undefined).length;
  return { resolutions, propose: proposeFix, unchecked, unique: unique.size };
}
