// Random Go/Helm templates for the differential tests of the fast reader's template stop
// (FastYamlReader.readForScan()): manifests with directive lines (`{{- if … }}`, `{{- end }}`,
// `{{ include … | nindent 4 }}` …) at many places and columns: before, between and after entries,
// documents and sequences, as values below their key, inside block scalars, quoted and plain
// scalars going over lines and flow collections, followed by lines that could or could not give
// them a value; and plain lines with actions in them (`Environment:{{range .EnvVars}}`). And directive lines slipped into any other text. Seeded: the same seed gives the
// same texts. All written here, none copied from a real chart.

type Rand = () => number;
const pick = <T>(r: Rand, list: readonly T[]): T => list[Math.floor(r() * list.length)] as T;
const chance = (r: Rand, p: number): boolean => r() < p;

/** Directive lines the reader may stop at (a plain body: no `{}[],:#`, a plain first character). */
export const PLAIN_DIRECTIVES = [
  '{{- if .Values.serviceAccount.create }}',
  '{{- end }}',
  '{{ end }}',
  '{{- else }}',
  '{{- with .Values.podAnnotations }}',
  '{{- include "chart.labels" . | nindent 4 }}',
  '{{ include "chart.selectorLabels" . | nindent 6 }}',
  '{{- toYaml .Values.resources | nindent 12 }}',
  '{{/* a comment */}}',
  '{{- /* trimmed comment */ -}}',
  '{{- define "chart.name" -}}',
  '{{- template "chart.env" . }}',
  '{{ .Values.extra }}',
  '{{x}}',
  '{{- if and .Values.a (not .Values.b) }}',
  '{{- range .Values.items }}',
  '{{ if eq .Values.mode "prod" }}',
  '{{ 1 }}',
  '{{ $ }}',
  '{{- end -}}',
];
/** Directive-like lines it must not stop at (they may be read otherwise, or are not single flow maps). */
export const OTHER_DIRECTIVES = [
  '{{- range $key, $value := .Values.env }}',
  '{{- $name := .Values.name }}',
  '{{ "quoted" }}',
  "{{ 'single' }}",
  '{{- - x }}',
  '{{-x}}',
  '{{ a }} # comment',
  '{{ a }}: b',
  '{{ a }}:',
  '{{ a }}}}',
  '{{ "a }}',
  '{{ a: b }}',
  '{{ [a] }}',
  '{{}}',
  '{{ *alias }}',
  '{{ &anchor x }}',
  '{{ !tag x }}',
  '{{ a "b }}" }}',
  '{{ x }} {{ y }}',
  '{ {x} }',
  '{{ a, b }}',
  '{{ a #b }}',
  '{{ "a\\" }}',
  '{{ ? x }}',
];
/**
 * Lines that are plain scalars with template actions in them (copilot's CloudFormation templates):
 * where a key must start, some are no key at all (the reader may stop there), some are keys.
 */
export const PLAIN_TEMPLATE_LINES = [
  'Environment:{{range $name, $value := .EnvVars}}',
  'Secrets:{{range $name, $valueFrom := .SSMParamSecrets}}',
  'Tags:{{ if .Tags }}{{ range $k, $v := .Tags }}',
  'name{{ .Suffix }}',
  'a {{ b }} c',
  'Value{{- if .X }}',
  '1{{x}}',
  '_{{x}}',
  'x{{ y }}  ',
  'x{{ y }} # c',
  'x #{{ y }}',
  'x{{ y }}: v',
  'x{{ y }}:',
  'k: {{ y }}',
  'x {{ "a: b" }}',
  'x{{ y }}\tz',
];
/** Lines that may follow a directive line: some give a key on the line before a value. */
const FOLLOWERS = [': value', '  : value', '    : v', ':', '? key', '- item', '  - item', 'key: v', '  key: v', '%YAML 1.2', '---', '...', '# c', '  # c', '', '   ', 'more', '  more', '"q"', '&a b', '*a', '!Ref x', '{{ y }}', '  {{ y }}', '|', '[a]', '{a: b}'];

const KEYS = ['name', 'image', 'labels', 'app', 'replicas', 'env', 'value', 'port', 'Image', 'command'];
/**
 * Placeholders as values (`replicas: {{replicas}}`): to YAML flow maps whose key is a flow map (the
 * fast reader reads them), and some it gives up on or that are errors.
 */
