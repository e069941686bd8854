// Our core-schema resolution of plain scalars (src/parse/core-schema.ts) against the yaml library's,
// over a large generated set of plain scalars: exhaustively all short strings over an alphabet of
// what the schema's patterns are made of, and many longer random ones (long digit strings past
// 2^53 included). Every value and type must match exactly: -0, NaN and ±Infinity are told apart.
import { isScalar, parseDocument, Schema } from 'yaml';
import type { ScalarTag } from 'yaml';
import { describe, expect, it } from 'vitest';
import { MAYBE_TYPED, resolveCorePlain } from '../../src/parse/core-schema.js';
import { FastYamlReader, Unsupported } from '../../src/parse/fast-yaml.js';
import { parseYaml } from '../../src/parse/yaml.js';
import { rng } from './fast-yaml-random.js';
import { cases, FUZZING, seed } from '../helpers/fuzz.js';

/** A value with its type, -0, NaN and the infinities spelled out. */
const typed = (value: unknown): string => {
  if (typeof value === 'number') return `number:${Object.is(value, -0) ? '-0' : String(value)}`;
  return `${value === null ? 'null' : typeof value}:${String(value)}`;
};

const plain = (value: unknown): string => JSON.stringify(value, (_key, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? `number:${String(v)}` : Object.is(v, -0) ? 'number:-0' : v));

/** Characters of the core schema's patterns, and a few around them. */
const ALPHABET = '0123456789+-.eExXoOaAbBfFtTrRuUlLsSnNiI_ ~';
/** Pieces the patterns are built of, so that longer strings hit them often. */
const PIECES = ['0x', '0o', '0X', '0O', '.inf', '.Inf', '.INF', '.nan', '.NaN', '.NAN', '.iNf', 'null', 'Null', 'NULL', 'nULL', 'true', 'True', 'TRUE', 'tRUE', 'false', 'False', 'FALSE', 'fAlse', '~', 'e', 'E', 'e+', 'e-', '.', '+', '-', '_', ' ', '1_000', '9'.repeat(17), '1'.repeat(25), '7'.repeat(30), 'F'.repeat(16), '00', '0', '8', '9'];

function shortStrings(maxLength: number): string[] {
  const out = [''];
  let level = [''];
  for (let length = 1; length <= maxLength; length++) {
    const next: string[] = [];
    for (const prefix of level) for (const c of ALPHABET) next.push(prefix + c);
    out.push(...next);
    level = next;
  }
  return out;
}

function randomStrings(count: number): string[] {
  const r = rng(seed(99));
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    let s = '';
    const parts = 1 + Math.floor(r() * 5);
    for (let p = 0; p < parts; p++) {
      const x = r();
      if (x < 0.4) s += PIECES[Math.floor(r() * PIECES.length)];
      else if (x < 0.7) s += '0123456789'.slice(Math.floor(r() * 10)).repeat(1 + Math.floor(r() * 3));
      else s += ALPHABET[Math.floor(r() * ALPHABET.length)];
    }
    out.push(s);
  }
  return out;
}

/** Plain scalars as written in a file: no spaces around them. */
// All strings of up to 2 characters (3 in `npm run fuzz`) and random longer ones.
const RANDOM = cases(12000, 300000);
const candidates = [...new Set([...shortStrings(FUZZING ? 3 : 2), ...randomStrings(RANDOM)].map((s) => s.trim()))];

/** What the library's schema makes of an untagged plain scalar: the first default tag whose test takes it. */
const libraryTags = new Schema({}).tags.filter((tag): tag is ScalarTag => tag.default === true && tag.test !== undefined && !('collection' in tag && tag.collection !== undefined));
function librarySchemaValue(source: string): unknown {
  const tag = libraryTags.find((t) => t.test?.test(source) === true);
  if (tag === undefined) return source;
  const resolved: unknown = tag.resolve(source, (message) => {
    throw new Error(message);
  }, {});
  return isScalar(resolved) ? resolved.value : resolved;
}

