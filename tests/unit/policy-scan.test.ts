// The policy applied by the scanner: exceptions (scopes, expiry under a fixed --now, the warning at
// the exception's line), inline suppressions, disallowed registries, path filters and overrides.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LineIndex } from '../../src/core/positions.js';
import type { Finding } from '../../src/core/types.js';
import { loadDefaultPolicy, loadPolicyFile } from '../../src/policy/load.js';
import { applyLayer } from '../../src/policy/merge.js';
import { parsePolicy } from '../../src/policy/parse.js';
import type { Policy } from '../../src/policy/types.js';
import { FileScanner } from '../../src/scan/scan-file.js';
import { expiredExceptionFindings, relativeTo, scanPaths } from '../../src/scan/scan.js';
import { applySuppressions, findSuppressions, parseSuppressionComment } from '../../src/scan/suppressions.js';

function withPolicy(text: string): Policy {
  const layer = parsePolicy(text, { id: `mem:${text}`, display: 'policy.yaml' });
  return applyLayer(loadDefaultPolicy(), layer);
}

function lines(findings: readonly Finding[]): string[] {
  return findings.map((f) => `${f.location.line}:${f.location.column} ${f.severity} [${f.ruleId}]`);
}

const JOB = `apiVersion: batch/v1
kind: Job
metadata: {name: cleanup, namespace: ops}
spec:
  template:
    spec:
      containers:
        - name: main
          image: 123456789012.dkr.ecr.us-east-1.amazonaws.com/team/cleanup:1.2.3
        - name: debug
          image: busybox:latest
        - name: cache
          image: bitnami/redis:7.2.4
`;

describe('exceptions in the scanner', () => {
  const policy = withPolicy(`exceptions:
  - rule: latest-tag
    image: "docker.io/library/busybox"
    paths: ["jobs/**"]
    container: debug
    reason: "debug shell, tracked in OPS-123"
    expires: 2027-01-31
`);

  it('drops the findings an exception in force covers, only within its scope', () => {
    const before = new FileScanner({ policy, now: '2027-01-31' });
    expect(lines(before.scan('jobs/cleanup.yaml', JOB).findings)).toEqual(['9:18 note [undigested-tag]', '13:18 note [undigested-tag]']);
    expect(lines(before.scan('deploy/cleanup.yaml', JOB).findings)).toContain('11:18 error [latest-tag]');
  });

  it('stops applying the day after it expires', () => {
    const after = new FileScanner({ policy, now: '2027-02-01' });
    expect(lines(after.scan('jobs/cleanup.yaml', JOB).findings)).toContain('11:18 error [latest-tag]');
  });

  it('matches paths relative to the scan root', () => {
    const scanner = new FileScanner({ policy, now: '2026-06-01', relativePath: (path) => relativeTo('/repo', path) });
    expect(lines(scanner.scan('/repo/jobs/cleanup.yaml', JOB).findings)).not.toContain('11:18 error [latest-tag]');
    expect(lines(scanner.scan('/elsewhere/jobs/cleanup.yaml', JOB).findings)).toContain('11:18 error [latest-tag]');
  });

  it('reports an expired exception once, as a warning at its line in the policy file', () => {
    expect(expiredExceptionFindings(policy, '2027-01-31')).toEqual([]);
    const [expired, ...rest] = expiredExceptionFindings(policy, '2027-02-01');
    expect(rest).toEqual([]);
    expect(expired).toEqual({
      ruleId: 'expired-exception',
      severity: 'warning',
      message:
        'Exception for `latest-tag` on `docker.io/library/busybox` in `jobs/**`, container `debug` ("debug shell, tracked in OPS-123") expired on 2027-01-31 and no longer applies; fix what it covered and remove it, or renew it with a new `expires` date',
      location: { path: 'policy.yaml', line: 2, column: 5, endLine: 7, endColumn: 24 },
    });
  });

  it('follows the policy for expired-exception (severity, off)', () => {
    const strictish = applyLayer(policy, parsePolicy('rules: { expired-exception: error }\n', { id: 'x', display: 'x' }));
    expect(expiredExceptionFindings(strictish, '2030-01-01')[0]?.severity).toBe('error');
    const off = applyLayer(policy, parsePolicy('rules: { expired-exception: off }\n', { id: 'y', display: 'y' }));
    expect(expiredExceptionFindings(off, '2030-01-01')).toEqual([]);
  });

  it('scanPaths applies --now and appends the policy findings after the files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'imagedrift-exc-'));
    mkdirSync(join(dir, 'jobs'));
    writeFileSync(join(dir, 'jobs', 'cleanup.yaml'), JOB);
    writeFileSync(
      join(dir, '.imagedrift.yaml'),
      'exceptions:\n  - rule: latest-tag\n    paths: ["jobs/**"]\n    reason: debug\n    expires: 2027-01-31\n',
    );
    const loaded = loadPolicyFile(join(dir, '.imagedrift.yaml'));
    const inForce = await scanPaths([join(dir, 'jobs')], { policy: loaded, root: dir, now: '2027-01-01' });
    expect(inForce.findings.map((f) => f.ruleId)).toEqual(['undigested-tag', 'undigested-tag']);
    const expired = await scanPaths([join(dir, 'jobs')], { policy: loaded, root: dir, now: '2027-06-01' });
    expect(expired.findings.map((f) => f.ruleId)).toEqual(['undigested-tag', 'latest-tag', 'undigested-tag', 'expired-exception']);
    expect(expired.findings.at(-1)?.location).toMatchObject({ path: relative(process.cwd(), join(dir, '.imagedrift.yaml')), line: 2, column: 5 });
    expect(expired.summary.bySeverity).toEqual({ error: 1, warning: 1, note: 2 });
  });
});

