// Depth guards that run before the full parsers. eemeli/yaml's composer and jsonc-parser both
// recurse once per level of nesting: a few thousand levels exhaust the stack, and millions (10 MB of
// `[`) took the yaml library minutes and gigabytes before a heap abort. Each guard reads the text
// once, with no recursion and memory bounded by MAX_DEPTH, and finds where a node sits deeper than
// MAX_DEPTH levels (the root is level 0, as the tree converters count). The caller then cuts the
// part of the text that holds it out of what the parser reads (cutRegions(), with the way back to
// the original offsets), and reports the error at the node's own position.
import type { Lexer } from 'yaml';
import { yamlLib } from './yaml-lib.js';

export const MAX_DEPTH = 256;

/** A node deeper than MAX_DEPTH at `offset`; the text from `from` to `to` is hidden from the parser. */
export interface DeepRegion {
  offset: number;
  from: number;
  to: number;
  /** What the region is replaced by: `[]` or `{}` for JSON, a line break for YAML. */
  stub?: string;
}

export const DEPTH_MESSAGE = `nesting deeper than ${MAX_DEPTH} levels`;

/** A text with regions cut out, and the way back from its offsets to the original text's. */
export interface CutText {
  text: string;
  /** The original offset of an offset in `text`. */
  original(offset: number): number;
}

const SAME: (offset: number) => number = (offset) => offset;

/**
 * The text with each region replaced by its stub (JSON: `[]` or `{}`; YAML: the line break the
 * region ends with, so the next document marker stays at the start of a line). Cutting rather
 * than blanking keeps the parser off the region entirely: jsonc-parser reads a long run of spaces
 * one character at a time into a growing string (seconds for a few MB).
 */
export function cutRegions(text: string, regions: readonly DeepRegion[]): CutText {
  if (regions.length === 0) return { text, original: SAME };
  const parts: string[] = [];
  // For each region: where the text after it starts in the cut text, and the characters cut up to there.
  const after: number[] = [];
  const shift: number[] = [];
  let cursor = 0;
  let removed = 0;
  for (const { from, to, stub = '' } of regions) {
    parts.push(text.slice(cursor, from), stub);
    after.push(from - removed + stub.length);
    removed += to - from - stub.length;
    shift.push(removed);
    cursor = to;
  }
  parts.push(text.slice(cursor));
  return {
    text: parts.join(''),
    original(offset) {
      // The last region whose stub ends at or before the offset (binary search: there may be many).
      let low = 0;
      let high = after.length;
      while (low < high) {
        const mid = (low + high) >> 1;
        if (after[mid]! <= offset) low = mid + 1;
        else high = mid;
      }
      return low === 0 ? offset : offset + shift[low - 1]!;
    },
  };
}

// ---- JSON ------------------------------------------------------------------------------------------

const LBRACE = 0x7b;
const RBRACE = 0x7d;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const SLASH = 0x2f;
const STAR = 0x2a;
const LF = 0x0a;
const CR = 0x0d;
const COMMA = 0x2c;
const COLON = 0x3a;

/**
 * Where jsonc-parser would meet a value nested deeper than MAX_DEPTH. The text is tokenised as its
 * scanner does (a string ends at its closing quote or at a line break, a backslash takes the next
 * character, `//` and `/* … *​/` comments are skipped), and containers are counted as its parser
 * closes them: only by the matching bracket, so the count is never less than its recursion depth.
 * Each region is the container at level MAX_DEPTH that holds the deep value, from its opening
 * bracket to the one that closes it (or the end of the text); it becomes an empty `[]` or `{}`.
 */
