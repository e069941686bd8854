// Markdown for a pull-request comment or a job summary ($GITHUB_STEP_SUMMARY): a table of counts
// by severity, the sidecar findings called out, then the findings grouped by file with links to
// their lines. Kept under GitHub's comment size limit.
import type { Finding, FindingList, ScanResult, Severity } from '../core/types.js';
import { SEVERITIES } from '../core/types.js';
import { ruleHelpUri } from './help.js';
import { summaryLine } from './text.js';
import type { Reporter } from './types.js';

/** GitHub refuses comments over 65536 characters; leave room for what a workflow adds around the report. */
export const MARKDOWN_LIMIT = 60_000;

const ICON: Record<Severity, string> = { error: '🔴', warning: '🟠', note: '🔵' };

/** Escapes text for a Markdown table cell, leaving `code spans` as they are (only `|` is escaped in them). */
export function escapeCell(text: string): string {
  return text
    .replace(/\r?\n/g, ' ')
    .split(/(`[^`]*`)/)
    .map((part, i) => (i % 2 === 1 ? part.replace(/\|/g, '\\|') : part.replace(/[\\|*_[\]<>&#]/g, (c) => (c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '&' ? '&amp;' : `\\${c}`))))
    .join('');
}

/** A code span that holds any text (backticks inside get a longer fence). */
function code(text: string): string {
  let longest = 0;
  for (const run of text.match(/`+/g) ?? []) longest = Math.max(longest, run.length);
  const fence = '`'.repeat(longest + 1);
  const pad = text.startsWith('`') || text.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${text.replace(/\|/g, '\\|')}${pad}${fence}`;
}

function link(base: string | undefined, path: string, line?: number): string | undefined {
  if (base === undefined || path.startsWith('/') || path === '<stdin>' || /^[a-z]+:\/\//.test(path)) return undefined;
  const encoded = path.split('/').map(encodeURIComponent).join('/');
  return `${base.endsWith('/') ? base : `${base}/`}${encoded}${line !== undefined ? `#L${line}` : ''}`;
}

function containerCell(finding: Finding): string {
  const { container, workload } = finding;
  if (container === undefined) return '';
  const name = container.name !== undefined ? code(container.name) : '';
  const role = container.role === 'sidecar' ? '**sidecar**' : container.role === 'init' ? 'init' : '';
  const where = workload?.name !== undefined ? ` in ${escapeCell(workload.kind)} ${code(`${workload.namespace !== undefined ? `${workload.namespace}/` : ''}${workload.name}`)}` : '';
  return [name, role].filter((part) => part !== '').join(' ') + where;
}

function fileSection(findings: readonly Finding[], base: string | undefined, shown: string): string[] {
  const fileLink = link(base, shown);
  const lines = [`### ${fileLink !== undefined ? `[${code(shown)}](${fileLink})` : code(shown)}`, '', '| line | severity | rule | container | finding |', '| ---: | --- | --- | --- | --- |'];
  for (const finding of findings) {
    const live = finding.location.line === 0; // ecs://… findings have no line
    const lineLink = live ? undefined : link(base, shown, finding.location.line);
    const where = live ? '—' : `${finding.location.line}:${finding.location.column}`;
    lines.push(
      `| ${lineLink !== undefined ? `[${where}](${lineLink})` : where} | ${ICON[finding.severity]} ${finding.severity} | [${code(finding.ruleId)}](${ruleHelpUri(finding.ruleId)}) | ${containerCell(finding)} | ${escapeCell(finding.message)} |`,
    );
  }
  lines.push('');
  return lines;
}

function summaryTable(result: ScanResult): string[] {
  const lines = ['| severity | findings |', '| --- | ---: |'];
  for (const severity of SEVERITIES) lines.push(`| ${ICON[severity]} ${severity} | ${result.summary.bySeverity[severity]} |`);
  return lines;
}

function sidecarCallout(findings: FindingList): string[] {
  const sidecars: Finding[] = [];
  for (const finding of findings) if (finding.container?.role === 'sidecar') sidecars.push(finding);
  if (sidecars.length === 0) return [];
  const names = [...new Set(sidecars.map((finding) => finding.container?.name).filter((name): name is string => name !== undefined))];
  const errors = sidecars.filter((finding) => finding.severity === 'error').length;
  return [
    `> [!WARNING]`,
    `> **${sidecars.length} finding${sidecars.length === 1 ? ' is' : 's are'} on sidecar containers** (${names.map(code).join(', ')})${errors > 0 ? `, ${errors} at error severity` : ''}. A sidecar nobody on the team owns is what floats unnoticed: the AWS OTEL collector on \`:latest\` is how this tool started.`,
    '',
  ];
}

export const markdown: Reporter = (result, { relativePath, linkBase }) => {
  const head = ['## imagedrift', '', ...summaryTable(result), '', escapeCell(summaryLine(result)), ''];
  if (result.findings.length === 0) head.push('No findings.', '');
  for (const line of sidecarCallout(result.findings)) head.push(line);
  const byFile = new Map<string, Finding[]>();
  for (const finding of result.findings) {
    const path = finding.location.path;
    const list = byFile.get(path);
    if (list === undefined) byFile.set(path, [finding]);
    else list.push(finding);
  }
  const sections: string[][] = [];
  for (const [path, findings] of byFile) sections.push(fileSection(findings, linkBase, relativePath?.(path) ?? path));
  const tail: string[] = [];
  if (result.skipped.length > 0 || result.errors.length > 0) {
    tail.push('### Not scanned', '');
    for (const skipped of result.skipped) tail.push(`- ${code(relativePath?.(skipped.path) ?? skipped.path)}: ${escapeCell(skipped.reason)}`);
    for (const error of result.errors) tail.push(`- ${escapeCell(error)}`);
    tail.push('');
  }
  let size = [...head, ...tail].join('\n').length;
  const body: string[] = [];
  let shown = 0;
  for (const section of sections) {
    const text = section.join('\n');
    if (size + text.length + 200 > MARKDOWN_LIMIT) break;
    for (const line of section) body.push(line);
    size += text.length + 1;
    shown += 1;
  }
  if (shown < sections.length) {
    const left = [...byFile.values()].slice(shown).reduce((n, findings) => n + findings.length, 0);
    body.push(`_…and ${left} more finding${left === 1 ? '' : 's'} in ${sections.length - shown} more file${sections.length - shown === 1 ? '' : 's'}, left out to stay within the comment size limit; see the full report (text, JSON or SARIF)._`, '');
  }
  return `${[...head, ...body, ...tail].join('\n').trimEnd()}\n`;
};
