// Go/Helm templates (`{{- if … }}`, `{{ .Values.image }}`), which are not YAML until rendered: they
// are not parsed as YAML. Each `image:` line is read on its own: a literal value is judged at its
// place, a value with `{{ … }}` is an `unresolvable-reference`. The workload comes from the
// document's `kind:` and `metadata.name` lines, the container from the `name:` of the same list
// item, its role from the list it is in (`initContainers`) and the known sidecar images.
import type { Container, ImageRef, ScalarStyle, TextRange, Workload } from '../core/types.js';
import { detach } from '../parse/tree.js';
import type { ExtractContext, TextExtraction, TextExtractor } from './types.js';

const FORMAT = 'helm-template';

interface Line {
  start: number;
  text: string;
}

function splitLines(text: string): Line[] {
  const lines: Line[] = [];
  let start = 0;
  while (start <= text.length) {
    const newline = text.indexOf('\n', start);
    const end = newline === -1 ? text.length : newline;
    lines.push({ start, text: text.slice(start, end > start && text[end - 1] === '\r' ? end - 1 : end) });
    if (newline === -1) break;
    start = newline + 1;
  }
  return lines;
}

/** A `key: value` line (in a list item or not): the key, its column and the value's text and offset. */
interface KeyLine {
  key: string;
  column: number;
  /** Column of the list item's dash when the line starts an item. */
  dash?: number;
  value: string;
  valueStart: number;
}

const KEY_LINE = /^(\s*)(?:(-)(\s+))?("[^"]*"|'[^']*'|[A-Za-z_][\w.-]*)\s*:(?:\s+|$)(.*)$/;

function keyLine(line: Line): KeyLine | undefined {
  const match = KEY_LINE.exec(line.text);
  if (match === null) return undefined;
  const indent = (match[1] ?? '').length;
  const dash = match[2] !== undefined ? indent : undefined;
  const column = indent + (match[2] !== undefined ? 1 + (match[3] ?? '').length : 0);
  const rawKey = match[4] ?? '';
  const key = rawKey.startsWith('"') || rawKey.startsWith("'") ? rawKey.slice(1, -1) : rawKey;
  const value = match[5] ?? '';
  return { key, column, ...(dash !== undefined ? { dash } : {}), value, valueStart: line.start + line.text.length - value.length };
}