describe('inline suppressions', () => {
  const scanner = new FileScanner({ policy: loadDefaultPolicy(), now: '2027-01-01' });

  it('parse the directive: rule ids (commas or spaces), an optional reason after --', () => {
    expect(parseSuppressionComment('# imagedrift-ignore latest-tag -- debug shell, OPS-123')).toEqual({ rules: ['latest-tag'], reason: 'debug shell, OPS-123' });
    expect(parseSuppressionComment('#imagedrift-ignore latest-tag,mutable-tag missing-tag')).toEqual({ rules: ['latest-tag', 'mutable-tag', 'missing-tag'] });
    expect(parseSuppressionComment('# imagedrift-ignore -- everything on this line')).toEqual({ rules: [], reason: 'everything on this line' });
    expect(parseSuppressionComment('# imagedrift-ignored latest-tag')).toBeUndefined();
    expect(parseSuppressionComment('# see imagedrift-ignore')).toBeUndefined();
  });

  it('cover their own line, or the next when alone on theirs; a stale one is a note', () => {
    const text = `apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
    - name: a
      image: nginx:latest # imagedrift-ignore latest-tag -- load test only
    - name: b
      # imagedrift-ignore latest-tag -- next line
      image: redis:latest
    - name: c
      image: alpine:latest # imagedrift-ignore mutable-tag -- wrong rule
    - name: d
      image: busybox:stable # imagedrift-ignore -- any rule
    # imagedrift-ignore latest-tag -- nothing below
    - name: e
      image: "quay.io/x/y:1.2.3"
`;
    const result = scanner.scan('pod.yaml', text);
    expect(lines(result.findings)).toEqual(['12:14 error [latest-tag]', '12:28 note [unused-suppression]', '15:5 note [unused-suppression]', '17:15 note [undigested-tag]']);
    expect(result.findings[1]?.message).toBe('Suppression of `mutable-tag` matches no finding on this line: remove it');
    expect(result.findings[2]?.message).toBe('Suppression of `latest-tag` matches no finding on this line or the next: remove it');
  });

  it('name an unknown rule id in the note', () => {
    const text = 'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - name: a\n      image: nginx:latest # imagedrift-ignore lates-tag -- typo\n';
    const result = scanner.scan('pod.yaml', text);
    expect(lines(result.findings)).toEqual(['7:14 error [latest-tag]', '7:27 note [unused-suppression]']);
    expect(result.findings[1]?.message).toBe('Suppression names `lates-tag`, which is not a rule id (did you mean `latest-tag`?)');
  });

  it('are comments only: not inside strings or block scalars, and not in JSON', () => {
    const yaml = 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  annotations:\n    note: "# imagedrift-ignore latest-tag"\n    text: |\n      # imagedrift-ignore latest-tag\nspec:\n  containers:\n    - {name: a, image: "nginx:latest"}\n';
    expect(findSuppressions(yaml, 'p.yaml', new LineIndex(yaml))).toEqual([]);
    const json = '{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p # imagedrift-ignore latest-tag"}, "spec": {"containers": [{"name": "a", "image": "nginx:latest"}]}}';
    expect(lines(scanner.scan('p.json', json).findings)).toEqual([`1:${json.indexOf('nginx:latest') + 1} error [latest-tag]`]);
  });

  it('keep positions right after a BOM and with CRLF line endings', () => {
    const text = '\ufeffapiVersion: v1\r\nkind: Pod\r\nmetadata: {name: p}\r\nspec:\r\n  containers:\r\n    # imagedrift-ignore latest-tag -- crlf\r\n    - {name: a, image: "nginx:latest"}\r\n';
    const found = findSuppressions(text, 'p.yaml', new LineIndex(text));
    expect(found.map((s) => [s.location.line, s.location.column, s.lines])).toEqual([[6, 5, [6, 7]]]);
    expect(scanner.scan('p.yaml', text).findings).toEqual([]);
  });

  it('applySuppressions is pure and reports what it did not use', () => {
    const f = { ruleId: 'latest-tag', severity: 'error' as const, message: 'm', location: { path: 'p', line: 3, column: 1, endLine: 3, endColumn: 2 } };
    const used = { rules: ['latest-tag'], lines: [2, 3], location: { path: 'p', line: 2, column: 1, endLine: 2, endColumn: 9 } };
    const unused = { rules: [], lines: [9], location: { path: 'p', line: 9, column: 1, endLine: 9, endColumn: 9 } };
    expect(applySuppressions([f], [used, unused])).toEqual({ kept: [], unused: [unused] });
  });

  it('follows the policy for unused-suppression', () => {
    const off = new FileScanner({ policy: withPolicy('rules: { unused-suppression: off }\n') });
    const text = 'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - {name: a, image: "nginx:1.2.3"} # imagedrift-ignore latest-tag\n';
    expect(lines(off.scan('p.yaml', text).findings)).toEqual(['6:25 note [undigested-tag]']);
  });
});

