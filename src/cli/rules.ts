// `imagedrift rules`: every rule id with its severities and one line on what it flags, as a table
// for people or JSON for tools (as `kube-linter checks list` does). The severities are those of the
// bundled default policy, or of the policy given with --policy.
import { Command, Option } from 'commander';
import { formatIssue, PolicyError } from '../policy/errors.js';
import type { Policy } from '../policy/types.js';
import { ruleHelpUri } from '../report/help.js';
import { severityFor } from '../rules/engine.js';
import { RULE_IDS, RULES } from '../rules/index.js';
import type { Rule } from '../rules/types.js';
import { ExitCode } from './exit-codes.js';
import { writeStdout } from './outputs.js';

export interface RuleRow {
  id: string;
  severity: string;
  sidecarSeverity: string;
  /** What reports it: `scan`, `scan --resolve` (registry look-ups) or `audit` (live infrastructure). */
  checkedBy: 'scan' | 'scan --resolve' | 'audit';
  description: string;
  helpUri: string;
}

export function ruleRows(policy: Policy): RuleRow[] {
  return RULE_IDS.map((id) => {
    const rule = RULES[id] as Rule;
    return {
      id,
      severity: severityFor(policy, rule, 'app'),
      sidecarSeverity: severityFor(policy, rule, 'sidecar'),
      checkedBy: rule.meta.live === true ? 'audit' : rule.meta.needsResolve === true ? 'scan --resolve' : 'scan',
      description: rule.meta.short,
      helpUri: ruleHelpUri(id),
    };
  });
}

/** The rows as an aligned table with a header line. */
export function rulesTable(rows: readonly RuleRow[]): string {
  const header: RuleRow = { id: 'RULE', severity: 'SEVERITY', sidecarSeverity: 'SIDECAR', checkedBy: 'CHECKED BY' as RuleRow['checkedBy'], description: 'WHAT IT FLAGS', helpUri: '' };
  const all = [header, ...rows];
  const width = (key: 'id' | 'severity' | 'sidecarSeverity' | 'checkedBy') => all.reduce((most, row) => Math.max(most, row[key].length), -Infinity);
  const widths = { id: width('id'), severity: width('severity'), sidecarSeverity: width('sidecarSeverity'), checkedBy: width('checkedBy') };
  const line = (row: RuleRow) =>
    [row.id.padEnd(widths.id), row.severity.padEnd(widths.severity), row.sidecarSeverity.padEnd(widths.sidecarSeverity), row.checkedBy.padEnd(widths.checkedBy), row.description].join('  ');
  return `${all.map(line).join('\n')}\n`;
}

export function rulesCommand(): Command {
  return new Command('rules')
    .description('List every rule: its id, its severity and sidecar severity under the bundled default policy (or --policy), what reports it, and what it flags.')
    .addOption(new Option('-f, --format <format>', 'text (a table) or json (for tools)').choices(['text', 'json']).default('text'))
    .option('--policy <file>', 'show the severities this policy file sets instead of the bundled default')
    .addHelpText(
      'after',
      `
Examples:
  $ imagedrift rules
  $ imagedrift rules --policy .imagedrift.yaml
  $ imagedrift rules --format json | jq -r '.rules[] | select(.severity == "error") | .id'`,
    )
    .action(async (flags: { format: 'text' | 'json'; policy?: string }) => {
      const { loadDefaultPolicy, loadPolicyFile } = await import('../policy/load.js');
      let policy: Policy;
      try {
        policy = flags.policy !== undefined ? loadPolicyFile(flags.policy) : loadDefaultPolicy();
      } catch (err) {
        if (!(err instanceof PolicyError)) throw err;
        for (const issue of err.issues) process.stderr.write(`${formatIssue(issue)}\n`);
        process.exitCode = ExitCode.USAGE;
        return;
      }
      const rows = ruleRows(policy);
      if (flags.format === 'json') {
        writeStdout(`${JSON.stringify({ schema: 'imagedrift.rules/v1', policy: flags.policy ?? 'default', rules: rows }, null, 2)}\n`);
      } else {
        writeStdout(rulesTable(rows));
      }
    });
}
