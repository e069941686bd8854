// SARIF 2.1.0: valid against the official schema (validated with ajv), rules with documentation
// links that exist, repository-relative URIs, regions, fixes, and fingerprints that survive lines
// moving.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Finding, ScanResult } from '../../src/core/types.js';
import { loadDefaultPolicy } from '../../src/policy/load.js';
import { applyLayer } from '../../src/policy/merge.js';
import { parsePolicy } from '../../src/policy/parse.js';
import { artifactUri, sarif } from '../../src/report/sarif.js';
import { RULE_IDS, RULES } from '../../src/rules/index.js';
import { ruleHelpUri } from '../../src/report/help.js';
import { FileScanner } from '../../src/scan/scan-file.js';
import { emptySummary, summarise } from '../../src/scan/scan.js';
import { sarifValidator } from './report-sarif-schema.js';

const repoRoot = join(import.meta.dirname, '..', '..');

const validate = sarifValidator();

function expectValid(log: unknown): void {
  const ok = validate(log);
  expect(ok ? [] : validate.errors?.map((e) => `${e.instancePath} ${e.message}`)).toEqual([]);
}

const POD = `apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop}
spec:
  containers:
    - name: app
      image: ghcr.io/acme/web:1.2.3
    - name: otel
      image: public.ecr.aws/aws-observability/aws-otel-collector:latest
`;

function resultOf(findings: Finding[]): ScanResult {
  return { findings, skipped: [], errors: [], summary: summarise(findings, { ...emptySummary(), filesScanned: 1, refsFound: findings.length }) };
}

function scanned(text: string, path = 'deploy/my app/pod.yaml'): ScanResult {
  return resultOf(new FileScanner({ policy: loadDefaultPolicy() }).scan(path, text).findings);
}

function log(result: ScanResult, policy = loadDefaultPolicy()) {
  return JSON.parse(sarif(result, { color: false, version: '1.2.3', policy, relativePath: (p) => p })) as any;
}

