// Tag ↔ version helpers. findVersionTag answers "which release is `latest` really?" by looking for
// the semver tags (`1.2.3`, `v1.2.3`, `1.2`, `1`) that share the target digest, newest first, with
// bounded concurrency and an early stop once a full x.y.z match is found. newerVersions lists the
// newest patch / minor / major release above a current version tag.

import semver from 'semver';
import type { ParsedReference } from '../core/types.js';
import { mapLimit } from './limit.js';
import type { Resolver } from './types.js';

export interface VersionTag {
  tag: string;
  /** x.y.z with missing parts as 0 (for ordering). */
  version: semver.SemVer;
  /** 3 for x.y.z, 2 for x.y, 1 for x. */
  precision: 1 | 2 | 3;
  hasV: boolean;
  /** What follows `-` after the numbers (`alpine` in `1.25.3-alpine`), if anything. */
  suffix?: string;
}

const VERSION_TAG_RE = /^(v?)(0|[1-9]\d*)(?:\.(0|[1-9]\d*))?(?:\.(0|[1-9]\d*))?(?:-([A-Za-z0-9][A-Za-z0-9._-]*))?$/;

/**
 * Parse a semver-looking tag. Tags with a `-suffix` are accepted only when `suffix` is given and
 * equal (so `1.2.3-rc1` is not taken for `1.2.3`, and `-alpine` variants stay apart).
 */
export function parseVersionTag(tag: string, suffix?: string): VersionTag | undefined {
  const m = VERSION_TAG_RE.exec(tag);
  if (!m) return undefined;
  const [, v, major, minor, patch, tagSuffix] = m;
  if ((tagSuffix ?? undefined) !== (suffix || undefined)) return undefined;
  const version = semver.parse(`${major}.${minor ?? 0}.${patch ?? 0}`);
  if (!version) return undefined;
  const precision = patch !== undefined ? 3 : minor !== undefined ? 2 : 1;
  return { tag, version, precision, hasV: v === 'v', ...(tagSuffix ? { suffix: tagSuffix } : {}) };
}

/** The `-suffix` of a version tag (`alpine` for `1.25-alpine`), or undefined. */
export function versionTagSuffix(tag: string): string | undefined {
  return VERSION_TAG_RE.exec(tag)?.[5] ?? undefined;
}

/** Newest first; at equal versions the more specific tag first. Stable otherwise. */
function newestFirst(a: VersionTag, b: VersionTag): number {
  return semver.rcompare(a.version, b.version) || b.precision - a.precision;
}

/** Most specific first, then newest. */
function mostSpecificFirst(a: VersionTag, b: VersionTag): number {
  return b.precision - a.precision || semver.rcompare(a.version, b.version);
}

export interface FindVersionTagOptions {
  /** All tags of the repository. */
  tags: readonly string[];
  /** The digest to explain (e.g. what `latest` resolves to). */
  targetDigest: string;
  /** Digest of a tag (e.g. via ResolverSession.resolve); undefined or a throw means "unknown". */
  digestOf: (tag: string) => Promise<string | undefined>;
  /** Lookups in flight. Default 8. */
  concurrency?: number;
  /** Give up after this many lookups (newest first). Default 100. */
  maxLookups?: number;
  /** Only consider tags with this `-suffix` (e.g. `alpine`). Default: tags without a suffix. */
  suffix?: string;
}

export interface VersionTagMatch {
  /** The most specific, then highest, matching tag. */
  best?: string;
  /** Every matching tag found, most specific first. */
  matches: string[];
  /** How many digests were looked up. */
  lookedUp: number;
  /** Lookups that failed. */
  failed: number;
  /** True when maxLookups cut the search short before an x.y.z match was found. */
  truncated: boolean;
}

export async function findVersionTag(opts: FindVersionTagOptions): Promise<VersionTagMatch> {
  const candidates = opts.tags
    .map((t) => parseVersionTag(t, opts.suffix))
    .filter((v): v is VersionTag => v !== undefined)
    .sort(newestFirst);
  const maxLookups = opts.maxLookups ?? 100;
  const toLookUp = candidates.slice(0, maxLookups);
  let foundExact = false;
  let lookedUp = 0;
  let failed = 0;
  const found: VersionTag[] = [];
  await mapLimit(
    toLookUp,
    opts.concurrency ?? 8,
    async (candidate) => {
      lookedUp++;
      let digest: string | undefined;
      try {
        digest = await opts.digestOf(candidate.tag);
      } catch {
        digest = undefined;
      }
      if (digest === undefined) failed++;
      if (digest === opts.targetDigest) {
        found.push(candidate);
        if (candidate.precision === 3) foundExact = true;
      }
    },
    () => foundExact,
  );
  found.sort(mostSpecificFirst);
  const matches = found.map((f) => f.tag);
  return {
    ...(matches[0] !== undefined ? { best: matches[0] } : {}),
    matches,
    lookedUp,
    failed,
    truncated: !foundExact && candidates.length > toLookUp.length,
  };
}

