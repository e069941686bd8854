// The text of autofix pull requests: Conventional Commits titles and messages, the reviewer's body
// (sidecars first, why, rule, links, verification commands), Markdown escaping of everything that
// comes from files or registries (no HTML, no mention, no issue link, no control character, no
// broken table), the size cap, and reading git remote URLs.
import { describe, expect, it } from 'vitest';
import type { PinnedReference } from '../../src/fix/pin.js';
import { body, commitMessage, hasTrailer, isOurs, marker, title, verifyCommands, why } from '../../src/pr/body.js';
import type { BodyInput } from '../../src/pr/body.js';
import { parseRemoteUrl } from '../../src/pr/forge.js';
import { code, prose, url } from '../../src/pr/markdown.js';

const D1 = `sha256:${'1'.repeat(64)}`;
const D2 = `sha256:${'2'.repeat(64)}`;

function pin(over: Partial<PinnedReference> & Pick<PinnedReference, 'from' | 'to'>): PinnedReference {
  return { line: 4, column: 17, kind: 'pin', rule: 'undigested-tag', container: { name: 'app', role: 'app' }, workload: { kind: 'Deployment', name: 'web' }, proposal: { digest: D1 }, ...over };
}

const collector = pin({
  line: 9,
  from: 'public.ecr.aws/aws-observability/aws-otel-collector:latest',
  to: `public.ecr.aws/aws-observability/aws-otel-collector:v0.28.0@${D1}`,
  rule: 'latest-tag',
  container: { name: 'aws-otel-collector', role: 'sidecar' },
  proposal: { digest: D1, versionTag: 'v0.28.0', created: '2026-11-02T10:00:00Z' },
});
const app = pin({ from: 'ghcr.io/acme/app:1.2.3', to: `ghcr.io/acme/app:1.2.3@${D2}`, proposal: { digest: D2 } });

function input(over: Partial<BodyInput> = {}): BodyInput {
  return {
    branch: 'imagedrift/pin',
    files: [{ path: 'deploy/task.json', pinned: [app, collector] }],
    waiting: [],
    left: [],
    noun: 'pull request',
    version: '1.2.0',
    link: (path, line) => `https://github.com/acme/shop/blob/abc123/${path}${line !== undefined ? `#L${line}` : ''}`,
    ...over,
  };
}

describe('titles and commit messages', () => {
  it('follow Conventional Commits and count each kind of change', () => {
    expect(title(input())).toBe('fix(images): pin 2 image references');
    expect(title(input({ files: [{ path: 'a.yaml', pinned: [app] }] }))).toBe('fix(images): pin 1 image reference');
    const refresh = pin({ from: `ghcr.io/acme/web:stable@${D1}`, to: `ghcr.io/acme/web:stable@${D2}`, kind: 'refresh', rule: 'tag-moved', proposal: { digest: D2, previousDigest: D1, kind: 'refresh' } });
    const upgrade = pin({ from: 'ghcr.io/acme/app:1.2.3', to: `ghcr.io/acme/app:1.2.4@${D2}`, kind: 'upgrade', rule: 'newer-version-available', proposal: { digest: D2, kind: 'upgrade', tag: '1.2.4' } });
    expect(title(input({ files: [{ path: 'a.yaml', pinned: [app, refresh, upgrade, upgrade] }] }))).toBe('fix(images): pin 1, refresh 1 and upgrade 2 image references');
    expect(title(input({ group: 'sidecars', files: [{ path: 'a.yaml', pinned: [collector] }] }))).toBe('fix(images): pin 1 sidecar image reference');
    expect(title(input({ group: 'deploy/a.yaml' }))).toBe('fix(images): pin 2 image references in deploy/a.yaml');
  });

  it('list every change, sidecars first, and end with the trailer that marks the commit', () => {
    const message = commitMessage(input());
    expect(message).toBe(
      `fix(images): pin 2 image references\n\n- deploy/task.json:9 aws-otel-collector: ${collector.from} -> ${collector.to}\n- deploy/task.json:4 app: ${app.from} -> ${app.to}\n\nImagedrift-Branch: imagedrift/pin\n`,
    );
    expect(hasTrailer(message, 'imagedrift/pin')).toBe(true);
    expect(hasTrailer(message, 'imagedrift/pin-sidecars')).toBe(false);
  });
});

