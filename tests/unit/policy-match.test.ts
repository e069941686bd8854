// The policy's globs and the pure matching logic: registries (allow/deny, prefix semantics), paths,
// exceptions (every scope, expiry under a fixed date), and the effective policy per path (overrides).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Finding } from '../../src/core/types.js';
import { loadDefaultPolicy, loadPolicyFile } from '../../src/policy/load.js';
import picomatch from 'picomatch';
import { compilePolicy, exceptionMatches, findException, isExpired, pathFilter, pathMatcher, registryMatcher } from '../../src/policy/match.js';
import { applyLayer, emptyPolicy, policyForPath } from '../../src/policy/merge.js';
import { parsePolicy } from '../../src/policy/parse.js';
import { imagePatternProblem, isCalendarDate, pathPatternProblem } from '../../src/policy/patterns.js';
import type { Exception, Policy } from '../../src/policy/types.js';

function policyOf(text: string, base: Policy = emptyPolicy()): Policy {
  const layer = parsePolicy(text, { id: `mem:${text}`, display: 'p.yaml' });
  return applyLayer(base, layer, layer.overrides.map((o) => ({ paths: o.paths, layers: [o.layer], location: o.location })));
}

const LOCATION = { path: 'p.yaml', line: 1, column: 1, endLine: 1, endColumn: 1 };

function finding(overrides: Partial<Finding> = {}): Finding {
  return {
    ruleId: 'latest-tag',
    severity: 'error',
    message: 'm',
    location: { path: 'jobs/cleanup.yaml', line: 10, column: 18, endLine: 10, endColumn: 32 },
    image: { raw: 'busybox:latest', registry: 'docker.io', repository: 'library/busybox', tag: 'latest' },
    container: { name: 'debug', role: 'app' },
    workload: { kind: 'Job', name: 'cleanup', namespace: 'ops' },
    ...overrides,
  };
}

function exception(fields: Partial<Exception>): Exception {
  return { reason: 'r', expires: '2027-01-31', location: LOCATION, ...fields };
}

describe('registries', () => {
  const { registry } = compilePolicy(
    policyOf('registries:\n  allow: ["*.dkr.ecr.*.amazonaws.com/*", "public.ecr.aws/*", "docker.io/library/*", "registry.example.com/*"]\n  deny: ["docker.io/bitnami/*"]\n'),
  );

  it.each([
    ['123456789012.dkr.ecr.us-east-1.amazonaws.com/team/app', true],
    ['123456789012.dkr.ecr.eu-west-1.amazonaws.com/app', true],
    ['public.ecr.aws/aws-observability/aws-otel-collector', true],
    ['docker.io/library/nginx', true],
    ['registry.example.com/my-company/log-shipper', true],
    ['docker.io/grafana/grafana', false],
    ['ghcr.io/library/nginx', false],
    ['registry.example.com.evil.io/app', false],
    ['123456789012.dkr.ecr.us-east-1.amazonaws.com.cn/app', false],
  ])('%s allowed: %s', (name, allowed) => {
    expect(registry(name).allowed).toBe(allowed);
  });

  it('deny wins over allow and names the pattern', () => {
    const both = compilePolicy(policyOf('registries:\n  allow: ["docker.io/*"]\n  deny: ["docker.io/bitnami/*"]\n'));
    expect(both.registry('docker.io/bitnami/redis')).toEqual({ allowed: false, deniedBy: 'docker.io/bitnami/*' });
    expect(both.registry('docker.io/library/redis')).toEqual({ allowed: true });
  });

  it('allows everything with empty lists, and a bare host covers its registry', () => {
    expect(compilePolicy(emptyPolicy()).registry('quay.io/x/y')).toEqual({ allowed: true });
    const match = registryMatcher(['registry.example.com']);
    expect(match('registry.example.com/a/b/c')).toBe(true);
    expect(match('registry.example.community/a')).toBe(false);
  });
});

describe('paths', () => {
  it('include and exclude, relative to the root, dot files included', () => {
    const allowed = pathFilter(policyOf('paths:\n  include: ["deploy/**", "ecs/*.json"]\n  exclude: ["deploy/**/testdata/**"]\n'));
    expect(allowed('deploy/prod/app.yaml')).toBe(true);
    expect(allowed('./deploy/.hidden/app.yaml')).toBe(true);
    expect(allowed('deploy/prod/testdata/bad.yaml')).toBe(false);
    expect(allowed('ecs/task.json')).toBe(true);
    expect(allowed('ecs/nested/task.json')).toBe(false);
    expect(allowed('README.yaml')).toBe(false);
    expect(pathFilter(emptyPolicy())('anything/at/all.yaml')).toBe(true);
  });
});

