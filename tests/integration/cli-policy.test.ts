// The built CLI with policies, as a team adopts it: .imagedrift.yaml found from a subdirectory,
// --policy, bad policy files (exit 2, `file:line:col: message` on stderr), exception expiry under
// --now, overrides for production paths, and path filters applied to files named on the command line.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ISSUE_EXAMPLE } from '../helpers/issue-example-policy.js';

const bin = join(import.meta.dirname, '..', '..', 'bin', 'imagedrift.js');

/** Runs the CLI with no CI variables, so output does not depend on where the tests run. */
export function cli(args: string[], cwd: string, input?: string) {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1' };
  const result = spawnSync(process.execPath, [bin, ...args], { cwd, input, encoding: 'utf8', env });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

export function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'imagedrift-cli-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

const POLICY = ISSUE_EXAMPLE;

const JOB = `apiVersion: batch/v1
kind: Job
metadata: {name: cleanup}
spec:
  template:
    spec:
      containers:
        - name: main
          image: 123456789012.dkr.ecr.us-east-1.amazonaws.com/team/cleanup:1.2.3@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
        - name: debug
          image: busybox:latest
`;

let repo: string;

beforeAll(() => {
  repo = tree({ '.git/HEAD': 'ref: refs/heads/main\n', '.imagedrift.yaml': POLICY, 'jobs/cleanup.yaml': JOB, 'deploy/prod/cleanup.yaml': JOB, 'tests/fixtures/cleanup.yaml': JOB, 'deploy/dev/readme.txt': '' });
});

describe('imagedrift scan with a policy (CLI)', () => {
  it('finds .imagedrift.yaml from a subdirectory; the exception holds until it expires', () => {
    const inForce = cli(['scan', '--now', '2027-01-31', '..'], join(repo, 'deploy', 'dev'));
    expect(inForce.stderr).toBe('');
    expect(inForce.stdout).toBe(
      [
        '../prod/cleanup.yaml:11:18: error Container `debug` in Job `cleanup` uses floating tag `latest`: any pod restart or reschedule can pull a different build [latest-tag]',
        '1 finding (1 error, 0 warnings, 0 notes) in 1 file, 2 image references',
        '',
      ].join('\n'),
    );
    expect(inForce.code).toBe(1);
  });

  it('reports the expired exception at its line in the policy file, relative to the working directory', () => {
    const expired = cli(['scan', '--now', '2027-02-01', 'jobs'], repo);
    expect(expired.stdout.split('\n')).toEqual([
      'jobs/cleanup.yaml:11:18: error Container `debug` in Job `cleanup` uses floating tag `latest`: any pod restart or reschedule can pull a different build [latest-tag]',
      '.imagedrift.yaml:18:5: warning Exception for `latest-tag` on `docker.io/library/busybox` in `jobs/**`, container `debug` ("debug shell, tracked in OPS-123") expired on 2027-01-31 and no longer applies; fix what it covered and remove it, or renew it with a new `expires` date [expired-exception]',
      '2 findings (1 error, 1 warning, 0 notes) in 1 file, 2 image references',
      '',
    ]);
    const fromBelow = cli(['scan', '--now', '2027-02-01', '.'], join(repo, 'jobs'));
    expect(fromBelow.stdout).toContain('../.imagedrift.yaml:18:5: warning Exception for `latest-tag`');
  });

  it('skips excluded files even when they are named on the command line (pre-commit passes file names)', () => {
    const result = cli(['scan', '--now', '2027-01-01', 'tests/fixtures/cleanup.yaml', 'jobs/cleanup.yaml'], repo);
    expect(result.stdout).toBe('0 findings (0 errors, 0 warnings, 0 notes) in 1 file, 2 image references\n');
    expect(result.code).toBe(0);
  });

  it('--policy replaces discovery; a bundled policy can be extended by name', () => {
    const dir = tree({ 'p/strict-here.yaml': 'extends: strict\n', 'k8s/pod.yaml': 'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: a, image: "nginx:1.27.0"}]\n' });
    expect(cli(['scan', 'k8s'], dir).code).toBe(0); // the default: an undigested tag is a note
    const strict = cli(['scan', '--policy', 'p/strict-here.yaml', 'k8s'], dir);
    expect(strict.code).toBe(1);
    expect(strict.stdout).toContain('k8s/pod.yaml:5:34: error Container `a` in Pod `p` uses `1.27.0` without a digest: the tag can be re-pushed [undigested-tag]');
  });

  it('exits 2 on a bad policy, printing every problem as file:line:col: message', () => {
    const dir = tree({ '.imagedrift.yaml': 'rules:\n  latst-tag: error\n  mutable-tag: { severity: critical }\nexceptions:\n  - rule: latest-tag\n    reason: r\n    expires: soon\n', 'pod.yaml': 'image: x\n' });
    const result = cli(['scan', '.'], dir);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      [
        '.imagedrift.yaml:2:3: rules.latst-tag: unknown rule `latst-tag` (did you mean `latest-tag`?)',
        '.imagedrift.yaml:3:28: rules.mutable-tag.severity: expected a severity (error, warning, note, off), got "critical"',
        '.imagedrift.yaml:7:14: exceptions[0].expires: expected a date written YYYY-MM-DD, got "soon"',
        '',
      ].join('\n'),
    );
    const missing = cli(['scan', '--policy', 'nope.yaml', '.'], dir);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe('nope.yaml: cannot read policy file: no such file\n');
  });

  it('exits 2 on a bad --now', () => {
    const result = cli(['scan', '--now', '2027-02-30', '.'], repo);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("option '--now <date>' argument '2027-02-30' is invalid. expected a date written YYYY-MM-DD");
  });
});

