// The fast reader's template stop (FastYamlReader.readForScan()) against the full parser: wherever
// it stops at a Go/Helm template directive line, the full parser must report an error in that very
// document and keep exactly the documents the reader kept before it. Checked on real files (tests
// fixtures, examples, a synthetic repository, ../shared/corpus when it is there), on them with
// directive lines slipped in, on random YAML with directive lines slipped in, and on random Helm-like
// templates (tests/unit/fast-yaml-template-random.ts). Where it does not stop, it must read exactly
// what read() reads. `npm run fuzz` runs many more cases (tests/helpers/fuzz.ts).
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FastYamlReader, TemplateStop, Unsupported } from '../../src/parse/fast-yaml.js';
import { looksLikeJson, parseForScan, parseText } from '../../src/parse/index.js';
import { documentsBeforeError } from '../../src/parse/tree.js';
import { parseYaml } from '../../src/parse/yaml.js';
// @ts-expect-error a plain ESM script without type declarations
import { generate } from '../../scripts/gen-synthetic.mjs';
import { randomTemplate, withDirectives } from './fast-yaml-template-random.js';
import { mutateLines, randomYaml, rng } from './fast-yaml-random.js';
import { filesUnder } from '../helpers/files.js';
import { cases, seed } from '../helpers/fuzz.js';

const CASES = cases(250, 10000);
const SEED = seed(20261122);

const plain = (value: unknown): string => JSON.stringify(value, (_key, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? `number:${String(v)}` : Object.is(v, -0) ? 'number:-0' : v));

type Outcome = 'stop' | 'tree' | 'unsupported';

/** Checks one text; records what went wrong in `failures`. */
function check(text: string, label: string, failures: string[]): Outcome {
  const scan = new FastYamlReader(text).readForScan();
  if (scan instanceof Unsupported) return 'unsupported';
  if (scan instanceof TemplateStop) {
    const full = parseYaml(text);
    const lineStart = text.lastIndexOf('\n', scan.offset - 1) + 1;
    const lineEnd = text.indexOf('\n', scan.offset);
    const atLine = /^ *$/.test(text.slice(lineStart, scan.offset)) && text.slice(scan.offset, lineEnd === -1 ? undefined : lineEnd).includes('{{');
    if (!atLine) failures.push(`${label}: stopped at ${scan.offset}, not at the start of a line holding a template action\n${JSON.stringify(text)}`);
    if (full.error === undefined) failures.push(`${label}: stopped at a directive line (${scan.offset}) where the full parser finds no error\n${JSON.stringify(text)}`);
    else if (plain(documentsBeforeError(full)) !== plain(scan.documents)) {
      failures.push(`${label}: the full parser's error (${full.error.message} at ${full.error.offset}) is in document ${documentsBeforeError(full).length}, the stop (${scan.offset}) in document ${scan.documents.length}, or the documents before differ\n${JSON.stringify(text)}`);
    }
    return 'stop';
  }
  const read = new FastYamlReader(text).read();
  if (read instanceof Unsupported || plain(read) !== plain(scan)) failures.push(`${label}: readForScan() and read() disagree\n${JSON.stringify(text)}`);
  return 'tree';
}

const yamlFiles = (dir: string): string[] => filesUnder(dir, /\.(ya?ml|template)$/i);

const repo = join(import.meta.dirname, '..', '..');
const corpus = join(repo, '..', 'shared', 'corpus');
const synthetic = mkdtempSync(join(tmpdir(), 'imagedrift-template-'));
generate(synthetic, 1, 11);
afterAll(() => rmSync(synthetic, { recursive: true, force: true }));
const fixtureDirs = readdirSync(join(repo, 'tests'))
  .filter((name) => name.startsWith('golden'))
  .map((name) => join(repo, 'tests', name));
const realFiles = [...fixtureDirs, join(repo, 'examples'), synthetic, ...(existsSync(corpus) ? [corpus] : [])]
  .filter((dir) => existsSync(dir))
  .flatMap((dir) => yamlFiles(dir))
  .map((path) => ({ path, text: readFileSync(path, 'utf8') }))
  .filter(({ text }) => !looksLikeJson(text));

