// Files an extractor reads beside the one it scans: a chart's Chart.yaml beside its values, a
// kustomization's resources, the JSON a Terraform `file()` loads. Read with the same checks as any
// scanned file (size limit, binary content, UTF-8), remembered for the rest of the scan (bounded).
import { join, dirname, isAbsolute } from 'node:path';
import { readCheckedSync } from './files.js';

export interface Companion {
  path: string;
  text: string;
}

/** Reads `relative` to the directory of `from`; undefined when it is missing or not a text we can scan. */
export type CompanionReader = (from: string, relative: string) => Companion | undefined;

const CACHE_LIMIT = 256;

export function companionReader(maxBytes: number): CompanionReader {
  const cache = new Map<string, Companion | undefined>();
  return (from, relative) => {
    if (from === '<stdin>' || relative === '' || relative.includes('\0')) return undefined;
    const path = isAbsolute(relative) ? relative : join(dirname(from), relative);
    if (cache.has(path)) return cache.get(path);
    const item = readCheckedSync(path, maxBytes);
    const found = item.kind === 'file' ? { path, text: item.text } : undefined;
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(path, found);
    return found;
  };
}
