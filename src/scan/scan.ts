// Runs a scan over inputs: files from src/sources (filtered by the policy's `paths`), each scanned
// by the pure FileScanner, gathered into one ScanResult that every reporter reads, with the
// findings about the policy itself (expired exceptions) at the end.
import { statSync } from 'node:fs';
import { basename, isAbsolute, relative, resolve, sep } from 'node:path';
import type { FileResult, Finding, FindingList, ScanResult, Severity, Skipped, Summary } from '../core/types.js';
import { POLICY_FILE_NAMES } from '../policy/load.js';
import { isExpired, pathFilter } from '../policy/match.js';
import type { Exception, Policy } from '../policy/types.js';
import { expiredExceptionMessage } from '../rules/expired-exception.js';
import { fileFinding } from '../rules/engine.js';
import { DEFAULT_MAX_FILE_BYTES, pendingSources } from '../sources/files.js';
import type { SourceOptions } from '../sources/files.js';
import { FindingStore } from './finding-store.js';
import { FileScanner, today } from './scan-file.js';
import type { ScanOptions } from './scan-file.js';
import { scanInOrder } from './workers.js';

export interface RunOptions extends ScanOptions, SourceOptions {
  /** Called for each file scanned (progress, streaming reporters). */
  onFile?: (result: FileResult) => void;
  /** The scan root (the repository root): the policy's path globs are relative to it. Defaults to the working directory. */
  root?: string;
  /** Findings held in memory before the rest wait in a temporary file (src/scan/finding-store.ts). */
  spillLimit?: number;
  /** Worker threads that read and scan files besides this one (0: none); by default one per further core, started once a scan proves large (src/scan/workers.ts). */
  workers?: number;
}

/** Whether path.relative()'s answer leaves the root (`..`, `../x`; not a name such as `..x`). */
function outside(rel: string): boolean {
  return rel === '..' || rel.startsWith(`..${sep}`) || rel.startsWith('../') || isAbsolute(rel);
}

/** A path relative to `root`, with `/` separators; absolute when it lies outside `root`. */
export function relativeTo(root: string, path: string): string {
  if (path === '<stdin>') return path;
  const absolute = resolve(path);
  const rel = relative(root, absolute);
  if (rel === '' || outside(rel)) return absolute.split('\\').join('/');
  return rel.split('\\').join('/');
}

/**
 * relativeTo(root, ·), worked out once per directory: a file's relative path is its directory's
 * and its name. (path.resolve() and path.relative() normalise the whole path character by
 * character, twice per file in a scan: ~8 ms for the 345 files of the corpus before V8 optimises
 * them.) Names that path.resolve() would change (`.`, `..`, empty) take the long way.
 */
export function relativePaths(root: string): (path: string) => string {
  const directories = new Map<string, string>();
  return (path) => {
    const cut = Math.max(path.lastIndexOf('/'), path.lastIndexOf(sep));
    const name = path.slice(cut + 1);
    if (cut <= 0 || name === '' || name === '.' || name === '..' || path === '<stdin>') return relativeTo(root, path);
    // With its separator: a drive's root (`C:\`) resolves to itself, where `C:` would be the drive's working directory.
    const dir = path.slice(0, cut + 1);
    let prefix = directories.get(dir);
    if (prefix === undefined) {
      // As relativeTo() does for a file in it, but the root itself is '' rather than absolute.
      const absolute = resolve(dir);
      const rel = relative(root, absolute);
      prefix = rel === '' ? '' : (outside(rel) ? absolute : rel).split('\\').join('/');
      if (prefix !== '' && !prefix.endsWith('/')) prefix += '/';
      directories.set(dir, prefix);
    }
    return prefix + name.split('\\').join('/');
  };
}

