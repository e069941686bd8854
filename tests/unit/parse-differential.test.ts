// The fast readers (src/parse/fast-yaml.ts, fast-json.ts) against the full parsers (eemeli/yaml's
// Document API, jsonc-parser), through the whole scanner. For every fixture under tests/golden*,
// the examples, a synthetic repository from scripts/gen-synthetic.mjs and, when it is there,
// ../shared/corpus (beside the checkout, never copied in), a scan with the fast readers and one
// with the full parsers must give the same references (raw, range, location, style, workload,
// container, role, via, unresolvable), the same findings, format, skip reason and parse errors at
// the same positions; the parsed trees must be identical too. Random JSON texts, valid and broken,
// check the JSON reader the same way (the YAML reader has its own: fast-yaml-fuzz.test.ts). Random
// Go/Helm templates and real files with directive lines slipped in must scan alike too, whether the
// fast reader stops at a directive line (FastYamlReader.readForScan()) or the full parser reads them,
// and so must random YAML full of `{{ x }}` placeholders (flow maps whose key is a flow map).
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fastParseJson } from '../../src/parse/fast-json.js';
import { fastParseYaml } from '../../src/parse/fast-yaml.js';
import { looksLikeJson, parseForScan, parseSettings, parseText } from '../../src/parse/index.js';
import { parseJson } from '../../src/parse/json.js';
import { loadDefaultPolicy } from '../../src/policy/load.js';
import { FileScanner } from '../../src/scan/scan-file.js';
import { readCheckedSync } from '../../src/sources/files.js';
// @ts-expect-error a plain ESM script without type declarations
import { generate } from '../../scripts/gen-synthetic.mjs';
import { randomYaml, rng } from './fast-yaml-random.js';
import { randomTemplate, withDirectives } from './fast-yaml-template-random.js';
import { filesUnder } from '../helpers/files.js';
import { cases, seed } from '../helpers/fuzz.js';

const here = import.meta.dirname;
const repo = join(here, '..', '..');
const corpus = join(repo, '..', 'shared', 'corpus');

const scannable = (dir: string): string[] => filesUnder(dir, /\.(ya?ml|json|template)$/i);

const synthetic = mkdtempSync(join(tmpdir(), 'imagedrift-differential-'));
generate(synthetic, 1, 7);
afterAll(() => rmSync(synthetic, { recursive: true, force: true }));

const fixtureDirs = readdirSync(join(repo, 'tests'))
  .filter((name) => name.startsWith('golden'))
  .map((name) => join(repo, 'tests', name));
const sets: Array<[string, string[]]> = [
  ['tests/golden* fixtures and examples', [...fixtureDirs, join(repo, 'examples')].filter((dir) => existsSync(dir)).flatMap((dir) => scannable(dir))],
  ['synthetic repository (scripts/gen-synthetic.mjs, 1 MB, seed 7)', scannable(synthetic)],
];
if (existsSync(corpus)) sets.push(['../shared/corpus', scannable(corpus)]);

/** Plain data: JSON cannot tell -0 or NaN apart from others, so they are spelled out first. */
const plain = (value: unknown): string => JSON.stringify(value, (_key, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? `number:${String(v)}` : Object.is(v, -0) ? 'number:-0' : v));

function scanBoth(path: string, text: string) {
  const scanner = new FileScanner({ policy: loadDefaultPolicy(), now: '2026-01-01' });
  try {
    parseSettings.fast = true;
    const fast = scanner.scan(path, text);
    parseSettings.fast = false;
    const full = scanner.scan(path, text);
    return { fast, full };
  } finally {
    parseSettings.fast = true;
  }
}

describe.each(sets)('fast and full parsers agree: %s', (_name, paths) => {
  it('has files to compare', () => expect(paths.length).toBeGreaterThan(5));

  it('builds identical trees, and the fast readers take most files', () => {
    let fastFiles = 0;
    let texts = 0;
    for (const path of paths) {
      const read = readCheckedSync(path, 10 * 1024 * 1024);
      if (read.kind !== 'file') continue;
      texts += 1;
      const json = looksLikeJson(read.text);
      const jsonText = read.text.charCodeAt(0) === 0xfeff ? ` ${read.text.slice(1)}` : read.text;
      if ((json ? fastParseJson(jsonText) : fastParseYaml(read.text)) !== undefined) fastFiles += 1;
      expect(plain(parseText(read.text, { fast: true })), relative(repo, path)).toBe(plain(parseText(read.text, { fast: false })));
    }
    // Templates, broken files and YAML outside the subset go to the full parsers; the rest must not.
    expect(fastFiles).toBeGreaterThan(texts * 0.6);
  });

  it('finds the same references and findings at the same positions', () => {
    let refs = 0;
    for (const path of paths) {
      const read = readCheckedSync(path, 10 * 1024 * 1024);
      if (read.kind !== 'file') continue;
      const { fast, full } = scanBoth(path, read.text);
      const label = relative(repo, path);
      expect(fast.refs, label).toEqual(full.refs);
      expect(fast.findings, label).toEqual(full.findings);
      expect(fast.format, label).toBe(full.format);
      expect(fast.skipped, label).toEqual(full.skipped);
      expect(fast, label).toEqual(full);
      refs += fast.refs.length;
    }
    expect(refs).toBeGreaterThan(20);
  });
});

