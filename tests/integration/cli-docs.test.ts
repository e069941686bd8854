// What the README and .pre-commit-hooks.yaml promise: the policy example loads as written, the CI
// snippets are valid YAML, and the pre-commit hook's entry, run the way pre-commit runs it (the
// matching staged file names as arguments), gates and honours the policy's path filters.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { NoOperationTraceWriter, parseWorkflow } from '@actions/workflow-parser';
import { parse, parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { parsePolicy } from '../../src/policy/parse.js';
import { isScannedName } from '../../src/core/file-names.js';

const root = join(import.meta.dirname, '..', '..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');

function section(title: string): string {
  const start = readme.indexOf(`\n## ${title}\n`);
  expect(start, title).toBeGreaterThan(0);
  const end = readme.indexOf('\n## ', start + 1);
  return readme.slice(start, end === -1 ? undefined : end);
}

/** What GitHub's own workflow parser finds wrong with a workflow. */
function workflowErrors(name: string, content: string): string[] {
  return parseWorkflow({ name, content }, new NoOperationTraceWriter()).context.errors.getErrors().map((e) => e.message);
}

function yamlBlocks(text: string): string[] {
  return [...text.matchAll(/```yaml\n([\s\S]*?)```/g)].map((match) => match[1] ?? '');
}

describe('README', () => {
  it('documents the policy with a full example that loads as written', () => {
    const [example] = yamlBlocks(section('Policy'));
    expect(example).toContain('extends: default');
    expect(example).toContain('expires: 2027-01-31');
    const layer = parsePolicy(example ?? '', { id: 'readme', display: 'README.md' });
    expect(layer.exceptions).toHaveLength(1);
    expect(layer.overrides[0]?.paths).toEqual(['deploy/prod/**']);
    for (const heading of ['Which file', 'Merging', 'Globs', 'Exceptions', 'Inline suppressions', 'Errors']) expect(section('Policy')).toContain(`**${heading}.**`);
  });

  it('has CI snippets that are valid YAML and valid workflows by GitHub\'s own parser, using the Action as it is', () => {
    const blocks = yamlBlocks(section('Use in CI'));
    expect(blocks.length).toBeGreaterThanOrEqual(5);
    for (const block of blocks) {
      const docs = parseAllDocuments(block);
      for (const doc of docs) expect(doc.errors.map((e) => e.message)).toEqual([]);
    }
    const workflows = blocks.filter((block) => /^on:/m.test(block));
    expect(workflows.length).toBeGreaterThanOrEqual(1);
    for (const workflow of workflows) expect(workflowErrors('README.md', workflow)).toEqual([]);
    const workflow = parse(workflows[0] ?? '') as { jobs: Record<string, { steps: Array<{ id?: string; uses?: string; with?: Record<string, string> }> }> };
    const steps = Object.values(workflow.jobs)[0]?.steps ?? [];
    const action = steps.find((step) => step.uses?.startsWith('imagedrift/imagedrift@'));
    expect(action?.with?.['fail-on']).toBe('error');
    // The SARIF the Action writes is what code scanning uploads.
    expect(steps.find((step) => step.uses?.startsWith('github/codeql-action/upload-sarif@'))?.with?.sarif_file).toBe(`\${{ steps.${action?.id}.outputs.sarif-file }}`);
  });

  it('pins what its CI snippets and workflows use: actions by commit SHA with the version beside it, images by digest', () => {
    const texts: Array<[string, string]> = [
      ...yamlBlocks(readme).map((block, i): [string, string] => [`README YAML block ${i}`, block]),
      ...readdirSync(join(root, '.github', 'workflows')).map((name): [string, string] => [`.github/workflows/${name}`, readFileSync(join(root, '.github', 'workflows', name), 'utf8')]),
    ];
    let uses = 0;
    for (const [where, text] of texts) {
      for (const match of text.matchAll(/^\s*(?:- )?uses:\s*(\S+)@(\S+)(.*)$/gm)) {
        const [, name, ref, rest] = match;
        // The Action itself has no release yet whose commit the README could name.
        if (name === 'imagedrift/imagedrift') continue;
        uses++;
        expect(ref, `${where}: ${name}`).toMatch(/^[0-9a-f]{40}$/);
        expect(rest, `${where}: ${name}`).toMatch(/^ # v\d+\.\d+\.\d+$/);
      }
    }
    // Images in the CI snippets and the Kubernetes audit's CronJob (the other examples show what is flagged).
    for (const text of [...yamlBlocks(section('Use in CI')), ...yamlBlocks(section('Autofix pull requests')), ...yamlBlocks(section('Auditing live Kubernetes')).filter((block) => block.includes('kind: CronJob'))]) {
      for (const match of text.matchAll(/^\s*image:\s*(\S+)/gm)) expect(match[1]).toMatch(/@sha256:[0-9a-f]{64}$/);
    }
    expect(uses).toBeGreaterThanOrEqual(5);
  });

  it('has workflows in every section that are valid by GitHub\'s own parser', () => {
    const workflows = yamlBlocks(readme).filter((block) => /^on:/m.test(block) && /^jobs:/m.test(block));
    // The gate, autofix pull requests, the nightly audit and its sharded form.
    expect(workflows.length).toBeGreaterThanOrEqual(4);
    for (const workflow of workflows) expect(workflowErrors('README.md', workflow)).toEqual([]);
  });

  it('ships workflows that are valid by GitHub\'s own parser', () => {
    for (const name of readdirSync(join(root, '.github', 'workflows'))) {
      expect(workflowErrors(name, readFileSync(join(root, '.github', 'workflows', name), 'utf8'))).toEqual([]);
    }
  });
});

describe('README: Autofix pull requests', () => {
  const help = spawnSync(process.execPath, [join(root, 'bin', 'imagedrift.js'), 'pr', '--help'], { encoding: 'utf8' }).stdout;

  /** Every `--option` of an `imagedrift pr` command line is one the command has. */
  function expectKnownOptions(command: string): void {
    const options = [...command.matchAll(/(?<=\s)--[a-z-]+/g)].map((m) => m[0]);
    expect(options.length).toBeGreaterThan(0);
    for (const option of options) expect(help, option).toContain(option);
  }

  it('has a scheduled and on-demand GitHub workflow with the permissions pr needs, running the Action as it is', () => {
    const blocks = yamlBlocks(section('Autofix pull requests'));
    expect(blocks).toHaveLength(2);
    for (const block of blocks) expect(parseAllDocuments(block).flatMap((doc) => doc.errors.map((e) => e.message))).toEqual([]);
    expect(workflowErrors('README.md', blocks[0] ?? '')).toEqual([]);
    const workflow = parse(blocks[0] ?? '') as { on: Record<string, unknown>; permissions: Record<string, string>; jobs: Record<string, { steps: Array<{ uses?: string; with?: Record<string, string> }> }> };
    expect(Object.keys(workflow.on).sort()).toEqual(['schedule', 'workflow_dispatch']);
    expect(workflow.permissions).toEqual({ contents: 'write', 'pull-requests': 'write' });
    const steps = Object.values(workflow.jobs)[0]?.steps ?? [];
    const checkout = steps.findIndex((step) => step.uses?.startsWith('actions/checkout@'));
    const pr = steps.findIndex((step) => step.uses?.startsWith('imagedrift/imagedrift@'));
    expect(checkout).toBeGreaterThanOrEqual(0);
    expect(pr).toBeGreaterThan(checkout);
    expect(steps[pr]?.with?.command).toBe('pr');
    // Every input it gives is one action.yml declares.
    const declared = Object.keys((parse(readFileSync(join(root, 'action.yml'), 'utf8')) as { inputs: Record<string, unknown> }).inputs);
    for (const name of Object.keys(steps[pr]?.with ?? {})) expect(declared, name).toContain(name);
    expectKnownOptions(`imagedrift pr ${steps[pr]?.with?.args ?? ''}`);
  });

  it('has the GitLab equivalent', () => {
    const gitlab = parse(yamlBlocks(section('Autofix pull requests'))[1] ?? '') as Record<string, { script: string[]; rules: Array<{ if: string }> }>;
    const job = Object.values(gitlab)[0]!;
    expect(job.rules.map((rule) => rule.if)).toEqual(['$CI_PIPELINE_SOURCE == "schedule"', '$CI_PIPELINE_SOURCE == "web"']);
    expect(job.script[0]).toMatch(/^npm install --global \S*imagedrift\S*$/);
    expect(job.script[1]).toMatch(/^imagedrift pr /);
    expectKnownOptions(job.script[1]!);
  });

  it('lists every option pr has', () => {
    const table = section('Autofix pull requests');
    const options = [...help.matchAll(/^\s+(?:-\w, )?(--[a-z-]+)/gm)].map((m) => m[1]!).filter((o) => o !== '--help');
    for (const option of options) expect(table, option).toContain(`\`${option}`);
  });
});

describe('.pre-commit-hooks.yaml', () => {
  const hooks = parse(readFileSync(join(root, '.pre-commit-hooks.yaml'), 'utf8')) as Array<Record<string, unknown>>;
  const hook = hooks.find((entry) => entry.id === 'imagedrift');

  it('declares the hook', () => {
    expect(hook).toMatchObject({ id: 'imagedrift', entry: 'imagedrift scan', language: 'node' });
    const files = new RegExp(String(hook?.files));
    // The same names a directory walk reads.
    const names = ['deploy/app.yaml', 'k8s/x.yml', 'ecs/task.json', 'cfn/stack.template', 'infra/main.tf', 'Dockerfile', 'build/Dockerfile.prod', 'app.Dockerfile', 'Containerfile', 'base/Kustomization', 'README.md', 'main.go', 'values.yaml.bak', 'Dockerfile.md', 'docs/Dockerfile.txt', 'MyDockerfile'];
    for (const name of names) expect(files.test(name), name).toBe(isScannedName(name.split('/').at(-1) ?? name));
    expect(names.filter((name) => files.test(name))).toHaveLength(10);
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { bin: Record<string, string> };
    expect(Object.keys(pkg.bin)).toContain(String(hook?.entry).split(' ')[0]);
  });

  it('gates the files pre-commit passes, with the policy path filters applied', () => {
    const dir = mkdtempSync(join(tmpdir(), 'imagedrift-precommit-'));
    const files: Record<string, string> = {
      '.git/HEAD': 'ref: refs/heads/main\n',
      '.imagedrift.yaml': 'paths:\n  exclude: ["tests/fixtures/**"]\n',
      'k8s/pod.yaml': 'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: a, image: "nginx:1.27.0"}]\n',
      'tests/fixtures/bad.yaml': 'apiVersion: v1\nkind: Pod\nmetadata: {name: f}\nspec:\n  containers: [{name: a, image: "nginx:latest"}]\n',
    };
    for (const [name, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, name)), { recursive: true });
      writeFileSync(join(dir, name), text);
    }
    const matches = new RegExp(String(hook?.files));
    const staged = Object.keys(files).filter((name) => matches.test(name) && !name.startsWith('.git/'));
    expect(staged).toEqual(['.imagedrift.yaml', 'k8s/pod.yaml', 'tests/fixtures/bad.yaml']);
    const [command, ...args] = String(hook?.entry).split(' ');
    expect(command).toBe('imagedrift');
    const run = (names: string[]) => spawnSync(process.execPath, [join(root, 'bin', 'imagedrift.js'), ...args, ...names], { cwd: dir, encoding: 'utf8', env: { PATH: process.env.PATH, NO_COLOR: '1' } });
    const ok = run(staged);
    expect(ok.stdout).toBe('k8s/pod.yaml:5:34: note Container `a` in Pod `p` uses `1.27.0` without a digest: the tag can be re-pushed [undigested-tag]\n1 finding (0 errors, 0 warnings, 1 note) in 1 file, 1 image reference\n');
    expect(ok.status).toBe(0);
    writeFileSync(join(dir, 'k8s', 'pod.yaml'), files['k8s/pod.yaml']!.replace('nginx:1.27.0', 'nginx:latest'));
    const bad = run(staged);
    expect(bad.status).toBe(1);
    expect(bad.stdout).toContain('k8s/pod.yaml:5:34: error Container `a` in Pod `p` uses floating tag `latest`');
  });
});

