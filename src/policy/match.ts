// Matching with the policy's globs: paths (relative to the scan root), images (canonical
// `registry/repository`), registries, and exceptions. Pure; compiled matchers are cached per policy.
import { canonicalName, parseReference } from '../core/parse-reference.js';
import type { Finding } from '../core/types.js';
import { GlobSet } from './glob.js';
import { rebasePathGlob } from './patterns.js';
import type { Exception, Policy } from './types.js';

export type Matcher = (value: string) => boolean;

const NEVER: Matcher = () => false;

/**
 * Globs on `/`-separated paths; `*` stays within a segment, `**` crosses them; dot files match
 * (src/policy/glob.ts). A list is one automaton: matching costs time linear in the value, however
 * many wildcards the globs hold, since the values come from the files scanned.
 */
export function pathMatcher(patterns: readonly string[]): Matcher {
  if (patterns.length === 0) return NEVER;
  const set = new GlobSet(patterns);
  return (value) => set.test(value);
}

/** Globs on a whole canonical image name (`docker.io/library/busybox`). */
export function imageMatcher(patterns: readonly string[]): Matcher {
  return pathMatcher(patterns);
}

/**
 * Globs on a canonical image name or any leading part of it cut at a `/`, as .gitignore treats
 * directories: `public.ecr.aws/*` covers `public.ecr.aws/aws-observability/aws-otel-collector`,
 * and a bare `registry.example.com` covers that whole registry.
 */
export function registryMatcher(patterns: readonly string[]): Matcher {
  if (patterns.length === 0) return NEVER;
  const set = new GlobSet(patterns);
  return (name) => set.testPrefix(name);
}

/** Posix form of a relative path, for matching (`deploy\prod\a.yaml` -> `deploy/prod/a.yaml`, no leading `./`). */
export function normalisePath(path: string): string {
  return path.replace(/\\/g, '/').replace(/^(\.\/)+/, '');
}

/** Whether `paths.include` / `paths.exclude` let a file (relative to the scan root) be scanned. */
export function pathFilter(policy: Policy): Matcher {
  const include = pathMatcher(policy.paths.include);
  const exclude = pathMatcher(policy.paths.exclude);
  const hasInclude = policy.paths.include.length > 0;
  return (path) => {
    const rel = normalisePath(path);
    return (!hasInclude || include(rel)) && !exclude(rel);
  };
}

export type RegistryVerdict = { allowed: true } | { allowed: false; deniedBy?: string };

export interface CompiledPolicy {
  /** Whether a canonical image name comes from a registry the policy allows (deny wins over allow). */
  registry(canonicalName: string): RegistryVerdict;
  isKnownSidecar: Matcher;
}

const compiledCache = new WeakMap<Policy, CompiledPolicy>();

export function compilePolicy(policy: Policy): CompiledPolicy {
  let compiled = compiledCache.get(policy);
  if (compiled !== undefined) return compiled;
  const deny = policy.registries.deny.map((pattern) => ({ pattern, matches: registryMatcher([pattern]) }));
  const allow = registryMatcher(policy.registries.allow);
  const hasAllow = policy.registries.allow.length > 0;
  compiled = {
    registry(name) {
      const denied = deny.find((entry) => entry.matches(name));
      if (denied !== undefined) return { allowed: false, deniedBy: denied.pattern };
      return !hasAllow || allow(name) ? { allowed: true } : { allowed: false };
    },
    isKnownSidecar: imageMatcher(policy.sidecarImages),
  };
  compiledCache.set(policy, compiled);
  return compiled;
}

/** Whether an exception is still in force on `today` (YYYY-MM-DD): through its `expires` day, inclusive. */
export function isExpired(exception: Exception, today: string): boolean {
  return exception.expires < today;
}

interface CompiledException {
  exception: Exception;
  image: Matcher | undefined;
  paths: Matcher | undefined;
  container: Matcher | undefined;
  workload: Matcher | undefined;
}

const exceptionCache = new WeakMap<Exception, CompiledException>();

function compileException(exception: Exception): CompiledException {
  let compiled = exceptionCache.get(exception);
  if (compiled === undefined) {
    compiled = {
      exception,
      image: exception.image !== undefined ? imageMatcher([exception.image]) : undefined,
      paths: exception.paths !== undefined ? pathMatcher(exception.paths.map((glob) => rebasePathGlob(glob, exception.pathBase ?? ''))) : undefined,
      container: exception.container !== undefined ? pathMatcher([exception.container]) : undefined,
      workload: exception.workload !== undefined ? pathMatcher([exception.workload]) : undefined,
    };
    exceptionCache.set(exception, compiled);
  }
  return compiled;
}

/** Whether an exception covers a finding in the file at `path` (relative to the scan root): every scope it names must match. */
export function exceptionMatches(exception: Exception, finding: Finding, path: string): boolean {
  const c = compileException(exception);
  if (exception.rule !== undefined && exception.rule !== finding.ruleId) return false;
  if (c.image !== undefined) {
    const { registry, repository } = finding.image ?? {};
    if (registry === undefined || repository === undefined || !c.image(`${registry}/${repository}`)) return false;
  }
  if (c.paths !== undefined && !c.paths(normalisePath(path))) return false;
  if (c.container !== undefined && (finding.container?.name === undefined || !c.container(finding.container.name))) return false;
  if (c.workload !== undefined) {
    const { name, namespace } = finding.workload ?? {};
    if (name === undefined) return false;
    if (!c.workload(name) && !(namespace !== undefined && c.workload(`${namespace}/${name}`))) return false;
  }
  return true;
}

/** The first exception in force that covers the finding, if any. */
export function findException(exceptions: readonly Exception[], finding: Finding, path: string, today: string): Exception | undefined {
  return exceptions.find((exception) => !isExpired(exception, today) && exceptionMatches(exception, finding, path));
}

/** Whether an image string names a known sidecar under `policy` (parsed once per distinct string). */
export function knownSidecarTest(policy: Policy): (image: string) => boolean {
  const matches = compilePolicy(policy).isKnownSidecar;
  const cache = new Map<string, boolean>();
  return (image) => {
    let known = cache.get(image);
    if (known === undefined) {
      const outcome = parseReference(image);
      known = outcome.ok && matches(canonicalName(outcome.ref));
      cache.set(image, known);
    }
    return known;
  };
}
