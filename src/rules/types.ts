// The rule contract: one rule per file, defined with defineRule(); ids are stable public names.
import type { ParsedReference, Severity, Fix, ImageRef } from '../core/types.js';
import type { TagKind } from '../core/tag-kind.js';
import type { CompiledPolicy } from '../policy/match.js';
import type { Policy } from '../policy/types.js';
import type { LiveFacts } from '../core/live-facts.js';

/** One image reference, with everything the rules judge it by. */
export interface Subject {
  ref: ImageRef;
  /** The parsed reference; for a partly templated value whose tag is literal, parsed with the template parts stubbed. */
  parsed?: ParsedReference;
  /** True when `parsed` was read with template parts stubbed: its tag is real, its registry and repository are not. */
  stubbed?: boolean;
  /** Why the reference is invalid, when it is. */
  invalid?: string;
  /** Why the value cannot be judged (template, placeholder, intrinsic), when the tag cannot be read. */
  unresolvable?: string;
  /** The tag's kind, when there is a tag and no digest. */
  tagKind?: TagKind;
  /** What the registry said about the reference (`scan --resolve` only). */
  resolution?: Resolution;
  /** What runs in ECS under the reference (`audit ecs` only). */
  live?: LiveFacts;
}

/** Registry facts about one reference, gathered once per unique reference by `scan --resolve`. */
export interface Resolution {
  /** What the tag (or `latest`, for no tag) points at now. */
  current?: {
    digest: string;
    versionTag?: string;
    verified?: boolean;
    /** Why no pin to this digest is proposed yet (`pin.minimumReleaseAge`), when it is held back. */
    heldBack?: string;
  };
  /** For `tag@digest`: the version tag that the pinned digest carries, when known. */
  pinnedVersionTag?: string;
  /** The pinned digest is no longer in the registry. */
  pinnedDigestMissing?: boolean;
  /** Newer full releases than an exact version tag. */
  newer?: { patch?: string; minor?: string; major?: string };
  /** Why the registry could not answer. */
  failure?: string;
}

export interface Report {
  message: string;
  fix?: Fix;
}

export interface RuleMeta {
  /** One line: what the rule flags. */
  short: string;
  /** Why it matters and what to do. */
  full: string;
  severity: Severity;
  /** Stricter default for sidecars; defaults to severity. */
  sidecarSeverity?: Severity;
  /** Set when the rule needs registry look-ups (`scan --resolve`). */
  needsResolve?: boolean;
  /** Set when the rule judges live infrastructure only (`imagedrift audit …`), never files. */
  live?: boolean;
}

/** What a rule may consult besides the reference: the policy in force for the file, with its globs compiled. */
export interface RuleContext {
  policy: Policy;
  compiled: CompiledPolicy;
}

export interface Rule<Id extends string = string> {
  id: Id;
  meta: RuleMeta;
  /** Judges one reference; rules that report something else (parse errors, policy findings) have none. */
  check?(subject: Subject, context: RuleContext): Report | undefined;
}

export function defineRule<Id extends string>(rule: Rule<Id>): Rule<Id> {
  return rule;
}
