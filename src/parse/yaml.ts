// YAML -> position-aware tree, with eemeli/yaml. Every document of a multi-document file is kept,
// and a document that cannot be parsed does not hide the ones after it; aliases point at their
// anchor's node (never expanded, so alias bombs cost nothing and a fix edits the anchor once);
// unknown tags such as CloudFormation's `!Ref` are kept on the node. The yaml package is loaded on
// the first call only (yaml-lib.ts): most files never need it.
//
// Bounded by the text's size: a depth guard reads the text before the parser does (depth-guard.ts);
// aliases are resolved in one pass over each document (the library's Alias.resolve() walks the whole
// document for each alias); a merge key (`<<`) adds only the keys its map does not have yet, so a
// merged map holds at most one entry per key, and the entries merges may copy in a file are capped.
import type { Alias, Document, Node as YamlNode, Pair, Scalar } from 'yaml';
import type { ScalarStyle } from '../core/types.js';
import { cutRegions, DEPTH_MESSAGE, MAX_DEPTH, yamlDeepRegions } from './depth-guard.js';
import { dedupeEntries, detach, sortedDuplicates, withErrors } from './tree.js';
import type { DuplicateKey, MapEntry, Node, ParsedDocument, ParsedFile, SyntaxError } from './tree.js';
import { yamlLib } from './yaml-lib.js';

export { MAX_DEPTH };

/** Entries that merge keys may copy in one file, at least (more for a larger file: one per character). */
export const MERGE_BUDGET = 1_000_000;

