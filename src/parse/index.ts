// Chooses the syntax by content (a document starting with `{` or `[` is JSON, anything else YAML)
// and hides a byte-order mark from the parsers without moving any offset.
//
// Each syntax has a fast reader for the common case (src/parse/fast-yaml.ts, fast-json.ts) that
// builds exactly the tree the full parser builds, and gives up on anything unusual or wrong; the
// full parser (eemeli/yaml, jsonc-parser) then reads the file, so errors always come from it.
import { fastParseJson } from './fast-json.js';
import { fastParseYaml, fastScanYaml, TemplateStop } from './fast-yaml.js';
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

/**
 * What the scanner reads: parseText()'s tree, or (`template`) the documents the full parser would
 * keep before the one in which a Go/Helm template directive line makes it report an error (see
 * FastYamlReader.readForScan()), without running the full parser. Its error message and offset are
 * not known then: the scanner uses this only for a text it skips as a Go/Helm template, and parses
 * any other one again with parseText().
 */
export interface ScanParse extends ParsedFile {
  /** Offset of the template directive line; the document it is in has an error for the full parser. */
  template?: number;
}

export function parseForScan(text: string, options: ParseOptions = {}): ScanParse {
  const fast = options.fast ?? parseSettings.fast;
  if (!fast || looksLikeJson(text)) return parseText(text, options);
  const result = fastScanYaml(text);
  if (result instanceof TemplateStop) return { syntax: 'yaml', documents: result.documents, template: result.offset };
  // The fast reader has already given up on this text: straight to the full parser.
  return result ?? parseText(text, { fast: false });
}
