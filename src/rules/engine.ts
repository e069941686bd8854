// Runs the rules over references: builds each reference's Subject once, asks every rule, and gives
// each report the severity the policy sets for the container's role.
import { parseReference } from '../core/parse-reference.js';
import { classifyTag } from '../core/tag-kind.js';
import { templateReason } from '../core/templated.js';
import type { Finding, ImageRef, Location, Role, Severity } from '../core/types.js';
import { compilePolicy } from '../policy/match.js';
import type { Policy, SeveritySetting } from '../policy/types.js';
import { RULES } from './index.js';
import type { RuleId } from './index.js';
import type { Report, Rule, RuleContext, Subject } from './types.js';

/** Template parts before the last `/` do not hide the tag: `${REGISTRY}/app:latest` is still `latest`. */
function stubTemplates(raw: string): string | undefined {
  const lastSlash = raw.lastIndexOf('/');
  const name = raw.slice(lastSlash + 1);
  if (lastSlash < 0 || templateReason(name) !== undefined || /[{}$<>%]/.test(name)) return undefined;
  const prefix = raw.slice(0, lastSlash).replace(/\{\{.*?\}\}|\$\{[^}]*\}|\$\(?[A-Za-z_][A-Za-z0-9_]*\)?|<[^<>]+>/gs, 'templated');
  return `${prefix}/${name}`;
}

export function buildSubject(ref: ImageRef, mutableWords: ReadonlySet<string>): Subject {
  const subject: Subject = { ref };
  let text = ref.raw;
  const template = ref.unresolvable ?? templateReason(ref.raw);
  if (template !== undefined) {
    const stubbed = ref.unresolvable === undefined ? stubTemplates(ref.raw) : undefined;
    if (stubbed === undefined || !parseReference(stubbed).ok) {
      subject.unresolvable = template;
      return subject;
    }
    text = stubbed;
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
        ? { registry: parsed.registry, repository: parsed.repository, ...(parsed.tag !== undefined ? { tag: parsed.tag } : {}), ...(parsed.digest !== undefined ? { digest: parsed.digest } : {}) }
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

/** The rules that need only the file. */
export function judge(refs: readonly ImageRef[], policy: Policy): Finding[] {
  const mutableWords = new Set(policy.mutableTags.map((word) => word.toLowerCase()));
  const findings: Finding[] = [];
  for (const ref of refs) runRules(FILE_RULES, buildSubject(ref, mutableWords), policy, findings);
  return findings;
}

/** The rules that need registry facts (`scan --resolve`), for subjects that carry a resolution. */
export function judgeResolved(subjects: readonly Subject[], policy: Policy): Finding[] {
  const findings: Finding[] = [];
  for (const subject of subjects) if (subject.resolution !== undefined) runRules(RESOLVE_RULES, subject, policy, findings);
  return findings;
}

export function fileFinding(ruleId: RuleId, policy: Policy, message: string, location: Location): Finding | undefined {
  const severity = severityFor(policy, RULES[ruleId] as Rule, undefined);
  return severity === 'off' ? undefined : { ruleId, severity, message, location };
}
