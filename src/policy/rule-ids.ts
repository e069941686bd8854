// Rule ids a policy may name. Every registered rule (src/rules/index.ts) is accepted as soon as it is
// registered; FUTURE_RULE_IDS lists ids that later features will register, so a policy written for
// them (`newer-version-available: off`) is valid today. This is the one place that list lives.
import { RULE_IDS } from '../rules/index.js';

export const FUTURE_RULE_IDS = [
  'newer-version-available',
  'tag-moved',
  'digest-not-found',
  'resolve-failed',
  'fleet-drift',
  'tag-moved-since-deploy',
  'version-consistency-disabled',
  'running-digest-missing',
  'mutable-repository',
  'audit-incomplete',
] as const;

/** Registered rule ids first (in registry order), then future ids not registered yet. */
export function knownRuleIds(): string[] {
  const ids: string[] = [...RULE_IDS];
  for (const id of FUTURE_RULE_IDS) if (!ids.includes(id)) ids.push(id);
  return ids;
}
