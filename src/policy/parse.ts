// One policy file's text -> a validated PolicyLayer, or a PolicyError listing every problem at its
// `file:line:col`. Pure: the loader (load.ts) does the reading and resolves `extends`.
import type { Document, LineCounter, Node as YamlNode, Pair } from 'yaml';
import type { Location } from '../core/types.js';
import { fastParseYaml } from '../parse/fast-yaml.js';
import type { Node as TreeNode } from '../parse/tree.js';
import { yamlLib } from '../parse/yaml-lib.js';
import { PolicyError } from './errors.js';
import { suggest } from './suggest.js';
import type { PolicyIssue } from './errors.js';
import { versionRangeProblem } from './deny.js';
import { globProblem, MAX_GLOBS_PER_LIST } from './glob.js';
import { imagePatternProblem, isCalendarDate, pathPatternProblem, rebasePathGlob } from './patterns.js';
import { policySchema, validatePolicyData } from './schema.js';
import type { SchemaProblem } from './schema.js';
import type { DeniedVersions, Exception, ExtendsRef, ListSetting, OverrideInput, PolicyLayer, RuleSetting, SeveritySetting } from './types.js';

export interface PolicySource {
  /** Identity of the file (its absolute path). */
  id: string;
  /** How messages name the file. */
  display: string;
  /**
   * A bundled policy: checked against the schema by the tests, not at every start (compiling the
   * schema is a large part of start-up), and read with the fast YAML reader when it can be (below).
   */
  bundled?: boolean;
  /**
   * The file's directory relative to the scan root (`services/payments`; empty for the root, for a
   * bundled policy and for a file outside the root): its path globs are relative to it.
   */
  base?: string;
}

/** Finds the position of a value (or key) by its path of keys: what issues and locations need. */
interface PositionLookup {
  at(path: readonly string[], atKey?: boolean): Location;
}

/** Positions in one parsed policy document, by path of keys. */
class Positions {
  constructor(
    private readonly doc: Document.Parsed,
    private readonly lines: LineCounter,
    private readonly file: string,
    private readonly text: string,
  ) {}

  private find(path: readonly string[]): { node: YamlNode | undefined; pair: Pair | undefined; found: number } {
    const { isAlias, isMap, isScalar, isSeq } = yamlLib();
    let node: unknown = this.doc.contents;
    let pair: Pair | undefined;
    let found = 0;
    for (const segment of path) {
      if (isAlias(node)) node = node.resolve(this.doc);
      if (isMap(node)) {
        const next = node.items.find((item) => (isScalar(item.key) ? String(item.key.value) : String(item.key)) === segment);
        if (next === undefined) break;
        pair = next as Pair;
        node = next.value ?? undefined;
      } else if (isSeq(node)) {
        const next = node.items[Number(segment)];
        if (next === undefined) break;
        pair = undefined;
        node = next;
      } else break;
      found += 1;
    }
    return { node: (node ?? undefined) as YamlNode | undefined, pair, found };
  }

  private location(start: number, end: number): Location {
    // A block collection's range runs past its last line break: end at its last character instead.
    while (end > start && /\s/.test(this.text.charAt(end - 1))) end -= 1;
    const from = this.lines.linePos(start);
    const to = this.lines.linePos(Math.max(start, end));
    return { path: this.file, line: from.line, column: from.col, endLine: to.line, endColumn: to.col };
  }

  /** The value at `path` (its key when `atKey`); the nearest ancestor that exists otherwise. */
  at(path: readonly string[], atKey = false): Location {
    const { isScalar } = yamlLib();
    const { node, pair, found } = this.find(path);
    if (found === path.length && atKey && pair !== undefined && isScalar(pair.key) && pair.key.range !== undefined && pair.key.range !== null) {
      return this.location(pair.key.range[0], pair.key.range[1]);
    }
    const range = found === path.length && node?.range ? node.range : undefined;
    if (range) return this.location(range[0], range[1]);
    // A key with no value (`expires:`) or a missing key: point at the key, else at the parent value.
    if (found === path.length && pair !== undefined && isScalar(pair.key) && pair.key.range) return this.location(pair.key.range[0], pair.key.range[1]);
    const parent = this.find(path.slice(0, found));
    const parentRange = parent.node?.range;
    return parentRange ? this.location(parentRange[0], parentRange[0]) : this.location(0, 0);
  }
}

