// Bundled policies are read with the scanner's fast YAML reader instead of the yaml library's
// Document API (a cold parseDocument() was most of the cost of loading the default policy at every
// start). The result must be exactly what the full parse gives; the full parse still runs when a
// position is needed (exceptions, `extends`, overrides, problems) or the text is outside the fast
// reader's subset.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { PolicyError } from '../../src/policy/errors.js';
import { BUNDLED_POLICY_DIR, bundledPolicyNames, loadBundledPolicy } from '../../src/policy/load.js';
import { parsePolicy } from '../../src/policy/parse.js';
import type { PolicySource } from '../../src/policy/parse.js';
import { yamlLib } from '../../src/parse/yaml-lib.js';

// The yaml package is required lazily (src/parse/yaml-lib.ts): spy on the module object the policy
// parser takes parseDocument from at each call.
const parseDocument = vi.spyOn(yamlLib(), 'parseDocument');

beforeEach(() => {
  parseDocument.mockClear();
});

const BUNDLED: PolicySource = { id: '/p/bundled.yaml', display: 'bundled.yaml', bundled: true };
const USER: PolicySource = { id: '/p/bundled.yaml', display: 'bundled.yaml' };

/** The layer, or the lines of the PolicyError. */
function outcome(text: string, source: PolicySource): unknown {
  try {
    return parsePolicy(text, source);
  } catch (err) {
    if (err instanceof PolicyError) return { issues: err.issues };
    throw err;
  }
}

describe('bundled policies are read with the fast reader', () => {
  it.each(bundledPolicyNames())('%s.yaml gives the layer the full parse gives', (name) => {
    const file = join(BUNDLED_POLICY_DIR, `${name}.yaml`);
    const text = readFileSync(file, 'utf8');
    const source = { id: file, display: file };
    expect(parsePolicy(text, { ...source, bundled: true })).toEqual(parsePolicy(text, source));
  });

  it('the default policy is loaded without the Document API', () => {
    const policy = loadBundledPolicy('default');
    expect(policy.mutableTags).toContain('latest');
    expect(policy.rules['mutable-tag']).toEqual({ severity: 'warning', sidecarSeverity: 'error' });
    expect(parseDocument).not.toHaveBeenCalled();
  });

  it('the full parse runs when a position is needed (`extends` in strict.yaml)', () => {
    const policy = loadBundledPolicy('strict');
    expect(policy.rules['undigested-tag']?.severity).toBe('error');
    expect(parseDocument).toHaveBeenCalledTimes(1);
  });

  it('a policy of the user’s own is read with the full parser', () => {
    parsePolicy('rules:\n  latest-tag: warning\n', USER);
    expect(parseDocument).toHaveBeenCalledTimes(1);
  });
});

describe('the fast reading equals the full one', () => {
  // Valid policies: the schema check that only USER gets finds nothing, so the layers must be equal.
  // Each with how many times the bundled reading calls parseDocument(): 0 when the fast reader
  // does it all, 1 when a position is needed or the text is outside the fast subset.
  const FULL_PARSES: Record<string, number> = {
    'rules with severities, booleans and sidecar severities': 0,
    'lists with replace, quoted and plain strings, comments': 0,
    'exceptions, overrides and extends (positions from the full parse)': 1,
    'an empty mapping': 0,
    'a document start marker': 0,
    'a tag, an anchor and an alias (outside the fast subset)': 1,
    'keys the conversion does not take as written': 1,
  };
  const VALID: Record<string, string> = {
    'rules with severities, booleans and sidecar severities': `rules:
  latest-tag: { severity: error, sidecarSeverity: warning }
  mutable-tag: off
  undigested-tag: false
  partial-version-tag:
    sidecarSeverity: error
`,
    'lists with replace, quoted and plain strings, comments': `# a comment
sidecars:
  replace: true
  images: ["**/envoy", '**/fluent-bit', docker.io/library/nginx]   # trailing
tags:
  mutable: [latest, "stable"]
registries:
  allow:
    - "*.dkr.ecr.*.amazonaws.com/*"
    - registry.example.com
  deny: []
paths:
  include: []
  exclude: ["tests/fixtures/**"]
`,
    'exceptions, overrides and extends (positions from the full parse)': `extends: [default]
exceptions:
  - rule: latest-tag
    image: "docker.io/library/busybox"
    paths: ["jobs/**"]
    reason: "debug shell, tracked in OPS-123"
    expires: 2027-01-31
overrides:
  - paths: ["deploy/prod/**"]
    extends: strict
    rules: { undigested-tag: error }
  - paths:
      - deploy/dev/**
    exceptions:
      - container: debug
        reason: >
          folded reason
          on two lines
        expires: 2026-12-31
`,
    'an empty mapping': '{}\n',
    'a document start marker': '---\nrules:\n  latest-tag: note\n',
    'a tag, an anchor and an alias (outside the fast subset)': 'registries: !!map\n  allow: &hosts ["registry.example.com"]\npaths:\n  exclude: *hosts\n',
    'keys the conversion does not take as written': '"rules":\n  latest-tag: error\n',
  };

  it.each(Object.entries(VALID))('%s', (name, text) => {
    const fast = outcome(text, BUNDLED);
    expect(fast).not.toHaveProperty('issues');
    expect(parseDocument).toHaveBeenCalledTimes(FULL_PARSES[name] ?? -1);
    expect(fast).toEqual(outcome(text, USER));
  });

  // Invalid YAML and bad values the pattern checks find: the same problems at the same positions.
  const INVALID: Record<string, string> = {
    'a duplicate key': 'rules:\n  latest-tag: error\n  latest-tag: note\n',
    'a second document': 'rules: {}\n---\nrules: {}\n',
    'bad indentation': 'rules:\n  latest-tag: error\n   mutable-tag: note\n',
    'an unclosed flow collection': 'tags:\n  mutable: [latest\n',
    'a pattern that can never match': 'sidecars:\n  images: ["nginx:1.25"]\n',
    'a date that is not a calendar date': 'exceptions:\n  - rule: latest-tag\n    reason: r\n    expires: 2026-02-30\n',
  };

  it.each(Object.entries(INVALID))('%s', (_name, text) => {
    const fast = outcome(text, BUNDLED);
    expect(fast).toHaveProperty('issues');
    expect(fast).toEqual(outcome(text, USER));
  });
});
