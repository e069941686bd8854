// Inline suppressions in YAML: `# imagedrift-ignore latest-tag -- reason`. The comments are found
// with eemeli/yaml's lexer, so `#` inside a quoted string or a block scalar is never taken for one.
// Pure.
import { yamlLib } from '../parse/yaml-lib.js';
import type { LineIndex } from '../core/positions.js';
import type { Finding, Location } from '../core/types.js';

export const SUPPRESSION_DIRECTIVE = 'imagedrift-ignore';

export interface Suppression {
  /** Rule ids it names; empty means every rule. */
  rules: string[];
  reason?: string;
  /** Lines (1-based) whose findings it covers: its own, and the next when the comment is alone on its line. */
  lines: number[];
  location: Location;
}

/** Lexer tokens that mark structure and are not characters of the source. */
const MARKERS = new Set(['\u0002', '\u0018', '\u001f']);
const DIRECTIVE = /^#\s*imagedrift-ignore(?=\s|$)(.*)$/s;

/** Parses the text of one comment (starting with `#`); undefined when it is not a suppression. */
export function parseSuppressionComment(comment: string): { rules: string[]; reason?: string } | undefined {
  const match = DIRECTIVE.exec(comment.trimEnd());
  if (match === null) return undefined;
  const body = match[1] ?? '';
  const separator = body.search(/(^|\s)--(\s|$)/);
  const list = separator === -1 ? body : body.slice(0, separator);
  const reason = separator === -1 ? undefined : body.slice(separator).replace(/^\s*--\s*/, '').trim();
  const rules = list.split(/[\s,]+/).filter((id) => id !== '');
  return reason !== undefined && reason !== '' ? { rules, reason } : { rules };
}

/** Every suppression comment of a YAML text, in order. */
export function findSuppressions(text: string, path: string, lines: LineIndex): Suppression[] {
  if (!text.includes(SUPPRESSION_DIRECTIVE)) return [];
  const found: Suppression[] = [];
  let offset = 0;
  let lineHasContent = false;
  // The yaml package is loaded only for a text that holds a suppression (src/parse/yaml-lib.ts).
  for (const token of new (yamlLib().Lexer)().lex(text)) {
    if (MARKERS.has(token)) continue;
    if (token.startsWith('#')) {
      const parsed = parseSuppressionComment(token);
      if (parsed !== undefined) {
        const location = lines.location(path, { start: offset, end: offset + token.length });
        found.push({ ...parsed, lines: lineHasContent ? [location.line] : [location.line, location.line + 1], location });
      }
    } else if (token.includes('\n')) {
      lineHasContent = token.slice(token.lastIndexOf('\n') + 1).trim() !== '';
    } else if (token.trim() !== '' && token !== '\ufeff') {
      lineHasContent = true;
    }
    offset += token.length;
  }
  return found;
}

/**
 * Drops the findings a suppression covers. Returns the findings kept and the suppressions that
 * covered nothing.
 */
export function applySuppressions(findings: readonly Finding[], suppressions: readonly Suppression[]): { kept: Finding[]; unused: Suppression[] } {
  const used = new Set<Suppression>();
  const kept = findings.filter((finding) => {
    const covering = suppressions.filter((s) => s.lines.includes(finding.location.line) && (s.rules.length === 0 || s.rules.includes(finding.ruleId)));
    for (const s of covering) used.add(s);
    return covering.length === 0;
  });
  return { kept, unused: suppressions.filter((s) => !used.has(s)) };
}

/**
 * Suppressions in the `#` comments a parser found (Dockerfiles, HCL): each range starts at the
 * comment's `#` and ends at its line's end.
 */
export function suppressionsInComments(comments: ReadonlyArray<{ start: number; end: number }>, text: string, path: string, lines: LineIndex): Suppression[] {
  if (!text.includes(SUPPRESSION_DIRECTIVE)) return [];
  const found: Suppression[] = [];
  for (const range of comments) {
    const parsed = parseSuppressionComment(text.slice(range.start, range.end));
    if (parsed === undefined) continue;
    const lineStart = text.lastIndexOf('\n', range.start - 1) + 1;
    const alone = text.slice(lineStart, range.start).trim() === '';
    const location = lines.location(path, range);
    found.push({ ...parsed, lines: alone ? [location.line, location.line + 1] : [location.line], location });
  }
  return found;
}
