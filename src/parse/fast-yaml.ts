// A fast reader for the block-style YAML that Kubernetes manifests and CloudFormation templates are
// written in, producing exactly the tree src/parse/yaml.ts builds with eemeli/yaml's Document API
// (same values, styles, tags and UTF-16 ranges), at a small fraction of the cost. It does not load
// the yaml package: plain scalars are resolved by src/parse/core-schema.ts.
//
// It reads line by line and knows only a subset of YAML: block maps and sequences, plain scalars
// (values may run over several lines), single- and double-quoted scalars (values may run over
// several lines, folded as YAML folds them: see quotedNextLine()), flow collections (on one line or
// over several, as CloudFormation templates write `!Join ['', [` … `]]`, trailing commas included;
// entries whose key is a flow collection on one line, such as Go template placeholders
// `{{ .Version }}`, and plain keys without a value, both of which src/parse/yaml.ts leaves out of
// the tree: see flowKey()), comments, `---`/`...` markers, local tags such as `!Ref` on scalars and
// collections, anchors on values and aliases to them (an alias is the anchor's very node, as in the
// full parser's tree), literal and folded block scalars, CRLF and a BOM. Anything else (merge keys,
// anchors on keys or empty values or with a tag, aliases to unknown anchors, cycles and aliases to
// collections that hold aliases, explicit keys, directives, tabs, unusual block scalar headers;
// inside a flow collection: comments, anchors, aliases, quoted or plain scalars or keys going on
// over lines, a node on the line after its tag or key, lines not indented past the parent
// collection; in a flow collection key: quoted scalars, tags, line breaks, more than 1000
// characters, the end of the line after it, a value right after its `:`) and anything that looks
// wrong makes it give up and return undefined: the caller then parses the file with the full
// parser, so errors are always reported by the full parser, at its positions.
//
// Ranges follow the yaml library's rules: a block collection ends where its last value's node ends,
// and a flow scalar's or flow collection's node end includes the rest of its line (for a flow
// collection over several lines, the line of its closing bracket) and any more indented comment
// lines that follow it; trailing comment lines that are indented at least as far as a nested
// collection stay in that collection (see close()).
//
// For the scanner only, readForScan() also stops at a Go/Helm template directive line (`{{- end }}`
// on a line of its own), or at a line with a template action that cannot be a key where one must
// start (templateInPlainLine()), where the full parser must report an error (see templateLine()), and
// returns the documents before the one that line is in: exactly those the full parser reads before
// that broken document, so a Helm chart's templates are skipped without loading the full parser.
// read() never stops there.
import { MAYBE_TYPED, resolveCorePlain } from './core-schema.js';
import { dedupeEntries, detach, sortedDuplicates } from './tree.js';
import type { DuplicateKey, MapEntry, MapNode, Node, ParsedDocument, ParsedFile, ScalarNode, SeqNode } from './tree.js';

/** Why the fast reader gave up, for tests and the benchmark's fallback statistics. */
export class Unsupported {
  constructor(
    readonly reason: string,
    readonly offset: number,
  ) {}
}

/**
 * For the scanner only (FastYamlReader.readForScan()): a Go/Helm template directive line, such as
 * `{{- if .Values.x }}` or `{{- end }}` on a line of its own, or a line holding a template action
 * that cannot be a key (`Environment:{{range .EnvVars}}`), at a place where the full parser must
 * report an error (see templateLine(), templateInPlainLine()). The documents before the one it is in
 * are the full parser's.
 */
export class TemplateStop {
  constructor(
    readonly offset: number,
    readonly documents: ParsedDocument[] = [],
  ) {}
}

/** Nesting beyond this is left to the full parser (which reports depths over MAX_DEPTH as errors). */
const MAX_FAST_DEPTH = 200;

const SPACE = 0x20;
const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const HASH = 0x23; // #
const COLON = 0x3a; // :
const DASH = 0x2d; // -
const DOT = 0x2e; // .
const COMMA = 0x2c; // ,
const BANG = 0x21; // !
const DQUOTE = 0x22; // "
const SQUOTE = 0x27; // '
const LBRACKET = 0x5b; // [
const RBRACKET = 0x5d; // ]
const LBRACE = 0x7b; // {
const RBRACE = 0x7d; // }
const PIPE = 0x7c; // |
const GT = 0x3e; // >
const BACKSLASH = 0x5c;
const PERCENT = 0x25;
const QUESTION = 0x3f; // ?
const AMPERSAND = 0x26; // &
const STAR = 0x2a; // *

/** Characters that never start a plain scalar in this subset (YAML indicators). */
const NOT_PLAIN_START = new Set('&*?:,[]{}#|>\'"%@`!'.split('').map((c) => c.charCodeAt(0)));
/** Characters a local tag name may contain here (a conservative part of YAML's tag characters). */
/** Characters an anchor or alias name may contain here (a conservative part of YAML's). */
const ANCHOR_CHARS = new Set('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-'.split('').map((c) => c.charCodeAt(0)));
/**
 * Characters that may start the body of a template directive line (after `{{`, `{{- `): the body
 * is then one plain scalar in a flow collection for the full parser (see isTemplateLine()).
 */