const PLACEHOLDER_VALUES = ['{{x}}', '{{ x }}', '{{ .A.B }}', '{{.Version}}', '{{ include "x" . | nindent 4 }}', '{{ $v := 1 }}', '[{{x}}, y]', '[ {{ x }}: v ]', '{ {{ x }}: v, k: w }', '{{ x }}: v', '{{ {{ x }} }}', '{{ "q" }}', '{{- x }}', 'x-{{ y }}', '[a,\n      {{ b }}]'];
const VALUES = ['nginx:1.25', 'registry.example.com/team/app:v1', '3', 'true', '"quoted"', "'single'", '{{ .Values.image }}', '"{{ .Values.tag }}"', 'a {{ .Values.x }} b', '[a, b]', '{a: 1}', '!Ref Image', '~', '', ...PLACEHOLDER_VALUES];

function directive(r: Rand): string {
  return chance(r, 0.8) ? pick(r, PLAIN_DIRECTIVES) : chance(r, 0.5) ? pick(r, OTHER_DIRECTIVES) : pick(r, PLAIN_TEMPLATE_LINES);
}

class Writer {
  readonly lines: string[] = [];
  constructor(private readonly r: Rand) {}

  /** Maybe a directive line at `indent` (sometimes a column off), maybe with a line after it. */
  maybeDirective(indent: number, p: number): void {
    const { r } = this;
    if (!chance(r, p)) return;
    const shift = chance(r, 0.7) ? 0 : pick(r, [-4, -2, -1, 1, 2, 4]);
    this.lines.push(`${' '.repeat(Math.max(0, indent + shift))}${directive(r)}`);
    if (chance(r, 0.15)) this.lines.push(`${' '.repeat(Math.max(0, indent + pick(r, [-2, 0, 0, 2, 4])))}${pick(r, FOLLOWERS)}`.replace(/^ +$/, ''));
  }

  map(indent: number, depth: number): void {
    const { r } = this;
    const entries = 1 + Math.floor(r() * 4);
    for (let i = 0; i < entries; i++) {
      this.maybeDirective(indent, i === 0 ? 0.15 : 0.25);
      this.entry(indent, depth);
    }
    this.maybeDirective(indent, 0.2);
  }

  entry(indent: number, depth: number): void {
    const { r } = this;
    const pad = ' '.repeat(indent);
    const key = pick(r, KEYS);
    const kind = depth >= 4 ? 0 : Math.floor(r() * 9);
    switch (kind) {
      case 1:
      case 2:
        this.lines.push(`${pad}${key}:`);
        this.maybeDirective(indent + 2, 0.2); // a value below its key
        this.map(indent + 2, depth + 1);
        return;
      case 3:
        this.lines.push(`${pad}${key}:`);
        this.seq(chance(r, 0.5) ? indent : indent + 2, depth + 1);
        return;
      case 4: {
        this.lines.push(`${pad}${key}: ${pick(r, ['|', '>', '|-', '|+', '>-'])}`);
        const inner = ' '.repeat(indent + 2 + (chance(r, 0.2) ? 2 : 0));
        const count = 1 + Math.floor(r() * 4);
        for (let i = 0; i < count; i++) this.lines.push(chance(r, 0.4) ? `${inner}${directive(r)}` : chance(r, 0.1) ? '' : `${inner}line ${i}: text`);
        return;
      }
      case 5:
        // A plain scalar going on over lines: a directive line more indented continues it.
        this.lines.push(`${pad}${key}: first words`);
        this.lines.push(`${' '.repeat(indent + 2 + Math.floor(r() * 3))}${chance(r, 0.6) ? directive(r) : 'more words'}`);
        return;
      case 6:
        // A quoted scalar or flow collection going on over lines.
        if (chance(r, 0.5)) {
          this.lines.push(`${pad}${key}: "start`);
          this.lines.push(`${' '.repeat(indent + 2)}${directive(r)}`);
          this.lines.push(`${' '.repeat(indent + 2)}end"`);
        } else {
          this.lines.push(`${pad}${key}: [a,`);
          this.lines.push(`${' '.repeat(indent + 2)}${directive(r)}`);
          this.lines.push(`${' '.repeat(indent + 2)}]`);
        }
        return;
      case 7:
        this.lines.push(`${pad}${key}:${chance(r, 0.5) ? ' # note' : ''}`);
        this.lines.push(`${' '.repeat(indent + 2 + (chance(r, 0.3) ? 2 : 0))}${directive(r)}`);
        return;
      default:
        this.lines.push(`${pad}${key}: ${pick(r, VALUES)}`.replace(/ +$/, ''));
    }
  }