describe('template stop: the full parser reports an error in the same document', () => {
  it('holds on every real file (fixtures, examples, synthetic, corpus)', () => {
    const failures: string[] = [];
    const outcomes = { stop: 0, tree: 0, unsupported: 0 };
    for (const { path, text } of realFiles) outcomes[check(text, path, failures)]++;
    expect(failures).toEqual([]);
    expect(outcomes.tree).toBeGreaterThan(realFiles.length * 0.6);
    // The corpus's Helm chart templates stop at their directive lines.
    if (existsSync(corpus)) expect(outcomes.stop).toBeGreaterThanOrEqual(10);
  });

  it(`holds on ${CASES} random Helm-like templates`, () => {
    const r = rng(SEED);
    const failures: string[] = [];
    const outcomes = { stop: 0, tree: 0, unsupported: 0 };
    for (let i = 0; i < CASES && failures.length < 5; i++) outcomes[check(randomTemplate(r), `template ${i}`, failures)]++;
    expect(failures).toEqual([]);
    // Most must stop: they are what the stop is for.
    expect(outcomes.stop).toBeGreaterThan(CASES * 0.4);
  });

  it(`holds on ${CASES} real files with directive lines slipped in`, () => {
    const r = rng(SEED + 1);
    const failures: string[] = [];
    const outcomes = { stop: 0, tree: 0, unsupported: 0 };
    for (let i = 0; i < CASES && failures.length < 5; i++) {
      const source = realFiles[Math.floor(r() * realFiles.length)]?.text ?? '';
      const text = withDirectives(i % 4 === 0 ? mutateLines(source, r) : source, r);
      outcomes[check(text, `file ${i}`, failures)]++;
    }
    expect(failures).toEqual([]);
    expect(outcomes.stop).toBeGreaterThan(CASES * 0.2);
  });

  it(`holds on ${CASES} random YAML texts with directive lines slipped in`, () => {
    const r = rng(SEED + 2);
    const failures: string[] = [];
    const outcomes = { stop: 0, tree: 0, unsupported: 0 };
    for (let i = 0; i < CASES && failures.length < 5; i++) {
      const options = pickOptions(i);
      outcomes[check(withDirectives(randomYaml(r, options), r), `random ${i}`, failures)]++;
    }
    expect(failures).toEqual([]);
    expect(outcomes.stop).toBeGreaterThan(CASES * 0.1);
  });
});

function pickOptions(i: number): Parameters<typeof randomYaml>[1] {
  switch (i % 5) {
    case 4:
      return { placeholders: 0.4, collectionKeys: 0.3 };
    case 1:
      return { multiLineFlows: 0.5, extraFlows: 0.3 };
    case 2:
      return { multiLineQuoted: 0.5 };
    case 3:
      return { anchors: 0.3 };
    default:
      return {};
  }
}

// ---- where a directive line must not stop the reader -----------------------------------------------

