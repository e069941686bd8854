// What a pin must leave alone: the text of a file outside its image strings (and outside the tag
// and digest values a reference built from parts is pinned in), as one string. A `digest:` key a
// pin added (Kustomize) is taken out of the text before it, so the rest must still be equal.
import type { ImageRef } from '../../src/core/types.js';

export function outsideImages(text: string, refs: readonly ImageRef[]): string {
  const all = refs.flatMap((ref) => [ref.range, ...(ref.pin?.tag !== undefined ? [ref.pin.tag.range] : []), ...(ref.pin?.digest !== undefined ? [{ ...ref.pin.digest.range, digest: true }] : [])]);
  const ranges = [...new Map(all.map((range) => [range.start, range])).values()].sort((a, b) => a.start - b.start);
  const parts: string[] = [];
  let cursor = 0;
  for (const range of ranges) {
    const part = text.slice(cursor, range.start);
    parts.push('digest' in range ? part.replace(/\r?\n[ \t]*digest: $/, '') : part);
    cursor = Math.max(cursor, range.end);
  }
  parts.push(text.slice(cursor));
  return parts.join('');
}
