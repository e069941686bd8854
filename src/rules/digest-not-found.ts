import { capitalise, describeContainer } from './describe.js';
import { defineRule } from './types.js';

export default defineRule({
  id: 'digest-not-found',
  meta: {
    short: 'The pinned digest is no longer in the registry.',
    full: 'Registries delete manifests (ECR lifecycle policies do it on a schedule). Running tasks keep their image, but the next scale-out or replacement fails with CannotPullContainerError / ErrImagePull. Re-pin to a digest that exists. Needs `--resolve`.',
    severity: 'error',
    needsResolve: true,
  },
  check({ ref, parsed, resolution }) {
    if (parsed?.digest === undefined || resolution?.pinnedDigestMissing !== true) return undefined;
    return { message: `${capitalise(describeContainer(ref))} pins ${parsed.digest}, which the registry no longer has: the next scale-out or replacement will fail to pull` };
  },
});
