// Memory across runs: identities that survive line moves and re-deploys, `--baseline` on file scans
// (JSON and SARIF baselines) and on audits (snapshots), deploy-level drift, `imagedrift merge` of
// shard snapshots (overlapping and missing shards), and the streaming JSON reader under them.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { auditResult } from '../../src/audit/judge.js';
import { judgeSnapshotFile, mergeSnapshots, readSnapshot, ShardOverlapError } from '../../src/audit/snapshot-file.js';
import { compareWithBaseline } from '../../src/baseline/compare.js';
import { readResult } from '../../src/baseline/read.js';
import { diffExitCode } from '../../src/cli/diff.js';
import type { Finding, ScanResult } from '../../src/core/types.js';
import { loadDefaultPolicy } from '../../src/policy/load.js';
import { deployGroups, deploySentence } from '../../src/report/deploys.js';
import { json } from '../../src/report/json.js';
import { sarif } from '../../src/report/sarif.js';
import { text } from '../../src/report/text.js';
import { relativeTo, scanPaths } from '../../src/scan/scan.js';
import { JsonStreamReader, streamJsonFile } from '../../src/sources/json-stream.js';
import { OTEL_028, OTEL_029, shardSnapshot, writeJson } from '../helpers/snapshots.js';

const policy = loadDefaultPolicy();
const work = () => mkdtempSync(join(tmpdir(), 'imagedrift-baseline-'));

describe('the streaming JSON reader', () => {
  it('hands split items over one at a time and parses the rest, exactly as JSON.parse, whatever the chunk size', () => {
    const doc = {
      schema: 'x',
      findings: [{ a: 'q"uo\\te }]', b: [1, 2, { c: null }] }, 'plain', 12.5e3, true, null, { '}': '{' }],
      summary: { n: 3, s: 'é ✓ 😀' },
      nested: { keep: [1], inner: { split: [{ x: 1 }, { y: '\\u0041' }] } },
      record: { 'arn:1': { v: 1 }, 'arn "2"': { v: [2] } },
    };
    const text = JSON.stringify(doc, null, 2);
    for (const size of [1, 2, 3, 7, 64, 1 << 20]) {
      const items: Array<[string, string | number, unknown]> = [];
      const reader = new JsonStreamReader({ split: [['findings'], ['nested', 'inner', 'split'], ['record']], onItem: (path, key, value) => items.push([path, key, value]) });
      const bytes = Buffer.from(`\ufeff${text}`, 'utf8');
      for (let i = 0; i < bytes.length; i += size) reader.feed(bytes.subarray(i, i + size));
      const top = reader.end();
      // Walked containers keep their other members; split ones are handed over item by item.
      expect(top).toEqual({ schema: 'x', findings: [], summary: doc.summary, nested: { keep: [1], inner: { split: [] } }, record: {} });
      expect(items.filter(([p]) => p === 'findings').map(([, , v]) => v)).toEqual(doc.findings);
      expect(items.filter(([p]) => p === 'nested.inner.split').map(([, k, v]) => [k, v])).toEqual(doc.nested.inner.split.map((v, i) => [i, v]));
      expect(items.filter(([p]) => p === 'record').map(([, k, v]) => [k, v])).toEqual(Object.entries(doc.record));
    }
  });

  it('refuses what is not one whole JSON object', () => {
    const dir = work();
    const cut = join(dir, 'cut.json');
    writeFileSync(cut, '{"findings": [{"a": 1}, {"b"');
    expect(() => streamJsonFile(cut, { split: [['findings']], onItem: () => undefined })).toThrow(/ends early/);
    const array = join(dir, 'array.json');
    writeFileSync(array, '[1, 2]');
    expect(() => streamJsonFile(array, { split: [], onItem: () => undefined })).toThrow(/not a JSON object/);
  });
});

function fileResult(dir: string): Promise<ScanResult> {
  return scanPaths([dir], { policy, root: dir, now: '2025-06-01', relativePath: (p) => relativeTo(dir, p) });
}

const DEPLOY = (extra = '', tag = '1.2.3') => `${extra}apiVersion: apps/v1
kind: Deployment
metadata: { name: web, namespace: shop }
spec:
  template:
    spec:
      containers:
        - name: web
          image: ghcr.io/acme/web:${tag}
        - name: otel
          image: otel/opentelemetry-collector:latest
`;

