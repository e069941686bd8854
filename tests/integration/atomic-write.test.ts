// Crash test: a process rewriting a file over and over is killed (SIGKILL) at random moments; the
// file must always hold exactly the old or the new content, never a mix or a truncation, and no
// temporary file may take its place.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync, statSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { writeFileAtomic } from '../../src/fix/atomic-write.js';

const moduleUrl = pathToFileURL(join(import.meta.dirname, '..', '..', 'dist', 'fix', 'atomic-write.js')).href;

describe('writeFileAtomic', () => {
  it('leaves the old or the new content when the writer is killed mid-write', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'imagedrift-crash-'));
    const file = join(dir, 'task.json');
    const a = `${'a'.repeat(4 * 1024 * 1024)}\n`;
    const b = `${'b'.repeat(3 * 1024 * 1024)}\n`;
    writeFileSync(file, a);
    const script = `
      import { writeFileAtomic } from ${JSON.stringify(moduleUrl)};
      const a = 'a'.repeat(4 * 1024 * 1024) + '\\n', b = 'b'.repeat(3 * 1024 * 1024) + '\\n';
      process.stdout.write('ready\\n');
      for (let i = 0; ; i++) writeFileAtomic(${JSON.stringify(file)}, i % 2 ? a : b);
    `;
    for (let round = 0; round < 12; round++) {
      const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
      await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
      await new Promise((resolve) => setTimeout(resolve, 20 + Math.floor(Math.random() * 120)));
      child.kill('SIGKILL');
      await new Promise((resolve) => child.once('exit', resolve));
      const content = readFileSync(file, 'utf8');
      expect(content === a || content === b, `round ${round}: ${content.length} bytes`).toBe(true);
    }
    // Killed writers may leave their own temporary files behind, never in place of the target.
    expect(readdirSync(dir).filter((name) => !name.startsWith('.task.json.imagedrift-'))).toEqual(['task.json']);
  }, 60_000);

  it('keeps the file mode', () => {
    const dir = mkdtempSync(join(tmpdir(), 'imagedrift-mode-'));
    const file = join(dir, 'script.yaml');
    writeFileSync(file, 'old');
    chmodSync(file, 0o750);
    writeFileAtomic(file, 'new');
    expect(readFileSync(file, 'utf8')).toBe('new');
    expect(statSync(file).mode & 0o777).toBe(0o750);
  });
});
