// What the built CLI loads at start-up. Start-up dominates the short runs of a CI gate, so a plain
// `scan` must not load what only other commands or options need: the pinning rewriter (src/fix,
// diff), the audit (src/audit, the AWS SDK), the registry side (src/resolve, semver, node:https,
// node:zlib) and ajv (only a user's own policy file is checked against the schema). The CLI runs
// from one bundle (dist/bundle/main.cjs, scripts/bundle.mjs) in which each of those sources is a
// module esbuild initialises on its first import(); each run records what it loads: ES modules
// through a resolve hook, CommonJS files (the bin and the bundle, npm packages) from require.cache and
// Node's built-ins from process.moduleLoadList at exit, and which of our sources the bundle
// initialised from V8's coverage (NODE_V8_COVERAGE: a lazy module's initialiser is a function named
// after its source). The positive cases show that the recorder sees each kind of module when a run
// does load it.
//
// The yaml package (its vendor file, dist/bundle/vendor/yaml.cjs) is loaded only when a file or policy needs the full YAML
// parser (src/parse/yaml-lib.ts): the fast reader reads the examples and the bundled policy. The
// recorder also notes who asks for `yaml` (Module._load's parent): only the bundle may.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const bin = join(root, 'bin', 'imagedrift.js');
const BUNDLE = join(root, 'dist', 'bundle', 'main.cjs');
const BUNDLE_TEXT = readFileSync(BUNDLE, 'utf8');

