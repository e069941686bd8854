// What `pin` may change (issue 14, medium 6-8): the content of a file inside the scanned root, and
// nothing else. A committed symlink never takes a write outside, a symlink stays a symlink, the
// owner and mode stay, read-only files and hard links are refused, and a file written by another
// process between the last check and the rename is refused rather than overwritten.
import { chmodSync, chownSync, closeSync, existsSync, linkSync, lstatSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeFileAtomic, WriteRaced } from '../../src/fix/atomic-write.js';
import { pinPaths } from '../../src/fix/pin.js';
import type { PinRunOptions } from '../../src/fix/pin.js';
import { loadDefaultPolicy } from '../../src/policy/load.js';
import { fakePropose } from '../helpers/fake-proposals.js';

const POD = 'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - {name: a, image: nginx:latest}\n';
const options = (extra: Partial<PinRunOptions> = {}): PinRunOptions => ({ policy: loadDefaultPolicy(), style: 'tag-digest', upgradeLatest: false, propose: fakePropose, ...extra });
const isRoot = process.getuid?.() === 0;

/** A repository (a directory with `.git`) and a directory outside it. */
function repoAndOutside(): { repo: string; outside: string } {
  const base = mkdtempSync(join(tmpdir(), 'imagedrift-pin-safety-'));
  const repo = join(base, 'repo');
  const outside = join(base, 'outside');
  mkdirSync(join(repo, '.git'), { recursive: true });
  mkdirSync(outside);
  return { repo, outside };
}

describe('pin stays inside the scanned root (medium 6)', () => {
  it('refuses a file reached through a committed directory symlink that leaves the repository', async () => {
    const { repo, outside } = repoAndOutside();
    writeFileSync(join(outside, 'pod.yaml'), POD);
    symlinkSync(outside, join(repo, 'deploy'));
    const report = await pinPaths([repo], options());
    expect(report.files).toEqual([{ path: join(repo, 'deploy', 'pod.yaml'), pinned: [], written: false, refused: expect.stringMatching(/^resolves to .*outside\/pod\.yaml \(through a symlink\), outside .*repo: not written$/) }]);
    expect(readFileSync(join(outside, 'pod.yaml'), 'utf8')).toBe(POD);
  });

  it('writes through a file symlink to its target inside the repository, and the link stays a link', async () => {
    const { repo } = repoAndOutside();
    mkdirSync(join(repo, 'base'));
    writeFileSync(join(repo, 'base', 'pod.yaml'), POD);
    symlinkSync('base/pod.yaml', join(repo, 'base-link.yaml'));
    const report = await pinPaths([join(repo, 'base-link.yaml')], options());
    expect(report.files.map((f) => [f.written, f.refused])).toEqual([[true, undefined]]);
    expect(lstatSync(join(repo, 'base-link.yaml')).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(repo, 'base', 'pod.yaml'), 'utf8')).toMatch(/image: nginx:[^@]+@sha256:[0-9a-f]{64}\}/);
  });

  it('refuses a file symlink whose target is outside the repository', async () => {
    const { repo, outside } = repoAndOutside();
    writeFileSync(join(outside, 'secret.yaml'), POD);
    symlinkSync(join(outside, 'secret.yaml'), join(repo, 'pod.yaml'));
    const report = await pinPaths([repo], options());
    expect(report.files[0]?.refused).toMatch(/through a symlink/);
    expect(lstatSync(join(repo, 'pod.yaml')).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(outside, 'secret.yaml'), 'utf8')).toBe(POD);
  });
});

