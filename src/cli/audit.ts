// `imagedrift audit ecs`: the nightly audit of what really runs in Amazon ECS against what is
// declared and what the registry serves now. Same rules engine, policy and reporters as `scan`.
// The command and its options are defined up front; the audit itself (src/audit, the AWS SDK) is
// loaded when the action runs.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { isatty } from 'node:tty';
import { Command, InvalidArgumentError, Option } from 'commander';
import type { AuditStats } from '../audit/judge.js';
import type { ScanResult } from '../core/types.js';
import type { Policy } from '../policy/types.js';
import { formatIssue, PolicyError } from '../policy/errors.js';
import { FORMAT_NAMES, REPORTERS } from '../report/index.js';
import { summaryLine } from '../report/summary.js';
import type { EcsSnapshot } from '../sources/ecs-live.js';
import { ExitCode } from './exit-codes.js';
import type { FailOn } from './exit-codes.js';
import { failOnOption } from './options.js';
import { parseFormatOption, resolveOutputs, UsageError, writeOutputs, writeStdout } from './outputs.js';
import type { OutputSpec } from './outputs.js';
import { useColor } from './color.js';
import { parseDate, setupRun } from './policy-options.js';
import { parseTimeout } from './resolve-options.js';
import { addReportOptions, applyBaseline, reportContext, reportExitCode, PROGRESS_MODES } from './report-options.js';
import type { ProgressMode, ReportFlags } from './report-options.js';
import { VERSION } from './version.js';
import { k8sCommand } from './audit-k8s.js';

/**
 * The AWS SDK warns on every run under Node.js 20 that its future releases will need Node.js 22
 * (NodeVersionSupportWarning). It is about the SDK's maintainers' plans, not the user's audit: keep
 * it off the user's terminal. Every other warning passes through.
 */
export function silenceSdkNodeVersionWarning(): void {
  const original = process.emitWarning as (...args: unknown[]) => void;
  if ((original as { imagedriftFiltered?: boolean }).imagedriftFiltered) return;
  const filtered = (warning: unknown, ...rest: unknown[]) => {
    const text = typeof warning === 'string' ? warning : warning instanceof Error ? `${warning.name}: ${warning.message}` : '';
    if (/NodeVersionSupportWarning/.test(text)) return;
    original.call(process, warning, ...rest);
  };
  (filtered as { imagedriftFiltered?: boolean }).imagedriftFiltered = true;
  process.emitWarning = filtered as typeof process.emitWarning;
}

silenceSdkNodeVersionWarning();

