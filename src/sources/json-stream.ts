// Reads a large JSON document (a report of 100,000 findings, the snapshot of a whole fleet) with
// memory bounded by its largest item rather than by its size: the file is read in chunks, the
// arrays and objects named by `split` paths are handed over an element (or member) at a time,
// parsed, and every other top-level member is parsed whole. A byte-level scanner finds the items'
// boundaries (strings and escapes respected); JSON.parse parses each item, so values are exactly
// what JSON.parse would give.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

/** A path from the top: keys of objects, `*` for any element of an array. */
export type JsonPath = readonly string[];

export interface StreamOptions {
  /** The containers whose elements (arrays) or members (objects) come one at a time. */
  split: readonly JsonPath[];
  /**
   * One element or member of a split container: its container's path (joined with `.`), its key
   * or index, its value, and what has been read so far of the object the split container is in
   * (its other members that came before it), when that object is walked.
   */
  onItem: (path: string, key: string | number, value: unknown, parent?: unknown) => void;
  /** A walked container (one on the way to a split one) has ended: its path and what was kept of it. */
  onClose?: (path: string, value: unknown) => void;
  /**
   * Split containers whose items are handed over as their JSON text (a Buffer of their own
   * bytes, not parsed): for copying them elsewhere, or parsing them later when needed.
   */
  raw?: readonly JsonPath[];
  /** Split containers whose items are not wanted this time: scanned past, never parsed or handed over. */
  skip?: readonly JsonPath[];
  /** Chunk size (tests use small ones). */
  chunkBytes?: number;
  /** Refuse a document larger than this (bytes). */
  maxBytes?: number;
}

export class JsonStreamError extends Error {
  override readonly name = 'JsonStreamError';
}

const enum Mode {
  /** Looking for the next value (or a key, or a closing bracket) in a container we walk. */
  Walk,
  /** Inside a value being captured whole. */
  Capture,
}

interface Frame {
  type: 'object' | 'array';
  path: string[];
  /** The key of the member being read (objects); the index of the element (arrays). */
  key: string | undefined;
  index: number;
  /** Objects: the next string is a key. */
  expectKey: boolean;
  /** Elements or members are items (the container is split). */
  split: boolean;
  /** What was captured in a walked (not split) container: its other members, kept. */
  value: Record<string, unknown> | unknown[] | undefined;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;

function isSpace(b: number): boolean {
  return b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
}

function matches(path: readonly string[], pattern: JsonPath): boolean {
  return path.length === pattern.length && pattern.every((part, i) => part === '*' || part === path[i]);
}

function isPrefix(path: readonly string[], pattern: JsonPath): boolean {
  return path.length < pattern.length && path.every((part, i) => pattern[i] === '*' || pattern[i] === part);
}

/**
 * Streams a JSON file whose top level is an object. Returns the top-level members that were not
 * split, parsed; split containers' items go to `onItem` as they are read.
 */
export function streamJsonFile(file: string, options: StreamOptions): Record<string, unknown> {
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    if (options.maxBytes !== undefined && size > options.maxBytes) throw new JsonStreamError(`larger than ${options.maxBytes} bytes`);
    const reader = new JsonStreamReader(options);
    const buffer = Buffer.alloc(options.chunkBytes ?? 1 << 20);
    let position = 0;
    for (;;) {
      const read = readSync(fd, buffer, 0, buffer.length, position);
      if (read === 0) break;
      position += read;
      reader.feed(buffer.subarray(0, read));
      if (options.maxBytes !== undefined && position > options.maxBytes) throw new JsonStreamError(`larger than ${options.maxBytes} bytes`);
    }
    return reader.end();
  } finally {
    closeSync(fd);
  }
}

