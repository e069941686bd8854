// `imagedrift pin`: rewrite files in place to pinned digests, byte-preserving and safe.
//
// The command and its options are defined up front; the rewriter (src/fix, diff), the scanner and
// the resolver stack are loaded when the action runs.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { readTextFileBounded, ReadRefused } from '../sources/files.js';
import { join, relative, resolve, sep } from 'node:path';
import { Command, Option } from 'commander';
import { canonicalReference } from '../core/parse-reference.js';
import type { Finding, ParsedReference, Role } from '../core/types.js';
import type { PinReport, ProposalOutcome } from '../fix/pin.js';
import { parseReference } from '../core/parse-reference.js';
import { formatIssue, PolicyError } from '../policy/errors.js';
import { UsageError, writeStdout } from './outputs.js';
import { addPolicyOptions, setupRun } from './policy-options.js';
import type { PolicyFlags } from './policy-options.js';
import { RULES } from '../rules/index.js';
import { PINNABLE_RULES as PINNABLE_RULE_IDS } from '../rules/engine.js';
import { globProblem } from '../policy/glob.js';
import { normalisePath, pathMatcher } from '../policy/match.js';
import { hasGlob } from '../policy/patterns.js';
import { suggest } from '../policy/suggest.js';
import { ExitCode } from './exit-codes.js';
import { addResolveOptions, budgetOptions, resolverFrom } from './resolve-options.js';
import type { ResolveFlags } from './resolve-options.js';
import type { CreatedResolver } from '../resolve/create.js';
import type { UpgradeLevel } from '../resolve/version-tags.js';

interface PinFlags extends ResolveFlags, PolicyFlags {
  style: 'tag-digest' | 'digest';
  upgradeLatest?: boolean;
  keepTag?: boolean;
  refresh?: boolean;
  upgrade?: UpgradeLevel;
  prerelease?: boolean;
  only: string[];
  dryRun?: boolean;
  check?: boolean;
  fromResults?: string;
}

const ROLES: readonly Role[] = ['app', 'init', 'sidecar'];

/** A file's path as `--only` globs see it: relative to the working directory, `/`-separated. */
function selectorPath(path: string, cwd: string): string {
  return relative(cwd, resolve(cwd, path)).split(sep).join('/');
}

