// JSON -> position-aware tree, with Microsoft's jsonc-parser (the parser behind VS Code's JSON
// support): it reports exact offsets for every value and error, and tolerates nothing that JSON
// forbids when asked (comments and trailing commas are errors here).
import { parseTree, printParseErrorCode } from 'jsonc-parser';
import type { Node as JsonNode, ParseError } from 'jsonc-parser';
import { detach } from './tree.js';
import type { MapEntry, Node, ParsedFile } from './tree.js';
import { MAX_DEPTH } from './yaml.js';

class TooDeep extends Error {
  constructor(readonly offset: number) {
    super(`nesting deeper than ${MAX_DEPTH} levels`);
  }
}

function convert(node: JsonNode, depth: number): Node | undefined {
  if (depth > MAX_DEPTH) throw new TooDeep(node.offset);
  const nodeRange = { start: node.offset, end: node.offset + node.length };
  switch (node.type) {
    case 'object': {
      const entries: MapEntry[] = [];
      for (const property of node.children ?? []) {
        const [keyNode, valueNode] = property.children ?? [];
        if (keyNode === undefined || valueNode === undefined) continue;
        const value = convert(valueNode, depth + 1);
        if (value === undefined) continue;
        entries.push({ key: String(keyNode.value), keyRange: { start: keyNode.offset, end: keyNode.offset + keyNode.length }, value });
      }
      return { type: 'map', entries, nodeRange };
    }
    case 'array': {
      const items: Node[] = [];
      for (const child of node.children ?? []) {
        const value = convert(child, depth + 1);
        if (value !== undefined) items.push(value);
      }
      return { type: 'seq', items, nodeRange };
    }
    case 'string':
      // Inside the quotes: the raw (possibly escaped) characters of the string.
      return { type: 'scalar', value: detach(node.value as string), range: { start: node.offset + 1, end: node.offset + node.length - 1 }, nodeRange, style: 'json' };
    case 'number':
    case 'boolean':
    case 'null':
      return { type: 'scalar', value: node.value as number | boolean | null, range: nodeRange, nodeRange, style: 'json' };
    default:
      return undefined;
  }
}

export function parseJson(text: string): ParsedFile {
  const errors: ParseError[] = [];
  let tree: JsonNode | undefined;
  try {
    tree = parseTree(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
  } catch (err) {
    if (err instanceof RangeError) return { syntax: 'json', documents: [], error: { message: 'nesting too deep to parse', offset: 0 } };
    throw err;
  }
  // jsonc-parser recovers from errors, so a file with one bad spot (a `{{placeholder}}`, a missing
  // comma) still yields the values around it, each at its true position; the error is reported too.
  const first = errors[0];
  const error = first === undefined ? undefined : { message: describe(printParseErrorCode(first.error)), offset: first.offset };
  try {
    return { syntax: 'json', documents: [{ root: tree === undefined ? undefined : convert(tree, 0) }], ...(error !== undefined ? { error } : {}) };
  } catch (err) {
    if (err instanceof TooDeep) return { syntax: 'json', documents: [], error: { message: err.message, offset: err.offset } };
    if (err instanceof RangeError) return { syntax: 'json', documents: [], error: { message: 'nesting too deep to parse', offset: 0 } };
    throw err;
  }
}

/** `CommaExpected` -> `comma expected`. */
function describe(code: string): string {
  return `invalid JSON: ${code.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase()}`;
}
