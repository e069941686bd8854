// Random YAML for the fast reader's differential tests: documents in the block style manifests are
// written in (maps, sequences at and beyond their key's column, compact `- key:` items, tags, flow
// collections on one line or over several, every scalar style (quoted ones over several lines too),
// block scalars, anchors and aliases, comments at every indentation, blank lines with spaces, CRLF, Go
// template placeholders such as `{{ .Values.x }}`, which YAML reads as flow maps whose key is a flow map),
// and line-level mutations of them that break or bend the rules. Seeded: the same seed gives the same texts.

// @ts-expect-error a plain ESM script without type declarations
import { rng as seeded } from '../../scripts/gen-synthetic.mjs';

/** The synthetic generator's seeded random numbers in [0, 1). */
export const rng = seeded as (seed: number) => () => number;

type Rand = () => number;
const pick = <T>(r: Rand, list: readonly T[]): T => list[Math.floor(r() * list.length)] as T;
const chance = (r: Rand, p: number): boolean => r() < p;

const WORDS = ['nginx', 'app', 'image', 'name', 'value', 'a b', 'x:y', 'http://h/p', 'v1.2.3', '1', '0x1F', '1.5', 'true', 'False', 'null', '~', '-1', '.inf', 'yes', 'a#b', 'é', '😀', 'a,b', 'a]b', '-x', '1e3', '0o17', '', "it's", 'say "hi"', 'back\\slash', 'key', 'Ref', '---', '...', '1_000', '+1', '.5', '-.Inf', 'NULL', 'nginx:1.25@sha256:abc', '${TAG}', 'a{b}'];
/** Words that are not valid plain scalars everywhere (indicators, tabs, comments): rarer. */
const RISKY_WORDS = [' lead', 'trail ', 'tab\there', '#hash', '- dash', 'colon: in', '*star', '&amp', '!bang', '%pct', '@at', '`tick', '|pipe', '>gt', '?q', ':c', '{b}', '[x', '<<'];
const TAGS = ['!Ref', '!Sub', '!If', '!GetAtt', '!Join', '!Base64', '!Select', '!Split', '!FindInMap', '!Equals'];
const RISKY_TAGS = ['!!str', '!', '!a!b', '!<x>', '!Ref!', '!%41'];
const KEYS = ['name', 'image', 'Image', 'spec', 'containers', 'a', 'b c', '"quoted"', "'single'", '1', 'true', '~', 'null', 'x', 'Resources', '1.0', '"a:b"'];
const RISKY_KEYS = ['key with: colon', '- k', '<<', '? q', '"open', '&a k', '!Ref k', '[a]', '{a: b}', '"multi\n  line"', "'multi\n\n  line'", '{{ x }}', '{{x}}'];

function tagText(r: Rand): string {
  return chance(r, 0.02) ? pick(r, RISKY_TAGS) : pick(r, TAGS);
}

function plain(r: Rand): string {
  return chance(r, 0.015) ? pick(r, RISKY_WORDS) : pick(r, WORDS);
}

function quoteDouble(s: string, r: Rand): string {
  const escaped = s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\t/g, chance(r, 0.5) ? '\\t' : '\t');
  return `"${chance(r, 0.1) ? escaped + pick(r, ['\\u00e9', '\\x41', '\\n', '\\/', '\\ ', '\\_', '\\q', '\\U0001F600', '\\u12']) : escaped}"`;
}

