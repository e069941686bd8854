// The built CLI against inputs that are not ordinary files (issue 14, medium 1, 2 and 10; low):
// every read is bounded, a path that is not a regular file or cannot be read makes the run
// incomplete (exit 3) with the reason while the other paths are still scanned, a file with more
// references than a call takes arguments is scanned, UTF-16 is read, a symlink loop is called one,
// and a failing stdout is a message, never a stack trace.
import { spawn, spawnSync } from 'node:child_process';
import type { SpawnSyncOptions } from 'node:child_process';
import { chmodSync, closeSync, mkdirSync, mkdtempSync, openSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const bin = join(root, 'bin', 'imagedrift.js');
const POD = 'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: a, image: "nginx:latest"}]\n';

function run(args: string[], options: SpawnSyncOptions & { nodeArgs?: string[]; prefix?: string[] } = {}) {
  const { nodeArgs = [], prefix = [], ...spawnOptions } = options;
  const command = [...prefix, process.execPath, ...nodeArgs, bin, ...args];
  // The kill after a minute is only a net for a broken build (one that reads /dev/zero forever):
  // a correct one refuses these inputs at once, and no assertion depends on the time.
  const result = spawnSync(command[0]!, command.slice(1), { cwd: root, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, maxBuffer: 64 * 1024 * 1024, timeout: 60_000, killSignal: 'SIGKILL', ...spawnOptions });
  return { code: result.status, stdout: String(result.stdout ?? ''), stderr: String(result.stderr ?? '') };
}

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'imagedrift-hostile-'));
  chmodSync(dir, 0o755); // readable by the unprivileged user of the permission test
  return dir;
}

describe('reads are bounded (medium 2)', () => {
  it('refuses a device and a FIFO named on the command line, with the reason, and scans the rest (exit 3)', () => {
    const dir = tempDir();
    const fifo = join(dir, 'pipe.yaml');
    spawnSync('mkfifo', [fifo]);
    writeFileSync(join(dir, 'pod.yaml'), POD);
    const { code, stdout, stderr } = run(['scan', '--format', 'json', '/dev/zero', fifo, join(dir, 'pod.yaml')]);
    expect(code).toBe(3);
    const report = JSON.parse(stdout) as { errors: string[]; findings: Array<{ ruleId: string }> };
    expect(report.errors).toEqual([`/dev/zero: a character device, not a regular file: not read`, `${fifo}: a named pipe (FIFO), not a regular file: not read`]);
    expect(report.findings.map((f) => f.ruleId)).toEqual(['latest-tag']);
    expect(stderr).toContain('imagedrift: /dev/zero: a character device, not a regular file: not read');
  });

  it('stops reading stdin at the size limit (`cat /dev/zero | imagedrift scan -`)', () => {
    const zero = openSync('/dev/zero', 'r');
    try {
      const { code, stdout } = run(['scan', '--max-file-size', '1M', '-'], { stdio: [zero, 'pipe', 'pipe'] });
      expect(stdout).toContain('<stdin>: skipped: larger than the 1 MiB limit (more); raise it with --max-file-size');
      expect(code).toBe(0);
    } finally {
      closeSync(zero);
    }
  });

  it('refuses a policy that extends /dev/zero, and a snapshot that is /dev/zero (exit 2)', () => {
    const dir = tempDir();
    // A policy beside it that is /dev/zero, in a directory extends may read: refused, never read.
    symlinkSync('/dev/zero', join(dir, 'zero.yaml'));
    writeFileSync(join(dir, 'policy.yaml'), 'extends: zero.yaml\n');
    writeFileSync(join(dir, 'pod.yaml'), POD);
    const policy = run(['scan', '--policy', join(dir, 'policy.yaml'), '--allow-extends-from', '/dev', join(dir, 'pod.yaml')]);
    expect(policy.code).toBe(2);
    expect(policy.stderr).toMatch(/extends: cannot read `zero\.yaml` .*: not a regular file/);
    const audit = run(['audit', 'ecs', '--from-snapshot', '/dev/zero']);
    expect(audit.code).toBe(2);
    expect(audit.stderr).toContain('imagedrift: /dev/zero: cannot read: a character device, not a regular file: not read');
  });
});

