// Terraform (`*.tf`), read with tree-sitter's HCL grammar (src/parse/hcl.ts), never with regular
// expressions:
// - `aws_ecs_task_definition.container_definitions` as `jsonencode([...])` (HCL objects and lists,
//   also through a `local`), as a heredoc of JSON (`<<EOF`, `<<-EOF`), or as `file("x.json")` /
//   `templatefile("x.json.tpl", {...})`: the file is read as ECS JSON (its `${...}` placeholders
//   unresolvable) and its findings name the resource that loads it;
// - `aws_batch_job_definition.container_properties`, the same ways;
// - `kubernetes_*` resources (`kubernetes_deployment`, `_pod`, `_job`, `_cron_job`, … and their
//   `_v1` forms): `container` and `init_container` blocks at any depth;
// - modules: terraform-aws-modules/ecs's `container_definitions = { name = { image = … } }`, a
//   container-definition module's `image` argument, and `primary_container = { image = … }`.
// An image given as `var.x`, `local.x` or `"${var.repo}:${var.tag}"` whose parts are literal
// `variable` defaults or `locals` of the module (this file and the other `.tf` files beside it) is
// judged at the literal and reported there; anything else is an `unresolvable-reference`.
import { baseName } from '../core/file-names.js';
import { parseReference } from '../core/parse-reference.js';
import { LineIndex } from '../core/positions.js';
import type { Container, ImageRef, PinSite, ScalarStyle, TextRange, Workload } from '../core/types.js';
import { firstHclError, hclLoaded, loadHcl, parseHcl } from '../parse/hcl.js';
import type { HclNode } from '../parse/hcl.js';
import { parseText } from '../parse/index.js';
import { bool, detach, get, items, str } from '../parse/tree.js';
import type { MapEntry, Node, ScalarNode } from '../parse/tree.js';
import { assignRoles } from './containers.js';
import type { ContainerInfo } from './containers.js';
import type { Companion, ExtractContext, TextExtraction, TextExtractor } from './types.js';

const FORMAT = 'terraform';
const MAX_DEPTH = 8;

// ---- reading HCL expressions ------------------------------------------------------------------

/** The expression inside `expression` wrappers and parentheses. */
function unwrap(node: HclNode): HclNode {
  let current = node;
  for (let i = 0; i < 64; i++) {
    const named = current.namedChildren;
    if ((current.type === 'expression' || current.type === 'literal_value' || current.type === 'collection_value' || current.type === 'template_expr') && named.length === 1 && named[0] !== null && named[0] !== undefined) current = named[0];
    else break;
  }
  return current;
}

