// YAML -> position-aware tree, with eemeli/yaml. Every document of a multi-document file is kept;
// aliases point at their anchor's node (never expanded, so alias bombs cost nothing and a fix edits
// the anchor once); unknown tags such as CloudFormation's `!Ref` are kept on the node. The yaml
// package is loaded on the first call only (yaml-lib.ts): most files never need it.
import type { Alias, Document, Node as YamlNode, Pair, Scalar } from 'yaml';
import type { ScalarStyle } from '../core/types.js';
import { detach } from './tree.js';
import type { MapEntry, Node, ParsedDocument, ParsedFile } from './tree.js';
import { yamlLib } from './yaml-lib.js';

export const MAX_DEPTH = 256;

class TooDeep extends Error {
  constructor(readonly offset: number) {
    super(`nesting deeper than ${MAX_DEPTH} levels`);
  }
}

function styleOf(scalar: Scalar): ScalarStyle {
  switch (scalar.type) {
    case 'QUOTE_SINGLE':
      return 'single';
    case 'QUOTE_DOUBLE':
      return 'double';
    case 'BLOCK_FOLDED':
    case 'BLOCK_LITERAL':
      return 'block';
    default:
      return 'plain';
  }
}

class Converter {
  private readonly seen = new Map<YamlNode, Node | undefined>();

  constructor(private readonly doc: Document.Parsed) {}

  convert(node: unknown, depth: number): Node | undefined {
    const { isAlias, isMap, isScalar, isSeq } = yamlLib();
    if (node === null || node === undefined) return undefined;
    if (isAlias(node)) return this.alias(node, depth);
    const cached = this.seen.get(node as YamlNode);
    if (cached !== undefined || this.seen.has(node as YamlNode)) return cached;
    const range = (node as YamlNode).range ?? [0, 0, 0];
    if (depth > MAX_DEPTH) throw new TooDeep(range[0]);
    let result: Node | undefined;
    const tag = (node as YamlNode).tag;
    if (isScalar(node)) {
      const style = styleOf(node);
      const quoted = style === 'single' || style === 'double';
      const start = quoted ? range[0] + 1 : range[0];
      const end = quoted ? Math.max(start, range[1] - 1) : range[1];
      const value = node.value;
      result = {
        type: 'scalar',
        value: typeof value === 'string' ? detach(value) : typeof value === 'number' || typeof value === 'boolean' ? value : value === null ? null : String(value),
        range: { start, end },
        nodeRange: { start: range[0], end: range[1] },
        style,
        ...(tag !== undefined && tag.startsWith('!') && !tag.startsWith('!!') ? { tag } : {}),
      };
    } else if (isMap(node)) {
      const entries: MapEntry[] = [];
      const merged: MapEntry[] = [];
      result = { type: 'map', entries, nodeRange: { start: range[0], end: range[1] }, ...(tag?.startsWith('!') ? { tag } : {}) };
      this.seen.set(node, result);
      for (const pair of node.items as Pair[]) {
        if (!isScalar(pair.key)) continue;
        const key = String(pair.key.value);
        const keyRange = pair.key.range ?? [0, 0, 0];
        const value = this.convert(pair.value, depth + 1);
        if (value === undefined) continue;
        if (key === '<<' && pair.key.type === 'PLAIN') {
          // Merge key: explicit keys win, so merged entries go after them (lookups take the first).
          for (const source of value.type === 'seq' ? value.items : [value]) {
            if (source.type === 'map') merged.push(...source.entries);
          }
          continue;
        }
        entries.push({ key, keyRange: { start: keyRange[0], end: keyRange[1] }, value });
      }
      entries.push(...merged);
      return result;
    } else if (isSeq(node)) {
      const itemsOut: Node[] = [];
      result = { type: 'seq', items: itemsOut, nodeRange: { start: range[0], end: range[1] }, ...(tag?.startsWith('!') ? { tag } : {}) };
      this.seen.set(node, result);
      for (const item of node.items) {
        const converted = this.convert(item, depth + 1);
        if (converted !== undefined) itemsOut.push(converted);
      }
      return result;
    }
    this.seen.set(node as YamlNode, result);
    return result;
  }

  private alias(alias: Alias, depth: number): Node | undefined {
    const target = alias.resolve(this.doc);
    return target === undefined ? undefined : this.convert(target, depth);
  }
}

export function parseYaml(text: string): ParsedFile {
  const documents: ParsedDocument[] = [];
  let docs: Document.Parsed[];
  // The library makes an Error (a YAMLWarning) for every tag it does not know, such as each `!Ref`
  // of a CloudFormation template; capturing their stack traces was the larger part of parsing such
  // files, and nothing reads them.
  const stackTraceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    const parsed = yamlLib().parseAllDocuments(text, { prettyErrors: false, uniqueKeys: false, strict: false, merge: false, keepSourceTokens: false });
    docs = Array.isArray(parsed) ? parsed : [];
  } catch (err) {
    return { syntax: 'yaml', documents, error: { message: err instanceof RangeError ? `nesting too deep to parse` : String(err), offset: 0 } };
  } finally {
    Error.stackTraceLimit = stackTraceLimit;
  }
  for (const doc of docs) {
    const firstError = doc.errors[0];
    if (firstError !== undefined) {
      return { syntax: 'yaml', documents, error: { message: firstError.message.split('\n')[0] ?? firstError.message, offset: firstError.pos[0] } };
    }
    try {
      documents.push({ root: new Converter(doc).convert(doc.contents, 0) });
    } catch (err) {
      if (err instanceof TooDeep) return { syntax: 'yaml', documents, error: { message: err.message, offset: err.offset } };
      if (err instanceof RangeError) return { syntax: 'yaml', documents, error: { message: 'nesting too deep to parse', offset: 0 } };
      throw err;
    }
  }
  return { syntax: 'yaml', documents };
}