/** The scalar a value text starts with: its characters' range, decoded value and style; undefined for none. */
function scalarOf(value: string, start: number): { range: TextRange; value: string; style: ScalarStyle } | undefined {
  const first = value[0];
  if (first === '"') {
    let i = 1;
    let decoded = '';
    while (i < value.length && value[i] !== '"') {
      if (value[i] === '\\') {
        const next = value[i + 1] ?? '';
        decoded += next === 'n' ? '\n' : next === 't' ? '\t' : next;
        i += 2;
      } else decoded += value[i++];
    }
    if (i >= value.length) return undefined;
    return { range: { start: start + 1, end: start + i }, value: decoded, style: 'double' };
  }
  if (first === "'") {
    let i = 1;
    while (i < value.length && !(value[i] === "'" && value[i + 1] !== "'")) i += value[i] === "'" ? 2 : 1;
    if (i >= value.length) return undefined;
    return { range: { start: start + 1, end: start + i }, value: value.slice(1, i).replace(/''/g, "'"), style: 'single' };
  }
  if (first === undefined || first === '#' || first === '|' || first === '>' || first === '&' || first === '*' || first === '!' || first === '{' || first === '[') {
    // A `{{ … }}` value (not a flow mapping) is a template: read it whole.
    if (!value.startsWith('{{')) return undefined;
  }
  const comment = value.search(/\s#/);
  const plain = (comment === -1 ? value : value.slice(0, comment)).trimEnd();
  if (plain === '') return undefined;
  return { range: { start, end: start + plain.length }, value: plain, style: 'plain' };
}

function extract(text: string, ctx: ExtractContext): TextExtraction {
  const lines = splitLines(text);
  const keys = lines.map(keyLine);
  const refs: ImageRef[] = [];
  let documentStart = 0;
  let workload: Workload = { kind: 'template' };
  const documentWorkload = (from: number): Workload => {
    let kind: string | undefined;
    let name: string | undefined;
    let inMetadata = false;
    for (let i = from; i < lines.length && !/^---/.test(lines[i]?.text ?? ''); i++) {
      const key = keys[i];
      if (key === undefined || key.dash !== undefined) continue;
      if (key.column === 0) {
        inMetadata = key.key === 'metadata';
        if (key.key === 'kind' && kind === undefined && !key.value.includes('{{')) kind = key.value.trim();
      } else if (inMetadata && key.key === 'name' && name === undefined && key.value !== '' && !key.value.includes('{{')) {
        name = scalarOf(key.value, key.valueStart)?.value;
      }
    }
    return { kind: kind ?? 'template', ...(name !== undefined ? { name } : {}) };
  };
  workload = documentWorkload(0);
  for (let i = 0; i < lines.length; i++) {
    if (/^---/.test(lines[i]?.text ?? '')) {
      documentStart = i + 1;
      workload = documentWorkload(documentStart);
      continue;
    }
    const key = keys[i];
    // `Image:` too: CloudFormation written as a Go template.
    if (key === undefined || (key.key !== 'image' && key.key !== 'Image')) continue;
    const intrinsic = /^![A-Za-z]/.test(key.value);
    const scalar = intrinsic ? scalarOf(key.value.slice(key.value.indexOf(' ') + 1 || key.value.length), key.valueStart + (key.value.indexOf(' ') + 1)) : scalarOf(key.value, key.valueStart);
    if (scalar === undefined) continue;
    const container = containerAt(lines, keys, i, documentStart, key, scalar.value, ctx);
    const base = { format: FORMAT, location: ctx.lines.location(ctx.path, scalar.range), range: scalar.range, style: scalar.style, workload, container } as const;
    if (intrinsic) refs.push({ ...base, raw: detach(condense(key.value.replace(/\s+#.*$/, ''))), unresolvable: 'an intrinsic function in a template: scan the rendered output' });
    else if (scalar.value.includes('{{')) refs.push({ ...base, raw: detach(condense(scalar.value)), unresolvable: 'a template expression `{{ … }}`: scan the rendered output (`helm template … | imagedrift scan -`)' });
    else refs.push({ ...base, raw: detach(scalar.value) });
  }
  return { refs, errors: [] };
}

function condense(raw: string): string {
  const line = raw.replace(/\s+/g, ' ').trim();
  return line.length > 120 ? `${line.slice(0, 119)}…` : line;
}

/** The container an `image:` line belongs to: the `name:` of its list item, and the list it is in. */
function containerAt(lines: Line[], keys: Array<KeyLine | undefined>, at: number, documentStart: number, image: KeyLine, value: string, ctx: ExtractContext): Container {
  let name: string | undefined;
  let itemDash = image.dash;
  let list: string | undefined;
  // Backwards to the item's dash (collecting its `name:`), then to the key that holds the list.
  for (let i = at - (image.dash !== undefined ? 0 : 1); i >= documentStart; i--) {
    const key = keys[i];
    if (key === undefined) continue;
    if (itemDash === undefined) {
      if (key.column < image.column - 2) break;
      if (key.column === image.column && key.key === 'name') name ??= scalarOf(key.value, key.valueStart)?.value;
      if (key.dash !== undefined && key.dash === image.column - 2) {
        itemDash = key.dash;
        if (key.key === 'name') name ??= scalarOf(key.value, key.valueStart)?.value;
      }
      continue;
    }
    if (i !== at && key.dash === undefined && key.column < itemDash) {
      list = key.key;
      break;
    }
    if (i === at && key.key === 'name') name ??= scalarOf(key.value, key.valueStart)?.value;
  }
  // Forwards within the item, for a `name:` written after the image.
  if (name === undefined && itemDash !== undefined) {
    for (let i = at + 1; i < lines.length; i++) {
      const key = keys[i];
      if (key === undefined) continue;
      if (key.dash !== undefined || key.column < image.column) break;
      if (key.column === image.column && key.key === 'name') {
        name = scalarOf(key.value, key.valueStart)?.value;
        break;
      }
    }
  }
  const base = name !== undefined && !name.includes('{{') ? { name } : {};
  if (list === 'initContainers') return { ...base, role: 'init' };
  if (!value.includes('{{') && ctx.isKnownSidecar(value)) return { ...base, role: 'sidecar', roleReason: 'known sidecar image' };
  return { ...base, role: 'app' };
}

export const helmTemplate: TextExtractor = { format: FORMAT, extract };
