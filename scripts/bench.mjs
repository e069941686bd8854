#!/usr/bin/env node
// `npm run bench`: prints figures, it asserts nothing (issue 6). Runs the CLI as a child process
// (`node bin/imagedrift.js scan <dir> --format json -o /dev/null`), measuring wall time around the
// child and its peak RSS with GNU time (`/usr/bin/time -f %M`) or, where that is missing, with a
// preloaded module that reports process.resourceUsage().maxRSS at exit.
//
//   node scripts/bench.mjs [--sizes 10,50,250] [--quick] [--repeat N] [--workers auto,0,2]
//                          [--with-renovate] [--with-resolve] [--with-audit]
//                          [--no-build] [--no-parsers] [--corpus DIR] [--corpus-copies N]
//
//   1. Parsers: MB/s of each parser considered, on the same texts (why the fast readers exist).
//   2. Real corpus (../shared/corpus): imagedrift, and with --with-renovate Renovate's extraction
//      (`renovate --platform=local --dry-run=extract`, installed with npm into a temporary
//      directory, never a project dependency) on the same files; the ratio of the wall times; then,
//      per Renovate manager, the image references each tool found in the corpus files of issue 13's
//      formats (FILES.tsv categories) and those only one of them found.
//      --corpus-copies N also runs both on N copies of the corpus side by side in a temporary
//      directory (the issue's reference is Renovate on about 900 such files; the corpus has 343).
//   3. Synthetic scale: deterministic repositories from scripts/gen-synthetic.mjs.
//   4., 5. Issue 6 parts 3 and 4 (resolution, live ECS audit): scripts/bench-resolve.ts and
//      scripts/bench-audit.ts, run with tsx when --with-resolve / --with-audit are given.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, freemem, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureSynthetic } from './gen-synthetic.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'bin', 'imagedrift.js');

// ---- arguments ------------------------------------------------------------------------------------

function parseArgs(argv) {
  const args = { sizes: [10, 50, 250], repeat: 3, workers: ['auto'], renovate: false, resolve: false, audit: false, build: true, parsers: true, corpus: resolve(root, '..', 'shared', 'corpus'), corpusCopies: 1, quick: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value`);
      return v;
    };
    if (arg === '--sizes') args.sizes = value().split(',').map(Number);
    else if (arg === '--repeat') args.repeat = Number(value());
    else if (arg === '--workers') args.workers = value().split(',');
    else if (arg === '--with-renovate') args.renovate = true;
    else if (arg === '--with-resolve') args.resolve = true;
    else if (arg === '--with-audit') args.audit = true;
    else if (arg === '--no-build') args.build = false;
    else if (arg === '--no-parsers') args.parsers = false;
    else if (arg === '--corpus') args.corpus = resolve(value());
    else if (arg === '--corpus-copies') args.corpusCopies = Number(value());
    else if (arg === '--quick') args.quick = true;
    else if (arg === '--help' || arg === '-h') {
      process.stdout.write(`${readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').slice(1, 19).join('\n')}\n`);
      process.exit(0);
    } else throw new Error(`unknown argument ${arg}`);
  }
  if (args.quick) {
    args.sizes = args.sizes.filter((size) => size <= 10);
    if (args.sizes.length === 0) args.sizes = [10];
    args.repeat = 1;
  }
  if (!(Number.isInteger(args.corpusCopies) && args.corpusCopies >= 1)) throw new Error('--corpus-copies takes a whole number of at least 1');
  if (args.sizes.some((size) => !(size > 0)) || !(args.repeat >= 1)) throw new Error('--sizes takes positive numbers of MB, --repeat a count of at least 1');
  return args;
}

// ---- measuring a child ----------------------------------------------------------------------------

// IMAGEDRIFT_BENCH_NO_GNU_TIME=1 uses the fallback even where GNU time exists (to check it).
const GNU_TIME = process.env.IMAGEDRIFT_BENCH_NO_GNU_TIME ? undefined : ['/usr/bin/time', '/usr/local/bin/time'].find((path) => existsSync(path) && spawnSync(path, ['-f', '%M', 'true'], { encoding: 'utf8' }).status === 0);
const RSS_PRELOAD = join(tmpdir(), 'imagedrift-bench-maxrss.mjs');