class TooDeep extends Error {
  constructor(readonly offset: number) {
    super(DEPTH_MESSAGE);
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

/** What merge keys may still copy in the file being parsed. */
interface MergeBudget {
  /** The entries a file may copy: MERGE_BUDGET, or one per character of a larger file. */
  readonly limit: number;
  left: number;
  /** Where the budget ran out, once it has. */
  spent?: SyntaxError;
}

class Converter {
  private readonly seen = new Map<YamlNode, Node | undefined>();
  /** The collections being converted, outermost first: an alias to one of them is a cycle. */
  private readonly open: YamlNode[] = [];
  /** Each alias's target, found in one pass over the document (the first time an alias is met). */
  private targets: Map<Alias, YamlNode> | undefined;
  private cycle = false;
  readonly duplicates: DuplicateKey[] = [];
  readonly errors: SyntaxError[] = [];

  constructor(
    private readonly doc: Document.Parsed,
    private readonly budget: MergeBudget,
    /** The original offset of an offset in the text the library read (see cutRegions()). */
    private readonly at: (offset: number) => number,
  ) {}

  convert(node: unknown, depth: number): Node | undefined {
    const { isAlias, isMap, isScalar, isSeq } = yamlLib();
    if (node === null || node === undefined) return undefined;
    if (isAlias(node)) return this.alias(node, depth);
    const cached = this.seen.get(node as YamlNode);
    if (cached !== undefined || this.seen.has(node as YamlNode)) return cached;
    const range = (node as YamlNode).range ?? [0, 0, 0];
    const nodeStart = this.at(range[0]);
    const nodeEnd = this.at(range[1]);
    if (depth > MAX_DEPTH) throw new TooDeep(nodeStart);
    let result: Node | undefined;
    const tag = (node as YamlNode).tag;
    if (isScalar(node)) {
      const style = styleOf(node);
      const quoted = style === 'single' || style === 'double';
      const start = quoted ? nodeStart + 1 : nodeStart;
      const end = quoted ? Math.max(start, nodeEnd - 1) : nodeEnd;
      const value = node.value;
      result = {
        type: 'scalar',
        value: typeof value === 'string' ? detach(value) : typeof value === 'number' || typeof value === 'boolean' ? value : value === null ? null : String(value),
        range: { start, end },
        nodeRange: { start: nodeStart, end: nodeEnd },
        style,
        ...(tag !== undefined && tag.startsWith('!') && !tag.startsWith('!!') ? { tag } : {}),
      };
    } else if (isMap(node)) {
      const entries: MapEntry[] = [];
      const merges: Array<{ value: Node; offset: number }> = [];
      result = { type: 'map', entries, nodeRange: { start: nodeStart, end: nodeEnd }, ...(tag?.startsWith('!') ? { tag } : {}) };
      this.seen.set(node, result);
      this.open.push(node);
      for (const pair of node.items as Pair[]) {
        if (!isScalar(pair.key)) continue;
        const key = String(pair.key.value);
        const keyRange = pair.key.range ?? [0, 0, 0];
        const value = this.convert(pair.value, depth + 1);
        if (value === undefined) continue;
        if (key === '<<' && pair.key.type === 'PLAIN') merges.push({ value, offset: this.at(keyRange[0]) });
        else entries.push({ key, keyRange: { start: this.at(keyRange[0]), end: this.at(keyRange[1]) }, value });
      }
      this.open.pop();
      // A key given twice: the last value is the one consumers use.
      dedupeEntries(entries, this.duplicates);
      if (merges.length > 0) this.merge(entries, merges);
      return result;
    } else if (isSeq(node)) {
      const itemsOut: Node[] = [];
      result = { type: 'seq', items: itemsOut, nodeRange: { start: nodeStart, end: nodeEnd }, ...(tag?.startsWith('!') ? { tag } : {}) };
      this.seen.set(node, result);
      this.open.push(node);
      for (const item of node.items) {
        const converted = this.convert(item, depth + 1);
        if (converted !== undefined) itemsOut.push(converted);
      }
      this.open.pop();
      return result;
    }
    this.seen.set(node as YamlNode, result);
    return result;
  }

  /**
   * Merge keys: the entries of each merged map (in order; a `<<` sequence's earlier maps win) whose
   * key the map does not have yet go after its own entries. A merged map holds one entry per key,
   * so merging it costs its distinct keys, never the aliases behind them; and merges may copy at
   * most the file's budget of entries: past it, the merges left are not applied, and that is an error.
   */
  private merge(entries: MapEntry[], merges: ReadonlyArray<{ value: Node; offset: number }>): void {
    const { budget } = this;
    const present = new Set<string>();
    for (const entry of entries) present.add(entry.key);
    for (const { value, offset } of merges) {
      for (const source of value.type === 'seq' ? value.items : [value]) {
        if (source.type !== 'map' || budget.spent !== undefined) continue;
        budget.left -= source.entries.length;
        if (budget.left < 0) {
          budget.spent = { message: `merge keys (\`<<\`) copy more than ${budget.limit} entries in this file (a merge-key bomb?): the merges from here on are not applied`, offset };
          this.errors.push(budget.spent);
          continue;
        }
        for (const entry of source.entries) {
          if (present.has(entry.key)) continue;
          present.add(entry.key);
          entries.push(entry);
        }
      }
    }
  }

  private alias(alias: Alias, depth: number): Node | undefined {
    this.targets ??= this.aliasTargets();
    const target = this.targets.get(alias);
    if (target === undefined) return undefined;
    if (this.open.includes(target)) {
      // `&a [*a]`: the alias is inside its own anchor. Go's YAML decoders refuse it too. Once per document.
      if (!this.cycle) this.errors.push({ message: `alias \`*${alias.source}\` is inside the node it refers to (a cycle)`, offset: this.at(alias.range?.[0] ?? 0) });
      this.cycle = true;
      return undefined;
    }
    return this.convert(target, depth);
  }

  /** Every alias of the document and the node it refers to: the last node before it with that anchor. */
  private aliasTargets(): Map<Alias, YamlNode> {
    const { isAlias, visit } = yamlLib();
    const anchors = new Map<string, YamlNode>();
    const targets = new Map<Alias, YamlNode>();
    visit(this.doc, {
      Node(_key, node) {
        if (isAlias(node)) {
          const target = anchors.get(node.source);
          if (target !== undefined) targets.set(node, target);
        } else if (node.anchor !== undefined) anchors.set(node.anchor, node);
      },
    });
    return targets;
  }
}

export function parseYaml(text: string): ParsedFile {
  // Documents nested deeper than MAX_DEPTH are cut out of what the parser reads.
  const deep = yamlDeepRegions(text);
  const cut = cutRegions(text, deep);
  const errors: SyntaxError[] = deep.map((region) => ({ message: DEPTH_MESSAGE, offset: region.offset }));
  const documents: ParsedDocument[] = [];
  let docs: Document.Parsed[];
  // The library makes an Error (a YAMLWarning) for every tag it does not know, such as each `!Ref`
  // of a CloudFormation template; capturing their stack traces was the larger part of parsing such
  // files, and nothing reads them.
  const stackTraceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    const parsed = yamlLib().parseAllDocuments(cut.text, { prettyErrors: false, uniqueKeys: false, strict: false, merge: false, keepSourceTokens: false });
    docs = Array.isArray(parsed) ? parsed : [];
  } catch (err) {
    return withErrors({ syntax: 'yaml', documents }, [...errors, { message: err instanceof RangeError ? DEPTH_MESSAGE : String(err), offset: 0 }]);
  } finally {
    Error.stackTraceLimit = stackTraceLimit;
  }
  const limit = Math.max(MERGE_BUDGET, text.length);
  const budget: MergeBudget = { limit, left: limit };
  const failed = (error: SyntaxError) => documents.push({ root: undefined, error });
  let r = 0;
  for (const doc of docs) {
    const start = cut.original(doc.range[0]);
    const end = cut.original(doc.range[2]);
    // A document cut out before this one that left no document of its own; then this one, if it is the one cut.
    while (r < deep.length && deep[r]!.from < start) failed(errors[r++]!);
    if (r < deep.length && deep[r]!.from <= end) {
      failed(errors[r++]!);
      continue;
    }
    const firstError = doc.errors[0];
    if (firstError !== undefined) {
      const error = { message: firstError.message.split('\n')[0] ?? firstError.message, offset: cut.original(firstError.pos[0]) };
      errors.push(error);
      failed(error);
      continue;
    }
    const converter = new Converter(doc, budget, cut.original);
    try {
      const root = converter.convert(doc.contents, 0);
      const duplicateKeys = sortedDuplicates(converter.duplicates);
      documents.push(duplicateKeys === undefined ? { root } : { root, duplicateKeys });
      for (const error of converter.errors) errors.push(error);
    } catch (err) {
      if (!(err instanceof TooDeep || err instanceof RangeError)) throw err;
      const error = { message: DEPTH_MESSAGE, offset: err instanceof TooDeep ? err.offset : start };
      errors.push(error);
      failed(error);
    }
  }
  while (r < deep.length) failed(errors[r++]!);
  return withErrors({ syntax: 'yaml', documents }, errors);
}
