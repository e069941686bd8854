// How a new image string is written into the place of the old one, in the old one's style.
import type { ScalarStyle } from '../core/types.js';

/**
 * The text to splice inside the old value's range (quotes stay where they are). Returns undefined
 * when the style cannot safely hold the value (block scalars, characters a plain scalar cannot start with).
 */
export function renderValue(value: string, style: ScalarStyle, originalSource: string): string | undefined {
  switch (style) {
    case 'plain':
      return /^[\w.\-/:@\[\]]+$/.test(value) && !/^[-?:,\[\]{}#&*!|>'"%@`]/.test(value) ? value : undefined;
    case 'single':
      return value.replace(/'/g, "''");
    case 'double':
      return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
    case 'json': {
      const escaped = JSON.stringify(value).slice(1, -1);
      // Keep the file's habit of escaping slashes (`gcr.io\/project\/app`).
      return originalSource.includes('\\/') ? escaped.replace(/\//g, '\\/') : escaped;
    }
    case 'block':
      return undefined;
  }
}
