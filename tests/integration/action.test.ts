// The GitHub Action: action.yml is valid by GitHub's own parser (@actions/workflow-parser, what the
// runner's tooling and the VS Code extension use) and names a file the build writes; its entry point
// (dist/bundle/action.cjs) runs as the runner runs it — `node action.cjs` with INPUT_* variables,
// GITHUB_WORKSPACE, GITHUB_STEP_SUMMARY and GITHUB_OUTPUT files — and leaves annotations on stdout,
// the report in the job summary, a SARIF file and the step outputs.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NoOperationTraceWriter } from '@actions/workflow-parser';
import { parseAction } from '@actions/workflow-parser/actions/action-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { outputLine, readInputs, scanArguments } from '../../src/cli/action.js';

const root = join(import.meta.dirname, '..', '..');
const actionYml = readFileSync(join(root, 'action.yml'), 'utf8');
const action = parse(actionYml) as { runs: { using: string; main: string }; inputs: Record<string, { default?: string }>; outputs: Record<string, unknown> };
const readme = readFileSync(join(root, 'README.md'), 'utf8');

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'imagedrift-action-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const pod = (name: string, image: string) => `apiVersion: v1\nkind: Pod\nmetadata: {name: ${name}}\nspec:\n  containers: [{name: app, image: "${image}"}]\n`;

/** A workspace as actions/checkout leaves it, and the files the runner gives the step. */
function workspace(files: Record<string, string>) {
  const ws = mkdtempSync(join(dir, 'ws-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(ws, name, '..'), { recursive: true });
    writeFileSync(join(ws, name), text);
  }
  const summary = join(dir, `${ws.split('/').at(-1)}-summary.md`);
  const output = join(dir, `${ws.split('/').at(-1)}-output.txt`);
  writeFileSync(summary, '# Earlier step\n');
  writeFileSync(output, '');
  return { ws, summary, output };
}

/** Runs the action's entry point as the runner does: node, the file action.yml names, INPUT_* variables. */
function runAction(ws: { ws: string; summary: string; output: string }, inputs: Record<string, string>) {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: dir,
    GITHUB_ACTIONS: 'true',
    GITHUB_WORKSPACE: ws.ws,
    GITHUB_STEP_SUMMARY: ws.summary,
    GITHUB_OUTPUT: ws.output,
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_REPOSITORY: 'acme/shop',
    GITHUB_SHA: '0123456789abcdef0123456789abcdef01234567',
  };
  // The runner passes every declared input, with its default when the workflow gives none.
  for (const [name, spec] of Object.entries(action.inputs)) env[`INPUT_${name.toUpperCase()}`] = inputs[name] ?? spec.default ?? '';
  const run = spawnSync(process.execPath, [join(root, action.runs.main)], { cwd: ws.ws, encoding: 'utf8', env });
  const outputs = Object.fromEntries(
    readFileSync(ws.output, 'utf8')
      .split('\n')
      .filter((line) => line.includes('='))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
  return { code: run.status, stdout: run.stdout, stderr: run.stderr, outputs, summary: readFileSync(ws.summary, 'utf8') };
}

describe('action.yml', () => {
  it("is valid by GitHub's own action.yml parser, runs on the runner's Node 24, and names the entry point the build writes", () => {
    const parsed = parseAction({ name: 'action.yml', content: actionYml }, new NoOperationTraceWriter());
    expect(parsed.context.errors.getErrors().map((e) => e.message)).toEqual([]);
    // The parser does catch what the runner would refuse.
    const broken = parseAction({ name: 'action.yml', content: actionYml.replace('using: node24', 'using: node99') }, new NoOperationTraceWriter());
    expect(broken.context.errors.getErrors().map((e) => e.message).join('\n')).toContain("Unexpected value 'node99'");
    expect(action.runs.using).toBe('node24');
    expect(existsSync(join(root, action.runs.main))).toBe(true);
  });

  it('documents every input and output in the README', () => {
    const start = readme.indexOf('\n### GitHub Action\n');
    expect(start).toBeGreaterThan(0);
    const section = readme.slice(start, readme.indexOf('\n### ', start + 1));
    for (const name of [...Object.keys(action.inputs), ...Object.keys(action.outputs)]) expect(section, name).toContain(`\`${name}\``);
  });
});

describe('the action run as the runner runs it', () => {
  it('annotates, writes the job summary, SARIF and the outputs, and fails the step on an error', () => {
    const ws = workspace({ 'k8s/web.yaml': pod('web', 'nginx:latest'), 'k8s/db.yaml': pod('db', 'postgres:16.4.0') });
    const { code, stdout, outputs, summary } = runAction(ws, {});
    expect(code).toBe(1);
    expect(stdout).toContain('::error file=k8s/web.yaml,line=5,col=36,endColumn=48,title=latest-tag::Container `app` in Pod `web` uses floating tag `latest`');
    expect(stdout).toContain('::notice file=k8s/db.yaml');
    // Appended after what earlier steps wrote; links point at the commit being built.
    expect(summary.startsWith('# Earlier step\n')).toBe(true);
    expect(summary).toContain('https://github.com/acme/shop/blob/0123456789abcdef0123456789abcdef01234567/k8s/web.yaml#L5');
    expect(outputs).toMatchObject({ 'exit-code': '1', errors: '1', warnings: '0', notes: '1', findings: '2', 'sarif-file': join(ws.ws, 'imagedrift.sarif') });
    const sarif = JSON.parse(readFileSync(join(ws.ws, 'imagedrift.sarif'), 'utf8')) as { runs: Array<{ results: Array<{ ruleId: string }> }> };
    expect(sarif.runs[0]?.results.map((r) => r.ruleId).sort()).toEqual(['latest-tag', 'undigested-tag']);
  });

  it('passes with fail-on never, and honours paths, working-directory, no summary and no SARIF', () => {
    const ws = workspace({ 'deploy/k8s/web.yaml': pod('web', 'nginx:latest'), 'deploy/other/x.yaml': pod('x', 'busybox') });
    const { code, stdout, outputs, summary } = runAction(ws, { 'fail-on': 'never', paths: 'k8s', 'working-directory': 'deploy', summary: 'false', 'sarif-file': '', annotations: 'false' });
    expect(code).toBe(0);
    // The text report instead of annotations; the other directory is not scanned.
    expect(stdout).toContain('k8s/web.yaml:5:36: error Container `app` in Pod `web` uses floating tag `latest`');
    expect(stdout).not.toContain('x.yaml');
    expect(stdout).not.toContain('::error');
    expect(summary).toBe('# Earlier step\n');
    expect(outputs).toMatchObject({ 'exit-code': '0', errors: '1' });
    expect(outputs['sarif-file']).toBeUndefined();
  });

  it('scans only what changed since a ref (the merge base)', () => {
    const ws = workspace({ 'k8s/old.yaml': pod('old', 'nginx:latest') });
    const git = (...args: string[]) => spawnSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd: ws.ws, encoding: 'utf8' });
    git('init', '-q', '-b', 'main', '.');
    git('add', '-A');
    git('commit', '-qm', 'base');
    writeFileSync(join(ws.ws, 'k8s', 'new.yaml'), pod('new', 'redis:latest'));
    const { code, stdout } = runAction(ws, { 'changed-since': 'main' });
    expect(stdout).toContain('file=k8s/new.yaml');
    expect(stdout).not.toContain('old.yaml');
    expect(code).toBe(1);
  });

  it('fails the step with the reason on a bad input or a bad policy, and a path that looks like an option is a path', () => {
    const ws = workspace({ '-odd.yaml': pod('odd', 'nginx:latest'), 'bad-policy.yaml': 'rules:\n  latst-tag: off\n' });
    const bad = runAction(ws, { summary: 'maybe' });
    expect(bad.code).toBe(2);
    expect(bad.stdout).toContain('::error title=imagedrift::input summary: expected true or false, got "maybe"');
    const policy = runAction(ws, { policy: 'bad-policy.yaml' });
    expect(policy.code).toBe(2);
    expect(policy.stderr).toContain('unknown rule `latst-tag`');
    const odd = runAction(ws, { paths: '-odd.yaml' });
    expect(odd.code).toBe(1);
    expect(odd.stdout).toContain('::error file=-odd.yaml');
  });
});