describe('SARIF reporter', () => {
  it('validates against the SARIF 2.1.0 schema, and the validator does reject a broken log', () => {
    const out = log(scanned(POD));
    expectValid(out);
    const broken = structuredClone(out);
    broken.runs[0].results[0].level = 'fatal';
    expect(validate(broken)).toBe(false);
    const noRegionStart = structuredClone(out);
    noRegionStart.runs[0].results[0].locations[0].physicalLocation.region.startLine = 0;
    expect(validate(noRegionStart)).toBe(false);
  });

  it('describes the rules it reports, in registry order, with the level the policy sets', () => {
    const policy = applyLayer(loadDefaultPolicy(), parsePolicy('rules:\n  undigested-tag: off\n  mutable-tag: { severity: error }\n  latest-tag: { sidecarSeverity: warning }\n', { id: 'p', display: 'p' }));
    const result = scanned(POD.replace('ghcr.io/acme/web:1.2.3', 'ghcr.io/acme/web:stable'));
    const out = log(result, policy);
    const rules = out.runs[0].tool.driver.rules as any[];
    expect(rules.map((r) => r.id)).toEqual(['latest-tag', 'mutable-tag']);
    expect(out.runs[0].results.map((r: any) => [r.ruleId, r.ruleIndex])).toEqual([
      ['mutable-tag', 1],
      ['latest-tag', 0],
    ]);
    expect(rules[0]).toEqual({
      id: 'latest-tag',
      shortDescription: { text: RULES['latest-tag'].meta.short },
      fullDescription: { text: RULES['latest-tag'].meta.full },
      helpUri: expect.stringMatching(/^https:\/\/.+#rule-latest-tag$/),
      help: { text: expect.stringContaining(RULES['latest-tag'].meta.full) },
      defaultConfiguration: { level: 'error' },
      properties: { sidecarLevel: 'warning' },
    });
    expect(rules[1].defaultConfiguration).toEqual({ level: 'error' });
    const off = log(resultOf([{ ...result.findings[0]!, ruleId: 'undigested-tag' }]), policy).runs[0].tool.driver.rules[0];
    expect(off.defaultConfiguration).toEqual({ level: 'none', enabled: false });
  });

  it('links every rule to a README anchor that exists', () => {
    const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
    const documented = ['latest-tag', 'missing-tag', 'mutable-tag', 'partial-version-tag', 'undigested-tag', 'invalid-reference', 'unresolvable-reference', 'parse-error', 'disallowed-registry', 'expired-exception', 'unused-suppression'];
    for (const id of documented) expect(readme, `README anchor for ${id}`).toContain(`<a id="rule-${id}"></a>`);
    for (const id of RULE_IDS) expect(ruleHelpUri(id)).toMatch(new RegExp(`#rule-${id}$`));
  });

  it('locates each result at its region, with a repository-relative, percent-encoded URI', () => {
    const [first, second] = log(scanned(POD)).runs[0].results as any[];
    expect(first).toMatchObject({
      ruleId: 'undigested-tag',
      ruleIndex: 1, // the rules used: latest-tag, undigested-tag
      level: 'note',
      message: { text: 'Container `app` in Pod `shop/web` uses `1.2.3` without a digest: the tag can be re-pushed' },
      locations: [{ physicalLocation: { artifactLocation: { uri: 'deploy/my%20app/pod.yaml', uriBaseId: '%SRCROOT%' }, region: { startLine: 7, startColumn: 14, endLine: 7, endColumn: 36 } } }],
    });
    expect(second).toMatchObject({ ruleId: 'latest-tag', level: 'error', properties: { container: 'otel', role: 'sidecar', workload: 'Pod/shop/web' } });
    expect(artifactUri('/abs/path/x.yaml')).toEqual({ uri: 'file:///abs/path/x.yaml' });
  });

  it('keeps fingerprints stable across runs and line moves, and distinct for distinct findings', () => {
    const fingerprints = (text: string) => (log(scanned(text)).runs[0].results as any[]).map((r) => r.partialFingerprints['imagedrift/v2'] as string);
    const before = fingerprints(POD);
    expect(fingerprints(POD)).toEqual(before);
    const moved = POD.replace('spec:\n', 'spec:\n  # a comment\n  restartPolicy: Always\n');
    expect(fingerprints(moved)).toEqual(before);
    expect(new Set(before).size).toBe(2);
    const twice = POD.replace('    - name: otel', '    - name: app2\n      image: ghcr.io/acme/web:1.2.3\n    - name: otel').replace('name: app2', 'name: app');
    const dup = fingerprints(twice);
    expect(new Set(dup).size).toBe(3); // the same image twice in one container name still gets two fingerprints
    // A tag bump keeps the identity (the image repository is part of it, not the tag); another repository does not.
    expect(fingerprints(POD.replace('1.2.3', '1.2.4'))[0]).toBe(before[0]);
    expect(fingerprints(POD.replace('ghcr.io/acme/web', 'ghcr.io/acme/shop'))[0]).not.toBe(before[0]);
  });

  it('carries a proposed pin as a fix', () => {
    const [finding] = scanned(POD).findings;
    const start = POD.indexOf('ghcr.io');
    const fixed = { ...finding!, fix: { replacement: `ghcr.io/acme/web:1.2.3@sha256:${'a'.repeat(64)}`, range: { start, end: start + 'ghcr.io/acme/web:1.2.3'.length }, description: 'pin 1.2.3 to its digest' } };
    const out = log(resultOf([fixed]));
    expectValid(out);
    expect(out.runs[0].results[0].fixes).toEqual([
      {
        description: { text: 'pin 1.2.3 to its digest' },
        artifactChanges: [
          {
            artifactLocation: { uri: 'deploy/my%20app/pod.yaml', uriBaseId: '%SRCROOT%' },
            replacements: [{ deletedRegion: { charOffset: start, charLength: 22 }, insertedContent: { text: fixed.fix.replacement } }],
          },
        ],
      },
    ]);
  });

  it('reports skipped files and unreadable inputs as notifications, and an incomplete run', () => {
    const result: ScanResult = { ...resultOf([]), skipped: [{ path: 'chart/app.yaml', reason: 'a Go/Helm template' }], errors: ['nope: cannot read: no such file or directory'] };
    const out = log(result);
    expectValid(out);
    expect(out.runs[0].invocations).toEqual([
      {
        executionSuccessful: false,
        toolExecutionNotifications: [
          { level: 'warning', message: { text: 'skipped: a Go/Helm template' }, locations: [{ physicalLocation: { artifactLocation: { uri: 'chart/app.yaml', uriBaseId: '%SRCROOT%' } } }] },
          { level: 'error', message: { text: 'nope: cannot read: no such file or directory' } },
        ],
      },
    ]);
    expect(out.runs[0].results).toEqual([]);
  });
});
