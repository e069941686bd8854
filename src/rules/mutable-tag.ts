import { capitalise, describeContainer, floatingConsequence } from './describe.js';
import { defineRule } from './types.js';

export default defineRule({
  id: 'mutable-tag',
  meta: {
    short: 'The image uses a tag that names a moving target (`stable`, `main`, `edge`, `nightly`, `alpine`, `lts`, …).',
    full: 'Tags such as `stable`, `main`, `edge` or `alpine` are re-pointed by their publisher as a matter of course. Pin a version and a digest. The word list is `tags.mutable` in the policy.',
    severity: 'warning',
    sidecarSeverity: 'error',
  },
  check({ ref, parsed, tagKind }) {
    if (tagKind !== 'mutable') return undefined;
    return { message: `${capitalise(describeContainer(ref))} uses mutable tag \`${parsed?.tag ?? ''}\`: ${floatingConsequence(ref)}` };
  },
});
