// Writes a file so that a crash leaves the old or the new content, never a mix: a temporary file
// in the same directory, fsync, the original's mode and owner, rename over the original, fsync the
// directory.
//
// For `pin` (given `expected`, the bytes the caller read and edited), a write that would do more
// than change the content is refused with the reason, and nothing is written: a symlink (it would
// become a regular file; write to its target instead), a read-only file, a file with several hard
// links (they would be separated), an owner the temporary file cannot be given, and a file whose
// content is no longer `expected` just before the rename (another process wrote it meanwhile). A
// write that reaches the old file after that check (a writer that opened it before the rename) is
// not lost in silence: the old file is held open through the rename, and WriteRaced says so.
import { randomBytes } from 'node:crypto';
import { closeSync, constants, fchmodSync, fchownSync, fstatSync, fsyncSync, lstatSync, openSync, readSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import type { Stats } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** A write refused before anything changed; the message says why. */
export class WriteRefused extends Error {}

const CHANGED = 'the file changed on disk while imagedrift was working on it; run again';

export interface AtomicWriteOptions {
  /** The bytes the file must still hold: checked before the temporary file is made and again just before the rename. */
  expected?: Uint8Array;
  /** Called after the temporary file is written and synced, just before the last check and the rename (tests). */
  beforeRename?: (path: string) => void;
  /** Called right after the rename, before the replaced file is looked at again (tests). */
  afterRename?: (path: string) => void;
}

/** A write that happened, but raced another writer: what that one wrote went to the replaced file. */
export class WriteRaced extends Error {}

/** Whether the open file's content is exactly `expected` (read with a bound: never more than expected + 1 bytes). */
function holds(fd: number, expected: Uint8Array): boolean {
  const info = fstatSync(fd);
  if (!info.isFile() || info.size !== expected.length) return false;
  const buffer = Buffer.allocUnsafe(expected.length + 1);
  let length = 0;
  for (;;) {
    const n = readSync(fd, buffer, length, buffer.length - length, length);
    if (n === 0) break;
    length += n;
    if (length === buffer.length) return false;
  }
  return length === expected.length && Buffer.compare(buffer.subarray(0, length), expected) === 0;
}

/** Opens a path to read without waiting (a FIFO put in its place must not block). */
function openToRead(path: string): number | undefined {
  try {
    return openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch {
    return undefined;
  }
}

/** Why a file must not be replaced by a new one, or undefined when it may. */
function refusal(path: string, info: Stats): string | undefined {
  if (info.isSymbolicLink()) return 'is a symlink: writing it would replace the link by a regular file';
  if (!info.isFile()) return 'not a regular file';
  if ((info.mode & 0o200) === 0) return `read-only (mode ${(info.mode & 0o7777).toString(8).padStart(4, '0')}): not written`;
  if (info.nlink > 1) return `has ${info.nlink} hard links: writing it would separate them`;
  return undefined;
}

export function writeFileAtomic(path: string, content: string | Uint8Array, options: AtomicWriteOptions = {}): void {
  const dir = dirname(path);
  const { expected } = options;
  let original: Stats | undefined;
  if (expected !== undefined) {
    original = lstatSync(path);
    const why = refusal(path, original);
    if (why !== undefined) throw new WriteRefused(why);
    const fd = openToRead(path);
    try {
      if (fd === undefined || !holds(fd, expected)) throw new WriteRefused(CHANGED);
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  } else {
    original = statSync(path, { throwIfNoEntry: false });
  }
  const mode = original !== undefined ? original.mode & 0o7777 : 0o644;
  const tmp = join(dir, `.${basename(path)}.imagedrift-${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
  const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, mode);
  let renamed = false;
  try {
    try {
      const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
      let written = 0;
      while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
      if (original !== undefined) {
        // The original's owner and group (as root, the temporary file is root's), then its mode
        // (which a change of owner may have cleared the set-id bits of).
        const made = fstatSync(fd);
        if (made.uid !== original.uid || made.gid !== original.gid) {
          try {
            fchownSync(fd, original.uid, original.gid);
          } catch (err) {
            if (expected !== undefined) throw new WriteRefused(`owned by ${original.uid}:${original.gid}, which the new file cannot be given (${(err as NodeJS.ErrnoException).code ?? String(err)}): not written`);
          }
        }
        fchmodSync(fd, mode);
      }
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    if (expected === undefined) {
      renameSync(tmp, path);
      renamed = true;
    } else {
      options.beforeRename?.(path);
      // Last check, as close to the rename as it can be: another process may have written the file
      // since it was read (the rename would drop what it wrote). The file stays open through the
      // rename: a write that still reaches it (opened before the rename, written after) shows in
      // its size or time, and is reported rather than lost in silence.
      const fd = openToRead(path);
      try {
        const now = lstatSync(path, { throwIfNoEntry: false });
        if (fd === undefined || now === undefined || refusal(path, now) !== undefined || now.ino !== original?.ino || !holds(fd, expected)) throw new WriteRefused(CHANGED);
        const checked = fstatSync(fd);
        renameSync(tmp, path);
        renamed = true;
        options.afterRename?.(path);
        const after = fstatSync(fd);
        if (after.size !== checked.size || after.mtimeMs !== checked.mtimeMs) {
          throw new WriteRaced('written, but another process wrote to the file while it was being replaced: what it wrote went to the replaced file and is not in the new one; check the file');
        }
      } finally {
        if (fd !== undefined) closeSync(fd);
      }
    }
  } finally {
    if (!renamed) {
      try {
        unlinkSync(tmp);
      } catch {
        // Already gone.
      }
    }
  }
  try {
    const dirFd = openSync(dir, constants.O_RDONLY);
    try {
      fsyncSync(dirFd);
    } finally {
      closeSync(dirFd);
    }
  } catch {
    // Some file systems refuse fsync on a directory; the rename itself is still atomic.
  }
}
