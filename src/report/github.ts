// GitHub Actions workflow commands: one annotation a finding, shown on the pull request's diff and
// in the run's summary. `::error file=…,line=…,col=…,endColumn=…,title=rule-id::message`.
import type { Severity } from '../core/types.js';
import { summaryLine } from './text.js';
import type { Reporter } from './types.js';

const COMMAND: Record<Severity, string> = { error: 'error', warning: 'warning', note: 'notice' };

/** Escapes a command's message (the part after `::`), as @actions/core does. */
export function escapeData(value: string): string {
  return value.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** Escapes a property value (`file=…`, `title=…`): also `:` and `,`, which separate properties. */
export function escapeProperty(value: string): string {
  return escapeData(value).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

function command(name: string, properties: Array<[string, string | number | undefined]>, message: string): string {
  const props = properties.filter(([, value]) => value !== undefined).map(([key, value]) => `${key}=${escapeProperty(String(value))}`);
  return `::${name}${props.length > 0 ? ` ${props.join(',')}` : ''}::${escapeData(message)}`;
}

export const github: Reporter = (result, { relativePath }) => {
  const lines: string[] = [];
  for (const finding of result.findings) {
    const { path, line, column, endLine, endColumn } = finding.location;
    lines.push(
      command(
        COMMAND[finding.severity],
        [
          ['file', relativePath?.(path) ?? path],
          // A live finding (ecs://…, line 0) is annotated without a position.
          ['line', line > 0 ? line : undefined],
          // GitHub takes endColumn only for a one-line annotation, and endLine otherwise.
          ['endLine', line > 0 && endLine !== line ? endLine : undefined],
          ['col', line > 0 ? column : undefined],
          ['endColumn', line > 0 && endLine === line ? endColumn : undefined],
          ['title', finding.ruleId],
        ],
        finding.message,
      ),
    );
  }
  for (const skipped of result.skipped) lines.push(command('warning', [['file', relativePath?.(skipped.path) ?? skipped.path], ['title', 'skipped']], `skipped: ${skipped.reason}`));
  for (const error of result.errors) lines.push(command('error', [['title', 'imagedrift']], error));
  lines.push(summaryLine(result));
  return `${lines.join('\n')}\n`;
};
