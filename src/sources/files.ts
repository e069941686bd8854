// Finds and reads the files a scan looks at: directories recursively (skipping .git and
// node_modules, following no symlink loop), single files, and `-` for stdin. Each file is
// checked before it is scanned: size limit, binary content, UTF-8.
import { readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { isScannedName } from '../core/file-names.js';

export const DEFAULT_MAX_FILE_BYTES = 10 * 1024 * 1024;
const SKIP_DIRS = new Set(['.git', 'node_modules', '.hg', '.svn']);

export type SourceItem =
  | { kind: 'file'; path: string; text: string }
  | { kind: 'skipped'; path: string; reason: string }
  | { kind: 'error'; path: string; message: string };

/** A file found but not read yet (pendingSources()): whoever scans it reads it with readCheckedSync(). */
export interface PendingFile {
  kind: 'pending';
  path: string;
}

export interface SourceOptions {
  maxFileBytes?: number;
  /** Read stdin for `-`. */
  stdin?: () => Promise<Buffer>;
  /** Only these files (paths as they will be reported), e.g. from --changed-since. */
  filter?: (path: string) => boolean;
}

const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Decodes a file's bytes, or says why it is not a text file we can scan. */
export function decode(bytes: Uint8Array, maxBytes: number): { text: string } | { reason: string } {
  if (bytes.length > maxBytes) return { reason: `larger than the ${formatBytes(maxBytes)} limit (${formatBytes(bytes.length)}); raise it with --max-file-size` };
  const head = bytes.subarray(0, 8192);
  if (head.includes(0)) return { reason: 'binary file (contains NUL bytes)' };
  try {
    return { text: decoder.decode(bytes) };
  } catch {
    const at = firstInvalidUtf8(bytes);
    return { reason: `not valid UTF-8 (first invalid byte at offset ${at})` };
  }
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

/** Reads and checks one file (size limit, binary content, UTF-8). */
export function readCheckedSync(path: string, maxBytes: number): SourceItem {
  try {
    const info = statSync(path);
    if (info.size > maxBytes) return { kind: 'skipped', path, reason: `larger than the ${formatBytes(maxBytes)} limit (${formatBytes(info.size)}); raise it with --max-file-size` };
    const decoded = decode(readFileSync(path), maxBytes);
    return 'text' in decoded ? { kind: 'file', path, text: decoded.text } : { kind: 'skipped', path, reason: decoded.reason };
  } catch (err) {
    return { kind: 'skipped', path, reason: `cannot read: ${(err as NodeJS.ErrnoException).code ?? String(err)}` };
  }
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
    yield { kind: 'skipped', path: dir, reason: `cannot resolve: ${(err as NodeJS.ErrnoException).code ?? String(err)}` };
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
    yield { kind: 'skipped', path: dir, reason: `cannot read directory: ${(err as NodeJS.ErrnoException).code ?? String(err)}` };
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
      } catch {
        yield { kind: 'skipped', path, reason: 'broken symlink' };
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
      const bytes = await (options.stdin ?? readStdin)();
      const decoded = decode(bytes, maxBytes);
      yield 'text' in decoded ? { kind: 'file', path: '<stdin>', text: decoded.text } : { kind: 'skipped', path: '<stdin>', reason: decoded.reason };
      continue;
    }
    let info;
    try {
      info = statSync(path);
    } catch (err) {
      yield { kind: 'error', path, message: `${path}: cannot read: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : ((err as NodeJS.ErrnoException).code ?? String(err))}` };
      continue;
    }
    if (info.isDirectory()) yield* walk(path, seen, options, open);
    else if (options.filter === undefined || options.filter(path)) yield await open(path, maxBytes);
  }
}

async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
