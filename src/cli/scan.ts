// `imagedrift scan`: the offline scanner a pre-merge CI gate runs.
//
// Start-up counts in a CI gate: the command and its options are defined up front, the scanner is
// loaded when the action runs, and the registry side (src/resolve, semver) only with --resolve.
// tests/integration/startup.test.ts checks what a plain scan loads.
import { isatty } from 'node:tty';
import { Command, Option } from 'commander';
import { formatIssue, PolicyError } from '../policy/errors.js';
import { FORMAT_NAMES } from '../report/index.js';
import { DEFAULT_MAX_FILE_BYTES } from '../sources/files.js';
import { displayText } from '../core/display.js';
import { useColor } from './color.js';
import { ExitCode } from './exit-codes.js';
import type { FailOn } from './exit-codes.js';
import { failOnOption, parseSize, parseWorkers } from './options.js';
import { parseFormatOption, resolveOutputs, UsageError, writeOutputs, writeStdout } from './outputs.js';
import type { OutputSpec } from './outputs.js';
import { addPolicyOptions, setupRun } from './policy-options.js';
import type { PolicyFlags } from './policy-options.js';
import { addReportOptions, applyBaseline, reportContext, reportExitCode } from './report-options.js';
import type { ReportFlags } from './report-options.js';
import { addResolveOptions, budgetOptions, resolverFrom } from './resolve-options.js';
import type { ResolveFlags } from './resolve-options.js';
import { VERSION } from './version.js';
import type { NewerLevel } from '../scan/resolve-phase.js';
import type { ImageRef } from '../core/types.js';

interface ScanFlags extends PolicyFlags, ResolveFlags, ReportFlags {
  resolve?: boolean;
  newer: NewerLevel;
  format?: OutputSpec[];
  output?: string;
  failOn: FailOn;
  maxFileSize: number;
  color?: boolean;
  linkBase?: string;
  workers?: number;
}

const REGISTRY_GROUP = 'Registry options (with --resolve):';

/** Where Markdown links point: --link-base, else the commit being built on GitHub Actions or GitLab CI. */
export function defaultLinkBase(env: NodeJS.ProcessEnv): string | undefined {
  const { GITHUB_SERVER_URL, GITHUB_REPOSITORY, GITHUB_SHA, CI_PROJECT_URL, CI_COMMIT_SHA } = env;
  if (GITHUB_SERVER_URL && GITHUB_REPOSITORY && GITHUB_SHA) return `${GITHUB_SERVER_URL}/${GITHUB_REPOSITORY}/blob/${GITHUB_SHA}/`;
  if (CI_PROJECT_URL && CI_COMMIT_SHA) return `${CI_PROJECT_URL}/-/blob/${CI_COMMIT_SHA}/`;
  return undefined;
}

/** The options only `--resolve` uses (their flag names by commander's key): given without it, they are a usage error. */
const RESOLVE_ONLY: ReadonlyArray<[key: string, flag: string]> = [
  ['newer', '--newer'],
  ['platform', '--platform'],
  ['insecureRegistry', '--insecure-registry'],
  ['concurrency', '--concurrency'],
  ['timeout', '--timeout'],
  ['cacheTtl', '--cache-ttl'],
  ['cache', '--no-cache'],
  ['offline', '--offline'],
  ['profile', '--profile'],
];

/** The registry options given on the command line (or by the environment) to a scan without --resolve. */
export function resolveOnlyGiven(command: Command): string[] {
  return RESOLVE_ONLY.filter(([key]) => {
    const source = command.getOptionValueSource(key);
    return source !== undefined && source !== 'default';
  }).map(([, flag]) => flag);
}