function dotted(path: readonly string[]): string {
  let text = '';
  for (const segment of path) text += /^\d+$/.test(segment) ? `[${segment}]` : text === '' ? segment : `.${segment}`;
  return text;
}

type Data = Record<string, unknown>;

function list(section: unknown, key: string): ListSetting | undefined {
  if (section === null || typeof section !== 'object') return undefined;
  const record = section as Data;
  const items = record[key] as string[] | undefined;
  if (items === undefined && record.replace !== true) return undefined;
  return { items: items ?? [], replace: record.replace === true };
}

function severityValue(value: unknown): SeveritySetting {
  return value === false ? 'off' : (value as SeveritySetting);
}

function ruleSettings(data: unknown): Record<string, RuleSetting> {
  const rules: Record<string, RuleSetting> = {};
  for (const [id, value] of Object.entries((data ?? {}) as Data)) {
    if (value !== null && typeof value === 'object') {
      const record = value as Data;
      const setting: RuleSetting = {};
      if (record.severity !== undefined) setting.severity = severityValue(record.severity);
      if (record.sidecarSeverity !== undefined) setting.sidecarSeverity = severityValue(record.sidecarSeverity);
      rules[id] = setting;
    } else {
      rules[id] = { severity: severityValue(value) };
    }
  }
  return rules;
}

interface Builder {
  positions: PositionLookup;
  source: PolicySource;
  issues: PolicyIssue[];
}

function issue(b: Builder, path: string[], message: string, atKey = false): void {
  const where = b.positions.at(path, atKey);
  b.issues.push({ file: b.source.display, line: where.line, column: where.column, message: path.length > 0 ? `${dotted(path)}: ${message}` : message });
}

function extendsRefs(b: Builder, data: unknown, path: string[]): ExtendsRef[] | undefined {
  if (data === undefined) return undefined;
  const values = typeof data === 'string' ? [data] : (data as string[]);
  return values.map((value, i) => ({ value, location: b.positions.at(typeof data === 'string' ? path : [...path, String(i)]) }));
}

