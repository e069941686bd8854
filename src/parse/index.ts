// Chooses the syntax by content (a document starting with `{` or `[` is JSON, anything else YAML)
// and hides a byte-order mark from the parsers without moving any offset.
import { parseJson } from './json.js';
import type { ParsedFile } from './tree.js';
import { parseYaml } from './yaml.js';

export function looksLikeJson(text: string): boolean {
  const match = /^[\s\uFEFF]*(\S)/.exec(text);
  return match?.[1] === '{' || match?.[1] === '[';
}

export function parseText(text: string): ParsedFile {
  // A BOM becomes a space of the same length so every offset still points into the original text.
  const source = text.charCodeAt(0) === 0xfeff ? ` ${text.slice(1)}` : text;
  return looksLikeJson(source) ? parseJson(source) : parseYaml(source);
}