const NOT_STOPPED: Array<[string, string]> = [
  ['a value on the lines below its key', 'image: nginx\nannotations:\n  {{- toYaml .Values.annotations | nindent 4 }}\nb: 1\n'],
  ['a value below its key, after a comment', 'image: nginx\nannotations: # from values\n    {{ include "x" . }}\nb: 1\n'],
  ['a value below a sequence dash', 'image: nginx\nitems:\n  -\n    {{- end }}\n  - b\n'],
  ['a literal block scalar line', 'image: nginx\nscript: |\n  {{- if .Values.debug }}\n  set -x\n  {{- end }}\nb: 1\n'],
  ['a folded block scalar line', 'image: nginx\nscript: >-\n  run\n  {{ end }}\nb: 1\n'],
  ['a block scalar line at the key column of an inner map', 'image: nginx\nouter:\n  script: |\n    {{ end }}\n  b: 1\n'],
  ['a plain scalar going on', 'image: nginx\ndescription: first\n  {{ end }}\nb: 1\n'],
  ['a plain scalar going on in a sequence', 'image: nginx\nargs:\n- first\n  {{ end }}\n'],
  ['a root plain scalar going on', 'first words\n{{ end }}\n'],
  ['a double-quoted scalar going on', 'image: nginx\nd: "first\n  {{ end }}\n  last"\n'],
  ['a flow sequence going on', 'image: nginx\nd: [a,\n  {{ end }}\n  ]\n'],
  ['a whole document', '{{- if .Values.x }}\n'],
  ['a whole document before a marker', '{{ end }}\n---\nimage: nginx\n'],
  ['a whole document before a document end', '{{ end }}\n...\nimage: nginx\n'],
  ['a key given its value on a more indented line', 'image: nginx\n{{ end }}\n  : value\n'],
  ['a key given its value after blank and comment lines', 'image: nginx\n{{ end }}\n\n# c\n   : value\n'],
  ['a root directive given a value', '{{ end }}\n: value\n'],
  ['a root directive followed by a more indented line', '{{ end }}\n  image: nginx\n'],
  ['a key with a colon after the braces', 'image: nginx\n{{ end }}: value\n'],
  ['a comment after the braces', 'image: nginx\n{{ end }} # c\n'],
  ['a colon inside', 'image: nginx\n{{- $name := .Values.name }}\n'],
  ['a comma inside', 'image: nginx\n{{- range $k, $v := .Values.env }}\n'],
  ['a quoted body', 'image: nginx\n{{ "x" }}\n'],
  ['a nested brace', 'image: nginx\n{{ a }}}}\n'],
  ['a line more indented than the key column after a quoted value', 'image: "nginx"\n  {{ end }}\n'],
  ['a line between two key columns', 'outer:\n    image: nginx\n  {{ end }}\n'],
  ['after a flow root', '[image, nginx]\n{{ end }}\n'],
  ['after a quoted root', '"image: nginx"\n{{ end }}\n'],
  ['a key followed by an explicit key', 'image: nginx\n{{ end }}\n? k\n: v\n'],
  ['a plain line with an action given a value on a more indented line', 'image: nginx\nname{{ .X }}\n  : value\n'],
  ['a plain line with an action going on a plain value', 'image: nginx\nd: first\n  Environment:{{range .X}}\n'],
  ['a plain line with an action as a sequence item', 'image: nginx\nitems:\n- Environment:{{range .X}}\n'],
  ['a plain line with an action as a key', 'image: nginx\nname{{ .X }}: v\n'],
  ['a plain line with an action and a tab', 'image: nginx\nname{{ .X }}\tv\n'],
  ['a plain line starting with an indicator', 'image: nginx\n-name{{ .X }}\n'],
];

describe('template stop: positions where a directive line is not an error, or may not be', () => {
  it.each(NOT_STOPPED)('does not stop at %s', (_name, text) => {
    expect(new FastYamlReader(text).readForScan()).not.toBeInstanceOf(TemplateStop);
    // What it reads instead is the full parser's tree or nothing.
    const failures: string[] = [];
    check(text, _name, failures);
    expect(failures).toEqual([]);
  });

  it('block scalars, plain and quoted scalars keep the directive lines as text', () => {
    const file = new FastYamlReader(NOT_STOPPED[3]?.[1] ?? '').readForScan();
    expect(file).not.toBeInstanceOf(Unsupported);
    expect(plain(file)).toBe(plain(parseYaml(NOT_STOPPED[3]?.[1] ?? '')));
  });
});

// ---- where it stops ----------------------------------------------------------------------------------

