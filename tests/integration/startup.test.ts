// What the built CLI loads at start-up. Start-up dominates the short runs of a CI gate, so a plain
// `scan` must not load what only other commands or options need: the pinning rewriter (src/fix,
// diff), the audit (src/audit, the AWS SDK), the registry side (src/resolve, semver, node:https,
// node:zlib, node:child_process) and ajv (only a user's own policy file is checked against the
// schema). Each run records every module it loads: ES modules through a resolve hook (dynamic
// import() included), CommonJS modules (ajv is required lazily) from require.cache at exit. The
// positive cases show that the recorder sees each kind of module when a run does load it.
//
// The yaml package (CommonJS, ~70 files) is loaded only when a file or policy needs the full YAML
// parser (src/parse/yaml-lib.ts): the fast reader reads the examples and the bundled policy. The
// recorder also notes which module asks for `yaml`, statically (the resolve hook's parent) or
// with require() (Module._load's parent).
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const bin = join(root, 'bin', 'imagedrift.js');

/**
 * The CLI runs from dist/bundle/ (scripts/bundle.mjs), each output holding the code of several of
 * our sources: esbuild's metafile says which. A loaded output stands for all of its sources, as
 * `file://…/src/….ts` URLs, so the kinds below name sources whatever the bundling.
 */
const BUNDLE = `${pathToFileURL(join(root, 'dist', 'bundle')).href}/`;
const meta = JSON.parse(readFileSync(join(root, 'dist', 'bundle', 'meta.json'), 'utf8')) as { outputs: Record<string, { inputs: Record<string, unknown> }> };
function sourcesOf(url: string): string[] {
  if (!url.startsWith(BUNDLE)) return [url];
  const output = meta.outputs[`dist/bundle/${url.slice(BUNDLE.length)}`];
  if (output === undefined) throw new Error(`${url}: not in dist/bundle/meta.json (a stale bundle? npm run build)`);
  return Object.keys(output.inputs).map((input) => pathToFileURL(join(root, input)).href);
}

/** Runs in the module loader's thread: writes each resolved URL at once, so none is lost at exit. */
const HOOKS = `import { appendFileSync } from 'node:fs';
let out;
export function initialize(data) { out = data.out; }
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  appendFileSync(out, result.url + '\\n');
  if (specifier === 'yaml') appendFileSync(out, 'yaml<-' + context.parentURL + '\\n');
  return result;
}
`;

/** Preloaded with --import: registers the hook, and lists the CommonJS modules at exit. */
const RECORDER = `import { appendFileSync } from 'node:fs';
import Module, { createRequire, register } from 'node:module';
import { pathToFileURL } from 'node:url';
const out = process.env.IMAGEDRIFT_MODULE_LOG;
register(new URL('./hooks.mjs', import.meta.url), { data: { out } });
const load = Module._load;
Module._load = function (request, parent, isMain) {
  if (request === 'yaml') appendFileSync(out, 'yaml<-' + (parent?.filename ? pathToFileURL(parent.filename).href : 'unknown') + '\\n');
  return load.call(this, request, parent, isMain);
};
const cache = createRequire(import.meta.url).cache;
process.on('exit', () => appendFileSync(out, Object.keys(cache).map((file) => pathToFileURL(file).href + '\\n').join('')));
`;

