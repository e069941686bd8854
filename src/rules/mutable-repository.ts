import { capitalise, describeContainer } from './describe.js';
import { defineRule } from './types.js';

/** ECR's WILDCARD exclusion filters: `*` matches any run of characters, everything else itself. */
export function wildcardMatches(filter: string, tag: string): boolean {
  const pattern = filter
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\-]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${pattern}$`).test(tag);
}

/**
 * Whether a repository's tag mutability lets `tag` be pushed over, and why, in words.
 * MUTABLE: always; IMMUTABLE: never; MUTABLE_WITH_EXCLUSION: unless an exclusion filter covers the
 * tag (those tags are immutable); IMMUTABLE_WITH_EXCLUSION: only when a filter covers it.
 */
export function tagOverwritable(
  tag: string,
  mutability: string | undefined,
  filters: ReadonlyArray<{ filterType?: string; filter?: string }>,
): { overwritable: boolean; why: string } {
  const setting = mutability ?? 'MUTABLE';
  const patterns = filters.filter((f) => (f.filterType ?? 'WILDCARD') === 'WILDCARD' && f.filter !== undefined).map((f) => f.filter as string);
  const covering = patterns.find((p) => wildcardMatches(p, tag));
  switch (setting) {
    case 'IMMUTABLE':
      return { overwritable: false, why: 'is IMMUTABLE' };
    case 'IMMUTABLE_WITH_EXCLUSION':
      return covering !== undefined
        ? { overwritable: true, why: `is IMMUTABLE_WITH_EXCLUSION, and its exclusion filter \`${covering}\` makes \`${tag}\` mutable` }
        : { overwritable: false, why: 'is IMMUTABLE_WITH_EXCLUSION' };
    case 'MUTABLE_WITH_EXCLUSION':
      return covering !== undefined
        ? { overwritable: false, why: `is MUTABLE_WITH_EXCLUSION, and its exclusion filter \`${covering}\` keeps \`${tag}\` immutable` }
        : {
            overwritable: true,
            why: `is MUTABLE_WITH_EXCLUSION, and ${patterns.length === 0 ? 'it has no exclusion filter' : `none of its exclusion filters (${patterns.map((p) => `\`${p}\``).join(', ')})`} covers \`${tag}\``,
          };
    default:
      return { overwritable: true, why: `is ${setting}` };
  }
}

export default defineRule({
  id: 'mutable-repository',
  meta: {
    short: 'An ECR repository\'s tag mutability lets a tag in use by ECS be overwritten.',
    full: 'The repository is MUTABLE, or its `*_WITH_EXCLUSION` filters leave the tag in use mutable: anyone who can push can replace what the tag names, and the next task that pulls it runs that build. Set the repository to IMMUTABLE (or IMMUTABLE_WITH_EXCLUSION with filters that do not cover tags you deploy), or pin the digest. `imagedrift audit ecs` only.',
    severity: 'warning',
    live: true,
  },
  check({ ref, parsed, live }) {
    const repo = live?.repository;
    if (repo === undefined || !repo.found || parsed?.tag === undefined || parsed.digest !== undefined) return undefined;
    const verdict = tagOverwritable(parsed.tag, repo.imageTagMutability, repo.exclusionFilters);
    if (!verdict.overwritable) return undefined;
    return {
      message: `${capitalise(describeContainer(ref))} uses \`${parsed.tag}\` from ECR repository \`${repo.name}\` (${repo.registryId}, ${repo.region}), whose tag mutability ${verdict.why}: a push can replace the build \`${parsed.tag}\` names under running tasks`,
    };
  },
});