/** The scanner itself, fed chunk by chunk (exported for tests). */
export class JsonStreamReader {
  private readonly stack: Frame[] = [];
  private readonly top: Record<string, unknown> = {};
  private mode = Mode.Walk;
  private started = false;
  private finished = false;
  /** Offset of the whole stream, for messages. */
  private offset = 0;
  // Capture state.
  private parts: Buffer[] = [];
  private captureDepth = 0;
  private captureKind: 'container' | 'string' | 'scalar' = 'scalar';
  private inString = false;
  private escaped = false;
  // A key being read by the walker (keys may cross chunks).
  private keyParts: Buffer[] | undefined;
  private keyEscaped = false;
  private afterKey = false;

  constructor(private readonly options: StreamOptions) {}

  feed(chunk: Buffer): void {
    let i = 0;
    const n = chunk.length;
    while (i < n) {
      if (this.mode === Mode.Capture) {
        i = this.capture(chunk, i);
        continue;
      }
      if (this.keyParts !== undefined) {
        i = this.readKey(chunk, i);
        continue;
      }
      const b = chunk[i]!;
      if (isSpace(b)) {
        i++;
        continue;
      }
      if (this.finished) throw this.error('unexpected text after the end of the document', i);
      if (!this.started) {
        // A UTF-8 byte order mark (its bytes may come in separate chunks).
        const at = this.offset + i;
        if ((at === 0 && b === 0xef) || (at === 1 && b === 0xbb) || (at === 2 && b === 0xbf)) {
          i++;
          continue;
        }
        if (b !== OPEN_OBJECT) throw this.error('not a JSON object', i);
        this.started = true;
        this.stack.push({ type: 'object', path: [], key: undefined, index: 0, expectKey: true, split: false, value: this.top });
        i++;
        continue;
      }
      const frame = this.stack.at(-1)!;
      if (b === COMMA) {
        if (frame.type === 'object') frame.expectKey = true;
        else frame.index += 1;
        i++;
        continue;
      }
      if (b === CLOSE_OBJECT || b === CLOSE_ARRAY) {
        const closed = this.stack.pop()!;
        if (this.stack.length === 0) this.finished = true;
        else if (closed.split) {
          // What was split is handed over item by item; its place in the parent says it was there.
          this.keep(this.stack.at(-1)!, closed.type === 'array' ? [] : {});
        } else if (closed.value !== undefined) {
          this.options.onClose?.(closed.path.join('.'), closed.value);
          this.keep(this.stack.at(-1)!, closed.value);
        }
        i++;
        continue;
      }
      if (frame.type === 'object' && frame.expectKey) {
        if (b !== QUOTE) throw this.error('expected a key', i);
        this.keyParts = [];
        this.keyEscaped = false;
        i++;
        continue;
      }
      if (frame.type === 'object' && this.afterKey) {
        if (b !== COLON) throw this.error('expected `:`', i);
        this.afterKey = false;
        i++;
        continue;
      }
      // A value starts: walk into it, or capture it whole.
      const key = frame.type === 'object' ? frame.key! : String(frame.index);
      const path = [...frame.path, key];
      const split = this.options.split.some((pattern) => matches(path, pattern));
      const onTheWay = this.options.split.some((pattern) => isPrefix(path, pattern));
      if ((split || onTheWay) && (b === OPEN_OBJECT || b === OPEN_ARRAY) && !frame.split) {
        this.stack.push({ type: b === OPEN_OBJECT ? 'object' : 'array', path, key: undefined, index: 0, expectKey: b === OPEN_OBJECT, split, value: split ? undefined : b === OPEN_OBJECT ? {} : [] });
        i++;
        continue;
      }
      this.mode = Mode.Capture;
      this.parts = [];
      this.captureDepth = 0;
      this.inString = false;
      this.escaped = false;
      this.captureKind = b === OPEN_OBJECT || b === OPEN_ARRAY ? 'container' : b === QUOTE ? 'string' : 'scalar';
      i = this.capture(chunk, i, true);
    }
    this.offset += n;
  }

