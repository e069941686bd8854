import type { Exception } from '../policy/types.js';
import { defineRule } from './types.js';

export default defineRule({
  id: 'expired-exception',
  meta: {
    short: 'A policy exception is past its `expires` date and no longer applies.',
    full: 'Exceptions in a policy file carry a reason and an expiry date so that accepted risks are looked at again. After its `expires` day an exception stops applying (the findings it covered come back) and this warning points at it in the policy file: fix the findings and delete the exception, or renew it with a new date and reason.',
    severity: 'warning',
  },
});

/** "Exception for `latest-tag` on `docker.io/library/busybox` in `jobs/**`, container `debug` ("reason") expired on 2027-01-31 …" */
export function expiredExceptionMessage(exception: Exception): string {
  let scope = exception.rule !== undefined ? ` for \`${exception.rule}\`` : ' for any rule';
  if (exception.image !== undefined) scope += ` on \`${exception.image}\``;
  if (exception.paths !== undefined) scope += ` in ${exception.paths.map((p) => `\`${p}\``).join(', ')}`;
  if (exception.container !== undefined) scope += `, container \`${exception.container}\``;
  if (exception.workload !== undefined) scope += `, workload \`${exception.workload}\``;
  return `Exception${scope} ("${exception.reason}") expired on ${exception.expires} and no longer applies; fix what it covered and remove it, or renew it with a new \`expires\` date`;
}
