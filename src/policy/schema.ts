// The policy file schema (JSON Schema, checked with ajv) and the translation of ajv's errors into
// messages that name the key and say what was expected. Pure: data in, problems out.
//
// ajv itself is loaded on the first validation, not with this module: bundled policies are not
// validated at run time, so a run on the bundled default never loads it (a large part of start-up).
import { createRequire } from 'node:module';
import type { ErrorObject, SchemaObject, ValidateFunction } from 'ajv';
import { FORMATS } from '../core/types.js';
import { knownRuleIds } from './rule-ids.js';
import { suggest } from './suggest.js';

export const SEVERITY_VALUES = ['error', 'warning', 'note', 'off'] as const;
export const DATE_PATTERN = '^[0-9]{4}-[0-9]{2}-[0-9]{2}$';
/** `pin.minimumReleaseAge`: a whole number of minutes, hours, days or weeks (`30m`, `12h`, `3d`, `2w`). */
export const AGE_PATTERN = '^[0-9]{1,6}(m|h|d|w)$';

/** A problem found in a policy document: where (path of keys), whether the key itself is wrong, and what. */
export interface SchemaProblem {
  /** Keys and list indexes from the document root to the offending value. */
  path: string[];
  /** True when the last element of `path` is a key that should not be there (the position is the key's). */
  atKey: boolean;
  message: string;
}

const stringList = { type: 'array', items: { type: 'string', minLength: 1 } };
const severity = { enum: [...SEVERITY_VALUES], errorHints: { enum: 'severity' } };

function listSection(keys: string[], description: string): SchemaObject {
  const properties: Record<string, unknown> = { replace: { type: 'boolean' } };
  for (const key of keys) properties[key] = stringList;
  return { type: 'object', description, properties, additionalProperties: false };
}

export function policySchema(ruleIds: readonly string[] = knownRuleIds()): SchemaObject {
  const ruleSetting: SchemaObject = {
    if: { type: 'object' },
    then: {
      type: 'object',
      properties: { severity, sidecarSeverity: severity },
      additionalProperties: false,
      minProperties: 1,
      errorHints: { minProperties: 'give `severity`, `sidecarSeverity` or both' },
    },
    else: { enum: [...SEVERITY_VALUES, false], errorHints: { enum: 'severity' } },
  };
  const rules: SchemaObject = {
    type: 'object',
    properties: Object.fromEntries(ruleIds.map((id) => [id, ruleSetting])),
    additionalProperties: false,
    errorHints: { additionalProperties: 'rule' },
  };
  const extendsSchema = {
    type: ['string', 'array'],
    minLength: 1,
    items: { type: 'string', minLength: 1 },
    errorHints: { type: 'a policy name (`default`, `strict`), a path, or a list of them' },
  };
  const exception: SchemaObject = {
    type: 'object',
    properties: {
      rule: { type: 'string', enum: ruleIds, errorHints: { enum: 'rule' } },
      image: { type: 'string', minLength: 1 },
      paths: { ...stringList, minItems: 1 },
      container: { type: 'string', minLength: 1 },
      workload: { type: 'string', minLength: 1 },
      reason: { type: 'string', pattern: '\\S', errorHints: { pattern: 'must say why the exception is acceptable' } },
      expires: { type: 'string', pattern: DATE_PATTERN, errorHints: { pattern: 'expected a date written YYYY-MM-DD' } },
    },
    required: ['reason', 'expires'],
    additionalProperties: false,
    anyOf: ['rule', 'image', 'paths', 'container', 'workload'].map((key) => ({ required: [key] })),
    errorHints: {
      anyOf: 'an exception must be scoped by at least one of `rule`, `image`, `paths`, `container`, `workload`',
      required: 'every exception carries a `reason` and an `expires` date (YYYY-MM-DD)',
    },
  };
  const sections = {
    rules,
    sidecars: listSection(['images'], 'known sidecar images'),
    tags: listSection(['mutable'], 'tag words'),
    registries: listSection(['allow', 'deny'], 'registries'),
    exceptions: { type: 'array', items: exception },
    sources: {
      type: 'object',
      description: 'sources',
      properties: Object.fromEntries(FORMATS.map((format) => [format, { enum: ['on', 'off', true, false], errorHints: { enum: 'on or off' } }])),
      additionalProperties: false,
      errorHints: { additionalProperties: 'source' },
    },
  };
  const override: SchemaObject = {
    type: 'object',
    properties: { paths: { ...stringList, minItems: 1 }, extends: extendsSchema, ...sections },
    required: ['paths'],
    additionalProperties: false,
    errorHints: { required: 'an override applies to the files its `paths` globs match' },
  };
  const pin: SchemaObject = {
    type: 'object',
    properties: {
      minimumReleaseAge: { type: 'string', pattern: AGE_PATTERN, errorHints: { pattern: 'expected an age such as 12h, 3d or 2w', type: 'an age such as 12h, 3d or 2w' } },
    },
    additionalProperties: false,
  };
  const deniedVersions: SchemaObject = {
    type: 'object',
    properties: {
      image: { type: 'string', minLength: 1 },
      versions: { type: 'string', minLength: 1, errorHints: { type: 'a semver range written as a string, e.g. "0.29.0" or ">=0.29.0 <0.29.2"' } },
      reason: { type: 'string', minLength: 1 },
    },
    required: ['image', 'versions'],
    additionalProperties: false,
    errorHints: { required: 'a denied version names the `image` (a glob) and the `versions` (a semver range)' },
  };
  const deny: SchemaObject = {
    type: 'object',
    properties: { replace: { type: 'boolean' }, versions: { type: 'array', items: deniedVersions } },
    additionalProperties: false,
  };
  return {
    type: ['object', 'null'],
    properties: {
      extends: extendsSchema,
      ...sections,
      paths: listSection(['include', 'exclude'], 'paths'),
      overrides: { type: 'array', items: override },
      pin,
      deny,
    },
    additionalProperties: false,
  };
}