  private readKey(chunk: Buffer, start: number): number {
    for (let i = start; i < chunk.length; i++) {
      const b = chunk[i]!;
      if (this.keyEscaped) {
        this.keyEscaped = false;
        continue;
      }
      if (b === BACKSLASH) {
        this.keyEscaped = true;
        continue;
      }
      if (b === QUOTE) {
        this.keyParts!.push(chunk.subarray(start, i));
        const raw = Buffer.concat(this.keyParts!).toString('utf8');
        this.keyParts = undefined;
        const frame = this.stack.at(-1)!;
        frame.key = JSON.parse(`"${raw}"`) as string;
        frame.expectKey = false;
        this.afterKey = true;
        return i + 1;
      }
    }
    this.keyParts!.push(Buffer.from(chunk.subarray(start)));
    return chunk.length;
  }

  /** Scans a captured value from `start`; returns where the walker goes on. */
  private capture(chunk: Buffer, start: number, first = false): number {
    let i = start;
    const n = chunk.length;
    if (this.captureKind === 'scalar') {
      while (i < n) {
        const b = chunk[i]!;
        if (b === COMMA || b === CLOSE_OBJECT || b === CLOSE_ARRAY || isSpace(b)) {
          this.parts.push(chunk.subarray(start, i));
          this.deliver();
          return i;
        }
        i++;
      }
      this.parts.push(Buffer.from(chunk.subarray(start)));
      return n;
    }
    if (first) {
      // The opening quote or bracket.
      if (this.captureKind === 'string') this.inString = true;
      else this.captureDepth = 1;
      i++;
    }
    while (i < n) {
      const b = chunk[i]!;
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (b === BACKSLASH) this.escaped = true;
        else if (b === QUOTE) {
          this.inString = false;
          if (this.captureKind === 'string') {
            this.parts.push(chunk.subarray(start, i + 1));
            this.deliver();
            return i + 1;
          }
        }
      } else if (b === QUOTE) this.inString = true;
      else if (b === OPEN_OBJECT || b === OPEN_ARRAY) this.captureDepth += 1;
      else if (b === CLOSE_OBJECT || b === CLOSE_ARRAY) {
        this.captureDepth -= 1;
        if (this.captureDepth === 0) {
          this.parts.push(chunk.subarray(start, i + 1));
          this.deliver();
          return i + 1;
        }
      }
      i++;
    }
    // The value goes on in the next chunk: keep a copy (the chunk's buffer is reused).
    this.parts.push(Buffer.from(chunk.subarray(start)));
    return n;
  }

  private deliver(): void {
    const bytes = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts);
    this.parts = [];
    this.mode = Mode.Walk;
    const frame = this.stack.at(-1)!;
    if (frame.split && this.options.skip?.some((pattern) => matches(frame.path, pattern)) === true) return;
    if (frame.split && this.options.raw?.some((pattern) => matches(frame.path, pattern)) === true) {
      // A copy: a single part may be a view of the chunk buffer, which the next read overwrites.
      this.options.onItem(frame.path.join('.'), frame.type === 'object' ? frame.key! : frame.index, Buffer.from(bytes), this.stack.at(-2)?.value);
      return;
    }
    const text = bytes.toString('utf8');
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      throw new JsonStreamError(`not JSON near byte ${this.offset}: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (frame.split) this.options.onItem(frame.path.join('.'), frame.type === 'object' ? frame.key! : frame.index, value, this.stack.at(-2)?.value);
    else this.keep(frame, value);
  }

  /** A value of a walked container (on the way to a split one): kept in it, as JSON.parse would. */
  private keep(frame: Frame, value: unknown): void {
    if (frame.value === undefined) return;
    if (Array.isArray(frame.value)) frame.value[frame.index] = value;
    else frame.value[frame.key!] = value;
  }

  end(): Record<string, unknown> {
    if (this.mode === Mode.Capture && this.captureKind === 'scalar' && this.parts.length > 0) this.deliver();
    if (!this.finished) throw new JsonStreamError(this.started ? 'the document ends early (cut short?)' : 'empty: not a JSON object');
    return this.top;
  }

  private error(message: string, i: number): JsonStreamError {
    return new JsonStreamError(`not JSON: ${message} at byte ${this.offset + i}`);
  }
}
