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

export interface ParsedDocument {
  root: Node | undefined;
}

export interface SyntaxError {
  message: string;
  offset: number;
}

export interface ParsedFile {
  syntax: 'yaml' | 'json';
  documents: ParsedDocument[];
  /**
   * The first syntax error, if the file could not be parsed. Documents before it (YAML) or the
   * values the parser recovered around it (JSON) may still be present.
   */
  error?: SyntaxError;
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
