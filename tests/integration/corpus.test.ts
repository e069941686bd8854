// The real-world corpus beside the checkout (../shared/corpus, never copied into the repository):
// the whole of it scans without a crash, every `:latest` OTEL collector in the release that
// broke tasks (v0.29.0) is an error naming its container, and pinning copies of its files in the
// formats of issue 13 (in a temporary directory) keeps every byte outside the image strings.
import { cpSync, existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pinPaths } from '../../src/fix/pin.js';
import { loadHcl } from '../../src/parse/hcl.js';
import { loadDefaultPolicy } from '../../src/policy/load.js';
import { FileScanner } from '../../src/scan/scan-file.js';
import { fakePropose } from '../helpers/fake-proposals.js';
import { outsideImages } from '../helpers/pin-outside.js';
import { scanPaths } from '../../src/scan/scan.js';

const corpus = join(import.meta.dirname, '..', '..', '..', 'shared', 'corpus');

describe.skipIf(!existsSync(corpus))('shared corpus', () => {
  it('scans everything without a crash and finds hundreds of references', async () => {
    const result = await scanPaths([corpus], { policy: loadDefaultPolicy() });
    expect(result.errors).toEqual([]);
    expect(result.summary.filesScanned).toBeGreaterThan(300);
    expect(result.summary.refsFound).toBeGreaterThan(300);
  });

  it('flags every :latest collector in the v0.29.0 ECS files as an error naming the container', async () => {
    const release = join(corpus, 'aws-observability__aws-otel-collector@v0.29.0');
    const result = await scanPaths([release], { policy: loadDefaultPolicy() });
    const collectors = result.findings.filter((f) => f.image?.repository?.endsWith('aws-otel-collector') && f.location.path.includes('/ecs') );
    // 2 CloudFormation sidecars, the CloudFormation !Ref parameter default, 4 JSON task definitions
    expect(collectors.length).toBe(7);
    for (const finding of collectors) {
      expect(finding.ruleId).toBe('latest-tag');
      expect(finding.severity).toBe('error');
      expect(finding.message).toContain(`\`${finding.container?.name}\``);
    }
    const fromParameter = collectors.find((f) => f.message.includes('parameter `CollectorImage` default'));
    expect(fromParameter?.location).toMatchObject({ line: 25, column: 15 });
    expect(collectors.filter((f) => f.container?.role === 'sidecar').length).toBe(6);
  });
});

describe.skipIf(!existsSync(corpus))('pinning the corpus files of issue 13', () => {
  // Copies of the corpus files in the new formats (FILES.tsv categories), in a temporary directory.
  const categories = new Set(['terraform', 'helm-values', 'helm-chart-yaml', 'helm-template', 'kustomization', 'compose', 'dockerfile', 'gha-workflow', 'gitlab-ci', 'copilot', 'ecs-json']);
  const listed = existsSync(join(corpus, 'FILES.tsv'))
    ? readFileSync(join(corpus, 'FILES.tsv'), 'utf8')
        .split('\n')
        .slice(1)
        .map((line) => line.split('\t'))
        .filter(([dir, path, kinds]) => dir && path && kinds?.split(',').some((kind) => categories.has(kind)))
        .map(([dir, path]) => `${dir}/${path}`)
    : [];

  it('changes only image strings, keeps every reference, and a second run changes nothing', async () => {
    await loadHcl();
    const work = mkdtempSync(join(tmpdir(), 'imagedrift-corpus-pin-'));
    for (const file of listed) cpSync(join(corpus, file), join(work, file));
    const policy = loadDefaultPolicy();
    const scanner = new FileScanner({ policy });
    const before = new Map(listed.map((file) => [join(work, file), readFileSync(join(work, file), 'utf8')]));
    const report = await pinPaths([work], { policy, style: 'tag-digest', upgradeLatest: false, propose: fakePropose });
    const pinned = report.files.reduce((n, f) => n + f.pinned.length, 0);
    expect(pinned).toBeGreaterThan(150);
    // Refused only where the file itself does not parse.
    for (const file of report.files.filter((f) => f.refused !== undefined)) expect(file.refused, file.path).toMatch(/does not parse cleanly/);
    for (const [file, original] of before) {
      const after = readFileSync(file, 'utf8');
      if (after === original) continue;
      const refsBefore = scanner.scan(file, original).refs.filter((ref) => ref.location.path === file);
      const refsAfter = scanner.scan(file, after).refs.filter((ref) => ref.location.path === file);
      expect(refsAfter.length, file).toBe(refsBefore.length);
      expect(outsideImages(after, refsAfter), file).toBe(outsideImages(original, refsBefore));
    }
    const again = await pinPaths([work], { policy, style: 'tag-digest', upgradeLatest: false, propose: fakePropose });
    expect(again.files.flatMap((f) => f.pinned)).toEqual([]);
  });
});