describe('a policy in a sub-directory of a git repository (CLI)', () => {
  const pod = (name: string, image: string) => `apiVersion: v1\nkind: Pod\nmetadata: {name: ${name}}\nspec:\n  containers: [{name: app, image: "${image}"}]\n`;
  let root: string;

  beforeAll(() => {
    root = tree({
      'base.yaml': 'paths:\n  exclude: ["vendor/**"]\n',
      'services/payments/.imagedrift.yaml': [
        'extends: ../../base.yaml',
        'paths:',
        '  exclude: ["tests/**"]',
        'exceptions:',
        '  - rule: latest-tag',
        '    paths: ["jobs/**"]',
        '    reason: debug shell, OPS-7',
        '    expires: 2099-12-31',
        '',
      ].join('\n'),
      'services/payments/tests/pod.yaml': pod('fixture', 'nginx:latest'),
      'services/payments/jobs/debug.yaml': pod('debug', 'busybox:latest'),
      'services/payments/deploy/app.yaml': pod('payments', 'nginx:latest'),
      'services/payments/vendor/pod.yaml': pod('vendored', 'nginx:latest'),
      'vendor/pod.yaml': pod('root-vendored', 'nginx:latest'),
      'tests/pod.yaml': pod('root-test', 'nginx:latest'),
    });
    execFileSync('git', ['init', '-q'], { cwd: root });
  });

  it('from the sub-directory (found by walking up): its globs are relative to its own directory', () => {
    const result = cli(['scan', '--format', 'json', '.'], join(root, 'services', 'payments'));
    const findings = (JSON.parse(result.stdout) as { findings: Array<{ location: { path: string } }> }).findings.map((f) => f.location.path);
    // tests/** and jobs/** mean services/payments/tests and jobs; base.yaml's vendor/** means the root's vendor/.
    expect(findings).toEqual(['deploy/app.yaml', 'vendor/pod.yaml']);
  });

  it('with --policy from the repository root: the same globs, the same files', () => {
    const result = cli(['scan', '--format', 'json', '--policy', 'services/payments/.imagedrift.yaml', '.'], root);
    const findings = (JSON.parse(result.stdout) as { findings: Array<{ location: { path: string } }> }).findings.map((f) => f.location.path);
    expect(findings).toEqual(['services/payments/deploy/app.yaml', 'services/payments/vendor/pod.yaml', 'tests/pod.yaml']);
  });
});

