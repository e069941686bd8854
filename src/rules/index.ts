// The rule registry: a missing entry fails to compile.
import invalidReference from './invalid-reference.js';
import latestTag from './latest-tag.js';
import missingTag from './missing-tag.js';
import mutableTag from './mutable-tag.js';
import parseError from './parse-error.js';
import duplicateKey from './duplicate-key.js';
import partialVersionTag from './partial-version-tag.js';
import undigestedTag from './undigested-tag.js';
import unversionedTag from './unversioned-tag.js';
import unresolvableReference from './unresolvable-reference.js';
import digestNotFound from './digest-not-found.js';
import newerVersionAvailable from './newer-version-available.js';
import resolveFailed from './resolve-failed.js';
import tagMoved from './tag-moved.js';
import disallowedRegistry from './disallowed-registry.js';
import expiredException from './expired-exception.js';
import unusedSuppression from './unused-suppression.js';
import fleetDrift from './fleet-drift.js';
import tagMovedSinceDeploy from './tag-moved-since-deploy.js';
import versionConsistencyDisabled from './version-consistency-disabled.js';
import runningDigestMissing from './running-digest-missing.js';
import mutableRepository from './mutable-repository.js';
import pullPolicyAlwaysFloating from './pull-policy-always-floating.js';
import auditIncomplete from './audit-incomplete.js';
import deniedVersion from './denied-version.js';
import type { Rule } from './types.js';

export type RuleId =
  | 'latest-tag'
  | 'missing-tag'
  | 'mutable-tag'
  | 'partial-version-tag'
  | 'unversioned-tag'
  | 'undigested-tag'
  | 'invalid-reference'
  | 'unresolvable-reference'
  | 'parse-error'
  | 'duplicate-key'
  | 'disallowed-registry'
  | 'expired-exception'
  | 'unused-suppression'
  | 'tag-moved'
  | 'digest-not-found'
  | 'newer-version-available'
  | 'resolve-failed'
  | 'fleet-drift'
  | 'tag-moved-since-deploy'
  | 'version-consistency-disabled'
  | 'running-digest-missing'
  | 'mutable-repository'
  | 'pull-policy-always-floating'
  | 'audit-incomplete'
  | 'denied-version';

export const RULES = {
  'latest-tag': latestTag,
  'missing-tag': missingTag,
  'mutable-tag': mutableTag,
  'partial-version-tag': partialVersionTag,
  'unversioned-tag': unversionedTag,
  'undigested-tag': undigestedTag,
  'invalid-reference': invalidReference,
  'unresolvable-reference': unresolvableReference,
  'parse-error': parseError,
  'duplicate-key': duplicateKey,
  'disallowed-registry': disallowedRegistry,
  'expired-exception': expiredException,
  'unused-suppression': unusedSuppression,
  'tag-moved': tagMoved,
  'digest-not-found': digestNotFound,
  'newer-version-available': newerVersionAvailable,
  'resolve-failed': resolveFailed,
  'fleet-drift': fleetDrift,
  'tag-moved-since-deploy': tagMovedSinceDeploy,
  'version-consistency-disabled': versionConsistencyDisabled,
  'running-digest-missing': runningDigestMissing,
  'mutable-repository': mutableRepository,
  'pull-policy-always-floating': pullPolicyAlwaysFloating,
  'audit-incomplete': auditIncomplete,
  'denied-version': deniedVersion,
} satisfies { [Id in RuleId]: Rule<Id> };

export const RULE_IDS = Object.keys(RULES) as RuleId[];