// pre-commit installs a node hook as it would from the repository's URL: a clone, `npm install`
// there (which builds it), `npm pack`, whose stdout it takes as the tarball's path, and `npm install
// -g` of that tarball into its own environment. Debian's pre-commit (3.0.4) runs it here, with npm
// offline: the clone's packages come from the cache `npm ci` filled, the tarball needs none. The
// repository is this checkout (with its uncommitted changes committed in a copy, as `pre-commit
// try-repo` does), named in a .pre-commit-config.yaml as users name it, and pre-commit's store is
// kept between the two runs, so the hook is installed once.
describe('pre-commit', () => {
  it('installs the hook from this checkout and runs it: fails on a floating tag, passes on a pinned one', () => {
    const work = mkdtempSync(join(tmpdir(), 'imagedrift-pre-commit-'));
    const git = (cwd: string, ...args: string[]) => spawnSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd, encoding: 'utf8' }).stdout.trim();

    let hookRepo = root;
    if (git(root, 'status', '--porcelain') !== '') {
      hookRepo = join(work, 'shadow');
      spawnSync('git', ['clone', '-q', root, hookRepo]);
      // Changed since HEAD (staged or not), and untracked; then what was deleted.
      const changed = [...git(root, 'diff', '--name-only', '--diff-filter=d', 'HEAD').split('\n'), ...git(root, 'ls-files', '-o', '--exclude-standard').split('\n')];
      for (const name of changed.filter(Boolean)) {
        mkdirSync(dirname(join(hookRepo, name)), { recursive: true });
        writeFileSync(join(hookRepo, name), readFileSync(join(root, name)));
      }
      for (const name of git(root, 'diff', '--name-only', '--diff-filter=D', 'HEAD').split('\n').filter(Boolean)) rmSync(join(hookRepo, name), { force: true });
      git(hookRepo, 'add', '-A');
      git(hookRepo, 'commit', '-qm', 'the working tree');
    }
    const rev = git(hookRepo, 'rev-parse', 'HEAD');

    const repo = join(work, 'repo');
    mkdirSync(join(repo, 'k8s'), { recursive: true });
    git(repo, 'init', '-q', '.');
    writeFileSync(join(repo, '.pre-commit-config.yaml'), `repos:\n  - repo: ${hookRepo}\n    rev: ${rev}\n    hooks:\n      - id: imagedrift\n`);
    const pod = (image: string) => `apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: a, image: "${image}"}]\n`;
    // pre-commit's nodeenv takes the first `nodejs`, else `node`, on PATH as the system's: both are
    // the Node under test here, so the hook is installed and run by it.
    const bin = join(work, 'node-bin');
    mkdirSync(bin);
    for (const name of ['nodejs', 'node']) symlinkSync(process.execPath, join(bin, name));
    const env = { ...process.env, PATH: `${bin}:${process.env.PATH}`, PRE_COMMIT_HOME: join(work, 'pre-commit-home'), npm_config_offline: 'true', NO_COLOR: '1' };
    const run = (image: string) => {
      writeFileSync(join(repo, 'k8s', 'pod.yaml'), pod(image));
      git(repo, 'add', '-A');
      return spawnSync('pre-commit', ['run', 'imagedrift', '--files', 'k8s/pod.yaml'], { cwd: repo, encoding: 'utf8', env });
    };

    const floating = run('nginx:latest');
    expect(floating.error).toBeUndefined();
    expect(floating.stdout).toContain('k8s/pod.yaml:5:34: error Container `a` in Pod `p` uses floating tag `latest`');
    expect(floating.stdout).toMatch(/imagedrift \(floating container image tags\)\.+Failed/);
    expect(floating.status).toBe(1);

    const pinned = run(`nginx:1.27.0@sha256:${'a'.repeat(64)}`);
    expect(pinned.stdout).toMatch(/imagedrift \(floating container image tags\)\.+Passed/);
    expect(pinned.stdout).not.toContain('Installing environment');
    expect(pinned.status).toBe(0);
    rmSync(work, { recursive: true, force: true });
    // Installing runs npm and the build in pre-commit's clone: minutes on a busy runner. No speed is
    // asserted; the limit only keeps a hung install from hanging the suite.
  }, 600_000);
});
