// Files an extractor reads beside the one it scans: a chart's Chart.yaml beside its values, a
// kustomization's resources, the JSON a Terraform `file()` loads. Read with the same checks as any
// scanned file (size limit, binary content, UTF-8), remembered for the rest of the scan (bounded).
import { readdirSync } from 'node:fs';
import { basename, dirname, isAbsolute, join } from 'node:path';
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

/** The other files of `from`'s directory whose names end with `suffix` (a Terraform module's `.tf` files). */
export type SiblingReader = (from: string, suffix: string) => Companion[];

const MAX_SIBLINGS = 200;

export function siblingReader(companions: CompanionReader): SiblingReader {
  const listings = new Map<string, string[]>();
  return (from, suffix) => {
    if (from === '<stdin>') return [];
    const dir = dirname(from);
    let names = listings.get(dir);
    if (names === undefined) {
      try {
        names = readdirSync(dir, { withFileTypes: true })
          .filter((entry) => entry.isFile() || entry.isSymbolicLink())
          .map((entry) => entry.name)
          .sort();
      } catch {
        names = [];
      }
      if (listings.size >= CACHE_LIMIT) listings.clear();
      listings.set(dir, names);
    }
    const own = basename(from);
    return names
      .filter((name) => name !== own && name.endsWith(suffix))
      .slice(0, MAX_SIBLINGS)
      .flatMap((name) => companions(from, name) ?? []);
  };
}