describe('core-schema resolution of plain scalars', () => {
  it(`has a large set of candidates (${candidates.length})`, () => {
    expect(candidates.length).toBeGreaterThan(RANDOM * 0.5);
  });

  it("matches the yaml library's core-schema tags on every candidate", () => {
    const mismatches: string[] = [];
    for (const s of candidates) {
      const ours = typed(resolveCorePlain(s));
      const theirs = typed(librarySchemaValue(s));
      if (ours !== theirs && mismatches.length < 20) mismatches.push(`${JSON.stringify(s)}: ours ${ours}, library ${theirs}`);
    }
    expect(mismatches).toEqual([]);
  });

  it('matches what the library parses a one-line document, a value and a key to', () => {
    const mismatches: string[] = [];
    let compared = 0;
    let typedValues = 0;
    for (const s of candidates) {
      // The candidate alone as a document, when the library reads it as one plain scalar written as is.
      const doc = parseDocument(s);
      const contents = doc.contents;
      if (s !== '' && doc.errors.length === 0 && isScalar(contents) && contents.type === 'PLAIN' && contents.range?.[0] === 0 && contents.range[1] === s.length) {
        compared++;
        if (typeof contents.value !== 'string') typedValues++;
        const ours = typed(resolveCorePlain(s));
        const theirs = typed(contents.value);
        if (ours !== theirs && mismatches.length < 20) mismatches.push(`${JSON.stringify(s)}: ours ${ours}, library ${theirs}`);
      }
    }
    expect(mismatches).toEqual([]);
    expect(compared).toBeGreaterThan(candidates.length * 0.5);
    expect(typedValues).toBeGreaterThan(candidates.length * 0.05);
  });

  it('gives the fast reader exactly the full parser’s values and keys', () => {
    const failures: string[] = [];
    let fast = 0;
    // Many candidates a document: values, sequence items and keys.
    const chunk = 400;
    for (let i = 0; i < candidates.length && failures.length < 5; i += chunk) {
      const part = candidates.slice(i, i + chunk).filter((s) => s !== '');
      const text = `${part.map((s, k) => `k${k}: ${s}`).join('\n')}\n---\n${part.map((s) => `- ${s}`).join('\n')}\n---\n${part.map((s, k) => `${s}: ${k}`).join('\n')}\n`;
      const ours = new FastYamlReader(text).read();
      if (ours instanceof Unsupported) {
        // Some candidates are not plain scalars in these places (`- -1`, `a: ~ #`…): check them one by one.
        for (const s of part) {
          for (const one of [`a: ${s}\n`, `- ${s}\n`, `${s}: 1\n`]) {
            const single = new FastYamlReader(one).read();
            if (single instanceof Unsupported) continue;
            fast++;
            const full = parseYaml(one);
            if (full.error !== undefined || plain(full) !== plain(single)) failures.push(JSON.stringify(one));
          }
        }
        continue;
      }
      fast += part.length * 3;
      const full = parseYaml(text);
      if (full.error !== undefined || plain(full) !== plain(ours)) failures.push(`chunk at ${i}`);
    }
    expect(failures).toEqual([]);
    expect(fast).toBeGreaterThan(candidates.length);
  });

  it('knows every first character of a typed plain scalar (MAYBE_TYPED)', () => {
    for (const s of candidates) {
      if (s !== '' && !MAYBE_TYPED.has(s.charCodeAt(0))) expect(typeof librarySchemaValue(s), s).toBe('string');
    }
  });

  it('rounds huge integers as the library does, and keeps -0', () => {
    for (const s of ['-0', '+0', '0o17', '0x1F', '12345678901234567890', '123456789012345678901234567890', '0x' + 'F'.repeat(20), '0o' + '7'.repeat(30), '1e400', '-.5e3', '1.', '-0.0']) {
      expect(typed(resolveCorePlain(s)), s).toBe(typed(parseDocument(s).contents && (parseDocument(s).contents as { value: unknown }).value));
    }
    expect(Object.is(resolveCorePlain('-0'), -0)).toBe(true);
  });
});
