// `deny.versions` and `pin.minimumReleaseAge`: how they are written, checked, merged and matched,
// the `denied-version` rule on files (and on floating tags with registry facts), and release ages.
import { describe, expect, it } from 'vitest';
import type { Finding } from '../../src/core/types.js';
import { PolicyError } from '../../src/policy/errors.js';
import { deniedVersion, tagVersion } from '../../src/policy/deny.js';
import { loadDefaultPolicy } from '../../src/policy/load.js';
import { applyLayer } from '../../src/policy/merge.js';
import { parsePolicy } from '../../src/policy/parse.js';
import { parseReleaseAge, releaseAgeVerdict } from '../../src/policy/release-age.js';
import type { Policy } from '../../src/policy/types.js';
import type { ResolvedFacts } from '../../src/rules/engine.js';
import { FileScanner } from '../../src/scan/scan-file.js';
import { proposeFix } from '../../src/scan/resolve-phase.js';

function withPolicy(text: string, base: Policy = loadDefaultPolicy()): Policy {
  return applyLayer(base, parsePolicy(text, { id: `mem:${text}`, display: 'policy.yaml' }));
}

function problems(text: string): string[] {
  try {
    parsePolicy(text, { id: '/x/p.yaml', display: 'p.yaml' });
  } catch (err) {
    if (err instanceof PolicyError) return err.message.split('\n');
    throw err;
  }
  throw new Error('expected the policy to be refused');
}

const DENY = `deny:
  versions:
    - image: "**/aws-otel-collector"
      versions: "0.29.0"
      reason: panics on string-valued DynamoDB attributes
    - image: "docker.io/library/nginx"
      versions: ">=1.25.0 <1.25.3 || 1.27.1"
`;

describe('policy: deny.versions and pin.minimumReleaseAge', () => {
  it('reads both at the top level, with each entry where it is written', () => {
    const policy = withPolicy(`pin:\n  minimumReleaseAge: 3d\n${DENY}`);
    expect(policy.pin?.minimumReleaseAge).toBe('3d');
    expect(policy.deny?.versions.map((v) => [v.image, v.versions, v.reason, v.location.line])).toEqual([
      ['**/aws-otel-collector', '0.29.0', 'panics on string-valued DynamoDB attributes', 5],
      ['docker.io/library/nginx', '>=1.25.0 <1.25.3 || 1.27.1', undefined, 8],
    ]);
  });

  it('adds denied versions to the inherited ones, replaces them with replace: true, and the last age wins', () => {
    const base = withPolicy(`pin: {minimumReleaseAge: 3d}\n${DENY}`);
    const added = withPolicy('pin: {minimumReleaseAge: 12h}\ndeny:\n  versions: [{image: "quay.io/a/b", versions: "1.0.0"}]\n', base);
    expect(added.pin?.minimumReleaseAge).toBe('12h');
    expect(added.deny?.versions.map((v) => v.image)).toEqual(['**/aws-otel-collector', 'docker.io/library/nginx', 'quay.io/a/b']);
    const replaced = withPolicy('deny:\n  replace: true\n  versions: [{image: "quay.io/a/b", versions: "1.0.0"}]\n', base);
    expect(replaced.deny?.versions.map((v) => v.image)).toEqual(['quay.io/a/b']);
    expect(replaced.pin?.minimumReleaseAge).toBe('3d');
  });

  it('refuses bad ages, ranges, globs and keys, each at its place', () => {
    expect(
      problems(`pin:\n  minimumReleaseAge: 3 days\n  age: 1d\ndeny:\n  versions:\n    - image: busybox\n      versions: "not a range"\n    - image: "**/x"\n    - {image: "**/y", versions: 1.2}\noverrides:\n  - paths: ["a/**"]\n    deny: {versions: []}\n`),
    ).toEqual([
      'p.yaml:2:22: pin.minimumReleaseAge: expected an age such as 12h, 3d or 2w, got "3 days"',
      'p.yaml:3:3: pin.age: unknown key `age`; expected one of: minimumReleaseAge',
      'p.yaml:6:14: deny.versions[0].image: `busybox` can never match: image patterns are matched against the canonical `registry/repository` (e.g. `docker.io/library/busybox`); write `docker.io/library/busybox`',
      'p.yaml:7:17: deny.versions[0].versions: `not a range` is not a semver range (write `0.29.0`, `>=0.29.0 <0.29.2` or `0.29.0 || 0.30.1`)',
      'p.yaml:8:7: deny.versions[1]: missing `versions`: a denied version names the `image` (a glob) and the `versions` (a semver range)',
      'p.yaml:9:33: deny.versions[2].versions: expected a semver range written as a string, e.g. "0.29.0" or ">=0.29.0 <0.29.2", got number 1.2',
      'p.yaml:12:5: overrides[0].deny: unknown key `deny`; expected one of: paths, extends, rules, sidecars, tags, registries, exceptions, sources',
    ]);
  });

  it('matches a release by its numbers, whatever the spelling, and only images the glob covers', () => {
    const policy = withPolicy(DENY);
    expect(['v0.29.0', '0.29.0', '0.29.0-alpine', '0.29.0-rc1'].map((tag) => deniedVersion(policy, 'public.ecr.aws/aws-observability/aws-otel-collector', tag)?.version)).toEqual(['0.29.0', '0.29.0', '0.29.0', '0.29.0']);
    expect(['v0.28.0', '0.29.1', '0.29', 'latest', undefined].map((tag) => deniedVersion(policy, 'public.ecr.aws/aws-observability/aws-otel-collector', tag))).toEqual([undefined, undefined, undefined, undefined, undefined]);
    expect(deniedVersion(policy, 'docker.io/library/redis', '0.29.0')).toBeUndefined();
    expect(['1.25.0', '1.25.2', '1.25.3', '1.27.1', '1.27.2'].map((tag) => deniedVersion(policy, 'docker.io/library/nginx', tag) !== undefined)).toEqual([true, true, false, true, false]);
    expect(tagVersion('1.2.3.4')).toBeUndefined();
    expect(tagVersion('01.2.3')).toBeUndefined();
  });
});