export interface NewerVersions {
  /** Newest x.y.Z above the current patch (same major.minor). */
  patch?: string;
  /** Newest x.Y.z with a higher minor (same major). */
  minor?: string;
  /** Newest X.y.z with a higher major. */
  major?: string;
}

/**
 * The newest releases above `currentTag`, considering full x.y.z tags with the same `-suffix`.
 * A partial current tag (`1.2`, `1`) floats, so only levels above its precision are reported.
 * When `v1.2.3` and `1.2.3` both exist, the spelling matching the current tag is returned.
 */
export function newerVersions(tags: readonly string[], currentTag: string): NewerVersions {
  const suffix = versionTagSuffix(currentTag);
  const current = parseVersionTag(currentTag, suffix);
  if (!current) return {};
  const full = tags
    .map((t) => parseVersionTag(t, suffix))
    .filter((v): v is VersionTag => v !== undefined && v.precision === 3)
    .sort((a, b) => semver.rcompare(a.version, b.version) || Number(b.hasV === current.hasV) - Number(a.hasV === current.hasV));
  const cur = current.version;
  const pick = (pred: (v: semver.SemVer) => boolean) => full.find((t) => pred(t.version))?.tag;
  const result: NewerVersions = {};
  const patch = current.precision === 3 ? pick((v) => v.major === cur.major && v.minor === cur.minor && v.patch > cur.patch) : undefined;
  const minor = current.precision >= 2 ? pick((v) => v.major === cur.major && v.minor > cur.minor) : undefined;
  const major = pick((v) => v.major > cur.major);
  if (patch) result.patch = patch;
  if (minor) result.minor = minor;
  if (major) result.major = major;
  return result;
}

/**
 * The most specific version tag of `ref`'s repository whose digest is `digest` (what `latest`
 * is), looking tags up through `resolver`; undefined when none matches or the tags are unknown.
 */
export async function versionTagForDigest(resolver: Resolver, ref: ParsedReference, digest: string, tags: readonly string[] | undefined): Promise<string | undefined> {
  if (tags === undefined) return undefined;
  const match = await findVersionTag({
    tags,
    targetDigest: digest,
    digestOf: async (tag) => {
      const outcome = await resolver.resolve({ ...ref, tag, digest: undefined } as ParsedReference);
      return outcome.ok ? outcome.digest : undefined;
    },
  });
  return match.best;
}

export type UpgradeLevel = 'patch' | 'minor' | 'major';

/** What a pre-release suffix looks like (`1.3.0-rc.1`, `2.0.0-beta2`), as opposed to a variant (`-alpine`). */
const PRERELEASE_RE = /^(v?)(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)-((?:alpha|beta|rc|pre|preview|dev|canary|next)(?:[.-]?[0-9A-Za-z]+)*)$/i;

/**
 * The releases `currentTag` (an exact version, `1.2.3`, `v1.2.3`, `1.2.3-alpine`) may move to at
 * `level`, newest first: patch keeps major.minor, minor keeps the major, major takes any. Only full
 * x.y.z tags with the same `-suffix` count (`1.25.4-alpine` for `1.25.3-alpine`); pre-releases
 * (`1.3.0-rc.1`) only with `prerelease` and a current tag without a suffix. When `v1.2.4` and
 * `1.2.4` both exist, the current tag's spelling is taken. Empty when the current tag is not an
 * exact version.
 */
export function upgradeCandidates(tags: readonly string[], currentTag: string, level: UpgradeLevel, options: { prerelease?: boolean } = {}): string[] {
  const suffix = versionTagSuffix(currentTag);
  const current = parseVersionTag(currentTag, suffix);
  if (current === undefined || current.precision !== 3) return [];
  const found: Array<{ tag: string; version: semver.SemVer; hasV: boolean }> = [];
  for (const tag of tags) {
    const parsed = parseVersionTag(tag, suffix);
    if (parsed !== undefined && parsed.precision === 3) {
      found.push({ tag, version: parsed.version, hasV: parsed.hasV });
      continue;
    }
    if (options.prerelease !== true || suffix !== undefined) continue;
    const pre = PRERELEASE_RE.exec(tag);
    const version = pre === null ? null : semver.parse(`${pre[2]}.${pre[3]}.${pre[4]}-${pre[5]}`);
    if (pre !== null && version !== null) found.push({ tag, version, hasV: pre[1] === 'v' });
  }
  const cur = current.version;
  const allowed = found.filter(({ version: v }) => semver.gt(v, cur) && (level === 'major' || (v.major === cur.major && (level === 'minor' || v.minor === cur.minor))));
  allowed.sort((a, b) => semver.rcompare(a.version, b.version) || Number(b.hasV === current.hasV) - Number(a.hasV === current.hasV));
  const seen = new Set<string>();
  return allowed.filter(({ version }) => (seen.has(version.raw) ? false : (seen.add(version.raw), true))).map(({ tag }) => tag);
}