function quoteSingle(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

function scalarText(r: Rand): string {
  if (placeholderShare > 0 && chance(r, placeholderShare)) return placeholderText(r, 0);
  const s = plain(r);
  const style = r();
  if (style < 0.55) return s;
  if (style < 0.8) return quoteDouble(s, r);
  return quoteSingle(s);
}

function keyText(r: Rand): string {
  if (chance(r, 0.01)) return pick(r, RISKY_KEYS);
  return chance(r, 0.8) ? pick(r, KEYS.slice(0, 8)) : pick(r, KEYS);
}

/** Share of the flow collections (in block context) written over several lines; see randomYaml(). */
let multiLineShare = 0.25;
/** Share of the scalar values written as quoted scalars over several lines; see randomYaml(). */
let multiLineQuotedShare = 0.03;

/** Share of the values with an anchor, and of those that are aliases; see randomYaml(). */
let anchorShare = 0.03;
/** The anchors of the document being written whose nodes are complete (aliases mostly name one of them). */
let anchorNames: string[] = [];
/** Anchors on the values being written: an alias to one of them is a cycle (an error, or the full parser's). */
const openAnchors: string[] = [];
const ANCHOR_NAMES = ['a', 'ns', 'web', 'img', 'x1', 'def-aults', 'a.b', 'x_y'];
const RISKY_ANCHORS = ['é', 'x!', 'a,b', 'a]', 'a:b'];

/** `&name`: mostly a new name, sometimes one already used (defined twice) or an unusual one. */
function anchorText(r: Rand): string {
  let name: string;
  if (chance(r, 0.02)) name = pick(r, RISKY_ANCHORS);
  else if (chance(r, 0.1) && anchorNames.length > 0) name = pick(r, anchorNames);
  else name = `${pick(r, ANCHOR_NAMES)}${anchorNames.length + openAnchors.length}`;
  openAnchors.push(name);
  return `&${name}`;
}

/** `*name`: mostly an anchor defined before (perhaps around the alias: a cycle), now and then an unknown one. */
function aliasText(r: Rand): string {
  if (openAnchors.length > 0 && chance(r, 0.03)) return `*${pick(r, openAnchors)}`;
  return `*${anchorNames.length > 0 && chance(r, 0.95) ? pick(r, anchorNames) : pick(r, ANCHOR_NAMES)}`;
}

/** Text for the lines of a quoted scalar: words, and what looks like structure, markers or comments. */
const QUOTED_LINES = [...WORDS, ...WORDS, '', '', ' lead', 'trail ', '# hash', '---', '...', '- dash', 'key: value', 'a # b', 'tab\there', '[x', '{a: b}', '&a', '*a', '!Ref x', '|', '>'];

/**
 * A double- or single-quoted scalar over several lines, a value in the block collection at column
 * `indent` (-1 for a root node): continuation lines mostly indented past it, now and then at or left
 * of it (an error); blank lines with spaces between them, trailing spaces, and in double-quoted ones
 * escapes and escaped line breaks (`\` at the end of a line).
 */
function multiLineQuoted(r: Rand, indent: number): string {
  const double = chance(r, 0.6);
  const count = 2 + Math.floor(r() * 3);
  let text = double ? '"' : "'";
  for (let i = 0; i < count; i++) {
    if (i > 0) {
      while (chance(r, 0.2)) text += `\n${' '.repeat(Math.floor(r() * (indent + 5)))}`;
      const column = chance(r, 0.05) ? indent + pick(r, [0, -1]) : indent + pick(r, [1, 2, 2, 3, 4, 6]);
      text += `\n${' '.repeat(Math.max(0, column))}`;
    }
    const line = pick(r, QUOTED_LINES);
    text += double ? quoteDouble(line, r).slice(1, -1) : line.replace(/'/g, "''");
    if (chance(r, 0.15)) text += pick(r, [' ', '  ', '   ']);
    if (double && i < count - 1 && chance(r, 0.15)) text += pick(r, ['\\', ' \\', '\\t', '\\ ', '\\\\']);
  }
  return text + (double ? '"' : "'");
}
/** Share of the scalars (in block and flow context) written as Go template placeholders; see randomYaml(). */
let placeholderShare = 0;
/** Share of the flow map keys written as flow collections (placeholders mostly); see randomYaml(). */
let collectionKeyShare = 0;

/** What goes between the braces of a placeholder: to YAML, mostly a plain scalar (a key without a value). */
const PLACEHOLDER_BODIES = ['x', '.Version', '.Values.image', '.A.B', '$x', 'region', 'cluster_name', 'include "chart.labels" . | nindent 4', 'toYaml .Values.x', '$x := 1', 'x | quote', 'printf "%s-%s" .a .b', '-x', '.', '1', 'true', '~', 'a b  c', 'http://h/p', 'x:y', 'a#b', 'é', '😀'];
/** Bodies that YAML reads otherwise, or that are errors: quoted, tagged, anchored, commented, indicators. */
const RISKY_PLACEHOLDER_BODIES = ['"q"', "'q'", '!t x', '&a x', '*a', 'x # c', '? x', '- x', ':x', 'x:', 'a: b', 'a, b', 'x,', ',x', '[a]', '{a}', '<<', '|', '>', '%x', '@x', '`x', 'x\ty', '#x'];

/**
 * A Go template placeholder, `{{ x }}` and the like: to YAML a flow map whose one entry has a flow
 * map as its key (and no value), which the tree leaves out. Mostly written as templates write them,
 * with and without spaces; now and then with a value (`{ {x}: v }`), a flow sequence as a key, keys
 * nested deeper, more entries, text after the key that YAML does not allow, a line break in or
 * after the key (`nl`, inside a flow collection over several lines), or a very long key.
 */
function placeholderText(r: Rand, depth: number, nl?: () => string): string {
  const sp = (): string => pick(r, ['', ' ', ' ', '  ']);
  const body = (): string => (chance(r, 0.06) ? pick(r, RISKY_PLACEHOLDER_BODIES) : pick(r, PLACEHOLDER_BODIES));
  const br = (p: number, otherwise: string): string => (nl !== undefined && chance(r, p) ? nl() : otherwise);
  let key: string;
  const k = r();
  if (k < 0.55) key = `{${sp()}${body()}${sp()}}`;
  else if (k < 0.65) key = `[${sp()}${body()}${sp()}]`;
  else if (k < 0.72) key = `{${sp()}${body()},${sp()}${body()}${sp()}}`;
  else if (k < 0.79) key = `{${sp()}${body()}: ${chance(r, 0.5) ? plain(r) : `{${body()}}`}${sp()}}`;
  else if (k < 0.84) key = `[${sp()}${body()},${sp()}${chance(r, 0.5) ? `{${body()}}` : `[${body()}]`}${sp()}]`;
  else if (k < 0.9 && depth < 2) key = placeholderText(r, depth + 1);
  else if (k < 0.93) key = pick(r, ['{}', '[]', '{ }', '[ ]']);
  else if (k < 0.95) key = `{${'x'.repeat(pick(r, [990, 1000, 1030]))}}`;
  else if (k < 0.97) key = `{ ${body()}${br(0.8, ' ')}${body()} }`;
  else key = `{${body()}}${pick(r, ['}', '{', ' x', 'x', '"', ' #'])}`;
  // What follows the key inside the outer braces: nothing (`{{ x }}`), a value, more entries.
  const f = r();
  let rest = '';
  if (f < 0.15) rest = `${sp()}:${br(0.1, ' ')}${chance(r, 0.2) && depth < 2 ? placeholderText(r, depth + 1) : scalarText(r)}`;
  else if (f < 0.2) rest = `${br(0.5, '')}:${chance(r, 0.5) ? ' ' : ''}${plain(r)}`;
  else if (f < 0.27) rest = `,${br(0.3, ' ')}${chance(r, 0.5) ? `${keyText(r)}: ${scalarText(r)}` : pick(r, PLACEHOLDER_BODIES)}`;
  else if (f < 0.3) rest = `,${br(0.3, ' ')}{${body()}}`;
  else if (f < 0.33) rest = ',';
  if (chance(r, 0.05)) rest += br(0.9, '');
  const open = chance(r, 0.9) ? `{${sp()}` : '[';
  return `${open}${key}${rest}${open === '[' ? ']' : `${sp()}}`}`;
}

/** Share of the values that are certainly flow collections (others may be too); see randomYaml(). */
let extraFlowShare = 0;

/**
 * A line break inside a flow collection and the next line's indentation: mostly deeper than
 * `parent` (the column of the block collection holding the flow collection), sometimes at or left
 * of it (an error), sometimes after a blank line.
 */
function flowBreak(r: Rand, parent: number): string {
  const column = chance(r, 0.03) ? parent + pick(r, [-1, 0]) : parent + pick(r, [1, 2, 2, 3, 4, 6, 8]);
  const blank = chance(r, 0.05) ? `\n${' '.repeat(Math.floor(r() * 4))}` : '';
  return `${blank}\n${' '.repeat(Math.max(0, column))}`;
}

/**
 * A flow collection. With `parent` (the column of the block collection it is a value in) it may
 * run over several lines, the way CloudFormation templates are written (`!Join ['', [` … `]]`,
 * Prettier's one item a line with trailing commas, a closing bracket at the parent's column), with
 * now and then what makes the fast reader give up: comments, plain scalars going on over lines,
 * tags or keys with their node on a later line, lines not indented past the parent.
 */
function flowText(r: Rand, depth: number, parent?: number): string {
  const multi = parent !== undefined && chance(r, multiLineShare);
  const nl = (): string => flowBreak(r, parent ?? 0);
  const maybe = (p: number, otherwise = ''): string => (multi && chance(r, p) ? nl() : otherwise);
  const isMap = chance(r, 0.4);
  const count = Math.floor(r() * (multi ? 5 : 4));
  const parts: string[] = [];
  for (let i = 0; i < count; i++) {
    let value = depth < 2 && chance(r, multi ? 0.3 : 0.2) ? flowText(r, depth + 1, multi ? parent : undefined) : placeholderShare > 0 && chance(r, placeholderShare) ? placeholderText(r, 0, multi ? nl : undefined) : scalarText(r);
    // a plain scalar going on on the next line (folded into one), or a line that is not a value
    if (multi && chance(r, 0.03)) value += `${nl()}${pick(r, ['more', 'x: y', '- z', '"q"', '# c'])}`;
    if (chance(r, 0.15)) value = `${tagText(r)}${maybe(0.05, ' ')}${value}`;
    if (collectionKeyShare > 0 && chance(r, collectionKeyShare)) {
      // a flow collection as the key of a flow map entry, or of a single-pair map in a flow sequence
      const key = chance(r, 0.6) ? placeholderText(r, 1, multi ? nl : undefined) : pick(r, ['[a, b]', '{a: b}', '[x]', '{x}', '{ .A.B }', '[{x}: y]', '[[a]]', '{}', '!Ref [a]', '&k [a]', '["q"]']);
      const colon = chance(r, 0.15) ? pick(r, ['', ',', ' ', '  :  ', ':', `${maybe(0.5)}:`]) : ': ';
      parts.push(isMap && chance(r, 0.2) ? `${key}` : `${key}${colon}${chance(r, 0.1) ? '' : value}`);
      continue;
    }
    parts.push(isMap ? `${keyText(r)}${maybe(0.03)}:${maybe(0.04, ' ')}${value}` : value);
  }
  const sep = (): string => {
    if (!multi || chance(r, 0.3)) return pick(r, [', ', ',', ' , ', ',  ']);
    if (chance(r, 0.04)) return pick(r, [`, # c${nl()}`, `,${nl()}# c${nl()}`, ` # c${nl()},`]);
    return pick(r, [`,${nl()}`, `,${nl()}`, `${nl()}, `, `, ${nl()}`]);
  };
  const pad = (): string => (multi ? maybe(0.6, pick(r, ['', ' '])) : pick(r, ['', ' ']));
  let body = parts.map((part, i) => (i === 0 ? part : `${sep()}${part}`)).join('');
  if (chance(r, multi ? 0.3 : 0.05)) body += ',';
  if (multi && chance(r, 0.02)) body += ' # c';
  const open = pad();
  // `Command: [` … `]`: the closing bracket at the parent's column (accepted only at the outermost level)
  const close = multi && chance(r, 0.15) ? `\n${' '.repeat(Math.max(0, parent ?? 0))}` : pad();
  return isMap ? `{${open}${body}${close}}` : `[${open}${body}${close}]`;
}

interface Out {
  lines: string[];
}

function comment(r: Rand, out: Out, baseIndent: number): void {
  if (chance(r, 0.12)) {
    const ind = Math.max(0, baseIndent + Math.floor(r() * 7) - 3);
    out.lines.push(`${' '.repeat(ind)}# ${pick(r, ['note', 'image: commented', '- x', ''])}`);
  }
  if (chance(r, 0.08)) out.lines.push(' '.repeat(Math.floor(r() * 6)));
}

function trailer(r: Rand): string {
  const x = r();
  if (x < 0.1) return ' # trailing';
  if (x < 0.15) return '   ';
  if (x < 0.17) return '#nospace';
  return '';
}

function blockScalar(r: Rand, out: Out, indent: number): void {
  const chomp = chance(r, 0.04) ? pick(r, ['+', '2', '-2', '+1', 'x']) : pick(r, ['', '', '-']);
  const mode = pick(r, ['|', '|', '>']);
  out.lines[out.lines.length - 1] += `${mode}${chomp}${chance(r, 0.1) ? ' # c' : ''}`;
  const contentIndent = indent + pick(r, [1, 2, 2, 4]);
  const count = 1 + Math.floor(r() * 4);
  if (chance(r, 0.1)) out.lines.push(' '.repeat(Math.floor(r() * (contentIndent + 3))));
  for (let i = 0; i < count; i++) {
    const extra = chance(r, 0.1) ? ' '.repeat(1 + Math.floor(r() * 3)) : '';
    const text = pick(r, ['echo hi', '# not a comment', 'key: value', '- item', '', 'tab\there', '  ', "it's"]);
    out.lines.push(text === '' ? ' '.repeat(Math.floor(r() * (contentIndent + 2))) : `${' '.repeat(contentIndent)}${extra}${text}`);
  }
  if (chance(r, 0.15)) out.lines.push(' '.repeat(Math.floor(r() * (contentIndent + 3))));
}

/** A value (see valueText()); anchors on it can be aliased once it is written. */
function value(r: Rand, out: Out, indent: number, depth: number, inSeq: boolean): void {
  const mark = openAnchors.length;
  valueText(r, out, indent, depth, inSeq);
  anchorNames.push(...openAnchors.splice(mark));
}

function valueText(r: Rand, out: Out, indent: number, depth: number, inSeq: boolean): void {
  // The current last line ends with `key:` or `-`; append the value inline or below it.
  const x = r();
  let tag = chance(r, 0.12) ? `${tagText(r)} ` : '';
  if (anchorNames.length > 0 && chance(r, anchorShare)) {
    // an alias, inline or (rarely) below, now and then with a tag (an error) or used as a key
    const alias = `${chance(r, 0.03) ? tag : ''}${aliasText(r)}${chance(r, 0.03) ? pick(r, [' : x', ':', ',', ' x']) : ''}`;
    if (chance(r, 0.85)) out.lines[out.lines.length - 1] += ` ${alias}${trailer(r)}`;
    else out.lines.push(`${' '.repeat(indent + 2)}${alias}${trailer(r)}`);
    return;
  }
  // an anchor on the value (mostly without a tag; before or after one otherwise)
  if (chance(r, anchorShare)) tag = tag === '' || chance(r, 0.8) ? `${anchorText(r)} ${chance(r, 0.2) ? tag : ''}` : `${tag}${anchorText(r)} `;
  if (extraFlowShare > 0 && chance(r, extraFlowShare)) {
    if (chance(r, 0.7)) out.lines[out.lines.length - 1] += ` ${tag}${flowText(r, 0, indent)}${trailer(r)}`;
    else out.lines.push(`${' '.repeat(indent + pick(r, [1, 2, 4]))}${tag}${flowText(r, 0, indent)}${trailer(r)}`);
    return;
  }
  if (placeholderShare > 0 && chance(r, placeholderShare / 3)) {
    // a placeholder as a value, now and then over several lines
    out.lines[out.lines.length - 1] += ` ${tag}${placeholderText(r, 0, chance(r, 0.3) ? () => flowBreak(r, indent) : undefined)}${trailer(r)}`;
    return;
  }
  if (depth > 3 || x < 0.45) {
    out.lines[out.lines.length - 1] += ` ${tag}${chance(r, multiLineQuotedShare) ? multiLineQuoted(r, indent) : scalarText(r)}${trailer(r)}`;
    if (chance(r, 0.08)) {
      // a multi-line plain scalar (or, less indented, something else)
      for (let k = 0; k < 1 + Math.floor(r() * 3); k++) {
        if (chance(r, 0.3)) out.lines.push(' '.repeat(Math.floor(r() * 4)));
        out.lines.push(`${' '.repeat(Math.max(0, indent + pick(r, [1, 2, 2, 4, 0, -1])))}${plain(r)}${chance(r, 0.2) ? '   ' : ''}`);
      }
    }
    return;
  }
  if (x < 0.55) {
    out.lines[out.lines.length - 1] += ` ${tag}${flowText(r, 0, indent)}${trailer(r)}`;
    return;
  }
  if (x < 0.62) {
    out.lines[out.lines.length - 1] += ` ${tag}`;
    blockScalar(r, out, indent);
    return;
  }
  if (x < 0.66) {
    out.lines[out.lines.length - 1] += tag === '' ? trailer(r) : ` ${tag.trim()}`;
    return; // empty value
  }
  if (x < 0.7) {
    // value on its own line below (its tag after the key or on that line: `Key:\n  !Join [`)
    const below = tag !== '' && chance(r, 0.5);
    out.lines[out.lines.length - 1] += tag === '' || below ? '' : ` ${tag.trim()}`;
    const node = chance(r, multiLineQuotedShare) ? multiLineQuoted(r, indent) : chance(r, 0.5) ? scalarText(r) : flowText(r, 0, indent);
    out.lines.push(`${' '.repeat(indent + 2)}${below ? tag : ''}${node}${trailer(r)}`);
    return;
  }
  if (tag !== '') out.lines[out.lines.length - 1] += ` ${tag.trim()}`;
  else out.lines[out.lines.length - 1] += trailer(r).startsWith(' #') ? ' # about' : '';
  comment(r, out, indent);
  if (chance(r, 0.5)) {
    const seqIndent = !inSeq && chance(r, 0.4) ? indent : indent + pick(r, [2, 2, 4, 1, 3]);
    seq(r, out, seqIndent, depth + 1);
  } else {
    map(r, out, indent + pick(r, [2, 2, 4, 1, 3]), depth + 1);
  }
}

function map(r: Rand, out: Out, indent: number, depth: number, first?: string): void {
  const count = 1 + Math.floor(r() * 3);
  for (let i = 0; i < count; i++) {
    const key = keyText(r);
    const keyLine = `${key}${chance(r, 0.05) ? ' ' : ''}:`;
    if (i === 0 && first !== undefined) out.lines[out.lines.length - 1] = `${first}${keyLine}`;
    else out.lines.push(`${' '.repeat(indent)}${keyLine}`);
    value(r, out, indent, depth, false);
    comment(r, out, indent);
  }
}

function seq(r: Rand, out: Out, indent: number, depth: number, first?: string): void {
  const count = 1 + Math.floor(r() * 3);
  for (let i = 0; i < count; i++) {
    const dash = `-${pick(r, [' ', ' ', ' ', '   '])}`;
    const prefix = i === 0 && first !== undefined ? first : ' '.repeat(indent);
    if (i === 0 && first !== undefined) out.lines[out.lines.length - 1] = prefix + dash.trimEnd();
    else out.lines.push(prefix + dash.trimEnd());
    const y = r();
    if (y < 0.35 && depth < 5) {
      // compact map: `- key: value`, more keys at the key's column
      const column = indent + dash.length;
      out.lines[out.lines.length - 1] = `${' '.repeat(indent)}${dash}`;
      map(r, out, column, depth + 1, `${' '.repeat(indent)}${dash}`);
    } else if (y < 0.4 && depth < 5) {
      out.lines[out.lines.length - 1] = `${' '.repeat(indent)}${dash}`;
      seq(r, out, indent + dash.length, depth + 1, `${' '.repeat(indent)}${dash}`);
    } else {
      value(r, out, indent, depth, true);
    }
    comment(r, out, indent);
  }
}

function documentText(r: Rand): string {
  const out: Out = { lines: [] };
  anchorNames = [];
  openAnchors.length = 0;
  if (chance(r, 0.1)) out.lines.push('# header');
  const rootIndent = chance(r, 0.05) ? 2 : 0;
  const x = r();
  if (x < 0.7) {
    out.lines.push('');
    map(r, out, rootIndent, 0, ' '.repeat(rootIndent));
  } else if (x < 0.9) {
    out.lines.push('');
    seq(r, out, rootIndent, 0, ' '.repeat(rootIndent));
  } else {
    out.lines.push(chance(r, multiLineQuotedShare) ? multiLineQuoted(r, -1) : chance(r, 0.5) ? scalarText(r) : flowText(r, 0, 0));
  }
  return out.lines.join('\n');
}

/**
 * One random YAML text: one or more documents, sometimes mutated line by line. `multiLineFlows`
 * is the share of flow collections written over several lines (default 0.25), `extraFlows` the
 * share of values made flow collections before any other choice (default 0), `multiLineQuoted`
 * the share of scalar values written as quoted scalars over several lines (default 0.03),
 * `anchors` the share of values with an anchor and of values that are aliases (default 0.03),
 * `placeholders` the share of scalars written as Go template placeholders (`{{ x }}`, default 0),
 * `collectionKeys` the share of flow map keys (and flow sequence items) written as flow
 * collections followed by `: value` (default 0).
 */
export function randomYaml(r: Rand, options: { multiLineFlows?: number; extraFlows?: number; multiLineQuoted?: number; anchors?: number; placeholders?: number; collectionKeys?: number } = {}): string {
  const saved = [multiLineShare, extraFlowShare, multiLineQuotedShare, anchorShare, placeholderShare, collectionKeyShare] as const;
  multiLineShare = options.multiLineFlows ?? 0.25;
  extraFlowShare = options.extraFlows ?? 0;
  multiLineQuotedShare = options.multiLineQuoted ?? 0.03;
  anchorShare = options.anchors ?? 0.03;
  placeholderShare = options.placeholders ?? 0;
  collectionKeyShare = options.collectionKeys ?? 0;
  try {
    return randomText(r);
  } finally {
    [multiLineShare, extraFlowShare, multiLineQuotedShare, anchorShare, placeholderShare, collectionKeyShare] = saved;
  }
}

function randomText(r: Rand): string {
  const docs: string[] = [];
  const count = chance(r, 0.7) ? 1 : 2 + Math.floor(r() * 2);
  for (let i = 0; i < count; i++) docs.push(documentText(r));
  let text = '';
  docs.forEach((doc, i) => {
    if (i > 0 || chance(r, 0.2)) text += pick(r, ['---\n', '---\n', '--- # c\n', '---  \n', '...\n---\n', '---\n\n']);
    text += `${doc}\n`;
  });
  if (chance(r, 0.05)) text += '---\n';
  let lines = text.split('\n');
  if (chance(r, 0.3)) {
    const mutations = 1 + Math.floor(r() * 3);
    for (let m = 0; m < mutations; m++) {
      const i = Math.floor(r() * lines.length);
      const line = lines[i] ?? '';
      switch (Math.floor(r() * 7)) {
        case 0:
          lines.splice(i, 1);
          break;
        case 1:
          lines.splice(i, 0, line);
          break;
        case 2:
          lines[i] = ` ${line}`;
          break;
        case 3:
          lines[i] = line.replace(/^ /, '');
          break;
        case 4:
          lines.splice(i, 0, `${' '.repeat(Math.floor(r() * 6))}${pick(r, ['# c', '', 'x', '- y', 'k: v', '&a b', '*a', '? k', ': v', '\tt', '%YAML 1.2', '"open', "'open", '[1,', '{a: 1'])}`);
          break;
        case 5:
          lines[i] = `${line}${pick(r, [' x', ':', ': y', ' #', '"', "'", ']', '}', ',', '\t'])}`;
          break;
        default:
          lines[i] = line.slice(0, Math.floor(r() * (line.length + 1)));
      }
    }
  }
  text = lines.join('\n');
  lines = [];
  if (chance(r, 0.1)) text = text.replace(/\n/g, '\r\n');
  if (chance(r, 0.05)) text = `\uFEFF${text}`;
  if (chance(r, 0.1)) text = text.replace(/\r?\n$/, '');
  return text;
}

/** A real file bent line by line: indentation shifted, lines dropped, repeated or cut, comments and blank lines slipped in. */
export function mutateLines(text: string, r: Rand): string {
  const lines = text.split('\n');
  const mutations = 1 + Math.floor(r() * 4);
  for (let m = 0; m < mutations; m++) {
    const i = Math.floor(r() * lines.length);
    const line = lines[i] ?? '';
    const indent = (/^ */.exec(line)?.[0] ?? '').length;
    switch (Math.floor(r() * 8)) {
      case 0:
        lines.splice(i, 1);
        break;
      case 1:
        lines.splice(i, 0, line);
        break;
      case 2:
        lines[i] = `${' '.repeat(1 + Math.floor(r() * 2))}${line}`;
        break;
      case 3:
        lines[i] = line.slice(Math.min(indent, 1 + Math.floor(r() * 2)));
        break;
      case 4:
        lines.splice(i, 0, `${' '.repeat(Math.max(0, indent + Math.floor(r() * 7) - 3))}# inserted`);
        break;
      case 5:
        lines.splice(i, 0, ' '.repeat(Math.floor(r() * 8)));
        break;
      case 6:
        lines[i] = line.slice(0, Math.floor(r() * (line.length + 1)));
        break;
      default:
        lines[i] = `${line}${pick(r, [' # c', ':', ' x', '  ', '"', ']', ' |', ' !Ref'])}`;
    }
  }
  return lines.join('\n');
}
