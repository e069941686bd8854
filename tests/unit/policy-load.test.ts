// Policy files: the bundled ones, the issue's example exactly as written, `extends` (names, paths,
// lists, cycles), merging, and bad files with the exact position and message of every problem.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ISSUE_EXAMPLE } from '../helpers/issue-example-policy.js';
import { PolicyError } from '../../src/policy/errors.js';
import { BUNDLED_POLICY_DIR, bundledPolicyNames, discoverPolicy, findPolicyFile, findRepoRoot, loadBundledPolicy, loadDefaultPolicy, loadPolicyFile } from '../../src/policy/load.js';
import { applyLayer, emptyPolicy } from '../../src/policy/merge.js';
import { parsePolicy } from '../../src/policy/parse.js';
import { FUTURE_RULE_IDS, knownRuleIds } from '../../src/policy/rule-ids.js';
import { policySchema, validatePolicyData } from '../../src/policy/schema.js';
import { parse as parseYaml } from 'yaml';
import { RULE_IDS, RULES } from '../../src/rules/index.js';


function tempDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'imagedrift-policy-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

/** The PolicyError's lines, `file:line:col: message`. */
function problems(text: string): string[] {
  try {
    parsePolicy(text, { id: '/x/p.yaml', display: 'p.yaml' });
  } catch (err) {
    if (err instanceof PolicyError) return err.message.split('\n');
    throw err;
  }
  throw new Error('expected the policy to be refused');
}

function loadProblems(file: string, cwd: string): string[] {
  try {
    loadPolicyFile(file, { cwd });
  } catch (err) {
    if (err instanceof PolicyError) return err.message.split('\n');
    throw err;
  }
  throw new Error('expected the policy to be refused');
}

describe('bundled policies', () => {
  it('ships default and strict', () => {
    expect(bundledPolicyNames()).toEqual(expect.arrayContaining(['default', 'strict']));
  });

  it('default sets every registered rule it documents and the lists', () => {
    const policy = loadDefaultPolicy();
    expect(policy.rules['latest-tag']).toEqual({ severity: 'error', sidecarSeverity: 'error' });
    expect(policy.rules['mutable-tag']).toEqual({ severity: 'warning', sidecarSeverity: 'error' });
    expect(policy.rules['disallowed-registry']).toEqual({ severity: 'error', sidecarSeverity: 'error' });
    expect(policy.rules['expired-exception']?.severity).toBe('warning');
    expect(policy.rules['unused-suppression']?.severity).toBe('note');
    expect(policy.sidecarImages).toContain('**/aws-otel-collector');
    expect(policy.mutableTags).toContain('stable');
    expect(policy.registries).toEqual({ allow: [], deny: [] });
    expect(policy.paths).toEqual({ include: [], exclude: [] });
    expect(policy.exceptions).toEqual([]);
    expect(policy.overrides).toEqual([]);
  });

  it('default documents every key of the format in comments', () => {
    const text = readFileSync(join(BUNDLED_POLICY_DIR, 'default.yaml'), 'utf8');
    const schema = policySchema() as { properties: Record<string, { properties?: Record<string, unknown> }> };
    for (const [key, value] of Object.entries(schema.properties)) {
      expect(text, key).toMatch(new RegExp(`^#? *${key}:`, 'm'));
      for (const inner of Object.keys(value.properties ?? {})) if (key !== 'rules') expect(text, `${key}.${inner}`).toContain(`${inner}:`);
    }
    for (const key of ['rule:', 'image:', 'paths:', 'container:', 'workload:', 'reason:', 'expires:', 'replace: true', 'sidecarSeverity:']) expect(text).toContain(key);
  });

  it('strict requires digests everywhere and keeps the default sidecar list', () => {
    const strict = loadBundledPolicy('strict');
    for (const id of ['latest-tag', 'missing-tag', 'mutable-tag', 'partial-version-tag', 'undigested-tag']) expect(strict.rules[id]).toEqual({ severity: 'error', sidecarSeverity: 'error' });
    expect(strict.sidecarImages).toEqual(loadDefaultPolicy().sidecarImages);
    expect(strict.sidecarImages).toContain('**/aws-otel-collector');
    expect(strict.layers.map((id) => id.split(/[\\/]/).at(-1))).toEqual(['default.yaml', 'strict.yaml']);
  });
});

