// `imagedrift audit k8s`: what really runs in a Kubernetes cluster (the pods of each workload, the
// digests they run) against what the workloads declare and, with --resolve, what the registries
// serve now. Same rules engine, policy and reporters as `scan` and `audit ecs`. The command and
// its options are defined up front; the audit (src/audit/k8s, @kubernetes/client-node) is loaded
// when the action runs.
import { Command, InvalidArgumentError, Option } from 'commander';
import type { K8sAuditStats } from '../audit/k8s/judge.js';
import type { ScanResult } from '../core/types.js';
import { formatIssue, PolicyError } from '../policy/errors.js';
import { FORMAT_NAMES } from '../report/index.js';
import type { K8sSnapshot } from '../sources/k8s/snapshot.js';
import { writeAuditReports } from './audit.js';
import { ExitCode } from './exit-codes.js';
import type { FailOn } from './exit-codes.js';
import { failOnOption } from './options.js';
import { useColor } from './color.js';
import { isatty } from 'node:tty';
import { parseFormatOption, resolveOutputs, UsageError } from './outputs.js';
import type { OutputSpec } from './outputs.js';
import { parseDate, setupRun } from './policy-options.js';
import { parseTimeout } from './resolve-options.js';
import { addReportOptions, applyBaseline, reportContext, reportExitCode } from './report-options.js';
import type { ReportFlags } from './report-options.js';

interface K8sFlags extends ReportFlags {
  kubeconfig?: string;
  context?: string;
  namespace: string[];
  allNamespaces?: boolean;
  selector?: string;
  fromFile?: string;
  snapshot?: string;
  fromSnapshot?: string;
  resolve?: boolean;
  insecureRegistry: string[];
  timeout: number;
  format?: OutputSpec[];
  output?: string;
  failOn: FailOn;
  policy?: string;
  now?: string;
  concurrency: number;
  color?: boolean;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** A DNS-1123 label, as every namespace name is. */
function namespace(value: string, previous: string[]): string[] {
  const names = value.split(',').map((n) => n.trim()).filter((n) => n !== '');
  for (const n of names) if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(n)) throw new InvalidArgumentError(`"${n}" is not a namespace name (lower-case letters, digits and '-', at most 63)`);
  return [...previous, ...names];
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number of at least 1');
  return n;
}

function plural(n: number, word: string, many = `${word}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? word : many}`;
}

/** The text report's last line, in the cluster's terms (workloads and pods, not files). */
export function k8sSummaryLine(result: ScanResult, stats: K8sAuditStats): string {
  const { bySeverity } = result.summary;
  const total = bySeverity.error + bySeverity.warning + bySeverity.note;
  const counts = `${plural(bySeverity.error, 'error')}, ${plural(bySeverity.warning, 'warning')}, ${plural(bySeverity.note, 'note')}`;
  const when = stats.serverTime !== undefined ? `, as of ${stats.serverTime} (API server time)` : '';
  const local = stats.localImageIds > 0 ? `; ${plural(stats.localImageIds, 'container')} reported only a local image id (not a registry digest): not compared` : '';
  const incomplete = result.errors.length > 0 ? `; incomplete: ${plural(result.errors.length, 'scope')} not read` : '';
  return `${plural(total, 'finding')} (${counts}) in ${plural(stats.workloads, 'workload')} (${plural(stats.pods, 'pod')}, ${plural(stats.references, 'image reference')}) across ${plural(stats.namespaces, 'namespace')} of context \`${stats.context}\`${when}${local}${incomplete}`;
}

function fail(message: string, code: ExitCode): void {
  process.stderr.write(`imagedrift: ${message}\n`);
  process.exitCode = code;
}