  seq(indent: number, depth: number): void {
    const { r } = this;
    const pad = ' '.repeat(indent);
    const items = 1 + Math.floor(r() * 3);
    for (let i = 0; i < items; i++) {
      this.maybeDirective(indent, i === 0 ? 0.1 : 0.25);
      const kind = depth >= 4 ? 0 : Math.floor(r() * 5);
      if (kind === 1 || kind === 2) {
        this.lines.push(`${pad}- name: c${i}`);
        this.lines.push(`${pad}  image: ${pick(r, VALUES)}`.replace(/ +$/, ''));
        this.maybeDirective(indent + 2, 0.2);
        if (chance(r, 0.5)) this.entry(indent + 2, depth + 1);
      } else if (kind === 3) {
        this.lines.push(`${pad}-`);
        if (chance(r, 0.5)) this.lines.push(`${' '.repeat(indent + 2)}${directive(r)}`);
        else this.map(indent + 2, depth + 1);
      } else {
        this.lines.push(`${pad}- ${pick(r, VALUES)}`.replace(/ +$/, ''));
      }
    }
    this.maybeDirective(indent, 0.2);
  }

  document(): void {
    const { r } = this;
    const start = this.lines.length;
    if (chance(r, 0.4)) this.lines.push(directive(r));
    if (chance(r, 0.15)) this.lines.push(directive(r));
    if (chance(r, 0.2)) this.lines.push('# a comment');
    const indent = chance(r, 0.15) ? 2 : 0;
    if (chance(r, 0.2)) {
      this.seq(indent, 0);
    } else {
      this.lines.push(`${' '.repeat(indent)}apiVersion: apps/v1`);
      this.lines.push(`${' '.repeat(indent)}kind: Deployment`);
      this.map(indent, 0);
      this.lines.push(`${' '.repeat(indent)}spec:`);
      this.lines.push(`${' '.repeat(indent + 2)}template:`);
      this.lines.push(`${' '.repeat(indent + 4)}spec:`);
      this.lines.push(`${' '.repeat(indent + 6)}containers:`);
      this.seq(indent + 6 + (chance(r, 0.5) ? 0 : 2), 2);
    }
    if (chance(r, 0.3)) this.lines.push(directive(r));
    if (this.lines.length === start) this.lines.push('a: b');
  }
}

/** A Helm-like template of one or more documents. */
export function randomTemplate(r: Rand): string {
  const w = new Writer(r);
  // Sometimes a plain workload first, whose references a scan keeps.
  if (chance(r, 0.3)) w.lines.push(`apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - name: app\n    image: ${pick(r, ['nginx:1.25', 'registry.example.com/team/app:latest', 'busybox'])}\n---`);
  const docs = 1 + Math.floor(r() * 3);
  for (let d = 0; d < docs; d++) {
    if (d > 0 || chance(r, 0.2)) w.lines.push(chance(r, 0.9) ? '---' : '...\n---');
    w.document();
  }
  let text = `${w.lines.join('\n')}\n`;
  if (chance(r, 0.05)) text = text.replace(/\n/g, '\r\n');
  return text;
}

/** Any text with directive lines slipped in, at the column of a line near them or a little off. */
export function withDirectives(text: string, r: Rand): string {
  const lines = text.split('\n');
  const count = 1 + Math.floor(r() * 3);
  for (let m = 0; m < count; m++) {
    const i = Math.floor(r() * (lines.length + 1));
    const near = lines[Math.min(i, lines.length - 1)] ?? '';
    const indent = (/^ */.exec(near)?.[0] ?? '').length + (chance(r, 0.7) ? 0 : pick(r, [-2, 2, 4]));
    const inserted = [`${' '.repeat(Math.max(0, indent))}${directive(r)}`];
    if (chance(r, 0.15)) inserted.push(`${' '.repeat(Math.max(0, indent + pick(r, [0, 2])))}${pick(r, FOLLOWERS)}`);
    lines.splice(i, 0, ...inserted);
  }
  return lines.join('\n');
}