function isRecord(value: unknown): value is Data {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function strings(value: unknown): Array<[number, string]> {
  return Array.isArray(value) ? value.flatMap((item, i): Array<[number, string]> => (typeof item === 'string' ? [[i, item]] : [])) : [];
}

/** A glob problem as a message that names the glob (cut short: a policy may hold a very long one). */
function withPattern(pattern: string, problem: string): string {
  if (problem.startsWith('`')) return problem;
  return `\`${pattern.length > 80 ? `${pattern.slice(0, 79)}…` : pattern}\`: ${problem}`;
}

/** Checks the schema cannot express: globs that can never match, real dates. Run on whatever has the right type, so every problem is reported at once. */
function checkPatterns(b: Builder, data: Data, path: string[]): void {
  /** A glob list's problems: too many globs, or globs the matcher cannot take or that can never match. */
  const globs = (at: string[], list: unknown, check: (pattern: string) => string | undefined) => {
    if (Array.isArray(list) && list.length > MAX_GLOBS_PER_LIST) {
      issue(b, at, `at most ${MAX_GLOBS_PER_LIST} globs per list, got ${list.length}`);
      return;
    }
    for (const [i, pattern] of strings(list)) {
      const problem = globProblem(pattern) ?? check(pattern);
      if (problem !== undefined) issue(b, [...at, String(i)], withPattern(pattern, problem));
    }
  };
  const each = (key: string, section: string, check: (pattern: string) => string | undefined) => {
    const holder = data[section];
    globs([...path, section, key], isRecord(holder) ? holder[key] : undefined, check);
  };
  each('images', 'sidecars', (p) => imagePatternProblem(p, false));
  each('allow', 'registries', (p) => imagePatternProblem(p, true));
  each('deny', 'registries', (p) => imagePatternProblem(p, true));
  if (path.length === 0) {
    each('include', 'paths', pathPatternProblem);
    each('exclude', 'paths', pathPatternProblem);
    const denied = isRecord(data.deny) && Array.isArray(data.deny.versions) ? data.deny.versions : [];
    denied.forEach((record: unknown, i) => {
      if (!isRecord(record)) return;
      const at = ['deny', 'versions', String(i)];
      if (typeof record.image === 'string' && record.image !== '') {
        const problem = globProblem(record.image) ?? imagePatternProblem(record.image, false);
        if (problem !== undefined) issue(b, [...at, 'image'], withPattern(record.image, problem));
      }
      if (typeof record.versions === 'string' && record.versions !== '') {
        const problem = versionRangeProblem(record.versions);
        if (problem !== undefined) issue(b, [...at, 'versions'], problem);
      }
    });
  } else {
    globs([...path, 'paths'], data.paths, pathPatternProblem);
  }
  const exceptionList = data.exceptions;
  if (!Array.isArray(exceptionList)) return;
  exceptionList.forEach((record: unknown, i) => {
    if (!isRecord(record)) return;
    const at = [...path, 'exceptions', String(i)];
    if (typeof record.expires === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(record.expires) && !isCalendarDate(record.expires)) issue(b, [...at, 'expires'], `${record.expires} is not a calendar date`);
    for (const [key, check] of [
      ['image', (p: string) => imagePatternProblem(p, false)],
      ['container', () => undefined],
      ['workload', () => undefined],
    ] as const) {
      const value = record[key];
      if (typeof value !== 'string') continue;
      const problem = globProblem(value) ?? check(value);
      if (problem !== undefined) issue(b, [...at, key], withPattern(value, problem));
    }
    globs([...at, 'paths'], record.paths, pathPatternProblem);
  });
}

function exceptions(b: Builder, data: unknown, path: string[]): Exception[] {
  return ((data ?? []) as Data[]).map((record, i) => {
    const at = [...path, String(i)];
    const exception: Exception = { reason: (record.reason as string).trim(), expires: record.expires as string, location: b.positions.at(at) };
    for (const key of ['rule', 'image', 'container', 'workload'] as const) if (typeof record[key] === 'string') exception[key] = record[key] as string;
    if (Array.isArray(record.paths)) {
      exception.paths = record.paths as string[];
      const base = b.source.base ?? '';
      if (base !== '') exception.pathBase = base;
    }
    return exception;
  });
}

function layer(b: Builder, data: Data, path: string[], id: string): PolicyLayer {
  const result: PolicyLayer = {
    id,
    display: b.source.display,
    rules: ruleSettings(data.rules),
    exceptions: exceptions(b, data.exceptions, [...path, 'exceptions']),
    overrides: [],
  };
  if (isRecord(data.sources)) result.sources = Object.fromEntries(Object.entries(data.sources).map(([format, value]) => [format, value === true || value === 'on']));
  const refs = extendsRefs(b, data.extends, [...path, 'extends']);
  if (refs !== undefined) result.extends = refs;
  const lists: Array<[keyof PolicyLayer, string, string]> = [
    ['sidecarImages', 'sidecars', 'images'],
    ['mutableTags', 'tags', 'mutable'],
    ['registriesAllow', 'registries', 'allow'],
    ['registriesDeny', 'registries', 'deny'],
    ['pathsInclude', 'paths', 'include'],
    ['pathsExclude', 'paths', 'exclude'],
  ];
  for (const [field, section, key] of lists) {
    if (section === 'paths' && path.length > 0) continue; // in an override, `paths` selects files
    const setting = list(data[section], key);
    if (setting !== undefined && section === 'paths') setting.items = setting.items.map((glob) => rebasePathGlob(glob, b.source.base ?? ''));
    if (setting !== undefined) (result as unknown as Record<string, ListSetting>)[field] = setting;
  }
  // `pin` and `deny` are written at the top level only (the schema has them nowhere else).
  if (isRecord(data.pin) && typeof data.pin.minimumReleaseAge === 'string') result.minimumReleaseAge = data.pin.minimumReleaseAge;
  if (isRecord(data.deny)) {
    const entries = Array.isArray(data.deny.versions) ? (data.deny.versions as Data[]) : [];
    result.deniedVersions = {
      replace: data.deny.replace === true,
      items: entries.map((record, i): DeniedVersions => ({
        image: record.image as string,
        versions: record.versions as string,
        ...(typeof record.reason === 'string' ? { reason: record.reason.trim() } : {}),
        location: b.positions.at([...path, 'deny', 'versions', String(i)]),
      })),
    };
  }
  return result;
}

function overrides(b: Builder, data: unknown): OverrideInput[] {
  return ((data ?? []) as Data[]).map((record, i) => {
    const path = ['overrides', String(i)];
    const paths = (record.paths as string[]).map((glob) => rebasePathGlob(glob, b.source.base ?? ''));
    return { paths, layer: layer(b, record, path, `${b.source.id}#overrides[${i}]`), location: b.positions.at(path) };
  });
}

/** The full parse: the document with its positions, or a PolicyError for invalid YAML. */
function readDocument(text: string, source: PolicySource): { positions: Positions; data: unknown } {
  // The yaml package is loaded here, on the first full parse (yaml-lib.ts): a bundled policy read
  // by the fast reader never needs it.
  const { LineCounter, parseDocument } = yamlLib();
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new PolicyError(
      doc.errors.map((error) => {
        const where = lines.linePos(error.pos[0]);
        const message = error.code === 'MULTIPLE_DOCS' ? 'a policy file holds one YAML document (found a second `---`)' : error.code === 'DUPLICATE_KEY' ? 'duplicate key: each key may appear once in a mapping' : error.message;
        return { file: source.display, line: where.line, column: where.col, message: `invalid YAML: ${message}` };
      }),
    );
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 1000 });
  } catch (err) {
    throw new PolicyError({ file: source.display, line: 1, column: 1, message: `invalid YAML: ${err instanceof Error ? err.message : String(err)}` });
  }
  return { positions: new Positions(doc, lines, source.display, text), data };
}