describe('the issue example', () => {
  it('loads exactly as written', () => {
    const dir = tempDir({ '.imagedrift.yaml': ISSUE_EXAMPLE });
    const policy = loadPolicyFile('.imagedrift.yaml', { cwd: dir });
    expect(policy.rules['undigested-tag']).toEqual({ severity: 'warning', sidecarSeverity: 'error' });
    expect(policy.rules['mutable-tag']).toEqual({ severity: 'error', sidecarSeverity: 'error' });
    expect(policy.rules['newer-version-available']).toEqual({ severity: 'off', sidecarSeverity: 'off' });
    expect(policy.rules['latest-tag']).toEqual({ severity: 'error', sidecarSeverity: 'error' }); // from default
    expect(policy.registries.allow).toEqual(['*.dkr.ecr.*.amazonaws.com/*', 'public.ecr.aws/*', 'docker.io/library/*', 'registry.example.com/*']);
    expect(policy.registries.deny).toEqual(['docker.io/bitnami/*']);
    expect(policy.sidecarImages).toContain('*/my-company/log-shipper');
    expect(policy.sidecarImages).toContain('**/aws-otel-collector'); // added to, not replaced
    expect(policy.paths.exclude).toEqual(['tests/fixtures/**']);
    expect(policy.overrides).toHaveLength(1);
    expect(policy.overrides[0]?.paths).toEqual(['deploy/prod/**']);
    expect(policy.overrides[0]?.layers.map((layer) => layer.display.split('/').at(-1))).toEqual(['default.yaml', 'strict.yaml', '.imagedrift.yaml']);
    expect(policy.exceptions).toEqual([
      {
        rule: 'latest-tag',
        image: 'docker.io/library/busybox',
        paths: ['jobs/**'],
        container: 'debug',
        reason: 'debug shell, tracked in OPS-123',
        expires: '2027-01-31',
        location: { path: '.imagedrift.yaml', line: 18, column: 5, endLine: 23, endColumn: 24 },
      },
    ]);
  });
});