const TASK = (image: string) => `{"family": "checkout", "containerDefinitions": [
  {"name": "app", "image": "registry.example.com/team/app:1.2.3", "essential": true},
  {"name": "aws-otel-collector", "image": "${image}", "essential": true}
]}
`;

function scan(policy: Policy, text: string, facts?: ResolvedFacts): Finding[] {
  return new FileScanner({ policy, now: '2026-01-01', ...(facts !== undefined ? { facts } : {}) }).scan('task.json', text).findings;
}

describe('denied-version', () => {
  const policy = withPolicy(DENY);

  it('reports a denied version wherever it is written, pinned or not, as an error on the sidecar', () => {
    const written = scan(policy, TASK('public.ecr.aws/aws-observability/aws-otel-collector:v0.29.0')).filter((f) => f.ruleId === 'denied-version');
    expect(written.map((f) => [f.severity, f.location.line, f.message])).toEqual([
      [
        'error',
        3,
        'Sidecar `aws-otel-collector` in task definition `checkout` uses `v0.29.0`, release 0.29.0, which the policy denies (`deny.versions`: `0.29.0` of `**/aws-otel-collector`: panics on string-valued DynamoDB attributes)',
      ],
    ]);
    const pinned = scan(policy, TASK(`public.ecr.aws/aws-observability/aws-otel-collector:0.29.0@sha256:${'a'.repeat(64)}`));
    expect(pinned.map((f) => f.ruleId)).toEqual(['undigested-tag', 'denied-version']);
    expect(scan(policy, TASK('public.ecr.aws/aws-observability/aws-otel-collector:v0.28.0')).some((f) => f.ruleId === 'denied-version')).toBe(false);
    // The bundled default denies nothing.
    expect(scan(loadDefaultPolicy(), TASK('public.ecr.aws/aws-observability/aws-otel-collector:v0.29.0')).some((f) => f.ruleId === 'denied-version')).toBe(false);
  });

  it('judges a floating tag by the release it points at (--resolve), and proposes no pin to it', () => {
    const image = 'public.ecr.aws/aws-observability/aws-otel-collector:latest';
    const facts = (versionTag: string): ResolvedFacts => ({
      resolutions: new Map([[`${image}`, { current: { digest: `sha256:${'b'.repeat(64)}`, versionTag, verified: true } }]]),
      propose: proposeFix,
    });
    const bad = scan(policy, TASK(image), facts('v0.29.0'));
    expect(bad.find((f) => f.ruleId === 'denied-version')?.message).toBe(
      'Sidecar `aws-otel-collector` in task definition `checkout` uses `latest`, which is now v0.29.0, release 0.29.0, which the policy denies (`deny.versions`: `0.29.0` of `**/aws-otel-collector`: panics on string-valued DynamoDB attributes)',
    );
    expect(bad.find((f) => f.ruleId === 'latest-tag')?.fix).toBeUndefined();
    const good = scan(policy, TASK(image), facts('v0.28.0'));
    expect(good.some((f) => f.ruleId === 'denied-version')).toBe(false);
    expect(good.find((f) => f.ruleId === 'latest-tag')?.fix?.replacement).toBe(`public.ecr.aws/aws-observability/aws-otel-collector:v0.28.0@sha256:${'b'.repeat(64)}`);
  });

  it('can be turned off like any rule', () => {
    const off = withPolicy('rules: {denied-version: off}\n', policy);
    expect(scan(off, TASK('public.ecr.aws/aws-observability/aws-otel-collector:v0.29.0')).some((f) => f.ruleId === 'denied-version')).toBe(false);
  });
});

describe('release age', () => {
  const now = Date.parse('2026-12-01T12:00:00Z');

  it('reads ages in minutes, hours, days and weeks', () => {
    expect(['30m', '12h', '3d', '2w', '3', '3 days', '-1d'].map(parseReleaseAge)).toEqual([1_800_000, 43_200_000, 259_200_000, 1_209_600_000, undefined, undefined, undefined]);
  });

  it('lets an old enough image through, and holds a younger one until the day it is old enough', () => {
    expect(releaseAgeVerdict('2026-11-20T00:00:00Z', '3d', now)).toEqual({ ok: true });
    expect(releaseAgeVerdict('2026-11-30T10:00:00Z', undefined, now)).toEqual({ ok: true });
    expect(releaseAgeVerdict('2026-11-30T10:00:00Z', '3d', now)).toEqual({
      ok: false,
      until: Date.parse('2026-12-03T10:00:00Z'),
      reason: 'released 2026-11-30 10:00 UTC, younger than `pin.minimumReleaseAge` 3d: waits until 2026-12-03 10:00 UTC',
    });
    // A build time in the future (a wrong clock, or a lie) waits as long as it says.
    expect(releaseAgeVerdict('2027-06-01T00:00:00+02:00', '1d', now)).toMatchObject({ ok: false, until: Date.parse('2027-06-01T22:00:00Z') });
  });

  it('holds an image whose age cannot be read', () => {
    for (const created of [undefined, '1970-01-01T00:00:00Z', '0001-01-01T00:00:00Z', 'yesterday', '2026-11-30']) {
      const verdict = releaseAgeVerdict(created, '3d', now);
      expect(verdict.ok, String(created)).toBe(false);
      if (!verdict.ok) expect(verdict.reason).toContain('its release time is unknown');
    }
  });
});
