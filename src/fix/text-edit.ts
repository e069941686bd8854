// Text edits on the original text (ESLint's source-code-fixer idea): sort by position, skip an edit
// that overlaps one already taken, splice once. Nothing is ever re-serialised, so every byte
// outside the edited ranges stays as it was: indentation, comments, quotes, CRLF, BOM, tabs.

export interface TextEdit {
  start: number;
  end: number;
  text: string;
}

export interface AppliedEdits {
  output: string;
  applied: TextEdit[];
  /** Edits dropped because they overlapped an earlier one (the same anchor edited twice is not an overlap). */
  skipped: TextEdit[];
}

export function applyEdits(input: string, edits: readonly TextEdit[]): AppliedEdits {
  const sorted = [...edits].sort((a, b) => a.start - b.start || a.end - b.end);
  const applied: TextEdit[] = [];
  const skipped: TextEdit[] = [];
  const parts: string[] = [];
  let cursor = 0;
  for (const edit of sorted) {
    const last = applied.at(-1);
    if (last !== undefined && edit.start === last.start && edit.end === last.end && edit.text === last.text) continue; // an alias's anchor, once
    if (edit.start < cursor || edit.end < edit.start || edit.end > input.length) {
      skipped.push(edit);
      continue;
    }
    parts.push(input.slice(cursor, edit.start), edit.text);
    cursor = edit.end;
    applied.push(edit);
  }
  parts.push(input.slice(cursor));
  return { output: parts.join(''), applied, skipped };
}

/** Where an offset of the original text lands after the edits (for offsets outside edited ranges). */
export function mapOffset(offset: number, applied: readonly TextEdit[]): number {
  let delta = 0;
  for (const edit of applied) {
    if (edit.end <= offset) delta += edit.text.length - (edit.end - edit.start);
    else break;
  }
  return offset + delta;
}
