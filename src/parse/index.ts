// Chooses the syntax by content (a document starting with `{` or `[` is JSON, anything else YAML)
// and hides a byte-order mark from the parsers without moving any offset.
import { parseJson } from './json.js';
import type { ParsedFile } from './tree.js';
import { parseYaml } from './yaml.js';

/** A JSON document starts with `[` or with `{` followed by a key or `}` (not `{{`, a template). */
export function looksLikeJson(text: string): boolean {
  return /^[\s\uFEFF]*(\[|\{\s*["}])/.test(text);
}

export function parseText(text: string): ParsedFile {
  if (!looksLikeJson(text)) return parseYaml(text); // the YAML lexer knows the BOM itself
  // For JSON a BOM becomes a space of the same length, so every offset still points into the original text.
  return parseJson(text.charCodeAt(0) === 0xfeff ? ` ${text.slice(1)}` : text);
}
