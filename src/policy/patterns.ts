// Checks on the globs a policy holds, made when the policy is loaded so that a pattern that can never
// match is an error with its position rather than a silent no-op. Pure.
import { canonicalName, parseReference } from '../core/parse-reference.js';

const GLOB_CHARS = /[*?[\]{}!()+@]/;

export function hasGlob(pattern: string): boolean {
  return GLOB_CHARS.test(pattern);
}

/**
 * Why an image pattern (matched against the canonical `registry/repository`) can never match, or
 * undefined when it is fine. `registryOnly` allows a bare registry host (`registry.example.com`),
 * which `registries.allow`/`deny` read as "everything in that registry".
 */
export function imagePatternProblem(pattern: string, registryOnly: boolean): string | undefined {
  const slash = pattern.indexOf('/');
  const first = slash < 0 ? pattern : pattern.slice(0, slash);
  const rest = slash < 0 ? '' : pattern.slice(slash + 1);
  if (/:|@(?!\()/.test(rest)) return `\`${pattern}\`: image patterns match \`registry/repository\` without a tag or digest`;
  const firstIsHost = first === 'localhost' || first.includes('.') || first.includes(':') || hasGlob(first);
  if (slash < 0 ? (registryOnly && firstIsHost) || pattern.includes('**') : firstIsHost) return undefined;
  const outcome = hasGlob(pattern) ? undefined : parseReference(pattern);
  const canonical = outcome?.ok === true ? canonicalName(outcome.ref) : undefined;
  const example = canonical !== undefined ? `write \`${canonical}\`` : 'start it with a registry host or `*/`';
  return `\`${pattern}\` can never match: image patterns are matched against the canonical \`registry/repository\` (e.g. \`docker.io/library/busybox\`); ${example}`;
}

/** Why a path glob (relative to the policy file's directory) can never match, or undefined. */
export function pathPatternProblem(pattern: string): string | undefined {
  if (isLocationGlob(pattern)) return undefined;
  if (pattern.startsWith('/') || /^[A-Za-z]:[\\/]/.test(pattern)) return `\`${pattern}\`: path globs are relative to the directory of the policy file, not absolute`;
  if (pattern.startsWith('./')) return `\`${pattern}\`: path globs are relative to the directory of the policy file; write \`${pattern.slice(2)}\``;
  if (pattern.includes('\\')) return `\`${pattern}\`: use \`/\` in path globs`;
  if (pattern.split('/').some((segment) => segment === '..' || segment === '.')) return `\`${pattern}\`: path globs match below the policy file's directory and cannot hold \`.\` or \`..\` segments (put the rule in a policy higher up, or use overrides there)`;
  return undefined;
}

/** A glob on live locations (`ecs://…`, as `audit ecs` reports them) rather than on file paths: never rebased. */
export function isLocationGlob(pattern: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//.test(pattern);
}

/**
 * A path glob written in a policy file whose directory is `base` (relative to the scan root, `/`
 * separators; empty for the root itself), as a glob relative to the scan root: `tests/**` in
 * `services/payments/.imagedrift.yaml` is `services/payments/tests/**`. The directory's own glob
 * characters are escaped.
 */
export function rebasePathGlob(pattern: string, base: string): string {
  if (base === '' || isLocationGlob(pattern)) return pattern;
  return `${base.replace(/[\\*?[\]{}()!@+]/g, '\\$&')}/${pattern}`;
}

/** Whether `value` is a real calendar date written YYYY-MM-DD. */
export function isCalendarDate(value: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (match === null) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}