describe('extends and merging', () => {
  it('a file without extends starts from the default; extends: [] from nothing', () => {
    const dir = tempDir({ 'implicit.yaml': 'rules:\n  latest-tag: warning\n', 'empty.yaml': 'extends: []\nrules:\n  latest-tag: warning\n', 'blank.yaml': '' });
    const implicit = loadPolicyFile('implicit.yaml', { cwd: dir });
    expect(implicit.rules['latest-tag']).toEqual({ severity: 'warning', sidecarSeverity: 'warning' });
    expect(implicit.sidecarImages.length).toBeGreaterThan(10);
    const empty = loadPolicyFile('empty.yaml', { cwd: dir });
    expect(empty.rules).toEqual({ 'latest-tag': { severity: 'warning', sidecarSeverity: 'warning' } });
    expect(empty.sidecarImages).toEqual([]);
    expect(loadPolicyFile('blank.yaml', { cwd: dir }).rules).toEqual(loadDefaultPolicy().rules);
  });

  it('follows paths relative to the file that says them, in order, later keys winning', () => {
    const dir = tempDir({
      'org/base.yaml': 'extends: strict\nrules:\n  mutable-tag: warning\ntags:\n  mutable: [experimental]\n',
      'org/team.yaml': 'extends: []\nrules:\n  mutable-tag: note\n  latest-tag: { sidecarSeverity: note }\n',
      'repo/.imagedrift.yaml': 'extends: [../org/base.yaml, ../org/team.yaml]\nrules:\n  partial-version-tag: { sidecarSeverity: warning }\n',
    });
    const policy = loadPolicyFile('repo/.imagedrift.yaml', { cwd: dir });
    expect(policy.layers.map((id) => id.slice(dir.length + 1).replace(/\\/g, '/')).slice(-3)).toEqual(['org/base.yaml', 'org/team.yaml', 'repo/.imagedrift.yaml']);
    expect(policy.rules['mutable-tag']).toEqual({ severity: 'note', sidecarSeverity: 'note' }); // team after base
    expect(policy.rules['latest-tag']).toEqual({ severity: 'error', sidecarSeverity: 'note' }); // only the sidecar severity changed
    expect(policy.rules['partial-version-tag']).toEqual({ severity: 'error', sidecarSeverity: 'warning' }); // strict's severity kept
    expect(policy.mutableTags).toContain('experimental');
    expect(policy.mutableTags).toContain('latest');
  });

  it('applies a layer shared by two parents once (diamond)', () => {
    const dir = tempDir({ 'a.yaml': 'extends: strict\n', 'b.yaml': 'extends: default\nrules:\n  undigested-tag: note\n', 'top.yaml': 'extends: [a.yaml, b.yaml]\n' });
    const policy = loadPolicyFile('top.yaml', { cwd: dir });
    expect(policy.layers.map((id) => id.split(/[\\/]/).at(-1))).toEqual(['default.yaml', 'strict.yaml', 'a.yaml', 'b.yaml', 'top.yaml']);
    expect(policy.rules['undigested-tag']).toEqual({ severity: 'note', sidecarSeverity: 'note' });
    expect(policy.rules['mutable-tag']?.severity).toBe('error'); // strict's, not reset by default again
  });

  it('replace: true drops the inherited list', () => {
    const dir = tempDir({ 'p.yaml': 'tags:\n  replace: true\n  mutable: [latest, nightly]\nsidecars:\n  images: ["*/acme/agent"]\n' });
    const policy = loadPolicyFile('p.yaml', { cwd: dir });
    expect(policy.mutableTags).toEqual(['latest', 'nightly']);
    expect(policy.sidecarImages).toContain('*/acme/agent');
    expect(policy.sidecarImages).toContain('**/fluent-bit');
  });

  it('merges with pure functions', () => {
    const layer = parsePolicy('extends: []\nrules:\n  latest-tag: note\nregistries:\n  deny: [docker.io/bitnami/*]\n', { id: 'L', display: 'l.yaml' });
    const once = applyLayer(emptyPolicy(), layer);
    const twice = applyLayer(once, layer);
    expect(twice.registries.deny).toEqual(['docker.io/bitnami/*']); // deduplicated
    expect(twice.layers).toEqual(['L', 'L']);
    expect(once.rules['latest-tag']).toEqual({ severity: 'note', sidecarSeverity: 'note' });
  });

  it('reports a cycle, an unknown bundled name and a missing file at the extends value', () => {
    const dir = tempDir({ 'a.yaml': 'extends: ./b.yaml\n', 'b.yaml': 'rules: {}\nextends: [default, a.yaml]\n', 'c.yaml': 'extends: sctrict\n', 'd.yaml': 'overrides:\n  - paths: ["x/**"]\n    extends: ./nope.yaml\n' });
    expect(loadProblems('a.yaml', dir)).toEqual(['b.yaml:2:20: extends: cycle a.yaml -> b.yaml -> a.yaml']);
    expect(loadProblems('c.yaml', dir)).toEqual(['c.yaml:1:10: extends: no bundled policy named `sctrict` (bundled: default, strict); a path to a file must contain `/` or end in .yaml']);
    expect(loadProblems('d.yaml', dir)).toEqual(['d.yaml:3:14: extends: cannot read `./nope.yaml` (nope.yaml): no such file']);
    expect(loadProblems('missing.yaml', dir)).toEqual(['missing.yaml: cannot read policy file: no such file']);
  });
});

describe('rule ids', () => {
  it('accepts every registered rule and the future ones, from one list', () => {
    const ids = knownRuleIds();
    for (const id of RULE_IDS) expect(ids).toContain(id);
    for (const id of FUTURE_RULE_IDS) expect(ids).toContain(id);
    expect(new Set(ids).size).toBe(ids.length);
    const text = `extends: []\nrules:\n${ids.map((id) => `  ${id}: off`).join('\n')}\n`;
    expect(Object.keys(parsePolicy(text, { id: 'x', display: 'x' }).rules)).toEqual(ids);
  });

  it('registers the policy rules with their metadata', () => {
    expect(RULES['disallowed-registry'].meta.severity).toBe('error');
    expect(RULES['expired-exception'].meta.severity).toBe('warning');
    expect(RULES['unused-suppression'].meta.severity).toBe('note');
  });
});

