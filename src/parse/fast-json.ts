// A fast reader for strict JSON (RFC 8259) that produces exactly the tree src/parse/json.ts builds
// from jsonc-parser's parseTree: the same values and the same UTF-16 ranges, several times faster.
// It gives up (returns undefined) on anything that is not plain valid JSON, including whitespace
// that only jsonc-parser tolerates and nesting deeper than the full path allows; the caller then
// uses jsonc-parser, which reports errors at its positions and recovers around them.
import { MAX_DEPTH } from './depth-guard.js';
import { dedupeEntries, detach, sortedDuplicates } from './tree.js';
import type { DuplicateKey, MapEntry, Node, ParsedFile, ScalarNode } from './tree.js';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;
const MINUS = 0x2d;
const ZERO = 0x30;
const NINE = 0x39;
const DOT = 0x2e;

class GiveUp {}
const GIVE_UP = new GiveUp();

const SIMPLE_ESCAPES: Record<number, string> = {
  0x22: '"',
  0x5c: '\\',
  0x2f: '/',
  0x62: '\b',
  0x66: '\f',
  0x6e: '\n',
  0x72: '\r',
  0x74: '\t',
};

function isDigit(c: number): boolean {
  return c >= ZERO && c <= NINE;
}

class FastJsonReader {
  private i = 0;
  private readonly n: number;
  private readonly duplicates: DuplicateKey[] = [];

  constructor(private readonly text: string) {
    this.n = text.length;
  }

  read(): ParsedFile | undefined {
    try {
      this.ws();
      const root = this.value(0);
      this.ws();
      if (this.i !== this.n) return undefined;
      const duplicateKeys = sortedDuplicates(this.duplicates);
      return { syntax: 'json', documents: [duplicateKeys === undefined ? { root } : { root, duplicateKeys }] };
    } catch (err) {
      if (err === GIVE_UP || err instanceof RangeError) return undefined;
      throw err;
    }
  }

  private ws(): void {
    const { text, n } = this;
    let i = this.i;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
      else break;
    }
    this.i = i;
  }

  private value(depth: number): Node {
    if (depth > MAX_DEPTH) throw GIVE_UP;
    const c = this.text.charCodeAt(this.i);
    if (c === LBRACE) return this.object(depth);
    if (c === LBRACKET) return this.array(depth);
    if (c === QUOTE) return this.stringNode();
    return this.literal();
  }

  private object(depth: number): Node {
    const { text } = this;
    const start = this.i;
    this.i++;
    const entries: MapEntry[] = [];
    this.ws();
    if (text.charCodeAt(this.i) === RBRACE) {
      this.i++;
      return { type: 'map', entries, nodeRange: { start, end: this.i } };
    }
    for (;;) {
      if (text.charCodeAt(this.i) !== QUOTE) throw GIVE_UP;
      const keyStart = this.i;
      const key = this.string();
      const keyEnd = this.i;
      this.ws();
      if (text.charCodeAt(this.i) !== COLON) throw GIVE_UP;
      this.i++;
      this.ws();
      const value = this.value(depth + 1);
      entries.push({ key, keyRange: { start: keyStart, end: keyEnd }, value });
      this.ws();
      const c = text.charCodeAt(this.i);
      this.i++;
      if (c === COMMA) {
        this.ws();
        continue;
      }
      if (c === RBRACE) {
        dedupeEntries(entries, this.duplicates);
        return { type: 'map', entries, nodeRange: { start, end: this.i } };
      }
      throw GIVE_UP;
    }
  }

  private array(depth: number): Node {
    const { text } = this;
    const start = this.i;
    this.i++;
    const items: Node[] = [];
    this.ws();
    if (text.charCodeAt(this.i) === RBRACKET) {
      this.i++;
      return { type: 'seq', items, nodeRange: { start, end: this.i } };
    }
    for (;;) {
      items.push(this.value(depth + 1));
      this.ws();
      const c = text.charCodeAt(this.i);
      this.i++;
      if (c === COMMA) {
        this.ws();
        continue;
      }
      if (c === RBRACKET) return { type: 'seq', items, nodeRange: { start, end: this.i } };
      throw GIVE_UP;
    }
  }

  private stringNode(): ScalarNode {
    const start = this.i;
    const value = detach(this.string());
    return { type: 'scalar', value, range: { start: start + 1, end: this.i - 1 }, nodeRange: { start, end: this.i }, style: 'json' };
  }

  /** A string at the current quote; leaves the position after the closing quote. */
  private string(): string {
    const { text, n } = this;
    let i = this.i + 1;
    let chunk = i;
    let value = '';
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === QUOTE) {
        this.i = i + 1;
        return value + text.slice(chunk, i);
      }
      if (c < 0x20) throw GIVE_UP;
      if (c === BACKSLASH) {
        value += text.slice(chunk, i);
        const e = text.charCodeAt(i + 1);
        const simple = SIMPLE_ESCAPES[e];
        if (simple !== undefined) {
          value += simple;
          i += 2;
        } else if (e === 0x75) {
          const hex = text.slice(i + 2, i + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw GIVE_UP;
          value += String.fromCharCode(parseInt(hex, 16));
          i += 6;
        } else {
          throw GIVE_UP;
        }
        chunk = i;
        continue;
      }
      i++;
    }
    throw GIVE_UP;
  }

  private literal(): ScalarNode {
    const { text } = this;
    const start = this.i;
    const c = text.charCodeAt(start);
    let value: number | boolean | null;
    if (c === MINUS || isDigit(c)) {
      let i = start;
      if (c === MINUS) i++;
      if (text.charCodeAt(i) === ZERO) i++;
      else if (isDigit(text.charCodeAt(i))) while (isDigit(text.charCodeAt(i))) i++;
      else throw GIVE_UP;
      if (text.charCodeAt(i) === DOT) {
        i++;
        if (!isDigit(text.charCodeAt(i))) throw GIVE_UP;
        while (isDigit(text.charCodeAt(i))) i++;
      }
      const e = text.charCodeAt(i);
      if (e === 0x65 || e === 0x45) {
        i++;
        const sign = text.charCodeAt(i);
        if (sign === 0x2b || sign === MINUS) i++;
        if (!isDigit(text.charCodeAt(i))) throw GIVE_UP;
        while (isDigit(text.charCodeAt(i))) i++;
      }
      value = Number(text.slice(start, i));
      this.i = i;
    } else if (text.startsWith('true', start)) {
      value = true;
      this.i = start + 4;
    } else if (text.startsWith('false', start)) {
      value = false;
      this.i = start + 5;
    } else if (text.startsWith('null', start)) {
      value = null;
      this.i = start + 4;
    } else {
      throw GIVE_UP;
    }
    // A literal must end at a delimiter (`truex`, `1a` are errors for jsonc-parser too).
    const next = this.i < this.n ? text.charCodeAt(this.i) : 0x20;
    if (!(next === 0x20 || next === 0x0a || next === 0x0d || next === 0x09 || next === COMMA || next === RBRACE || next === RBRACKET)) throw GIVE_UP;
    return { type: 'scalar', value, range: { start, end: this.i }, nodeRange: { start, end: this.i }, style: 'json' };
  }
}

/** The tree of a JSON text, or undefined when it is not plain valid JSON (use the full path). */
export function fastParseJson(text: string): ParsedFile | undefined {
  return new FastJsonReader(text).read();
}
