// `imagedrift pr` for GitLab merge requests, with real parts: the real git (a bare repository as
// the remote), the real registry with images pushed with chosen `created` times, and a loopback
// GitLab REST API v4 (tests/helpers/fake-gitlab.ts). As a GitLab CI job (CI_JOB_TOKEN, CI_API_V4_URL,
// CI_PROJECT_ID), and with a project access token and --group files.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatTime } from '../../src/policy/release-age.js';
import { startFakeGitLab } from '../helpers/fake-gitlab.js';
import { isolatedGitEnv, makeRepo } from '../helpers/git.js';
import { daysAgo, Pusher, startRegistry } from '../helpers/registry.js';
import type { PushedImage, TestRegistry } from '../helpers/registry.js';

const root = join(import.meta.dirname, '..', '..');
const JOB_TOKEN = 'glcbt-64_JobTokenSECRET0123456789';
const PROJECT_TOKEN = 'glpat-ProjectTokenSECRET987654321';
let registry: TestRegistry;
let host: string;
let collector: PushedImage;

let app: PushedImage;
let freshCreated: string;

function imagedrift(args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(root, 'bin', 'imagedrift.js'), ...args], { cwd, env: { ...env, NO_COLOR: '1', XDG_CACHE_HOME: mkdtempSync(join(tmpdir(), 'imagedrift-xdg-')) } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A pod whose app container is pinned already (refresh finds nothing to do) and whose sidecar is `image`. */
const pod = (name: string, image: string) => `apiVersion: v1
kind: Pod
metadata: {name: ${name}}
spec:
  containers:
    - name: app
      image: ${host}/team/app:1.2.3@${app.digest}
    - name: sidecar
      image: ${image}
`;

const single = (name: string, image: string) => `apiVersion: v1\nkind: Pod\nmetadata: {name: ${name}}\nspec:\n  containers:\n    - name: ${name}\n      image: ${image}\n`;

beforeAll(async () => {
  registry = await startRegistry();
  host = registry.host;
  const push = new Pusher(registry.url);
  collector = await push.pushImage('otel/aws-otel-collector', ['v0.28.0', 'latest'], undefined, { created: daysAgo(30) });
  freshCreated = daysAgo(1);
  await push.pushImage('team/fresh', ['2.0.0', 'latest'], undefined, { created: freshCreated });
  app = await push.pushImage('team/app', ['1.2.3'], undefined, { created: daysAgo(60) });
}, 60_000);

afterAll(async () => registry?.stop());

describe('imagedrift pr (GitLab)', () => {
  it('as a GitLab CI job: opens a merge request (young images wait, listed in it), writes nothing on a second run, keeps it while an image waits', async () => {
    const env = isolatedGitEnv();
    const repo = makeRepo({
      '.imagedrift.yaml': 'pin:\n  minimumReleaseAge: 3d\n',
      'k8s/collector.yaml': pod('collector', `${host}/otel/aws-otel-collector:latest`),
      'k8s/fresh.yaml': pod('fresh', `${host}/team/fresh:latest`),
    }, env);
    const base = repo.git('rev-parse', 'HEAD');
    const api = await startFakeGitLab({ projectId: 42, path: 'acme/shop', token: { header: 'job-token', value: JOB_TOKEN }, bare: repo.bare, env, users: { bob: 7 } });
    const ci = { ...env, GITLAB_CI: 'true', CI_JOB_TOKEN: JOB_TOKEN, CI_API_V4_URL: api.url, CI_PROJECT_ID: '42' };
    try {
      const first = await imagedrift(['pr', '--label', 'images', '--label', 'bot', '--reviewer', 'bob'], repo.work, ci);
      expect(first.code, first.stdout + first.stderr).toBe(0);
      expect(first.stdout).toContain('opened merge request !1: https://gitlab.example/acme/shop/-/merge_requests/1');
      const until = formatTime(Date.parse(freshCreated) + 3 * 86_400_000);
      expect(first.stdout).toContain(`imagedrift/pin: waiting: k8s/fresh.yaml:9:14: ${host}/team/fresh:latest: not pinned yet: released ${formatTime(Date.parse(freshCreated))}, younger than \`pin.minimumReleaseAge\` 3d: waits until ${until}`);
      const [mr] = api.mergeRequests;
      expect(mr).toMatchObject({ iid: 1, state: 'opened', source_branch: 'imagedrift/pin', target_branch: 'main', title: 'fix(images): pin 1 image reference', labels: ['images', 'bot'], reviewer_ids: [7], remove_source_branch: true });
      expect(mr!.description).toContain(`#### [\`k8s/collector.yaml\`](https://gitlab.example/acme/shop/-/blob/${base}/k8s/collector.yaml)`);
      expect(mr!.description).toContain(`| [\`sidecar\`](https://gitlab.example/acme/shop/-/blob/${base}/k8s/collector.yaml#L9) | sidecar | \`${host}/otel/aws-otel-collector:latest\` → \`${host}/otel/aws-otel-collector:v0.28.0@${collector.digest.slice(0, 19)}…\` | \`latest\` is \`v0.28.0\` (image created ${daysAgo(30).slice(0, 10)}) |`);
      expect(mr!.description).toContain('### Waiting (1)');
      expect(mr!.description).toContain(`waits until ${until.replace(/[-:.]/g, (c) => `\\${c}`)}`);
      expect(repo.show('imagedrift/pin', 'k8s/fresh.yaml')).toBe(pod('fresh', `${host}/team/fresh:latest`));
      expect(repo.show('imagedrift/pin', 'k8s/collector.yaml')).toBe(pod('collector', `${host}/otel/aws-otel-collector:v0.28.0@${collector.digest}`));
      expect(api.calls.every((call) => call.token === JOB_TOKEN)).toBe(true);
      expect(first.stdout + first.stderr).not.toContain(JOB_TOKEN);
      expect(readFileSync(join(repo.work, '.git', 'config'), 'utf8')).not.toContain(JOB_TOKEN);

      const writes = api.writes().length;
      const second = await imagedrift(['pr', '--label', 'images'], repo.work, ci);
      expect(second.code, second.stdout + second.stderr).toBe(0);
      expect(second.stdout).toContain('merge request !1 is up to date');
      expect(api.writes()).toHaveLength(writes);

      // Merged; the young image still waits, so the request is not closed yet.
      repo.git('fetch', '--quiet', 'origin');
      repo.git('merge', '--quiet', '--ff-only', 'origin/imagedrift/pin');
      repo.git('push', '--quiet', 'origin', 'main');
      const third = await imagedrift(['pr'], repo.work, ci);
      expect(third.code, third.stdout + third.stderr).toBe(0);
      expect(third.stdout).toContain('imagedrift/pin: nothing new to change (1 waiting, 0 not changed); merge request !1 left as it is');
      expect(api.writes()).toHaveLength(writes);

    } finally {
      await api.stop();
    }
  }, 120_000);

  it('--gitlab with a project token and --group files: one merge request per file, each closed when its file needs nothing', async () => {
    const env = isolatedGitEnv();
    const repo = makeRepo({ 'deploy/a.yaml': single('a', `${host}/team/app:1.2.3`), 'deploy/b.yaml': single('b', `${host}/otel/aws-otel-collector:latest`) }, env);
    const api = await startFakeGitLab({ projectId: 9, path: 'acme/shop', token: { header: 'private-token', value: PROJECT_TOKEN }, bare: repo.bare, env });
    const run = () => imagedrift(['pr', '--gitlab', '--gitlab-url', api.url, '--repo', 'acme/shop', '--group', 'files'], repo.work, { ...env, GITLAB_TOKEN: PROJECT_TOKEN });
    try {
      const first = await run();
      expect(first.code, first.stdout + first.stderr).toBe(0);
      const branches = api.mergeRequests.map((mr) => [mr.source_branch, mr.title]);
      expect(branches).toEqual([
        [expect.stringMatching(/^imagedrift\/pin-deploy-a-yaml-[0-9a-f]{6}$/), 'fix(images): pin 1 image reference in deploy/a.yaml'],
        [expect.stringMatching(/^imagedrift\/pin-deploy-b-yaml-[0-9a-f]{6}$/), 'fix(images): pin 1 image reference in deploy/b.yaml'],
      ]);
      const [a, b] = api.mergeRequests;
      expect(repo.show(a!.source_branch, 'deploy/a.yaml')).toBe(single('a', `${host}/team/app:1.2.3@${app.digest}`));
      expect(repo.show(a!.source_branch, 'deploy/b.yaml')).toBe(single('b', `${host}/otel/aws-otel-collector:latest`));

      // b's change is made on main by hand: its merge request is closed, a's stays as it is.
      repo.commit({ 'deploy/b.yaml': single('b', `${host}/otel/aws-otel-collector:v0.28.0@${collector.digest}`) }, 'pin b');
      const writes = api.writes().length;
      const second = await run();
      expect(second.code, second.stdout + second.stderr).toBe(0);
      expect(api.mergeRequests.map((mr) => mr.state)).toEqual(['opened', 'closed']);
      expect(repo.tip(b!.source_branch)).toBeUndefined();
      // a's branch moves onto the new base (its tree changed with it), and its body links the new commit.
      expect(api.writes().slice(writes).map((call) => `${call.method} ${decodeURIComponent(call.path)}`)).toEqual([
        `PUT /api/v4/projects/acme/shop/merge_requests/1`,
        `PUT /api/v4/projects/acme/shop/merge_requests/2`,
        `DELETE /api/v4/projects/acme/shop/repository/branches/${b!.source_branch}`,
      ]);
      expect(second.stdout + second.stderr).not.toContain(PROJECT_TOKEN);
    } finally {
      await api.stop();
    }
  }, 120_000);
});