describe('bad policy files: every problem at its line and column', () => {
  it.each([
    ['unknown top-level key', 'rules: {}\nsidecar:\n  images: []\n', ['p.yaml:2:1: sidecar: unknown key `sidecar` (did you mean `sidecars`?); expected one of: extends, rules, sidecars, tags, registries, exceptions, sources, paths, overrides, pin, deny']],
    ['unknown rule id', 'rules:\n  latest-tag: error\n  latst-tag: error\n', ['p.yaml:3:3: rules.latst-tag: unknown rule `latst-tag` (did you mean `latest-tag`?)']],
    ['bad severity', 'rules:\n  mutable-tag: { severity: critical }\n', ['p.yaml:2:28: rules.mutable-tag.severity: expected a severity (error, warning, note, off), got "critical"']],
    ['bad shorthand severity', 'rules:\n  missing-tag: 3\n', ['p.yaml:2:16: rules.missing-tag: expected a severity (error, warning, note, off), got number 3']],
    ['misspelt severity', 'rules:\n  missing-tag: eror\n', ['p.yaml:2:16: rules.missing-tag: expected a severity (error, warning, note, off), got "eror" (did you mean `error`?)']],
    ['unknown key in a rule', 'rules:\n  mutable-tag: { severity: error, sidecar: error }\n', ['p.yaml:2:35: rules.mutable-tag.sidecar: unknown key `sidecar`; expected one of: severity, sidecarSeverity']],
    ['empty rule setting', 'rules:\n  mutable-tag: {}\n', ['p.yaml:2:16: rules.mutable-tag: give `severity`, `sidecarSeverity` or both']],
    ['list expected', 'registries:\n  allow: docker.io/library/*\n', ['p.yaml:2:10: registries.allow: expected a list, got "docker.io/library/*"']],
    ['extends of the wrong type', 'extends: 3\n', ['p.yaml:1:10: extends: expected a policy name (`default`, `strict`), a path, or a list of them, got number 3']],
    ['a mapping expected', '- rules\n', ['p.yaml:1:1: not an imagedrift policy: its top level is a list, not a mapping of policy keys (extends, rules, sidecars, tags, registries, exceptions, sources, paths, overrides, pin, deny)']],
    ['a single value, never quoted', 'https://ci:hunter2@github.com\n', ['p.yaml:1:1: not an imagedrift policy: its top level is a single value, not a mapping of policy keys (extends, rules, sidecars, tags, registries, exceptions, sources, paths, overrides, pin, deny)']],
    ['a mapping of no policy key, never quoted', 'root:$6$hunter2:19000:0:99999:7:::\n', ['p.yaml:1:1: not an imagedrift policy: none of its top-level keys is a policy key (extends, rules, sidecars, tags, registries, exceptions, sources, paths, overrides, pin, deny)']],
    [
      'exception without reason and expiry',
      'exceptions:\n  - rule: latest-tag\n',
      [
        'p.yaml:2:5: exceptions[0]: missing `reason`: every exception carries a `reason` and an `expires` date (YYYY-MM-DD)',
        'p.yaml:2:5: exceptions[0]: missing `expires`: every exception carries a `reason` and an `expires` date (YYYY-MM-DD)',
      ],
    ],
    ['exception with no scope', 'exceptions:\n  - reason: because\n    expires: 2027-01-31\n', ['p.yaml:2:5: exceptions[0]: an exception must be scoped by at least one of `rule`, `image`, `paths`, `container`, `workload`']],
    ['exception date not a date', 'exceptions:\n  - rule: latest-tag\n    reason: r\n    expires: next week\n', ['p.yaml:4:14: exceptions[0].expires: expected a date written YYYY-MM-DD, got "next week"']],
    ['exception date not in the calendar', 'exceptions:\n  - rule: latest-tag\n    reason: r\n    expires: 2027-02-30\n', ['p.yaml:4:14: exceptions[0].expires: 2027-02-30 is not a calendar date']],
    ['exception blank reason', 'exceptions:\n  - rule: latest-tag\n    reason: "  "\n    expires: 2027-01-31\n', ['p.yaml:3:13: exceptions[0].reason: must say why the exception is acceptable, got "  "']],
    ['exception unknown rule', 'exceptions:\n  - rule: lates-tag\n    reason: r\n    expires: 2027-01-31\n', ['p.yaml:2:11: exceptions[0].rule: unknown rule `lates-tag` (did you mean `latest-tag`?)']],
    [
      'exception image that can never match',
      'exceptions:\n  - image: busybox\n    reason: r\n    expires: 2027-01-31\n',
      ['p.yaml:2:12: exceptions[0].image: `busybox` can never match: image patterns are matched against the canonical `registry/repository` (e.g. `docker.io/library/busybox`); write `docker.io/library/busybox`'],
    ],
    ['registry pattern with a tag', 'registries:\n  deny: ["docker.io/library/nginx:1.25"]\n', ['p.yaml:2:10: registries.deny[0]: `docker.io/library/nginx:1.25`: image patterns match `registry/repository` without a tag or digest']],
    ['sidecar pattern without a registry', 'sidecars:\n  images: ["my-company/log-shipper"]\n', ['p.yaml:2:12: sidecars.images[0]: `my-company/log-shipper` can never match: image patterns are matched against the canonical `registry/repository` (e.g. `docker.io/library/busybox`); write `docker.io/my-company/log-shipper`']],
    ['path glob with ./', 'paths:\n  exclude: ["./tests/**"]\n', ['p.yaml:2:13: paths.exclude[0]: `./tests/**`: path globs are relative to the directory of the policy file; write `tests/**`']],
    ['override without paths', 'overrides:\n  - extends: strict\n', ['p.yaml:2:5: overrides[0]: missing `paths`: an override applies to the files its `paths` globs match']],
    ['override with an absolute path', 'overrides:\n  - paths: [/deploy/prod/**]\n    rules: { undigested-tag: error }\n', ['p.yaml:2:13: overrides[0].paths[0]: `/deploy/prod/**`: path globs are relative to the directory of the policy file, not absolute']],
    ['override with an unknown key', 'overrides:\n  - paths: [a/**]\n    overrides: []\n', ['p.yaml:3:5: overrides[0].overrides: unknown key `overrides`; expected one of: paths, extends, rules, sidecars, tags, registries, exceptions, sources']],
    ['duplicate key', 'rules:\n  latest-tag: error\n  latest-tag: note\n', ['p.yaml:3:3: invalid YAML: duplicate key: each key may appear once in a mapping']],
    ['two documents', 'rules: {}\n---\nrules: {}\n', ['p.yaml:2:1: invalid YAML: a policy file holds one YAML document (found a second `---`)']],
    ['broken YAML', 'rules:\n  latest-tag: [error\n', ['p.yaml:3:1: invalid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]']],
  ])('%s', (_name, text, expected) => {
    expect(problems(text)).toEqual(expected);
  });

  it('reports every problem of a file at once, in order', () => {
    const lines = problems('rules:\n  latst-tag: error\npaths:\n  include: ["./a/**"]\nexceptions:\n  - reason: x\n    expires: 2027-13-01\n    rule: latest-tag\n');
    expect(lines).toEqual([
      'p.yaml:2:3: rules.latst-tag: unknown rule `latst-tag` (did you mean `latest-tag`?)',
      'p.yaml:4:13: paths.include[0]: `./a/**`: path globs are relative to the directory of the policy file; write `a/**`',
      'p.yaml:7:14: exceptions[0].expires: 2027-13-01 is not a calendar date',
    ]);
  });

  it('carries the issues as data for the CLI', () => {
    try {
      parsePolicy('rules: {}\nbogus: 1\n', { id: 'x', display: 'dir/.imagedrift.yaml' });
      expect.unreachable();
    } catch (err) {
      expect((err as PolicyError).issues).toEqual([{ file: 'dir/.imagedrift.yaml', line: 2, column: 1, message: expect.stringContaining('unknown key `bogus`') }]);
    }
  });
});

