// The rule contract: one rule per file, defined with defineRule(); ids are stable public names.
import type { ParsedReference, Severity, Fix, ImageRef } from '../core/types.js';
import type { TagKind } from '../core/tag-kind.js';

/** One image reference, with everything the rules judge it by. */
export interface Subject {
  ref: ImageRef;
  /** The parsed reference; for a partly templated value whose tag is literal, parsed with the template parts stubbed. */
  parsed?: ParsedReference;
  /** Why the reference is invalid, when it is. */
  invalid?: string;
  /** Why the value cannot be judged (template, placeholder, intrinsic), when the tag cannot be read. */
  unresolvable?: string;
  /** The tag's kind, when there is a tag and no digest. */
  tagKind?: TagKind;
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
}

export interface Rule<Id extends string = string> {
  id: Id;
  meta: RuleMeta;
  /** Judges one reference; rules that report something else (parse errors) have none. */
  check?(subject: Subject): Report | undefined;
}

export function defineRule<Id extends string>(rule: Rule<Id>): Rule<Id> {
  return rule;
}
