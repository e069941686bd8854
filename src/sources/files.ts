// Finds and reads the files a scan looks at: directories recursively (skipping .git and
// node_modules, following no symlink loop), single files, and `-` for stdin. Each file is
// checked before it is scanned: size limit, binary content, encoding (UTF-8, or UTF-16 with a
// byte-order mark). Every read is bounded: at most the size limit is read, from a regular file
// only (a FIFO or a device named on the command line is refused, never waited on or read forever).
import { closeSync, constants, fstatSync, openSync, readdirSync, readSync, realpathSync, statSync } from 'node:fs';
import type { Stats } from 'node:fs';
import { join } from 'node:path';
import { isScannedName } from '../core/file-names.js';

export const DEFAULT_MAX_FILE_BYTES = 10 * 1024 * 1024;
const SKIP_DIRS = new Set(['.git', 'node_modules', '.hg', '.svn']);

/** How a file's bytes were decoded (and how `pin` writes it back): UTF-8 unless it says otherwise. */
export type TextEncoding = 'utf-8' | 'utf-16le' | 'utf-16be';

export type SourceItem =
  | { kind: 'file'; path: string; text: string; encoding?: TextEncoding }
  | { kind: 'skipped'; path: string; reason: string }
  | { kind: 'error'; path: string; message: string };

/** A file found but not read yet (pendingSources()): whoever scans it reads it with readCheckedSync(). */
export interface PendingFile {
  kind: 'pending';
  path: string;
}

export interface SourceOptions {
  maxFileBytes?: number;
  /** Reads stdin for `-`: at most `maxBytes + 1` bytes (more only tells that it is too large). */
  stdin?: (maxBytes: number) => Promise<Buffer>;
  /** Only these files (paths as they will be reported), e.g. from --changed-since. */
  filter?: (path: string) => boolean;
}

const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const utf16 = new TextDecoder('utf-16le', { fatal: true, ignoreBOM: true });

/**
 * Decodes a file's bytes, or says why it is not a text file we can scan. UTF-8 (a BOM is kept as
 * U+FEFF, which the parsers know), or UTF-16 LE or BE when a byte-order mark says so (YAML allows
 * both; Windows tools write them): the text then starts with U+FEFF too, and `encoding` says how to
 * write it back.
 */
export function decode(bytes: Uint8Array, maxBytes: number): { text: string; encoding?: TextEncoding } | { reason: string } {
  if (bytes.length > maxBytes) return { reason: tooLarge(maxBytes, bytes.length) };
  const [b0, b1, b2, b3] = bytes;
  if ((b0 === 0xff && b1 === 0xfe && b2 === 0 && b3 === 0) || (b0 === 0 && b1 === 0 && b2 === 0xfe && b3 === 0xff)) return { reason: 'UTF-32 text: convert it to UTF-8' };
  if ((b0 === 0xff && b1 === 0xfe) || (b0 === 0xfe && b1 === 0xff)) {
    const encoding: TextEncoding = b0 === 0xff ? 'utf-16le' : 'utf-16be';
    if (bytes.length % 2 !== 0) return { reason: `not valid ${encoding.toUpperCase()} (an odd number of bytes)` };
    try {
      const text = utf16.decode(encoding === 'utf-16le' ? bytes : swapPairs(bytes));
      if (text.slice(0, 4096).includes('\0')) return { reason: 'binary file (contains NUL characters)' };
      return { text, encoding };
    } catch {
      return { reason: `not valid ${encoding.toUpperCase()} (a lone surrogate)` };
    }
  }
  const head = bytes.subarray(0, 8192);
  if (head.includes(0)) return { reason: 'binary file (contains NUL bytes)' };
  try {
    return { text: decoder.decode(bytes) };
  } catch {
    const at = firstInvalidUtf8(bytes);
    return { reason: `not valid UTF-8 (first invalid byte at offset ${at})` };
  }
}

/** The bytes with each pair swapped: UTF-16 BE to LE and back. */
function swapPairs(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i + 1 < bytes.length; i += 2) {
    out[i] = bytes[i + 1]!;
    out[i + 1] = bytes[i]!;
  }
  return out;
}

/** A text as the bytes of its file's encoding (what decode() read it from). */
export function encode(text: string, encoding: TextEncoding = 'utf-8'): Buffer {
  if (encoding === 'utf-8') return Buffer.from(text, 'utf8');
  const le = Buffer.from(text, 'utf16le');
  return encoding === 'utf-16le' ? le : Buffer.from(swapPairs(le));
}

function tooLarge(maxBytes: number, size: number): string {
  return `larger than the ${formatBytes(maxBytes)} limit (${size > maxBytes + 1 ? formatBytes(size) : 'more'}); raise it with --max-file-size`;
}

