// Properties of pinning over every fixture shaped like the real corpus (tests/golden/**) with a
// deterministic fake registry: only bytes inside image strings change, every result re-parses with
// the same references, a second run is a no-op; plus the safety refusals.
import { cpSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadHcl } from '../../src/parse/hcl.js';
import type { ImageRef } from '../../src/core/types.js';
import { applyAndVerify, planFile } from '../../src/fix/plan.js';
import { pinPaths } from '../../src/fix/pin.js';
import { applyEdits, mapOffset } from '../../src/fix/text-edit.js';
import { loadDefaultPolicy } from '../../src/policy/load.js';
import { FileScanner } from '../../src/scan/scan-file.js';
import { fakePropose } from '../helpers/fake-proposals.js';
import { outsideImages } from '../helpers/pin-outside.js';

const policy = loadDefaultPolicy();
const scanner = new FileScanner({ policy });
const golden = join(import.meta.dirname, '..', 'golden');

/** The text outside image strings, as one piece (tests/helpers/pin-outside.ts). */
function outside(text: string, refs: readonly ImageRef[]): string[] {
  return [outsideImages(text, refs)];
}

describe('pin properties over the fixtures', () => {
  beforeAll(loadHcl);
  const work = mkdtempSync(join(tmpdir(), 'imagedrift-pin-props-'));
  cpSync(golden, work, { recursive: true });
  const files = readdirSync(work, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name !== 'expected.txt')
    .map((entry) => join(entry.parentPath, entry.name));
  const before = new Map(files.map((file) => [file, readFileSync(file, 'utf8')]));

  it.each([false, true])('keepTag=%s: changes only image strings, re-parses, and is idempotent', async (keepTag) => {
    for (const [file, text] of before) writeFileSync(file, text);
    const report = await pinPaths([work], { policy, style: 'tag-digest', keepTag, propose: fakePropose });
    // Only the files with a syntax error are refused, as a whole.
    expect(report.files.filter((f) => f.refused !== undefined).map((f) => relative(work, f.path))).toEqual(['bad-input/broken-task.json', 'dockerfile/Dockerfile.broken', 'terraform/broken/main.tf']);
    const pinnedCount = report.files.reduce((n, f) => n + f.pinned.length, 0);
    expect(pinnedCount).toBeGreaterThan(40);
    for (const [file, original] of before) {
      const after = readFileSync(file, 'utf8');
      const refsBefore = scanner.scan(file, original);
      const refsAfter = scanner.scan(file, after);
      expect(refsAfter.refs.length, relative(work, file)).toBe(refsBefore.refs.length);
      expect(refsAfter.findings.filter((f) => f.ruleId === 'parse-error').length).toBe(refsBefore.findings.filter((f) => f.ruleId === 'parse-error').length);
      const own = (refs: readonly ImageRef[]) => refs.filter((ref) => ref.location.path === file);
      expect(outside(after, own(refsAfter.refs)), relative(work, file)).toEqual(outside(original, own(refsBefore.refs)));
    }
    const again = await pinPaths([work], { policy, style: 'tag-digest', keepTag, propose: fakePropose });
    expect(again.files.flatMap((f) => f.pinned)).toEqual([]);
  });
});

describe('pin safety', () => {
  const POD = 'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - {name: a, image: nginx:latest}\n';

  it('refuses a file that changed on disk after it was read', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'imagedrift-pin-race-'));
    const file = join(dir, 'pod.yaml');
    writeFileSync(file, POD);
    const report = await pinPaths([dir], {
      policy,
      style: 'tag-digest',
      keepTag: true,
      propose: fakePropose,
      beforeWrite: (path) => writeFileSync(path, `${POD}# edited by someone else\n`),
    });
    expect(report.files[0]?.refused).toMatch(/changed on disk/);
    expect(readFileSync(file, 'utf8')).toBe(`${POD}# edited by someone else\n`);
  });

  it('refuses an edit that does not read back as intended', () => {
    const result = scanner.scan('pod.yaml', POD);
    const ref = result.refs[0]!;
    const plan = planFile(POD, [{ ref, parsed: { registry: 'docker.io', implicitRegistry: true, path: 'nginx', repository: 'library/nginx', tag: 'latest' }, proposal: { digest: `sha256:${'a'.repeat(64)}` } }], { style: 'tag-digest', keepTag: true });
    // Sabotage: the planned text would close the flow mapping early.
    plan.edits[0]!.text = 'nginx}, {name: b, image: x';
    const verdict = applyAndVerify('pod.yaml', POD, plan, scanner, result.refs.length);
    expect(verdict.ok).toBe(false);
    expect(verdict.problems.join('\n')).toMatch(/instead of/);
  });

  it('lists references that could not be resolved and leaves them untouched', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'imagedrift-pin-fail-'));
    writeFileSync(join(dir, 'pod.yaml'), POD);
    const report = await pinPaths([dir], { policy, style: 'tag-digest', keepTag: true, propose: async () => ({ ok: false, reason: 'registry said 401 Unauthorized' }) });
    expect(report.left).toEqual([{ path: join(dir, 'pod.yaml'), line: 6, column: 24, image: 'nginx:latest', reason: 'registry said 401 Unauthorized' }]);
    expect(readFileSync(join(dir, 'pod.yaml'), 'utf8')).toBe(POD);
  });

  it('leaves alone what an inline suppression covers', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'imagedrift-pin-suppressed-'));
    const pod = 'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - name: debug\n      image: busybox:latest  # imagedrift-ignore latest-tag -- debug shell\n    - name: app\n      image: nginx:latest\n';
    writeFileSync(join(dir, 'pod.yaml'), pod);
    const report = await pinPaths([dir], { policy, style: 'tag-digest', keepTag: true, propose: fakePropose });
    expect(report.files[0]?.pinned.map((p) => p.from)).toEqual(['nginx:latest']);
    expect(readFileSync(join(dir, 'pod.yaml'), 'utf8')).toContain('image: busybox:latest  # imagedrift-ignore');
  });

  it('prints a unified diff and writes nothing with dryRun', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'imagedrift-pin-dry-'));
    writeFileSync(join(dir, 'pod.yaml'), POD);
    const report = await pinPaths([dir], { policy, style: 'tag-digest', keepTag: true, propose: fakePropose, dryRun: true });
    expect(report.files[0]?.diff).toContain('-    - {name: a, image: nginx:latest}\n+    - {name: a, image: nginx:latest@sha256:');
    expect(readFileSync(join(dir, 'pod.yaml'), 'utf8')).toBe(POD);
  });
});

describe('applyEdits', () => {
  it('splices sorted edits, applies an anchor edit once, skips overlaps', () => {
    const { output, applied, skipped } = applyEdits('abcdefghij', [
      { start: 6, end: 8, text: 'XY' },
      { start: 1, end: 3, text: '1' },
      { start: 1, end: 3, text: '1' },
      { start: 2, end: 4, text: 'zz' },
    ]);
    expect(output).toBe('a1defXYij');
    expect(applied).toHaveLength(2);
    expect(skipped).toEqual([{ start: 2, end: 4, text: 'zz' }]);
    expect(mapOffset(6, applied)).toBe(5);
  });
});