/** Thrown inside fastData() when the document is outside what it converts exactly. */
class NotFast {}

/** Keys taken as written: plain words that the core schema reads as strings (not `true`, `null`, …). */
const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;
const SPECIAL_KEY = /^(?:null|Null|NULL|true|True|TRUE|false|False|FALSE|__proto__)$/;

function treeData(node: TreeNode, text: string): unknown {
  if (node.tag !== undefined) throw new NotFast();
  if (node.type === 'scalar') return node.value;
  if (node.type === 'seq') return node.items.map((item) => treeData(item, text));
  const record: Data = {};
  for (const entry of node.entries) {
    const { key } = entry;
    if (!PLAIN_KEY.test(key) || SPECIAL_KEY.test(key) || text.slice(entry.keyRange.start, entry.keyRange.end) !== key || Object.hasOwn(record, key)) throw new NotFast();
    record[key] = treeData(entry.value, text);
  }
  return record;
}

/**
 * The data of a policy read with the scanner's fast YAML reader (src/parse/fast-yaml.ts), or
 * undefined when the text is outside its subset or holds anything the conversion does not take
 * exactly as the yaml library's toJS() would (tags, typed or duplicate keys, several documents).
 * The fast reader is several times cheaper than a cold parseDocument(), which was most of the cost
 * of loading the bundled default policy at every start.
 */
function fastData(text: string): { data: unknown } | undefined {
  const parsed = fastParseYaml(text);
  // (A key given twice is an error for the full parser; the fast reader's tree keeps only the last.)
  const root = parsed?.error === undefined && parsed?.documents.length === 1 && parsed.documents[0]?.duplicateKeys === undefined ? parsed.documents[0]?.root : undefined;
  if (root === undefined) return undefined;
  try {
    return { data: treeData(root, text) };
  } catch (err) {
    if (err instanceof NotFast) return undefined;
    throw err;
  }
}

