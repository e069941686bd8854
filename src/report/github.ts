// GitHub Actions workflow commands: one annotation a finding, shown on the pull request's diff and
// in the run's summary. `::error file=…,line=…,col=…,endColumn=…,title=rule-id::message`.
import { displayText, inertLine } from '../core/display.js';
import type { Severity } from '../core/types.js';
import { SEVERITIES } from '../core/types.js';
import { summaryLine } from './summary.js';
import type { Reporter } from './types.js';

const COMMAND: Record<Severity, string> = { error: 'error', warning: 'warning', note: 'notice' };

/** Escapes a command's message (the part after `::`), as @actions/core does. */
export function escapeData(value: string): string {
  // CR and LF as the runner expects; the other control characters (an ANSI escape in a name) made visible.
  return displayText(value.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A'));
}

/** Escapes a property value (`file=…`, `title=…`): also `:` and `,`, which separate properties. */
export function escapeProperty(value: string): string {
  return escapeData(value).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

function command(name: string, properties: Array<[string, string | number | undefined]>, message: string): string {
  const props = properties.filter(([, value]) => value !== undefined).map(([key, value]) => `${key}=${escapeProperty(String(value))}`);
  return `::${name}${props.length > 0 ? ` ${props.join(',')}` : ''}::${escapeData(message)}`;
}

/** A file skipped because it is a Go/Helm template (src/scan/scan-file.ts says so in its reason). */
export function isTemplateSkip(reason: string): boolean {
  return /Go\/Helm template/.test(reason);
}

/** Template files listed in the one notice before the rest are counted. */
const TEMPLATES_NAMED = 10;

export const github: Reporter = (result, { relativePath }) => {
  const lines: string[] = [];
  // GitHub shows the first 10 error annotations of a step: errors first, the new ones first among them.
  for (const severity of SEVERITIES) {
    for (const fresh of result.baseline !== undefined ? [true, false] : [undefined]) {
      for (const finding of result.findings) {
        if (finding.severity !== severity || (fresh !== undefined && (finding.baseline === 'new') !== fresh)) continue;
        const { path, line, column, endLine, endColumn } = finding.location;
        lines.push(
          command(
            COMMAND[finding.severity],
            [
              ['file', relativePath?.(path) ?? path],
              // A live finding (ecs://…, line 0) is annotated without a position.
              ['line', line > 0 ? line : undefined],
              // GitHub takes endLine only for a multi-line annotation, and endColumn otherwise.
              ['endLine', line > 0 && endLine !== line ? endLine : undefined],
              ['col', line > 0 ? column : undefined],
              ['endColumn', line > 0 && endLine === line ? endColumn : undefined],
              ['title', finding.baseline === 'new' ? `${finding.ruleId} (new)` : finding.ruleId],
            ],
            finding.message,
          ),
        );
      }
    }
  }
  // Templates are skipped by design: one notice for all of them, not a warning each.
  const templates = result.skipped.filter((skipped) => isTemplateSkip(skipped.reason));
  if (templates.length > 0) {
    const names = templates.slice(0, TEMPLATES_NAMED).map((skipped) => relativePath?.(skipped.path) ?? skipped.path);
    const more = templates.length > TEMPLATES_NAMED ? ` and ${templates.length - TEMPLATES_NAMED} more` : '';
    lines.push(
      command(
        'notice',
        [['title', 'skipped templates']],
        `${templates.length} Go/Helm template${templates.length === 1 ? ' was' : 's were'} skipped (scan the rendered output: helm template … | imagedrift scan -): ${names.join(', ')}${more}`,
      ),
    );
  }
  for (const skipped of result.skipped) {
    if (!isTemplateSkip(skipped.reason)) lines.push(command('warning', [['file', relativePath?.(skipped.path) ?? skipped.path], ['title', 'skipped']], `skipped: ${skipped.reason}`));
  }
  for (const error of result.errors) lines.push(command('error', [['title', 'imagedrift']], error));
  lines.push(inertLine(displayText(summaryLine(result))));
  return `${lines.join('\n')}\n`;
};
