// `imagedrift pin`: rewrite files in place to pinned digests, byte-preserving and safe.
//
// The command and its options are defined up front; the rewriter (src/fix, diff), the scanner and
// the resolver stack are loaded when the action runs.
import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import picomatch from 'picomatch';
import { canonicalReference } from '../core/parse-reference.js';
import type { Finding, ParsedReference, Role } from '../core/types.js';
import type { PinReport, ProposalOutcome } from '../fix/pin.js';
import { parseReference } from '../core/parse-reference.js';
import { formatIssue, PolicyError } from '../policy/errors.js';
import { UsageError, writeStdout } from './outputs.js';
import { addPolicyOptions, setupRun } from './policy-options.js';
import type { PolicyFlags } from './policy-options.js';
import { RULES } from '../rules/index.js';
import { ExitCode } from './exit-codes.js';
import { addResolveOptions, resolverFrom } from './resolve-options.js';
import type { ResolveFlags } from './resolve-options.js';
import type { CreatedResolver } from '../resolve/create.js';

interface PinFlags extends ResolveFlags, PolicyFlags {
  style: 'tag-digest' | 'digest';
  upgradeLatest?: boolean;
  only: string[];
  dryRun?: boolean;
  check?: boolean;
  fromResults?: string;
}

const ROLES: readonly Role[] = ['app', 'init', 'sidecar'];

/** `--only` selectors: rule ids, roles, or path globs; a finding must match one of each kind given. */
export function onlyFilter(selectors: readonly string[]): ((finding: Finding) => boolean) | undefined {
  if (selectors.length === 0) return undefined;
  const rules = selectors.filter((s) => s in RULES);
  const roles = selectors.filter((s) => (ROLES as readonly string[]).includes(s));
  const globs = selectors.filter((s) => !rules.includes(s) && !roles.includes(s));
  const pathMatch = globs.length > 0 ? picomatch(globs, { dot: true }) : undefined;
  return (finding) =>
    (rules.length === 0 || rules.includes(finding.ruleId)) &&
    (roles.length === 0 || (finding.container !== undefined && roles.includes(finding.container.role))) &&
    (pathMatch === undefined || pathMatch(finding.location.path));
}

/** Proposals saved by `scan --resolve --format json`, keyed by canonical reference. */
export function proposalsFromResults(file: string): (parsed: ParsedReference) => Promise<ProposalOutcome> {
  const report = JSON.parse(readFileSync(file, 'utf8')) as { schema?: string; findings?: Finding[] };
  if (report.schema !== 'imagedrift.scan/v1' || !Array.isArray(report.findings)) throw new Error(`${file}: not an imagedrift scan result (schema imagedrift.scan/v1)`);
  const proposals = new Map<string, ProposalOutcome>();
  for (const finding of report.findings) {
    const outcome = finding.image === undefined ? undefined : parseReference(finding.image.raw);
    if (finding.fix?.digest === undefined || outcome === undefined || !outcome.ok) continue;
    proposals.set(canonicalReference(outcome.ref), { ok: true, proposal: { digest: finding.fix.digest, ...(finding.fix.versionTag !== undefined ? { versionTag: finding.fix.versionTag } : {}) } });
  }
  return async (parsed) => proposals.get(canonicalReference(parsed)) ?? { ok: false, reason: `no proposal for it in ${file}` };
}

export function formatPinReport(report: PinReport, dryRun: boolean): string {
  const lines: string[] = [];
  for (const file of report.files) if (file.diff !== undefined) lines.push(file.diff.trimEnd());
  const pinned = report.files.flatMap((file) => file.pinned.map((pin) => ({ ...pin, path: file.path })));
  const changed = report.files.filter((file) => file.pinned.length > 0).length;
  lines.push(`${dryRun ? 'would pin' : 'pinned'} ${pinned.length} reference${pinned.length === 1 ? '' : 's'} in ${changed} file${changed === 1 ? '' : 's'}`);
  for (const pin of pinned) lines.push(`  ${pin.path}:${pin.line}:${pin.column}: ${pin.from} -> ${pin.to}`);
  const refused = report.files.filter((file) => file.refused !== undefined);
  if (refused.length > 0) {
    lines.push(`refused ${refused.length} file${refused.length === 1 ? '' : 's'}:`);
    for (const file of refused) lines.push(`  ${file.path}: ${file.refused}`);
  }
  if (report.left.length > 0) {
    lines.push(`left alone ${report.left.length} reference${report.left.length === 1 ? '' : 's'}:`);
    for (const left of report.left) lines.push(`  ${left.path}:${left.line}:${left.column}: ${left.image}: ${left.reason}`);
  }
  for (const skipped of report.skipped) lines.push(`${skipped.path}: skipped: ${skipped.reason}`);
  return `${lines.join('\n')}\n`;
}