describe('glob lists', () => {
  it('a list of globs matches exactly what picomatch matches with the same list', () => {
    const lists = [
      loadDefaultPolicy().sidecarImages,
      ['deploy/**', 'ecs/*.json', '**/testdata/**', '*.yaml'],
      ['{prod,staging}/**/app-?.yaml', 'k8s/[a-c]*/**', '**/*.{yml,yaml}', '[^v]*/**/task.json'],
      ['docker.io/library/*', 'public.ecr.aws/**', '**/nginx', 'ghcr.io/org/app*'],
    ];
    const values = [
      '', 'a', '.hidden/app.yaml', 'deploy/prod/app.yaml', 'deploy/.git/x.yaml', 'ecs/task.json', 'ecs/nested/task.json', 'x/testdata/y/z.json',
      'prod/web/app-1.yaml', 'staging/app-12.yaml', 'k8s/b2/deep/x.yml', 'k8s/d/x.yaml', 'vendor/a/task.json', 'src/a/task.json', 'README.yaml',
      'docker.io/library/busybox', 'docker.io/library/team/app', 'public.ecr.aws/aws-observability/aws-otel-collector', 'quay.io/prometheus-operator/prometheus-config-reloader',
      'registry.example.com/mirror/envoyproxy/envoy-distroless', 'ghcr.io/org/app-api', 'ghcr.io/org/other', 'docker.io/library/nginx', '**/nginx', 'deploy/**',
      'cr.fluentbit.io/fluent/fluent-bit', 'docker.io/datadog/agent', 'gcr.io/istio-release/proxyv2', 'docker.io/istio/proxyv2',
    ];
    for (const list of lists) {
      const ours = pathMatcher(list);
      const theirs = picomatch(list, { dot: true });
      for (const value of values) expect(ours(value), `${JSON.stringify(list)} / ${value}`).toBe(theirs(value));
    }
    // Not every answer is the same: the lists above do match some of the values.
    expect(values.filter(pathMatcher(lists[0] ?? [])).length).toBeGreaterThan(3);
  });
});

describe('exceptions', () => {
  it('match when every scope they name matches', () => {
    const f = finding();
    const full = exception({ rule: 'latest-tag', image: 'docker.io/library/busybox', paths: ['jobs/**'], container: 'debug', workload: 'cleanup' });
    expect(exceptionMatches(full, f, 'jobs/cleanup.yaml')).toBe(true);
    expect(exceptionMatches({ ...full, rule: 'mutable-tag' }, f, 'jobs/cleanup.yaml')).toBe(false);
    expect(exceptionMatches({ ...full, image: 'docker.io/library/alpine' }, f, 'jobs/cleanup.yaml')).toBe(false);
    expect(exceptionMatches(full, f, 'deploy/cleanup.yaml')).toBe(false);
    expect(exceptionMatches({ ...full, container: 'main' }, f, 'jobs/cleanup.yaml')).toBe(false);
    expect(exceptionMatches({ ...full, workload: 'other' }, f, 'jobs/cleanup.yaml')).toBe(false);
  });

  it('take globs for image, container and workload, and namespace/name for workloads', () => {
    const f = finding();
    expect(exceptionMatches(exception({ image: '*/library/*' }), f, 'x')).toBe(true);
    expect(exceptionMatches(exception({ container: 'deb*' }), f, 'x')).toBe(true);
    expect(exceptionMatches(exception({ workload: 'ops/cleanup' }), f, 'x')).toBe(true);
    expect(exceptionMatches(exception({ workload: 'ops/*' }), f, 'x')).toBe(true);
    expect(exceptionMatches(exception({ workload: 'prod/cleanup' }), f, 'x')).toBe(false);
  });

  it('never match by image or container what has none', () => {
    const parseError: Finding = { ruleId: 'parse-error', severity: 'error', message: 'm', location: finding().location };
    expect(exceptionMatches(exception({ image: '**' }), parseError, 'x')).toBe(false);
    expect(exceptionMatches(exception({ container: '*' }), parseError, 'x')).toBe(false);
    expect(exceptionMatches(exception({ rule: 'parse-error' }), parseError, 'x')).toBe(true);
  });

  it('apply through their expiry day and not after (the clock is a parameter)', () => {
    const e = exception({ rule: 'latest-tag', expires: '2027-01-31' });
    expect(isExpired(e, '2027-01-30')).toBe(false);
    expect(isExpired(e, '2027-01-31')).toBe(false);
    expect(isExpired(e, '2027-02-01')).toBe(true);
    expect(findException([e], finding(), 'x', '2027-01-31')).toBe(e);
    expect(findException([e], finding(), 'x', '2027-02-01')).toBeUndefined();
  });
});

