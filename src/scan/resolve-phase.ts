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
import { mapLimit } from '../resolve/limit.js';
import type { Resolver } from '../resolve/types.js';
import { digestToPin } from '../resolve/types.js';
import { newerVersions, versionTagForDigest } from '../resolve/version-tags.js';

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
}

export interface GatheredFacts extends ResolvedFacts {
  /** How many unique references could not be checked. */
  unchecked: number;
  /** Unique references asked about. */
  unique: number;
}

async function resolveOne(subject: Subject, opts: ResolvePhaseOptions): Promise<Resolution> {
  const { resolver } = opts;
  const parsed = subject.parsed!;
  const listTags = async (): Promise<string[] | undefined> => resolver.listTags(parsed).catch(() => undefined);
  const resolution: Resolution = {};
  const exactTag = parsed.tag !== undefined && (subject.tagKind === 'exact' || (parsed.digest !== undefined && /^v?\d+\.\d+\.\d+/.test(parsed.tag)));
  if (parsed.tag === undefined && parsed.digest !== undefined) {
    const exists = await resolver.manifestExists?.(parsed, parsed.digest);
    if (exists === false) resolution.pinnedDigestMissing = true;
    return resolution;
  }
  const tagOnly = { ...parsed, digest: undefined } as ParsedReference;
  const outcome = await resolver.resolve(tagOnly, { ...(opts.verify ? { verify: true } : {}), ...(opts.platform !== undefined ? { platform: opts.platform } : {}) });
  if (!outcome.ok) {
    // A pinned reference whose tag is gone: what matters is whether the pinned digest still is.
    if (outcome.kind === 'not-found' && parsed.digest !== undefined) {
      const exists = await resolver.manifestExists?.(parsed, parsed.digest).catch(() => undefined);
      if (exists !== undefined) return exists ? {} : { pinnedDigestMissing: true };
    }
    return { failure: outcome.reason };
  }
  const current: NonNullable<Resolution['current']> = { digest: digestToPin(outcome) };
  resolution.current = current;
  const needsTags = parsed.digest !== undefined ? current.digest !== parsed.digest : parsed.tag === undefined || (subject.tagKind !== undefined && FLOATING_TAG_KINDS.has(subject.tagKind));
  const tags = needsTags || (exactTag && opts.newer !== 'off') ? await listTags() : undefined;
  if (needsTags) {
    // Version tags are compared on what the registry serves for them (the index digest).
    const versionTag = await versionTagForDigest(resolver, parsed, outcome.digest, tags);
    if (versionTag !== undefined && versionTag !== parsed.tag) current.versionTag = versionTag;
  }
  if (parsed.digest !== undefined && current.digest !== parsed.digest) {
    const exists = await resolver.manifestExists?.(parsed, parsed.digest).catch(() => undefined);
    if (exists === false) resolution.pinnedDigestMissing = true;
    const pinned = await versionTagForDigest(resolver, parsed, parsed.digest, tags);
    if (pinned !== undefined) resolution.pinnedVersionTag = pinned;
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
  if (current === undefined || parsed === undefined || parsed.digest !== undefined) return undefined;
  const floating = parsed.tag === undefined || parsed.tag === 'latest';
  const tag = floating && current.versionTag !== undefined ? current.versionTag : parsed.tag;
  const description = current.versionTag !== undefined ? `${parsed.tag ?? 'latest'} is ${current.versionTag}` : undefined;
  return {
    replacement: formatReference(parsed, { tag, digest: current.digest }),
    range: ref.range,
    digest: current.digest,
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
    resolutions.set(key, await resolveOne(subject, opts).catch((err: unknown) => ({ failure: err instanceof Error ? err.message : String(err) })));
  });
  const unchecked = [...resolutions.values()].filter((r) => r.failure !== undefined).length;
  return { resolutions, propose: proposeFix, unchecked, unique: unique.size };
}