describe('--baseline on a file scan', () => {
  async function setup() {
    const dir = work();
    const repo = join(dir, 'repo');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(repo);
    writeFileSync(join(repo, 'web.yaml'), DEPLOY());
    writeFileSync(join(repo, 'job.yaml'), 'apiVersion: batch/v1\nkind: Job\nmetadata: { name: once }\nspec:\n  template:\n    spec:\n      containers:\n        - name: run\n          image: busybox:latest\n');
    const ctx = { color: false, version: 't', relativePath: (p: string) => relativeTo(repo, p) };
    const first = await fileResult(repo);
    const jsonFile = writeJson(join(dir, 'base.json'), JSON.parse(json(first, ctx)));
    const sarifFile = join(dir, 'base.sarif');
    writeFileSync(sarifFile, sarif(first, { ...ctx, policy }));
    // The next commit: 3 lines above the deployment (every line moves), the app's tag bumped, the
    // job fixed (pinned), and a new container on :latest.
    writeFileSync(join(repo, 'web.yaml'), `${DEPLOY('# moved\n# down\n# three lines\n', '1.2.4')}        - name: debug\n          image: busybox:latest\n`);
    writeFileSync(join(repo, 'job.yaml'), `apiVersion: batch/v1\nkind: Job\nmetadata: { name: once }\nspec:\n  template:\n    spec:\n      containers:\n        - name: run\n          image: busybox:1.36.1@sha256:${'a'.repeat(64)}\n`);
    const second = await fileResult(repo);
    return { repo, ctx, jsonFile, sarifFile, first, second };
  }

  it.each(['json', 'sarif'] as const)('a %s baseline: line moves and tag bumps keep identities, a new container is new, the fixed job is listed', async (kind) => {
    const { ctx, jsonFile, sarifFile, first, second } = await setup();
    const baseline = readResult(kind === 'json' ? jsonFile : sarifFile, { policy, relativePath: ctx.relativePath });
    expect(baseline.kind).toBe(kind === 'json' ? 'report' : 'sarif');
    const compared = compareWithBaseline(second, baseline, { relativePath: ctx.relativePath });
    const marked = [...compared.findings];
    const state = (f: Finding) => `${f.baseline} ${f.ruleId} ${f.container?.name}`;
    expect(marked.map(state).sort()).toEqual(['existing latest-tag otel', 'existing undigested-tag web', 'new latest-tag debug'].sort());
    expect(compared.baseline).toMatchObject({ new: 1, existing: 2, newBySeverity: { error: 1, warning: 0, note: 0 } });
    expect([...compared.baseline!.fixed].map((f) => `${f.ruleId} ${f.container?.name}`)).toEqual(['latest-tag run']);
    // The tag bump changed the message: the existing finding says what it was.
    const web = marked.find((f) => f.container?.name === 'web')!;
    expect(web.previous?.message).toContain('`1.2.3`');
    expect(compared.baseline!.changed).toBe(1);
    // The same identities as the JSON report and SARIF fingerprints of the second run.
    const ids = JSON.parse(json(second, ctx)).findings.map((f: Finding) => f.identity);
    expect(marked.map((f) => f.identity)).toEqual(ids);
    expect(first.findings.length).toBe(3);
    expect(text(compared, { color: false, version: 't' })).toContain(': error (new) Container `debug`');
  });
});

describe('--baseline and diff on ECS snapshots', () => {
  const night1 = shardSnapshot({ services: 5 });
  it('a re-deploy with the same image (new task definition revision, new tasks) is nothing new', () => {
    const dir = work();
    const old = writeJson(join(dir, 'night1.json'), night1);
    const redeployed = shardSnapshot({ services: 5, revision: () => 2 });
    const now = auditResult(redeployed, policy).result;
    const compared = compareWithBaseline(now, readResult(old, { policy }));
    expect(compared.baseline).toMatchObject({ new: 0, changed: 0, deploys: [] });
    expect(compared.baseline!.fixed.length).toBe(0);
    expect(compared.baseline!.existing).toBe(now.findings.length);
    expect(diffExitCode(compared, 'error')).toBe(0);
  });

  it('a changed digest under the same tag is drift: rolled up with versions, and exit 1', () => {
    const dir = work();
    const old = writeJson(join(dir, 'night1.json'), night1);
    const night2 = writeJson(join(dir, 'night2.json'), shardSnapshot({ services: 5, otel: (i) => (i < 3 ? OTEL_029 : OTEL_028), serverTime: '2025-06-03T02:00:09.000Z' }));
    const before = readResult(old, { policy });
    const after = readResult(night2, { policy });
    expect(after.kind).toBe('snapshot');
    const compared = compareWithBaseline(after.result, before);
    const drift = compared.baseline!.deploys!.filter((c) => c.kind === 'drifted');
    expect(drift.map((c) => `${c.location}#${c.container}`)).toEqual([0, 1, 2].map((i) => `ecs://111111111111/us-east-1/prod/svc-00${i}#aws-otel-collector`));
    const [group] = deployGroups(compared.baseline!.deploys!, compared.live!.inventory);
    expect(deploySentence(group!, 'service', '2025-06-02T02:00:09.000Z')).toBe('aws-otel-collector in 3 services: v0.28.0 → v0.29.0 since 2025-06-02T02:00:09.000Z, 2 services still on v0.28.0');
    expect(diffExitCode(compared, 'error')).toBe(1);
    expect(diffExitCode(compared, 'never')).toBe(0);
    // The three that now run what `latest` names no longer have tag-moved-since-deploy: fixed.
    expect([...compared.baseline!.fixed].map((f) => f.ruleId)).toEqual(['tag-moved-since-deploy', 'tag-moved-since-deploy', 'tag-moved-since-deploy']);
    const out = text(compared, { color: false, version: 't', changesOnly: true, groupBy: 'image' });
    expect(out).toContain('drifted: aws-otel-collector in 3 services: v0.28.0 → v0.29.0 since 2025-06-02T02:00:09.000Z, 2 services still on v0.28.0');
    expect(out).toContain('New since ');
    expect(out).toContain('Fixed (3):');
  });
});