describe('discovery', () => {
  it('finds .imagedrift.yaml walking up from the working directory, stopping at the repository root', () => {
    const outer = tempDir({ '.imagedrift.yaml': 'rules: { latest-tag: note }\n', 'repo/.git/HEAD': 'ref: refs/heads/main\n', 'repo/a/b/x.txt': '' });
    const repo = join(outer, 'repo');
    expect(findRepoRoot(join(repo, 'a', 'b'))).toBe(repo);
    expect(findPolicyFile(join(repo, 'a', 'b'))).toBeUndefined(); // the outer file is above the repository
    writeFileSync(join(repo, '.imagedrift.yaml'), 'rules: { latest-tag: warning }\n');
    expect(findPolicyFile(join(repo, 'a', 'b'))).toBe(join(repo, '.imagedrift.yaml'));
    writeFileSync(join(repo, 'a', '.imagedrift.yml'), 'rules: { latest-tag: off }\n');
    expect(findPolicyFile(join(repo, 'a', 'b'))).toBe(join(repo, 'a', '.imagedrift.yml')); // nearest wins
    const found = discoverPolicy({ cwd: join(repo, 'a', 'b') });
    expect(found.file).toBe(join(repo, 'a', '.imagedrift.yml'));
    expect(found.policy.rules['latest-tag']?.severity).toBe('off');
  });

  it('outside a repository looks only in the working directory; --policy wins; else the bundled default', () => {
    const dir = tempDir({ '.imagedrift.yaml': 'rules: { latest-tag: note }\n', 'sub/p.yaml': 'rules: { latest-tag: warning }\n' });
    if (findRepoRoot(dir) !== undefined) return; // the temp directory sits inside a repository on this machine
    expect(findPolicyFile(join(dir, 'sub'))).toBeUndefined();
    expect(findPolicyFile(dir)).toBe(join(dir, '.imagedrift.yaml'));
    expect(discoverPolicy({ cwd: dir, policyFile: 'sub/p.yaml' }).policy.rules['latest-tag']?.severity).toBe('warning');
    const fallback = discoverPolicy({ cwd: join(dir, 'sub') });
    expect(fallback.file).toBeUndefined();
    expect(fallback.policy.rules).toEqual(loadDefaultPolicy().rules);
  });
});