function checkFlags(flags: K8sFlags): void {
  const live: Array<[string, boolean]> = [
    ['--kubeconfig', flags.kubeconfig !== undefined],
    ['--namespace', flags.namespace.length > 0],
    ['--all-namespaces', flags.allNamespaces === true],
    ['--selector', flags.selector !== undefined],
  ];
  if (flags.fromSnapshot !== undefined) {
    const given = [...live, ['--context', flags.context !== undefined] as [string, boolean], ['--from-file', flags.fromFile !== undefined] as [string, boolean], ['--snapshot', flags.snapshot !== undefined] as [string, boolean], ['--resolve', flags.resolve === true] as [string, boolean]].filter(([, g]) => g);
    if (given.length > 0) throw new UsageError(`--from-snapshot judges a saved snapshot and reads nothing from the cluster or the registries: drop ${given.map(([n]) => n).join(', ')}`);
  }
  if (flags.fromFile !== undefined) {
    const given = live.filter(([, g]) => g);
    if (given.length > 0) throw new UsageError(`--from-file reads kubectl's output, not the cluster: drop ${given.map(([n]) => n).join(', ')} (filter with kubectl itself; --context only names the cluster in locations)`);
  }
  if (flags.allNamespaces === true && flags.namespace.length > 0) throw new UsageError('--all-namespaces and --namespace exclude each other');
  if (flags.selector !== undefined && flags.selector.trim() === '') throw new UsageError('--selector is empty');
}