export function pinCommand(): Command {
  const command = new Command('pin')
    .description('Rewrite files in place so that floating and undigested image references are pinned to verified digests (repo:tag@sha256:…).')
    .argument('[paths...]', 'files or directories to pin', ['.'])
    .addOption(new Option('--style <style>', 'tag-digest keeps the tag for readers (repo:tag@sha256:…); digest writes repo@sha256:… and keeps the tag in a YAML comment').choices(['tag-digest', 'digest']).default('tag-digest'))
    .option('--upgrade-latest', 'replace latest (or no tag) by the version tag that shares its digest (:v0.28.0@sha256:…)')
    .addOption(new Option('--only <selector>', 'only findings of this rule id, role (app, init, sidecar) or path glob; repeatable').argParser((value: string, previous: string[]) => [...previous, value]).default([]))
    .option('--dry-run', 'print a unified diff and write nothing')
    .option('--check', 'write nothing; exit 1 when anything would change (for CI)')
    .option('--from-results <file>', 'apply the proposals saved by `scan --resolve --format json` without contacting any registry');
  return addResolveOptions(addPolicyOptions(command))
    .addHelpText(
      'after',
      `
Examples:
  $ imagedrift pin deploy/                         pin everything under deploy/
  $ imagedrift pin --dry-run .                     show the diff, write nothing
  $ imagedrift pin --check .                       CI: exit 1 if anything is unpinned
  $ imagedrift pin --only sidecar --upgrade-latest ecs/
  $ imagedrift scan --resolve --format json -o results.json . && imagedrift pin --from-results results.json .

Exit codes: 0 done (or nothing to do), 1 with --check when something would change,
2 usage error, 3 some references could not be resolved or some files were refused.`,
    )
    .action(async (paths: string[], flags: PinFlags) => {
      let setup;
      try {
        setup = await setupRun(flags);
      } catch (err) {
        if (err instanceof PolicyError) for (const issue of err.issues) process.stderr.write(`${formatIssue(issue)}\n`);
        else if (err instanceof UsageError) process.stderr.write(`imagedrift: ${err.message}\n`);
        else throw err;
        process.exitCode = ExitCode.USAGE;
        return;
      }
      const { policy } = setup;
      const [{ pinPaths }, { relativePaths }] = await Promise.all([import('../fix/pin.js'), import('../scan/scan.js')]);
      const relativePath = relativePaths(setup.root);
      const warn = (message: string): void => void process.stderr.write(`imagedrift: warning: ${message}\n`);
      let created: CreatedResolver | undefined;
      let propose: (parsed: ParsedReference) => Promise<ProposalOutcome>;
      if (flags.fromResults !== undefined) {
        propose = proposalsFromResults(flags.fromResults);
      } else {
        const [{ digestToPin }, { versionTagForDigest }] = await Promise.all([import('../resolve/types.js'), import('../resolve/version-tags.js')]);
        created = await resolverFrom(flags, warn);
        const session = created.session;
        propose = async (parsed) => {
          const outcome = await session.resolve(parsed, { verify: true, ...(flags.platform !== undefined ? { platform: flags.platform } : {}) });
          if (!outcome.ok) return { ok: false, reason: outcome.reason };
          let versionTag: string | undefined;
          if (flags.upgradeLatest && (parsed.tag === undefined || parsed.tag === 'latest')) {
            const tags = await session.listTags(parsed).catch(() => undefined);
            versionTag = await versionTagForDigest(session, parsed, outcome.digest, tags);
          }
          return { ok: true, proposal: { digest: digestToPin(outcome), ...(versionTag !== undefined ? { versionTag } : {}) } };
        };
      }
      try {
        const only = onlyFilter(flags.only);
        const report = await pinPaths(paths, {
          policy,
          now: setup.now,
          relativePath,
          ...(setup.filter !== undefined ? { filter: setup.filter } : {}),
          style: flags.style,
          upgradeLatest: flags.upgradeLatest === true,
          propose,
          dryRun: flags.dryRun === true || flags.check === true,
          ...(only !== undefined ? { only } : {}),
        });
        writeStdout(formatPinReport(report, flags.dryRun === true || flags.check === true));
        for (const error of report.errors) process.stderr.write(`imagedrift: ${error}\n`);
        const wouldChange = report.files.some((file) => file.pinned.length > 0);
        const incomplete = report.errors.length > 0 || report.left.length > 0 || report.files.some((file) => file.refused !== undefined);
        process.exitCode = flags.check === true && wouldChange ? ExitCode.FINDINGS : incomplete ? ExitCode.INCOMPLETE : ExitCode.OK;
      } finally {
        created?.close();
      }
    });
}
