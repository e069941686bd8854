// A small position-aware document tree shared by the YAML and JSON parsers, so each extractor is
// written once for both syntaxes. Every node keeps the exact UTF-16 offsets of its text in the
// original file; nothing here is ever re-serialised.
import type { ScalarStyle, TextRange } from '../core/types.js';

export interface ScalarNode {
  type: 'scalar';
  /** The decoded value: strings stay strings; numbers, booleans and null become their text. */
  value: string | number | boolean | null;
  /** Offsets of the value's characters, inside any quotes. */
  range: TextRange;
  /** Offsets of the whole node, quotes included (where a parse error or tag points). */
  nodeRange: TextRange;
  style: ScalarStyle;
  /** YAML tag as written, e.g. `!Ref`, or undefined. */
  tag?: string;
}

export interface MapEntry {
  key: string;
  keyRange: TextRange;
  value: Node;
}

export interface MapNode {
  type: 'map';
  entries: MapEntry[];
  nodeRange: TextRange;
  tag?: string;
}

export interface SeqNode {
  type: 'seq';
  items: Node[];
  nodeRange: TextRange;
  tag?: string;
}

export type Node = ScalarNode | MapNode | SeqNode;

/**
 * A key given twice in one mapping. The tree keeps only the last value (what `JSON.parse`, Go's
 * decoders, `aws ecs` and Kubernetes without strict field validation use); the earlier ones are
 * shadowed and left out, so nothing judges or edits them.
 */
export interface DuplicateKey {
  key: string;
  /** The key whose value the tree keeps (the last one). */
  keyRange: TextRange;
  /** An earlier occurrence of the same key, whose value is left out. */
  shadowedRange: TextRange;
}

export interface ParsedDocument {
  root: Node | undefined;
  /** Keys given twice in a mapping of this document, in text order; absent when there are none. */
  duplicateKeys?: DuplicateKey[];
  /** The document could not be parsed (YAML): root is undefined, the documents after it are still read. */
  error?: SyntaxError;
}

export interface SyntaxError {
  message: string;
  offset: number;
}

export interface ParsedFile {
  syntax: 'yaml' | 'json';
  documents: ParsedDocument[];
  /**
   * The first syntax error, if the file could not be parsed in full. The other documents (YAML) or
   * the values the parser recovered around it (JSON) are still present.
   */
  error?: SyntaxError;
  /** Every syntax error, in text order (error is the first), when there is more than one. */
  errors?: SyntaxError[];
}

/** Every syntax error of a parsed file, in text order. */
export function syntaxErrors(file: ParsedFile): SyntaxError[] {
  return file.errors ?? (file.error !== undefined ? [file.error] : []);
}

/** The documents before the first one that could not be parsed (all of them when none failed). */
export function documentsBeforeError(file: ParsedFile): ParsedDocument[] {
  const broken = file.documents.findIndex((document) => document.error !== undefined);
  return broken === -1 ? file.documents : file.documents.slice(0, broken);
}

/** Sets a parsed file's error fields from its errors (sorted by offset). */
export function withErrors(file: ParsedFile, errors: SyntaxError[]): ParsedFile {
  if (errors.length === 0) return file;
  errors.sort((a, b) => a.offset - b.offset);
  file.error = errors[0];
  if (errors.length > 1) file.errors = errors;
  return file;
}

/** Maps up to this many entries are checked for duplicate keys pair by pair; larger ones with a Set. */
const SMALL_MAP = 8;

/**
 * Keeps one entry per key in a mapping's entries (built in text order), the last one, where the
 * first was: consumers take the last value. Each left-out entry is recorded in `duplicates`. The
 * common case (no duplicate) costs a few comparisons and allocates nothing.
 */
export function dedupeEntries(entries: MapEntry[], duplicates: DuplicateKey[]): void {
  const n = entries.length;
  if (n < 2) return;
  let found = false;
  if (n <= SMALL_MAP) {
    for (let i = 1; i < n && !found; i++) {
      const key = entries[i]!.key;
      for (let j = 0; j < i; j++) {
        if (entries[j]!.key === key) {
          found = true;
          break;
        }
      }
    }
  } else {
    const keys = new Set<string>();
    for (const entry of entries) {
      if (keys.has(entry.key)) {
        found = true;
        break;
      }
      keys.add(entry.key);
    }
  }
  if (!found) return;
  // The last entry of each key, and where the key first appeared.
  const last = new Map<string, MapEntry>();
  for (const entry of entries) {
    const earlier = last.get(entry.key);
    if (earlier !== undefined) duplicates.push({ key: entry.key, keyRange: entry.keyRange, shadowedRange: earlier.keyRange });
    last.set(entry.key, entry);
  }
  let kept = 0;
  const placed = new Set<string>();
  for (const entry of entries) {
    if (placed.has(entry.key)) continue;
    placed.add(entry.key);
    entries[kept++] = last.get(entry.key)!;
  }
  entries.length = kept;
}

/** The duplicates of a document in text order, or undefined when there are none. */
export function sortedDuplicates(duplicates: DuplicateKey[]): DuplicateKey[] | undefined {
  if (duplicates.length === 0) return undefined;
  return duplicates.sort((a, b) => a.keyRange.start - b.keyRange.start);
}

/**
 * A copy of a string cut from a file's text that does not keep that text alive: V8 represents a
 * slice of 13 or more characters as a view into its parent, so one image name kept in a cache (or
 * a finding) would otherwise hold the whole file in memory for the rest of the scan. The parsers
 * detach every string value they put in a tree (not keys: they are many and stay in the tree).
 */
export function detach(s: string): string {
  return s.length < 13 ? s : (' ' + s).slice(1);
}

export function get(node: Node | undefined, key: string): Node | undefined {
  if (node?.type !== 'map') return undefined;
  for (const entry of node.entries) if (entry.key === key) return entry.value;
  return undefined;
}

export function getPath(node: Node | undefined, ...keys: string[]): Node | undefined {
  let current = node;
  for (const key of keys) current = get(current, key);
  return current;
}

/** The value of a plain string/number scalar at `key`, as a string. */
export function str(node: Node | undefined, key?: string): string | undefined {
  const target = key === undefined ? node : get(node, key);
  if (target?.type !== 'scalar' || target.tag !== undefined || target.value === null) return undefined;
  return String(target.value);
}

export function bool(node: Node | undefined, key: string): boolean | undefined {
  const target = get(node, key);
  if (target?.type !== 'scalar') return undefined;
  if (target.value === true || target.value === 'true') return true;
  if (target.value === false || target.value === 'false') return false;
  return undefined;
}

export function items(node: Node | undefined): Node[] {
  return node?.type === 'seq' ? node.items : [];
}