describe('bundled policies', () => {
  // They are not checked against the schema at start-up (see PolicySource.bundled): this is where they are.
  it.each(bundledPolicyNames())('%s.yaml follows the schema', (name) => {
    const data = parseYaml(readFileSync(join(BUNDLED_POLICY_DIR, `${name}.yaml`), 'utf8')) as unknown;
    expect(validatePolicyData(data)).toEqual([]);
  });
});

describe('what extends may read', () => {
  const SECRET = 'hunter2-do-not-print';

  function repo(files: Record<string, string>): string {
    return tempDir({ '.git/HEAD': 'ref: refs/heads/main\n', ...files });
  }

  function loadIn(dir: string, file: string, extendsFrom?: string[]): string[] {
    try {
      loadPolicyFile(file, { cwd: dir, root: dir, ...(extendsFrom !== undefined ? { extendsFrom } : {}) });
      return [];
    } catch (err) {
      if (err instanceof PolicyError) return err.message.split('\n');
      throw err;
    }
  }

  it('refuses a file outside the repository, by a relative or an absolute path, without reading it', () => {
    const outside = tempDir({ 'creds.yaml': `token: ${SECRET}\n` });
    const dir = repo({ '.imagedrift.yaml': `extends: ../${outside.split('/').at(-1)}/creds.yaml\n`, 'abs.yaml': `extends: ${join(outside, 'creds.yaml')}\n` });
    for (const file of ['.imagedrift.yaml', 'abs.yaml']) {
      const lines = loadIn(dir, file);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^(\.imagedrift|abs)\.yaml:1:10: extends: `.*creds\.yaml`: .* is outside the repository .*: a policy may only extend policy files there \(--allow-extends-from DIR allows another directory\)$/);
      expect(lines[0]).not.toContain(SECRET);
    }
  });

  it('refuses a name that is not YAML, and a symbolic link inside the repository to a file outside it', () => {
    const outside = tempDir({ 'creds.yaml': `rules: {}\ntoken: ${SECRET}\n` });
    const dir = repo({ '.imagedrift.yaml': 'extends: ./notes.txt\n', 'link.yaml': 'extends: ./shared.yaml\n', 'notes.txt': SECRET });
    symlinkSync(join(outside, 'creds.yaml'), join(dir, 'shared.yaml'));
    expect(loadIn(dir, '.imagedrift.yaml')).toEqual(['.imagedrift.yaml:1:10: extends: `./notes.txt`: a policy file is YAML and its name ends in .yaml or .yml']);
    const linked = loadIn(dir, 'link.yaml');
    expect(linked[0]).toMatch(/^link\.yaml:1:10: extends: `\.\/shared\.yaml`: shared\.yaml is outside the repository/);
    expect(linked.join('\n')).not.toContain(SECRET);
  });

  it('names a YAML file that is not a policy without quoting a line of it', () => {
    const dir = repo({
      'a.yaml': 'extends: ./creds.yaml\n',
      'creds.yaml': `https://ci:${SECRET}@github.com\n`,
      'b.yaml': 'extends: ./env.yaml\n',
      'env.yaml': `password: ${SECRET}\nuser: ci\n`,
      'c.yaml': 'extends: ./broken.yaml\n',
      'broken.yaml': `key: [${SECRET}\n`,
    });
    expect(loadIn(dir, 'a.yaml')).toEqual(['a.yaml:1:10: extends: `./creds.yaml` (creds.yaml) is not an imagedrift policy: its top level is not a mapping of policy keys']);
    expect(loadIn(dir, 'b.yaml')).toEqual(['b.yaml:1:10: extends: `./env.yaml` (env.yaml) is not an imagedrift policy: none of its top-level keys is a policy key (extends, rules, sidecars, tags, registries, exceptions, sources, paths, overrides, pin, deny)']);
    expect(loadIn(dir, 'c.yaml')).toEqual(['c.yaml:1:10: extends: `./broken.yaml` (broken.yaml) is not an imagedrift policy: it is not valid YAML']);
  });

  it('refuses a FIFO at once instead of waiting for a writer', () => {
    const dir = repo({ 'a.yaml': 'extends: ./pipe.yaml\n' });
    execFileSync('mkfifo', [join(dir, 'pipe.yaml')]);
    expect(loadIn(dir, 'a.yaml')).toEqual(['a.yaml:1:10: extends: cannot read `./pipe.yaml` (pipe.yaml): not a regular file']);
  });

  it('reads a policy beside the one the run started from, and directories given with --allow-extends-from', () => {
    const org = tempDir({ 'org/policy.yaml': 'extends: ./base.yaml\n', 'org/base.yaml': 'rules:\n  latest-tag: warning\n', 'shared/strict.yaml': 'rules:\n  mutable-tag: error\n' });
    const dir = repo({ '.imagedrift.yaml': `extends: ${join(org, 'shared', 'strict.yaml')}\n` });
    expect(loadPolicyFile(join(org, 'org', 'policy.yaml'), { cwd: dir, root: dir }).rules['latest-tag']?.severity).toBe('warning');
    expect(loadIn(dir, '.imagedrift.yaml')[0]).toMatch(/is outside the repository/);
    expect(loadPolicyFile('.imagedrift.yaml', { cwd: dir, root: dir, extendsFrom: [join(org, 'shared')] }).rules['mutable-tag']?.severity).toBe('error');
  });
});