/** Offset of the first byte that starts an invalid UTF-8 sequence (only called after decoding failed). */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const lead = bytes[i] ?? 0;
    const length = lead < 0x80 ? 1 : lead >= 0xc2 && lead <= 0xdf ? 2 : lead >= 0xe0 && lead <= 0xef ? 3 : lead >= 0xf0 && lead <= 0xf4 ? 4 : 0;
    if (length === 0 || i + length > bytes.length) return i;
    for (let k = 1; k < length; k++) if (((bytes[i + k] ?? 0) & 0xc0) !== 0x80) return i;
    // Overlong 3/4-byte forms, surrogates and code points above U+10FFFF.
    const second = bytes[i + 1] ?? 0;
    if ((lead === 0xe0 && second < 0xa0) || (lead === 0xed && second > 0x9f) || (lead === 0xf0 && second < 0x90) || (lead === 0xf4 && second > 0x8f)) return i;
    i += length;
  }
  return bytes.length;
}

export function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${(n / 1024 / 1024).toFixed(n % (1024 * 1024) === 0 ? 0 : 1)} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(0)} KiB`;
  return `${n} B`;
}

/** Why a path cannot be read, in words (`no such file or directory`, `symlink loop`), with the code. */
export function describeError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ENOENT':
      return 'no such file or directory';
    case 'ELOOP':
      return 'symlink loop';
    case 'EACCES':
    case 'EPERM':
      return `permission denied (${code})`;
    case undefined:
      return err instanceof Error ? err.message : String(err);
    default:
      return code;
  }
}

/** What a path is, when it is not a regular file. */
function kindOf(info: Stats): string {
  if (info.isFIFO()) return 'a named pipe (FIFO)';
  if (info.isCharacterDevice()) return 'a character device';
  if (info.isBlockDevice()) return 'a block device';
  if (info.isSocket()) return 'a socket';
  if (info.isDirectory()) return 'a directory';
  return 'something else';
}

/** A file that is not read: not a regular file, or (`tooLarge`) over the size limit. */
export class ReadRefused extends Error {
  constructor(
    message: string,
    readonly tooLarge = false,
  ) {
    super(message);
  }
}

/**
 * The bytes of a regular file, at most `maxBytes` of them: opened without waiting (a FIFO would
 * block the open), checked to be a regular file on the open descriptor (so nothing swapped in
 * after a check is read), and read up to the limit and one byte more (a file that grows while it
 * is read, or a size that lies, is still cut there). Throws ReadRefused with the reason, or the
 * system's error.
 */
export function readFileBounded(path: string, maxBytes: number): Buffer {
  const fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  try {
    const info = fstatSync(fd);
    if (!info.isFile()) throw new ReadRefused(`${kindOf(info)}, not a regular file: not read`);
    if (info.size > maxBytes) throw new ReadRefused(tooLarge(maxBytes, info.size), true);
    // One byte more than the size says, to see the end (or that the file grew).
    let buffer = Buffer.allocUnsafe(Math.min(info.size, maxBytes) + 1);
    let length = 0;
    for (;;) {
      if (length === buffer.length) {
        if (length > maxBytes) throw new ReadRefused(tooLarge(maxBytes, length), true);
        const bigger = Buffer.allocUnsafe(Math.min(maxBytes + 1, buffer.length * 2));
        buffer.copy(bigger, 0, 0, length);
        buffer = bigger;
      }
      const n = readSync(fd, buffer, length, buffer.length - length, null);
      if (n === 0) return buffer.subarray(0, length);
      length += n;
    }
  } finally {
    closeSync(fd);
  }
}

/** A regular file's text (UTF-8), at most `maxBytes`: for configuration and snapshot files. */
export function readTextFileBounded(path: string, maxBytes: number): string {
  const bytes = readFileBounded(path, maxBytes);
  try {
    return decoder.decode(bytes);
  } catch {
    throw new ReadRefused(`not valid UTF-8 (first invalid byte at offset ${firstInvalidUtf8(bytes)})`);
  }
}

/**
 * Reads and checks one file (regular file, size limit, binary content, encoding). A file that
 * cannot be read is an error (the scan is incomplete); one that is not text or too large is skipped.
 */
export function readCheckedSync(path: string, maxBytes: number): SourceItem {
  let bytes: Buffer;
  try {
    bytes = readFileBounded(path, maxBytes);
  } catch (err) {
    if (err instanceof ReadRefused) return err.tooLarge ? { kind: 'skipped', path, reason: err.message } : { kind: 'error', path, message: `${path}: ${err.message}` };
    return { kind: 'error', path, message: `${path}: cannot read: ${describeError(err)}` };
  }
  const decoded = decode(bytes, maxBytes);
  if (!('text' in decoded)) return { kind: 'skipped', path, reason: decoded.reason };
  return decoded.encoding === undefined ? { kind: 'file', path, text: decoded.text } : { kind: 'file', path, text: decoded.text, encoding: decoded.encoding };
}

/** Reads a file now, or (for pendingSources()) leaves it to the scanner. */
type Open = (path: string, maxBytes: number) => Promise<SourceItem | PendingFile>;
// Synchronous reads: one file is read at a time either way, and the scan's start then needs no
// promise-based fs module.
const openNow: Open = async (path, maxBytes) => readCheckedSync(path, maxBytes);
const openLater: Open = async (path) => ({ kind: 'pending', path });

// Directories are listed with synchronous calls: the scan runs between them, and an asynchronous
// listing only left the thread idle while it waited (a tenth of a large scan's time).
async function* walk(dir: string, seen: Set<string>, options: SourceOptions, open: Open): AsyncGenerator<SourceItem | PendingFile> {
  let real: string;
  try {
    real = realpathSync.native(dir);
  } catch (err) {
    yield { kind: 'error', path: dir, message: `${dir}: cannot resolve: ${describeError(err)}` };
    return;
  }
  if (seen.has(real)) {
    yield { kind: 'skipped', path: dir, reason: 'symlink loop (directory already visited)' };
    return;
  }
  seen.add(real);
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (err) {
    yield { kind: 'error', path: dir, message: `${dir}: cannot read directory: ${describeError(err)}` };
    return;
  }
  // By name, a directory's Terraform files first: a file one of them reads with `file()` is then
  // reported with the resource that reads it (src/scan/scan.ts).
  const terraformFirst = (name: string) => (name.endsWith('.tf') ? 0 : 1);
  entries.sort((a, b) => terraformFirst(a.name) - terraformFirst(b.name) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const maxBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  for (const entry of entries) {
    const path = join(dir, entry.name);
    let isDir = entry.isDirectory();
    let isFile = entry.isFile();
    if (entry.isSymbolicLink()) {
      try {
        const target = statSync(path);
        isDir = target.isDirectory();
        isFile = target.isFile();
      } catch (err) {
        yield { kind: 'skipped', path, reason: (err as NodeJS.ErrnoException).code === 'ELOOP' ? 'symlink loop' : 'broken symlink' };
        continue;
      }
    }
    if (isDir) {
      if (!SKIP_DIRS.has(entry.name)) yield* walk(path, seen, options, open);
    } else if (isFile && isScannedName(entry.name)) {
      if (options.filter !== undefined && !options.filter(path)) continue;
      yield await open(path, maxBytes);
    }
  }
}

/** Every input file, in a stable order; files named on the command line are read whatever their extension. */
export function sources(paths: readonly string[], options: SourceOptions = {}): AsyncGenerator<SourceItem> {
  return inputs(paths, options, openNow) as AsyncGenerator<SourceItem>;
}

/**
 * The same files in the same order as sources(), but not read: each is a PendingFile for a
 * scanner in a worker thread to read (stdin is still read here).
 */
export function pendingSources(paths: readonly string[], options: SourceOptions = {}): AsyncGenerator<SourceItem | PendingFile> {
  return inputs(paths, options, openLater);
}

async function* inputs(paths: readonly string[], options: SourceOptions, open: Open): AsyncGenerator<SourceItem | PendingFile> {
  const seen = new Set<string>();
  const maxBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  for (const path of paths) {
    if (path === '-') {
      const bytes = await (options.stdin ?? readStdin)(maxBytes);
      const decoded = decode(bytes, maxBytes);
      yield 'text' in decoded ? { kind: 'file', path: '<stdin>', text: decoded.text, ...(decoded.encoding !== undefined ? { encoding: decoded.encoding } : {}) } : { kind: 'skipped', path: '<stdin>', reason: decoded.reason };
      continue;
    }
    let info;
    try {
      info = statSync(path);
    } catch (err) {
      yield { kind: 'error', path, message: `${path}: cannot read: ${describeError(err)}` };
      continue;
    }
    if (info.isDirectory()) yield* walk(path, seen, options, open);
    else if (!info.isFile()) yield { kind: 'error', path, message: `${path}: ${kindOf(info)}, not a regular file: not read` };
    else if (options.filter === undefined || options.filter(path)) yield await open(path, maxBytes);
  }
}

/**
 * Stdin, at most `maxBytes + 1` bytes: past the limit it is too large, and reading stops there
 * (`cat /dev/zero | imagedrift scan -` ends; the writer then gets a broken pipe).
 */
async function readStdin(maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of process.stdin) {
    chunks.push(chunk as Buffer);
    length += (chunk as Buffer).length;
    if (length > maxBytes) {
      process.stdin.destroy();
      break;
    }
  }
  return Buffer.concat(chunks, Math.min(length, maxBytes + 1));
}
