import type { SnapshotIncomplete } from '../sources/ecs-live.js';
import { defineRule } from './types.js';

/** Reported by the audit for each part of the fleet or registry it could not read. */
export default defineRule({
  id: 'audit-incomplete',
  meta: {
    short: 'Part of the ECS fleet or a registry could not be read (access denied, not offered, failed).',
    full: 'The audit read everything else, but nothing in this scope (an account, region, cluster, task definition, ECR registry or image repository) was judged, for the reason given. Grant the read-only actions listed in the README, or narrow the scope with `--region`, `--cluster`, `--service`. The audit exits 3 (incomplete) whenever there is one. `imagedrift audit ecs` only.',
    severity: 'warning',
    live: true,
  },
});

const WHAT: Record<SnapshotIncomplete['scope'], string> = {
  account: 'nothing in this account was audited',
  region: 'nothing in this region was audited',
  cluster: 'services and tasks of this cluster may be missing from the audit',
  'task-definition': 'the containers of this task definition were not judged',
  'service-revisions': 'digests resolved by service deployments are missing from the audit',
  'ecr-registry': 'repository settings (tag mutability) of this registry were not judged',
  registry: 'what the registry serves now for this image was not judged',
};

/** "Audit incomplete: AccessDeniedException on ListServices (…): services and tasks of this cluster may be missing from the audit" */
export function auditIncompleteMessage(entry: SnapshotIncomplete): string {
  const reason = entry.reason.replace(/\s+/g, ' ').trim();
  const detail = reason === '' || reason === entry.code ? '' : ` (${reason.startsWith(`${entry.code}: `) ? reason.slice(entry.code.length + 2) : reason})`;
  return `Audit incomplete: ${entry.code} on ${entry.operation}${detail}: ${WHAT[entry.scope]}`;
}
