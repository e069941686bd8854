import { canonicalName } from '../core/parse-reference.js';
import { templateReason } from '../core/templated.js';
import { capitalise, describeContainer } from './describe.js';
import { defineRule } from './types.js';

export default defineRule({
  id: 'disallowed-registry',
  meta: {
    short: 'The image comes from a registry or repository the policy does not allow.',
    full: 'The policy lists where images may come from (`registries.allow`) and where they may not (`registries.deny`), as globs on the canonical `registry/repository`. Pull the image from an allowed registry (mirror it into your own ECR, say), or change the policy.',
    severity: 'error',
  },
  check({ ref, parsed, invalid, unresolvable }, { compiled }) {
    // A partly templated value (`${REGISTRY}/app:latest`) has no registry to judge.
    if (parsed === undefined || invalid !== undefined || unresolvable !== undefined || templateReason(ref.raw) !== undefined) return undefined;
    const name = canonicalName(parsed);
    const verdict = compiled.registry(name);
    if (verdict.allowed) return undefined;
    const why = verdict.deniedBy !== undefined ? `which the policy denies (\`registries.deny\`: \`${verdict.deniedBy}\`)` : 'which is not among the registries the policy allows (`registries.allow`)';
    return { message: `${capitalise(describeContainer(ref))} uses \`${name}\`, ${why}` };
  },
});