describe('overrides', () => {
  it('extends strict for deploy/prod/** without resetting the base to the default', () => {
    const dir = mkdtempSync(join(tmpdir(), 'imagedrift-override-'));
    writeFileSync(
      join(dir, '.imagedrift.yaml'),
      'rules:\n  undigested-tag: { severity: warning, sidecarSeverity: error }\n  mutable-tag: note\n  newer-version-available: off\noverrides:\n  - paths: ["deploy/prod/**"]\n    extends: strict\n    rules: { unresolvable-reference: error }\n',
    );
    const policy = loadPolicyFile('.imagedrift.yaml', { cwd: dir });
    const prod = policyForPath(policy, 'deploy/prod/app.yaml');
    const dev = policyForPath(policy, 'deploy/dev/app.yaml');
    expect(dev.rules).toBe(policy.rules); // no override matches: the policy as loaded
    expect(policyForPath(policy, 'src/app.yaml')).toBe(dev);
    expect(dev.rules['mutable-tag']).toEqual({ severity: 'note', sidecarSeverity: 'note' });
    expect(prod.rules['undigested-tag']).toEqual({ severity: 'error', sidecarSeverity: 'error' }); // strict's
    expect(prod.rules['mutable-tag']).toEqual({ severity: 'error', sidecarSeverity: 'error' }); // strict's
    expect(prod.rules['unresolvable-reference']).toEqual({ severity: 'error', sidecarSeverity: 'error' }); // the override's own, after strict
    expect(prod.rules['newer-version-available']).toEqual({ severity: 'off', sidecarSeverity: 'off' }); // the default is not applied again
    expect(prod.overrides).toEqual([]);
    expect(policyForPath(policy, 'deploy/prod/other.yaml')).toBe(prod); // cached per set of matching overrides
  });

  it('apply in order, later overrides winning', () => {
    const policy = policyOf(
      'overrides:\n  - paths: ["deploy/**"]\n    rules: { latest-tag: warning }\n  - paths: ["deploy/dev/**"]\n    rules: { latest-tag: note }\n    registries: { deny: ["docker.io/*"] }\n',
      loadDefaultPolicy(),
    );
    expect(policyForPath(policy, 'deploy/prod/a.yaml').rules['latest-tag']?.severity).toBe('warning');
    const dev = policyForPath(policy, 'deploy/dev/a.yaml');
    expect(dev.rules['latest-tag']?.severity).toBe('note');
    expect(dev.registries.deny).toEqual(['docker.io/*']);
    expect(policyForPath(policy, 'other/a.yaml').rules['latest-tag']?.severity).toBe('error');
  });
});

describe('pattern checks', () => {
  it.each([
    ['docker.io/library/busybox', false, undefined],
    ['*/my-company/log-shipper', false, undefined],
    ['**/fluent-bit', false, undefined],
    ['localhost:5000/app', false, undefined],
    ['registry.example.com', true, undefined],
    ['registry.example.com', false, 'can never match'],
    ['busybox', false, 'write `docker.io/library/busybox`'],
    ['acme/app', true, 'write `docker.io/acme/app`'],
    ['ghcr.io/acme/app:1.0', false, 'without a tag or digest'],
    ['ghcr.io/acme/app@sha256:abc', false, 'without a tag or digest'],
  ])('image pattern %s (registry only: %s)', (pattern, registryOnly, problem) => {
    const found = imagePatternProblem(pattern, registryOnly);
    if (problem === undefined) expect(found).toBeUndefined();
    else expect(found).toContain(problem);
  });

  it('path globs are relative and use /', () => {
    expect(pathPatternProblem('deploy/**')).toBeUndefined();
    expect(pathPatternProblem('/deploy/**')).toContain('not absolute');
    expect(pathPatternProblem('./deploy/**')).toContain('write `deploy/**`');
    expect(pathPatternProblem('deploy\\prod')).toContain('use `/`');
  });

  it('dates are calendar dates', () => {
    expect(isCalendarDate('2028-02-29')).toBe(true);
    expect(isCalendarDate('2027-02-29')).toBe(false);
    expect(isCalendarDate('2027-1-31')).toBe(false);
  });
});
