// Merging policy layers, and the effective policy for one file (its `overrides` applied). Pure.
//
// Later layers win: a rule setting replaces the inherited one (a bare severity, or `{ severity }`,
// sets the sidecar severity too; `{ sidecarSeverity }` alone keeps the inherited severity); lists
// add to the inherited ones (deduplicated), unless their section says `replace: true`;
// exceptions and overrides accumulate.
import type { ListSetting, Override, Policy, PolicyLayer, RuleSetting } from './types.js';
import { pathMatcher } from './match.js';

export function emptyPolicy(): Policy {
  return {
    rules: {},
    sidecarImages: [],
    mutableTags: [],
    registries: { allow: [], deny: [] },
    paths: { include: [], exclude: [] },
    sources: {},
    exceptions: [],
    overrides: [],
    layers: [],
    pin: {},
    deny: { versions: [] },
  };
}

function mergeList(inherited: readonly string[], setting: ListSetting | undefined): string[] {
  if (setting === undefined) return [...inherited];
  const base = setting.replace ? [] : inherited;
  return [...new Set([...base, ...setting.items])];
}

function mergeRule(inherited: RuleSetting | undefined, setting: RuleSetting): RuleSetting {
  if (setting.severity !== undefined) return { severity: setting.severity, sidecarSeverity: setting.sidecarSeverity ?? setting.severity };
  const merged: RuleSetting = {};
  if (inherited?.severity !== undefined) merged.severity = inherited.severity;
  if (setting.sidecarSeverity !== undefined) merged.sidecarSeverity = setting.sidecarSeverity;
  return merged;
}

/**
 * Applies one layer on top of a policy. `overrides` are resolved separately (they need the
 * loader to follow their `extends`), so the caller passes them in.
 */
export function applyLayer(policy: Policy, layer: PolicyLayer, overrides: readonly Override[] = []): Policy {
  const rules = { ...policy.rules };
  for (const [id, setting] of Object.entries(layer.rules)) rules[id] = mergeRule(policy.rules[id], setting);
  return {
    rules,
    sidecarImages: mergeList(policy.sidecarImages, layer.sidecarImages),
    mutableTags: mergeList(policy.mutableTags, layer.mutableTags),
    registries: { allow: mergeList(policy.registries.allow, layer.registriesAllow), deny: mergeList(policy.registries.deny, layer.registriesDeny) },
    paths: { include: mergeList(policy.paths.include, layer.pathsInclude), exclude: mergeList(policy.paths.exclude, layer.pathsExclude) },
    sources: layer.sources === undefined ? policy.sources : { ...policy.sources, ...layer.sources },
    exceptions: [...policy.exceptions, ...layer.exceptions],
    overrides: [...policy.overrides, ...overrides],
    layers: [...policy.layers, layer.id],
    pin: { ...policy.pin, ...(layer.minimumReleaseAge !== undefined ? { minimumReleaseAge: layer.minimumReleaseAge } : {}) },
    deny: { versions: [...(layer.deniedVersions?.replace === true ? [] : (policy.deny?.versions ?? [])), ...(layer.deniedVersions?.items ?? [])] },
  };
}

const effectiveCache = new WeakMap<Policy, { matchers: Array<(path: string) => boolean>; byKey: Map<string, Policy> }>();

/**
 * The policy for one file: the overrides whose `paths` match `path` (relative to the scan root),
 * applied in order. An override's layers that the policy already holds (the `default` a
 * `strict` override extends, say) are skipped, so an override adds to the policy rather than
 * resetting it.
 */
export function policyForPath(policy: Policy, path: string): Policy {
  if (policy.overrides.length === 0) return policy;
  let cache = effectiveCache.get(policy);
  if (cache === undefined) {
    cache = { matchers: policy.overrides.map((override) => pathMatcher(override.paths)), byKey: new Map() };
    effectiveCache.set(policy, cache);
  }
  const matching = cache.matchers.flatMap((matches, i) => (matches(path) ? [i] : []));
  const key = matching.join(',');
  let effective = cache.byKey.get(key);
  if (effective === undefined) {
    effective = { ...policy, overrides: [] };
    for (const i of matching) {
      for (const layer of policy.overrides[i]?.layers ?? []) {
        if (!effective.layers.includes(layer.id)) effective = applyLayer(effective, layer);
      }
    }
    cache.byKey.set(key, effective);
  }
  return effective;
}