/** A Terraform file's result without what it found in files already reported on their own; records the others. */
function withoutLinkedSeen(result: FileResult, scannedAlone: ReadonlySet<string>, linkedDone: Set<string>, summary: Summary): FileResult {
  const seen = new Set<string>();
  for (const path of result.linked ?? []) {
    const absolute = resolve(path);
    if (scannedAlone.has(absolute)) seen.add(path);
    else if (!linkedDone.has(absolute)) {
      // Read and judged with the file that loads it: scanned, once.
      linkedDone.add(absolute);
      summary.filesScanned += 1;
    }
  }
  if (seen.size === 0) return result;
  return { ...result, refs: result.refs.filter((ref) => !seen.has(ref.location.path)), findings: result.findings.filter((finding) => !seen.has(finding.location.path)) };
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** Every exception the policy holds, its overrides' included, once each. */
export function allExceptions(policy: Policy): Exception[] {
  const all = new Set<Exception>(policy.exceptions);
  for (const override of policy.overrides) for (const layer of override.layers) for (const exception of layer.exceptions) all.add(exception);
  return [...all];
}

/** An `expired-exception` finding, at its place in the policy file, for each exception past its date. */
export function expiredExceptionFindings(policy: Policy, now: string): Finding[] {
  const findings: Finding[] = [];
  for (const exception of allExceptions(policy)) {
    if (!isExpired(exception, now)) continue;
    const finding = fileFinding('expired-exception', policy, expiredExceptionMessage(exception), exception.location);
    if (finding !== undefined) findings.push(finding);
  }
  return findings;
}

export function emptySummary(): Summary {
  return { filesScanned: 0, filesSkipped: 0, refsFound: 0, bySeverity: { error: 0, warning: 0, note: 0 }, byRule: {} };
}

/** Adds findings to a summary's counts. */
export function countFindings(findings: Iterable<Finding>, summary: Summary): void {
  for (const finding of findings) {
    summary.bySeverity[finding.severity] += 1;
    summary.byRule[finding.ruleId] = (summary.byRule[finding.ruleId] ?? 0) + 1;
  }
}

export function summarise(findings: Iterable<Finding>, summary: Summary): Summary {
  const counted: Summary = { ...summary, bySeverity: { error: 0, warning: 0, note: 0 } satisfies Record<Severity, number>, byRule: {} };
  countFindings(findings, counted);
  return counted;
}

/** Frees the temporary file behind a scan's findings, when the run no longer needs them. */
export function releaseFindings(findings: FindingList): void {
  FindingStore.release(findings);
}

export async function scanPaths(paths: readonly string[], options: RunOptions): Promise<ScanResult> {
  const root = resolve(options.root ?? process.cwd());
  const now = options.now ?? today();
  const relativePath = options.relativePath ?? relativePaths(root);
  // Files named on the command line (not found in a directory): a YAML file of any name there may be a Helm values file.
  const namedFiles = options.namedFiles ?? paths.filter((path) => path !== '-' && isFile(path));
  const scanner = new FileScanner({ ...options, now, relativePath, namedFiles });
  const allowed = pathFilter(options.policy);
  const outer = options.filter;
  // A policy file is configuration, never a manifest: it is not scanned (or counted) as one.
  const filter = (path: string) => !POLICY_FILE_NAMES.includes(basename(path) as (typeof POLICY_FILE_NAMES)[number]) && allowed(relativePath(path)) && (outer === undefined || outer(path));
  // Held in memory up to a bound, then in a temporary file: a huge scan's findings never sit in memory all at once.
  const findings = new FindingStore(options.spillLimit);
  const skipped: Skipped[] = [];
  const errors: string[] = [];
  const summary = emptySummary();
  const items = pendingSources(paths, { ...options, filter });
  const maxFileBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  const linkedDone = new Set<string>();
  const scannedAlone = new Set<string>();
  for await (const item of scanInOrder(items, { scanner, workers: options.workers, scanOptions: { ...options, now, namedFiles }, maxFileBytes, relativePath })) {
    if (item.kind === 'error') {
      errors.push(item.message);
      continue;
    }
    if (item.kind === 'skipped') {
      skipped.push({ path: item.path, reason: item.reason });
      continue;
    }
    let { result } = item;
    // A file a Terraform `file()` reads is reported with the resource that reads it, once: not
    // again when the walk reaches it (the walk takes a directory's `.tf` files first), and not by
    // the Terraform file when the walk reached it before. It counts as scanned once.
    const absolute = resolve(result.path);
    if (linkedDone.has(absolute)) continue;
    summary.filesScanned += 1;
    if (result.linked !== undefined) result = withoutLinkedSeen(result, scannedAlone, linkedDone, summary);
    if (result.refs.length > 0 && result.linked === undefined) scannedAlone.add(absolute);
    summary.refsFound += result.refs.length;
    findings.pushAll(result.findings);
    countFindings(result.findings, summary);
    if (result.skipped !== undefined) skipped.push(result.skipped);
    options.onFile?.(result);
  }
  const expired = expiredExceptionFindings(options.policy, now);
  findings.pushAll(expired);
  countFindings(expired, summary);
  summary.filesSkipped = skipped.length;
  return { findings: findings.result(), skipped, errors, summary };
}
