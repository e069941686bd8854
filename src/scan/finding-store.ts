// The findings of a scan, in report order, with memory that does not grow with the scan: once more
// than `limit` findings are held, they go to a temporary file as JSON lines, and reading the list
// reads them back, a chunk at a time, before the ones still held. A scan of a few files never
// touches the disk (result() is then a plain array); a scan of hundreds of megabytes with tens of
// thousands of findings keeps its peak memory flat (issue 6).
//
// The file is unlinked as soon as it is opened where the system allows it (so nothing is left
// behind, even when the process is killed), and is otherwise removed by close() or at exit.
import { closeSync, mkdtempSync, openSync, readSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Finding, FindingList } from '../core/types.js';

/**
 * Findings held in memory before they go to the temporary file (about 1.5 KB each). Small on
 * purpose: V8 lets the heap grow to a multiple of what is live before it collects, so a few MB held
 * here instead of tens keeps the peak RSS of a huge scan about 80 MB lower (BENCHMARKS.md).
 */
export const DEFAULT_SPILL_LIMIT = 2048;

const READ_CHUNK = 1 << 20;

export class FindingStore implements FindingList {
  private held: Finding[] = [];
  private fd: number | undefined;
  private dir: string | undefined;
  private spilled = 0;
  private bytes = 0;
  private closed = false;

  /** `limit`: findings held in memory at most; `chunkBytes`: how much of the file each read takes. */
  constructor(
    private readonly limit = DEFAULT_SPILL_LIMIT,
    private readonly chunkBytes = READ_CHUNK,
  ) {}

  get length(): number {
    return this.spilled + this.held.length;
  }

  /** Findings written to the temporary file so far (0: the list is all in memory). */
  get spilledCount(): number {
    return this.spilled;
  }

  push(...findings: Finding[]): void {
    this.pushAll(findings);
  }

  /** Adds a list of any length (a spread call would put each finding on the stack). */
  pushAll(findings: readonly Finding[]): void {
    for (const finding of findings) {
      this.held.push(finding);
      if (this.held.length > this.limit) this.spill();
    }
  }

  private open(): number {
    if (this.fd !== undefined) return this.fd;
    const dir = mkdtempSync(join(tmpdir(), 'imagedrift-findings-'));
    const path = join(dir, 'findings.jsonl');
    const fd = openSync(path, 'w+', 0o600);
    try {
      unlinkSync(path);
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // Some systems cannot remove an open file: close() (or the exit hook) does it.
      this.dir = dir;
      process.once('exit', () => this.close());
    }
    this.fd = fd;
    return fd;
  }

  private spill(): void {
    const fd = this.open();
    let text = '';
    for (const finding of this.held) text += `${JSON.stringify(finding)}\n`;
    const buffer = Buffer.from(text, 'utf8');
    let written = 0;
    while (written < buffer.length) written += writeSync(fd, buffer, written, buffer.length - written, this.bytes + written);
    this.bytes += buffer.length;
    this.spilled += this.held.length;
    this.held = [];
  }

  *[Symbol.iterator](): Iterator<Finding> {
    if (this.closed) throw new Error('the findings were closed');
    if (this.fd !== undefined && this.bytes > 0) {
      let buffer = Buffer.alloc(this.chunkBytes);
      let position = 0;
      while (position < this.bytes) {
        const wanted = Math.min(buffer.length, this.bytes - position);
        const read = readSync(this.fd, buffer, 0, wanted, position);
        if (read !== wanted) throw new Error('the temporary file of findings was cut short');
        // Decode whole lines only (a chunk may end inside a character): the next read starts after the last line break.
        const end = buffer.lastIndexOf(0x0a, read - 1);
        if (end === -1) {
          buffer = Buffer.alloc(buffer.length * 2); // one finding longer than a chunk
          continue;
        }
        position += end + 1;
        for (const line of buffer.toString('utf8', 0, end).split('\n')) yield JSON.parse(line) as Finding;
      }
    }
    yield* this.held;
  }

  /** The list to report: the plain array when nothing was spilled, this store otherwise. */
  result(): FindingList {
    return this.spilled === 0 ? this.held : this;
  }

  /** Releases the temporary file of a list the run no longer needs (nothing to do for an array). */
  static release(list: FindingList): void {
    if (list instanceof FindingStore) list.close();
  }

  /** Releases the temporary file. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.fd !== undefined) closeSync(this.fd);
    if (this.dir !== undefined) rmSync(this.dir, { recursive: true, force: true });
    this.fd = undefined;
  }
}
