// Chooses the syntax by content (a document starting with `{` or `[` is JSON, anything else YAML)
// and hides a byte-order mark from the parsers without moving any offset.
//
// Each syntax has a fast reader for the common case (src/parse/fast-yaml.ts, fast-json.ts) that
// builds exactly the tree the full parser builds, and gives up on anything unusual or wrong; the
// full parser (eemeli/yaml, jsonc-parser) then reads the file, so errors always come from it.
import { fastParseJson } from './fast-json.js';
import { fastParseYaml } from './fast-yaml.js';
import { parseJson } from './json.js';
import type { ParsedFile } from './tree.js';
import { parseYaml } from './yaml.js';

/** A JSON document starts with `[` or with `{` followed by a key or `}` (not `{{`, a template). */
export function looksLikeJson(text: string): boolean {
  return /^[\s\uFEFF]*(\[|\{\s*["}])/.test(text);
}

export interface ParseOptions {
  /** Use the fast readers where they apply; false: always the full parsers. Defaults to parseSettings.fast. */
  fast?: boolean;
}

/** Process-wide default, for the differential tests that run the whole scanner on each path. */
export const parseSettings = { fast: true };

export function parseText(text: string, options: ParseOptions = {}): ParsedFile {
  const fast = options.fast ?? parseSettings.fast;
  if (!looksLikeJson(text)) return (fast ? fastParseYaml(text) : undefined) ?? parseYaml(text); // the YAML lexer knows the BOM itself
  // For JSON a BOM becomes a space of the same length, so every offset still points into the original text.
  const json = text.charCodeAt(0) === 0xfeff ? ` ${text.slice(1)}` : text;
  return (fast ? fastParseJson(json) : undefined) ?? parseJson(json);
}