describe('action inputs and outputs', () => {
  it('reads inputs as the runner names them, and builds the scan arguments', () => {
    const inputs = readInputs({ INPUT_PATHS: ' k8s\n ecs  ', 'INPUT_FAIL-ON': 'warning', INPUT_POLICY: '', INPUT_ARGS: '--max-file-size 20M', GITHUB_WORKSPACE: '/ws' });
    expect(inputs).toMatchObject({ paths: ['k8s', 'ecs'], failOn: 'warning', summary: true, annotations: true, args: ['--max-file-size', '20M'], workingDirectory: '/ws' });
    expect(scanArguments(inputs, { json: '/t/r.json', markdown: '/t/r.md' })).toEqual(['scan', '--fail-on', 'warning', '--format', 'json=/t/r.json', '--format', 'github', '--format', 'markdown=/t/r.md', '--max-file-size', '20M', '--', 'k8s', 'ecs']);
  });

  it('writes a value over several lines as a heredoc whose delimiter is not in the value', () => {
    expect(outputLine('errors', '3')).toBe('errors=3\n');
    const line = outputLine('path', 'a\nb');
    const delimiter = /^path<<(\S+)\n/.exec(line)?.[1] ?? '';
    expect(delimiter).toMatch(/^imagedrift_[0-9a-f]{16}$/);
    expect(line).toBe(`path<<${delimiter}\na\nb\n${delimiter}\n`);
  });
});
