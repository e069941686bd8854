import { canonicalName } from '../core/parse-reference.js';
import { deniedVersion, describeDenial } from '../policy/deny.js';
import { capitalise, describeContainer } from './describe.js';
import { defineRule } from './types.js';

export default defineRule({
  id: 'denied-version',
  meta: {
    short: 'The image is a version the policy denies (`deny.versions`).',
    full: 'The policy lists releases known to be bad (`deny.versions`: an image glob and a semver range), such as a collector release that panics. A reference to one is reported wherever it is written or runs, and `pin`, `pr` and `scan --resolve` never propose one. With `--resolve`, a floating tag (`latest`, a partial version) is judged by the release it points at now. Move to another version.',
    severity: 'error',
  },
  check({ ref, parsed, invalid, unresolvable, resolution }, { policy }) {
    if (parsed === undefined || invalid !== undefined || unresolvable !== undefined || (policy.deny?.versions.length ?? 0) === 0) return undefined;
    const name = canonicalName(parsed);
    const written = deniedVersion(policy, name, parsed.tag);
    if (written !== undefined) {
      return { message: `${capitalise(describeContainer(ref))} uses \`${parsed.tag}\`, release ${written.version}, which the policy denies (${describeDenial(written.entry)})` };
    }
    // What a floating tag (or a pin whose tag moved) points at now, when the registry said (`--resolve`).
    const now = parsed.digest === undefined ? resolution?.current?.versionTag : resolution?.pinnedVersionTag;
    const current = now !== undefined ? deniedVersion(policy, name, now) : undefined;
    if (current === undefined) return undefined;
    const what = parsed.digest === undefined ? `\`${parsed.tag ?? 'latest'}\`, which is now ${now}` : `a digest of ${now}`;
    return { message: `${capitalise(describeContainer(ref))} uses ${what}, release ${current.version}, which the policy denies (${describeDenial(current.entry)})` };
  },
});