export function jsonDeepRegions(text: string): DeepRegion[] {
  const regions: DeepRegion[] = [];
  const n = text.length;
  // Open containers: their opening brackets' offsets (at most MAX_DEPTH + 1 of them).
  const opens: number[] = [];
  // After `{` or a comma in an object a key comes, not a value.
  let key = false;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c <= 0x20) {
      i++;
      continue;
    }
    if (c === SLASH && (text.charCodeAt(i + 1) === SLASH || text.charCodeAt(i + 1) === STAR)) {
      if (text.charCodeAt(i + 1) === SLASH) {
        i += 2;
        while (i < n && text.charCodeAt(i) !== LF && text.charCodeAt(i) !== CR) i++;
      } else {
        const end = text.indexOf('*/', i + 2);
        i = end === -1 ? n : end + 2;
      }
      continue;
    }
    const inObject = opens.length > 0 && text.charCodeAt(opens[opens.length - 1]!) === LBRACE;
    if (c === COMMA) {
      key = inObject;
      i++;
      continue;
    }
    if (c === COLON || c === RBRACE || c === RBRACKET) {
      if (c === RBRACE ? inObject : c === RBRACKET && opens.length > 0 && !inObject) opens.pop();
      key = false;
      i++;
      continue;
    }
    // A value starts here (a string, a container, a number, a keyword, an unknown word), or a key.
    if (!key && opens.length > MAX_DEPTH) {
      // The container at level MAX_DEPTH that holds it becomes empty.
      const from = opens[MAX_DEPTH]!;
      const to = closingOf(text, from);
      regions.push({ offset: i, from, to, stub: text.charCodeAt(from) === LBRACE ? '{}' : '[]' });
      opens.length = MAX_DEPTH;
      key = false;
      i = to;
      continue;
    }
    key = false;
    if (c === QUOTE) i = stringEnd(text, i + 1);
    else if (c === LBRACE || c === LBRACKET) {
      opens.push(i);
      key = c === LBRACE;
      i++;
    } else {
      // A literal or an unknown word: up to the next delimiter.
      i++;
      while (i < n) {
        const d = text.charCodeAt(i);
        if (d <= 0x20 || d === LBRACE || d === RBRACE || d === LBRACKET || d === RBRACKET || d === QUOTE || d === COLON || d === COMMA || d === SLASH) break;
        i++;
      }
    }
  }
  return regions;
}

/** Offset after a JSON string whose content starts at `i` (as jsonc-parser's scanner reads it). */
function stringEnd(text: string, i: number): number {
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) return i + 1;
    if (c === BACKSLASH) i += 2;
    else if (c === LF || c === CR) return i;
    else i++;
  }
  return n;
}

/** Offset after the bracket that closes the container opened at `from`, or the end of the text. */
function closingOf(text: string, from: number): number {
  const n = text.length;
  let depth = 0;
  let i = from;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      i = stringEnd(text, i + 1);
      continue;
    }
    if (c === SLASH && text.charCodeAt(i + 1) === SLASH) {
      i += 2;
      while (i < n && text.charCodeAt(i) !== LF && text.charCodeAt(i) !== CR) i++;
      continue;
    }
    if (c === SLASH && text.charCodeAt(i + 1) === STAR) {
      const end = text.indexOf('*/', i + 2);
      i = end === -1 ? n : end + 2;
      continue;
    }
    if (c === LBRACE || c === LBRACKET) depth++;
    else if ((c === RBRACE || c === RBRACKET) && --depth === 0) return i + 1;
    i++;
  }
  return n;
}

// ---- YAML ------------------------------------------------------------------------------------------

const SEQ = 0;
const MAP = 1;
/** Open flow collections: a map, or a sequence whose current item is plain or an implicit pair. */
const FLOW_MAP = 0;
const SEQ_ITEM = 1;
const SEQ_PAIR = 2;

/** A document marker line (`---` or `...` at column 0 followed by a space, a tab, a line break or the end) at or after `from`. */
function nextDocumentMarker(text: string, from: number): number {
  const marker = /^(?:---|\.\.\.)(?=[ \t\r\n]|$)/gm;
  marker.lastIndex = from;
  // A marker on the line of `from` itself starts at its line's start, before `from`: only later lines count.
  const found = marker.exec(text);
  return found === null ? -1 : found.index;
}

/**
 * Where a YAML node sits deeper than MAX_DEPTH, read from the yaml library's own lexer (which
 * knows quoted, plain and block scalars, comments and flow collections exactly as the parser
 * does), without its parser. Block nesting is followed by columns: each `-` item, `?` key or
 * `key:` opens a level at its column unless that collection is already open there (a sequence may
 * sit at its parent key's column); a line closes the levels indented more than it. Flow nesting
 * counts brackets, and an implicit pair (`[a: b]`) as the map it is. Each region is the document
 * that holds the deep node, up to the next document marker; the documents after it are read on.
 */
export function yamlDeepRegions(text: string): DeepRegion[] {
  const regions: DeepRegion[] = [];
  if (!mayBeDeep(text)) return regions;
  let base = 0;
  for (;;) {
    const hit = firstDeepNode(text, base);
    if (hit === undefined) return regions;
    const next = nextDocumentMarker(text, hit.offset + 1);
    regions.push({ offset: hit.offset, from: hit.docStart, to: next === -1 ? text.length : next, stub: next === -1 ? '' : '\n' });
    if (next === -1) return regions;
    base = next;
  }
}

const SPACE = 0x20;
const TAB = 0x09;
const DASH = 0x2d;
const DOT = 0x2e;
const QUESTION = 0x3f;
const AMPERSAND = 0x26;
const BANG = 0x21;