/** Modules a plain scan must not load, by what they are. */
const HEAVY: Array<[string, RegExp]> = [
  ['src/fix (pin)', /\/src\/fix\//],
  ['src/audit (audit ecs; wording.ts holds the rules’ messages)', /\/src\/audit\/(?!wording\.ts$)/],
  ['src/resolve (registries)', /\/src\/resolve\//],
  ['src/scan/resolve-phase (scan --resolve)', /\/src\/scan\/resolve-phase\.ts$/],
  ['--changed-since (git)', /\/src\/cli\/changed-files\.ts$/],
  ['diff', /\/node_modules\/diff\//],
  ['ajv', /\/node_modules\/ajv\//],
  ['semver', /\/node_modules\/semver\//],
  ['AWS SDK', /\/node_modules\/(@aws-sdk|@smithy)\//],
  ['node:https, node:http, node:zlib, node:child_process', /^node:(https|http|zlib|child_process)$/],
];

/** The command implementations: none of them is needed to print help or the version. */
const IMPLEMENTATIONS: Array<[string, RegExp]> = [
  ...HEAVY,
  ['the scanner', /\/src\/scan\//],
  ['the policy loader', /\/src\/policy\/(load|parse|schema)\.ts$/],
  ['yaml', /\/node_modules\/yaml\//],
];

const FULL_PARSER_FILE = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
      - &web
        name: web
        image: nginx:latest
      - <<: *web
        name: proxy
        image: &envoy envoyproxy/envoy:v1.30.1
      initContainers:
      - name: init
        image: *envoy
`;

/** What a scan finds in it: the latest tag, and the envoy tag written once and used by two containers. */
const FULL_PARSER_FINDINGS = ['latest-tag@11 web', 'undigested-tag@14 init', 'undigested-tag@14 proxy'];

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'imagedrift-startup-'));
  writeFileSync(join(dir, 'hooks.mjs'), HOOKS);
  writeFileSync(join(dir, 'recorder.mjs'), RECORDER);
  writeFileSync(join(dir, 'policy.yaml'), 'extends: default\nrules:\n  undigested-tag: off\n');
  writeFileSync(join(dir, 'results.json'), JSON.stringify({ schema: 'imagedrift.scan/v1', findings: [] }));
  // Anchors, aliases and a merge key: a file the fast YAML reader leaves to the full parser.
  mkdirSync(join(dir, 'full-parser'));
  writeFileSync(join(dir, 'full-parser', 'deploy.yaml'), FULL_PARSER_FILE);
  // Go templates the scan skips: a Helm chart's and CloudFormation written as a Go template.
  mkdirSync(join(dir, 'templates'));
  writeFileSync(
    join(dir, 'templates', 'deployment.yaml'),
    'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ include "app.fullname" . }}\nspec:\n  template:\n    spec:\n      containers:\n        - name: app\n          image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"\n          {{- with .Values.resources }}\n          resources:\n            {{- toYaml . | nindent 12 }}\n          {{- end }}\n',
  );
  writeFileSync(
    join(dir, 'templates', 'task.yml'),
    'Resources:\n  TaskDefinition:\n    Type: AWS::ECS::TaskDefinition\n    Properties:\n      ContainerDefinitions:\n        - Name: !Ref TaskName{{if .EnvVars}}\n          Environment:{{range $name, $value := .EnvVars}}\n          - Name: {{$name}}\n            Value: {{$value}}{{end}}{{end}}\n          Image: !Ref ContainerImage\n',
  );
  mkdirSync(join(dir, 'suppressed'));
  writeFileSync(
    join(dir, 'suppressed', 'pod.yaml'),
    'apiVersion: v1\nkind: Pod\nmetadata:\n  name: debug\nspec:\n  containers:\n  - name: shell\n    image: busybox:latest # imagedrift-ignore latest-tag -- throwaway debug pod\n',
  );
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

let runs = 0;

/** Runs the CLI from the repository root and returns its exit code, output and the modules it loaded. */
function run(args: string[]) {
  const log = join(dir, `modules-${++runs}.txt`);
  writeFileSync(log, '');
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: dir, XDG_CACHE_HOME: join(dir, 'cache'), NO_COLOR: '1', IMAGEDRIFT_MODULE_LOG: log };
  const result = spawnSync(process.execPath, ['--import', join(dir, 'recorder.mjs'), bin, ...args], { cwd: root, encoding: 'utf8', env });
  const lines = readFileSync(log, 'utf8').split('\n');
  /** The files loaded, as they are (bundle outputs, node_modules, node: built-ins). */
  const files = [...new Set(lines.filter((line) => line !== '' && !line.startsWith('yaml<-')))];
  const modules = [...new Set(files.flatMap(sourcesOf))];
  /** For each file that asked for the yaml package (import or require), the sources it holds. */
  const yamlImporters = [...new Set(lines.filter((line) => line.startsWith('yaml<-')).map((line) => line.slice('yaml<-'.length)))].map(sourcesOf);
  return { code: result.status, stdout: result.stdout, stderr: result.stderr, files, modules, yamlImporters };
}

const YAML = /\/node_modules\/yaml\//;
const YAML_LIB = /\/src\/parse\/yaml-lib\.ts$/;
/** The modules that match one of `kinds`, each with what it is. */
function loaded(modules: readonly string[], kinds: Array<[string, RegExp]>): string[] {
  return modules.flatMap((url) => kinds.filter(([, pattern]) => pattern.test(url)).map(([what]) => `${what}: ${url}`));
}

const has = (modules: readonly string[], pattern: RegExp): boolean => modules.some((url) => pattern.test(url));

describe('start-up: what a plain scan loads', () => {
  it('scan examples runs the scan without loading pin, audit, registry or schema modules', () => {
    const { code, stdout, modules } = run(['scan', 'examples']);
    expect(code).toBe(1);
    expect(stdout.trim().split('\n').at(-1)).toBe('6 findings (3 errors, 2 warnings, 1 note) in 2 files, 7 image references');
    // The recorder saw the scan: ES modules (the scanner, the bundled policy's loader).
    expect(has(modules, /\/src\/scan\/scan\.ts$/)).toBe(true);
    expect(has(modules, /\/src\/policy\/load\.ts$/)).toBe(true);
    expect(has(modules, /\/src\/parse\/fast-yaml\.ts$/)).toBe(true);
    expect(loaded(modules, HEAVY)).toEqual([]);
  });

  it('runs from the bundle: a plain scan loads a handful of files of ours, none of tsc’s one-per-source output', () => {
    const { files, modules } = run(['scan', 'examples']);
    const ours = files.filter((url) => url.startsWith(BUNDLE));
    // ~80 sources of ours (was ~80 files for Node's loader to resolve, read, compile and link).
    expect(modules.filter((url) => url.includes('/src/')).length).toBeGreaterThan(60);
    expect(ours.length).toBeGreaterThan(0);
    expect(ours.length).toBeLessThanOrEqual(20);
    expect(files.filter((url) => url.startsWith(pathToFileURL(root).href) && !url.startsWith(BUNDLE) && !url.includes('/node_modules/') && !url.endsWith('/bin/imagedrift.js'))).toEqual([]);
  });

  it('scan examples does not load the yaml package for the parser or the policy: the fast reader reads them', () => {
    const { code, modules, yamlImporters } = run(['scan', 'examples']);
    expect(code).toBe(1);
    // Nothing asks for yaml, statically or lazily, and none of its modules is loaded.
    expect(yamlImporters).toEqual([]);
    expect(loaded(modules, [['yaml', YAML]])).toEqual([]);
    // The lazy loader itself is there, unused.
    expect(has(modules, YAML_LIB)).toBe(true);
  });

  it('Go templates (a Helm chart, CloudFormation written as a template) are skipped without loading yaml', () => {
    const { code, stdout, modules, yamlImporters } = run(['scan', '--format', 'json', join(dir, 'templates')]);
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as { skipped: Array<{ path: string; reason: string }> };
    expect(report.skipped.map((skip) => [skip.path.split('/').at(-1), skip.reason.split(':')[0]])).toEqual([
      ['deployment.yaml', 'a Go/Helm template, not plain YAML'],
      ['task.yml', 'a Go/Helm template, not plain YAML'],
    ]);
    expect(yamlImporters).toEqual([]);
    expect(loaded(modules, [['yaml', YAML]])).toEqual([]);
  });

  it('every report format of a plain scan stays as light', () => {
    const out = join(dir, 'out');
    const { code, modules } = run(['scan', '--format', 'json', '--format', `sarif=${out}.sarif`, '--format', `markdown=${out}.md`, '--format', `github=${out}.txt`, '--format', `text=${out}.log`, 'examples']);
    expect(code).toBe(1);
    expect(has(modules, /\/src\/report\/sarif\.ts$/)).toBe(true);
    expect(loaded(modules, HEAVY)).toEqual([]);
  });

  it('--version and help load no command implementation', () => {
    for (const args of [['--version'], ['--help'], ['scan', '--help'], ['pin', '--help'], ['audit', 'ecs', '--help']]) {
      const { code, stdout, modules } = run(args);
      expect(code, args.join(' ')).toBe(0);
      expect(stdout, args.join(' ')).not.toBe('');
      expect(has(modules, /\/src\/cli\/main\.ts$/)).toBe(true);
      expect(loaded(modules, IMPLEMENTATIONS), args.join(' ')).toEqual([]);
    }
  });
});

describe('start-up: the recorder sees the heavy modules when a run needs them', () => {
  it('scan --resolve loads the resolver stack', () => {
    // --offline --no-cache: nothing is asked or written; every reference is left unchecked (exit 3).
    const { code, modules } = run(['scan', '--resolve', '--offline', '--no-cache', 'examples']);
    expect(code).toBe(3);
    const found = loaded(modules, HEAVY).join('\n');
    expect(found).toContain('/src/resolve/create.ts');
    expect(found).toContain('/src/scan/resolve-phase.ts');
    expect(found).toMatch(/^node:.*: node:https$/m);
    expect(found).toMatch(/^node:.*: node:zlib$/m);
    expect(found).toContain('/node_modules/semver/');
    expect(found).not.toContain('/node_modules/ajv/');
  });

  it('a policy file of the user’s own loads ajv to check it, and yaml to read it', () => {
    const { code, modules, yamlImporters } = run(['scan', '--policy', join(dir, 'policy.yaml'), 'examples']);
    expect(code).toBe(1);
    expect(loaded(modules, HEAVY).join('\n')).toContain('/node_modules/ajv/');
    // A user's policy is read with the full parser (positions for its messages): yaml, required by yaml-lib.
    expect(yamlImporters.some((sources) => has(sources, YAML_LIB))).toBe(true);
    expect(has(modules, /\/node_modules\/yaml\/dist\/index\.js$/)).toBe(true);
  });

  it('a file that needs the full YAML parser loads yaml, lazily, and is scanned all the same', () => {
    const { code, stdout, modules, yamlImporters } = run(['scan', '--format', 'json', join(dir, 'full-parser')]);
    expect(code).toBe(1);
    // Only the lazy loader asks for it.
    expect(yamlImporters.length).toBe(1);
    expect(has(yamlImporters[0] ?? [], YAML_LIB)).toBe(true);
    expect(has(modules, /\/node_modules\/yaml\/dist\/index\.js$/)).toBe(true);
    const report = JSON.parse(stdout) as { findings: Array<{ ruleId: string; location: { line: number }; container?: { name?: string } }> };
    const found = report.findings.map((finding) => `${finding.ruleId}@${finding.location.line} ${finding.container?.name ?? ''}`).sort();
    expect(found).toEqual(FULL_PARSER_FINDINGS);
  });

  it('a file with an inline suppression loads yaml (its lexer finds the comments) and the suppression works', () => {
    const { code, stdout, yamlImporters } = run(['scan', join(dir, 'suppressed')]);
    expect(code).toBe(0);
    expect(stdout.trim().split('\n').at(-1)).toBe('0 findings (0 errors, 0 warnings, 0 notes) in 1 file, 1 image reference');
    expect(yamlImporters.length).toBe(1);
    expect(has(yamlImporters[0] ?? [], YAML_LIB)).toBe(true);
  });

  it('pin loads the rewriter and diff', () => {
    const { code, stdout, modules } = run(['pin', '--dry-run', '--from-results', join(dir, 'results.json'), 'examples']);
    expect(stdout).toContain('would pin 0 references');
    expect(code).toBe(3); // every reference left alone: no proposal in the results
    const found = loaded(modules, HEAVY).join('\n');
    expect(found).toContain('/src/fix/pin.ts');
    expect(found).toContain('/node_modules/diff/');
    expect(found).not.toContain('/src/resolve/create.ts'); // --from-results asks no registry
  });
});