describe('pin changes the content only (medium 7)', () => {
  it.skipIf(!isRoot)('keeps the owner and mode of a file it writes as root', async () => {
    const { repo } = repoAndOutside();
    const file = join(repo, 'pod.yaml');
    writeFileSync(file, POD);
    chownSync(file, 1234, 1234);
    chmodSync(file, 0o640);
    const report = await pinPaths([repo], options());
    expect(report.files[0]?.written).toBe(true);
    const info = statSync(file);
    expect([info.uid, info.gid, (info.mode & 0o7777).toString(8)]).toEqual([1234, 1234, '640']);
  });

  it('refuses a read-only file, with the reason', async () => {
    const { repo } = repoAndOutside();
    const file = join(repo, 'pod.yaml');
    writeFileSync(file, POD);
    chmodSync(file, 0o444);
    const report = await pinPaths([repo], options());
    expect(report.files[0]?.refused).toBe('read-only (mode 0444): not written');
    expect(readFileSync(file, 'utf8')).toBe(POD);
  });

  it('refuses a file with several hard links, which a new file would separate', async () => {
    const { repo } = repoAndOutside();
    writeFileSync(join(repo, 'pod.yaml'), POD);
    linkSync(join(repo, 'pod.yaml'), join(repo, 'other-name.json'));
    const report = await pinPaths([join(repo, 'pod.yaml')], options());
    expect(report.files[0]?.refused).toBe('has 2 hard links: writing it would separate them');
    expect(statSync(join(repo, 'pod.yaml')).ino).toBe(statSync(join(repo, 'other-name.json')).ino);
    expect(readFileSync(join(repo, 'other-name.json'), 'utf8')).toBe(POD);
  });
});

describe('pin never loses another writer’s update (medium 8)', () => {
  it('checks the file again after the fsync, just before the rename, and refuses it when it changed', async () => {
    const { repo } = repoAndOutside();
    const file = join(repo, 'pod.yaml');
    writeFileSync(file, POD);
    // Another process appends a line after the new content is written and synced, before the rename.
    const report = await pinPaths([repo], options({ beforeRename: (path) => writeFileSync(path, `${POD}# appended meanwhile\n`) }));
    expect(report.files[0]).toMatchObject({ written: false, pinned: [], refused: 'the file changed on disk while imagedrift was working on it; run again' });
    expect(readFileSync(file, 'utf8')).toBe(`${POD}# appended meanwhile\n`);
    // The temporary file is gone too.
    expect(readdirSync(repo).filter((name) => name !== '.git')).toEqual(['pod.yaml']);
  });

  it('writes when nothing changed in between', async () => {
    const { repo } = repoAndOutside();
    writeFileSync(join(repo, 'pod.yaml'), POD);
    let calls = 0;
    const report = await pinPaths([repo], options({ beforeRename: () => void calls++ }));
    expect([calls, report.files[0]?.written]).toEqual([1, true]);
    expect(existsSync(join(repo, 'pod.yaml'))).toBe(true);
  });
});

describe('pin writes a UTF-16 file back as UTF-16 (low)', () => {
  it.each([
    ['utf-16le', (text: string) => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')])],
    ['utf-16be', (text: string) => Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(text, 'utf16le').swap16()])],
  ])('%s: scanned at the right places, pinned, and written in the same encoding with its BOM', async (_name, encodeText) => {
    const { repo } = repoAndOutside();
    const file = join(repo, 'pod.yaml');
    const crlf = POD.replace(/\n/g, '\r\n');
    writeFileSync(file, encodeText(crlf));
    const report = await pinPaths([repo], options());
    expect(report.files[0]?.pinned.map((p) => `${p.line}:${p.column} ${p.from}`)).toEqual(['6:24 nginx:latest']);
    const after = readFileSync(file);
    const pinned = report.files[0]?.pinned[0]?.to ?? '';
    expect(after.equals(encodeText(crlf.replace('nginx:latest', pinned)))).toBe(true);
    const again = await pinPaths([repo], options());
    expect(again.files.flatMap((f) => f.pinned)).toEqual([]);
  });
});

describe('writeFileAtomic: a write that reaches the replaced file is reported, not lost in silence (medium 8)', () => {
  it('throws WriteRaced when a writer that opened the file before the rename writes after it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'imagedrift-raced-'));
    const file = join(dir, 'pod.yaml');
    writeFileSync(file, POD);
    let writer: number | undefined;
    const write = () =>
      writeFileAtomic(file, POD.replace('nginx:latest', 'nginx:1.27.0'), {
        expected: Buffer.from(POD),
        beforeRename: (path) => void (writer = openSync(path, 'a')),
        afterRename: () => writeSync(writer!, '# appended through a descriptor opened before the rename\n'),
      });
    expect(write).toThrow(WriteRaced);
    closeSync(writer!);
    // The new content is in place; what the other writer wrote is only in the replaced file, and that was said.
    expect(readFileSync(file, 'utf8')).toBe(POD.replace('nginx:latest', 'nginx:1.27.0'));
  });
});
