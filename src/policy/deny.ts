// `deny.versions`: versions of an image that must not run, be pinned or be proposed (a release
// known to be broken, such as the collector release that panicked). Pure; semver is loaded on the
// first use (as yaml is in src/parse/yaml-lib.ts), so a policy without denied versions never loads it.
import { createRequire } from 'node:module';
import type * as Semver from 'semver';
import { imageMatcher } from './match.js';
import type { Matcher } from './match.js';
import type { DeniedVersions, Policy } from './types.js';

let lib: typeof Semver | undefined;

function semverLib(): typeof Semver {
  lib ??= (typeof require === 'function' ? require('semver') : createRequire(import.meta.url)('semver')) as typeof Semver;
  return lib;
}

/** Why a `versions` value is not a semver range, or undefined when it is one. */
export function versionRangeProblem(range: string): string | undefined {
  if (semverLib().validRange(range) !== null) return undefined;
  return `\`${range}\` is not a semver range (write \`0.29.0\`, \`>=0.29.0 <0.29.2\` or \`0.29.0 || 0.30.1\`)`;
}

/**
 * The release a tag names, `x.y.z`, or undefined when the tag is not an exact version. `v0.29.0`,
 * `0.29.0` and variants of it (`0.29.0-alpine`, `0.29.0-rc1`) all name 0.29.0: a build of a denied
 * release is denied with it. Partial versions (`0.29`) float: only the registry can say which
 * release they are (`scan --resolve`).
 */
export function tagVersion(tag: string): string | undefined {
  const match = /^v?(0|[1-9]\d{0,8})\.(0|[1-9]\d{0,8})\.(0|[1-9]\d{0,8})(?:[-_+][A-Za-z0-9._+-]*)?$/.exec(tag);
  return match === null ? undefined : `${match[1]}.${match[2]}.${match[3]}`;
}

interface CompiledDeny {
  entry: DeniedVersions;
  image: Matcher;
}

const cache = new WeakMap<Policy, CompiledDeny[]>();

function compiled(policy: Policy): CompiledDeny[] {
  let list = cache.get(policy);
  if (list === undefined) {
    list = (policy.deny?.versions ?? []).map((entry) => ({ entry, image: imageMatcher([entry.image]) }));
    cache.set(policy, list);
  }
  return list;
}

export interface DeniedMatch {
  entry: DeniedVersions;
  /** The release the tag names (`0.29.0`). */
  version: string;
}

/** The first `deny.versions` entry that covers `tag` of the image `canonicalName`, if any. */
export function deniedVersion(policy: Policy, canonicalName: string, tag: string | undefined): DeniedMatch | undefined {
  if (tag === undefined || (policy.deny?.versions.length ?? 0) === 0) return undefined;
  const version = tagVersion(tag);
  if (version === undefined) return undefined;
  for (const item of compiled(policy)) {
    if (!item.image(canonicalName)) continue;
    // A range that no longer parses (a policy built by hand) denies nothing rather than throwing.
    let hit = false;
    try {
      hit = semverLib().satisfies(version, item.entry.versions);
    } catch {
      hit = false;
    }
    if (hit) return { entry: item.entry, version };
  }
  return undefined;
}

/** "`deny.versions`: `0.29.0` of `**\/aws-otel-collector` (panics on string attributes)" */
export function describeDenial(entry: DeniedVersions): string {
  return `\`deny.versions\`: \`${entry.versions}\` of \`${entry.image}\`${entry.reason !== undefined ? `: ${entry.reason}` : ''}`;
}
