// Hostile and broken inputs: each is a finding or a clear skip with its path, never a crash or a
// hang, and the other files are still scanned.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadDefaultPolicy } from '../../src/policy/load.js';
import { scanPaths } from '../../src/scan/scan.js';
import { firstInvalidUtf8 } from '../../src/sources/files.js';

const POD = 'apiVersion: v1\nkind: Pod\nmetadata: {name: ok}\nspec:\n  containers: [{name: a, image: "nginx:latest"}]\n';
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'imagedrift-bad-'));
  writeFileSync(join(dir, 'a-good.yaml'), POD);
  writeFileSync(join(dir, 'binary.yaml'), Buffer.from([0x61, 0x00, 0x62, 0x00, 0xff]));
  writeFileSync(join(dir, 'latin1.yaml'), Buffer.concat([Buffer.from('image: caf'), Buffer.from([0xe9]), Buffer.from('\n')]));
  writeFileSync(join(dir, 'huge.yaml'), `${POD}# ${'x'.repeat(400_000)}\n`);
  // An alias bomb: each level doubles the previous one; expanding it would need 2^30 nodes.
  const bomb = ['a0: &a0 [image, image]'];
  for (let i = 1; i <= 30; i++) bomb.push(`a${i}: &a${i} [*a${i - 1}, *a${i - 1}]`);
  writeFileSync(join(dir, 'bomb.yaml'), `${bomb.join('\n')}\nimage: *a30\n`);
  writeFileSync(join(dir, 'deep.yaml'), `image: ${'['.repeat(5000)}${']'.repeat(5000)}\n`);
  writeFileSync(join(dir, 'deep.json'), `{"image": ${'['.repeat(100000)}${']'.repeat(100000)}}`);
  mkdirSync(join(dir, 'loop'));
  symlinkSync('..', join(dir, 'loop', 'parent'));
  symlinkSync(join(dir, 'missing-target.yaml'), join(dir, 'dangling.yaml'));
  writeFileSync(join(dir, 'z-good.json'), '{"family": "f", "containerDefinitions": [{"name": "c", "image": "redis"}]}');
  // Issue 14's hostile files: each is reported (or read) and nothing else is lost.
  spawnSync('mkfifo', [join(dir, 'pipe.yaml')]); // passed over in a directory, never opened
  writeFileSync(join(dir, 'cycle.yaml'), 'apiVersion: v1\nkind: List\nitems: &l\n- apiVersion: v1\n  kind: List\n  items: *l\n- {apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {containers: [{name: a, image: "nginx:1.27.0"}]}}\n');
  writeFileSync(join(dir, 'merge-bomb.yaml'), `${POD}a1: &a1 {${Array.from({ length: 2000 }, (_, i) => `k${i}: v`).join(', ')}}\na2: {<<: [${Array(600).fill('*a1').join(',')}]}\n`);
  writeFileSync(join(dir, 'dashes.yaml'), `${'- '.repeat(100_000)}image\n---\n${POD}`);
  writeFileSync(join(dir, 'utf16.yaml'), Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(POD, 'utf16le')]));
  symlinkSync('loop-b.yaml', join(dir, 'loop-a.yaml'));
  symlinkSync('loop-a.yaml', join(dir, 'loop-b.yaml'));
});

describe('bad input', () => {
  it('skips or reports each bad file with its reason and scans the rest', async () => {
    const result = await scanPaths([dir], { policy: loadDefaultPolicy(), maxFileBytes: 300_000 });
    const reasons = Object.fromEntries(result.skipped.map((s) => [s.path.slice(dir.length + 1), s.reason]));
    expect(reasons['binary.yaml']).toMatch(/binary/);
    expect(reasons['latin1.yaml']).toMatch(/not valid UTF-8 \(first invalid byte at offset 10\)/);
    expect(reasons['huge.yaml']).toMatch(/larger than the 293 KiB limit/);
    expect(reasons['loop/parent']).toMatch(/symlink loop/);
    expect(reasons['dangling.yaml']).toMatch(/broken symlink/);
    expect([reasons['loop-a.yaml'], reasons['loop-b.yaml']]).toEqual(['symlink loop', 'symlink loop']);
    const parseErrors = result.findings.filter((f) => f.ruleId === 'parse-error').map((f) => `${f.location.path.slice(dir.length + 1)}: ${f.message}`);
    expect(parseErrors).toEqual([
      'cycle.yaml: cannot parse YAML: alias `*l` is inside the node it refers to (a cycle)',
      'dashes.yaml: cannot parse YAML: nesting deeper than 256 levels',
      'deep.json: cannot parse JSON: nesting deeper than 256 levels',
      'deep.yaml: cannot parse YAML: nesting deeper than 256 levels',
      'merge-bomb.yaml: cannot parse YAML: merge keys (`<<`) copy more than 1000000 entries in this file (a merge-key bomb?): the merges from here on are not applied',
    ]);
    const judged = result.findings.filter((f) => f.ruleId !== 'parse-error').map((f) => `${f.location.path.slice(dir.length + 1)} ${f.ruleId}`);
    expect(judged).toEqual(['a-good.yaml latest-tag', 'cycle.yaml undigested-tag', 'dashes.yaml latest-tag', 'merge-bomb.yaml latest-tag', 'utf16.yaml latest-tag', 'z-good.json missing-tag']);
    expect(result.errors).toEqual([]);
  });

  it('reports an unreadable command-line path as an error and goes on', async () => {
    const result = await scanPaths([join(dir, 'nope.yaml'), join(dir, 'a-good.yaml')], { policy: loadDefaultPolicy() });
    expect(result.errors).toEqual([`${join(dir, 'nope.yaml')}: cannot read: no such file or directory`]);
    expect(result.findings.map((f) => f.ruleId)).toEqual(['latest-tag']);
  });

  it('reads stdin for -', async () => {
    const result = await scanPaths(['-'], { policy: loadDefaultPolicy(), stdin: async () => Buffer.from(POD) });
    expect(result.findings.map((f) => `${f.location.path}:${f.location.line}:${f.location.column}`)).toEqual(['<stdin>:5:34']);
  });
});

describe('firstInvalidUtf8', () => {
  it.each([
    [[0x61, 0xe9, 0x0a], 1],
    [[0xc3, 0xa9, 0xff], 2],
    [[0xe2, 0x82], 0],
    [[0xed, 0xa0, 0x80], 0],
    [[0xf0, 0x9f, 0x98, 0x80, 0xc0, 0x80], 4],
  ])('%j -> %i', (bytes, offset) => expect(firstInvalidUtf8(Uint8Array.from(bytes))).toBe(offset));
});
