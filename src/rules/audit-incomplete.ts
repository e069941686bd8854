import type { SnapshotIncomplete } from '../sources/ecs-live.js';
import type { K8sIncomplete } from '../sources/k8s/snapshot.js';
import { defineRule } from './types.js';

/** Reported by the audit for each part of the fleet or registry it could not read. */
export default defineRule({
  id: 'audit-incomplete',
  meta: {
    short: 'Part of the ECS fleet, of the Kubernetes cluster, or a registry could not be read (access denied, not offered, failed).',
    full: 'The audit read everything else, but nothing in this scope (an account, region, cluster, task definition, ECR registry or image repository; a Kubernetes namespace or kind) was judged, for the reason given. Grant the read-only actions (ECS) or the read-only ClusterRole (Kubernetes) listed in the README, or narrow the scope with `--region`, `--cluster`, `--service` or `--namespace`. The audit exits 3 (incomplete) whenever there is one. `imagedrift audit ecs` and `audit k8s` only.',
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

/** Why, in one line: `Forbidden on list pods (pods is forbidden: …)`. */
function cause(code: string, operation: string, reason: string): string {
  const text = reason.replace(/\s+/g, ' ').trim();
  const detail = text === '' || text === code ? '' : ` (${text.startsWith(`${code}: `) ? text.slice(code.length + 2) : text})`;
  return `${code} on ${operation}${detail}`;
}

/**
 * For `audit k8s`: one message for the failed lists of one scope (a namespace, or with -A the whole
 * cluster), or for an image's registry: "Audit incomplete: Forbidden on list pods, list deployments
 * (…): pods and deployments in this namespace were not audited".
 */
export function k8sAuditIncompleteMessage(entries: readonly K8sIncomplete[], allKinds: boolean): string {
  const first = entries[0]!;
  if (first.scope === 'registry') return `Audit incomplete: ${cause(first.code, first.operation, first.reason)}: ${WHAT.registry}`;
  const operations = entries.map((e) => e.operation).join(', ');
  const plurals = entries.map((e) => e.operation.replace(/^list /, ''));
  const what = plurals.length === 1 ? plurals[0]! : `${plurals.slice(0, -1).join(', ')} and ${plurals.at(-1)}`;
  const where = first.namespace === '*' || first.namespace === undefined ? (allKinds ? 'nothing in the cluster was audited' : `${what} were not audited in any namespace`) : allKinds ? 'nothing in this namespace was audited' : `${what} in this namespace were not audited`;
  return `Audit incomplete: ${cause(first.code, operations, first.reason)}: ${where}`;
}
