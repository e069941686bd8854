// A result compared with a baseline (`--baseline FILE`, `imagedrift diff OLD NEW`): each finding is
// `new` or `existing` by its identity (src/core/identity.ts), an existing one whose severity or
// message changed carries the baseline's (`previous`), the baseline's findings that are gone are
// `fixed`, and when both sides are live audits with an inventory, the deploy-level changes
// (src/baseline/drift.ts). Memory: a map of the baseline's identities, never both lists whole.
import { FindingIdentities, identityOf } from '../core/identity.js';
import type { BaselineComparison } from '../core/inventory.js';
import type { Finding, FindingList, ScanResult, Severity } from '../core/types.js';
import { FindingStore } from '../scan/finding-store.js';
import { deployChanges } from './drift.js';
import type { ReadResult } from './read.js';

/**
 * `result` marked against `baseline`. The returned result's findings are read lazily (each pass
 * attaches identity, state and previous), so a spilled list stays spilled.
 */
export function compareWithBaseline(result: ScanResult, baseline: ReadResult, options: { relativePath?: (path: string) => string; label?: string } = {}): ScanResult {
  const before = new Map<string, { severity: Severity; message: string }>();
  for (const finding of baseline.result.findings) if (finding.identity !== undefined) before.set(finding.identity, { severity: finding.severity, message: finding.message });

  const present = new Set<string>();
  const newBySeverity: Record<Severity, number> = { error: 0, warning: 0, note: 0 };
  let fresh = 0;
  let existing = 0;
  let changed = 0;
  const identities = new FindingIdentities(options.relativePath);
  for (const finding of result.findings) {
    const identity = identityOf(finding, identities);
    present.add(identity);
    const was = before.get(identity);
    if (was === undefined) {
      fresh += 1;
      newBySeverity[finding.severity] += 1;
    } else {
      existing += 1;
      if (was.severity !== finding.severity || was.message !== finding.message) changed += 1;
    }
  }
  const fixed = new FindingStore();
  for (const finding of baseline.result.findings) if (finding.identity !== undefined && !present.has(finding.identity)) fixed.push(finding);

  const source = result.findings;
  const marked: FindingList = {
    length: source.length,
    *[Symbol.iterator]() {
      const ids = new FindingIdentities(options.relativePath);
      for (const finding of source) {
        const identity = identityOf(finding, ids);
        const was = before.get(identity);
        const out: Finding = { ...finding, identity, baseline: was === undefined ? 'new' : 'existing' };
        if (was !== undefined && (was.severity !== finding.severity || was.message !== finding.message)) out.previous = was;
        else delete out.previous;
        yield out;
      }
    },
  };
  const beforeInventory = baseline.result.live?.inventory;
  const afterInventory = result.live?.inventory;
  const comparison: BaselineComparison = {
    file: options.label ?? baseline.file,
    ...(baseline.asOf !== undefined ? { asOf: baseline.asOf } : {}),
    new: fresh,
    existing,
    changed,
    newBySeverity,
    fixed: fixed.result(),
    ...(beforeInventory !== undefined && afterInventory !== undefined ? { deploys: deployChanges(beforeInventory, afterInventory) } : {}),
  };
  return { ...result, findings: marked, baseline: comparison };
}

/** The result's counts as `--new-only` sees them: only new findings count toward `--fail-on`. */
export function newOnlySummary(result: ScanResult): ScanResult['summary'] {
  const b = result.baseline;
  if (b === undefined) return result.summary;
  return { ...result.summary, bySeverity: { ...b.newBySeverity } };
}