/** Our sources the bundle initialises only when first imported (esbuild's `__esm` wrappers). */
const LAZY = [...BUNDLE_TEXT.matchAll(/__esm\(\{\s*"(src\/[^"]+\.ts)"\(\)/g)].map((match) => pathToFileURL(join(root, match[1] ?? '')).href);

/** Runs in the module loader's thread: writes each resolved URL at once, so none is lost at exit. */
const HOOKS = `import { appendFileSync } from 'node:fs';
let out;
export function initialize(data) { out = data.out; }
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  appendFileSync(out, result.url + '\\n');
  return result;
}
`;

/** Preloaded with --import: registers the hook, and lists the CommonJS modules and built-ins at exit. */
const RECORDER = `import { appendFileSync } from 'node:fs';
import Module, { createRequire, register } from 'node:module';
import { pathToFileURL } from 'node:url';
const out = process.env.IMAGEDRIFT_MODULE_LOG;
register(new URL('./hooks.mjs', import.meta.url), { data: { out } });
const load = Module._load;
Module._load = function (request, parent, isMain) {
  if (request === './vendor/yaml.cjs') appendFileSync(out, 'yaml<-' + (parent?.filename ? pathToFileURL(parent.filename).href : 'unknown') + '\\n');
  return load.call(this, request, parent, isMain);
};
const cache = createRequire(import.meta.url).cache;
process.on('exit', () => {
  const builtins = process.moduleLoadList.filter((entry) => entry.startsWith('NativeModule ')).map((entry) => 'node:' + entry.slice('NativeModule '.length));
  appendFileSync(out, [...Object.keys(cache).map((file) => pathToFileURL(file).href), ...builtins].map((line) => line + '\\n').join(''));
});
`;

/** Our sources the bundle initialised in a run, from the V8 coverage files in `dir`. */
function initialised(dir: string): string[] {
  const found: string[] = [];
  for (const name of readdirSync(dir)) {
    const { result } = JSON.parse(readFileSync(join(dir, name), 'utf8')) as { result: Array<{ url: string; functions: Array<{ functionName: string; ranges: Array<{ count: number }> }> }> };
    for (const script of result) {
      if (!script.url.endsWith('/dist/bundle/main.cjs')) continue;
      for (const fn of script.functions) if (/^src\/.+\.ts$/.test(fn.functionName) && (fn.ranges[0]?.count ?? 0) > 0) found.push(pathToFileURL(join(root, fn.functionName)).href);
    }
  }
  return found;
}

/** Modules a plain scan must not load, by what they are. */
const HEAVY: Array<[string, RegExp]> = [
  ['src/fix (pin)', /\/src\/fix\//],
  ['src/audit (audit ecs, audit k8s)', /\/src\/audit\//],
  ['src/resolve (registries)', /\/src\/resolve\//],
  ['src/scan/resolve-phase (scan --resolve)', /\/src\/scan\/resolve-phase\.ts$/],
  ['--changed-since (git)', /\/src\/cli\/changed-files\.ts$/],
  ['diff', /\/dist\/bundle\/vendor\/diff\.cjs$/],
  ['ajv', /\/dist\/bundle\/vendor\/ajv\.cjs$/],
  ['semver', /\/dist\/bundle\/vendor\/semver\.cjs$/],
  ['AWS SDK', /\/dist\/bundle\/vendor\/aws\.cjs$/],
  ['src/pr (pr)', /\/src\/pr\//],
  ['@octokit/rest (pr)', /\/dist\/bundle\/vendor\/octokit\.cjs$/],
  ['node:https, node:http, node:zlib', /^node:(https|http|zlib)$/],
  // commander's own require of it is made lazy in the bundle (scripts/bundle.mjs).
  ['node:child_process (git, credential helpers)', /^node:child_process$/],
];

/** The command implementations: none of them is needed to print help or the version. */
const IMPLEMENTATIONS: Array<[string, RegExp]> = [
  ...HEAVY,
  ['the scanner', /\/src\/scan\//],
  ['the policy loader', /\/src\/policy\/(load|parse|schema)\.ts$/],
  ['yaml', /\/dist\/bundle\/vendor\/yaml\.cjs$/],
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
  // Go templates the scan reads line by line: a Helm chart's and CloudFormation written as a Go template.
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

/** What run() gave for each list of arguments: the same run is made once for the tests that share it. */
const runs_ = new Map<string, ReturnType<typeof runOnce>>();

/** Runs the CLI from the repository root and returns its exit code, output and the modules it loaded. */
function run(args: string[]): ReturnType<typeof runOnce> {
  const key = JSON.stringify(args);
  const known = runs_.get(key);
  if (known !== undefined) return known;
  const result = runOnce(args);
  runs_.set(key, result);
  return result;
}

function runOnce(args: string[]) {
  const log = join(dir, `modules-${++runs}.txt`);
  const coverage = join(dir, `coverage-${runs}`);
  writeFileSync(log, '');
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: dir, XDG_CACHE_HOME: join(dir, 'cache'), NO_COLOR: '1', IMAGEDRIFT_MODULE_LOG: log, NODE_V8_COVERAGE: coverage };
  const result = spawnSync(process.execPath, ['--import', join(dir, 'recorder.mjs'), bin, ...args], { cwd: root, encoding: 'utf8', env });
  const lines = readFileSync(log, 'utf8').split('\n');
  /** Files and built-ins loaded, and our sources initialised in the bundle. */
  const modules = [...new Set([...lines.filter((line) => line !== '' && !line.startsWith('yaml<-')), ...initialised(coverage)])];
  /** The files that asked for the yaml package. */
  const yamlImporters = [...new Set(lines.filter((line) => line.startsWith('yaml<-')).map((line) => line.slice('yaml<-'.length)))];
  return { code: result.status, stdout: result.stdout, stderr: result.stderr, modules, yamlImporters };
}

const YAML = /\/dist\/bundle\/vendor\/yaml\.cjs$/;
const YAML_LIB = /\/src\/parse\/yaml-lib\.ts$/;
/** What the bundle's requires come from (createRequire of its own path). */
const BUNDLE_URL = pathToFileURL(BUNDLE).href;
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
    // The recorder saw the scan: sources the bundle initialised (the scanner, the bundled policy's loader).
    expect(has(modules, /\/src\/scan\/scan\.ts$/)).toBe(true);
    expect(has(modules, /\/src\/policy\/load\.ts$/)).toBe(true);
    expect(has(modules, /\/src\/parse\/fast-yaml\.ts$/)).toBe(true);
    expect(loaded(modules, HEAVY)).toEqual([]);
  });

  it('runs from the bundle: no file of ours but the bin and the bundle, and every heavy source is one the bundle initialises lazily', () => {
    const { code, modules } = run(['scan', 'examples']);
    expect(code).toBe(1);
    const ours = modules.filter((url) => url.startsWith(pathToFileURL(root).href) && !url.includes('/src/'));
    expect(ours.map((url) => url.slice(pathToFileURL(root).href.length)).sort()).toEqual(['/bin/imagedrift.js', '/dist/bundle/main.cjs']);
    // What a plain scan uses of npm (commander, picomatch, jsonc-parser) is in the bundle.
    // Nothing comes from node_modules at all: the package has no dependencies.
    expect(modules.filter((url) => url.includes('/node_modules/'))).toEqual([]);
    // The lazy modules the checks above rely on are in the bundle as such (a static import from the
    // scan's path would make one eager, and invisible to them).
    for (const source of ['src/fix/pin.ts', 'src/audit/judge.ts', 'src/resolve/create.ts', 'src/scan/resolve-phase.ts', 'src/cli/changed-files.ts', 'src/scan/scan.ts', 'src/policy/load.ts']) {
      expect(LAZY, source).toContain(pathToFileURL(join(root, source)).href);
    }
  });

  it("uses Node's own compile cache, which NODE_COMPILE_CACHE places and NODE_DISABLE_COMPILE_CACHE turns off; stderr stays empty", () => {
    const cache = join(dir, 'compile-cache');
    const env = { PATH: process.env.PATH, HOME: dir, NO_COLOR: '1', NODE_COMPILE_CACHE: cache };
    const first = spawnSync(process.execPath, [bin, 'scan', '--format', 'json', 'examples'], { cwd: root, encoding: 'utf8', env });
    expect(first.status).toBe(1);
    expect(first.stderr).toBe('');
    // The cache holds the bundle's code once the first run is over.
    const files = (d: string): string[] => readdirSync(d, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => e.name);
    expect(files(cache).length).toBeGreaterThan(0);
    const second = spawnSync(process.execPath, [bin, 'scan', '--format', 'json', 'examples'], { cwd: root, encoding: 'utf8', env });
    expect(second.stderr).toBe('');
    expect(second.stdout).toBe(first.stdout);
    // Turned off: nothing is written, the report is the same.
    const off = join(dir, 'compile-cache-off');
    const disabled = spawnSync(process.execPath, [bin, 'scan', '--format', 'json', 'examples'], { cwd: root, encoding: 'utf8', env: { ...env, NODE_COMPILE_CACHE: off, NODE_DISABLE_COMPILE_CACHE: '1' } });
    expect(disabled.stderr).toBe('');
    expect(disabled.stdout).toBe(first.stdout);
    expect(existsSync(off) ? files(off) : []).toEqual([]);
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

  it('Go templates (a Helm chart, CloudFormation written as a template) are read line by line without loading yaml', () => {
    const { code, stdout, modules, yamlImporters } = run(['scan', '--format', 'json', join(dir, 'templates')]);
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as { skipped: unknown[]; findings: Array<{ ruleId: string; location: { path: string; line: number } }> };
    expect(report.skipped).toEqual([]);
    expect(report.findings.map((finding) => [finding.location.path.split('/').at(-1), finding.location.line, finding.ruleId])).toEqual([
      ['deployment.yaml', 10, 'unresolvable-reference'],
      ['task.yml', 10, 'unresolvable-reference'],
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
      expect(has(modules, /\/dist\/bundle\/main\.cjs$/)).toBe(true);
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
    expect(found).toContain('/dist/bundle/vendor/semver.cjs');
    expect(found).not.toContain('/dist/bundle/vendor/ajv.cjs');
  });

  it('a policy file of the user’s own loads ajv to check it, and yaml to read it', () => {
    const { code, modules, yamlImporters } = run(['scan', '--policy', join(dir, 'policy.yaml'), 'examples']);
    expect(code).toBe(1);
    expect(loaded(modules, HEAVY).join('\n')).toContain('/dist/bundle/vendor/ajv.cjs');
    // A user's policy is read with the full parser (positions for its messages): yaml, required by yaml-lib.
    expect(yamlImporters).toEqual([BUNDLE_URL]);
    expect(has(modules, YAML)).toBe(true);
  });

  it('a file that needs the full YAML parser loads yaml, lazily, and is scanned all the same', () => {
    const { code, stdout, modules, yamlImporters } = run(['scan', '--format', 'json', join(dir, 'full-parser')]);
    expect(code).toBe(1);
    // Only the bundle asks for it (src/parse/yaml-lib.ts, initialised lazily).
    expect(yamlImporters).toEqual([BUNDLE_URL]);
    expect(has(modules, YAML_LIB)).toBe(true);
    expect(has(modules, YAML)).toBe(true);
    const report = JSON.parse(stdout) as { findings: Array<{ ruleId: string; location: { line: number }; container?: { name?: string } }> };
    const found = report.findings.map((finding) => `${finding.ruleId}@${finding.location.line} ${finding.container?.name ?? ''}`).sort();
    expect(found).toEqual(FULL_PARSER_FINDINGS);
  });

  it('a file with an inline suppression loads yaml (its lexer finds the comments) and the suppression works', () => {
    const { code, stdout, yamlImporters } = run(['scan', join(dir, 'suppressed')]);
    expect(code).toBe(0);
    expect(stdout.trim().split('\n').at(-1)).toBe('0 findings (0 errors, 0 warnings, 0 notes) in 1 file, 1 image reference');
    expect(yamlImporters).toEqual([BUNDLE_URL]);
  });

  it('pin loads the rewriter and diff', () => {
    const { code, stdout, modules } = run(['pin', '--dry-run', '--from-results', join(dir, 'results.json'), 'examples']);
    expect(stdout).toContain('would pin 0 references');
    expect(code).toBe(3); // every reference left alone: no proposal in the results
    const found = loaded(modules, HEAVY).join('\n');
    expect(found).toContain('/src/fix/pin.ts');
    expect(found).toContain('/dist/bundle/vendor/diff.cjs');
    expect(found).not.toContain('/src/resolve/create.ts'); // --from-results asks no registry
  });
});