export function scanCommand(): Command {
  const output = (option: Option) => option.helpGroup('Output options:');
  const command = new Command('scan')
    .description('Find every image reference in Kubernetes manifests, ECS task definitions and CloudFormation templates, and flag floating tags.')
    .argument('[paths...]', 'files or directories to scan (directories recursively; - reads stdin)', ['.'])
    .addOption(
      output(new Option('-f, --format <format[=file]>', `output format: ${FORMAT_NAMES.join(', ')}; repeat for several reports, each but one with =FILE (default: text)`).argParser(parseFormatOption)),
    )
    .addOption(output(new Option('-o, --output <file>', 'write the report (the --format without =FILE) to a file instead of stdout')))
    .addOption(output(failOnOption()))
    .addOption(output(new Option('--link-base <url>', 'base URL for links to files in the markdown report (default: the commit on GitHub Actions or GitLab CI)')))
    .addOption(output(new Option('--no-color', 'never colour the output (also NO_COLOR; FORCE_COLOR colours it when not a terminal)')))
    .addOption(new Option('--max-file-size <size>', 'skip files larger than this (e.g. 512K, 10M)').argParser(parseSize).default(DEFAULT_MAX_FILE_BYTES, '10M').helpGroup('Input options:'))
    .addOption(
      new Option('--workers <n>', 'worker threads that read and scan files besides the main thread (0: none; default: one per further CPU core, for scans of more than 64 MiB)')
        .argParser(parseWorkers)
        .helpGroup('Input options:'),
    );
  addPolicyOptions(command);
  command
    .addOption(new Option('--resolve', 'ask the registries: propose pinned digests, and find moved tags, deleted digests and newer versions').helpGroup(REGISTRY_GROUP))
    .addOption(new Option('--newer <level>', 'the lowest level of newer release to report').choices(['patch', 'minor', 'major', 'off']).default('patch').helpGroup(REGISTRY_GROUP));
  return addReportOptions(addResolveOptions(command, REGISTRY_GROUP), { groupBy: 'none' })
    .addHelpText(
      'after',
      `
Examples:
  $ imagedrift scan                            scan the current directory
  $ imagedrift scan deploy/ ecs/task.json      scan some directories and files
  $ imagedrift scan --format json -o out.json  machine-readable results
  $ helm template chart | imagedrift scan -    scan rendered manifests from stdin
  $ imagedrift scan --fail-on warning          also fail on warnings
  $ imagedrift scan --format text --format sarif=results.sarif --format markdown=summary.md
  $ imagedrift scan --changed-since origin/main --policy policies/strict.yaml
  $ imagedrift scan --resolve --format json -o results.json   propose digests (for pin --from-results)
  $ imagedrift scan --baseline main.sarif --new-only          fail only on findings main does not have

Exit codes: 0 nothing at or above --fail-on, 1 findings, 2 usage or configuration error
(including an invalid policy file), 3 the scan could not complete (an input path could not be
read, or with --resolve a reference could not be checked).`,
    )
    .action(async (paths: string[], flags: ScanFlags, self: Command) => {
      try {
        const needless = flags.resolve === true ? [] : resolveOnlyGiven(self);
        if (needless.length > 0) throw new UsageError(`${needless.join(', ')} ${needless.length === 1 ? 'is' : 'are'} only used with --resolve: add --resolve, or drop ${needless.length === 1 ? 'it' : 'them'} (see 'imagedrift scan --help')`);
        const outputs = resolveOutputs(flags.format, flags.output);
        const [setup, { releaseFindings, relativePaths, scanPaths }] = await Promise.all([setupRun(flags), import('../scan/scan.js')]);
        const relativePath = relativePaths(setup.root);
        const options = {
          policy: setup.policy,
          maxFileBytes: flags.maxFileSize,
          root: setup.root,
          now: setup.now,
          relativePath,
          ...(setup.filter !== undefined ? { filter: setup.filter } : {}),
          ...(flags.workers !== undefined ? { workers: flags.workers } : {}),
        };
        let result;
        if (flags.resolve === true) {
          if (paths.includes('-')) throw new UsageError('--resolve cannot read stdin (-): the files are read twice');
          // Pass 1 finds the references; the registries are asked once per unique one; pass 2
          // judges every file with those facts, under the same policy, exceptions and suppressions.
          const refs: ImageRef[] = [];
          const first = await scanPaths(paths, { ...options, onFile: (file) => { for (const ref of file.refs) refs.push(ref); } });
          // Only its references are needed: its findings (judged without registry facts) go.
          releaseFindings(first.findings);
          const { gatherFacts } = await import('../scan/resolve-phase.js');
          const warn = (message: string): void => void process.stderr.write(`imagedrift: warning: ${message}\n`);
          const created = await resolverFrom(flags, warn);
          try {
            const facts = await gatherFacts(refs, setup.policy, { resolver: created.session, newer: flags.newer, ...budgetOptions(flags), onWarning: warn, ...(flags.platform !== undefined ? { platform: flags.platform } : {}) });
            result = await scanPaths(paths, { ...options, facts });
            if (facts.unchecked > 0) result.errors.push(`${facts.unchecked} of ${facts.unique} image references could not be checked against their registries (see the resolve-failed findings)`);
          } finally {
            created.close();
          }
        } else {
          result = await scanPaths(paths, options);
        }
        result = await applyBaseline(result, flags, { policy: setup.policy, relativePath, now: setup.now });
        const linkBase = flags.linkBase ?? defaultLinkBase(process.env);
        // Whether fd 1 is a terminal, asked directly: process.stdout would be created (~1 ms for a
        // pipe) even when every report goes to a file.
        writeOutputs(
          result,
          outputs,
          { color: useColor(flags.color, process.env, isatty(1)), version: VERSION, relativePath, policy: setup.policy, ...(linkBase !== undefined ? { linkBase } : {}), ...reportContext(flags) },
          writeStdout,
        );
        for (const error of result.errors) process.stderr.write(`imagedrift: ${displayText(error)}\n`);
        process.exitCode = reportExitCode(result, flags, flags.failOn);
      } catch (err) {
        if (err instanceof PolicyError) {
          for (const issue of err.issues) process.stderr.write(`${formatIssue(issue)}\n`);
          process.exitCode = ExitCode.USAGE;
        } else if (err instanceof UsageError) {
          process.stderr.write(`imagedrift: ${err.message}\n`);
          process.exitCode = ExitCode.USAGE;
        } else throw err;
      }
    });
}

export { ExitCode };
