// Markdown for pull-request bodies, where every value comes from files or registries: nothing of it
// may become HTML, a link, a mention that pings someone, an issue reference or a control character.
// Values go in code spans (where Markdown and HTML are inert and `@` mentions nobody); text that is
// read as prose is escaped character by character. Pure.

/** Control characters, bidirectional overrides and invisible separators, shown as `\u00XX` instead. */
const HIDDEN = /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;

export function visible(text: string): string {
  return text.replace(HIDDEN, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A code span holding `value` exactly (visible), fenced with more backticks than it holds; `\|` in a table. */
export function code(value: string, table = false): string {
  const text = visible(value);
  if (text === '') return '` `';
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  const pad = text.startsWith('`') || text.endsWith('`') || (text.startsWith(' ') && text.endsWith(' ')) ? ' ' : '';
  const span = `${fence}${pad}${text}${pad}${fence}`;
  return table ? span.replace(/\|/g, '\\|') : span;
}

/**
 * Prose: every ASCII punctuation character Markdown could act on is backslash-escaped (so no
 * emphasis, link, autolink, heading, list or table cell starts), `<`, `>` and `&` become entities
 * (no HTML), and `@` and `#` are followed by a word joiner so that neither a mention nor an issue
 * reference forms.
 */
export function prose(value: string): string {
  return visible(value)
    .replace(/[\\`*_{}[\]()#+\-.!|~:]/g, (c) => `\\${c}`)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/@/g, '@\u2060')
    .replace(/\\#/g, '\\#\u2060');
}

/** A link target: only http(s) URLs, with characters that could end the target (or a table cell) percent-encoded. */
export function url(value: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    return undefined;
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return undefined;
  return parsed.href.replace(/[()<>\s"'`\\|]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}

/** A path in a URL: each segment percent-encoded. */
export function urlPath(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}
