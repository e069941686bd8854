// The GitHub Action's entry point (action.yml: `runs.using: node24`, `runs.main:
// dist/bundle/action.cjs`). It runs `imagedrift scan` in the workspace with the inputs the runner
// passes as INPUT_<NAME> variables, and gives GitHub what it reads: workflow commands on stdout
// (annotations), the Markdown report appended to the job summary ($GITHUB_STEP_SUMMARY), a SARIF
// file for code scanning, and step outputs ($GITHUB_OUTPUT). The step fails as the scan's exit code
// says (1 findings at or above fail-on, 2 usage or policy error, 3 incomplete).
//
// The scan runs as a child process of the same Node with the bundle beside this file, exactly as the
// command line runs; nothing is installed at run time (the release's dist/bundle is the program).
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The inputs action.yml declares, as the runner passes them. */
export interface ActionInputs {
  command: 'scan' | 'pr';
  /** For `pr`: the API token (the input defaults to the workflow's github.token). */
  token?: string;
  paths: string[];
  policy?: string;
  failOn: string;
  changedSince?: string;
  sarifFile?: string;
  summary: boolean;
  annotations: boolean;
  args: string[];
  workingDirectory: string;
}

/** An input as the runner passes it: INPUT_ and the name in upper case, spaces as `_` (hyphens stay). */
function input(env: NodeJS.ProcessEnv, name: string): string {
  return (env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] ?? '').trim();
}

/** Words separated by spaces or new lines (no quoting: a path with spaces needs `args` or a policy). */
const words = (value: string): string[] => value.split(/\s+/).filter((word) => word !== '');

function bool(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const value = input(env, name).toLowerCase();
  if (value === '') return fallback;
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new Error(`input ${name}: expected true or false, got ${JSON.stringify(value)}`);
}

export function readInputs(env: NodeJS.ProcessEnv): ActionInputs {
  const paths = words(input(env, 'paths'));
  const policy = input(env, 'policy');
  const changedSince = input(env, 'changed-since');
  const sarifFile = input(env, 'sarif-file');
  const command = input(env, 'command') || 'scan';
  if (command !== 'scan' && command !== 'pr') throw new Error(`input command: expected scan or pr, got ${JSON.stringify(command)}`);
  const token = input(env, 'token');
  return {
    command,
    ...(token !== '' ? { token } : {}),
    paths: paths.length > 0 ? paths : ['.'],
    ...(policy !== '' ? { policy } : {}),
    failOn: input(env, 'fail-on') || 'error',
    ...(changedSince !== '' ? { changedSince } : {}),
    ...(sarifFile !== '' ? { sarifFile } : {}),
    summary: bool(env, 'summary', true),
    annotations: bool(env, 'annotations', true),
    args: words(input(env, 'args')),
    workingDirectory: input(env, 'working-directory') || env.GITHUB_WORKSPACE || process.cwd(),
  };
}

/** The scan's command-line arguments for these inputs, its reports written to `reports`. */
export function scanArguments(inputs: ActionInputs, reports: { json: string; markdown: string }): string[] {
  const args = ['scan', '--fail-on', inputs.failOn, '--format', `json=${reports.json}`];
  args.push('--format', inputs.annotations ? 'github' : 'text');
  if (inputs.summary) args.push('--format', `markdown=${reports.markdown}`);
  if (inputs.sarifFile !== undefined) args.push('--format', `sarif=${inputs.sarifFile}`);
  if (inputs.policy !== undefined) args.push('--policy', inputs.policy);
  if (inputs.changedSince !== undefined) args.push('--changed-since', inputs.changedSince);
  // Options before `--`: a path that starts with `-` is still a path.
  return [...args, ...inputs.args, '--', ...inputs.paths];
}

/** `imagedrift pr`'s arguments for these inputs (its own options come in `args`). */
export function prArguments(inputs: ActionInputs): string[] {
  const args = ['pr'];
  if (inputs.policy !== undefined) args.push('--policy', inputs.policy);
  return [...args, ...inputs.args, '--', ...inputs.paths];
}

/** One step output in the runner's file format; a value over several lines uses a heredoc. */
export function outputLine(name: string, value: string): string {
  if (!/[\r\n]/.test(value)) return `${name}=${value}\n`;
  let delimiter: string;
  do delimiter = `imagedrift_${randomBytes(8).toString('hex')}`;
  while (value.includes(delimiter));
  return `${name}<<${delimiter}\n${value}\n${delimiter}\n`;
}

/** The command line beside this file: the bundle's main.cjs, or tsc's main.js in dist/cli. */
function cliPath(): string {
  return fileURLToPath(new URL(import.meta.url.endsWith('.cjs') ? './main.cjs' : './main.js', import.meta.url));
}

export function runAction(env: NodeJS.ProcessEnv = process.env): number {
  let inputs: ActionInputs;
  try {
    inputs = readInputs(env);
  } catch (err) {
    process.stdout.write(`::error title=imagedrift::${(err as Error).message.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A')}\n`);
    return 2;
  }
  if (inputs.command === 'pr') {
    const cwd = resolve(env.GITHUB_WORKSPACE ?? process.cwd(), inputs.workingDirectory);
    // The token reaches imagedrift in the environment, never on a command line.
    const childEnv = inputs.token !== undefined ? { ...env, GITHUB_TOKEN: inputs.token } : env;
    const run = spawnSync(process.execPath, [cliPath(), ...prArguments(inputs)], { cwd, env: childEnv, stdio: 'inherit' });
    const code = run.status ?? 2;
    if (env.GITHUB_OUTPUT) appendFileSync(env.GITHUB_OUTPUT, outputLine('exit-code', String(code)));
    return code;
  }
  const reports = mkdtempSync(join(tmpdir(), 'imagedrift-action-'));
  try {
    const json = join(reports, 'report.json');
    const markdown = join(reports, 'report.md');
    const cwd = resolve(env.GITHUB_WORKSPACE ?? process.cwd(), inputs.workingDirectory);
    const run = spawnSync(process.execPath, [cliPath(), ...scanArguments(inputs, { json, markdown })], { cwd, env, stdio: 'inherit' });
    const code = run.status ?? 2;
    if (inputs.summary && env.GITHUB_STEP_SUMMARY && existsSync(markdown)) appendFileSync(env.GITHUB_STEP_SUMMARY, readFileSync(markdown));
    if (env.GITHUB_OUTPUT) {
      const outputs: Array<[string, string]> = [['exit-code', String(code)]];
      if (existsSync(json)) {
        const summary = (JSON.parse(readFileSync(json, 'utf8')) as { summary?: { bySeverity?: Record<string, number> } }).summary?.bySeverity ?? {};
        const count = (severity: string) => summary[severity] ?? 0;
        outputs.push(['errors', String(count('error'))], ['warnings', String(count('warning'))], ['notes', String(count('note'))], ['findings', String(count('error') + count('warning') + count('note'))]);
      }
      if (inputs.sarifFile !== undefined) {
        const sarif = isAbsolute(inputs.sarifFile) ? inputs.sarifFile : join(cwd, inputs.sarifFile);
        if (existsSync(sarif)) outputs.push(['sarif-file', sarif]);
      }
      appendFileSync(env.GITHUB_OUTPUT, outputs.map(([name, value]) => outputLine(name, value)).join(''));
    }
    return code;
  } finally {
    rmSync(reports, { recursive: true, force: true });
  }
}

