// The built CLI, run as a user runs it: output, JSON schema, exit codes, stdin, help.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RULE_IDS } from '../../src/rules/index.js';

const root = join(import.meta.dirname, '..', '..');
const bin = join(root, 'bin', 'imagedrift.js');

function run(args: string[], input?: string) {
  const result = spawnSync(process.execPath, [bin, ...args], { cwd: root, input, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('imagedrift rules (CLI)', () => {
  it('lists every rule once with its default severities, what reports it and what it flags', () => {
    const result = run(['rules']);
    expect(result.code).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^RULE +SEVERITY +SIDECAR +CHECKED BY +WHAT IT FLAGS$/);
    const ids = lines.slice(1).map((line) => line.split(/ +/)[0]);
    expect(ids).toEqual([...RULE_IDS]);
    expect(lines).toContain(lines.find((line) => /^unversioned-tag +warning +error +scan +The image uses a tag with no version in it/.test(line)));
    expect(lines.some((line) => /^fleet-drift +error +error +audit +Tasks of one ECS service/.test(line))).toBe(true);
    expect(lines.some((line) => /^tag-moved +warning +warning +scan --resolve +A `tag@digest` pin is stale/.test(line))).toBe(true);
  });

  it('writes JSON for tools, under the bundled default or a given policy', () => {
    const json = JSON.parse(run(['rules', '--format', 'json']).stdout) as { schema: string; rules: Array<{ id: string; severity: string; sidecarSeverity: string; checkedBy: string; description: string; helpUri: string }> };
    expect(json.schema).toBe('imagedrift.rules/v1');
    expect(json.rules.map((rule) => rule.id)).toEqual([...RULE_IDS]);
    expect(json.rules.find((rule) => rule.id === 'undigested-tag')).toMatchObject({ severity: 'note', sidecarSeverity: 'warning', checkedBy: 'scan' });
    expect(json.rules.every((rule) => rule.helpUri.endsWith(`#rule-${rule.id}`) && rule.description.length > 10)).toBe(true);
    const strict = JSON.parse(run(['rules', '--format', 'json', '--policy', 'policies/strict.yaml']).stdout) as typeof json;
    expect(strict.rules.find((rule) => rule.id === 'undigested-tag')).toMatchObject({ severity: 'error', sidecarSeverity: 'error' });
    expect(run(['rules', '--format', 'yaml']).code).toBe(2);
  });
});

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

  it('reads a Dockerfile and a Terraform file named on the command line, from the bundle (issue 13)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'imagedrift-cli-formats-'));
    writeFileSync(join(dir, 'Dockerfile'), 'FROM node:20 AS build\nFROM gcr.io/distroless/nodejs20\nCOPY --from=build /app /app\n');
    writeFileSync(join(dir, 'ecs.tf'), 'resource "aws_ecs_task_definition" "app" {\n  family = "app"\n  container_definitions = jsonencode([\n    { name = "app", image = "nginx:1.25.4" },\n    { name = "log_router", image = "amazon/aws-for-fluent-bit:latest", firelensConfiguration = { type = "fluentbit" } },\n  ])\n}\n');
    const { code, stdout } = run(['scan', join(dir, 'Dockerfile'), join(dir, 'ecs.tf')]);
    expect(code).toBe(1);
    expect(stdout).toContain(`${join(dir, 'Dockerfile')}:1:6: warning Stage \`build\` in the Dockerfile uses partial version tag \`20\``);
    expect(stdout).toContain(`${join(dir, 'Dockerfile')}:2:6: error Stage \`#1\` in the Dockerfile uses \`gcr.io/distroless/nodejs20\` with no tag`);
    expect(stdout).toContain(`${join(dir, 'ecs.tf')}:5:37: error Sidecar \`log_router\` in resource \`aws_ecs_task_definition.app\` uses floating tag \`latest\``);
    expect(stdout.trim().split('\n').at(-1)).toBe('4 findings (2 errors, 1 warning, 1 note) in 2 files, 4 image references');
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

  it('exits 2 on a usage error, printing the error and one hint, not the whole help', () => {
    const bad = run(['scan', '--fail-on', 'sometimes', 'examples']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe("error: option '--fail-on <severity>' argument 'sometimes' is invalid. Allowed choices are error, warning, note, never.\nsee 'imagedrift scan --help'\n");
    const typo = run(['scan', '--frmat', 'json']);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toBe("error: unknown option '--frmat'\n(Did you mean --format?)\nsee 'imagedrift scan --help'\n");
    const command = run(['frobnicate']);
    expect(command.code).toBe(2);
    expect(command.stderr).toBe("error: unknown command 'frobnicate'\nsee 'imagedrift --help'\n");
    const nested = run(['audit', 'ecs', '--regoin', 'us-east-1']);
    expect(nested.code).toBe(2);
    expect(nested.stderr).toBe("error: unknown option '--regoin'\n(Did you mean --region?)\nsee 'imagedrift audit ecs --help'\n");
    for (const result of [bad, typo, command, nested]) expect(result.stderr).not.toContain('Usage:');
  });

  it('refuses registry options without --resolve: they would do nothing', () => {
    const result = run(['scan', '--newer', 'minor', '--no-cache', '--platform', 'linux/arm64', 'examples']);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe("imagedrift: --newer, --platform, --no-cache are only used with --resolve: add --resolve, or drop them (see 'imagedrift scan --help')\n");
    expect(run(['scan', '--timeout', '5s', 'examples']).stderr).toBe("imagedrift: --timeout is only used with --resolve: add --resolve, or drop it (see 'imagedrift scan --help')\n");
  });

  it('colours the text report as NO_COLOR and FORCE_COLOR say, when stdout is not a terminal', () => {
    const env = { PATH: process.env.PATH, HOME: process.env.HOME };
    const scan = (extra: NodeJS.ProcessEnv, args: string[] = []) =>
      spawnSync(process.execPath, [bin, 'scan', ...args, 'examples'], { cwd: root, encoding: 'utf8', env: { ...env, ...extra } }).stdout;
    const ESC = /\u001b\[/;
    expect(scan({})).not.toMatch(ESC); // a pipe: no colours
    expect(scan({ FORCE_COLOR: '1' })).toMatch(ESC);
    expect(scan({ FORCE_COLOR: '1', NO_COLOR: '1' })).toMatch(ESC); // force-color.org: FORCE_COLOR wins over NO_COLOR
    expect(scan({ FORCE_COLOR: '0' })).not.toMatch(ESC);
    expect(scan({ FORCE_COLOR: '1' }, ['--no-color'])).not.toMatch(ESC); // the command line wins
    expect(scan({ FORCE_COLOR: '1' }, ['--format', 'json'])).not.toMatch(ESC); // only the text report is coloured
  });

  it('reads stdin for -', () => {
    const { code, stdout } = run(['scan', '-'], 'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - {name: a, image: "redis:7.2"}\n');
    expect(code).toBe(0);
    expect(stdout).toContain('<stdin>:6:25: warning Container `a` in Pod `p` uses partial version tag `7.2`');
  });

  it('prints help with examples, options grouped, and the version', () => {
    const help = run(['scan', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Examples:');
    expect(help.stdout).toMatch(/--fail-on <severity> +exit 1 when a finding is at or above this\s+severity \(choices: "error", "warning",\s+"note", "never", default: "error"\)/);
    const headings = help.stdout.split('\n').filter((line) => /^[A-Z][A-Za-z ()-]+:$/.test(line));
    expect(headings).toEqual(['Arguments:', 'Output options:', 'Input options:', 'Policy options:', 'Git options:', 'Registry options (with --resolve):', 'Options:', 'Examples:']);
    const pin = run(['pin', '--help']).stdout.split('\n').filter((line) => /^[A-Z][A-Za-z ()-]+:$/.test(line));
    expect(pin).toEqual(['Arguments:', 'Pin options:', 'Policy options:', 'Git options:', 'Registry options:', 'Options:', 'Examples:']);
    const version = run(['--version']);
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });
});

describe('imagedrift pin --only (CLI)', () => {
  const POD = 'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: a, image: "nginx:latest"}]\n';

  it('refuses a value that selects nothing, before anything is read from a registry or written', () => {
    const dir = mkdtempSync(join(tmpdir(), 'imagedrift-only-'));
    mkdirSync(join(dir, 'deploy'));
    writeFileSync(join(dir, 'deploy', 'pod.yaml'), POD);
    const pin = (...only: string[]) => {
      const result = spawnSync(process.execPath, [bin, 'pin', '--offline', ...only.flatMap((value) => ['--only', value]), '.'], { cwd: dir, encoding: 'utf8', env: { PATH: process.env.PATH, HOME: dir } });
      return { code: result.status, stdout: result.stdout, stderr: result.stderr };
    };
    const typo = pin('sidcar');
    expect(typo.code).toBe(2);
    expect(typo.stderr).toBe(
      "imagedrift: --only sidcar: not a rule pin acts on (latest-tag, missing-tag, mutable-tag, partial-version-tag, unversioned-tag, undigested-tag, tag-moved, newer-version-available), a role (app, init, sidecar) or a path that exists (did you mean `sidecar`?)\nsee 'imagedrift pin --help'\n",
    );
    // Stale pins are a selector (it implies --refresh); newer releases only with --upgrade.
    expect(pin('newer-version-available').stderr).toContain('imagedrift: --only newer-version-available: newer releases are only taken with --upgrade patch, minor or major\n');
    expect(pin('parse-error').stderr).toContain('imagedrift: --only parse-error: pin does not act on parse-error findings; it acts on latest-tag, missing-tag');
    expect(pin('services/**').stderr).toContain('imagedrift: --only services/**: no file under . matches it\n');
    expect(pin('deploy/missing.yaml').stderr).toContain('imagedrift: --only deploy/missing.yaml: no such file or directory\n');
    for (const result of [typo, pin('parse-error'), pin('services/**'), pin('deploy/missing.yaml')]) {
      expect(result.code).toBe(2);
      expect(result.stdout).toBe('');
    }
    // Values that select something pass the check (and then the pin runs: offline, nothing is cached).
    for (const value of ['sidecar', 'latest-tag', 'deploy', 'deploy/**', 'deploy/pod.yaml']) expect(pin(value).stderr).not.toContain('--only');
    expect(readFileSync(join(dir, 'deploy', 'pod.yaml'), 'utf8')).toBe(POD);
  });
});
