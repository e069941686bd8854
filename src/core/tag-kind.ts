// Classifies a tag by how much it can move under the reader's feet. Each tag has exactly one kind,
// so each reference gets at most one tag finding: the most specific reason it floats.
//   latest       latest
//   mutable      a word that names a moving target (stable, main, edge, nightly, alpine, lts, …), a
//                tag made of such words (stable-alpine), a build of such a branch (main-3f2c1ab), or an
//                exact version with a floating suffix (2.1.0-SNAPSHOT)
//   exact        three or more numeric parts: 1.25.3, v0.28.0, 1.25.3-alpine, 2.0.1+build5, and a
//                third part that runs on into a build marker (1.300066.1b1374)
//   partial      one or two numeric parts: v1, 1.25, 1.25-alpine, and a lone 4-digit number
//                (2023: a year-named line such as amazonlinux:2023)
//   unversioned  no digit at all and no commit id, and no channel word: jammy, bookworm-slim, musl,
//                blue; codenames and variant names move with every point release
//   specific     anything else: a build id of 5+ digits (20240501), a commit id (30a4ce1a,
//                deadbeef: 7–40 hex characters), revision_1, sha-abc1234; one build by convention

export type TagKind = 'exact' | 'partial' | 'latest' | 'mutable' | 'unversioned' | 'specific';

/** Kinds whose tag names a moving target: what a registry's tag list can name a version for. */
export const FLOATING_TAG_KINDS: ReadonlySet<TagKind> = new Set(['latest', 'mutable', 'partial', 'unversioned']);

// major[.minor[.patch[marker]][.fourth]] then an optional suffix after a separator. The marker is a
// build or pre-release label written straight after the third part (1.300066.1b1374, 1.2.3rc1).
const VERSION = /^[vV]?(\d+)(?:\.(\d+))?(?:\.(\d+)([A-Za-z][A-Za-z0-9]*)?)?(?:\.(\d+))?(?:[-_+.~]([A-Za-z0-9_.+-]*))?$/;

/** A commit id: 7 to 40 hexadecimal characters (git's short and full forms). */
const COMMIT_ID = /^[0-9a-f]{7,40}$/;

/** Digits in a lone number from which it is a build id or date (20240501) rather than a release line. */
const BUILD_ID_DIGITS = 5;

export function classifyTag(tag: string, mutableWords: ReadonlySet<string>): TagKind {
  const lower = tag.toLowerCase();
  if (lower === 'latest') return 'latest';
  const version = VERSION.exec(tag);
  if (version !== null) {
    const [, major = '', minor, patch, marker = '', , suffix = ''] = version;
    const floating = [...suffixWords(marker), ...suffixWords(suffix)].some((word) => mutableWords.has(word) && FLOATING_SUFFIXES.has(word));
    if (patch !== undefined) return floating ? 'mutable' : 'exact';
    // A lone number of many digits is a date or build number (20240501), not a release line.
    if (minor === undefined && major.length >= BUILD_ID_DIGITS) return 'specific';
    return 'partial';
  }
  const words = suffixWords(lower);
  if (mutableWords.has(lower) || words.every((word) => mutableWords.has(word))) return 'mutable';
  if (!/[0-9]/.test(tag) && !words.some((word) => COMMIT_ID.test(word))) {
    // No digit and no commit id. A channel word says what moves (init-latest, jammy-testing); a
    // flavour word does not (bookworm-slim: the codename moves).
    return words.some((word) => mutableWords.has(word) && !FLAVOURS.has(word)) ? 'mutable' : 'unversioned';
  }
  // A build of a moving branch or channel (main-3f2c1ab, stable-20240501).
  return words.some((word) => mutableWords.has(word)) ? 'mutable' : 'specific';
}

function suffixWords(text: string): string[] {
  return text.toLowerCase().split(/[-_.+~]/).filter((word) => word !== '');
}

/** Mutable words that name a variant of an image rather than a channel: alone they float, beside a codename the codename does. */
const FLAVOURS = new Set(['alpine', 'slim']);

/**
 * After an exact version, only these words make the tag move (1.0.0-SNAPSHOT, 2.1.0-nightly);
 * others name a flavour or a build of that release (1.25.3-alpine, 1.12.2.1-prod).
 */
const FLOATING_SUFFIXES = new Set(['latest', 'snapshot', 'nightly', 'edge', 'head', 'trunk', 'main', 'master', 'dev', 'develop', 'unstable']);
