import { capitalise, describeContainer } from './describe.js';
import { defineRule } from './types.js';

export default defineRule({
  id: 'unresolvable-reference',
  meta: {
    short: 'The image is a template, a placeholder or an intrinsic function with no literal value, so it cannot be checked.',
    full: 'Values such as `{{ .Values.image }}`, `${TAG}`, `<IMAGE>` or `!Sub` with variables are filled in later by another tool. Check the rendered output instead (e.g. `helm template … | imagedrift scan -`).',
    severity: 'note',
  },
  check({ ref, unresolvable }) {
    if (unresolvable === undefined) return undefined;
    return { message: `${capitalise(describeContainer(ref))} has image \`${ref.raw}\` that cannot be checked: ${unresolvable}` };
  },
});