describe('the body', () => {
  it('starts with the marker, and tables each file with container, role, change, why, rule and links', () => {
    const text = body(input());
    expect(text.startsWith(`${marker('imagedrift/pin')}\n`)).toBe(true);
    expect(isOurs(text, 'imagedrift/pin')).toBe(true);
    expect(isOurs(`text first\n${text}`, 'imagedrift/pin')).toBe(false);
    expect(isOurs(text, 'imagedrift/pin-sidecars')).toBe(false);
    const rows = text.split('\n').filter((line) => line.startsWith('| [`'));
    expect(rows).toEqual([
      `| [\`aws-otel-collector\`](https://github.com/acme/shop/blob/abc123/deploy/task.json#L9) | sidecar | \`public.ecr.aws/aws-observability/aws-otel-collector:latest\` → \`public.ecr.aws/aws-observability/aws-otel-collector:v0.28.0@sha256:111111111111…\` | \`latest\` is \`v0.28.0\` (image created 2026-11-02) | [\`latest-tag\`](https://github.com/imagedrift/imagedrift#rule-latest-tag) |`,
      `| [\`app\`](https://github.com/acme/shop/blob/abc123/deploy/task.json#L4) | app | \`ghcr.io/acme/app:1.2.3\` → \`ghcr.io/acme/app:1.2.3@sha256:222222222222…\` | \`1.2.3\` can be re-pushed: pinned to the digest it points at | [\`undigested-tag\`](https://github.com/imagedrift/imagedrift#rule-undigested-tag) |`,
    ]);
    expect(text).toContain(`skopeo inspect --raw docker://public.ecr.aws/aws-observability/aws-otel-collector@${D1} | sha256sum   # expect ${'1'.repeat(64)}`);
    expect(text).toContain(`crane digest public.ecr.aws/aws-observability/aws-otel-collector:v0.28.0   # expect ${D1} while the tag has not moved`);
    // The same inputs give the same text (an unchanged pull request is never rewritten).
    expect(body(input())).toBe(text);
  });

  it('says why for each kind of change', () => {
    const refresh = pin({ from: `ghcr.io/acme/web:1.4.2@${D1}`, to: `ghcr.io/acme/web:1.4.2@${D2}`, kind: 'refresh', rule: 'tag-moved', proposal: { kind: 'refresh', digest: D2, previousDigest: D1, created: '2026-11-30T08:00:00Z' } });
    expect(why(refresh)).toBe('tag `1.4.2` moved to an image created 2026-11-30: `sha256:111111111111…` → `sha256:222222222222…`');
    const upgrade = pin({ from: 'ghcr.io/acme/app:1.2.3', to: `ghcr.io/acme/app:1.3.0@${D2}`, kind: 'upgrade', rule: 'newer-version-available', proposal: { kind: 'upgrade', tag: '1.3.0', digest: D2, note: 'the upgrade to 1.3.1: waits until 2026-12-03 10:00 UTC' } });
    expect(why(upgrade)).toBe('newer minor release: `1.2.3` → `1.3.0`; the upgrade to 1\\.3\\.1\\: waits until 2026\\-12\\-03 10\\:00 UTC');
    expect(why(pin({ from: 'nginx', to: `nginx:1.27.0@${D1}`, rule: 'missing-tag', proposal: { digest: D1, versionTag: '1.27.0' } }))).toBe('no tag means `latest`, which is `1.27.0`: pinned to what it points at now');
    expect(why(pin({ from: 'nginx:stable', to: `nginx:stable@${D1}`, rule: 'mutable-tag' }))).toBe('`stable` moves: pinned to what it points at now');
  });

  it('lists what waits and what could not be done', () => {
    const text = body(input({ waiting: [{ path: 'k8s/a.yaml', line: 7, column: 14, image: 'ghcr.io/acme/new:latest', reason: 'not pinned yet: released 2026-12-01 10:00 UTC, waits until 2026-12-04 10:00 UTC', until: 0 }], left: [{ path: 'k8s/b.yaml', line: 3, column: 9, image: 'quay.io/x/y:1.0.0', reason: 'access denied by quay.io (HTTP 401)' }] }));
    expect(text).toContain('### Waiting (1)\n\n- `k8s/a.yaml:7` `ghcr.io/acme/new:latest`: not pinned yet\\: released 2026\\-12\\-01 10\\:00 UTC, waits until 2026\\-12\\-04 10\\:00 UTC\n');
    expect(text).toContain('### Not changed (1)\n\n- `k8s/b.yaml:3` `quay.io/x/y:1.0.0`: access denied by quay\\.io \\(HTTP 401\\)\n');
  });

  it('escapes everything that comes from files or registries', () => {
    const hostile = pin({
      from: 'ghcr.io/acme/app:1.2.3',
      to: `ghcr.io/acme/app:1.2.3@${D2}`,
      container: { name: 'x` | <img src=x onerror=alert(1)> @octocat #1 \u202e\u0007\u001b[31m', role: 'app' },
    });
    const text = body(input({
      files: [{ path: 'deploy/<script>alert(1)</script>|@team.yaml', pinned: [hostile] }],
      left: [{ path: 'a.yaml', line: 1, column: 1, image: 'quay.io/x/y:1', reason: '<b>denied</b> by @admin, see #12 and [link](javascript:alert(1)) ![img](http://t/x.png) `code` |' }],
    }));
    // No control characters or bidirectional overrides anywhere.
    expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
    // No raw HTML outside code spans: tags only appear inside backticks or as entities.
    const outsideCode = text.replace(/(`+)(?:(?!\1)[\s\S])*?\1/g, '').replace(/\]\(https:\/\/[^)\s]*\)/g, ']');
    // Link targets stay in one table cell.
    expect(text).toContain('(https://github.com/acme/shop/blob/abc123/deploy/%3Cscript%3Ealert%281%29%3C/script%3E%7C@team.yaml#L4)');
    expect(outsideCode).not.toMatch(/<(?!!-- imagedrift:pr|details>|\/details>|summary>|\/summary>)[a-z/]/i);
    // Mentions and issue references cannot form: `@` and `#` outside code are followed by a word joiner.
    expect(outsideCode).not.toMatch(/@[A-Za-z0-9]/);
    expect(outsideCode).not.toMatch(/(^|[^\\])#\d/m);
    // No link but ours: `](` only where the body makes a link, never from the text.
    expect(outsideCode).not.toContain('](javascript');
    expect(text).toContain('\\[link\\]\\(javascript\\:alert\\(1\\)\\)');
    // The table keeps its five cells: every `|` from the values is escaped.
    const row = text.split('\n').find((line) => line.includes('onerror'))!;
    expect(row.split(/(?<!\\)\|/).length).toBe(7);
    expect(row).toContain('\\u202e\\u0007\\u001b[31m');
    expect(row).toContain('``x` \\| <img src=x onerror=alert(1)> @octocat #1');
  });

  it('stays under GitHub\'s size limit, counting the files left out', () => {
    const many = Array.from({ length: 400 }, (_, i) => ({ path: `deploy/service-${i}/task-definition.json`, pinned: [app, collector] }));
    const text = body(input({ files: many }));
    expect(text.length).toBeLessThan(65_536);
    expect(text).toMatch(/… and \d+ more files: the commit lists every change\./);
    expect(text.trimEnd().endsWith('imagedrift leaves it alone.')).toBe(true);
  });
});

describe('Markdown helpers', () => {
  it('fences code spans around backticks, and shows hidden characters', () => {
    expect(code('a`b')).toBe('``a`b``');
    expect(code('`x`')).toBe('`` `x` ``');
    expect(code('a|b', true)).toBe('`a\\|b`');
    expect(code('\u200b')).toBe('`\\u200b`');
    expect(prose('**bold** _it_ <b> & @me #7, https://x.test/a')).toBe('\\*\\*bold\\*\\* \\_it\\_ &lt;b&gt; &amp; @\u2060me \\#\u20607, https\\://x\\.test/a');
  });

  it('takes only http(s) links and encodes what could end them', () => {
    expect(url('javascript:alert(1)')).toBeUndefined();
    expect(url('https://github.com/a/b/blob/c/x (1).yaml#L2')).toBe('https://github.com/a/b/blob/c/x%20%281%29.yaml#L2');
  });

  it('gives verification commands only for references a shell cannot misread', () => {
    expect(verifyCommands(`docker.io/library/nginx:1.27.0@${D1}`)).toEqual([`skopeo inspect --raw docker://docker.io/library/nginx@${D1} | sha256sum   # expect ${'1'.repeat(64)}`, `crane digest docker.io/library/nginx:1.27.0   # expect ${D1} while the tag has not moved`]);
    expect(verifyCommands('nginx:1.27.0')).toBeUndefined();
  });
});

describe('remote URLs', () => {
  it('reads host and path from the usual forms', () => {
    expect(parseRemoteUrl('https://github.com/acme/shop.git')).toEqual({ host: 'github.com', path: 'acme/shop', origin: 'https://github.com' });
    expect(parseRemoteUrl('https://x-access-token:abc@github.com/acme/shop')).toEqual({ host: 'github.com', path: 'acme/shop', origin: 'https://github.com' });
    expect(parseRemoteUrl('git@github.com:acme/shop.git')).toEqual({ host: 'github.com', path: 'acme/shop' });
    expect(parseRemoteUrl('ssh://git@gitlab.example.com:2222/group/sub/project.git')).toEqual({ host: 'gitlab.example.com', path: 'group/sub/project' });
    expect(parseRemoteUrl('/srv/git/shop.git')).toBeUndefined();
    expect(parseRemoteUrl('file:///srv/git/shop.git')).toBeUndefined();
  });
});