describe('unreadable paths make the scan incomplete (medium 10)', () => {
  // Root reads any file whatever its mode: as root, the CLI runs as `nobody` (setpriv, util-linux).
  const asUser = process.getuid?.() === 0 ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'] : [];

  it('lists an unreadable file and directory in errors and exits 3, after scanning the rest', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'secret.yaml'), POD);
    chmodSync(join(dir, 'secret.yaml'), 0o000);
    mkdirSync(join(dir, 'closed'));
    writeFileSync(join(dir, 'closed', 'pod.yaml'), POD);
    chmodSync(join(dir, 'closed'), 0o000);
    mkdirSync(join(dir, 'open'), { mode: 0o755 });
    writeFileSync(join(dir, 'open', 'pod.yaml'), POD, { mode: 0o644 });
    const { code, stdout } = run(['scan', '--format', 'json', join(dir, 'secret.yaml'), join(dir, 'closed'), join(dir, 'open')], { prefix: asUser });
    expect(code).toBe(3);
    const report = JSON.parse(stdout) as { errors: string[]; skipped: unknown[]; findings: Array<{ location: { path: string } }> };
    expect(report.errors).toEqual([`${join(dir, 'secret.yaml')}: cannot read: permission denied (EACCES)`, `${join(dir, 'closed')}: cannot read directory: permission denied (EACCES)`]);
    expect(report.skipped).toEqual([]);
    expect(report.findings.map((f) => f.location.path)).toEqual([join(dir, 'open', 'pod.yaml')]);
  });
});

describe('other inputs', () => {
  it('scans a file with more references than a call takes arguments (medium 1), in every report', () => {
    const dir = tempDir();
    const count = 15_000;
    writeFileSync(join(dir, 'containers.json'), `[${Array.from({ length: count }, (_, i) => `{"name": "c${i}", "image": "nginx:1.${i}"}`).join(',\n')}]\n`);
    // A small stack (80 KB) stands for a file ten times larger: a spread call over these references overflows it.
    const { code, stdout, stderr } = run(['scan', '--format', 'text', '--format', `markdown=${join(dir, 'report.md')}`, '--format', `json=${join(dir, 'report.json')}`, join(dir, 'containers.json')], { nodeArgs: ['--stack-size=80'] });
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const n = count.toLocaleString('en-US');
    expect(stdout.trim().split('\n').at(-1)).toBe(`${n} findings (0 errors, ${n} warnings, 0 notes) in 1 file, ${n} image references`);
  });

  it('says `symlink loop` for two links to each other, in a directory and on the command line', () => {
    const dir = tempDir();
    symlinkSync('b.yaml', join(dir, 'a.yaml'));
    symlinkSync('a.yaml', join(dir, 'b.yaml'));
    const { code, stdout } = run(['scan', '--format', 'json', dir, join(dir, 'a.yaml')]);
    const report = JSON.parse(stdout) as { errors: string[]; skipped: Array<{ path: string; reason: string }> };
    expect(report.skipped).toEqual([
      { path: join(dir, 'a.yaml'), reason: 'symlink loop' },
      { path: join(dir, 'b.yaml'), reason: 'symlink loop' },
    ]);
    expect(report.errors).toEqual([`${join(dir, 'a.yaml')}: cannot read: symlink loop`]);
    expect(code).toBe(3);
  });

  it('reads UTF-16 with a byte-order mark (low), and says UTF-32 is not read', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'le.yaml'), Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(POD, 'utf16le')]));
    writeFileSync(join(dir, 'be.yaml'), Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(POD, 'utf16le').swap16()]));
    writeFileSync(join(dir, 'utf32.yaml'), Buffer.from([0xff, 0xfe, 0, 0, 0x61, 0, 0, 0]));
    const { stdout } = run(['scan', dir]);
    expect(stdout).toContain(`${join(dir, 'be.yaml')}:5:34: error Container \`a\` in Pod \`p\` uses floating tag \`latest\``);
    expect(stdout).toContain(`${join(dir, 'le.yaml')}:5:34: error Container \`a\` in Pod \`p\` uses floating tag \`latest\``);
    expect(stdout).toContain(`${join(dir, 'utf32.yaml')}: skipped: UTF-32 text: convert it to UTF-8`);
  });
});

describe('stdout (low)', () => {
  it('ends quietly when the reader goes away (`| head -1`), with the exit code of the run', async () => {
    const child = spawn(process.execPath, [bin, 'scan', 'examples'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    // The reading end is closed before the scan has anything to write.
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(stderr).toBe('');
    expect(code).toBe(1);
  });

  it('calls a failing stdout an output error: a message and exit 2, never a stack trace', () => {
    const full = openSync('/dev/full', 'w');
    try {
      const { code, stderr } = run(['scan', 'examples'], { stdio: ['ignore', full, 'pipe'] });
      expect(stderr).toBe('imagedrift: cannot write the report to stdout: ENOSPC\n');
      expect(code).toBe(2);
    } finally {
      closeSync(full);
    }
  });
});