/** The top-level keys a policy may have. */
/** The top-level keys of a policy, as its schema declares them. */
const POLICY_KEYS = Object.keys((policySchema([]) as { properties: Record<string, unknown> }).properties);

/**
 * Why a text is not an imagedrift policy at all, without quoting any of it (a file named by
 * `extends` may be anything: a credentials file, a key), or undefined when it looks like one: a YAML
 * mapping with at least one policy key, or an empty document. Its problems as a policy are then
 * reported by parsePolicy() as usual.
 */
export function notAPolicy(text: string): string | undefined {
  if (text.includes('\u0000')) return 'it is a binary file';
  const { parseAllDocuments } = yamlLib();
  const docs = parseAllDocuments(text, { prettyErrors: false });
  const list = Array.isArray(docs) ? docs : [docs];
  if (list.length > 1) return 'it holds several YAML documents';
  const doc = list[0];
  if (doc === undefined) return undefined;
  if (doc.errors.length > 0) return 'it is not valid YAML';
  const { isMap, isScalar } = yamlLib();
  const contents = doc.contents;
  if (contents === null || (isScalar(contents) && contents.value === null)) return undefined;
  if (!isMap(contents)) return 'its top level is not a mapping of policy keys';
  const keys = contents.items.map((item) => (isScalar(item.key) ? String(item.key.value) : undefined));
  if (keys.length > 0 && !keys.some((key) => key !== undefined && POLICY_KEYS.includes(key))) return `none of its top-level keys is a policy key (${POLICY_KEYS.join(', ')})`;
  return undefined;
}

/**
 * Why a parsed document cannot be a policy at all, or undefined: a top level that is not a mapping,
 * or a mapping none of whose keys is (or nearly is, as a typo) a policy key. Said without quoting it.
 */
function shapeProblem(data: unknown): string | undefined {
  if (data === null || data === undefined) return undefined;
  if (!isRecord(data)) return `its top level is ${Array.isArray(data) ? 'a list' : 'a single value'}, not a mapping of policy keys (${POLICY_KEYS.join(', ')})`;
  const keys = Object.keys(data);
  if (keys.length === 0 || keys.some((key) => POLICY_KEYS.includes(key) || suggest(key, POLICY_KEYS) !== undefined)) return undefined;
  return `none of its top-level keys is a policy key (${POLICY_KEYS.join(', ')})`;
}

/** Parses and validates one policy file. Throws PolicyError with every problem found. */
export function parsePolicy(text: string, source: PolicySource): PolicyLayer {
  // Bundled policies are read with the fast reader; the full parse, which only positions need
  // (exceptions, `extends`, overrides, issues), then runs only if something asks for one.
  const fast = source.bundled === true ? fastData(text) : undefined;
  let full = fast === undefined ? readDocument(text, source) : undefined;
  const data = fast !== undefined ? fast.data : full?.data;
  const positions: PositionLookup = { at: (path, atKey) => (full ??= readDocument(text, source)).positions.at(path, atKey) };
  const b: Builder = { positions, source, issues: [] };
  // A file whose top level is not a mapping is not a policy at all (a key file, a credentials
  // file given by mistake): say so without quoting it.
  const shape = source.bundled === true ? undefined : shapeProblem(data);
  if (shape !== undefined) throw new PolicyError({ file: source.display, line: 1, column: 1, message: `not an imagedrift policy: ${shape}` });
  const problems: SchemaProblem[] = source.bundled === true ? [] : validatePolicyData(data);
  for (const problem of problems) issue(b, problem.path, problem.message, problem.atKey);
  if (isRecord(data)) {
    checkPatterns(b, data, []);
    if (Array.isArray(data.overrides)) data.overrides.forEach((entry: unknown, i) => isRecord(entry) && checkPatterns(b, entry, ['overrides', String(i)]));
  }
  if (b.issues.length > 0) throw new PolicyError(sorted(b.issues));
  const record = (data ?? {}) as Data;
  const result = layer(b, record, [], source.id);
  result.overrides = overrides(b, record.overrides);
  return result;
}

function sorted(issues: PolicyIssue[]): PolicyIssue[] {
  return [...issues].sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
}