describe('imagedrift merge', () => {
  const shards = () => {
    const dir = work();
    return {
      dir,
      a: writeJson(join(dir, 'a.json'), shardSnapshot({ services: 4, account: '111111111111', region: 'us-east-1' })),
      b: writeJson(join(dir, 'b.json'), shardSnapshot({ services: 3, account: '111111111111', region: 'eu-west-1' })),
      c: writeJson(join(dir, 'c.json'), shardSnapshot({ services: 2, account: '222222222222', region: 'us-east-1', otel: () => OTEL_029 })),
    };
  };

  it('combines shards into one snapshot whose judgement is the shards\' judgements together', () => {
    const { dir, a, b, c } = shards();
    const out = join(dir, 'merged.json');
    const outcome = mergeSnapshots([c, a, b], { output: out });
    expect(outcome).toMatchObject({ missing: [], unreadable: [], clusters: 3 });
    expect(outcome.shards.map((s) => `${s.file} ${s.accounts.join()} ${s.regions.join()}`)).toEqual(['a.json 111111111111 us-east-1', 'b.json 111111111111 eu-west-1', 'c.json 222222222222 us-east-1']);
    const merged = readSnapshot(out);
    expect(merged.scope.regions).toEqual(['eu-west-1', 'us-east-1']);
    expect(merged.accounts!.map((x) => x.accountId)).toEqual(['111111111111', '222222222222']);
    expect(Object.keys(merged.taskDefinitions)).toHaveLength(9);
    expect(merged.calls.DescribeServices).toBe(3);
    const judged = judgeSnapshotFile(out, policy);
    const separate = [a, b, c].map((f) => auditResult(readSnapshot(f), policy).result);
    const key = (f: Finding) => `${f.location.path} ${f.ruleId} ${f.message}`;
    expect([...judged.result.findings].map(key).sort()).toEqual(separate.flatMap((r) => r.findings.map(key)).sort());
    expect(judged.result.live.inventory).toHaveLength(9);
    expect(judged.stats).toMatchObject({ accounts: 2, regions: 2, clusters: 3, services: 9, tasks: 18 });
    expect(judged.result.live.scope).toBe('18 tasks, 18 image references across 3 clusters, 2 regions, 2 accounts, as of 2025-06-02T02:00:09.000Z (AWS time)');
    // The same document judged whole gives the same findings.
    expect(auditResult(merged, policy).result.findings.map(key).sort()).toEqual([...judged.result.findings].map(key).sort());
  });

  it('refuses overlapping shards and writes nothing', () => {
    const { dir, a } = shards();
    const again = writeJson(join(dir, 'a-again.json'), shardSnapshot({ services: 1, account: '111111111111', region: 'us-east-1', cluster: 'other' }));
    const out = join(dir, 'merged.json');
    expect(() => mergeSnapshots([a, again], { output: out })).toThrow(ShardOverlapError);
    expect(() => mergeSnapshots([a, again], { output: out })).toThrow(`${again} and ${a} both cover 111111111111/us-east-1: shards must not overlap (one account and region each)`);
    expect(() => readFileSync(out)).toThrow();
  });

  it('records missing and unreadable shards as audit-incomplete', () => {
    const { dir, a, b } = shards();
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '{"schema": "imagedrift.snapshot/v1", "source": "ecs", "clus');
    const out = join(dir, 'merged.json');
    const outcome = mergeSnapshots([a, b, broken], {
      output: out,
      expect: [
        { account: '111111111111', region: 'us-east-1' },
        { account: '111111111111', region: 'eu-west-1' },
        { account: '222222222222', region: 'us-east-1' },
      ],
    });
    expect(outcome.missing).toEqual(['222222222222/us-east-1']);
    expect(outcome.unreadable.map((u) => u.file)).toEqual([broken]);
    const judged = judgeSnapshotFile(out, policy);
    const incomplete = [...judged.result.findings].filter((f) => f.ruleId === 'audit-incomplete');
    expect(incomplete.map((f) => f.location.path)).toEqual(['ecs://222222222222/us-east-1', 'ecs://broken.json']);
    expect(incomplete[0]!.message).toContain('ShardMissing on merge');
    expect(judged.result.errors).toHaveLength(2);
  });
});
