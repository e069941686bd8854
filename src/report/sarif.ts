// SARIF 2.1.0 for code scanning (GitHub, GitLab, Azure DevOps): the rules it reports, with their
// description, documentation link and the level the policy gives them; each finding as a result at
// its exact region (UTF-16 columns), with a fingerprint that survives lines moving and, when a pin
// was proposed, the fix.
import { pathToFileURL } from 'node:url';
import { FindingIdentities, IDENTITY_VERSION, identityOf } from '../core/identity.js';
import type { Finding, Severity } from '../core/types.js';
import type { Policy } from '../policy/types.js';
import { severityFor } from '../rules/engine.js';
import { RULES } from '../rules/index.js';
import type { Rule } from '../rules/types.js';
import { ruleHelpUri, README_URL } from './help.js';
import type { Reporter } from './types.js';

export const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';
/** The base every artifact URI is relative to: the repository root. */
export const SRCROOT = '%SRCROOT%';
/** The fingerprint's name: the identity recipe's version (src/core/identity.ts). */
const FINGERPRINT_KEY = IDENTITY_VERSION;

type Level = 'error' | 'warning' | 'note' | 'none';

function level(severity: Severity | 'off'): Level {
  return severity === 'off' ? 'none' : severity;
}

function ruleDescriptor(rule: Rule, policy: Policy | undefined) {
  const configured = policy !== undefined ? severityFor(policy, rule, undefined) : rule.meta.severity;
  const sidecar = policy !== undefined ? severityFor(policy, rule, 'sidecar') : (rule.meta.sidecarSeverity ?? rule.meta.severity);
  return {
    id: rule.id,
    shortDescription: { text: rule.meta.short },
    fullDescription: { text: rule.meta.full },
    helpUri: ruleHelpUri(rule.id),
    help: { text: `${rule.meta.full} See ${ruleHelpUri(rule.id)}` },
    defaultConfiguration: { level: level(configured), ...(configured === 'off' ? { enabled: false } : {}) },
    properties: { sidecarLevel: level(sidecar) },
  };
}

/** A URI for a path: relative and percent-encoded inside the repository, a file: URL outside it. */
export function artifactUri(path: string): { uri: string; uriBaseId?: string } {
  if (path.startsWith('/') || /^[A-Za-z]:[\\/]/.test(path)) return { uri: pathToFileURL(path).href };
  // Live findings already carry an absolute URI (ecs://account/region/cluster/service#container).
  if (/^[a-z][a-z0-9+.-]*:\/\//.test(path)) return { uri: encodeURI(path) };
  return { uri: path.split('/').map(encodeURIComponent).join('/'), uriBaseId: SRCROOT };
}

/** SARIF's baselineState for a finding compared with a baseline. */
function baselineState(finding: Finding): 'new' | 'unchanged' | 'updated' | undefined {
  if (finding.baseline === undefined) return undefined;
  if (finding.baseline === 'new') return 'new';
  return finding.previous !== undefined ? 'updated' : 'unchanged';
}

export const sarif: Reporter = (result, { version, relativePath, policy }) => {
  // The rules the results use, in registry order: the log describes what it reports, and stays
  // the same when rules it does not use are added.
  const used = new Set<string>();
  for (const finding of result.findings) used.add(finding.ruleId);
  const rules = (Object.values(RULES) as Rule[]).filter((rule) => used.has(rule.id));
  const ruleIndex = new Map(rules.map((rule, i) => [rule.id, i]));
  // The fingerprint is the finding's identity: rule, file or live location, workload, container
  // and image repository, never the line, so an alert keeps its identity when lines above it move.
  const identities = new FindingIdentities(relativePath);
  const results = Array.from(result.findings, (finding) => {
    const location = artifactUri(relativePath?.(finding.location.path) ?? finding.location.path);
    const identity = identityOf(finding, identities);
    const state = baselineState(finding);
    const { line, column, endLine, endColumn } = finding.location;
    const index = ruleIndex.get(finding.ruleId);
    return {
      ruleId: finding.ruleId,
      ...(index !== undefined ? { ruleIndex: index } : {}),
      level: level(finding.severity),
      message: { text: finding.message },
      // A live finding (ecs://…) has no line: the artifact alone says where.
      locations: [{ physicalLocation: { artifactLocation: location, ...(line > 0 ? { region: { startLine: line, startColumn: column, endLine, endColumn } } : {}) } }],
      partialFingerprints: { [FINGERPRINT_KEY]: identity },
      ...(state !== undefined ? { baselineState: state } : {}),
      ...(finding.fix !== undefined
        ? {
            fixes: [
              {
                description: { text: finding.fix.description ?? `Pin the image: \`${finding.fix.replacement}\`` },
                artifactChanges: [
                  {
                    artifactLocation: location,
                    replacements: [{ deletedRegion: { charOffset: finding.fix.range.start, charLength: finding.fix.range.end - finding.fix.range.start }, insertedContent: { text: finding.fix.replacement } }],
                  },
                ],
              },
            ],
          }
        : {}),
      ...(finding.container !== undefined || finding.workload !== undefined || finding.image !== undefined
        ? {
            properties: {
              ...(finding.image !== undefined ? { image: finding.image.raw } : {}),
              ...(finding.container !== undefined ? { container: finding.container.name, role: finding.container.role } : {}),
              ...(finding.workload !== undefined ? { workload: [finding.workload.kind, finding.workload.namespace, finding.workload.name].filter((part) => part !== undefined).join('/') } : {}),
            },
          }
        : {}),
    };
  });
  const notifications = [
    ...result.skipped.map((skipped) => ({
      level: 'warning',
      message: { text: `skipped: ${skipped.reason}` },
      locations: [{ physicalLocation: { artifactLocation: artifactUri(relativePath?.(skipped.path) ?? skipped.path) } }],
    })),
    ...result.errors.map((error) => ({ level: 'error', message: { text: error } })),
  ];
  const log = {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [
      {
        tool: { driver: { name: 'imagedrift', version, semanticVersion: version, informationUri: README_URL, rules: rules.map((rule) => ruleDescriptor(rule, policy)) } },
        invocations: [{ executionSuccessful: result.errors.length === 0, ...(notifications.length > 0 ? { toolExecutionNotifications: notifications } : {}) }],
        columnKind: 'utf16CodeUnits',
        results,
        ...(result.baseline !== undefined
          ? { properties: { baseline: { file: result.baseline.file, new: result.baseline.new, existing: result.baseline.existing, changed: result.baseline.changed, fixed: result.baseline.fixed.length } } }
          : {}),
      },
    ],
  };
  // `##[` written `\u0023#[` (the same JSON value): a string from a manifest never reads as a command in a CI log.
  return `${JSON.stringify(log, null, 2).replace(/##\[/g, '\\u0023#[')}\n`;
};