interface AuditFlags extends ReportFlags {
  progress: ProgressMode;
  region: string[];
  cluster: string[];
  service: string[];
  profile?: string;
  roleArn: string[];
  snapshot?: string;
  fromSnapshot?: string;
  format?: OutputSpec[];
  output?: string;
  failOn: FailOn;
  policy?: string;
  now?: string;
  concurrency: number;
  timeout: number;
  color?: boolean;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** AWS region names: `us-east-1`, `us-gov-west-1`, `cn-northwest-1`, `eusc-de-east-1`, … */
const REGION_RE = /^[a-z]{2,5}(?:-[a-z]+){1,3}-\d{1,2}$/;

function region(value: string, previous: string[]): string[] {
  if (!REGION_RE.test(value)) throw new InvalidArgumentError('expected an AWS region name such as us-east-1 or eu-west-2');
  return [...previous, value];
}

function roleArn(value: string, previous: string[]): string[] {
  if (!/^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/.test(value)) throw new InvalidArgumentError('expected a role ARN such as arn:aws:iam::123456789012:role/imagedrift-audit');
  return [...previous, value];
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number of at least 1');
  return n;
}

function plural(n: number, word: string, many = `${word}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? word : many}`;
}

/** The reports' last line, in the audit's terms: the services with findings (of how many), then what was audited. */
export function auditSummaryLine(result: ScanResult, _stats?: AuditStats): string {
  return summaryLine(result);
}

/**
 * Every format from the same result, as `scan` writes them; the text report ends with the audit's
 * own summary line (services and tasks, or workloads and pods; not files). Shared by `audit ecs` and
 * `audit k8s`. `color` is the whole decision (useColor: --no-color, NO_COLOR, FORCE_COLOR, a terminal).
 */
export function writeAuditReports(result: ScanResult, outputs: readonly OutputSpec[], options: { color: boolean; policy: Policy; report: ReturnType<typeof reportContext> }, summary: string): void {
  const ctx = { color: options.color, version: VERSION, relativePath: (path: string) => path, policy: options.policy, ...options.report };
  writeOutputs(
    result,
    outputs.filter((spec) => spec.format !== 'text'),
    ctx,
    writeStdout,
  );
  for (const spec of outputs.filter((o) => o.format === 'text')) {
    let report = REPORTERS.text(result, { ...ctx, color: ctx.color && spec.file === undefined });
    const generic = `${summaryLine(result)}\n`;
    if (report.endsWith(generic)) report = `${report.slice(0, -generic.length)}${summary}\n`;
    if (spec.file === undefined) {
      writeStdout(report);
      continue;
    }
    try {
      mkdirSync(dirname(resolve(spec.file)), { recursive: true });
      writeFileSync(spec.file, report);
    } catch (err) {
      throw new UsageError(`${spec.file}: cannot write the text report: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
  }
}

function fail(message: string, code: ExitCode): void {
  process.stderr.write(`imagedrift: ${message}\n`);
  process.exitCode = code;
}

async function run(flags: AuditFlags): Promise<void> {
  if (flags.fromSnapshot !== undefined) {
    const live = [
      ['--region', flags.region.length > 0],
      ['--cluster', flags.cluster.length > 0],
      ['--service', flags.service.length > 0],
      ['--profile', flags.profile !== undefined],
      ['--role-arn', flags.roleArn.length > 0],
      ['--snapshot', flags.snapshot !== undefined],
    ].filter(([, given]) => given === true);
    if (live.length > 0) throw new UsageError(`--from-snapshot judges a saved snapshot and reads nothing from AWS: drop ${live.map(([name]) => name).join(', ')}`);
  }
  const outputs = resolveOutputs(flags.format, flags.output);
  const { policy } = await setupRun(flags.policy !== undefined ? { policy: flags.policy } : {});
  const { auditResult, snapshotDate } = await import('../audit/judge.js');

  // The AWS SDK takes a good part of start-up to load: only a command that needs it loads it.
  const { readSnapshot, writeSnapshot } = await import('../audit/snapshot-file.js');
  let snapshot: EcsSnapshot;
  if (flags.fromSnapshot !== undefined) {
    snapshot = readSnapshot(flags.fromSnapshot);
  } else {
    const { collectLiveSnapshot } = await import('../audit/collect.js');
    const { defaultRegion } = await import('../sources/ecs-live.js');
    const regions = flags.region.length > 0 ? flags.region : [await defaultRegion(flags.profile)].filter((r): r is string => r !== undefined);
    if (regions.length === 0) throw new UsageError('no region: pass --region (repeatable), or set AWS_REGION or a region in your AWS profile');
    for (const r of regions) if (!REGION_RE.test(r)) throw new UsageError(`the configured region ${JSON.stringify(r)} is not an AWS region name (AWS_REGION, AWS_DEFAULT_REGION or the profile's region)`);
    const { ProxyConfigError, proxySettingsFromEnv } = await import('../resolve/proxy.js');
    let proxy;
    try {
      proxy = proxySettingsFromEnv();
    } catch (err) {
      throw err instanceof ProxyConfigError ? new UsageError(err.message) : err;
    }
    const { progressDisplay } = await import('../audit/progress.js');
    const progress = progressDisplay(process.stderr, { mode: flags.progress });
    try {
      snapshot = await collectLiveSnapshot({
        regions,
        ...(flags.cluster.length > 0 ? { clusters: flags.cluster } : {}),
        ...(flags.service.length > 0 ? { services: flags.service } : {}),
        ...(flags.profile !== undefined ? { profile: flags.profile } : {}),
        ...(flags.roleArn.length > 0 ? { roleArns: flags.roleArn } : {}),
        concurrency: flags.concurrency,
        // Every AWS call and registry request: at most --timeout per attempt, through the proxies. A
        // shard of hundreds of services meets the APIs' rate limits: adaptive retries slow the client
        // down to what AWS allows instead of spending the retry quota (AWS_RETRY_MODE=standard keeps
        // the SDK's default).
        aws: { requestTimeoutMs: flags.timeout, proxy, retryMode: process.env.AWS_RETRY_MODE === 'standard' ? 'standard' : 'adaptive' },
        resolver: { timeoutMs: flags.timeout, proxy },
        onProgress: (p) => progress.update(p),
      });
    } finally {
      progress.done();
    }
    if (flags.snapshot !== undefined) {
      try {
        writeSnapshot(flags.snapshot, snapshot);
      } catch (err) {
        throw new UsageError(`${flags.snapshot}: cannot write the snapshot: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
      }
    }
  }

  // Exceptions expire on AWS's calendar (the snapshot's server time), unless --now says otherwise.
  const now = flags.now ?? snapshotDate(snapshot);
  const judged = auditResult(snapshot, policy, { now });
  const result = await applyBaseline(judged.result, flags, { policy, now });
  writeAuditReports(result, outputs, { color: useColor(flags.color, process.env, isatty(1)), policy, report: reportContext(flags) }, auditSummaryLine(result, judged.stats));
  if (result.errors.length > 0) process.stderr.write(`imagedrift: the audit is incomplete: ${plural(result.errors.length, 'scope')} could not be read (see the audit-incomplete findings)\n`);
  process.exitCode = reportExitCode(result, flags, flags.failOn);
}

function ecsCommand(): Command {
  const command = new Command('ecs')
    .description('Audit what really runs in Amazon ECS (task definitions in use, the digests their tasks run) against the policy and what the registries serve now.')
    .addOption(new Option('--region <region>', 'AWS region to audit; repeatable').argParser(region).default([], 'AWS_REGION, AWS_DEFAULT_REGION or the profile\'s region'))
    .addOption(new Option('--cluster <glob>', 'only clusters whose name matches; repeatable').argParser(collect).default([], 'all'))
    .addOption(new Option('--service <glob>', 'only services whose name matches; repeatable').argParser(collect).default([], 'all'))
    .option('--profile <name>', 'AWS profile (default: the standard credential chain)')
    .addOption(new Option('--role-arn <arn>', 'assume this role and audit its account; repeatable, one per account').argParser(roleArn).default([], 'the credentials as they are'))
    .option('--snapshot <file>', 'also write everything observed to this file (imagedrift.snapshot/v1)')
    .option('--from-snapshot <file>', 'judge a saved snapshot instead of reading AWS (no network)')
    .addOption(
      new Option('-f, --format <format[=file]>', `output format: ${FORMAT_NAMES.join(', ')}; repeat for several reports, each but one with =FILE (default: text)`).argParser(parseFormatOption),
    )
    .option('-o, --output <file>', 'write the report (the --format without =FILE) to a file instead of stdout')
    .addOption(failOnOption())
    .option('--policy <file>', 'policy file (default: .imagedrift.yaml in the working directory or above, up to the repository root; else the bundled default)')
    .addOption(new Option('--now <date>', "today's date for exception expiry, YYYY-MM-DD (default: the date on AWS's clock)").argParser(parseDate))
    .addOption(new Option('--concurrency <n>', 'clusters and registry look-ups in flight at a time').argParser(positiveInt).default(4))
    .addOption(new Option('--timeout <duration>', 'per-attempt timeout of each AWS call and registry request').argParser(parseTimeout).default(30_000, '30s'))
    .option('--no-color', 'never colour the output')
    .addOption(new Option('--progress <mode>', 'progress on stderr: auto (tty on a terminal, else plain), tty (one line redrawn), plain (a line every 10 s, for CI logs), none').choices([...PROGRESS_MODES]).default('auto'));
  return addReportOptions(command, { groupBy: 'image' })
    .addHelpText(
      'after',
      `
Examples:
  $ imagedrift audit ecs --region us-east-1
  $ imagedrift audit ecs --region us-east-1 --region eu-west-1 --cluster 'prod-*'
  $ imagedrift audit ecs --role-arn arn:aws:iam::111111111111:role/imagedrift-audit \\
      --role-arn arn:aws:iam::222222222222:role/imagedrift-audit --region us-east-1
  $ imagedrift audit ecs --snapshot tonight.json --format json -o findings.json
  $ imagedrift audit ecs --format text --format markdown=audit.md --format sarif=audit.sarif
  $ imagedrift audit ecs --from-snapshot tonight.json          re-judge offline
  $ imagedrift audit ecs --baseline last-night.json --new-only  fail only on new drift
  $ imagedrift audit ecs --format html=audit.html --group-by rule

Findings: the file rules (latest-tag, mutable-tag, … with sidecar roles) on the task definitions
in use, and fleet-drift, tag-moved-since-deploy, version-consistency-disabled,
running-digest-missing, mutable-repository, audit-incomplete. Locations are
ecs://<account>/<region>/<cluster>/<service>#<container>.

Exit codes: 0 nothing at or above --fail-on, 1 findings, 2 usage or configuration error
(including missing or expired AWS credentials: nothing was audited), 3 the audit is incomplete
(access denied to an account, region, cluster or registry; the rest was audited).`,
    )
    .showHelpAfterError()
    .exitOverride()
    .action(async (flags: AuditFlags) => {
      try {
        await run(flags);
      } catch (err) {
        const { AwsCredentialsError } = await import('../sources/aws-clients.js');
        const { SnapshotFileError } = await import('../audit/snapshot-file.js');
        if (err instanceof AwsCredentialsError) fail(err.message, ExitCode.USAGE);
        else if (err instanceof UsageError || err instanceof SnapshotFileError) fail(err.message, ExitCode.USAGE);
        else if (err instanceof PolicyError) {
          for (const issue of err.issues) process.stderr.write(`${formatIssue(issue)}\n`);
          process.exitCode = ExitCode.USAGE;
        } else throw err;
      }
    });
}

export function auditCommand(): Command {
  return new Command('audit')
    .description('Audit what really runs in live infrastructure for image drift.')
    .addCommand(ecsCommand())
    .addCommand(k8sCommand())
    .addHelpText(
      'after',
      `
Examples:
  $ imagedrift audit ecs --region us-east-1
  $ imagedrift audit k8s -A --resolve
  $ imagedrift audit ecs --help`,
    );
}