/**
 * Whether a YAML text may nest deeper than MAX_DEPTH: a bound read in one pass of plain character
 * tests, so that the lexer runs only for the rare text that might. In a document, a node at column
 * c is inside at most 2(c + 1) block collections (each one a column further in, but a sequence may
 * sit at its parent key's column), and inside at most 2F flow levels, F being the brackets `[` and
 * `{` in the document so far from the first that may open a flow collection (each may hold an
 * implicit pair); c is a line's indentation plus the `- `, `? ` and `: ` indicators (and any
 * anchors and tags among them) that start it.
 * Brackets inside scalars before that (`{job="api"}[5m]` in a Prometheus rule) do not count.
 */
export function mayBeDeep(text: string): boolean {
  const n = text.length;
  let brackets = 0;
  let lineStart = 0;
  let nextSeq = text.indexOf('[');
  let nextMap = text.indexOf('{');
  // Whether a flow collection may have started in this document: from then on every bracket counts.
  let flow = false;
  while (lineStart < n) {
    let lineEnd = text.indexOf('\n', lineStart);
    if (lineEnd === -1) lineEnd = n;
    let p = lineStart;
    const c0 = text.charCodeAt(p);
    if ((c0 === DASH || c0 === DOT) && text.charCodeAt(p + 1) === c0 && text.charCodeAt(p + 2) === c0) {
      const after = p + 3 < n ? text.charCodeAt(p + 3) : SPACE;
      if (after === SPACE || after === TAB || after === LF || after === CR) {
        // A document marker: a new document (the lexer takes it for one wherever it is).
        brackets = 0;
        flow = false;
        p += 3;
      }
    }
    for (;;) {
      while (p < lineEnd && (text.charCodeAt(p) === SPACE || text.charCodeAt(p) === TAB)) p++;
      const c = text.charCodeAt(p);
      const next = p + 1 < lineEnd ? text.charCodeAt(p + 1) : SPACE;
      if ((c === DASH || c === QUESTION || c === COLON) && (next === SPACE || next === TAB || next === CR)) p += 1;
      else if (c === AMPERSAND || c === BANG) {
        // An anchor or a tag before an indicator (an error for the parser, counted all the same).
        while (p < lineEnd && text.charCodeAt(p) !== SPACE && text.charCodeAt(p) !== TAB) p++;
      } else break;
    }
    // (The next `[` and `{` are looked for once each, not again on every line before them.)
    while (nextSeq !== -1 && nextSeq < lineEnd) {
      if (flow || (flow = mayOpenFlow(text, nextSeq))) brackets++;
      nextSeq = text.indexOf('[', nextSeq + 1);
    }
    while (nextMap !== -1 && nextMap < lineEnd) {
      if (flow || (flow = mayOpenFlow(text, nextMap))) brackets++;
      nextMap = text.indexOf('{', nextMap + 1);
    }
    if (2 * (p - lineStart + 1) + 2 * brackets + 1 > MAX_DEPTH) return true;
    lineStart = lineEnd + 1;
  }
  return false;
}

/**
 * Whether the bracket at `i` may open a flow collection in block context: a node starts at the
 * start of a line or after a space, a tab, `:` (after a JSON-like key) or a byte-order mark,
 * never right after other characters of a scalar.
 */
function mayOpenFlow(text: string, i: number): boolean {
  if (i === 0) return true;
  const before = text.charCodeAt(i - 1);
  return before === SPACE || before === TAB || before === LF || before === CR || before === COLON || before === 0xfeff;
}