let compiled: { ids: string; validate: ValidateFunction } | undefined;

function validator(): ValidateFunction {
  const ids = knownRuleIds();
  const key = ids.join(',');
  if (compiled?.ids !== key) {
    // As src/parse/yaml-lib.ts loads yaml: the bundle's own require, else from node_modules.
    const { Ajv } = (typeof require === 'function' ? require('ajv') : createRequire(import.meta.url)('ajv')) as typeof import('ajv');
    const ajv = new Ajv({ allErrors: true, verbose: true, strict: true, strictRequired: false, allowUnionTypes: true });
    ajv.addVocabulary(['errorHints']);
    compiled = { ids: key, validate: ajv.compile(policySchema(ids)) };
  }
  return compiled.validate;
}

/** Validates a policy document; an empty list means it is valid. */
export function validatePolicyData(data: unknown): SchemaProblem[] {
  const validate = validator();
  if (validate(data)) return [];
  return toProblems(validate.errors ?? []);
}

function pointerPath(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function describeValue(value: unknown): string {
  if (value === null) return 'nothing (null)';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return JSON.stringify(value);
  return `${typeof value} ${String(value)}`;
}

const TYPE_NAMES: Record<string, string> = { object: 'a mapping', array: 'a list', string: 'a string', boolean: 'true or false', null: 'nothing', number: 'a number', integer: 'an integer' };

function typeNames(type: unknown): string {
  const types = Array.isArray(type) ? type : [type];
  return types.map((t) => TYPE_NAMES[String(t)] ?? String(t)).join(' or ');
}

function didYouMean(word: string, candidates: readonly string[]): string {
  const guess = suggest(word, candidates);
  return guess !== undefined ? ` (did you mean \`${guess}\`?)` : '';
}

function hintFor(error: ErrorObject): string | undefined {
  const hints = (error.parentSchema as { errorHints?: Record<string, string> } | undefined)?.errorHints;
  return hints?.[error.keyword];
}

function problemFor(error: ErrorObject): SchemaProblem | undefined {
  const path = pointerPath(error.instancePath);
  const hint = hintFor(error);
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'additionalProperties': {
      const key = String(params.additionalProperty);
      const allowed = Object.keys((error.parentSchema as { properties?: object }).properties ?? {});
      if (hint === 'rule') return { path: [...path, key], atKey: true, message: `unknown rule \`${key}\`${didYouMean(key, allowed)}` };
      return { path: [...path, key], atKey: true, message: `unknown key \`${key}\`${didYouMean(key, allowed)}; expected one of: ${allowed.join(', ')}` };
    }
    case 'enum': {
      const allowed = (error.schema as unknown[]).filter((value) => value !== false).map(String);
      if (hint === 'rule') return { path, atKey: false, message: `unknown rule \`${String(error.data)}\`${didYouMean(String(error.data), allowed)}` };
      if (hint === 'severity') return { path, atKey: false, message: `expected a severity (${allowed.join(', ')}), got ${describeValue(error.data)}${typeof error.data === 'string' ? didYouMean(error.data, allowed) : ''}` };
      if (hint !== undefined) return { path, atKey: false, message: `expected ${hint}, got ${describeValue(error.data)}` };
      return { path, atKey: false, message: `expected one of ${allowed.join(', ')}, got ${describeValue(error.data)}` };
    }
    case 'type':
      return { path, atKey: false, message: `expected ${hint ?? typeNames(error.schema)}, got ${describeValue(error.data)}` };
    case 'required':
      return { path, atKey: false, message: `missing \`${String(params.missingProperty)}\`${hint !== undefined ? `: ${hint}` : ''}` };
    case 'anyOf':
      return { path, atKey: false, message: hint ?? 'does not match any allowed form' };
    case 'pattern':
      return { path, atKey: false, message: `${hint ?? `expected text matching ${String(params.pattern)}`}, got ${describeValue(error.data)}` };
    case 'minLength':
      return { path, atKey: false, message: 'must not be empty' };
    case 'minItems':
      return { path, atKey: false, message: 'must list at least one entry' };
    case 'minProperties':
      return { path, atKey: false, message: hint ?? 'must not be empty' };
    case 'if':
      return undefined; // the failing branch reports the real problem
    default:
      return { path, atKey: false, message: error.message ?? `fails ${error.keyword}` };
  }
}

function toProblems(errors: readonly ErrorObject[]): SchemaProblem[] {
  // anyOf's branch errors (`must have required property 'rule'`, …) are summed up by the anyOf's own message.
  const anyOfPaths = errors.filter((e) => e.keyword === 'anyOf').map((e) => `${e.schemaPath}/`);
  const problems: SchemaProblem[] = [];
  const seen = new Set<string>();
  for (const error of errors) {
    if (anyOfPaths.some((prefix) => error.schemaPath.startsWith(prefix))) continue;
    const problem = problemFor(error);
    if (problem === undefined) continue;
    const key = `${problem.path.join('\u0000')}|${problem.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    problems.push(problem);
  }
  return problems;
}
