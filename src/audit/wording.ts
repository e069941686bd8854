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