describe('hostile globs and names (CLI)', () => {
  /** As cli(), but killed after a generous time: a regression to a backtracking matcher fails here instead of hanging the suite. */
  function bounded(args: string[], cwd: string) {
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1' };
    const result = spawnSync(process.execPath, [bin, ...args], { cwd, encoding: 'utf8', env, timeout: 120_000, killSignal: 'SIGKILL' });
    return { code: result.status, signal: result.signal, stdout: result.stdout, stderr: result.stderr };
  }

  it('matches wildcard-heavy globs against long names from the scanned files in linear time', () => {
    const evil = '*a*a*a*a*a*a*a*a*a*a*b';
    const long = 'a'.repeat(40);
    const policy = [
      'sidecars:',
      `  images: ["docker.io/${evil}"]`,
      'registries:',
      `  deny: ["${evil}"]`,
      'paths:',
      `  exclude: ["${evil}/**"]`,
      'exceptions:',
      `  - container: "${evil}"`,
      '    reason: probe',
      '    expires: 2099-01-01',
      `  - workload: "${evil}"`,
      '    reason: probe',
      '    expires: 2099-01-01',
      '',
    ].join('\n');
    const deployment = `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: ${long}}\nspec:\n  template:\n    spec:\n      containers:\n        - {name: ${long}, image: "${long}/${long}:latest"}\n        - {name: ${long}x, image: "${long}/${long}x:1.2.3"}\n`;
    const dir = tree({ '.imagedrift.yaml': policy, [`${long}/deploy.yaml`]: deployment, 'deploy.yaml': deployment });
    const result = bounded(['scan', '--format', 'json', '.'], dir);
    expect(result.signal).toBeNull();
    const report = JSON.parse(result.stdout) as { summary: { filesScanned: number; refsFound: number }; findings: unknown[] };
    // The directory named like the glob's prefix is scanned (nothing matches `…b`); no exception applies.
    expect(report.summary.filesScanned).toBe(2);
    expect(report.summary.refsFound).toBe(4);
    expect(report.findings.length).toBe(4);
  });

  it('refuses 32,000 sidecar globs with one message at the list, and never prints a generated expression', () => {
    const globs = Array.from({ length: 32_000 }, (_, i) => `  - "**/team-${i}/*sidecar*"`).join('\n');
    const dir = tree({ '.imagedrift.yaml': `sidecars:\n  images:\n${globs}\n`, 'pod.yaml': 'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: a, image: "nginx:1.27.0"}]\n' });
    const result = bounded(['scan', '.'], dir);
    expect(result.signal).toBeNull();
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('.imagedrift.yaml:3:3: sidecars.images: at most 1000 globs per list, got 32000\n');
    expect(result.stderr.length).toBeLessThan(2000);
  });

  it('scans with 1,000 sidecar globs, the most a list may hold', () => {
    const globs = Array.from({ length: 1000 }, (_, i) => `  - "**/team-${i}/*sidecar*"`).join('\n');
    const dir = tree({ '.imagedrift.yaml': `sidecars:\n  images:\n${globs}\n`, 'pod.yaml': 'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: a, image: "nginx:1.27.0"}, {name: b, image: "ghcr.io/team-999/log-sidecar:1.0.0"}]\n' });
    const result = bounded(['scan', '--format', 'json', '.'], dir);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as { findings: Array<{ container: { name: string; role: string } }> };
    expect(report.findings.map((f) => [f.container.name, f.container.role])).toEqual([
      ['a', 'app'],
      ['b', 'sidecar'],
    ]);
  });
});