// ---- YAML the fast reader took on late: anchors and aliases, quoted scalars over several lines -------

const ANCHORED = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: payments
  namespace: &ns payments-prod
  annotations:
    description: "this workload is described
      over two lines"
spec:
  template:
    spec:
      containers:
      - &app
        name: app
        image: &img registry.example.com/payments/app:latest
      - name: sidecar
        image: *img
      initContainers:
      - name: migrate
        image: 'registry.example.com/payments/migrate:
          1.2.3'
---
apiVersion: v1
kind: Pod
metadata:
  name: debug
  namespace: &ns payments-prod
spec:
  containers:
  - name: a
    image: &i nginx:latest
  - name: b
    image: *i
`;

describe('fast and full parsers agree on anchors, aliases and multi-line quoted scalars', () => {
  it('the fast reader takes the text, and the scan finds the same references and findings', () => {
    expect(fastParseYaml(ANCHORED)).toBeDefined();
    expect(plain(parseText(ANCHORED, { fast: true }))).toBe(plain(parseText(ANCHORED, { fast: false })));
    const { fast, full } = scanBoth('anchored.yaml', ANCHORED);
    expect(fast.refs).toEqual(full.refs);
    expect(fast.findings).toEqual(full.findings);
    // An alias is its anchor's node: a reference written once is reported once per container using it.
    expect(fast.refs.map((ref) => `${ref.raw}@${ref.range.start}`)).toContain('registry.example.com/payments/app:latest@' + ANCHORED.indexOf('registry.example.com/payments/app'));
    expect(fast.refs.length).toBeGreaterThanOrEqual(4);
  });
});

// ---- Go/Helm templates: the fast reader stops at a directive line (FastYamlReader.readForScan()) ----

/** The same GO_TEMPLATE test as src/scan/scan-file.ts's, to count which path each text takes. */
const GO_TEMPLATE = /\{\{-?\s*(if|range|with|define|include|template|end|else|toYaml|\/\*)/;

describe('fast and full parsers agree through the scanner on Go/Helm templates', () => {
  const realTexts = sets
    .flatMap(([, paths]) => paths)
    .map((path) => readCheckedSync(path, 10 * 1024 * 1024))
    .flatMap((read) => (read.kind === 'file' && !looksLikeJson(read.text) ? [read.text] : []));

  function compare(texts: Iterable<string>): { stopped: number; stoppedWithRefs: number; fallback: number } {
    const counts = { stopped: 0, stoppedWithRefs: 0, fallback: 0 };
    let i = 0;
    for (const text of texts) {
      const path = `template-${i++}.yaml`;
      const { fast, full } = scanBoth(path, text);
      expect(fast, `${path}\n${text}`).toEqual(full);
      if (parseForScan(text).template === undefined) continue;
      if (GO_TEMPLATE.test(text)) {
        counts.stopped++;
        if (fast.refs.length > 0) counts.stoppedWithRefs++;
      } else counts.fallback++;
    }
    return counts;
  }

  const templates = cases(150, 6000);
  it(`scans ${templates} random Helm-like templates alike, with the fast path on and off`, () => {
    const r = rng(seed(9090));
    const counts = compare(Array.from({ length: templates }, () => randomTemplate(r)));
    // Every path is taken: the skip straight from the stop (with references from the documents before
    // it), and the full parser for `{{…}}` placeholders that are no Go/Helm directive.
    expect(counts.stopped).toBeGreaterThan(templates / 3);
    expect(counts.stoppedWithRefs).toBeGreaterThan(templates / 15);
    // The full parser's path is rare here (about 1 in 1,000): the large runs of `npm run fuzz` take it.
    if (templates >= 3000) expect(counts.fallback).toBeGreaterThan(0);
  });

  const placeholderTexts = cases(150, 4000);
  it(`scans ${placeholderTexts} random texts full of Go template placeholders alike, with the fast path on and off`, () => {
    const r = rng(seed(9292));
    const texts = Array.from({ length: placeholderTexts }, () => randomYaml(r, { placeholders: 0.4, collectionKeys: 0.3 }));
    compare(texts);
    // The fast reader takes many of them (placeholders are flow maps whose key is a flow map).
    expect(texts.filter((text) => /\{\s*\{/.test(text) && fastParseYaml(text) !== undefined).length).toBeGreaterThan(placeholderTexts * 0.15);
  });

  const realWithDirectives = cases(150, 6000);
  it(`scans ${realWithDirectives} real files with directive lines slipped in alike, with the fast path on and off`, () => {
    const r = rng(seed(9191));
    const counts = compare(Array.from({ length: realWithDirectives }, () => withDirectives(realTexts[Math.floor(r() * realTexts.length)] ?? '', r)));
    expect(counts.stopped).toBeGreaterThan(realWithDirectives / 5);
    // Each path is taken at least once.
    expect(counts.stoppedWithRefs).toBeGreaterThan(0);
    expect(counts.fallback).toBeGreaterThan(0);
  });
});

// ---- JSON: random texts ----------------------------------------------------------------------------

function randomJson(r: () => number, depth = 0): string {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(r() * list.length)] as T;
  const ws = () => pick(['', '', ' ', '\n  ', '\t', '\r\n', '  ']);
  const x = r();
  if (depth < 4 && x < 0.25) {
    const n = Math.floor(r() * 4);
    return `{${ws()}${Array.from({ length: n }, () => `${JSON.stringify(pick(['image', 'name', 'a', 'é', 'x"y', 'containerDefinitions', '']))}${ws()}:${ws()}${randomJson(r, depth + 1)}`).join(`${ws()},${ws()}`)}${ws()}}`;
  }
  if (depth < 4 && x < 0.45) {
    const n = Math.floor(r() * 4);
    return `[${ws()}${Array.from({ length: n }, () => randomJson(r, depth + 1)).join(`${ws()},${ws()}`)}${ws()}]`;
  }
  return pick(['"nginx:1.25"', '"a\\"b"', '"\\u00e9\\n\\t\\/\\\\"', '"\\ud83d\\ude00"', '"\\ud800"', '0', '-0', '1.5e3', '-12.25E-2', '123456789012345678901', 'true', 'false', 'null', '""', '"é😀"', '"\\x41"', '01', '1.', '.5', '+1', '"tab\there"', 'NaN', '"a\u2028b"']);
}

function mutate(text: string, r: () => number): string {
  const i = Math.floor(r() * (text.length + 1));
  const insert = ['', ',', '}', ']', '"', ':', ' ', '//', '\u00a0', 'x', '\\', '{', '\ufeff'][Math.floor(r() * 13)] ?? '';
  return r() < 0.5 ? text.slice(0, i) + insert + text.slice(i + 1) : text.slice(0, i) + insert + text.slice(i);
}

describe('fast JSON reader, differential on random texts', () => {
  const texts = cases(2000, 60000);
  it(`agrees with jsonc-parser on ${texts} texts whenever it accepts one, and accepts valid JSON`, () => {
    const r = rng(seed(4242));
    const failures: string[] = [];
    let accepted = 0;
    let valid = 0;
    for (let i = 0; i < texts && failures.length < 5; i++) {
      let text = randomJson(r);
      if (r() < 0.4) text = mutate(text, r);
      let isJson = true;
      try {
        JSON.parse(text);
      } catch {
        isJson = false;
      }
      const fast = fastParseJson(text);
      if (isJson && !/[\u2028\u2029]/.test(text)) {
        valid += 1;
        if (fast === undefined && text.trim() !== '') failures.push(`rejected valid JSON: ${JSON.stringify(text)}`);
      }
      if (fast === undefined) continue;
      accepted += 1;
      const full = parseJson(text);
      if (full.error !== undefined) failures.push(`accepted what jsonc-parser rejects (${full.error.message}): ${JSON.stringify(text)}`);
      else if (plain(full) !== plain(fast)) failures.push(`different trees: ${JSON.stringify(text)}`);
    }
    expect(failures).toEqual([]);
    expect(valid).toBeGreaterThan(texts / 6);
    expect(accepted).toBeGreaterThan(texts / 6);
  });
});