/** `--only` selectors: rule ids, roles, or path globs (an existing directory selects what is below it); a finding must match one of each kind given. */
export function onlyFilter(selectors: readonly string[], cwd: string = process.cwd()): ((finding: Finding) => boolean) | undefined {
  if (selectors.length === 0) return undefined;
  const rules = selectors.filter((s) => s in RULES);
  const roles = selectors.filter((s) => (ROLES as readonly string[]).includes(s));
  const globs = selectors.filter((s) => !rules.includes(s) && !roles.includes(s)).flatMap((s) => {
    const glob = normalisePath(s).replace(/\/+$/, '');
    return isDirectory(resolve(cwd, s)) ? [glob, `${glob}/**`] : [glob];
  });
  const pathMatch = globs.length > 0 ? pathMatcher(globs) : undefined;
  return (finding) =>
    (rules.length === 0 || rules.includes(finding.ruleId)) &&
    (roles.length === 0 || (finding.container !== undefined && roles.includes(finding.container.role))) &&
    (pathMatch === undefined || pathMatch(selectorPath(finding.location.path, cwd)));
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** The files under the paths pin is given, relative to the working directory (skipping .git and node_modules, as the scan does). */
function filesUnder(paths: readonly string[], cwd: string, limit: number): string[] {
  const out: string[] = [];
  const visit = (path: string): void => {
    if (out.length >= limit) return;
    let stat;
    try {
      stat = statSync(path);
    } catch {
      return;
    }
    if (stat.isFile()) out.push(selectorPath(path, cwd));
    else if (stat.isDirectory()) {
      let names: string[];
      try {
        names = readdirSync(path);
      } catch {
        return;
      }
      for (const name of names) if (name !== '.git' && name !== 'node_modules') visit(join(path, name));
    }
  };
  for (const path of paths) if (path !== '-') visit(resolve(cwd, path));
  return out;
}

/**
 * Why `--only` values select nothing, before anything is written: a value that is neither a rule
 * pin acts on, nor a role, nor a path or glob that names a file under the paths given.
 */
export function onlySelectorProblems(selectors: readonly string[], paths: readonly string[], cwd: string = process.cwd(), options: { upgrade?: boolean } = {}): string[] {
  const problems: string[] = [];
  // Besides the floating-tag rules: stale pins (a refresh, which `--only tag-moved` implies) and newer releases (with --upgrade).
  const acted = [...PINNABLE_RULE_IDS, 'tag-moved', 'newer-version-available'];
  const kinds = `a rule pin acts on (${acted.join(', ')}), a role (${ROLES.join(', ')}) or a path`;
  let files: string[] | undefined;
  for (const selector of selectors) {
    if (selector === 'newer-version-available' && options.upgrade !== true) {
      problems.push(`--only ${selector}: newer releases are only taken with --upgrade patch, minor or major`);
      continue;
    }
    if ((ROLES as readonly string[]).includes(selector) || acted.includes(selector)) continue;
    if (selector in RULES) {
      problems.push(`--only ${selector}: pin does not act on ${selector} findings; it acts on ${acted.join(', ')}`);
      continue;
    }
    const syntax = globProblem(selector);
    if (syntax !== undefined) {
      problems.push(`--only ${selector}: ${syntax}`);
      continue;
    }
    if (hasGlob(selector) || existsSync(resolve(cwd, selector))) {
      files ??= filesUnder(paths, cwd, 1_000_000);
      const match = onlyFilter([selector], cwd);
      if (files.some((file) => match?.({ ruleId: '', severity: 'note', message: '', location: { path: file, line: 0, column: 0, endLine: 0, endColumn: 0 } }) === true)) continue;
      problems.push(`--only ${selector}: no file under ${paths.join(', ')} matches it`);
      continue;
    }
    if (/[/\\.]/.test(selector)) {
      problems.push(`--only ${selector}: no such file or directory`);
      continue;
    }
    const guess = suggest(selector, [...acted, ...ROLES]);
    problems.push(`--only ${selector}: not ${kinds} that exists${guess !== undefined ? ` (did you mean \`${guess}\`?)` : ''}`);
  }
  return problems;
}

/** A proposal saved by `scan --resolve --format json`. */
export interface SavedProposal {
  digest: string;
  versionTag?: string;
  /** The manifest was fetched and hashed by the scan; otherwise pin must verify it first. */
  verified: boolean;
}

/** The largest results file `--from-results` reads. */
const MAX_RESULTS_BYTES = 512 * 1024 * 1024;

/** Proposals saved by `scan --resolve --format json`, keyed by canonical reference. */
export function proposalsFromResults(file: string): Map<string, SavedProposal> {
  let report: { schema?: string; findings?: Finding[] };
  try {
    // Bounded and from a regular file only, as a snapshot is (a FIFO or /dev/zero is refused).
    report = JSON.parse(readTextFileBounded(file, MAX_RESULTS_BYTES)) as typeof report;
  } catch (err) {
    throw new UsageError(`${file}: cannot read the scan results: ${err instanceof SyntaxError ? 'not JSON' : err instanceof ReadRefused ? err.message : ((err as NodeJS.ErrnoException).code ?? String(err))}`);
  }
  if (report === null || typeof report !== 'object' || report.schema !== 'imagedrift.scan/v1' || !Array.isArray(report.findings)) {
    throw new UsageError(`${file}: not an imagedrift scan result (schema imagedrift.scan/v1)`);
  }
  const proposals = new Map<string, SavedProposal>();
  for (const finding of report.findings) {
    const fix = finding?.fix;
    const outcome = typeof finding?.image?.raw === 'string' ? parseReference(finding.image.raw) : undefined;
    if (typeof fix?.digest !== 'string' || outcome === undefined || !outcome.ok) continue;
    proposals.set(canonicalReference(outcome.ref), {
      digest: fix.digest,
      ...(typeof fix.versionTag === 'string' ? { versionTag: fix.versionTag } : {}),
      verified: fix.verified === true,
    });
  }
  return proposals;
}

const clip = (value: string): string => JSON.stringify(value.length > 80 ? `${value.slice(0, 77)}...` : value);

export function formatPinReport(report: PinReport, dryRun: boolean): string {
  const lines: string[] = [];
  for (const file of report.files) if (file.diff !== undefined) lines.push(file.diff.trimEnd());
  const pinned = report.files.flatMap((file) => file.pinned.map((pin) => ({ ...pin, path: file.path })));
  const changed = report.files.filter((file) => file.pinned.length > 0).length;
  lines.push(`${dryRun ? 'would pin' : 'pinned'} ${pinned.length} reference${pinned.length === 1 ? '' : 's'} in ${changed} file${changed === 1 ? '' : 's'}`);
  for (const pin of pinned) {
    const what = pin.kind === 'refresh' ? ' (refresh: the tag moved)' : pin.kind === 'upgrade' ? ' (upgrade)' : '';
    lines.push(`  ${pin.path}:${pin.line}:${pin.column}: ${pin.from} -> ${pin.to}${what}${pin.proposal.note !== undefined ? `; ${pin.proposal.note}` : ''}`);
  }
  if (report.waiting.length > 0) {
    lines.push(`waiting ${report.waiting.length} reference${report.waiting.length === 1 ? '' : 's'}:`);
    for (const held of report.waiting) lines.push(`  ${held.path}:${held.line}:${held.column}: ${held.image}: ${held.reason}`);
  }
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
    .optionsGroup('Pin options:')
    .addOption(new Option('--style <style>', 'tag-digest keeps the tag for readers (repo:tag@sha256:…); digest writes repo@sha256:… and keeps the tag in a YAML comment').choices(['tag-digest', 'digest']).default('tag-digest'))
    .option('--keep-tag', 'keep the tag as written (:latest@sha256:…) instead of the version tag that shares the digest (:v0.28.0@sha256:…, the default)')
    .addOption(new Option('--upgrade-latest', 'the default now: latest (or no tag) becomes the version tag that shares its digest').hideHelp())
    .option('--refresh', 'also re-pin tag@digest references whose tag now points at another digest (tag-moved)')
    .addOption(new Option('--upgrade <level>', 'move exact versions to the newest release at this level (patch, minor, major), pinned by digest').choices(['patch', 'minor', 'major']))
    .option('--prerelease', 'with --upgrade: pre-releases (1.3.0-rc.1) count as releases')
    .addOption(
      new Option('--only <selector>', 'only findings of this rule id, role (app, init, sidecar), path or path glob (a directory selects what is below it); repeatable; a value that selects nothing is an error')
        .argParser((value: string, previous: string[]) => [...previous, value])
        .default([]),
    )
    .option('--dry-run', 'print a unified diff and write nothing')
    .option('--check', 'write nothing; exit 1 when anything would change (for CI)')
    .option('--from-results <file>', 'apply the proposals saved by `scan --resolve --format json`; a digest the scan did not verify is verified first');
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
      const onlyProblems = onlySelectorProblems(flags.only, paths, process.cwd(), { upgrade: flags.upgrade !== undefined });
      if (onlyProblems.length > 0) {
        for (const problem of onlyProblems) process.stderr.write(`imagedrift: ${problem}\n`);
        process.stderr.write("see 'imagedrift pin --help'\n");
        process.exitCode = ExitCode.USAGE;
        return;
      }
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
      const refresh = flags.refresh === true || flags.only.includes('tag-moved');
      const [{ isVerifiableDigest }, { withBudget: withBudgetNow }, { Semaphore }] = await Promise.all([import('../resolve/types.js'), import('../resolve/budget.js'), import('../resolve/limit.js')]);
      const { budgetMs, budgetLabel } = budgetOptions(flags);
      // References are worked on 32 at a time (as scan --resolve does), and each one's time budget
      // starts when its turn comes, not while it waits behind the others.
      const turns = new Semaphore(32);
      const withBudget = <T>(ms: number, label: string, fn: () => Promise<T>): Promise<T> => turns.run(() => withBudgetNow(ms, label, fn));
      try {
        if (flags.fromResults !== undefined) {
          const file = flags.fromResults;
          const saved = proposalsFromResults(file);
          // A digest the scan took from a HEAD answer is verified (GET by digest + sha256) before it
          // is written; offline, only a verified entry of the on-disk cache can vouch for it.
          if ([...saved.values()].some((p) => !p.verified && isVerifiableDigest(p.digest))) created = await resolverFrom(flags, warn);
          const session = created?.session;
          propose = async (parsed) => {
            const proposal = saved.get(canonicalReference(parsed));
            if (proposal === undefined) return { ok: false, reason: `no proposal for it in ${file}` };
            const { verified, ...rest } = proposal;
            if (!isVerifiableDigest(proposal.digest)) return { ok: false, reason: `the digest ${clip(proposal.digest)} in ${file} is not a well-formed sha256 or sha512 digest; nothing written` };
            if (verified) return { ok: true, proposal: rest };
            const outcome = await withBudget(budgetMs, budgetLabel, () => session!.resolve({ ...parsed, tag: undefined, digest: proposal.digest }, { verify: true }));
            if (!outcome.ok) return { ok: false, reason: `the digest ${proposal.digest} in ${file} was not verified by the scan, and verifying it failed: ${outcome.reason}` };
            return { ok: true, proposal: rest };
          };
        } else {
          const { createProposer } = await import('../fix/propose.js');
          created = await resolverFrom(flags, warn);
          const proposer = createProposer({
            session: created.session,
            policy,
            refresh,
            ...(flags.upgrade !== undefined ? { upgrade: flags.upgrade } : {}),
            prerelease: flags.prerelease === true,
            ...(flags.platform !== undefined ? { platform: flags.platform } : {}),
            now: Date.now(),
            onWarning: warn,
          });
          propose = (parsed) => withBudget(budgetMs, budgetLabel, () => proposer(parsed));
        }
      } catch (err) {
        if (!(err instanceof UsageError)) throw err;
        process.stderr.write(`imagedrift: ${err.message}\n`);
        process.exitCode = ExitCode.USAGE;
        created?.close();
        return;
      }
      try {
        const only = onlyFilter(flags.only);
        const report = await pinPaths(paths, {
          policy,
          now: setup.now,
          relativePath,
          ...(setup.filter !== undefined ? { filter: setup.filter } : {}),
          style: flags.style,
          keepTag: flags.keepTag === true,
          refresh,
          upgrade: flags.upgrade !== undefined,
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
