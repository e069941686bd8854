// Classifies a tag by how much it can move under the reader's feet.
//   exact    1.25.3, v0.28.0, 1.25.3-alpine, 2.0.1+build5 — one release, but tags can be re-pushed
//   partial  v1, 1.25, 1.25-alpine — floats within a release line
//   latest   latest
//   mutable  a word that names a moving target: stable, main, edge, nightly, alpine, lts, …
//   specific anything else (revision_1, sha-abc1234, 20240501): one build by convention

export type TagKind = 'exact' | 'partial' | 'latest' | 'mutable' | 'specific';

const VERSION = /^[vV]?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:\.(\d+))?(?:[-_+.~]([A-Za-z0-9_.+-]*))?$/;

export function classifyTag(tag: string, mutableWords: ReadonlySet<string>): TagKind {
  const lower = tag.toLowerCase();
  if (lower === 'latest') return 'latest';
  const version = VERSION.exec(tag);
  if (version !== null) {
    const [, major = '', minor, patch] = version;
    const suffix = version[5] ?? '';
    const floatingSuffix = suffix !== '' && suffixWords(suffix).some((word) => mutableWords.has(word) && FLOATING_SUFFIXES.has(word));
    if (patch !== undefined) return floatingSuffix ? 'mutable' : 'exact';
    // A lone number of many digits is a date or build number (20240501), not a major version.
    if (minor === undefined && major.length > 3) return 'specific';
    return 'partial';
  }
  const words = suffixWords(lower);
  if (mutableWords.has(lower) || words.some((word) => mutableWords.has(word))) return 'mutable';
  return 'specific';
}

function suffixWords(text: string): string[] {
  return text.toLowerCase().split(/[-_.+~]/).filter((word) => word !== '');
}

/**
 * After an exact version, only these words make the tag move (1.0.0-SNAPSHOT, 2.1.0-nightly);
 * others name a flavour or a build of that release (1.25.3-alpine, 1.12.2.1-prod).
 */
const FLOATING_SUFFIXES = new Set(['latest', 'snapshot', 'nightly', 'edge', 'head', 'trunk', 'main', 'master', 'dev', 'develop', 'unstable']);