function firstDeepNode(text: string, base: number): { offset: number; docStart: number } | undefined {
  const { CST, Lexer: LexerClass } = yamlLib();
  const lexer: Lexer = new LexerClass();
  let offset = base;
  let col = 0;
  let docStart = base;
  let lineStart = true;
  let scalarNext = false;
  let blockBody = false;
  let keyCol = -1;
  let propCol = -1;
  // Open block collections: their columns and kinds. Open flow collections: FLOW_MAP, or for a
  // flow sequence whether its current item is an implicit pair (a map one level deeper).
  const indents: number[] = [];
  const kinds: number[] = [];
  const flows: number[] = [];
  let pairCount = 0;

  const reset = (at: number) => {
    indents.length = 0;
    kinds.length = 0;
    flows.length = 0;
    pairCount = 0;
    keyCol = -1;
    propCol = -1;
    docStart = at;
  };
  const depth = () => indents.length + flows.length + pairCount;
  /** A block collection of `kind` at `column`, unless it is the innermost open one. */
  const open = (kind: number, column: number): boolean => {
    const top = indents.length - 1;
    if (top >= 0 && indents[top] === column && kinds[top] === kind) return false;
    if (depth() > MAX_DEPTH) return true;
    indents.push(column);
    kinds.push(kind);
    return false;
  };
  /** A line whose first node starts at `column` closes the collections it is not inside. */
  const dedent = (column: number, isItem: boolean) => {
    let top = indents.length - 1;
    while (top >= 0 && (indents[top]! > column || (indents[top] === column && kinds[top] === SEQ && !isItem))) {
      indents.pop();
      kinds.pop();
      top--;
    }
  };

  const source = base === 0 ? text : text.slice(base);
  for (const token of lexer.lex(source)) {
    const start = offset;
    if (scalarNext) {
      // The source of a scalar (plain or a block scalar's body), which may run over several lines.
      scalarNext = false;
      offset += token.length;
      const nl = token.lastIndexOf('\n');
      const nodeCol = propCol >= 0 ? propCol : col;
      col = nl === -1 ? col + token.length : token.length - nl - 1;
      if (blockBody) {
        blockBody = false;
        continue;
      }
      if (flows.length === 0) {
        if (lineStart) dedent(nodeCol, false);
        keyCol = nodeCol;
      }
      lineStart = false;
      propCol = -1;
      if (depth() > MAX_DEPTH) return { offset: start, docStart };
      continue;
    }
    const type = CST.tokenType(token);
    switch (type) {
      case 'scalar':
        scalarNext = true; // the marker; the next token is the scalar's source
        continue;
      case 'doc-mode':
        reset(offset);
        continue;
      case 'flow-error-end':
        flows.length = 0;
        pairCount = 0;
        continue;
      case 'doc-start':
      case 'doc-end':
        offset += token.length;
        col += token.length;
        reset(offset);
        continue;
      case 'newline':
        offset += token.length;
        col = 0;
        lineStart = true;
        propCol = -1;
        if (flows.length === 0) keyCol = -1;
        continue;
      case 'space':
      case 'comment':
      case 'directive-line':
      case 'byte-order-mark':
      case 'comma':
        if (type === 'comma' && flows[flows.length - 1] === SEQ_PAIR) {
          flows[flows.length - 1] = SEQ_ITEM;
          pairCount--;
        }
        offset += token.length;
        col += token.length;
        continue;
      case 'anchor':
      case 'tag':
        if (propCol < 0) propCol = col;
        offset += token.length;
        col += token.length;
        continue;
      default:
        break;
    }
    // A token that starts a node or is a structural indicator.
    const column = propCol >= 0 ? propCol : col;
    offset += token.length;
    const nl = token.lastIndexOf('\n');
    col = nl === -1 ? col + token.length : token.length - nl - 1;
    propCol = -1;
    const inFlow = flows.length > 0;
    const first = lineStart;
    lineStart = false;
    switch (type) {
      case 'seq-item-ind':
        if (inFlow) break;
        if (first) dedent(column, true);
        if (open(SEQ, column)) return { offset: start, docStart };
        continue;
      case 'explicit-key-ind':
        if (inFlow) {
          markPair();
          break;
        }
        if (first) dedent(column, false);
        if (open(MAP, column)) return { offset: start, docStart };
        continue;
      case 'map-value-ind':
        if (inFlow) {
          markPair();
          continue;
        }
        if (first) dedent(column, false);
        if (open(MAP, first || keyCol < 0 ? column : keyCol)) return { offset: start, docStart };
        keyCol = -1;
        continue;
      case 'flow-seq-start':
      case 'flow-map-start':
        if (!inFlow) {
          if (first) dedent(column, false);
          keyCol = column;
        }
        if (depth() > MAX_DEPTH) return { offset: start, docStart };
        flows.push(type === 'flow-map-start' ? FLOW_MAP : SEQ_ITEM);
        continue;
      case 'flow-seq-end':
      case 'flow-map-end':
        // The lexer closes a flow collection with either bracket, and so does this count.
        if (flows.length > 0 && flows.pop() === SEQ_PAIR) pairCount--;
        continue;
      case 'block-scalar-header':
        blockBody = true;
        break;
      default:
        break;
    }
    // A leaf: a quoted scalar, an alias, a block scalar's header, or anything the lexer did not type.
    if (!inFlow) {
      if (first) dedent(column, false);
      keyCol = column;
    }
    if (depth() > MAX_DEPTH) return { offset: start, docStart };
  }
  return undefined;

  /** `:` or `?` in a flow sequence's item makes it an implicit pair: a single-pair map. */
  function markPair(): void {
    const top = flows.length - 1;
    if (top >= 0 && flows[top] === SEQ_ITEM) {
      flows[top] = SEQ_PAIR;
      pairCount++;
    }
  }
}
