// Offset -> line/column mapping in O(log n) per lookup, built once per file (no quadratic rescans).
import type { Location, Position, TextRange } from './types.js';

export class LineIndex {
  private starts: number[] | undefined;

  constructor(private readonly text: string) {}

  private lineStarts(): number[] {
    if (this.starts === undefined) {
      const starts = [0];
      let at = this.text.indexOf('\n');
      while (at !== -1) {
        starts.push(at + 1);
        at = this.text.indexOf('\n', at + 1);
      }
      this.starts = starts;
    }
    return this.starts;
  }

  /** 1-based line and column (UTF-16 code units, as SARIF and editors count). */
  position(offset: number): Position {
    const starts = this.lineStarts();
    let low = 0;
    let high = starts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if ((starts[mid] ?? 0) <= offset) low = mid;
      else high = mid - 1;
    }
    return { line: low + 1, column: offset - (starts[low] ?? 0) + 1 };
  }

  location(path: string, range: TextRange): Location {
    const start = this.position(range.start);
    const end = this.position(range.end);
    return { path, line: start.line, column: start.column, endLine: end.line, endColumn: end.column };
  }
}
