// Wording shared by the audit's rules: digests, the versions they carry, task counts. Pure.

/** `sha256:0123456789ab…`: enough to tell builds apart, short enough for one line. */
export function shortDigest(digest: string): string {
  return digest.length > 19 ? `${digest.slice(0, 19)}…` : digest;
}

/** `sha256:0123456789ab… (v0.28.0)`, or without the version when the registry gave none. */
export function namedDigest(d: { digest: string; versionTag?: string }): string {
  return d.versionTag !== undefined ? `${shortDigest(d.digest)} (${d.versionTag})` : shortDigest(d.digest);
}

export function countOf(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/** `a`, `a and b`, `a, b and c`. */
export function listOf(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

/** What the unit's instances are called: `task` in ECS, `pod` in Kubernetes. */
export function instanceNoun(live: { platform?: 'kubernetes' }): string {
  return live.platform === 'kubernetes' ? 'pod' : 'task';
}

/** `, and 2 pods report a local image id (not a registry digest: not compared)`, or nothing. */
export function localIdNote(live: { localImageIds?: number }): string {
  const n = live.localImageIds ?? 0;
  return n > 0 ? ` (${countOf(n, 'pod')} ${n === 1 ? 'reports' : 'report'} only a local image id, not a registry digest: not compared)` : '';
}