describe('path globs are relative to the directory of the policy file', () => {
  it('rebases paths, overrides and exception paths of a policy in a sub-directory; a file it extends keeps its own directory', () => {
    const dir = tempDir({
      '.git/HEAD': 'ref: refs/heads/main\n',
      'base.yaml': 'paths:\n  exclude: ["vendor/**"]\n',
      'services/payments/.imagedrift.yaml': [
        'extends: ../../base.yaml',
        'paths:',
        '  exclude: ["tests/**"]',
        'overrides:',
        '  - paths: ["deploy/prod/**"]',
        '    extends: strict',
        'exceptions:',
        '  - paths: ["jobs/**"]',
        '    rule: latest-tag',
        '    reason: debug shell',
        '    expires: 2099-01-01',
        '',
      ].join('\n'),
    });
    const policy = loadPolicyFile('services/payments/.imagedrift.yaml', { cwd: dir, root: dir });
    expect(policy.paths.exclude).toEqual(['vendor/**', 'services/payments/tests/**']);
    expect(policy.overrides.map((override) => override.paths)).toEqual([['services/payments/deploy/prod/**']]);
    expect(policy.exceptions[0]?.paths).toEqual(['jobs/**']);
    expect(policy.exceptions[0]?.pathBase).toBe('services/payments');
  });

  it('refuses `..` in a path glob: a policy reaches only below its directory', () => {
    expect(problems('paths:\n  exclude: ["../other/**"]\n')).toEqual([
      "p.yaml:2:13: paths.exclude[0]: `../other/**`: path globs match below the policy file's directory and cannot hold `.` or `..` segments (put the rule in a policy higher up, or use overrides there)",
    ]);
  });

  it('leaves live locations (ecs://…) as written', () => {
    const dir = tempDir({ '.git/HEAD': 'x', 'ops/.imagedrift.yaml': 'overrides:\n  - paths: ["ecs://*/*/prod/**"]\n    extends: strict\n' });
    expect(loadPolicyFile('ops/.imagedrift.yaml', { cwd: dir, root: dir }).overrides[0]?.paths).toEqual(['ecs://*/*/prod/**']);
  });
});
