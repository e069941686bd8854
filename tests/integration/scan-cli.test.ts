// The built CLI, run as a user runs it: output, JSON schema, exit codes, stdin, help.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const bin = join(root, 'bin', 'imagedrift.js');

function run(args: string[], input?: string) {
  const result = spawnSync(process.execPath, [bin, ...args], { cwd: root, input, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('imagedrift scan (CLI)', () => {
  it('flags the OTEL collector sidecar on :latest in the bundled example and exits 1', () => {
    const { code, stdout } = run(['scan', 'examples']);
    expect(code).toBe(1);
    expect(stdout).toContain(
      'examples/ecs/otel-sidecar-task-definition.json:18:17: error Sidecar `aws-otel-collector` in task definition `checkout-api` uses floating tag `latest`: any task replacement can pull a different build [latest-tag]',
    );
    expect(stdout.trim().split('\n').at(-1)).toBe('6 findings (3 errors, 2 warnings, 1 note) in 2 files, 7 image references');
    expect(stdout).not.toMatch(/\u001b\[/); // no colours when not a TTY
  });

  it('writes the documented JSON schema', () => {
    const { code, stdout } = run(['scan', '--format', 'json', 'examples/ecs']);
    expect(code).toBe(1);
    const report = JSON.parse(stdout) as Record<string, any>;
    expect(report.schema).toBe('imagedrift.scan/v1');
    expect(report.summary).toMatchObject({ filesScanned: 1, refsFound: 3, bySeverity: { error: 2, warning: 0, note: 1 } });
    const sidecar = report.findings.find((f: any) => f.ruleId === 'latest-tag');
    expect(sidecar).toEqual({
      ruleId: 'latest-tag',
      severity: 'error',
      message: 'Sidecar `aws-otel-collector` in task definition `checkout-api` uses floating tag `latest`: any task replacement can pull a different build',
      location: { path: 'examples/ecs/otel-sidecar-task-definition.json', line: 18, column: 17, endLine: 18, endColumn: 75 },
      image: { raw: 'public.ecr.aws/aws-observability/aws-otel-collector:latest', registry: 'public.ecr.aws', repository: 'aws-observability/aws-otel-collector', tag: 'latest' },
      container: { name: 'aws-otel-collector', role: 'sidecar', roleReason: 'known sidecar image' },
      workload: { kind: 'TaskDefinition', name: 'checkout-api' },
      identity: sidecar.identity,
    });
    expect(sidecar.identity).toMatch(/^[0-9a-f]{32}$/);
  });

  it('honours --fail-on', () => {
    expect(run(['scan', '--fail-on', 'never', 'examples']).code).toBe(0);
    expect(run(['scan', '--fail-on', 'error', 'tests/golden/k8s-json']).code).toBe(1);
    expect(run(['scan', '--fail-on', 'error', 'tests/golden/batch-job-definition']).code).toBe(0);
    expect(run(['scan', '--fail-on', 'warning', 'tests/golden/batch-job-definition']).code).toBe(1);
    expect(run(['scan', '--fail-on', 'warning', 'tests/golden/not-workloads']).code).toBe(0);
  });

  it('exits 3 when a path on the command line cannot be read, after scanning the rest', () => {
    const { code, stdout, stderr } = run(['scan', 'no/such/dir', 'examples/kubernetes']);
    expect(code).toBe(3);
    expect(stderr).toContain('imagedrift: no/such/dir: cannot read: no such file or directory');
    expect(stdout).toContain('examples/kubernetes/deployment.yaml:24:18: error Sidecar `log-shipper`');
  });

  it('exits 2 on a usage error', () => {
    const bad = run(['scan', '--fail-on', 'sometimes', 'examples']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('expected one of error, warning, note, never');
    expect(run(['scan', '--no-such-flag']).code).toBe(2);
    expect(run(['frobnicate']).code).toBe(2);
  });

  it('reads stdin for -', () => {
    const { code, stdout } = run(['scan', '-'], 'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - {name: a, image: "redis:7.2"}\n');
    expect(code).toBe(0);
    expect(stdout).toContain('<stdin>:6:25: warning Container `a` in Pod `p` uses partial version tag `7.2`');
  });

  it('prints help with examples, and the version', () => {
    const help = run(['scan', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Examples:');
    expect(help.stdout).toContain('--fail-on <severity>');
    const version = run(['--version']);
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });
});