describe('disallowed-registry', () => {
  const policy = withPolicy('registries:\n  allow: ["*.dkr.ecr.*.amazonaws.com/*", "public.ecr.aws/*", "docker.io/library/*"]\n  deny: ["docker.io/bitnami/*"]\n');
  const scanner = new FileScanner({ policy });

  it('flags images outside the allowed registries and in denied ones, with the reason', () => {
    const result = scanner.scan('job.yaml', JOB);
    const flagged = result.findings.filter((f) => f.ruleId === 'disallowed-registry');
    expect(flagged.map((f) => [f.location.line, f.severity, f.message])).toEqual([
      [13, 'error', 'Container `cache` in Job `ops/cleanup` uses `docker.io/bitnami/redis`, which the policy denies (`registries.deny`: `docker.io/bitnami/*`)'],
    ]);
    const pod = 'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - {name: a, image: "ghcr.io/acme/app:1.2.3@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}\n';
    const [finding] = scanner.scan('pod.yaml', pod).findings;
    expect(finding?.ruleId).toBe('disallowed-registry'); // pinned or not, the registry is judged
    expect(finding?.message).toBe('Container `a` in Pod `p` uses `ghcr.io/acme/app`, which is not among the registries the policy allows (`registries.allow`)');
  });

  it('leaves templated and invalid references to their own rules', () => {
    const pod = 'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - {name: a, image: "${REGISTRY}/app:1.2.3"}\n    - {name: b, image: "Ghcr.io/Acme/App:1"}\n';
    expect(scanner.scan('pod.yaml', pod).findings.map((f) => f.ruleId)).not.toContain('disallowed-registry');
  });

  it('is silent under the default policy', () => {
    expect(new FileScanner({ policy: loadDefaultPolicy() }).scan('job.yaml', JOB).findings.map((f) => f.ruleId)).not.toContain('disallowed-registry');
  });
});

describe('paths and overrides in a scan', () => {
  it('skips excluded files, also when named on the command line, and applies overrides by path', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'imagedrift-paths-'));
    for (const sub of ['deploy/prod', 'deploy/dev', 'tests/fixtures']) {
      mkdirSync(join(dir, sub), { recursive: true });
      writeFileSync(join(dir, sub, 'job.yaml'), JOB);
    }
    writeFileSync(join(dir, '.imagedrift.yaml'), 'paths:\n  exclude: ["tests/fixtures/**"]\noverrides:\n  - paths: ["deploy/prod/**"]\n    extends: strict\n');
    const policy = loadPolicyFile(join(dir, '.imagedrift.yaml'));
    const result = await scanPaths([dir, join(dir, 'tests', 'fixtures', 'job.yaml')], { policy, root: dir, now: '2027-01-01' });
    const byFile = (suffix: string) => result.findings.filter((f) => f.location.path.endsWith(suffix)).map((f) => `${f.location.line} ${f.severity} ${f.ruleId}`);
    expect(byFile('tests/fixtures/job.yaml')).toEqual([]);
    expect(byFile('deploy/dev/job.yaml')).toEqual(['9 note undigested-tag', '11 error latest-tag', '13 note undigested-tag']);
    expect(byFile('deploy/prod/job.yaml')).toEqual(['9 error undigested-tag', '11 error latest-tag', '13 error undigested-tag']);
    expect(result.summary.filesScanned).toBe(2); // the two jobs; the excluded fixture and the policy file are not read
  });

  it('include limits the scan to matching files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'imagedrift-include-'));
    mkdirSync(join(dir, 'k8s'));
    writeFileSync(join(dir, 'k8s', 'job.yaml'), JOB);
    writeFileSync(join(dir, 'other.yaml'), JOB);
    const policy = withPolicy('paths:\n  include: ["k8s/**"]\n');
    const result = await scanPaths([dir], { policy, root: dir });
    expect([...new Set(result.findings.map((f) => relativeTo(dir, f.location.path)))]).toEqual(['k8s/job.yaml']);
  });
});

describe('finding order', () => {
  it('puts the findings on one reference in rule-id order, after those on earlier lines', () => {
    const policy = withPolicy('registries:\n  deny: ["docker.io/*"]\n');
    const text = `${JOB}        - name: proxy\n          image: nginx\n`;
    expect(lines(new FileScanner({ policy, now: '2026-06-01' }).scan('job.yaml', text).findings)).toEqual([
      '9:18 note [undigested-tag]',
      '11:18 error [disallowed-registry]',
      '11:18 error [latest-tag]',
      '13:18 error [disallowed-registry]',
      '13:18 note [undigested-tag]',
      '15:18 error [disallowed-registry]',
      '15:18 error [missing-tag]',
    ]);
  });
});