async function run(flags: K8sFlags): Promise<void> {
  checkFlags(flags);
  const outputs = resolveOutputs(flags.format, flags.output);
  const { policy } = await setupRun(flags.policy !== undefined ? { policy: flags.policy } : {});
  const { k8sAuditResult, k8sSnapshotDate } = await import('../audit/k8s/judge.js');
  const { readK8sSnapshot, writeK8sSnapshot } = await import('../audit/k8s/snapshot-file.js');
  let snapshot: K8sSnapshot;
  if (flags.fromSnapshot !== undefined) {
    snapshot = readK8sSnapshot(flags.fromSnapshot);
  } else {
    if (flags.fromFile !== undefined) {
      const { snapshotFromFile } = await import('../sources/k8s/from-file.js');
      snapshot = snapshotFromFile(flags.fromFile, flags.context !== undefined ? { context: flags.context } : {});
    } else {
      // @kubernetes/client-node is loaded here, by `audit k8s` only.
      const { collectK8sSnapshot } = await import('../sources/k8s/live.js');
      snapshot = await collectK8sSnapshot({
        ...(flags.kubeconfig !== undefined ? { kubeconfig: flags.kubeconfig } : {}),
        ...(flags.context !== undefined ? { context: flags.context } : {}),
        namespaces: flags.namespace,
        allNamespaces: flags.allNamespaces === true,
        ...(flags.selector !== undefined ? { selector: flags.selector } : {}),
        concurrency: flags.concurrency,
      });
    }
    if (flags.resolve === true) {
      const { addK8sRegistryFacts } = await import('../audit/k8s/collect.js');
      // Registries through the proxies the environment names, as for scan --resolve.
      const { ProxyConfigError, proxySettingsFromEnv } = await import('../resolve/proxy.js');
      let proxy;
      try {
        proxy = proxySettingsFromEnv();
      } catch (err) {
        throw err instanceof ProxyConfigError ? new UsageError(err.message) : err;
      }
      snapshot = await addK8sRegistryFacts(snapshot, {
        resolver: { insecureRegistries: flags.insecureRegistry, timeoutMs: flags.timeout, concurrency: flags.concurrency, proxy, onWarning: (message) => process.stderr.write(`imagedrift: ${message}\n`) },
        concurrency: flags.concurrency,
      });
    }
    if (flags.snapshot !== undefined) {
      try {
        writeK8sSnapshot(flags.snapshot, snapshot);
      } catch (err) {
        throw new UsageError(`${flags.snapshot}: cannot write the snapshot: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
      }
    }
  }
  // Exceptions expire on the API server's calendar (or the snapshot's), unless --now says otherwise.
  const now = flags.now ?? k8sSnapshotDate(snapshot);
  const judged = k8sAuditResult(snapshot, policy, { now });
  const result = await applyBaseline(judged.result, flags, { policy, now });
  writeAuditReports(result, outputs, { color: useColor(flags.color, process.env, isatty(1)), policy, report: reportContext(flags) }, k8sSummaryLine(result, judged.stats));
  if (result.errors.length > 0) process.stderr.write(`imagedrift: the audit is incomplete: ${plural(result.errors.length, 'scope')} could not be read (see the audit-incomplete findings)\n`);
  process.exitCode = reportExitCode(result, flags, flags.failOn);
}

export function k8sCommand(): Command {
  const command = new Command('k8s')
    .description('Audit what really runs in a Kubernetes cluster (the pods of each workload, the digests they run) against the workloads\' specs, the policy and, with --resolve, what the registries serve now.')
    .option('--kubeconfig <file>', 'kubeconfig file (default: KUBECONFIG, ~/.kube/config, or the service account when run in a pod)')
    .option('--context <name>', "kubeconfig context (default: the current context); with --from-file, the cluster's name in locations")
    .addOption(new Option('-n, --namespace <namespace>', 'namespace to audit; repeatable or comma-separated').argParser(namespace).default([], "the context's namespace, else default"))
    .option('-A, --all-namespaces', 'every namespace (one cluster-wide list per kind)')
    .option('-l, --selector <selector>', 'label selector sent with every list, as kubectl -l (app=web,tier!=cache)')
    .option('--from-file <file>', 'read `kubectl get pods,deployments,statefulsets,daemonsets,replicasets,jobs,cronjobs -A -o json` output instead of the cluster (- for stdin)')
    .option('--snapshot <file>', 'also write everything observed to this file (imagedrift.k8s-snapshot/v1)')
    .option('--from-snapshot <file>', 'judge a saved snapshot instead of reading the cluster (no network)')
    .option('--resolve', 'ask the registries what each tag points at now and whether running digests still exist (tag-moved-since-deploy, running-digest-missing)')
    .addOption(new Option('--insecure-registry <host:port>', 'with --resolve: reach this registry over plain HTTP (loopback registries always are); repeatable').argParser(collect).default([]))
    .addOption(new Option('--timeout <duration>', 'with --resolve: per-request timeout').argParser(parseTimeout).default(15_000, '15s'))
    .addOption(
      new Option('-f, --format <format[=file]>', `output format: ${FORMAT_NAMES.join(', ')}; repeat for several reports, each but one with =FILE (default: text)`).argParser(parseFormatOption),
    )
    .option('-o, --output <file>', 'write the report (the --format without =FILE) to a file instead of stdout')
    .addOption(failOnOption())
    .option('--policy <file>', 'policy file (default: .imagedrift.yaml in the working directory or above, up to the repository root; else the bundled default)')
    .addOption(new Option('--now <date>', "today's date for exception expiry, YYYY-MM-DD (default: the date on the API server's clock)").argParser(parseDate))
    .addOption(new Option('--concurrency <n>', 'lists (and registry look-ups) in flight at a time').argParser(positiveInt).default(4))
    .option('--no-color', 'never colour the output');
  return addReportOptions(command, { groupBy: 'image' })
    .addHelpText(
      'after',
      `
Examples:
  $ imagedrift audit k8s -A --resolve
  $ imagedrift audit k8s --context prod -n shop -n payments --selector tier=web
  $ imagedrift audit k8s -A --resolve --snapshot tonight.json --format json -o findings.json
  $ kubectl get pods,deployments,statefulsets,daemonsets,replicasets,jobs,cronjobs -A -o json \\
      | imagedrift audit k8s --from-file - --context prod
  $ imagedrift audit k8s --from-snapshot tonight.json        re-judge offline
  $ imagedrift audit k8s -A --baseline last-night.json --new-only   fail only on new findings

Findings: the file rules (latest-tag, mutable-tag, … with sidecar roles; containers injected at
admission, such as istio-proxy, are sidecars) on the pod templates and pods, and fleet-drift,
pull-policy-always-floating, tag-moved-since-deploy and running-digest-missing (with --resolve),
audit-incomplete. Locations are k8s://<context>/<namespace>/<kind>/<name>#<container>.

Exit codes: 0 nothing at or above --fail-on, 1 findings, 2 usage or configuration error
(no kubeconfig, unknown context, credentials rejected, API server unreachable: nothing was
audited), 3 the audit is incomplete (a list forbidden or failing; the rest was audited).`,
    )
    .showHelpAfterError()
    .exitOverride()
    .action(async (flags: K8sFlags) => {
      try {
        await run(flags);
      } catch (err) {
        const { K8sConfigError } = await import('../sources/k8s/live.js');
        const { K8sInputError } = await import('../sources/k8s/from-file.js');
        const { K8sSnapshotFileError } = await import('../audit/k8s/snapshot-file.js');
        if (err instanceof UsageError || err instanceof K8sSnapshotFileError || err instanceof K8sConfigError || err instanceof K8sInputError) fail(err.message, ExitCode.USAGE);
        else if (err instanceof PolicyError) {
          for (const issue of err.issues) process.stderr.write(`${formatIssue(issue)}\n`);
          process.exitCode = ExitCode.USAGE;
        } else throw err;
      }
    });
}