const TEMPLATE_BODY_START = /[A-Za-z0-9_.$/(]/;
/** Characters a template directive line's body may not hold: they would end or split that plain scalar. */
const TEMPLATE_BODY_STOP = /[{}[\],:#]/;
/** First characters of a line read as a plain scalar where a template action in it makes a template stop (templateInPlainLine()). */
const PLAIN_KEY_START = /[A-Za-z0-9_]/;
const TAG_CHARS = new Set('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.:/-'.split('').map((c) => c.charCodeAt(0)));

/**
 * Control characters (the library's lexer uses some as token markers) and a BOM after the start
 * (which it takes for a new stream's BOM at the start of a line).
 */
const FORBIDDEN = /[\x00-\x08\x0b\x0c\x0e-\x1f\ufeff]/g;
const LONE_CR = /\r(?!\n)/g;

// Plain scalars are resolved as the core schema resolves them (src/parse/core-schema.ts), so `1.0`,
// `0x1F`, `~`, `True` and `.inf` get exactly the values the full parser gives them.
const resolvePlain = resolveCorePlain;
export { MAYBE_TYPED };

/** A multi-line plain scalar's value: lines trimmed of spaces and joined by one, blank lines kept as breaks. */
function unfold(source: string): string {
  const lines = source.split(/\r?\n/);
  let value = (lines[0] ?? '').replace(/ +$/, '');
  let sep = ' ';
  for (let i = 1; i < lines.length - 1; i++) {
    const line = (lines[i] ?? '').replace(/^ +| +$/g, '');
    if (line === '') {
      if (sep === '\n') value += sep;
      else sep = '\n';
    } else {
      value += sep + line;
      sep = ' ';
    }
  }
  return value + sep + (lines[lines.length - 1] ?? '').replace(/^ +/, '');
}

const ESCAPES: Record<string, string> = {
  '0': '\0',
  a: '\x07',
  b: '\b',
  e: '\x1b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  N: '\u0085',
  _: '\u00a0',
  L: '\u2028',
  P: '\u2029',
  ' ': ' ',
  '"': '"',
  '/': '/',
  '\\': '\\',
};
const HEX_LENGTH: Record<string, number> = { x: 2, u: 4, U: 8 };

interface Frame {
  kind: 'map' | 'seq';
  /** Column of the keys (map) or of the `-` indicators (seq). */
  indent: number;
  node: MapNode | SeqNode;
  /** The last entry or item has no value yet: it comes on a later line, or it is empty. */
  pending: boolean;
  pendingKey?: { key: string; keyRange: { start: number; end: number } };
  pendingTag?: string;
  /** An anchor (`&name`) for the pending value, which comes on a later line or after the anchor. */
  pendingAnchor?: string;
  /** Where an empty value would be (after the indicator and any spaces). */
  emptyPos: number;
  /** A comment was seen while the value was pending (an empty value would then end elsewhere). */
  pendingComment: boolean;
  /** Node end of the last value: the collection's value end when it closes. */
  lastEnd: number;
}

const NOT_YET = -1;
/** The `minIndent` of a root node: any line may go on with it. */
const ROOT_INDENT = -1;

function trimEndSpaces(s: string): string {
  let end = s.length;
  while (end > 0 && s.charCodeAt(end - 1) === SPACE) end--;
  return end === s.length ? s : s.slice(0, end);
}

export class FastYamlReader {
  private readonly n: number;
  /** Start of the current line, its end (index of `\n` or n) and its content end (before a `\r`). */
  private ls = 0;
  private le = 0;
  private ce = 0;
  private readonly stack: Frame[] = [];
  private readonly documents: ParsedDocument[] = [];
  private docOpen = false;
  private root: Node | undefined;
  private emptyRootPos = 0;
  /** The last value may take more indented comment lines into its node end (a flow scalar or collection). */
  private attachable = false;
  /** Deepest indent of the comment lines since the last value that were not taken by it (-1: none). */
  private trailingMax = -1;
  private nextTab = -1;
  /** The current document's anchors and the nodes they name (an alias is that very node). */
  private anchors = new Map<string, Node>();
  /** Keys given twice in the current document's mappings (see dedupeEntries()). */
  private duplicates: DuplicateKey[] = [];
  /** Offsets of the current document's aliases, in order (see alias()). */
  private aliasOffsets: number[] = [];
  /** Lines of the flow collection being read must be indented more than this column (see flowValue()). */
  private flowIndent = 0;
  /** Whether to look for template directive lines (readForScan()). */
  private templates = false;
  /** A template directive line that is the current document's first node: its offset and column (NOT_YET: none). */
  private templateRoot = NOT_YET;
  private templateRootIndent = 0;

  constructor(private readonly text: string) {
    this.n = text.length;
  }

  private fail(reason: string, offset = this.ls): never {
    throw new Unsupported(reason, offset);
  }

  /** The tree, or an Unsupported saying why the full parser has to be used. */
  read(): ParsedFile | Unsupported {
    try {
      return this.run();
    } catch (err) {
      if (err instanceof Unsupported) return err;
      throw err;
    }
  }

  /**
   * As read(), but a template directive line where the full parser must report an error (see
   * templateLine()) stops the reader: the TemplateStop then holds the documents before the one that
   * line is in, which are exactly the ones the full parser reads before that broken one. For the
   * scanner only.
   */
  readForScan(): ParsedFile | Unsupported | TemplateStop {
    this.templates = true;
    try {
      return this.run();
    } catch (err) {
      if (err instanceof Unsupported) return err;
      if (err instanceof TemplateStop) return new TemplateStop(err.offset, this.documents);
      throw err;
    }
  }

  private run(): ParsedFile {
    const { text, n } = this;
    let start = 0;
    if (text.charCodeAt(0) === 0xfeff) start = 1;
    // Characters YAML forbids or treats specially: leave them to the full parser.
    FORBIDDEN.lastIndex = start;
    const bad = FORBIDDEN.exec(text);
    if (bad !== null) this.fail('control character or BOM inside the text', bad.index);
    if (text.indexOf('\r', start) !== -1) {
      LONE_CR.lastIndex = start;
      const cr = LONE_CR.exec(text);
      if (cr !== null) this.fail('line break that is a lone CR', cr.index);
    }
    this.nextTab = text.indexOf('\t', start);
    if (start === 1) this.checkAfterBom();
    let pos = start;
    while (pos < n) {
      this.setLine(pos);
      pos = this.line();
    }
    this.closeAll(n);
    this.endDocument();
    return { syntax: 'yaml', documents: this.documents };
  }

  /**
   * The library does not count a line that starts right after a BOM as a new line, so only a
   * blank line, a comment or a key at column 0 is safe there.
   */
  private checkAfterBom(): void {
    this.setLine(1);
    const { text, ce } = this;
    const ch = text.charCodeAt(1);
    if (1 === ce || ch === HASH) return;
    if (ch === SPACE || ch === DASH || ch === DOT || ch === LBRACKET || ch === LBRACE) this.fail('unusual first line after a BOM', 1);
  }

  private setLine(pos: number): void {
    const { text } = this;
    this.ls = pos;
    let le = text.indexOf('\n', pos);
    if (le === -1) le = this.n;
    this.le = le;
    this.ce = le > pos && text.charCodeAt(le - 1) === CR ? le - 1 : le;
  }

  /** Offset just past the current line's newline. */
  private get lineEndIncl(): number {
    return this.le < this.n ? this.le + 1 : this.n;
  }

  private colonAt = -1;
  private commentAt = -1;
  /** A line whose first non-space character scalarValue() has already found (to skip counting again). */
  private peekLine = -1;
  private peekContent = -1;

  /** The first `:` at or after `from` (n when none). */
  private nextColon(from: number): number {
    if (this.colonAt < from) {
      const at = this.text.indexOf(':', from);
      this.colonAt = at === -1 ? this.n : at;
    }
    return this.colonAt;
  }

  /** The first ` #` at or after `from` (n when none): the space's offset. */
  private nextComment(from: number): number {
    if (this.commentAt < from) {
      // A one-character search is several times faster than one for ` #`.
      const { text } = this;
      let at = text.indexOf('#', from + 1);
      while (at !== -1 && text.charCodeAt(at - 1) !== SPACE) at = text.indexOf('#', at + 1);
      this.commentAt = at === -1 ? this.n : at - 1;
    }
    return this.commentAt;
  }

  private hasTab(from: number, to: number): boolean {
    if (this.nextTab === -1) return false;
    if (this.nextTab < from) this.nextTab = this.text.indexOf('\t', from);
    return this.nextTab !== -1 && this.nextTab < to;
  }

  /** Reads the current line (and, for a block scalar, the lines it spans); returns where the next line starts. */
  private line(): number {
    const { text, ls, ce } = this;
    let p = ls;
    if (this.peekLine === ls) p = this.peekContent;
    else while (p < ce && text.charCodeAt(p) === SPACE) p++;
    if (p === ce) {
      if (this.hasTab(ls, ce)) this.fail('tab', ls);
      return this.lineEndIncl; // blank line
    }
    if (this.hasTab(ls, ce)) this.fail('tab', ls);
    const ind = p - ls;
    const ch = text.charCodeAt(p);
    if (ch === HASH) {
      this.comment(ind);
      return this.lineEndIncl;
    }
    if (ind === 0 && (ch === DASH || ch === DOT) && ce - p >= 3 && text.charCodeAt(p + 1) === ch && text.charCodeAt(p + 2) === ch) {
      const after = p + 3 === ce ? SPACE : text.charCodeAt(p + 3);
      if (after === SPACE) {
        this.marker(ch === DASH, p + 3);
        return this.lineEndIncl;
      }
      this.fail('line starting with --- or ...');
    }
    if (ind === 0 && ch === PERCENT) this.fail('directive');
    return this.content(ind, p);
  }

  // ---- documents -------------------------------------------------------------------------------

  private marker(start: boolean, after: number): void {
    const { text, ce } = this;
    let q = after;
    while (q < ce && text.charCodeAt(q) === SPACE) q++;
    if (q < ce && !(text.charCodeAt(q) === HASH && q > after)) this.fail('content after a document marker');
    this.closeAll(this.ls, true);
    if (start) {
      this.endDocument();
      this.docOpen = true;
      this.emptyRootPos = q;
    } else {
      if (!this.docOpen) this.fail('document end marker outside a document');
      this.endDocument();
    }
  }

  private endDocument(): void {
    // A document that is only a template directive line may be valid YAML (`{{ x }}` is a map).
    if (this.templateRoot !== NOT_YET) this.fail('a template directive line as a whole document', this.templateRoot);
    if (!this.docOpen) return;
    let root = this.root;
    if (root === undefined) root = this.scalar(null, this.emptyRootPos, this.emptyRootPos, this.emptyRootPos, this.emptyRootPos, 'plain', undefined);
    const duplicateKeys = sortedDuplicates(this.duplicates);
    if (duplicateKeys === undefined) this.documents.push({ root });
    else {
      this.documents.push({ root, duplicateKeys });
      this.duplicates = [];
    }
    this.docOpen = false;
    this.root = undefined;
    this.attachable = false;
    this.trailingMax = -1;
    // Anchors belong to their document: an alias in the next one to them is the full parser's.
    if (this.anchors.size > 0) this.anchors = new Map();
    if (this.aliasOffsets.length > 0) this.aliasOffsets = [];
  }

  // ---- comments and frames ---------------------------------------------------------------------

  private comment(ind: number): void {
    const top = this.stack[this.stack.length - 1];
    if (top === undefined) return;
    if (top.pending) {
      top.pendingComment = true;
      return;
    }
    // A comment line indented more than the collection right after a flow value belongs to that
    // value's node end (the library appends it to the token's end); any other one is trailing.
    if (this.attachable && ind > top.indent) {
      top.lastEnd = this.lineEndIncl;
      return;
    }
    this.attachable = false;
    if (ind > this.trailingMax) this.trailingMax = ind;
  }

  private push(frame: Frame): void {
    if (this.stack.length >= MAX_FAST_DEPTH) this.fail('deep nesting');
    this.stack.push(frame);
  }

  private newFrame(kind: 'map' | 'seq', indent: number, node: MapNode | SeqNode): Frame {
    return { kind, indent, node, pending: false, emptyPos: 0, pendingComment: false, lastEnd: 0 };
  }

  /** Closes the innermost collection; `at` is where the line that closes it starts its content. */
  private close(at: number, atMarker = false): void {
    const frame = this.stack.pop();
    if (frame === undefined) return;
    if (frame.pending) {
      // At a document marker the library splits the tokens after an empty value of a map at
      // column 0 between that value and what follows: not worth modelling.
      if (atMarker && frame.kind === 'map' && frame.indent === 0 && frame.pendingComment) this.fail('empty value followed by comments before a document marker', at);
      this.resolveEmpty(frame, at);
    }
    // Trailing comment lines indented at least as far as the collection stay in it: its node end
    // then runs to the closing line; otherwise they move out to the parent, which sees them next.
    let nodeEnd = frame.lastEnd;
    if (frame.indent > 0 && this.trailingMax >= frame.indent) {
      nodeEnd = at;
      this.trailingMax = -1;
    }
    frame.node.nodeRange.end = frame.lastEnd;
    // A key given twice: the last value is the one consumers use (as the full parser's tree keeps).
    if (frame.kind === 'map') dedupeEntries((frame.node as MapNode).entries, this.duplicates);
    const parent = this.stack[this.stack.length - 1];
    if (parent !== undefined) parent.lastEnd = nodeEnd;
    this.attachable = false;
  }

  private closeAll(at: number, atMarker = false): void {
    while (this.stack.length > 0) this.close(at, atMarker);
  }

  /**
   * The pending value is empty: a null at the indicator (plus spaces). With comments among the
   * tokens that follow, its node end runs to `until`, the content that ends the collection.
   */
  private resolveEmpty(frame: Frame, until: number): void {
    if (frame.pendingTag !== undefined) this.fail('tag on an empty value', frame.emptyPos);
    if (frame.pendingAnchor !== undefined) this.fail('anchor on an empty value', frame.emptyPos);
    const at = frame.emptyPos;
    this.setValue(frame, this.scalar(null, at, at, at, at, 'plain', undefined), frame.pendingComment ? until : at, false);
  }

  /**
   * Gives the pending entry or item of `frame` its value. A string value is detached from the text
   * (see detach()); keys are not: they are many, short and stay inside the tree.
   */
  private setValue(frame: Frame, value: Node, nodeEnd: number, attachable: boolean): void {
    if (value.type === 'scalar' && typeof value.value === 'string') value.value = detach(value.value);
    if (frame.kind === 'map') {
      const pending = frame.pendingKey;
      if (pending === undefined) this.fail('value without a key');
      (frame.node as MapNode).entries.push({ key: pending.key, keyRange: pending.keyRange, value });
      frame.pendingKey = undefined;
    } else {
      (frame.node as SeqNode).items.push(value);
    }
    if (frame.pendingAnchor !== undefined) {
      this.anchors.set(frame.pendingAnchor, value);
      frame.pendingAnchor = undefined;
    }
    frame.pending = false;
    frame.pendingTag = undefined;
    frame.pendingComment = false;
    frame.lastEnd = nodeEnd;
    this.attachable = attachable;
  }

  // ---- content lines ---------------------------------------------------------------------------

  /** A line whose first non-space character (at `p`, column `ind`) is content. */
  private content(ind: number, p: number): number {
    this.attachable = false;
    let top = this.stack[this.stack.length - 1];
    if (top?.pending) {
      if (ind > top.indent) {
        this.trailingMax = -1;
        return this.pendingValue(top, ind, p);
      }
      if (ind === top.indent && top.kind === 'map' && this.isDash(p)) {
        this.trailingMax = -1;
        const seq = this.seqNode(p, top.pendingTag);
        this.setValue(top, seq, 0, false);
        return this.openSeq(seq, ind, p);
      }
    }
    while (top !== undefined && ind < top.indent) {
      this.close(p);
      top = this.stack[this.stack.length - 1];
    }
    if (top !== undefined && top.kind === 'seq' && ind === top.indent && !this.isDash(p)) {
      if (this.templates) this.templateLine(p);
      this.close(p);
      top = this.stack[this.stack.length - 1];
    }
    // Comment lines no collection kept become the start of the next item: an empty `-` item with
    // them ends elsewhere (the reader gives up on that in resolveEmpty()).
    const leadingComments = this.trailingMax >= 0;
    this.trailingMax = -1;
    if (top === undefined) {
      if (this.templateRoot !== NOT_YET) this.afterTemplateRoot(ind, p);
      if (this.root !== undefined) {
        if (this.templates && this.root.type !== 'scalar' && this.text.charCodeAt(this.root.nodeRange.start) !== LBRACKET && this.text.charCodeAt(this.root.nodeRange.start) !== LBRACE) this.templateLine(p);
        this.fail('content after the root node');
      }
      if (!this.docOpen) this.docOpen = true;
      if (this.templates && this.isTemplateLine(p)) {
        this.templateRoot = p;
        this.templateRootIndent = ind;
        return this.lineEndIncl;
      }
      return this.rootNode(ind, p);
    }
    if (ind !== top.indent) this.fail('bad indentation or a multi-line scalar');
    if (this.templates && top.kind === 'map') this.templateLine(p);
    // A sibling follows an entry or item without a value: that value is empty (and not the last,
    // so where its node ends does not matter).
    if (top.pending) this.resolveEmpty(top, p);
    if (top.kind === 'seq') return this.seqItem(top, p, leadingComments);
    return this.mapEntry(top, p);
  }

  // ---- template directive lines (readForScan()) -------------------------------------------------

  /**
   * Whether the current line, whose content starts at `p`, is a template directive line: `{{`, a
   * body, `}}` and nothing else but spaces. The body (after a `-` and a space, as `{{- ` writes it)
   * starts with a letter, digit or one of `_.$/(` and holds none of `{}[],:#`, so for YAML the line
   * is a flow map holding a flow map with one plain scalar, complete on this line.
   */
  private isTemplateLine(p: number): boolean {
    const { text } = this;
    let e = this.ce;
    while (e > p && text.charCodeAt(e - 1) === SPACE) e--;
    if (e - p < 5 || text.charCodeAt(p) !== LBRACE || text.charCodeAt(p + 1) !== LBRACE || text.charCodeAt(e - 1) !== RBRACE || text.charCodeAt(e - 2) !== RBRACE) return false;
    const body = text.slice(p + 2, e - 2);
    if (TEMPLATE_BODY_STOP.test(body)) return false;
    let i = body.startsWith('- ') ? 1 : 0;
    while (i < body.length && body.charCodeAt(i) === SPACE) i++;
    return i < body.length && TEMPLATE_BODY_START.test(body.charAt(i));
  }

  /**
   * The line at `p` is where a new entry of the block collection it is at the
   * column of must start (a map's key, a sequence's `-`), or it follows a complete block collection
   * at the root: a template directive line here is a flow map the full parser cannot take as a
   * node, so it reports an error in this document, unless a later line could still give it a value
   * (see nextLineCloses()). Stops the reader then; returns otherwise.
   */
  private templateLine(p: number): void {
    if (this.isTemplateLine(p) && this.nextLineCloses()) throw new TemplateStop(p);
  }

  /**
   * The line at `p`, at the column of an open block map's keys, is a plain scalar with no `: ` (nor
   * `:` at its end) before its end or a comment: not a key, and not the rest of the entry above (a
   * plain scalar goes on only on lines indented further than its map's keys), so the full parser
   * reports an error in this document. When the line holds a Go template action (copilot's
   * `Environment:{{range $name, $value := .EnvVars}}`) and no later line can give it a value (see
   * nextLineCloses()), that is a template stop; otherwise the reader gives up as before. Only a
   * line starting with a letter, digit or `_` and without a tab, to stay well inside plain scalars.
   */
  private templateInPlainLine(p: number, node: ScalarNode): void {
    if (node.style !== 'plain' || node.tag !== undefined || !PLAIN_KEY_START.test(this.text.charAt(p)) || this.hasTab(p, this.ce)) return;
    const action = this.text.indexOf('{{', p);
    if (action !== -1 && action < this.ce && this.nextLineCloses()) throw new TemplateStop(p);
  }

  /**
   * A document's first node was a template directive line (a flow map: a complete root node), and
   * the line at `p` (column `ind`) is more content: the full parser reports an error, unless that
   * line could give the flow map a value (`: v`) or is more indented. Stops the reader or gives up.
   */
  private afterTemplateRoot(ind: number, p: number): never {
    const ch = this.text.charCodeAt(p);
    if (ind <= this.templateRootIndent && ch !== COLON && ch !== QUESTION && ch !== PERCENT) throw new TemplateStop(this.templateRoot);
    this.fail('a template directive line followed by a line that might go on with it', p);
  }

  /**
   * Whether the next line with content after the current one (blank and comment lines skipped)
   * leaves no way to give a node on the current line a value: the end of the text, a
   * document marker, or a line that does not start with `:`, `?` or `%`. The library takes a `:` on
   * a more indented line after an implicit key as that key's value; any other more indented line
   * (`  Manifest: |` after `{{- if .SerializedManifest }}`) is an error in this document too.
   */
  private nextLineCloses(): boolean {
    const { text, n } = this;
    let pos = this.lineEndIncl;
    while (pos < n) {
      let le = text.indexOf('\n', pos);
      if (le === -1) le = n;
      const lce = le > pos && text.charCodeAt(le - 1) === CR ? le - 1 : le;
      if (this.hasTab(pos, lce)) return false;
      let k = pos;
      while (k < lce && text.charCodeAt(k) === SPACE) k++;
      if (k < lce && text.charCodeAt(k) !== HASH) {
        const ch = text.charCodeAt(k);
        if (k === pos && (ch === DASH || ch === DOT) && lce - k >= 3 && text.charCodeAt(k + 1) === ch && text.charCodeAt(k + 2) === ch && (k + 3 === lce || text.charCodeAt(k + 3) === SPACE)) return true;
        return ch !== COLON && ch !== QUESTION && ch !== PERCENT;
      }
      pos = le + 1;
    }
    return true;
  }

  private isDash(p: number): boolean {
    return this.text.charCodeAt(p) === DASH && (p + 1 === this.ce || this.text.charCodeAt(p + 1) === SPACE);
  }

  private seqNode(p: number, tag: string | undefined): SeqNode {
    return tag === undefined ? { type: 'seq', items: [], nodeRange: { start: p, end: 0 } } : { type: 'seq', items: [], nodeRange: { start: p, end: 0 }, tag };
  }

  private mapNode(p: number, tag: string | undefined): MapNode {
    return tag === undefined ? { type: 'map', entries: [], nodeRange: { start: p, end: 0 } } : { type: 'map', entries: [], nodeRange: { start: p, end: 0 }, tag };
  }

  private openSeq(seq: SeqNode, indent: number, p: number): number {
    const frame = this.newFrame('seq', indent, seq);
    this.push(frame);
    return this.seqItem(frame, p);
  }

  /** The first node of a document, starting at `p`. */
  private rootNode(ind: number, p: number): number {
    const { text } = this;
    if (this.isDash(p)) {
      const seq = this.seqNode(p, undefined);
      this.root = seq;
      return this.openSeq(seq, ind, p);
    }
    const ch = text.charCodeAt(p);
    if (ch === LBRACKET || ch === LBRACE) {
      // At the root, lines at column 0 but the closing bracket's (document markers among them) are
      // left to the full parser.
      this.root = this.flowValue(p, 0, undefined);
      return this.lineEndIncl;
    }
    const key = this.scalarOrKey(p, undefined, ROOT_INDENT);
    if (key.colon === NOT_YET) {
      if (typeof key.node.value === 'string') key.node.value = detach(key.node.value);
      this.root = key.node;
      return this.lineEndIncl;
    }
    const map = this.mapNode(p, undefined);
    this.root = map;
    const frame = this.newFrame('map', ind, map);
    this.push(frame);
    return this.entryValue(frame, key.node, key.colon);
  }

  /** A value on its own line, more indented than the entry or item waiting for it. */
  private pendingValue(frame: Frame, ind: number, p: number): number {
    const tag = frame.pendingTag;
    const first = this.text.charCodeAt(p);
    if (first === AMPERSAND || first === STAR) {
      if (tag !== undefined || frame.pendingAnchor !== undefined) this.fail('tag or anchor with an anchor or alias', p);
      return first === STAR ? this.alias(frame, p) : this.anchored(frame, p, false);
    }
    // `key: &name` with the node below: a collection or a scalar (not a tagged one).
    if (frame.pendingAnchor !== undefined && first === BANG) this.fail('anchor and tag on different lines', p);
    if (this.isDash(p)) {
      const seq = this.seqNode(p, tag);
      this.setValue(frame, seq, 0, false);
      return this.openSeq(seq, ind, p);
    }
    const ch = this.text.charCodeAt(p);
    if (ch === BANG || ch === PIPE || ch === GT) {
      // `!Sub 'x'`, `!Join [a, b]` or `|` on a line of its own, below its key.
      if (tag !== undefined) this.fail('two tags', p);
      return ch === BANG ? this.taggedValue(frame, p) : this.blockScalarValue(frame, p, undefined);
    }
    if (ch === LBRACKET || ch === LBRACE) {
      if (tag !== undefined) this.fail('tag on a line of its own');
      return this.flowEntryValue(frame, p, undefined);
    }
    const key = this.scalarOrKey(p, undefined, frame.indent);
    if (key.colon === NOT_YET) {
      if (tag !== undefined) this.fail('tag on a line of its own');
      return this.scalarValue(frame, key.node);
    }
    const map = this.mapNode(p, tag);
    this.setValue(frame, map, 0, false);
    const inner = this.newFrame('map', ind, map);
    this.push(inner);
    return this.entryValue(inner, key.node, key.colon);
  }

  /** `- …` at the sequence's column. */
  private seqItem(frame: Frame, p: number, leadingComments = false): number {
    const q = this.valueStart(frame, p, leadingComments);
    if (q === undefined) return this.lineEndIncl;
    const column = q - this.ls;
    if (this.isDash(q)) {
      const seq = this.seqNode(q, undefined);
      this.setValue(frame, seq, 0, false);
      return this.openSeq(seq, column, q);
    }
    const marked = this.markedValue(frame, q);
    if (marked !== undefined) return marked;
    const key = this.scalarOrKey(q, undefined, frame.indent);
    if (key.colon === NOT_YET) return this.scalarValue(frame, key.node);
    // `- key: value`: a map whose keys sit at this column.
    const map = this.mapNode(q, undefined);
    this.setValue(frame, map, 0, false);
    const inner = this.newFrame('map', column, map);
    this.push(inner);
    return this.entryValue(inner, key.node, key.colon);
  }

  /** `key: …` at the map's column. */
  private mapEntry(frame: Frame, p: number): number {
    const ch = this.text.charCodeAt(p);
    if (ch === LBRACKET || ch === LBRACE || ch === BANG || ch === PIPE || ch === GT) this.fail('not a key', p);
    const key = this.scalarOrKey(p);
    if (key.colon === NOT_YET) {
      if (this.templates) this.templateInPlainLine(p, key.node);
      this.fail('not a key (multi-line scalar?)', p);
    }
    return this.entryValue(frame, key.node, key.colon);
  }

  /** After a key's `:` at `colon`: the value on the same line, or a pending value. */
  private entryValue(frame: Frame, keyNode: ScalarNode, colon: number): number {
    const keyValue = keyNode.value;
    if (keyNode.style === 'plain' && keyValue === '<<') this.fail('merge key', keyNode.range.start);
    frame.pendingKey = { key: String(keyValue), keyRange: { start: keyNode.nodeRange.start, end: keyNode.nodeRange.end } };
    const q = this.valueStart(frame, colon, false);
    if (q === undefined) return this.lineEndIncl;
    if (this.isDash(q)) this.fail('block sequence on the line of its key', q);
    const marked = this.markedValue(frame, q);
    if (marked !== undefined) return marked;
    const value = this.scalarOrKey(q, undefined, frame.indent);
    if (value.colon !== NOT_YET) this.fail('nested mapping on the line of its key', q);
    return this.scalarValue(frame, value.node);
  }

  /**
   * Where the value after a dash or a key's colon at `from` starts on its line, the frame's value
   * being marked pending (it may come on the lines below); undefined when the line ends there or
   * with a comment. `comment`: comment lines came before the dash.
   */
  private valueStart(frame: Frame, from: number, comment: boolean): number | undefined {
    const { text, ce } = this;
    let q = from + 1;
    while (q < ce && text.charCodeAt(q) === SPACE) q++;
    const rest = q < ce && text.charCodeAt(q) !== HASH;
    frame.pending = true;
    frame.emptyPos = q;
    frame.pendingComment = comment || (q < ce && !rest);
    return rest ? q : undefined;
  }

  /**
   * A value on the line of its key or dash that starts with a tag, an anchor, an alias, a block
   * scalar header or a flow collection; undefined for anything else (a scalar, or a key).
   */
  private markedValue(frame: Frame, q: number): number | undefined {
    const ch = this.text.charCodeAt(q);
    if (ch === BANG) return this.taggedValue(frame, q);
    if (ch === AMPERSAND) return this.anchored(frame, q, true);
    if (ch === STAR) return this.alias(frame, q);
    if (ch === PIPE || ch === GT) return this.blockScalarValue(frame, q, undefined);
    if (ch === LBRACKET || ch === LBRACE) return this.flowEntryValue(frame, q, undefined);
    return undefined;
  }

  /** A flow collection at `q` as the frame's pending value; the reader is on its last line afterwards. */
  private flowEntryValue(frame: Frame, q: number, tag: string | undefined): number {
    const flow = this.flowValue(q, frame.indent, tag); // moves the reader to its last line
    this.setValue(frame, flow, this.lineEndIncl, true);
    return this.lineEndIncl;
  }

  /** End of an anchor `&name` or alias `*name` at `q`: a space or the end of the line must follow. */
  private anchorEnd(q: number): number {
    const { text, ce } = this;
    let i = q + 1;
    while (i < ce && ANCHOR_CHARS.has(text.charCodeAt(i))) i++;
    if (i === q + 1 || (i < ce && text.charCodeAt(i) !== SPACE)) this.fail('unsupported anchor or alias name', q);
    return i;
  }

  /**
   * `&name …` as a value: an anchored scalar, flow collection or block scalar, or (`below`) a
   * collection or scalar on the lines below. The anchor names the node setValue() is given. Left to
   * the full parser: an anchor defined twice, on a key, on an empty value, or with a tag.
   */
  private anchored(frame: Frame, q: number, below: boolean): number {
    const { text, ce } = this;
    const end = this.anchorEnd(q);
    const name = text.slice(q + 1, end);
    if (this.anchors.has(name)) this.fail('anchor defined twice', q);
    if (frame.pendingTag !== undefined) this.fail('tag and anchor on one node', q);
    frame.pendingAnchor = name;
    let r = end;
    while (r < ce && text.charCodeAt(r) === SPACE) r++;
    if (r === ce || text.charCodeAt(r) === HASH) {
      if (!below) this.fail('anchor on a line of its own', q);
      if (r < ce) frame.pendingComment = true;
      return this.lineEndIncl;
    }
    const ch = text.charCodeAt(r);
    if (ch === PIPE || ch === GT) return this.blockScalarValue(frame, r, undefined);
    if (ch === LBRACKET || ch === LBRACE) {
      return this.flowEntryValue(frame, r, undefined);
    }
    if (ch === BANG || ch === AMPERSAND || ch === STAR || this.isDash(r)) this.fail('unsupported anchored node', r);
    const value = this.scalarOrKey(r, undefined, frame.indent);
    if (value.colon !== NOT_YET) this.fail('anchor on a key', r);
    return this.scalarValue(frame, value.node);
  }

  /**
   * `*name` as a value: the node its anchor names, the very object (as src/parse/yaml.ts makes it,
   * so the scanner sees the anchor's ranges). Left to the full parser: an unknown anchor (which the
   * full parser drops), an alias as a key, to a collection still open (a cycle) or to one holding
   * aliases itself (what alias bombs are made of).
   */
  private alias(frame: Frame, q: number): number {
    const { text } = this;
    const end = this.anchorEnd(q);
    if (frame.pendingTag !== undefined) this.fail('tag on an alias', q);
    if (this.lineRest(end, true) !== NOT_YET) this.fail('alias as a key', q);
    const target = this.anchors.get(text.slice(q + 1, end));
    if (target === undefined) this.fail('alias to an unknown anchor', q);
    if (target.type !== 'scalar') {
      if (this.stack.some((f) => f.node === target)) this.fail('alias inside its anchor', q);
      if (this.holdsAlias(target.nodeRange.start, target.nodeRange.end)) this.fail('alias to a collection holding aliases', q);
    }
    this.aliasOffsets.push(q);
    this.setValue(frame, target, this.lineEndIncl, true);
    return this.lineEndIncl;
  }

  /** Whether an alias of this document lies in [start, end). */
  private holdsAlias(start: number, end: number): boolean {
    const offsets = this.aliasOffsets;
    let lo = 0;
    let hi = offsets.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((offsets[mid] as number) < start) lo = mid + 1;
      else hi = mid;
    }
    return lo < offsets.length && (offsets[lo] as number) < end;
  }

  /** `!Tag …` as a value: a tagged scalar, flow collection or block scalar, or a tagged collection below. */
  private taggedValue(frame: Frame, q: number): number {
    const { text, ce } = this;
    const tagEnd = this.tagEnd(q);
    const tag = text.slice(q, tagEnd);
    let r = tagEnd;
    while (r < ce && text.charCodeAt(r) === SPACE) r++;
    if (r === ce || (text.charCodeAt(r) === HASH && r > tagEnd)) {
      frame.pendingTag = tag;
      if (r < ce) frame.pendingComment = true;
      return this.lineEndIncl;
    }
    if (r === tagEnd) this.fail('tag not followed by a space', r);
    const ch = text.charCodeAt(r);
    if (ch === PIPE || ch === GT) return this.blockScalarValue(frame, r, tag);
    if (ch === LBRACKET || ch === LBRACE) {
      return this.flowEntryValue(frame, r, tag);
    }
    if (ch === BANG || this.isDash(r)) this.fail('unsupported tagged value', r);
    const value = this.scalarOrKey(r, tag, frame.indent);
    if (value.colon !== NOT_YET) this.fail('tag on a key', r);
    return this.scalarValue(frame, value.node);
  }

  /**
   * A scalar value that ends this line, or (a plain one with no comment after it) the lines below
   * that continue it: more indented than the collection, none a comment. A multi-line plain scalar
   * is folded as the library folds it: lines trimmed and joined with a space, blank lines kept as
   * line breaks. Returns where the next line starts.
   */
  private scalarValue(frame: Frame, node: ScalarNode): number {
    if (node.style !== 'plain' || this.nextComment(node.range.start) < this.ce) {
      this.setValue(frame, node, this.lineEndIncl, true);
      return this.lineEndIncl;
    }
    const { text, n } = this;
    let pos = this.lineEndIncl;
    let lastEnd = node.range.end;
    let lastLine = -1;
    while (pos < n) {
      // Most values end on their line: the next line is less indented, which shows before its end.
      let k = pos;
      while (k < n && text.charCodeAt(k) === SPACE) k++;
      if (k === n) break;
      const first = text.charCodeAt(k);
      if (first === LF || first === CR) {
        pos = text.indexOf('\n', k) + 1;
        continue;
      }
      if (k - pos <= frame.indent || first === HASH) {
        this.peekLine = pos;
        this.peekContent = k;
        break;
      }
      let le = text.indexOf('\n', k);
      if (le === -1) le = n;
      const lce = text.charCodeAt(le - 1) === CR ? le - 1 : le;
      if (this.hasTab(pos, lce)) this.fail('tab', pos);
      if (NOT_PLAIN_START.has(first) || first === DASH) this.fail('unusual line in a multi-line plain scalar', k);
      for (let c = this.nextColon(k); c < lce; c = this.nextColon(c + 1)) {
        if (c + 1 === lce || text.charCodeAt(c + 1) === SPACE) this.fail('key-like line in a multi-line plain scalar', c);
      }
      if (this.nextComment(k) < lce) this.fail('comment in a multi-line plain scalar', k);
      let end = lce;
      while (end > k && text.charCodeAt(end - 1) === SPACE) end--;
      lastEnd = end;
      lastLine = le;
      pos = le + 1;
    }
    if (lastLine < 0) {
      this.setValue(frame, node, this.lineEndIncl, true);
      return this.lineEndIncl;
    }
    const folded = unfold(text.slice(node.range.start, lastEnd));
    node.value = node.tag === undefined ? resolvePlain(folded) : folded;
    node.range.end = lastEnd;
    node.nodeRange.end = lastEnd;
    const next = lastLine < n ? lastLine + 1 : n;
    this.setValue(frame, node, next, true);
    return next;
  }

  /** End of a local tag `!Name` starting at `q`. */
  private tagEnd(q: number): number {
    const { text, ce } = this;
    let i = q + 1;
    while (i < ce && TAG_CHARS.has(text.charCodeAt(i))) i++;
    if (i === q + 1) this.fail('unsupported tag', q);
    if (i < ce) {
      const next = text.charCodeAt(i);
      if (next !== SPACE && next !== COMMA && next !== RBRACKET && next !== RBRACE) this.fail('unsupported tag', q);
    }
    return i;
  }

  /** Checks that only spaces and a comment follow `end` on the line; `flow` items may be followed by more. */
  private lineRest(end: number, allowColon: boolean): number {
    const { text, ce } = this;
    let q = end;
    while (q < ce && text.charCodeAt(q) === SPACE) q++;
    if (q === ce) return NOT_YET;
    const ch = text.charCodeAt(q);
    if (ch === HASH && q > end) return NOT_YET;
    if (allowColon && ch === COLON && (q + 1 === ce || text.charCodeAt(q + 1) === SPACE)) return q;
    return this.fail('unexpected text after a value', q);
  }

  // ---- scalars ---------------------------------------------------------------------------------

  private scalar(value: string | number | boolean | null, start: number, end: number, nodeStart: number, nodeEnd: number, style: ScalarNode['style'], tag: string | undefined): ScalarNode {
    return tag === undefined
      ? { type: 'scalar', value, range: { start, end }, nodeRange: { start: nodeStart, end: nodeEnd }, style }
      : { type: 'scalar', value, range: { start, end }, nodeRange: { start: nodeStart, end: nodeEnd }, style, tag };
  }

  /**
   * A one-line plain or quoted scalar in block context at `q`, and the offset of the `:` that makes
   * it a key (NOT_YET when it is not one). Checks that only a comment follows otherwise. With
   * `minIndent` (where a value may be: the column of the collection it is in, or ROOT_INDENT), a
   * quoted scalar may go on over the lines below, each indented past it (see quotedNextLine());
   * the reader is then on the line of its closing quote.
   */
  private scalarOrKey(q: number, tag?: string, minIndent?: number): { node: ScalarNode; colon: number } {
    const { text, ce } = this;
    const ch = text.charCodeAt(q);
    if (ch === DQUOTE || ch === SQUOTE) {
      const line = this.ls;
      const quoted = ch === DQUOTE ? this.doubleQuoted(q, ce, minIndent) : this.singleQuoted(q, ce, minIndent);
      const node = this.scalar(quoted.value, q + 1, quoted.end - 1, q, quoted.end, ch === DQUOTE ? 'double' : 'single', tag);
      const colon = this.lineRest(quoted.end, tag === undefined);
      // An implicit key must be on one line (an error the full parser reports).
      if (colon !== NOT_YET && this.ls !== line) this.fail('multi-line quoted key', q);
      return { node, colon };
    }
    if (NOT_PLAIN_START.has(ch) || (ch === DASH && (q + 1 === ce || text.charCodeAt(q + 1) === SPACE))) this.fail('unsupported node', q);
    // Plain scalar: up to `: ` (or `:` at the end of the line), ` #` or the end of the line,
    // without trailing spaces. The next `:` and ` #` are found with indexOf, from positions kept
    // for the whole text so that no search covers the same characters twice.
    let colon = NOT_YET;
    let c = this.nextColon(q);
    while (c < ce) {
      if (c + 1 === ce || text.charCodeAt(c + 1) === SPACE) {
        colon = c;
        break;
      }
      c = this.nextColon(c + 1);
    }
    let stop = colon === NOT_YET ? ce : colon;
    const hash = this.nextComment(q);
    if (hash < stop) {
      if (colon !== NOT_YET && hash < colon) colon = NOT_YET;
      stop = hash;
    }
    let end = stop;
    while (end > q && text.charCodeAt(end - 1) === SPACE) end--;
    if (colon !== NOT_YET && tag !== undefined) this.fail('tag on a key', q);
    const source = text.slice(q, end);
    const value = tag === undefined ? resolvePlain(source) : source;
    return { node: this.scalar(value, q, end, q, end, 'plain', tag), colon };
  }

  /**
   * A double-quoted scalar starting at `q`, closed before `limit` (the end of its line); with
   * `minIndent`, closed on a later line (see quotedNextLine()).
   */
  private doubleQuoted(q: number, limit: number, minIndent?: number): { value: string; end: number } {
    const { text } = this;
    let i = q + 1;
    let value = '';
    let chunk = i;
    for (;;) {
      let escapedBreak = false;
      while (i < limit) {
        const c = text.charCodeAt(i);
        if (c === DQUOTE) {
          value += text.slice(chunk, i);
          return { value, end: i + 1 };
        }
        if (c === BACKSLASH) {
          value += text.slice(chunk, i);
          if (i + 1 >= limit) {
            // `\` at the end of the line: the line break is left out, spaces before it kept.
            if (minIndent === undefined) this.fail('escaped line break', i);
            escapedBreak = true;
            chunk = limit;
            break;
          }
          const e = text[i + 1] as string;
          const simple = ESCAPES[e];
          if (simple !== undefined) {
            value += simple;
            i += 2;
          } else {
            const length = HEX_LENGTH[e];
            if (length === undefined) this.fail('unknown escape', i);
            const hex = text.slice(i + 2, i + 2 + length);
            if (hex.length !== length || !/^[0-9a-fA-F]+$/.test(hex)) this.fail('bad escape', i);
            const code = parseInt(hex, 16);
            if (code > 0x10ffff) this.fail('bad escape', i);
            value += String.fromCodePoint(code);
            i += 2 + length;
          }
          chunk = i;
          continue;
        }
        i++;
      }
      if (minIndent === undefined) return this.fail('multi-line double-quoted scalar', q);
      // The line ends inside the scalar: its unescaped trailing spaces go, the break is folded.
      if (!escapedBreak) value += trimEndSpaces(text.slice(chunk, limit));
      const next = this.quotedNextLine(q, minIndent, escapedBreak);
      value += escapedBreak ? '' : next.blanks === 0 ? ' ' : '\n'.repeat(next.blanks);
      i = chunk = next.start;
      limit = this.ce;
    }
  }

  /** A single-quoted scalar starting at `q`, closed before `limit`; with `minIndent`, on a later line. */
  private singleQuoted(q: number, limit: number, minIndent?: number): { value: string; end: number } {
    const { text } = this;
    let i = q + 1;
    let value = '';
    let chunk = i;
    for (;;) {
      const close = text.indexOf("'", i);
      if (close === -1 || close >= limit) {
        if (minIndent === undefined) return this.fail('multi-line single-quoted scalar', q);
        value += trimEndSpaces(text.slice(chunk, limit));
        const next = this.quotedNextLine(q, minIndent, false);
        value += next.blanks === 0 ? ' ' : '\n'.repeat(next.blanks);
        i = chunk = next.start;
        limit = this.ce;
        continue;
      }
      if (close + 1 < limit && text.charCodeAt(close + 1) === SQUOTE) {
        value += text.slice(chunk, close + 1);
        i = close + 2;
        chunk = i;
        continue;
      }
      value += text.slice(chunk, close);
      return { value, end: close + 1 };
    }
  }

  /**
   * A quoted scalar opened at `q` goes on after the end of the current line: moves to the next line
   * that is not blank and returns where its text starts (its leading spaces are not part of the
   * value) and how many blank lines came before it (each one a line feed in the value; none: the
   * break is a space). That line must be indented past `minIndent`, the column of the collection
   * the scalar is a value in (a line at or left of it is an error). The reader gives up on tabs,
   * on lines that start with `#` (text here, but rare enough not to model), on document markers,
   * on blank lines after an escaped line break (which the library does not fold as YAML says) and
   * on a scalar left open at the end of the text.
   */
  private quotedNextLine(q: number, minIndent: number, escapedBreak: boolean): { start: number; blanks: number } {
    const { start: p, blanks } = this.nextContentLine(q, 'unclosed quoted scalar', 'tab in a quoted scalar');
    const { text, ls } = this;
    if (p - ls <= minIndent) this.fail('quoted scalar line not indented past its parent', p);
    const ch = text.charCodeAt(p);
    if (p === ls && (ch === DASH || ch === DOT)) this.fail('document marker in a quoted scalar', p);
    if (ch === HASH) this.fail('line starting with # in a quoted scalar', p);
    if (escapedBreak && blanks > 0) this.fail('blank line after an escaped line break', p);
    return { start: p, blanks };
  }

  /**
   * Moves to the next line that is not blank, for a scalar or collection opened at `open` that goes
   * on after the current line: where its content starts and how many blank lines came before it.
   * Gives up (`unclosed`) at the end of the text and (`tab`) on a line with a tab.
   */
  private nextContentLine(open: number, unclosed: string, tab: string): { start: number; blanks: number } {
    const { text, n } = this;
    let blanks = 0;
    for (;;) {
      if (this.le >= n) this.fail(unclosed, open);
      this.setLine(this.le + 1);
      const { ls, ce } = this;
      if (this.hasTab(ls, ce)) this.fail(tab, ls);
      let p = ls;
      while (p < ce && text.charCodeAt(p) === SPACE) p++;
      if (p < ce) return { start: p, blanks };
      blanks++;
    }
  }

  // ---- flow collections ----------------------------------------------------------------------

  /**
   * A flow collection at `q` that is a value (or the root) and ends its line: only spaces and a
   * comment may follow its closing bracket. It may run over several lines, each indented more than
   * `parentIndent`, the column of the block collection it is in (a line at or left of it is an
   * error, but for its closing bracket at that very column: see flowNextLine()); the reader is on
   * the line of the closing bracket afterwards.
   */
  private flowValue(q: number, parentIndent: number, tag: string | undefined): MapNode | SeqNode {
    this.flowIndent = parentIndent;
    const flow = this.flow(q, 0, tag);
    this.lineRest(flow.end, false);
    return flow.node;
  }

  /**
   * The flow collection opened at `open` goes on after the end of the current line: moves to the
   * next line that is not blank and returns where its content starts. A comment line, a line not
   * indented past the parent collection or the end of the text makes the reader give up, except
   * for a line at the parent's column that starts with `endAtParent`, the closing bracket of the
   * outermost flow collection (`Command: [` … `]` below the key), which the library accepts.
   */
  private flowNextLine(open: number, endAtParent: number): number {
    // Blank lines are only space between the tokens.
    const { start: p } = this.nextContentLine(open, 'unclosed flow collection', 'tab');
    const { text, ls } = this;
    if (p - ls <= this.flowIndent && !(p - ls === this.flowIndent && text.charCodeAt(p) === endAtParent)) this.fail('flow collection line not indented past its parent', p);
    if (text.charCodeAt(p) === HASH) this.fail('comment inside a flow collection', p);
    return p;
  }

  /**
   * A flow collection at `q`. With `inKey` it is (inside) the key of a flow map entry or of a
   * single-pair map in a flow sequence, which the tree leaves out (src/parse/yaml.ts keeps only
   * scalar keys): it is only checked, more strictly than a value (see flowKey()).
   */
  private flow(q: number, depth: number, tag: string | undefined, inKey = false): { node: MapNode | SeqNode; end: number } {
    if (depth + this.stack.length > MAX_FAST_DEPTH) this.fail('deep nesting', q);
    const { text } = this;
    // The current line changes when the collection goes on below (flowNextLine()).
    let ce = this.ce;
    const isMap = text.charCodeAt(q) === LBRACE;
    const close = isMap ? RBRACE : RBRACKET;
    const entries: MapEntry[] = [];
    const itemsOut: Node[] = [];
    let i = q + 1;
    for (;;) {
      while (i < ce && text.charCodeAt(i) === SPACE) i++;
      if (i >= ce) {
        if (inKey) this.fail('flow collection key over several lines', q);
        i = this.flowNextLine(q, depth === 0 ? close : -1);
        ce = this.ce;
      }
      // After `[`, `{` or a comma: a trailing comma before the end adds no item (`[a, b,]`); an
      // empty item (`[,]`, `[a,,b]`) is an error, which flowScalar() leaves to the full parser.
      if (text.charCodeAt(i) === close) break;
      const first = text.charCodeAt(i);
      if (isMap && (first === LBRACE || first === LBRACKET)) {
        // `{ {x}: v }`, `{{ x }}` (a Go template placeholder): an entry whose key is a flow
        // collection, with a value or none. The tree leaves the entry out.
        const key = this.flowKey(i, depth);
        if (text.charCodeAt(key) === COLON) {
          // Duplicate keys inside the value are not in the tree either.
          const mark = this.duplicates.length;
          i = this.flowPairValue(key, depth, inKey).end;
          this.duplicates.length = mark;
          ce = this.ce;
        } else i = key; // `,` or the closing bracket must follow (checked below)
      } else if (isMap) {
        const key = this.flowScalar(i, true, undefined, inKey);
        ce = this.ce;
        const keyNode = key.node;
        if (keyNode.style === 'plain' && keyNode.value === '<<') this.fail('merge key', i);
        if (key.end < ce && text.charCodeAt(key.end) === COLON) {
          const value = this.flowPairValue(key.end, depth, inKey);
          ce = this.ce;
          entries.push({ key: String(keyNode.value), keyRange: { start: keyNode.nodeRange.start, end: keyNode.nodeRange.end }, value: value.node });
          i = value.end;
        } else {
          // `{ a }`, `{ .Version }`: a plain key without a value (a null the tree leaves out);
          // `,` or the closing bracket must follow (checked below).
          if (keyNode.style !== 'plain') this.fail('flow map entry without a value', i);
          i = key.end;
        }
      } else {
        const mark = this.duplicates.length;
        const item = this.flowItem(i, depth, inKey);
        ce = this.ce;
        if (item.end < ce && text.charCodeAt(item.end) === COLON) {
          // `[ {x}: v ]`: a single-pair map whose key is a flow collection (the tree leaves the
          // pair out); its node runs from the key to the end of the value.
          if (item.node.type === 'scalar' || (first !== LBRACE && first !== LBRACKET)) this.fail('single-pair map in a flow sequence', item.end);
          if (text.lastIndexOf('\n', item.end) >= i) this.fail('flow collection key over several lines', i);
          if (this.flowKey(i, depth) !== item.end) this.fail('flow collection key read twice differently', i);
          const value = this.flowPairValue(item.end, depth, inKey);
          // Duplicate keys inside the pair's key and value are not in the tree either.
          this.duplicates.length = mark;
          ce = this.ce;
          itemsOut.push({ type: 'map', entries: [], nodeRange: { start: i, end: value.node.nodeRange.end } });
          i = value.end;
        } else {
          itemsOut.push(item.node);
          i = item.end;
        }
      }
      while (i < ce && text.charCodeAt(i) === SPACE) i++;
      if (i >= ce) {
        if (inKey) this.fail('flow collection key over several lines', q);
        i = this.flowNextLine(q, depth === 0 ? close : -1);
        ce = this.ce;
      }
      const c = text.charCodeAt(i);
      if (c === COMMA) {
        i++;
        continue;
      }
      if (c === close) break;
      this.fail('unexpected character in a flow collection', i);
    }
    const nodeRange = { start: q, end: i + 1 };
    // A key given twice (the entries of a collection inside a key are left out of the tree anyway).
    if (isMap && !inKey) dedupeEntries(entries, this.duplicates);
    const node: MapNode | SeqNode = isMap
      ? tag === undefined
        ? { type: 'map', entries, nodeRange }
        : { type: 'map', entries, nodeRange, tag }
      : tag === undefined
        ? { type: 'seq', items: itemsOut, nodeRange }
        : { type: 'seq', items: itemsOut, nodeRange, tag };
    return { node, end: i + 1 };
  }

  /**
   * A flow collection at `i` that is the key of an entry (or of a single-pair map in a flow
   * sequence): checked, then left out of the tree. Returns the offset after it and any spaces,
   * where only `:`, `,` or the closing bracket may follow. To stay clear of the subtler rules for
   * implicit keys, the reader gives up on keys over several lines or longer than 1000 characters,
   * on keys followed by the end of their line, and on anything but plain scalars and flow
   * collections inside them (no quoted scalars, tags, anchors, aliases or comments).
   */
  private flowKey(i: number, depth: number): number {
    const { text, ce } = this;
    const line = this.ls;
    const key = this.flow(i, depth + 1, undefined, true);
    if (this.ls !== line) this.fail('flow collection key over several lines', i);
    if (key.end - i > 1000) this.fail('long flow collection key', i);
    let end = key.end;
    while (end < ce && text.charCodeAt(end) === SPACE) end++;
    if (end >= ce) this.fail('flow collection key at the end of a line', i);
    const c = text.charCodeAt(end);
    if (c !== COLON && c !== COMMA && c !== RBRACKET && c !== RBRACE) this.fail('unexpected character after a flow collection key', end);
    return end;
  }

  /** The value after the `:` at `colon` of a flow map entry or single-pair map: on this line, after a space. */
  private flowPairValue(colon: number, depth: number, inKey: boolean): { node: Node; end: number } {
    const { text, ce } = this;
    if (colon + 1 >= ce) this.fail('node on a later line in a flow collection', colon);
    if (text.charCodeAt(colon + 1) !== SPACE) this.fail('flow map value not after a space', colon);
    let v = colon + 1;
    while (v < ce && text.charCodeAt(v) === SPACE) v++;
    const value = this.flowItem(v, depth, inKey);
    if (text.charCodeAt(value.end) === COLON) this.fail('unexpected : in a flow map', value.end);
    return value;
  }

  /**
   * A value inside a flow collection: tagged or not, a scalar or a nested flow collection (which
   * may end on a later line). Returns the offset after it, spaces skipped. In a key (`inKey`),
   * tags are left to the full parser.
   */
  private flowItem(i: number, depth: number, inKey = false): { node: Node; end: number } {
    const { text, ce } = this;
    let tag: string | undefined;
    let at = i;
    if (text.charCodeAt(at) === BANG) {
      if (inKey) this.fail('tag in a flow collection key', at);
      const tagEnd = this.tagEnd(at);
      tag = text.slice(at, tagEnd);
      at = tagEnd;
      // A tag at the end of a line with its node below is left to the full parser.
      if (at >= ce) this.fail('node on a later line in a flow collection', at);
      if (text.charCodeAt(at) !== SPACE) this.fail('tag without a value in a flow collection', at);
      while (at < ce && text.charCodeAt(at) === SPACE) at++;
    }
    const ch = text.charCodeAt(at);
    if (ch === LBRACKET || ch === LBRACE) {
      const nested = this.flow(at, depth + 1, tag, inKey);
      const nestedCe = this.ce;
      let end = nested.end;
      while (end < nestedCe && text.charCodeAt(end) === SPACE) end++;
      return { node: nested.node, end };
    }
    return this.flowScalar(at, false, tag, inKey);
  }

  /** A scalar inside a flow collection at `i`; `end` is the offset after it and any spaces. */
  private flowScalar(i: number, isKey: boolean, tag: string | undefined, inKey = false): { node: ScalarNode; end: number } {
    const { text, ce } = this;
    if (i >= ce) this.fail('node on a later line in a flow collection', i);
    const ch = text.charCodeAt(i);
    let node: ScalarNode;
    let after: number;
    if (ch === DQUOTE || ch === SQUOTE) {
      if (inKey) this.fail('quoted scalar in a flow collection key', i);
      const quoted = ch === DQUOTE ? this.doubleQuoted(i, ce) : this.singleQuoted(i, ce);
      node = this.scalar(isKey ? quoted.value : detach(quoted.value), i + 1, quoted.end - 1, i, quoted.end, ch === DQUOTE ? 'double' : 'single', tag);
      after = quoted.end;
      if (after < ce) {
        const next = text.charCodeAt(after);
        if (next !== SPACE && next !== COMMA && next !== RBRACKET && next !== RBRACE && !(isKey && next === COLON)) this.fail('unexpected character after a quoted scalar', after);
        if (next === COLON && after + 1 < ce && text.charCodeAt(after + 1) !== SPACE) this.fail('adjacent value after a quoted key', after);
      }
    } else {
      if (NOT_PLAIN_START.has(ch) || ch === DASH || ch === SPACE) {
        if (ch === HASH) this.fail('comment inside a flow collection', i);
        // `-` may start a plain scalar (`-1`) when a safe character follows.
        const next = i + 1 < ce ? text.charCodeAt(i + 1) : SPACE;
        if (!(ch === DASH && next !== SPACE && next !== COMMA && next !== RBRACKET && next !== RBRACE && next !== LBRACKET && next !== LBRACE)) this.fail('unsupported node in a flow collection', i);
      }
      let j = i;
      let end = i;
      while (j < ce) {
        const c = text.charCodeAt(j);
        if (c === COMMA || c === RBRACKET || c === RBRACE || c === LBRACKET || c === LBRACE) break;
        if (c === COLON) {
          const next = j + 1 < ce ? text.charCodeAt(j + 1) : SPACE;
          if (next === SPACE) break;
          if (next === COMMA || next === RBRACKET || next === RBRACE || next === LBRACKET || next === LBRACE) this.fail('ambiguous : in a flow collection', j);
          end = j + 1;
        } else if (c === SPACE) {
          if (j + 1 < ce && text.charCodeAt(j + 1) === HASH) this.fail('comment inside a flow collection', j);
        } else {
          end = j + 1;
        }
        j++;
      }
      if (end === i) this.fail('empty flow item', i);
      if (j >= ce) this.plainAtLineEnd(i);
      const source = text.slice(i, end);
      const value = tag === undefined ? resolvePlain(source) : source;
      node = this.scalar(isKey || typeof value !== 'string' ? value : detach(value), i, end, i, end, 'plain', tag);
      after = end;
    }
    while (after < ce && text.charCodeAt(after) === SPACE) after++;
    return { node, end: after };
  }

  /**
   * A plain scalar at `i` in a flow collection runs to the end of its line: it ends there only if
   * the very next line starts with `,`, `]` or `}`; otherwise it may go on over the lines below
   * (folded), or a blank or comment line follows it, which the reader leaves to the full parser.
   */
  private plainAtLineEnd(i: number): void {
    const { text, n } = this;
    let k = this.le + 1;
    while (k < n && text.charCodeAt(k) === SPACE) k++;
    const c = k < n ? text.charCodeAt(k) : LF;
    if (c !== COMMA && c !== RBRACKET && c !== RBRACE) this.fail('plain scalar at the end of a line in a flow collection', i);
  }

  // ---- block scalars ---------------------------------------------------------------------------

  /** `|` or `>` at `h` as the value of the frame's pending entry or item: reads the lines it spans. */
  private blockScalarValue(frame: Frame, h: number, tag: string | undefined): number {
    const { text, n } = this;
    const folded = text.charCodeAt(h) === GT;
    let i = h + 1;
    let strip = false;
    if (i < this.ce) {
      const c = text.charCodeAt(i);
      if (c === DASH) {
        strip = true;
        i++;
      }
    }
    let j = i;
    while (j < this.ce && text.charCodeAt(j) === SPACE) j++;
    if (j < this.ce && !(text.charCodeAt(j) === HASH && j > i)) this.fail('unsupported block scalar header', h);
    const parentIndent = frame.indent;
    // Lines of the body: blank lines, then lines indented at least as far as the first content line.
    const bodyStart = this.lineEndIncl;
    let pos = bodyStart;
    let contentIndent = -1;
    let leadingBlanks = 0;
    let leadingMax = 0;
    let trailingMax = -1;
    let lastContentEnd = -1;
    while (pos < n) {
      let le = text.indexOf('\n', pos);
      if (le === -1) le = n;
      const lce = le > pos && text.charCodeAt(le - 1) === CR ? le - 1 : le;
      let k = pos;
      while (k < lce && text.charCodeAt(k) === SPACE) k++;
      const sp = k - pos;
      if (k === lce) {
        if (contentIndent < 0) {
          leadingBlanks++;
          if (sp > leadingMax) leadingMax = sp;
        } else if (sp > trailingMax) trailingMax = sp;
        pos = le + 1;
        continue;
      }
      const c = text.charCodeAt(k);
      if (contentIndent < 0) {
        if (sp <= parentIndent) this.fail('empty block scalar', h);
        if (c === TAB) this.fail('tab in block scalar indentation', k);
        if (leadingMax > sp) this.fail('more-indented leading empty lines in a block scalar', h);
        contentIndent = sp;
      } else if (sp < contentIndent) {
        if (c === TAB) this.fail('tab in block scalar indentation', k);
        break;
      }
      lastContentEnd = le;
      trailingMax = -1;
      pos = le + 1;
    }
    if (contentIndent < 0) this.fail('empty block scalar', h);
    if (trailingMax > contentIndent) this.fail('more-indented trailing blank lines in a block scalar', h);
    const end = lastContentEnd < n ? lastContentEnd + 1 : n;
    const value = this.blockValue(bodyStart, end, contentIndent, leadingBlanks, folded, strip, h);
    const node = this.scalar(value, h, end, h, end, 'block', tag);
    this.setValue(frame, node, end, false);
    return end;
  }

  private blockValue(from: number, to: number, indent: number, leadingBlanks: number, folded: boolean, strip: boolean, h: number): string {
    const { text } = this;
    let value = '\n'.repeat(leadingBlanks);
    let pos = from;
    for (let b = 0; b < leadingBlanks; b++) pos = text.indexOf('\n', pos) + 1;
    let sep = '';
    while (pos < to) {
      let le = text.indexOf('\n', pos);
      if (le === -1 || le > to) le = to;
      const lce = le > pos && text.charCodeAt(le - 1) === CR ? le - 1 : le;
      const lineLength = lce - pos;
      let k = pos;
      while (k < lce && text.charCodeAt(k) === SPACE) k++;
      const blank = k === lce;
      if (!folded) {
        value += sep + (blank ? (lineLength > indent ? text.slice(pos + indent, lce) : '') : text.slice(pos + indent, lce));
        sep = '\n';
      } else if (blank && lineLength <= indent) {
        if (sep === '\n') value += '\n';
        else sep = '\n';
      } else {
        if (k - pos > indent || text.charCodeAt(pos + indent) === TAB || blank) this.fail('more-indented line in a folded block scalar', h);
        value += sep + text.slice(pos + indent, lce);
        sep = ' ';
      }
      pos = le + 1;
    }
    return strip ? value : `${value}\n`;
  }
}

/** The tree of a YAML text, or undefined when the text is outside the fast subset. */
export function fastParseYaml(text: string): ParsedFile | undefined {
  const result = new FastYamlReader(text).read();
  return result instanceof Unsupported ? undefined : result;
}

/**
 * For the scanner: the tree of a YAML text, a TemplateStop (see FastYamlReader.readForScan()), or
 * undefined when the text is outside the fast subset.
 */
export function fastScanYaml(text: string): ParsedFile | TemplateStop | undefined {
  const result = new FastYamlReader(text).readForScan();
  return result instanceof Unsupported ? undefined : result;
}
