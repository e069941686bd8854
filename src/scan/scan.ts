// Runs a scan over inputs: files from src/sources, each scanned by the pure FileScanner,
// gathered into one ScanResult that every reporter reads.
import type { FileResult, Finding, ScanResult, Severity, Skipped, Summary } from '../core/types.js';
import { sources } from '../sources/files.js';
import type { SourceOptions } from '../sources/files.js';
import { FileScanner } from './scan-file.js';
import type { ScanOptions } from './scan-file.js';

export interface RunOptions extends ScanOptions, SourceOptions {
  /** Called for each file scanned (progress, streaming reporters). */
  onFile?: (result: FileResult) => void;
}

export function emptySummary(): Summary {
  return { filesScanned: 0, filesSkipped: 0, refsFound: 0, bySeverity: { error: 0, warning: 0, note: 0 }, byRule: {} };
}

export function summarise(findings: readonly Finding[], summary: Summary): Summary {
  const bySeverity: Record<Severity, number> = { error: 0, warning: 0, note: 0 };
  const byRule: Record<string, number> = {};
  for (const finding of findings) {
    bySeverity[finding.severity] += 1;
    byRule[finding.ruleId] = (byRule[finding.ruleId] ?? 0) + 1;
  }
  return { ...summary, bySeverity, byRule };
}

export async function scanPaths(paths: readonly string[], options: RunOptions): Promise<ScanResult> {
  const scanner = new FileScanner(options);
  const findings: Finding[] = [];
  const skipped: Skipped[] = [];
  const errors: string[] = [];
  const summary = emptySummary();
  for await (const item of sources(paths, options)) {
    if (item.kind === 'error') {
      errors.push(item.message);
      continue;
    }
    if (item.kind === 'skipped') {
      skipped.push({ path: item.path, reason: item.reason });
      continue;
    }
    const result = scanner.scan(item.path, item.text);
    summary.filesScanned += 1;
    summary.refsFound += result.refs.length;
    findings.push(...result.findings);
    if (result.skipped !== undefined) skipped.push(result.skipped);
    options.onFile?.(result);
  }
  summary.filesSkipped = skipped.length;
  return { findings, skipped, errors, summary: summarise(findings, summary) };
}
