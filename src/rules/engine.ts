// Runs the rules over references: builds each reference's Subject once, asks every rule, and gives
// each report the severity the policy sets for the container's role.
import { canonicalReference, parseReference } from '../core/parse-reference.js';
import { classifyTag } from '../core/tag-kind.js';
import { admissionPlaceholder, templateReason } from '../core/templated.js';
import type { Finding, Fix, ImageRef, Location, Role, Severity } from '../core/types.js';
import { compilePolicy } from '../policy/match.js';
import type { Policy, SeveritySetting } from '../policy/types.js';
import { RULES } from './index.js';
import type { RuleId } from './index.js';
import type { Report, Resolution, Rule, RuleContext, Subject } from './types.js';

const TEMPLATE_PART = /\{\{.*?\}\}|\$\{[^}]*\}|\$\(?[A-Za-z_][A-Za-z0-9_]*\)?|<[^<>]+>/gs;

/**
 * Template parts before the last `/` do not hide the tag: `${REGISTRY}/app:latest` is still
 * `latest`; nor does a name that is one template as a whole (`${REPOSITORY_URI}:latest`).
 */
function stubTemplates(raw: string): string | undefined {
  const lastSlash = raw.lastIndexOf('/');
  const name = raw.slice(lastSlash + 1);
  if (lastSlash < 0 || templateReason(name) !== undefined || /[{}$<>%]/.test(name)) {
    const whole = /^(?:\{\{[^{}]*\}\}|\$\{[^{}]*\})(:[A-Za-z0-9_.-]+)$/.exec(raw);
    return whole !== null ? `templated${whole[1]}` : undefined;
  }
  const prefix = raw.slice(0, lastSlash).replace(TEMPLATE_PART, 'templated');
  return `${prefix}/${name}`;
}

export function buildSubject(ref: ImageRef, mutableWords: ReadonlySet<string>): Subject {
  const subject: Subject = { ref };
  let text = ref.raw;
  const placeholder = ref.unresolvable ?? admissionPlaceholder(ref.raw, ref.format);
  const template = placeholder ?? templateReason(ref.raw);
  if (template !== undefined) {
    const stubbed = placeholder === undefined ? stubTemplates(ref.raw) : undefined;
    if (stubbed === undefined || !parseReference(stubbed).ok) {
      subject.unresolvable = template;
      return subject;
    }
    text = stubbed;
    subject.stubbed = true;
  }
  const outcome = parseReference(text);
  if (!outcome.ok) {
    subject.invalid = outcome.error;
    return subject;
  }
  subject.parsed = outcome.ref;
  if (outcome.ref.tag !== undefined && outcome.ref.digest === undefined) subject.tagKind = classifyTag(outcome.ref.tag, mutableWords);
  return subject;
}

export function severityFor(policy: Policy, rule: Rule, role: Role | undefined): SeveritySetting {
  const setting = policy.rules[rule.id];
  const base = setting?.severity ?? rule.meta.severity;
  if (role !== 'sidecar') return base;
  return setting?.sidecarSeverity ?? setting?.severity ?? rule.meta.sidecarSeverity ?? base;
}

export function toFinding(rule: Rule, severity: Severity, report: Report, subject: Subject): Finding {
  const { ref, parsed } = subject;
  return {
    ruleId: rule.id,
    severity,
    message: report.message,
    location: ref.location,
    image: {
      raw: ref.raw,
      ...(parsed !== undefined && subject.unresolvable === undefined
        ? {
            // A stubbed reference's registry and repository are stand-ins: only its tag and digest are real.
            ...(subject.stubbed === true ? {} : { registry: parsed.registry, repository: parsed.repository }),
            ...(parsed.tag !== undefined ? { tag: parsed.tag } : {}),
            ...(parsed.digest !== undefined ? { digest: parsed.digest } : {}),
          }
        : {}),
    },
    container: ref.container,
    workload: ref.workload,
    ...(report.fix !== undefined ? { fix: report.fix } : {}),
  };
}

const FILE_RULES = (Object.values(RULES) as Rule[]).filter((rule) => rule.check !== undefined && rule.meta.needsResolve !== true);
const RESOLVE_RULES = (Object.values(RULES) as Rule[]).filter((rule) => rule.check !== undefined && rule.meta.needsResolve === true);

function runRules(rules: readonly Rule[], subject: Subject, policy: Policy, findings: Finding[]): void {
  const context: RuleContext = { policy, compiled: compilePolicy(policy) };
  for (const rule of rules) {
    const severity = severityFor(policy, rule, subject.ref.container.role);
    if (severity === 'off') continue;
    const report = rule.check?.(subject, context);
    if (report !== undefined) findings.push(toFinding(rule, severity, report, subject));
  }
}

/** Registry facts per unique reference (`canonicalReference`), and how to turn them into a pin proposal. */
export interface ResolvedFacts {
  resolutions: ReadonlyMap<string, Resolution>;
  propose(subject: Subject, policy: Policy): Fix | undefined;
}

/** The rules whose findings a pin answers. */
export const PINNABLE_RULES: ReadonlySet<string> = new Set(['latest-tag', 'missing-tag', 'mutable-tag', 'partial-version-tag', 'unversioned-tag', 'undigested-tag']);

/**
 * Judges a file's references: the rules that need only the file and, when registry facts are
 * given (`scan --resolve`), the rules that need them; pinnable findings then carry a proposal.
 */
export function judge(refs: readonly ImageRef[], policy: Policy, facts?: ResolvedFacts): Finding[] {
  const mutableWords = new Set(policy.mutableTags.map((word) => word.toLowerCase()));
  const findings: Finding[] = [];
  for (const ref of refs) {
    const subject = buildSubject(ref, mutableWords);
    const first = findings.length;
    // Registry facts first: a file rule may judge a floating tag by what it points at (denied-version).
    const resolved = facts !== undefined && subject.parsed !== undefined && subject.unresolvable === undefined;
    if (resolved) subject.resolution = facts.resolutions.get(canonicalReference(subject.parsed!));
    runRules(FILE_RULES, subject, policy, findings);
    if (!resolved || subject.resolution === undefined) continue;
    const fix = facts.propose(subject, policy);
    // A denied version is never proposed.
    const denied = findings.slice(first).some((finding) => finding.ruleId === 'denied-version');
    if (fix !== undefined && !denied) for (let i = first; i < findings.length; i++) if (PINNABLE_RULES.has(findings[i]!.ruleId)) findings[i]!.fix = fix;
    runRules(RESOLVE_RULES, subject, policy, findings);
  }
  return findings;
}

export function fileFinding(ruleId: RuleId, policy: Policy, message: string, location: Location): Finding | undefined {
  const severity = severityFor(policy, RULES[ruleId] as Rule, undefined);
  return severity === 'off' ? undefined : { ruleId, severity, message, location };
}
