// JSON -> position-aware tree, with Microsoft's jsonc-parser (the parser behind VS Code's JSON
// support): it reports exact offsets for every value and error, and tolerates nothing that JSON
// forbids when asked (comments and trailing commas are errors here).
import { parseTree, printParseErrorCode } from 'jsonc-parser';
import type { Node as JsonNode, ParseError } from 'jsonc-parser';
//
// A depth guard reads the text first (depth-guard.ts): a container nested deeper than MAX_DEPTH is
// cut out of what jsonc-parser (which recurses once per level) reads, an empty one in its place,
// and reported at the deep value's own position; the references elsewhere are still checked.
import { cutRegions, DEPTH_MESSAGE, jsonDeepRegions, MAX_DEPTH } from './depth-guard.js';
import { dedupeEntries, detach, sortedDuplicates, withErrors } from './tree.js';
import type { DuplicateKey, MapEntry, Node, ParsedFile, SyntaxError } from './tree.js';

class TooDeep extends Error {
  constructor(readonly offset: number) {
    super(DEPTH_MESSAGE);
  }
}

/** Builds the tree; `at` gives an offset of the text jsonc-parser read its original offset. */
function convert(node: JsonNode, depth: number, duplicates: DuplicateKey[], at: (offset: number) => number): Node | undefined {
  const nodeRange = { start: at(node.offset), end: at(node.offset + node.length) };
  if (depth > MAX_DEPTH) throw new TooDeep(nodeRange.start);
  switch (node.type) {
    case 'object': {
      const entries: MapEntry[] = [];
      for (const property of node.children ?? []) {
        const [keyNode, valueNode] = property.children ?? [];
        if (keyNode === undefined || valueNode === undefined) continue;
        const value = convert(valueNode, depth + 1, duplicates, at);
        if (value === undefined) continue;
        entries.push({ key: String(keyNode.value), keyRange: { start: at(keyNode.offset), end: at(keyNode.offset + keyNode.length) }, value });
      }
      // A key given twice: the last value is the one JSON.parse, Go and `aws ecs` use.
      dedupeEntries(entries, duplicates);
      return { type: 'map', entries, nodeRange };
    }
    case 'array': {
      const items: Node[] = [];
      for (const child of node.children ?? []) {
        const value = convert(child, depth + 1, duplicates, at);
        if (value !== undefined) items.push(value);
      }
      return { type: 'seq', items, nodeRange };
    }
    case 'string':
      // Inside the quotes: the raw (possibly escaped) characters of the string.
      return { type: 'scalar', value: detach(node.value as string), range: { start: nodeRange.start + 1, end: nodeRange.end - 1 }, nodeRange, style: 'json' };
    case 'number':
    case 'boolean':
    case 'null':
      return { type: 'scalar', value: node.value as number | boolean | null, range: nodeRange, nodeRange, style: 'json' };
    default:
      return undefined;
  }
}

export function parseJson(text: string): ParsedFile {
  const deep = jsonDeepRegions(text);
  const errors: SyntaxError[] = deep.map((region) => ({ message: DEPTH_MESSAGE, offset: region.offset }));
  const cut = cutRegions(text, deep);
  const parseErrors: ParseError[] = [];
  let tree: JsonNode | undefined;
  try {
    tree = parseTree(cut.text, parseErrors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
  } catch (err) {
    if (err instanceof RangeError) return withErrors({ syntax: 'json', documents: [] }, [...errors, { message: DEPTH_MESSAGE, offset: 0 }]);
    throw err;
  }
  // jsonc-parser recovers from errors, so a file with one bad spot (a `{{placeholder}}`, a missing
  // comma) still yields the values around it, each at its true position; the error is reported too.
  const first = parseErrors[0];
  if (first !== undefined) errors.push({ message: describe(printParseErrorCode(first.error)), offset: cut.original(first.offset) });
  const duplicates: DuplicateKey[] = [];
  try {
    const root = tree === undefined ? undefined : convert(tree, 0, duplicates, cut.original);
    const duplicateKeys = sortedDuplicates(duplicates);
    return withErrors({ syntax: 'json', documents: [duplicateKeys === undefined ? { root } : { root, duplicateKeys }] }, errors);
  } catch (err) {
    if (err instanceof TooDeep) return withErrors({ syntax: 'json', documents: [] }, [...errors, { message: err.message, offset: err.offset }]);
    if (err instanceof RangeError) return withErrors({ syntax: 'json', documents: [] }, [...errors, { message: DEPTH_MESSAGE, offset: 0 }]);
    throw err;
  }
}

/** `CommaExpected` -> `comma expected`. */
function describe(code: string): string {
  return `invalid JSON: ${code.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase()}`;
}