/** HCL string escapes (`\"`, `\\`, `\n`, `\uXXXX`) and the doubled template markers (`$${`, `%%{`). */
function decodeHcl(raw: string): string {
  return raw
    .replace(/\\(u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|.)/g, (_all, escape: string) => {
      if (escape.length > 1) return String.fromCodePoint(Number.parseInt(escape.slice(1), 16));
      return escape === 'n' ? '\n' : escape === 't' ? '\t' : escape === 'r' ? '\r' : escape;
    })
    .replace(/\$\$\{/g, '${')
    .replace(/%%\{/g, '%{');
}

interface Literal {
  value: string;
  range: TextRange;
  style: ScalarStyle;
  path: string;
  lines: LineIndex;
}

/** A quoted string without interpolation: its decoded value and the range of its characters. */
function stringLiteral(node: HclNode, file: SourceFile): Literal | undefined {
  const target = unwrap(node);
  if (target.type !== 'string_lit' || target.hasError) return undefined;
  const parts = target.namedChildren.filter((child): child is HclNode => child !== null && child.type === 'template_literal');
  const start = (target.firstChild?.endIndex ?? target.startIndex + 1);
  if (parts.length === 0) return { value: '', range: { start, end: start }, style: 'double', path: file.path, lines: file.lines };
  const first = parts[0] as HclNode;
  const last = parts.at(-1) as HclNode;
  return { value: detach(decodeHcl(file.text.slice(first.startIndex, last.endIndex))), range: { start: first.startIndex, end: last.endIndex }, style: 'double', path: file.path, lines: file.lines };
}

/** `var.image`, `local.containers.app`: the names of a traversal, or undefined. */
function traversal(node: HclNode): string[] | undefined {
  const target = node.type === 'expression' && node.namedChildren[0]?.type === 'variable_expr' ? node : unwrap(node);
  const named = target.type === 'expression' ? target.namedChildren : [target];
  const head = named[0];
  if (head?.type !== 'variable_expr') return undefined;
  const names = [head.text];
  for (const part of named.slice(1)) {
    if (part?.type !== 'get_attr') return undefined;
    const id = part.namedChildren[0];
    if (id === null || id === undefined) return undefined;
    names.push(id.text);
  }
  return names;
}

/** Attributes and nested blocks of a block's or object's body. */
interface Body {
  attributes: Map<string, HclNode>;
  blocks: Array<{ type: string; labels: string[]; body: HclNode; node: HclNode }>;
}

function bodyOf(block: HclNode): Body {
  const body = block.type === 'body' ? block : block.namedChildren.find((child) => child?.type === 'body');
  const result: Body = { attributes: new Map(), blocks: [] };
  for (const child of body?.namedChildren ?? []) {
    if (child?.type === 'attribute') {
      const name = child.namedChildren[0]?.text;
      const value = child.namedChildren[1];
      if (name !== undefined && value !== null && value !== undefined) result.attributes.set(name, value);
    } else if (child?.type === 'block') {
      const [type, ...rest] = child.namedChildren;
      const labels = rest.filter((label): label is HclNode => label !== null && label.type === 'string_lit').map((label) => label.namedChildren.find((part) => part?.type === 'template_literal')?.text ?? '');
      const inner = child.namedChildren.find((part) => part?.type === 'body');
      result.blocks.push({ type: type?.text ?? '', labels, body: inner ?? child, node: child });
    }
  }
  return result;
}

/** An object's elements: the key as written (identifier, string, `(local.x)` resolved when literal) and the value. */
function objectElements(node: HclNode, module: ModuleIndex, file: SourceFile): Array<{ key: string; keyNode: HclNode; value: HclNode }> {
  const object = unwrap(node);
  if (object.type !== 'object') return [];
  const out: Array<{ key: string; keyNode: HclNode; value: HclNode }> = [];
  for (const element of object.namedChildren) {
    if (element?.type !== 'object_elem') continue;
    const [keyNode, value] = element.namedChildren.filter((child): child is HclNode => child !== null && child.type === 'expression');
    if (keyNode === undefined || value === undefined) continue;
    const names = traversal(keyNode);
    let key = names?.length === 1 ? (names[0] as string) : (stringLiteral(keyNode, file)?.value ?? keyNode.text);
    if (keyNode.text.startsWith('(')) {
      const resolved = resolve(keyNode, module, file, 0);
      if (resolved.literal !== undefined) key = resolved.literal.value;
    }
    out.push({ key, keyNode, value });
  }
  return out;
}

// ---- the module: variable defaults and locals --------------------------------------------------

interface SourceFile {
  path: string;
  text: string;
  lines: LineIndex;
}

interface Siblings {
  /** Literal variable defaults and locals of the other `.tf` files of the module. */
  literals: { variables: Map<string, Literal>; locals: Map<string, Literal> };
  names: { variables: Set<string>; locals: Set<string> };
}

interface ModuleIndex {
  /** Variable defaults and locals of this file, as expressions. */
  variables: Map<string, { node: HclNode; file: SourceFile }>;
  locals: Map<string, { node: HclNode; file: SourceFile }>;
  /** The other `.tf` files' definitions, read on the first name this file does not define. */
  siblings(): Siblings;
}

function indexFile(root: HclNode, file: SourceFile, variables: ModuleIndex['variables'], locals: ModuleIndex['locals']): void {
  for (const block of bodyOf(root).blocks) {
    if (block.type === 'variable' && block.labels[0] !== undefined) {
      const fallback = bodyOf(block.body).attributes.get('default');
      if (fallback !== undefined) variables.set(block.labels[0], { node: fallback, file });
      else variables.set(block.labels[0], { node: block.node, file });
    } else if (block.type === 'locals') {
      for (const [name, value] of bodyOf(block.body).attributes) locals.set(name, { node: value, file });
    }
  }
}

interface SiblingSummary {
  text: string;
  variables: Map<string, Literal>;
  locals: Map<string, Literal>;
  variableNames: Set<string>;
  localNames: Set<string>;
}

/** Sibling files' literal definitions, remembered per file text (a module's files are read by each of its files). */
const siblingCache = new Map<string, SiblingSummary>();

function siblingSummary(companion: Companion): SiblingSummary {
  const cached = siblingCache.get(companion.path);
  if (cached !== undefined && cached.text === companion.text) return cached;
  const tree = parseHcl(companion.text);
  try {
    const file: SourceFile = { path: companion.path, text: companion.text, lines: new LineIndex(companion.text) };
    const variables = new Map<string, { node: HclNode; file: SourceFile }>();
    const locals = new Map<string, { node: HclNode; file: SourceFile }>();
    indexFile(tree.rootNode, file, variables, locals);
    const literal = (entries: Map<string, { node: HclNode }>) => new Map([...entries].flatMap(([name, { node }]) => {
      const found = stringLiteral(node, file);
      return found !== undefined ? [[name, found] as const] : [];
    }));
    const summary: SiblingSummary = { text: companion.text, variables: literal(variables), locals: literal(locals), variableNames: new Set(variables.keys()), localNames: new Set(locals.keys()) };
    if (siblingCache.size >= 256) siblingCache.clear();
    siblingCache.set(companion.path, summary);
    return summary;
  } finally {
    tree.delete();
  }
}

function moduleIndex(root: HclNode, file: SourceFile, ctx: ExtractContext): ModuleIndex {
  const variables = new Map<string, { node: HclNode; file: SourceFile }>();
  const locals = new Map<string, { node: HclNode; file: SourceFile }>();
  indexFile(root, file, variables, locals);
  let siblings: Siblings | undefined;
  const index: ModuleIndex = {
    variables,
    locals,
    siblings() {
      if (siblings !== undefined) return siblings;
      const found: Siblings = { literals: { variables: new Map(), locals: new Map() }, names: { variables: new Set(), locals: new Set() } };
      // Only files that define something are parsed.
      for (const sibling of ctx.siblings?.('.tf') ?? []) {
        if (!sibling.text.includes('variable') && !sibling.text.includes('locals')) continue;
        const summary = siblingSummary(sibling);
        for (const [name, literal] of summary.variables) found.literals.variables.set(name, literal);
        for (const [name, literal] of summary.locals) found.literals.locals.set(name, literal);
        for (const name of summary.variableNames) found.names.variables.add(name);
        for (const name of summary.localNames) found.names.locals.add(name);
      }
      siblings = found;
      return found;
    },
  };
  return index;
}

// ---- resolving an image expression ----------------------------------------------------------------

interface Resolved {
  literal?: Literal;
  /** How the literal was reached (`variable \`image\` default`). */
  via?: string;
  /** For a string built from parts: the composed value (judged, never rewritten whole). */
  composed?: { value: string; tag?: Literal };
  reason?: string;
}

function resolve(node: HclNode, module: ModuleIndex, file: SourceFile, depth: number): Resolved {
  if (depth > MAX_DEPTH) return { reason: 'references nested too deeply' };
  const literal = stringLiteral(node, file);
  if (literal !== undefined) return { literal };
  const names = traversal(node);
  if (names !== undefined) {
    const [root, name] = names;
    if (names.length === 2 && (root === 'var' || root === 'local') && name !== undefined) {
      const own = (root === 'var' ? module.variables : module.locals).get(name);
      const label = root === 'var' ? `variable \`${name}\` default` : `local \`${name}\``;
      if (own !== undefined) {
        if (own.node.type === 'block') return { reason: `variable \`${name}\` has no default` };
        const inner = resolve(own.node, module, own.file, depth + 1);
        return inner.literal !== undefined && inner.via === undefined ? { ...inner, via: label } : inner.reason !== undefined ? { reason: inner.reason.startsWith('`') ? inner.reason : `${label}: ${inner.reason}` } : inner;
      }
      const siblings = module.siblings();
      const sibling = (root === 'var' ? siblings.literals.variables : siblings.literals.locals).get(name);
      if (sibling !== undefined) return { literal: sibling, via: `${label} in ${baseName(sibling.path)}` };
      const declared = (root === 'var' ? siblings.names.variables : siblings.names.locals).has(name);
      return { reason: declared ? `${label.replace(' default', '')} has no literal ${root === 'var' ? 'default' : 'value'}` : `${root === 'var' ? 'variable' : 'local'} \`${name}\` is not defined in this module` };
    }
    return { reason: `\`${names.join('.')}\` has no literal value in this module` };
  }
  const target = unwrap(node);
  if (target.type === 'quoted_template') {
    let value = '';
    let last: Resolved | undefined;
    let endsWithInterpolation = false;
    const parts: string[] = [];
    for (const part of target.namedChildren) {
      if (part === null || part.type === 'quoted_template_start' || part.type === 'quoted_template_end') continue;
      if (part.type === 'template_literal') {
        value += decodeHcl(part.text);
        endsWithInterpolation = false;
      } else if (part.type === 'template_interpolation') {
        const inner = part.namedChildren.find((child) => child?.type === 'expression');
        if (inner === undefined || inner === null) return { reason: 'an empty interpolation' };
        const resolved = resolve(inner, module, file, depth + 1);
        if (resolved.literal === undefined) return { reason: resolved.reason ?? `\`${inner.text}\` has no literal value` };
        value += resolved.literal.value;
        parts.push(resolved.via ?? inner.text);
        last = resolved;
        endsWithInterpolation = true;
      } else return { reason: 'a template directive `%{ … }`' };
    }
    const parsed = parseReference(value);
    // The tag is the last interpolation's literal, in this file: a pin writes `tag@digest` there.
    const tag = endsWithInterpolation && last?.literal !== undefined && last.literal.path === file.path && isTagPart(parsed, last.literal.value) ? last.literal : undefined;
    return { composed: { value, ...(tag !== undefined ? { tag } : {}) }, via: parts.join(' and ') };
  }
  if (target.type === 'function_call') return { reason: `the function \`${target.namedChildren[0]?.text ?? ''}()\` has no literal value` };
  if (target.type === 'conditional') return { reason: 'a conditional expression' };
  if (target.type === 'heredoc_template') return { reason: 'a heredoc' };
  return { reason: 'not a literal string' };
}

// ---- HCL values as document trees (for jsonencode(...)) ------------------------------------------

/** Image expressions of the tree built from HCL: which HCL node a scalar stands for. */
type Origins = Map<Node, HclNode>;

function toTree(node: HclNode, module: ModuleIndex, file: SourceFile, origins: Origins, depth = 0): Node {
  const target = unwrap(node);
  const range = { start: target.startIndex, end: target.endIndex };
  if (depth < 64) {
    if (target.type === 'tuple') {
      return { type: 'seq', items: target.namedChildren.filter((child): child is HclNode => child !== null && child.type === 'expression').map((child) => toTree(child, module, file, origins, depth + 1)), nodeRange: range };
    }
    if (target.type === 'object') {
      const entries: MapEntry[] = objectElements(target, module, file).map(({ key, keyNode, value }) => ({ key, keyRange: { start: keyNode.startIndex, end: keyNode.endIndex }, value: toTree(value, module, file, origins, depth + 1) }));
      return { type: 'map', entries, nodeRange: range };
    }
    const names = traversal(node);
    if (names !== undefined && names.length === 2 && names[0] === 'local' && names[1] !== undefined) {
      const local = module.locals.get(names[1]);
      if (local !== undefined && local.file === file) {
        const inner = unwrap(local.node);
        if (inner.type === 'tuple' || inner.type === 'object') return toTree(local.node, module, file, origins, depth + 1);
      }
    }
  }
  const literal = stringLiteral(target, file);
  if (literal !== undefined) return { type: 'scalar', value: literal.value, range: literal.range, nodeRange: range, style: 'double' };
  if (target.type === 'numeric_lit') return { type: 'scalar', value: Number(target.text), range, nodeRange: range, style: 'plain' };
  if (target.type === 'bool_lit') return { type: 'scalar', value: target.text === 'true', range, nodeRange: range, style: 'plain' };
  const scalar: ScalarNode = { type: 'scalar', value: detach(target.text), range, nodeRange: range, style: 'plain', tag: '!hcl' };
  origins.set(scalar, node);
  return scalar;
}

// ---- containers ------------------------------------------------------------------------------------

interface Found {
  workload: Workload;
  via?: string;
  /** The heredoc the JSON came from: its `${…}` interpolations are HCL, resolved like any image expression. */
  heredoc?: HclNode;
}

/** One container's image, resolved: a literal (at its place), a composed value, or unresolvable. */
function imageRef(image: Node | HclNode, origins: Origins | undefined, container: Container, found: Found, module: ModuleIndex, file: SourceFile, ctx: ExtractContext, out: ImageRef[]): void {
  const base = { format: FORMAT, workload: found.workload, container } as const;
  const via = (extra?: string) => {
    const parts = [found.via, extra].filter((part): part is string => part !== undefined);
    return parts.length > 0 ? { via: parts.join(', ') } : {};
  };
  // A scalar of a document tree (JSON from a heredoc or a file, or a literal of jsonencode()).
  if ('type' in image && (image.type === 'scalar' || image.type === 'map' || image.type === 'seq') && !('startIndex' in image)) {
    const node = image as Node;
    const hcl = origins?.get(node);
    if (hcl !== undefined) return imageRef(hcl, undefined, container, found, module, file, ctx, out);
    if (node.type === 'scalar' && typeof node.value === 'string' && node.tag === undefined) {
      const interpolations = found.heredoc !== undefined && node.value.includes('${') ? found.heredoc.namedChildren.filter((child): child is HclNode => child !== null && child.type === 'template_interpolation' && child.startIndex >= node.range.start && child.endIndex <= node.range.end) : [];
      if (interpolations.length > 0) {
        composedRef(node.range, interpolations, container, found, module, file, out);
        return;
      }
      out.push({ ...base, raw: node.value, location: file.lines.location(file.path, node.range), range: node.range, style: node.style, ...via() });
      return;
    }
    out.push({ ...base, raw: condense(file.text.slice(node.nodeRange.start, node.nodeRange.end)), location: file.lines.location(file.path, node.nodeRange), range: node.nodeRange, style: 'plain', unresolvable: 'the image is not a string', ...via() });
    return;
  }
  const hcl = image as HclNode;
  // Where the parser had to recover, what it read is not what was meant: the parse error says so.
  if (hcl.hasError) return;
  const resolved = resolve(hcl, module, file, 0);
  const at = { start: hcl.startIndex, end: hcl.endIndex };
  if (resolved.literal !== undefined) {
    const { literal } = resolved;
    out.push({ ...base, raw: literal.value, location: literal.lines.location(literal.path, literal.range), range: literal.range, style: literal.style, ...via(resolved.via) });
  } else if (resolved.composed !== undefined) {
    const pin: PinSite = resolved.composed.tag !== undefined ? { tag: { range: resolved.composed.tag.range, style: resolved.composed.tag.style } } : { none: 'built from several values: pin them by hand' };
    out.push({ ...base, raw: detach(resolved.composed.value), location: file.lines.location(file.path, at), range: at, style: 'plain', pin, ...via(resolved.via) });
  } else {
    out.push({ ...base, raw: condense(hcl.text), location: file.lines.location(file.path, at), range: at, style: 'plain', unresolvable: resolved.reason ?? 'not a literal string', ...via() });
  }
}

/** Whether a reference's last part is its tag (or its `tag@digest`, once pinned): where a pin writes. */
function isTagPart(parsed: ReturnType<typeof parseReference>, part: string): boolean {
  if (!parsed.ok || parsed.ref.tag === undefined) return false;
  return part === parsed.ref.tag || (parsed.ref.digest !== undefined && part === `${parsed.ref.tag}@${parsed.ref.digest}`);
}

/** A heredoc JSON string with `${…}` in it: judged as it resolves when every interpolation has a literal value. */
function composedRef(range: TextRange, interpolations: HclNode[], container: Container, found: Found, module: ModuleIndex, file: SourceFile, out: ImageRef[]): void {
  let value = '';
  let cursor = range.start;
  let last: Literal | undefined;
  const vias: string[] = [];
  const base = { format: FORMAT, workload: found.workload, container, location: file.lines.location(file.path, range), range, style: 'json' } as const;
  for (const interpolation of interpolations) {
    const inner = interpolation.namedChildren.find((child) => child?.type === 'expression');
    const resolved = inner !== undefined && inner !== null ? resolve(inner, module, file, 0) : { reason: 'an empty interpolation' };
    if (resolved.literal === undefined) {
      out.push({ ...base, raw: condense(file.text.slice(range.start, range.end)), unresolvable: resolved.reason ?? 'not a literal string', ...(found.via !== undefined ? { via: found.via } : {}) });
      return;
    }
    value += file.text.slice(cursor, interpolation.startIndex) + resolved.literal.value;
    cursor = interpolation.endIndex;
    last = cursor === range.end ? resolved.literal : undefined;
    vias.push(resolved.via ?? (inner?.text ?? ''));
  }
  value += file.text.slice(cursor, range.end);
  const parsed = parseReference(value);
  const tag = last !== undefined && last.path === file.path && isTagPart(parsed, last.value) ? last : undefined;
  const pin: PinSite = tag !== undefined ? { tag: { range: tag.range, style: tag.style } } : { none: 'built from several values: pin them by hand' };
  out.push({ ...base, raw: detach(value), pin, via: [found.via, vias.join(' and ')].filter((part) => part !== undefined && part !== '').join(', ') });
}

function condense(raw: string): string {
  const line = raw.replace(/\s+/g, ' ').trim();
  return line.length > 120 ? `${line.slice(0, 119)}…` : line;
}

/** ECS container definitions (a list of maps): roles from `essential`, FireLens and the known sidecars. */
function ecsContainers(list: Node, origins: Origins | undefined, found: Found, module: ModuleIndex, file: SourceFile, ctx: ExtractContext, out: ImageRef[]): void {
  const containers = items(list).filter((c) => c.type === 'map');
  const infos: ContainerInfo[] = containers.map((c) => {
    const name = str(c, 'name');
    const image = get(c, 'image');
    const essential = bool(c, 'essential');
    return {
      ...(name !== undefined ? { name } : {}),
      ...(image?.type === 'scalar' && image.tag === undefined && typeof image.value === 'string' ? { image: image.value } : {}),
      ...(essential !== undefined ? { essential } : {}),
      ...(get(c, 'firelensConfiguration')?.type === 'map' ? { firelens: true } : {}),
    };
  });
  const roles = assignRoles(infos, ctx);
  containers.forEach((c, i) => {
    const image = get(c, 'image');
    const role = roles[i];
    if (image !== undefined && role !== undefined) imageRef(image, origins, role, found, module, file, ctx, out);
  });
}

/** JSON text (a heredoc's body, or a file) as a document tree, positions in `file`. */
function jsonTree(file: SourceFile, start: number, end: number): { root: Node | undefined; error?: { message: string; offset: number } } {
  // Spaces before the body keep every offset that of the file.
  const parsed = parseText(`${' '.repeat(start)}${file.text.slice(start, end)}`);
  const root = parsed.documents[0]?.root;
  return { root, ...(parsed.error !== undefined ? { error: { message: parsed.error.message, offset: parsed.error.offset } } : {}) };
}

/** The container definitions of a task definition or a Batch job (`list`: an array; else one container). */
function containerDefinitions(value: HclNode, list: boolean, found: Found, module: ModuleIndex, file: SourceFile, ctx: ExtractContext, result: TextExtraction): void {
  const target = unwrap(value);
  const origins: Origins = new Map();
  const run = (root: Node | undefined, source: SourceFile, origin?: Origins, extra?: Found) => {
    if (root === undefined) return;
    const found2 = extra ?? found;
    if (list) {
      const array = root.type === 'seq' ? root : get(root, 'containerDefinitions');
      if (array?.type === 'seq') ecsContainers(array, origin, found2, module, source, ctx, result.refs);
    } else if (root.type === 'map' && get(root, 'image') !== undefined) {
      ecsContainers({ type: 'seq', items: [root], nodeRange: root.type === 'map' ? root.nodeRange : { start: 0, end: 0 } }, origin, found2, module, source, ctx, result.refs);
    }
  };
  if (target.type === 'function_call') {
    const name = target.namedChildren[0]?.text;
    const args = target.namedChildren.find((child) => child?.type === 'function_arguments')?.namedChildren.filter((child): child is HclNode => child !== null && child.type === 'expression') ?? [];
    if (name === 'jsonencode' && args[0] !== undefined) {
      run(toTree(args[0], module, file, origins), file, origins);
      return;
    }
    if ((name === 'file' || name === 'templatefile') && args[0] !== undefined) {
      const path = filePath(args[0], module, file);
      const loaded = path !== undefined ? ctx.companion?.(path) : undefined;
      if (path === undefined || loaded === undefined) {
        result.refs.push(unresolvableAt(target, path === undefined ? `\`${name}()\` of a path that is not literal` : `\`${path}\` (read by \`${name}()\`) cannot be read`, found, file));
        return;
      }
      const source: SourceFile = { path: loaded.path, text: loaded.text, lines: new LineIndex(loaded.text) };
      const { root, error } = jsonTree(source, 0, source.text.length);
      // A template's `${...}` where JSON wants a number breaks the syntax: what parsed around it is still read.
      if (error !== undefined && name === 'file') result.errors.push({ message: `cannot parse JSON: ${error.message}`, offset: error.offset, path: source.path, lines: source.lines });
      result.linked = [...(result.linked ?? []), loaded.path];
      run(root, source, undefined, { ...found, via: `\`${name}("${path}")\`` });
      return;
    }
    result.refs.push(unresolvableAt(target, `the function \`${name ?? ''}()\` has no literal value`, found, file));
    return;
  }
  if (target.type === 'heredoc_template') {
    const literals = target.namedChildren.filter((child): child is HclNode => child !== null && (child.type === 'template_literal' || child.type === 'template_interpolation' || child.type === 'template_directive'));
    const first = literals[0];
    const last = literals.at(-1);
    if (first === undefined || last === undefined) return;
    const { root } = jsonTree(file, first.startIndex, last.endIndex);
    run(root, file, undefined, { ...found, heredoc: target });
    return;
  }
  const names = traversal(value);
  if (names !== undefined && names[0] === 'local' && names[1] !== undefined && names.length === 2) {
    const local = module.locals.get(names[1]);
    if (local !== undefined && local.file === file) {
      containerDefinitions(local.node, list, found, module, file, ctx, result);
      return;
    }
  }
  result.refs.push(unresolvableAt(target, names !== undefined ? `\`${names.join('.')}\` has no literal value in this module` : 'not a literal container definition', found, file));
}

/** `file("${path.module}/x.json")`: the path relative to the module, when it is literal. */
function filePath(node: HclNode, module: ModuleIndex, file: SourceFile): string | undefined {
  const literal = stringLiteral(node, file);
  if (literal !== undefined) return literal.value;
  const target = unwrap(node);
  if (target.type !== 'quoted_template') return undefined;
  let path = '';
  for (const part of target.namedChildren) {
    if (part === null) continue;
    if (part.type === 'template_literal') path += decodeHcl(part.text);
    else if (part.type === 'template_interpolation') {
      const inner = part.namedChildren.find((child) => child?.type === 'expression');
      const names = inner !== undefined && inner !== null ? traversal(inner) : undefined;
      if (names?.join('.') === 'path.module' || names?.join('.') === 'path.root') path += '.';
      else {
        const resolved = inner !== undefined && inner !== null ? resolve(inner, module, file, 0) : {};
        if (resolved.literal === undefined) return undefined;
        path += resolved.literal.value;
      }
    }
  }
  return path;
}

function unresolvableAt(node: HclNode, reason: string, found: Found, file: SourceFile): ImageRef {
  const range = { start: node.startIndex, end: node.endIndex };
  return { format: FORMAT, raw: condense(node.text), location: file.lines.location(file.path, range), range, style: 'plain', workload: found.workload, container: { role: 'app' }, unresolvable: reason };
}

/** `container` and `init_container` blocks at any depth of a kubernetes_* resource. */
function kubernetesContainers(body: HclNode, found: Found, module: ModuleIndex, file: SourceFile, ctx: ExtractContext, out: ImageRef[]): void {
  const blocks: Array<{ body: HclNode; init: boolean }> = [];
  const walk = (node: HclNode, depth: number) => {
    if (depth > 16) return;
    for (const block of bodyOf(node).blocks) {
      if (block.type === 'container' || block.type === 'init_container') blocks.push({ body: block.body, init: block.type === 'init_container' });
      else walk(block.body, depth + 1);
    }
  };
  walk(body, 0);
  const infos: ContainerInfo[] = blocks.map(({ body: container, init }) => {
    const attributes = bodyOf(container).attributes;
    const name = attributes.get('name');
    const image = attributes.get('image');
    const nameLiteral = name !== undefined ? stringLiteral(name, file)?.value : undefined;
    const imageLiteral = image !== undefined ? resolve(image, module, file, 0).literal?.value : undefined;
    return { ...(nameLiteral !== undefined ? { name: nameLiteral } : {}), ...(imageLiteral !== undefined ? { image: imageLiteral } : {}), ...(init ? { init: true } : {}) };
  });
  const roles = assignRoles(infos, ctx);
  blocks.forEach(({ body: container }, i) => {
    const image = bodyOf(container).attributes.get('image');
    const role = roles[i];
    if (image !== undefined && role !== undefined) imageRef(image, undefined, role, found, module, file, ctx, out);
  });
}

/** A module's container definitions (terraform-aws-modules/ecs), its `image` argument, a `primary_container`. */
function moduleContainers(body: Body, found: Found, module: ModuleIndex, file: SourceFile, ctx: ExtractContext, out: ImageRef[]): void {
  const definitions = body.attributes.get('container_definitions');
  if (definitions !== undefined && unwrap(definitions).type === 'object') {
    const elements = objectElements(definitions, module, file);
    const infos: ContainerInfo[] = elements.map(({ key, value }) => {
      const attributes = new Map(objectElements(value, module, file).map((element) => [element.key, element.value]));
      const image = attributes.get('image');
      const imageLiteral = image !== undefined ? resolve(image, module, file, 0).literal?.value : undefined;
      const essential = attributes.get('essential')?.text;
      return { name: key, ...(imageLiteral !== undefined ? { image: imageLiteral } : {}), ...(essential === 'false' ? { essential: false } : essential === 'true' ? { essential: true } : {}), ...(attributes.has('firelensConfiguration') || attributes.has('firelens_configuration') ? { firelens: true } : {}) };
    });
    const roles = assignRoles(infos, ctx);
    elements.forEach(({ value }, i) => {
      const image = objectElements(value, module, file).find((element) => element.key === 'image')?.value;
      const role = roles[i];
      if (image !== undefined && role !== undefined) imageRef(image, undefined, role, found, module, file, ctx, out);
    });
  }
  const image = body.attributes.get('image');
  if (image !== undefined) {
    const name = body.attributes.get('name');
    const literalName = name !== undefined ? resolve(name, module, file, 0).literal?.value : undefined;
    imageRef(image, undefined, { role: 'app', ...(literalName !== undefined ? { name: literalName } : {}) }, found, module, file, ctx, out);
  }
  const primary = body.attributes.get('primary_container');
  const primaryImage = primary !== undefined ? objectElements(primary, module, file).find((element) => element.key === 'image')?.value : body.blocks.find((block) => block.type === 'primary_container') !== undefined ? bodyOf((body.blocks.find((block) => block.type === 'primary_container') as { body: HclNode }).body).attributes.get('image') : undefined;
  if (primaryImage !== undefined) imageRef(primaryImage, undefined, { role: 'app', name: 'primary_container' }, found, module, file, ctx, out);
}

/** Words without which a `.tf` file holds no image this extractor reads: such a file is not parsed. */
function mayHoldImages(text: string): boolean {
  return text.includes('image') || text.includes('container_definitions') || text.includes('container_properties');
}

function extract(text: string, ctx: ExtractContext): TextExtraction {
  const result: TextExtraction = { refs: [], errors: [], comments: [] };
  if (!mayHoldImages(text)) return result;
  if (!hclLoaded()) {
    result.errors.push({ message: 'cannot parse HCL: the parser is not loaded', offset: 0 });
    return result;
  }
  const tree = parseHcl(text);
  try {
    const file: SourceFile = { path: ctx.path, text, lines: ctx.lines };
    const root = tree.rootNode;
    const error = firstHclError(tree);
    if (error !== undefined) result.errors.push(error);
    for (const comment of text.includes('imagedrift-ignore') ? root.descendantsOfType('comment') : []) {
      if (comment !== null && comment.text.startsWith('#')) result.comments?.push({ start: comment.startIndex, end: comment.endIndex });
    }
    const module = moduleIndex(root, file, ctx);
    for (const block of bodyOf(root).blocks) {
      const body = bodyOf(block.body);
      if (block.type === 'resource' && block.labels.length >= 2) {
        const [type, name] = block.labels as [string, string];
        const found: Found = { workload: { kind: type, name } };
        if (type === 'aws_ecs_task_definition') {
          const definitions = body.attributes.get('container_definitions');
          if (definitions !== undefined) containerDefinitions(definitions, true, found, module, file, ctx, result);
        } else if (type === 'aws_batch_job_definition') {
          const properties = body.attributes.get('container_properties');
          if (properties !== undefined) containerDefinitions(properties, false, found, module, file, ctx, result);
        } else if (type.startsWith('kubernetes_')) {
          kubernetesContainers(block.body, found, module, file, ctx, result.refs);
        } else {
          moduleContainers(body, found, module, file, ctx, result.refs);
        }
      } else if (block.type === 'module' && block.labels[0] !== undefined) {
        moduleContainers(body, { workload: { kind: 'module', name: block.labels[0] } }, module, file, ctx, result.refs);
      }
    }
  } finally {
    tree.delete();
  }
  return result;
}

export const terraform: TextExtractor = { format: FORMAT, extract };

/** Loads the HCL parser (asynchronous, once): FileScanner.prepare() awaits it before a `.tf` file is scanned. */
export function prepareTerraform(): Promise<void> | undefined {
  return hclLoaded() ? undefined : loadHcl();
}