const STOPPED: Array<[string, string, number]> = [
  ['a key position', 'image: nginx\n{{- end }}\n', 0],
  ['a key position after an empty value', 'image: nginx\nlabels:\n{{- end }}\n', 0],
  ['a nested key position', 'spec:\n  image: nginx\n  {{- if .Values.x }}\n  b: 1\n  {{- end }}\n', 0],
  ['a key position after a block scalar', 'image: nginx\nscript: |\n  run\n{{ end }}\nb: 1\n', 0],
  ['a key position after a plain scalar going on', 'image: nginx\nd: first\n  second\n{{ end }}\n', 0],
  ['an item position', 'containers:\n  - image: nginx\n  {{- end }}\n', 0],
  ['an item position of a sequence at its key column', 'containers:\n- image: nginx\n{{- end }}\n', 0],
  ['after an indented root map', '  image: nginx\n{{ end }}\n', 0],
  ['after a root sequence', '- image: nginx\n{{ end }}\n', 0],
  ['a first line followed by more', '{{- if .Values.create }}\n{{- with .Values.x }}\nimage: nginx\n', 0],
  ['a first line followed by a key', '# c\n\n{{- if .Values.create }}\n\nimage: nginx\n', 0],
  ['the second document', 'image: a\n---\n{{- if .Values.create }}\nimage: nginx\n{{- end }}\n', 1],
  ['the third document, with a line after it', 'image: a\n---\nb: [1, 2]\n---\nimage: nginx\n{{ end }}\n---\nc: 1\n', 2],
  ['the end of the text', 'image: nginx\n{{ end }}', 0],
  ['a line before a marker', 'image: nginx\n{{ end }}\n---\nb: 1\n', 0],
  ['a line with CRLF', 'image: nginx\r\n{{- end }}\r\nb: 1\r\n', 0],
  ['a line after a less indented one', 'a:\n  image: nginx\n  {{- end }}\nb: 1\n', 0],
  ['an item position after an empty item', 'image: x\nitems:\n-\n{{ end }}\n', 0],
  ['an item position of an indented sequence', 'image: x\na:\n  - b\n  {{ end }}\n', 0],
  ['an indented first line followed by a key', '    {{ x }}\nimage: a\n', 0],
  ['a first line followed by blank lines and more', '{{ x }}\n\n   \n{{- end }}\nimage: a\n', 0],
  ['a key position followed by a more indented entry, after a placeholder value', 'image: nginx\nmeta:\n  version: {{ .Version }}\n{{- if .Extra }}\n  extra: |\n    text\n{{- end }}\nb: 1\n', 0],
  ['a key position followed by a more indented line after a comment', 'image: nginx\n{{ end }}\n    # c\n  more\n', 0],
  ['an item position followed by a more indented item', 'items:\n- a\n{{- range .X }}\n  - b\n', 0],
  [
    'a plain line with an action where a key must start (CloudFormation written as a Go template)',
    'Resources:\n  TaskDefinition:\n    Type: AWS::ECS::TaskDefinition\n    Properties:\n      ContainerDefinitions:\n        - Name: !Ref TaskName{{if .EnvVars}}\n          Environment:{{range $name, $value := .EnvVars}}\n          - Name: {{$name}}\n            Value: {{$value}}{{end}}{{end}}\n          Image: !Ref ContainerImage\n',
    0,
  ],
  ['a plain line with an action, in the second document', 'image: a\n---\nimage: nginx\nname{{ .Suffix }}\n', 1],
];

describe('template stop: positions where a directive line is an error', () => {
  it.each(STOPPED)('stops at %s', (_name, text, documents) => {
    const stop = new FastYamlReader(text).readForScan();
    expect(stop).toBeInstanceOf(TemplateStop);
    expect((stop as TemplateStop).documents.length).toBe(documents);
    const full = parseYaml(text);
    expect(full.error).toBeDefined();
    expect(plain((stop as TemplateStop).documents)).toBe(plain(documentsBeforeError(full)));
  });

  it('parseText() never stops: it gives the full parser its error', () => {
    for (const [, text] of STOPPED) {
      const parsed = parseText(text);
      expect(parsed).not.toHaveProperty('template');
      expect(plain(parsed)).toBe(plain(parseYaml(text)));
      expect(plain(parseForScan(text, { fast: false }))).toBe(plain(parseYaml(text)));
      expect(parseForScan(text).template).toBeDefined();
    }
  });
});
