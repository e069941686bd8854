// `imagedrift pr` end to end with real parts: the real git (a bare repository as the remote, a
// clone to run in), the real registry with images this test pushes, and a loopback GitHub REST API
// (tests/helpers/fake-github.ts) used through the real @octokit/rest. A repository with a floating
// sidecar gets a branch and a pull request; a second run writes nothing; a moved tag updates the
// same pull request; once merged, the pull request is closed and the branch deleted.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeGitHub } from '../helpers/fake-github.js';
import { startConnectProxy } from '../helpers/fault-proxy.js';
import type { FakeGitHub } from '../helpers/fake-github.js';
import { isolatedGitEnv, makeRepo, serveGitOverHttp } from '../helpers/git.js';
import type { TestRepo } from '../helpers/git.js';
import { Pusher, startRegistry } from '../helpers/registry.js';
import type { PushedImage, TestRegistry } from '../helpers/registry.js';

const root = join(import.meta.dirname, '..', '..');
const TOKEN = 'ghs_TestToken0123456789abcdefSECRET';
let registry: TestRegistry;
let host: string;
let push: Pusher;
let collector: PushedImage;
let app: PushedImage;
let webOld: PushedImage;
let webRepo = 0;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function imagedrift(args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(root, 'bin', 'imagedrift.js'), ...args], { cwd, env: { ...env, NO_COLOR: '1', XDG_CACHE_HOME: mkdtempSync(join(tmpdir(), 'imagedrift-xdg-')) } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const taskDefinition = (collectorImage: string, appImage: string) => `{
  "family": "checkout",
  "containerDefinitions": [
    {"name": "checkout-api", "image": "${appImage}", "essential": true},
    {"name": "aws-otel-collector", "image": "${collectorImage}", "essential": true}
  ]
}
`;

const deployment = (image: string) => `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  template:
    spec:
      containers:
        - name: web
          image: ${image}
`;

beforeAll(async () => {
  registry = await startRegistry();
  host = registry.host;
  push = new Pusher(registry.url);
  collector = await push.pushImage('otel/aws-otel-collector', ['v0.28.0', 'latest']);
  app = await push.pushImage('team/checkout', ['4.2.1']);
}, 60_000);

afterAll(async () => registry?.stop());

/** A repository whose files name the shared images, and a `stable` tag of its own (so a test may move it). */
async function setup(): Promise<{ repo: TestRepo; env: NodeJS.ProcessEnv; web: string }> {
  const env = isolatedGitEnv();
  const web = `team/web${++webRepo}`;
  webOld = await push.pushImage(web, ['stable', '1.0.0']);
  const repo = makeRepo(
    {
      'ecs/task.json': taskDefinition(`${host}/otel/aws-otel-collector:latest`, `${host}/team/checkout:4.2.1`),
      'k8s/web.yaml': deployment(`${host}/${web}:stable@${webOld.digest}`),
      'README.md': '# shop\n',
    },
    env,
  );
  return { repo, env, web };
}

async function withApi<T>(repo: TestRepo, env: NodeJS.ProcessEnv, fn: (api: FakeGitHub, runEnv: NodeJS.ProcessEnv) => Promise<T>, htmlUrl?: string): Promise<T> {
  const api = await startFakeGitHub({ owner: 'acme', repo: 'shop', token: TOKEN, bare: repo.bare, env, ...(htmlUrl !== undefined ? { htmlUrl } : {}) });
  try {
    return await fn(api, { ...env, GITHUB_TOKEN: TOKEN, GITHUB_API_URL: api.url, GITHUB_REPOSITORY: 'acme/shop' });
  } finally {
    await api.stop();
  }
}

/** The token must never be written into the repository's config nor shown. */
function expectNoLeak(repo: TestRepo, ...runs: Run[]): void {
  expect(readFileSync(join(repo.work, '.git', 'config'), 'utf8')).not.toContain(TOKEN);
  const basic = Buffer.from(`x-access-token:${TOKEN}`).toString('base64');
  for (const run of runs) {
    expect(run.stdout + run.stderr).not.toContain(TOKEN);
    expect(run.stdout + run.stderr).not.toContain(basic);
  }
}

describe('imagedrift pr (GitHub)', () => {
  it('opens one pull request, writes nothing on a second run, updates it when a tag moves, and closes it once merged', async () => {
    const { repo, env, web } = await setup();
    const base = repo.git('rev-parse', 'HEAD');
    await withApi(repo, env, async (api, runEnv) => {
      // 1. The first run: a branch with the pinned files, and a pull request with the body.
      const first = await imagedrift(['pr', '--label', 'dependencies', '--reviewer', 'alice', '--reviewer', 'acme/platform'], repo.work, runEnv);
      expect(first.code, first.stdout + first.stderr).toBe(0);
      expect(first.stdout).toContain('imagedrift/pin: pushed ');
      expect(first.stdout).toContain(`opened pull request #1: https://github.example/acme/shop/pull/1`);
      const tip = repo.tip('imagedrift/pin')!;
      expect(repo.bareGit('rev-parse', `${tip}^`)).toBe(base);
      expect(repo.bareGit('log', '-1', '--format=%B', tip)).toBe(
        `fix(images): pin 2 image references\n\n- ecs/task.json:5 aws-otel-collector: ${host}/otel/aws-otel-collector:latest -> ${host}/otel/aws-otel-collector:v0.28.0@${collector.digest}\n- ecs/task.json:4 checkout-api: ${host}/team/checkout:4.2.1 -> ${host}/team/checkout:4.2.1@${app.digest}\n\nImagedrift-Branch: imagedrift/pin`,
      );
      expect(repo.bareGit('log', '-1', '--format=%an <%ae>', tip)).toBe('Repo Owner <owner@example.com>');
      expect(repo.show('imagedrift/pin', 'ecs/task.json')).toBe(taskDefinition(`${host}/otel/aws-otel-collector:v0.28.0@${collector.digest}`, `${host}/team/checkout:4.2.1@${app.digest}`));
      expect(repo.show('imagedrift/pin', 'k8s/web.yaml')).toBe(deployment(`${host}/${web}:stable@${webOld.digest}`));
      expect(repo.bareGit('diff', '--name-only', base, tip)).toBe('ecs/task.json');
      // The checkout is left as it was: on main, clean, its files untouched.
      expect(repo.git('status', '--porcelain')).toBe('');
      expect(repo.git('rev-parse', '--abbrev-ref', 'HEAD')).toBe('main');

      const [pull] = api.pulls;
      expect(pull).toMatchObject({ number: 1, state: 'open', head: 'imagedrift/pin', base: 'main', title: 'fix(images): pin 2 image references', labels: ['dependencies'], reviewers: ['alice'], teamReviewers: ['platform'] });
      const body = pull!.body;
      expect(body.startsWith('<!-- imagedrift:pr branch=imagedrift/pin -->\n')).toBe(true);
      expect(body).toContain('This pull request pins 2 image references in 1 file (1 sidecar among them, listed first).');
      expect(body).toContain(`#### [\`ecs/task.json\`](https://github.example/acme/shop/blob/${base}/ecs/task.json)`);
      const rows = body.split('\n').filter((line) => line.startsWith('| [`'));
      expect(rows).toEqual([
        `| [\`aws-otel-collector\`](https://github.example/acme/shop/blob/${base}/ecs/task.json#L5) | sidecar | \`${host}/otel/aws-otel-collector:latest\` → \`${host}/otel/aws-otel-collector:v0.28.0@${collector.digest.slice(0, 19)}…\` | \`latest\` is \`v0.28.0\` | [\`latest-tag\`](https://github.com/imagedrift/imagedrift#rule-latest-tag) |`,
        `| [\`checkout-api\`](https://github.example/acme/shop/blob/${base}/ecs/task.json#L4) | app | \`${host}/team/checkout:4.2.1\` → \`${host}/team/checkout:4.2.1@${app.digest.slice(0, 19)}…\` | \`4.2.1\` can be re-pushed: pinned to the digest it points at | [\`undigested-tag\`](https://github.com/imagedrift/imagedrift#rule-undigested-tag) |`,
      ]);
      expect(body).toContain(`skopeo inspect --raw docker://${host}/otel/aws-otel-collector@${collector.digest} | sha256sum   # expect ${collector.digest.slice(7)}`);
      expect(body).toContain(`crane digest ${host}/team/checkout:4.2.1   # expect ${app.digest} while the tag has not moved`);
      // The token went to the API, and to nothing that prints or persists.
      expect(api.calls.every((call) => call.authorization === `token ${TOKEN}`)).toBe(true);
      expectNoLeak(repo, first);

      // 2. Nothing new: no commit, no push, no call that writes.
      const writes = api.writes().length;
      const second = await imagedrift(['pr', '--label', 'dependencies'], repo.work, runEnv);
      expect(second.code, second.stdout + second.stderr).toBe(0);
      expect(second.stdout).toContain('imagedrift/pin: pull request #1 is up to date');
      expect(api.writes().length).toBe(writes);
      expect(repo.tip('imagedrift/pin')).toBe(tip);

      // 3. A pinned tag moves: the same branch is force-pushed (with a lease) and the body rewritten.
      const webNew = await push.pushImage(web, ['stable', '1.1.0']);
      const third = await imagedrift(['pr'], repo.work, runEnv);
      expect(third.code, third.stdout + third.stderr).toBe(0);
      expect(third.stdout).toContain('updated pull request #1');
      expect(api.pulls).toHaveLength(1);
      const updated = api.writes().slice(writes);
      expect(updated.map((call) => `${call.method} ${call.path}`)).toEqual(['PATCH /repos/acme/shop/pulls/1']);
      expect(api.pulls[0]!.title).toBe('fix(images): pin 2 and refresh 1 image references');
      expect(api.pulls[0]!.body).toContain('This pull request pins 2 image references and refreshes 1 in 2 files (1 sidecar among them, listed first).');
      expect(api.pulls[0]!.body).toContain(`| tag \`stable\` moved: \`${webOld.digest.slice(0, 19)}…\` → \`${webNew.digest.slice(0, 19)}…\`, \`1.0.0\` → \`1.1.0\` | [\`tag-moved\`]`);
      expect(repo.show('imagedrift/pin', 'k8s/web.yaml')).toBe(deployment(`${host}/${web}:stable@${webNew.digest}`));
      const newTip = repo.tip('imagedrift/pin')!;
      expect(newTip).not.toBe(tip);
      expect(repo.bareGit('rev-parse', `${newTip}^`)).toBe(base);

      // 4. Merged: nothing is left, so the pull request is closed and its branch deleted.
      repo.git('fetch', '--quiet', 'origin');
      repo.git('merge', '--quiet', '--ff-only', 'origin/imagedrift/pin');
      repo.git('push', '--quiet', 'origin', 'main');
      const fourth = await imagedrift(['pr'], repo.work, runEnv);
      expect(fourth.code, fourth.stdout + fourth.stderr).toBe(0);
      expect(fourth.stdout).toContain('imagedrift/pin: nothing left to change: closed pull request #1 and deleted the branch');
      expect(api.pulls[0]!.state).toBe('closed');
      expect(repo.tip('imagedrift/pin')).toBeUndefined();
      expect(api.writes().slice(-2).map((call) => `${call.method} ${decodeURIComponent(call.path)}`)).toEqual(['PATCH /repos/acme/shop/pulls/1', 'DELETE /repos/acme/shop/git/refs/heads/imagedrift/pin']);
      expectNoLeak(repo, second, third, fourth);

      // 5. And then there is nothing to do at all.
      const fifth = await imagedrift(['pr'], repo.work, runEnv);
      expect(fifth.stdout).toContain('imagedrift/pin: nothing to change');
      expect(api.writes()).toHaveLength(writes + 3);
    });
  }, 120_000);

  it('prints the branch, commit message and body with --dry-run, and writes nothing (the API reached through the proxy)', async () => {
    const { repo, env } = await setup();
    const objects = repo.git('count-objects', '-v');
    // The API is reached through the proxy the environment names, as a CONNECT tunnel.
    const proxy = await startConnectProxy({ resolveName: (name) => (name === 'api.github.test' ? '127.0.0.1' : undefined) });
    try {
      await withApi(repo, env, async (api, runEnv) => {
        const port = new URL(api.url).port;
        const dry = await imagedrift(['pr', '--dry-run'], repo.work, { ...runEnv, GITHUB_API_URL: `http://api.github.test:${port}`, http_proxy: proxy.url, NO_PROXY: '127.0.0.1' });
        expect(dry.code, dry.stdout + dry.stderr).toBe(0);
        expect(dry.stdout).toContain('branch: imagedrift/pin\ncommit message:\n  fix(images): pin 2 image references\n');
        expect(dry.stdout).toContain('pull request title: fix(images): pin 2 image references\npull request body:\n  <!-- imagedrift:pr branch=imagedrift/pin -->\n');
        expect(api.calls.map((call) => `${call.method} ${call.path}`)).toEqual(['GET /repos/acme/shop', 'GET /repos/acme/shop/pulls']);
        expect(proxy.tunnelsTo('api.github.test')).toBeGreaterThan(0);
        expect(proxy.plainRequests).toEqual([]);
        expect(repo.tip('imagedrift/pin')).toBeUndefined();
        expect(repo.git('status', '--porcelain')).toBe('');
        // No git objects were written either: the object store holds what the clone had.
        expect(repo.git('count-objects', '-v')).toBe(objects);
      });
    } finally {
      await proxy.stop();
    }
    // Without a token, a dry run still shows what would be done.
    const offline = await imagedrift(['pr', '--dry-run', '--repo', 'acme/shop'], repo.work, env);
    expect(offline.code, offline.stderr).toBe(0);
    expect(offline.stdout).toContain('commit message:\n  fix(images): pin 2 image references');
  }, 60_000);

  it('runs through the GitHub Action (command: pr), with the token input as the only credential', async () => {
    const { repo, env } = await setup();
    await withApi(repo, env, async (api, runEnv) => {
      const output = join(mkdtempSync(join(tmpdir(), 'imagedrift-action-out-')), 'output');
      writeFileSync(output, '');
      const { GITHUB_TOKEN: _unused, ...withoutToken } = runEnv;
      // The runner passes every input, defaults included; the token comes from the `token` input.
      const inputs = { INPUT_COMMAND: 'pr', INPUT_TOKEN: TOKEN, INPUT_ARGS: '--label dependencies', INPUT_PATHS: '.', 'INPUT_FAIL-ON': 'error', INPUT_SUMMARY: 'true', INPUT_ANNOTATIONS: 'true', 'INPUT_SARIF-FILE': 'imagedrift.sarif', INPUT_POLICY: '', 'INPUT_CHANGED-SINCE': '', 'INPUT_WORKING-DIRECTORY': '' };
      const run = await new Promise<Run>((done) => {
        const child = spawn(process.execPath, [join(root, 'dist', 'bundle', 'action.cjs')], { cwd: repo.work, env: { ...withoutToken, ...inputs, GITHUB_WORKSPACE: repo.work, GITHUB_OUTPUT: output, NO_COLOR: '1', XDG_CACHE_HOME: mkdtempSync(join(tmpdir(), 'imagedrift-xdg-')) } });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
        child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
        child.on('close', (code) => done({ code, stdout, stderr }));
      });
      expect(run.code, run.stdout + run.stderr).toBe(0);
      expect(readFileSync(output, 'utf8')).toBe('exit-code=0\n');
      const opened = api.calls.filter((call) => call.method === 'POST' && call.path === '/repos/acme/shop/pulls');
      expect(opened).toHaveLength(1);
      expect(repo.tip('imagedrift/pin')).toBeDefined();
      expectNoLeak(repo, run);
    });
  }, 60_000);

  it('refuses a dirty working tree, the default branch, and a pull request it did not open', async () => {
    const { repo, env } = await setup();
    await withApi(repo, env, async (api, runEnv) => {
      writeFileSync(join(repo.work, 'README.md'), '# shop, edited\n');
      const dirty = await imagedrift(['pr'], repo.work, runEnv);
      expect(dirty.code).toBe(2);
      expect(dirty.stderr).toBe('imagedrift: imagedrift pr needs a clean working tree, and 1 tracked file has uncommitted changes ("README.md"): commit or stash them first\n');
      repo.git('checkout', '--quiet', '--', 'README.md');

      const onMain = await imagedrift(['pr', '--branch', 'main'], repo.work, runEnv);
      expect(onMain.code).toBe(2);
      expect(onMain.stderr).toBe('imagedrift: --branch main: imagedrift pr never pushes to the default branch (main); choose another --branch\n');

      // Someone else's pull request from the branch imagedrift would use: left alone, and so is the branch.
      repo.git('push', '--quiet', 'origin', 'HEAD:refs/heads/imagedrift/pin');
      api.pulls.push({ number: 7, title: 'my own work', body: 'hands off', state: 'open', head: 'imagedrift/pin', base: 'main', headRepo: 'acme/shop', labels: [], reviewers: [], teamReviewers: [] });
      const before = repo.tip('imagedrift/pin');
      const foreign = await imagedrift(['pr'], repo.work, runEnv);
      expect(foreign.code).toBe(3);
      expect(foreign.stderr).toContain('imagedrift/pin: pull request #7 (https://github.example/acme/shop/pull/7) comes from this branch but was not opened by imagedrift; not touching it or the branch');
      expect(repo.tip('imagedrift/pin')).toBe(before);
      expect(api.writes()).toEqual([]);

      // A branch of that name with commits that are not imagedrift's is not overwritten either.
      api.pulls.length = 0;
      const theirs = await imagedrift(['pr'], repo.work, runEnv);
      expect(theirs.code).toBe(3);
      expect(theirs.stderr).toContain('imagedrift/pin: the branch has commits imagedrift did not make; not touching it');
      expect(repo.tip('imagedrift/pin')).toBe(before);
    });
  }, 60_000);

  it('--group sidecars opens one pull request for the sidecars and one for the rest', async () => {
    const { repo, env } = await setup();
    await withApi(repo, env, async (api, runEnv) => {
      const run = await imagedrift(['pr', '--group', 'sidecars'], repo.work, runEnv);
      expect(run.code, run.stdout + run.stderr).toBe(0);
      expect(api.pulls.map((p) => [p.head, p.title])).toEqual([
        ['imagedrift/pin-sidecars', 'fix(images): pin 1 sidecar image reference'],
        ['imagedrift/pin', 'fix(images): pin 1 image reference'],
      ]);
      expect(repo.show('imagedrift/pin-sidecars', 'ecs/task.json')).toBe(taskDefinition(`${host}/otel/aws-otel-collector:v0.28.0@${collector.digest}`, `${host}/team/checkout:4.2.1`));
      expect(repo.show('imagedrift/pin', 'ecs/task.json')).toBe(taskDefinition(`${host}/otel/aws-otel-collector:latest`, `${host}/team/checkout:4.2.1@${app.digest}`));
    });
  }, 60_000);

  it('pushes over HTTP with the token as a header git sends, never stored in .git/config nor printed', async () => {
    const env = isolatedGitEnv();
    const { repo } = { repo: makeRepo({ 'ecs/task.json': taskDefinition(`${host}/otel/aws-otel-collector:latest`, `${host}/team/checkout:4.2.1`) }, env) };
    const expected = `Basic ${Buffer.from(`x-access-token:${TOKEN}`).toString('base64')}`;
    const server = await serveGitOverHttp(join(repo.bare, '..'), expected, env);
    try {
      repo.git('remote', 'set-url', 'origin', `${server.origin}/remote.git`);
      // As actions/checkout leaves it: a stale header for the origin in the config, which imagedrift replaces.
      repo.git('config', `http.${server.origin}/.extraheader`, 'AUTHORIZATION: basic c3RhbGU6c3RhbGU=');
      await withApi(
        repo,
        env,
        async (api, runEnv) => {
          const run = await imagedrift(['pr'], repo.work, runEnv);
          expect(run.code, run.stdout + run.stderr).toBe(0);
          expect(api.pulls).toHaveLength(1);
          expect(repo.show('imagedrift/pin', 'ecs/task.json')).toContain(`aws-otel-collector:v0.28.0@${collector.digest}`);
          expect(server.authorizations.length).toBeGreaterThan(0);
          expect(server.authorizations.every((a) => a === expected)).toBe(true);
          expectNoLeak(repo, run);
          expect(readFileSync(join(repo.work, '.git', 'config'), 'utf8')).not.toContain(Buffer.from(`x-access-token:${TOKEN}`).toString('base64'));
        },
        `${server.origin}/acme/shop`,
      );
    } finally {
      await server.stop();
    }
  }, 60_000);
});