/** How peak RSS is measured, for the report. */
const RSS_METHOD = GNU_TIME !== undefined ? `GNU time (${GNU_TIME} -f %M: the child's maximum resident set size)` : 'process.resourceUsage().maxRSS reported at exit by a module preloaded with --import';

/** Runs a command; returns wall seconds, peak RSS in MB, exit status and output. */
function measure(command, args, options = {}) {
  let file = command;
  let argv = args;
  const env = { ...process.env, ...(options.env ?? {}) };
  const report = join(tmpdir(), `imagedrift-bench-rss-${process.pid}.txt`);
  if (GNU_TIME !== undefined) {
    file = GNU_TIME;
    argv = ['-f', '%M', '-o', report, command, ...args];
  } else if (command === process.execPath) {
    writeFileSync(RSS_PRELOAD, "import { writeFileSync } from 'node:fs';\nprocess.on('exit', () => writeFileSync(process.env.IMAGEDRIFT_BENCH_RSS_FILE, String(process.resourceUsage().maxRSS)));\n");
    argv = ['--import', RSS_PRELOAD, ...args];
    env.IMAGEDRIFT_BENCH_RSS_FILE = report;
  }
  const started = process.hrtime.bigint();
  const child = spawnSync(file, argv, { cwd: options.cwd ?? root, env, encoding: 'utf8', maxBuffer: 1024 * 1024 * 1024 });
  const wall = Number(process.hrtime.bigint() - started) / 1e9;
  let rssMB;
  try {
    const kb = Number(readFileSync(report, 'utf8').trim().split('\n').pop());
    if (kb > 0) rssMB = kb / 1024;
  } catch {
    // no report
  }
  return { wall, rssMB, status: child.status, stdout: child.stdout ?? '', stderr: child.stderr ?? '' };
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * Repeated runs of the CLI on `dir`: median wall time, highest peak RSS, and the references found.
 * `between` runs after each of ours (Renovate's run, side by side: the two alternate, so that both
 * see the same moments of a machine whose speed drifts).
 */
function benchScan(dir, workers, repeat, between = () => {}) {
  const extra = workers === 'auto' ? [] : ['--workers', String(workers)];
  const runs = [];
  for (let i = 0; i < repeat; i++) {
    if (i > 0) between();
    // IMAGEDRIFT_SCAN_STATS makes the scan say its own peak RSS, before the report is built.
    const run = measure(process.execPath, [cli, 'scan', dir, '--format', 'json', '-o', '/dev/null', ...extra], { env: { IMAGEDRIFT_SCAN_STATS: '1' } });
    if (run.status !== 0 && run.status !== 1) throw new Error(`imagedrift scan ${dir} exited with ${run.status}: ${run.stderr.slice(0, 2000)}`);
    const scanPeak = /scan: peak RSS (\d+) MB/.exec(run.stderr);
    run.scanRssMB = scanPeak === null ? undefined : Number(scanPeak[1]);
    runs.push(run);
  }
  between();
  // One more run, not timed, that keeps the report: what was found.
  const out = join(tmpdir(), `imagedrift-bench-${process.pid}.json`);
  const counted = spawnSync(process.execPath, [cli, 'scan', dir, '--format', 'json', '-o', out, ...extra], { cwd: root, encoding: 'utf8' });
  if (counted.status !== 0 && counted.status !== 1) throw new Error(`imagedrift scan ${dir} exited with ${counted.status}: ${counted.stderr.slice(0, 2000)}`);
  const report = JSON.parse(readFileSync(out, 'utf8'));
  return {
    wall: median(runs.map((run) => run.wall)),
    walls: runs.map((run) => run.wall),
    rssMB: Math.max(...runs.map((run) => run.rssMB ?? 0)) || undefined,
    scanRssMB: Math.max(...runs.map((run) => run.scanRssMB ?? 0)) || undefined,
    refs: report.summary.refsFound,
    findings: report.findings.length,
    filesScanned: report.summary.filesScanned,
  };
}

// ---- sections -------------------------------------------------------------------------------------

function fmt(n, digits = 2) {
  return n === undefined ? 'n/a' : n.toFixed(digits);
}

function table(header, rows) {
  const lines = [`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`];
  for (const row of rows) lines.push(`| ${row.join(' | ')} |`);
  return lines.join('\n');
}

function machine() {
  const free = spawnSync('free', ['-h'], { encoding: 'utf8' });
  const nproc = spawnSync('nproc', [], { encoding: 'utf8' });
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  return [
    `- CPU: ${nproc.status === 0 ? nproc.stdout.trim() : cpus().length} (nproc), ${cpu}`,
    `- memory: ${free.status === 0 ? `\n\n\`\`\`text\n${free.stdout.trimEnd()}\n\`\`\`\n` : `${(totalmem() / 2 ** 30).toFixed(1)} GiB total, ${(freemem() / 2 ** 30).toFixed(1)} GiB free`}`,
    `- node ${process.version}, ${process.platform} ${process.arch}`,
    `- load average before the run: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`,
    `- peak RSS measured with ${RSS_METHOD}`,
  ].join('\n');
}

/** The names a scan reads (src/core/file-names.ts, compiled), once the build has run. */
let scannedName = (name) => /\.(ya?ml|json|template|tf)$/i.test(name);

function files(dir, out = []) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== '.git' && entry.name !== 'node_modules') files(path, out);
    } else if (scannedName(entry.name)) out.push(path);
  }
  return out;
}

function bytesOf(dir) {
  return files(dir).reduce((sum, path) => sum + statSync(path).size, 0);
}

async function parsers(corpus) {
  const { parseAllDocuments, Parser, Lexer } = await import('yaml');
  const { parseTree } = await import('jsonc-parser');
  const dist = (path) => import(join(root, 'dist', path));
  const { parseYaml } = await dist('parse/yaml.js');
  const { parseJson } = await dist('parse/json.js');
  const { FastYamlReader, Unsupported } = await dist('parse/fast-yaml.js');
  const { fastParseJson } = await dist('parse/fast-json.js');
  const { looksLikeJson } = await dist('parse/index.js');
  const sample = ensureSynthetic(10, 1);
  const texts = [...(existsSync(corpus) ? files(corpus) : []), ...files(sample.dir)].map((path) => readFileSync(path, 'utf8'));
  const yaml = texts.filter((text) => !looksLikeJson(text));
  const json = texts.filter((text) => looksLikeJson(text) && fastParseJson(text) !== undefined);
  const fastYaml = yaml.filter((text) => !(new FastYamlReader(text).read() instanceof Unsupported));
  const mb = (list) => list.reduce((sum, text) => sum + text.length, 0) / 1e6;
  const rate = (list, parse) => {
    for (const text of list.slice(0, 50)) parse(text); // warm-up
    let best = Infinity;
    for (let round = 0; round < 3; round++) {
      const started = performance.now();
      for (const text of list) parse(text);
      best = Math.min(best, performance.now() - started);
    }
    return mb(list) / (best / 1000);
  };
  const rows = [
    ['YAML', "eemeli/yaml `parseAllDocuments` (the Document API)", rate(fastYaml, (t) => parseAllDocuments(t))],
    ['YAML', 'src/parse/yaml.ts: Document API + conversion to the tree (the full path)', rate(fastYaml, (t) => parseYaml(t))],
    ['YAML', "eemeli/yaml `Parser` (CST only, no values)", rate(fastYaml, (t) => { for (const _ of new Parser().parse(t)); })],
    ['YAML', "eemeli/yaml `Lexer` (tokens only)", rate(fastYaml, (t) => { for (const _ of new Lexer().lex(t)); })],
    ['YAML', 'src/parse/fast-yaml.ts: the fast reader (the same tree)', rate(fastYaml, (t) => new FastYamlReader(t).read())],
    ['JSON', 'jsonc-parser `parseTree`', rate(json, (t) => parseTree(t, [], { disallowComments: true }))],
    ['JSON', 'src/parse/json.ts: `parseTree` + conversion to the tree (the full path)', rate(json, (t) => parseJson(t))],
    ['JSON', 'src/parse/fast-json.ts: the fast reader (the same tree)', rate(json, (t) => fastParseJson(t))],
    ['JSON', '`JSON.parse` (no positions, for scale)', rate(json, (t) => JSON.parse(t))],
  ];
  // Terraform and Dockerfiles: their own parsers (loaded only when a scan meets such a file).
  const hcl = await dist('parse/hcl.js');
  const loadStarted = performance.now();
  await hcl.loadHcl();
  const hclLoadMs = performance.now() - loadStarted;
  const { namedKind } = await dist('core/file-names.js');
  const corpusFiles = existsSync(corpus) ? filesAll(corpus) : [];
  const tf = corpusFiles.filter((path) => namedKind(path) === 'terraform').map((path) => readFileSync(path, 'utf8'));
  const dockerfiles = corpusFiles.filter((path) => namedKind(path) === 'dockerfile').map((path) => readFileSync(path, 'utf8'));
  const { createRequire } = await import('node:module');
  const { DockerfileParser } = createRequire(join(root, 'package.json'))('dockerfile-ast');
  if (tf.length > 0) rows.push(['HCL', `tree-sitter HCL (terraform grammar, WebAssembly) through web-tree-sitter, on the corpus's ${tf.length} \`.tf\` files; loading it took ${hclLoadMs.toFixed(0)} ms`, rate(tf, (t) => hcl.parseHcl(t).delete())]);
  if (dockerfiles.length > 0) rows.push(['Dockerfile', `dockerfile-ast \`DockerfileParser.parse\`, on the corpus's ${dockerfiles.length} Dockerfiles`, rate(dockerfiles, (t) => DockerfileParser.parse(t))]);
  const share = 1 - mb(fastYaml) / mb(yaml);
  return [
    `Texts: ${mb(fastYaml).toFixed(1)} MB of YAML that the fast reader accepts and ${mb(json).toFixed(1)} MB of JSON, from ${existsSync(corpus) ? 'the shared corpus and ' : ''}the 10 MB synthetic repository; the fast reader leaves ${(share * 100).toFixed(1)}% of the YAML bytes to the full parser. Best of 3 rounds, one thread.`,
    '',
    table(['syntax', 'parser', 'MB/s'], rows.map(([syntax, name, value]) => [syntax, name, fmt(value, 1)])),
  ].join('\n');
}

// ---- Renovate ------------------------------------------------------------------------------------

const RENOVATE_DIR = join(tmpdir(), 'imagedrift-bench-renovate');

/** Renovate's managers for the formats of issue 13, with their default file patterns. */
const FORMAT_MANAGERS = ['terraform', 'helm-values', 'kustomize', 'docker-compose', 'dockerfile', 'github-actions', 'gitlabci'];

function renovateConfig(version) {
  // Renovate 41 renamed `fileMatch` (regular expressions) to `managerFilePatterns` (`/…/` for a regular expression).
  const major = Number(version.split('.')[0]);
  const files = (pattern) => (major >= 41 ? { managerFilePatterns: [`/${pattern}/`] } : { fileMatch: [pattern] });
  return {
    onboarding: false,
    requireConfig: 'optional',
    enabledManagers: ['kubernetes', 'custom.regex', ...FORMAT_MANAGERS],
    kubernetes: files('\\.ya?ml$'),
    customManagers: [
      {
        customType: 'regex',
        ...files('\\.json$'),
        matchStrings: ['"image"\\s*:\\s*"(?<depName>[^"@:]+(?::\\d+/[^"@:]+)?)(?::(?<currentValue>[^"@]+))?(?:@(?<currentDigest>sha256:[a-f0-9]+))?"'],
        datasourceTemplate: 'docker',
      },
    ],
  };
}

function installRenovate() {
  const bin = join(RENOVATE_DIR, 'node_modules', '.bin', 'renovate');
  if (existsSync(bin)) return { bin };
  mkdirSync(RENOVATE_DIR, { recursive: true });
  process.stderr.write(`bench: installing renovate into ${RENOVATE_DIR} (npm install --prefix; not a project dependency)…\n`);
  const install = spawnSync('npm', ['install', '--prefix', RENOVATE_DIR, 'renovate', '--no-audit', '--no-fund', '--loglevel=error'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (install.status !== 0 || !existsSync(bin)) return { error: `npm install renovate failed (exit ${install.status}): ${(install.stderr || install.stdout).trim().split('\n').slice(-5).join(' / ')}` };
  return { bin };
}

/** Renovate's extraction on `corpus`: run() once per call, then result(). */
function renovateRunner(corpus) {
  const installed = installRenovate();
  if (installed.error !== undefined) return { run: () => {}, result: () => ({ error: installed.error }) };
  const config = join(RENOVATE_DIR, 'bench-config.json');
  const version = JSON.parse(readFileSync(join(RENOVATE_DIR, 'node_modules', 'renovate', 'package.json'), 'utf8')).version;
  writeFileSync(config, `${JSON.stringify(renovateConfig(version), null, 2)}\n`);
  const env = { LOG_FORMAT: 'json', LOG_LEVEL: 'debug', RENOVATE_CONFIG_FILE: config, RENOVATE_BASE_DIR: join(RENOVATE_DIR, 'base') };
  const runs = [];
  let log = '';
  let error;
  return {
    run() {
      if (error !== undefined) return;
      const run = measure(installed.bin, ['--platform=local', '--dry-run=extract'], { cwd: corpus, env });
      log = `${run.stdout}\n${run.stderr}`;
      if (run.status !== 0) error = `renovate exited with ${run.status}: ${log.trim().split('\n').slice(-3).join(' / ').slice(0, 800)}`;
      else runs.push(run);
    },
    result: () => (error !== undefined ? { error } : renovateResult(version, runs, log)),
  };
}

function renovateResult(version, runs, log) {
  const entries = log.split('\n').flatMap((line) => {
    try {
      return [JSON.parse(line)];
    } catch {
      return [];
    }
  });
  const extracted = entries.find((entry) => entry.msg === 'Extracted dependencies');
  if (extracted === undefined) return { error: 'no "Extracted dependencies" entry in Renovate\'s log' };
  let all = 0;
  let docker = 0;
  let files = 0;
  for (const list of Object.values(extracted.packageFiles ?? {})) {
    for (const file of list) {
      files += 1;
      for (const dep of file.deps ?? []) {
        all += 1;
        if (dep.datasource === 'docker') docker += 1;
      }
    }
  }
  return { version, wall: median(runs.map((run) => run.wall)), walls: runs.map((run) => run.wall), rssMB: Math.max(...runs.map((run) => run.rssMB ?? 0)) || undefined, deps: all, dockerDeps: docker, files, packageFiles: extracted.packageFiles ?? {} };
}

// ---- issue 13: per manager, side by side -----------------------------------------------------------

/** FILES.tsv categories of the formats issue 13 added, and the Renovate manager for each of our formats. */
const NEW_CATEGORIES = new Set(['terraform', 'helm-values', 'helm-template', 'kustomization', 'compose', 'dockerfile', 'gha-workflow', 'gitlab-ci', 'copilot']);
const MANAGER_OF_FORMAT = { terraform: 'terraform', 'helm-values': 'helm-values', 'helm-template': 'kubernetes', kustomize: 'kustomize', compose: 'docker-compose', dockerfile: 'dockerfile', 'github-actions': 'github-actions', 'gitlab-ci': 'gitlabci', copilot: '(none: Copilot)', kubernetes: 'kubernetes', 'ecs-task-definition': 'custom.regex', cloudformation: 'custom.regex' };

/** `docker.io/library/nginx` and `nginx` alike: how both tools' names are compared. */
function imageName(name) {
  return String(name).toLowerCase().replace(/^(index\.)?docker\.io\//, '').replace(/^library\//, '');
}

function filesAll(dir, out = []) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) filesAll(path, out);
    else out.push(path);
  }
  return out;
}

/** Every reference imagedrift finds (not only those with findings), with its format, from the compiled scanner. */
async function ourReferences(corpus) {
  const { scanPaths } = await import(join(root, 'dist', 'scan', 'scan.js'));
  const { loadDefaultPolicy } = await import(join(root, 'dist', 'policy', 'load.js'));
  const { parseReference } = await import(join(root, 'dist', 'core', 'parse-reference.js'));
  const refs = [];
  await scanPaths([corpus], {
    policy: loadDefaultPolicy(),
    workers: 0,
    root: corpus,
    onFile: (result) => {
      for (const ref of result.refs) {
        const parsed = parseReference(ref.raw);
        const name = parsed.ok ? `${parsed.ref.implicitRegistry ? '' : `${parsed.ref.registry}/`}${parsed.ref.path}` : ref.raw.replace(/[:@].*$/, '');
        refs.push({ file: relative(corpus, ref.location.path), format: ref.format, raw: ref.raw, name: imageName(name), unresolvable: ref.unresolvable !== undefined || /[{}$<>]/.test(ref.raw) });
      }
    },
  });
  return refs;
}

/** The FILES.tsv paths (relative to the corpus) in issue 13's categories. */
function newPartOfCorpus(corpus) {
  const list = join(corpus, 'FILES.tsv');
  if (!existsSync(list)) return undefined;
  const paths = new Set();
  for (const line of readFileSync(list, 'utf8').split('\n').slice(1)) {
    const [dir, path, categories] = line.split('\t');
    if (dir && path && categories?.split(',').some((category) => NEW_CATEGORIES.has(category))) paths.add(`${dir}/${path}`);
  }
  return paths;
}

/** Per Renovate manager: what each tool found in the new part of the corpus, and what only one of them found. */
async function perManager(corpus, renovate, out) {
  const part = newPartOfCorpus(corpus);
  if (part === undefined) {
    out('FILES.tsv is missing: the per-manager comparison needs its categories.');
    return;
  }
  const ours = (await ourReferences(corpus)).filter((ref) => part.has(ref.file));
  const theirs = [];
  for (const [manager, list] of Object.entries(renovate.packageFiles)) {
    for (const file of list) {
      if (!part.has(file.packageFile)) continue;
      for (const dep of file.deps ?? []) {
        // Images only: not the actions, runners, Terraform providers and modules those managers list too.
        if (dep.datasource !== 'docker' && !(dep.datasource === undefined && manager !== 'github-actions' && manager !== 'terraform')) continue;
        theirs.push({ manager, file: file.packageFile, name: imageName(dep.packageName ?? dep.depName ?? ''), raw: `${dep.depName ?? ''}${dep.currentValue ? `:${dep.currentValue}` : ''}${dep.currentDigest ? `@${dep.currentDigest}` : ''}`, skip: dep.skipReason });
      }
    }
  }
  // A dependency with no name and no skipReason (a values block with `repository: ""`) names no image.
  const empty = theirs.filter((dep) => dep.name === '' && dep.skip === undefined);
  const deps = theirs.filter((dep) => !(dep.name === '' && dep.skip === undefined));
  // A reference is matched by file and image name, one for one; a dependency Renovate skipped
  // (`contains-variable`: its name is not known) by file, to one of our unresolvable references.
  const left = new Set(ours);
  const onlyRenovate = [];
  for (const dep of deps) {
    let match = [...left].find((ref) => ref.file === dep.file && ref.name === dep.name);
    if (match === undefined && dep.skip !== undefined) match = [...left].find((ref) => ref.file === dep.file && ref.unresolvable);
    if (match === undefined) onlyRenovate.push(dep);
    else left.delete(match);
  }
  const onlyOurs = ours.filter((ref) => left.has(ref));
  const managers = [...new Set([...FORMAT_MANAGERS, 'kubernetes', ...theirs.map((dep) => dep.manager)])];
  const rows = managers.map((manager) => {
    const mine = ours.filter((ref) => MANAGER_OF_FORMAT[ref.format] === manager);
    const them = deps.filter((dep) => dep.manager === manager);
    return [manager, String(them.length), String(them.filter((dep) => dep.skip === undefined).length), String(mine.length), String(onlyRenovate.filter((dep) => dep.manager === manager).length), String(onlyOurs.filter((ref) => MANAGER_OF_FORMAT[ref.format] === manager).length)];
  });
  const copilot = ours.filter((ref) => ref.format === 'copilot');
  rows.push(['(none: Copilot)', '0', '0', String(copilot.length), '0', String(onlyOurs.filter((ref) => ref.format === 'copilot').length)]);
  out(`Issue 13's formats: the ${part.size} corpus files in the FILES.tsv categories ${[...NEW_CATEGORIES].join(', ')}. Renovate's docker dependencies per manager (all, and those without a \`skipReason\`) against imagedrift's references of the matching format (templated ones included, as Renovate lists its skipped ones); a reference of one tool is matched to one of the other in the same file with the same image name.`);
  out();
  out(table(['Renovate manager', 'Renovate deps', 'without skipReason', 'imagedrift refs', 'only Renovate', 'only imagedrift'], rows));
  out();
  if (empty.length > 0) out(`Left out: ${empty.length} Renovate dependencies with no name and no skipReason (${[...new Set(empty.map((dep) => `${dep.manager} ${dep.file}`))].join('; ')}): blocks such as \`image: {repository: "", tag: ""}\`, which name no image.`);
  out();
  out(`Only Renovate (${onlyRenovate.length}):`);
  out();
  out('```text');
  for (const dep of onlyRenovate) out(`${dep.manager}\t${dep.file}\t${dep.raw}${dep.skip ? `\t(skipReason: ${dep.skip})` : ''}`);
  out('```');
  out();
  out(`Only imagedrift (${onlyOurs.length}):`);
  out();
  out('```text');
  for (const ref of onlyOurs) out(`${ref.format}\t${ref.file}\t${ref.raw}${ref.unresolvable ? '\t(unresolvable)' : ''}`);
  out('```');
}

/** imagedrift and (with --with-renovate) Renovate on the same directory, and the ratio. */
function sideBySide(args, dir, shown, out) {
  const rows = [];
  const runner = args.renovate ? renovateRunner(dir) : undefined;
  const ours = benchScan(dir, 'auto', args.repeat, () => runner?.run());
  rows.push(['imagedrift', `\`node bin/imagedrift.js scan ${shown} --format json -o /dev/null\``, fmt(ours.wall), fmt(ours.rssMB, 0), `${ours.refs} image references (${ours.filesScanned} files scanned)`]);
  let renovate;
  if (runner !== undefined) {
    renovate = runner.result();
    if (renovate.error === undefined) {
      rows.push([`Renovate ${renovate.version}`, '`renovate --platform=local --dry-run=extract` (kubernetes manager on all YAML, regex manager for JSON `"image"`)', fmt(renovate.wall), fmt(renovate.rssMB, 0), `${renovate.dockerDeps} docker dependencies (${renovate.deps} in all, with Kubernetes API versions; ${renovate.files} package files)`]);
    }
  }
  out(`${(bytesOf(dir) / 2 ** 20).toFixed(1)} MiB in ${files(dir).length} files. Median of ${args.repeat} run(s)${args.renovate ? ', imagedrift and Renovate taking turns' : ''}.`);
  out();
  out(table(['tool', 'command', 'wall s', 'peak RSS MiB', 'found'], rows));
  out();
  if (!args.renovate) out('Renovate not run (pass --with-renovate).');
  else if (renovate.error !== undefined) out(`Renovate could not be run here: ${renovate.error}`);
  else out(`Ratio: Renovate's wall time is ${(renovate.wall / ours.wall).toFixed(1)}x imagedrift's (imagedrift takes ${((ours.wall / renovate.wall) * 100).toFixed(0)}% of Renovate's time); imagedrift finds ${ours.refs} references, Renovate ${renovate.dockerDeps} image dependencies.`);
  return renovate?.error === undefined ? renovate : undefined;
}

// ---- main ----------------------------------------------------------------------------------------

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const out = (text = '') => process.stdout.write(`${text}\n`);
  if (args.build) {
    const build = spawnSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json', '--noEmitOnError', 'false'], { cwd: root, encoding: 'utf8' });
    if (build.status !== 0) process.stderr.write(`bench: tsc reported errors (emitted anyway):\n${build.stdout.split('\n').slice(0, 10).join('\n')}\n`);
    // What bin/imagedrift.js runs (scripts/bundle.mjs).
    const bundle = spawnSync(process.execPath, [join(root, 'scripts', 'bundle.mjs')], { cwd: root, encoding: 'utf8' });
    if (bundle.status !== 0) throw new Error(`bench: bundling failed:\n${bundle.stderr}`);
  }
  if (!existsSync(join(root, 'dist', 'bundle', 'main.cjs'))) throw new Error('dist/bundle/ is missing: build with npm run build');
  scannedName = (await import(join(root, 'dist', 'core', 'file-names.js'))).isScannedName;

  out('## Machine');
  out();
  out(machine());
  const load = loadavg()[0] ?? 0;
  if (load > cpus().length * 0.25) out(`\n> Warning: the load average (${load.toFixed(2)}) shows other work on this machine; figures will be noisy.`);

  if (args.parsers) {
    out();
    out('## 1. Parsers');
    out();
    out(await parsers(args.corpus));
  }

  out();
  out('## 2. Real corpus, side by side with Renovate');
  out();
  if (!existsSync(args.corpus)) {
    out(`${args.corpus} is missing: skipped.`);
  } else {
    const renovate = sideBySide(args, args.corpus, relative(root, args.corpus), out);
    if (renovate !== undefined) {
      out();
      out('### Per Renovate manager (issue 13)');
      out();
      await perManager(args.corpus, renovate, out);
    }
    if (args.corpusCopies > 1) {
      // N copies side by side (copy-1/, copy-2/, …) in a temporary directory, never in the repository.
      const copies = join(tmpdir(), `imagedrift-bench-corpus-x${args.corpusCopies}`);
      rmSync(copies, { recursive: true, force: true });
      for (let i = 1; i <= args.corpusCopies; i++) cpSync(args.corpus, join(copies, `copy-${i}`), { recursive: true });
      out();
      out(`### The corpus ${args.corpusCopies} times over (${copies})`);
      out();
      sideBySide(args, copies, copies, out);
      rmSync(copies, { recursive: true, force: true });
    }
  }

  out();
  out('## 3. Synthetic scale');
  out();
  const rows = [];
  const timings = new Map();
  for (const size of args.sizes) {
    const generated = ensureSynthetic(size, 1);
    for (const workers of args.workers) {
      const result = benchScan(generated.dir, workers, args.repeat);
      timings.set(`${size}:${workers}`, result.wall);
      const mb = generated.bytes / 2 ** 20;
      rows.push([`${size} MiB`, workers, String(generated.files), fmt(result.wall), fmt(mb / result.wall, 1), fmt(result.rssMB, 0), fmt(result.scanRssMB, 0), `${result.refs}${result.refs === generated.expectedRefs ? '' : ` (expected ${generated.expectedRefs})`}`, String(result.findings)]);
    }
  }
  out(`\`node scripts/gen-synthetic.mjs --size N\` (seed 1), then \`node bin/imagedrift.js scan <dir> --format json -o /dev/null\`. Median of ${args.repeat} run(s); peak RSS is the highest of them, for the whole run and for the scan alone (the scan's own report with IMAGEDRIFT_SCAN_STATS=1, taken before the report is built). Sizes are MiB.`);
  out();
  out(table(['size', 'workers', 'files', 'wall s', 'MiB/s', 'peak RSS MiB', 'scan peak RSS MiB', 'refs found', 'findings'], rows));
  const large = Math.max(...args.sizes);
  if (args.sizes.includes(50) && large > 50) {
    for (const workers of args.workers) {
      const ratio = timings.get(`${large}:${workers}`) / timings.get(`50:${workers}`);
      out();
      out(`Linearity (workers ${workers}): ${large} MiB takes ${ratio.toFixed(2)}x the time of 50 MiB (${(large / 50).toFixed(1)}x the bytes).`);
    }
  }

  // Issue 6 parts 3 and 4: their benchmarks are scripts of their own (TypeScript, run with tsx),
  // run from here on request; without the flag this only says how to run them.
  const parts = [
    ['4. Resolution (issue 6 part 3)', 'bench-resolve.ts', args.resolve, '--with-resolve', 'needs Debian\'s docker-registry on this machine'],
    ['5. Live ECS audit (issue 6 part 4)', 'bench-audit.ts', args.audit, '--with-audit', 'runs against the loopback ECS/ECR fake'],
  ];
  for (const [title, script, run, flag, note] of parts) {
    out();
    out(`## ${title}`);
    out();
    const path = join(root, 'scripts', script);
    const tsx = join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs');
    if (!existsSync(path)) out(`Not measured yet: scripts/${script} does not exist.`);
    else if (!run) out(`Not run: pass \`${flag}\` (scripts/${script}; ${note}).`);
    else if (!existsSync(tsx)) out(`Could not run scripts/${script}: tsx is not installed (npm ci).`);
    else {
      const child = spawnSync(process.execPath, [tsx, path], { cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
      out(`\`npx tsx scripts/${script}\`${child.status === 0 ? '' : ` (exit ${child.status})`}:`);
      out();
      out('```text');
      out(`${child.stdout}${child.status === 0 ? '' : child.stderr}`.trimEnd());
      out('```');
    }
  }
  out();
  out(`Load average after the run: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
}

main().catch((err) => {
  process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
