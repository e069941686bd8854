// The built CLI's outputs: several reports from one run (--format NAME=FILE), --output, the usage
// errors that keep two reports from colliding, SARIF that validates, and Markdown links that
// follow the CI system's variables.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sarifValidator } from '../unit/report-sarif-schema.js';

const bin = join(import.meta.dirname, '..', '..', 'bin', 'imagedrift.js');

function cli(args: string[], cwd: string, extraEnv: NodeJS.ProcessEnv = {}) {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1', ...extraEnv };
  const result = spawnSync(process.execPath, [bin, ...args], { cwd, encoding: 'utf8', env });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function repo(): string {
  const dir = mkdtempSync(join(tmpdir(), 'imagedrift-out-'));
  const files: Record<string, string> = {
    '.git/HEAD': 'ref: refs/heads/main\n',
    'ecs/task.json': '{\n  "family": "api",\n  "containerDefinitions": [\n    {"name": "api", "image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/api:2.0.1"},\n    {"name": "otel", "image": "public.ecr.aws/aws-observability/aws-otel-collector:latest", "essential": false}\n  ]\n}\n',
  };
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

describe('imagedrift scan outputs (CLI)', () => {
  it('writes text, SARIF and Markdown from one run', () => {
    const dir = repo();
    const result = cli(['scan', '--format', 'text', '--format', 'sarif=out/results.sarif', '--format', 'markdown=summary.md', 'ecs'], dir);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('ecs/task.json:5:32: error Sidecar `otel` in task definition `api` uses floating tag `latest`');
    const sarif = JSON.parse(readFileSync(join(dir, 'out', 'results.sarif'), 'utf8'));
    const validate = sarifValidator();
    expect(validate(sarif) ? [] : validate.errors).toEqual([]);
    expect(sarif.runs[0].results.map((r: any) => [r.ruleId, r.level, r.locations[0].physicalLocation.artifactLocation.uri])).toEqual([
      ['undigested-tag', 'note', 'ecs/task.json'],
      ['latest-tag', 'error', 'ecs/task.json'],
    ]);
    const md = readFileSync(join(dir, 'summary.md'), 'utf8');
    expect(md).toContain('| 🔴 error | 1 |');
    expect(md).toContain('### 🔴 Errors (1)');
    expect(md).toContain('| `ecs/task.json:5:32` | 🔴 error |');
  });

  it('gives repository-relative paths to SARIF and GitHub annotations when run from a subdirectory', () => {
    const dir = repo();
    const result = cli(['scan', '--format', 'github', '--format', 'sarif=../r.sarif', '.'], join(dir, 'ecs'));
    expect(result.stdout.split('\n')[0]).toBe(
      '::error file=ecs/task.json,line=5,col=32,endColumn=90,title=latest-tag::Sidecar `otel` in task definition `api` uses floating tag `latest`: any task replacement can pull a different build',
    );
    const sarif = JSON.parse(readFileSync(join(dir, 'r.sarif'), 'utf8'));
    expect(sarif.runs[0].results[1].locations[0].physicalLocation.artifactLocation.uri).toBe('ecs/task.json');
  });

  it('--output sends the one report without a file there', () => {
    const dir = repo();
    const result = cli(['scan', '--format', 'json', '-o', 'report.json', '--format', 'github=annotations.txt', 'ecs'], dir);
    expect(result.stdout).toBe('');
    expect(JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')).schema).toBe('imagedrift.scan/v1');
    expect(readFileSync(join(dir, 'annotations.txt'), 'utf8')).toMatch(/^::error file=ecs\/task.json,line=5,[^\n]*\n::notice file=ecs\/task.json,line=4,/);
  });

  it('refuses two reports on stdout, two on one file, an unknown format and a stray --output', () => {
    const dir = repo();
    const twoStdout = cli(['scan', '--format', 'text', '--format', 'sarif', 'ecs'], dir);
    expect(twoStdout.code).toBe(2);
    expect(twoStdout.stderr).toBe('imagedrift: only one report can go to stdout: give the others a file (--format sarif=FILE)\n');
    const sameFile = cli(['scan', '--format', 'sarif=x.out', '--format', 'markdown=./x.out', 'ecs'], dir);
    expect(sameFile.code).toBe(2);
    expect(sameFile.stderr).toBe('imagedrift: ./x.out: both the sarif and the markdown report would be written there\n');
    const unknown = cli(['scan', '--format', 'xml=x.xml', 'ecs'], dir);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("option '-f, --format <format[=file]>' argument 'xml=x.xml' is invalid. expected one of text, json, sarif, github, markdown, html");
    const stray = cli(['scan', '--format', 'sarif=a.sarif', '--output', 'b.txt', 'ecs'], dir);
    expect(stray.code).toBe(2);
    expect(stray.stderr).toBe('imagedrift: --output has no report to write: every --format already names its file\n');
    expect(existsSync(join(dir, 'a.sarif'))).toBe(false); // nothing written on a usage error
  });

  it('links Markdown to the commit on GitHub Actions and GitLab CI, or to --link-base', () => {
    const dir = repo();
    const gh = cli(['scan', '--format', 'markdown', 'ecs'], dir, { GITHUB_SERVER_URL: 'https://github.com', GITHUB_REPOSITORY: 'acme/deploy', GITHUB_SHA: 'abc123' });
    expect(gh.stdout).toContain('[`ecs/task.json:5:32`](https://github.com/acme/deploy/blob/abc123/ecs/task.json#L5)');
    const gl = cli(['scan', '--format', 'markdown', 'ecs'], dir, { CI_PROJECT_URL: 'https://gitlab.example.com/acme/deploy', CI_COMMIT_SHA: 'def456' });
    expect(gl.stdout).toContain('[`ecs/task.json:5:32`](https://gitlab.example.com/acme/deploy/-/blob/def456/ecs/task.json#L5)');
    const explicit = cli(['scan', '--format', 'markdown', '--link-base', 'https://git.example.org/view/', 'ecs'], dir, { GITHUB_SERVER_URL: 'https://github.com', GITHUB_REPOSITORY: 'a/b', GITHUB_SHA: 'c' });
    expect(explicit.stdout).toContain('[`ecs/task.json:5:32`](https://git.example.org/view/ecs/task.json#L5)');
  });

  it('prints hostile names inert in every human format: no workflow command, no terminal escape', () => {
    const dir = repo();
    const evil = 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: "p\\n::error file=x::injected"\nspec:\n  containers:\n    - name: "c\\u001b[2J\\n::warning::also"\n      image: nginx:latest\n';
    writeFileSync(join(dir, 'evil.yaml'), evil);
    const result = cli(['scan', '--format', 'text', '--format', 'github=gh.txt', '--format', 'markdown=r.md', '--format', 'html=r.html', 'evil.yaml'], dir);
    expect(result.code).toBe(1);
    const outputs = { text: result.stdout, github: readFileSync(join(dir, 'gh.txt'), 'utf8'), markdown: readFileSync(join(dir, 'r.md'), 'utf8'), html: readFileSync(join(dir, 'r.html'), 'utf8') };
    for (const [format, out] of Object.entries(outputs)) {
      expect(out, format).not.toContain('\u001b');
      const commands = out.split('\n').filter((line) => /^\s*::/.test(line));
      // Only the github format's own annotations start with `::`, one per finding, with the names escaped inside.
      if (format === 'github') expect(commands.every((line) => /^::(error|warning|notice) file=evil\.yaml,/.test(line)), commands.join('\n')).toBe(true);
      else expect(commands, format).toEqual([]);
    }
    expect(result.stdout).toContain('Container `c\\u001b[2J\\n::warning::also` in Pod `p\\n::error file=x::injected`');
  });
});
