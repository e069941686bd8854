// A result compared with a baseline (`--baseline FILE`, `imagedrift diff OLD NEW`): each finding is
// `new` or `existing` by its identity (src/core/identity.ts), an existing one whose severity or
// message changed carries the baseline's (`previous`), the baseline's findings that are gone are
// `fixed`, and when both sides are live audits with an inventory, the deploy-level changes
// (src/baseline/drift.ts). Memory: a map of the baseline's identities, never both lists whole.
import { FindingIdentities, identityOf } from '../core/identity.js';
import type { BaselineComparison } from '../core/inventory.js';
import type { Finding, FindingList, ScanResult, Severity } from '../core/types.js';
import { FLEET_READ_CHUNK, FLEET_SPILL_LIMIT } from '../audit/snapshot-file.js';
import { FindingStore } from '../scan/finding-store.js';
import { deployChanges } from './drift.js';
import type { ReadResult } from './read.js';

/**
 * `result` marked against `baseline`. The returned result's findings are read lazily (each pass
 * attaches identity, state and previous), so a spilled list stays spilled.
 */
export function compareWithBaseline(result: ScanResult, baseline: ReadResult, options: { relativePath?: (path: string) => string; label?: string } = {}): ScanResult {
  // Per identity of the baseline, a number: its severity and a hash of its message (a fleet's
  // baseline has 100,000 findings: their messages are read again only for those that changed).
  const before = new Map<string, number>();
  for (const finding of baseline.result.findings) if (finding.identity !== undefined) before.set(finding.identity, stamp(finding));

  // A baseline identity seen now has its stamp made negative: no second set of 100,000 identities.
  const changedIds = new Set<string>();
  const newBySeverity: Record<Severity, number> = { error: 0, warning: 0, note: 0 };
  let fresh = 0;
  let existing = 0;
  const identities = new FindingIdentities(options.relativePath);
  for (const finding of result.findings) {
    const identity = identityOf(finding, identities);
    const was = before.get(identity);
    if (was === undefined) {
      fresh += 1;
      newBySeverity[finding.severity] += 1;
    } else {
      existing += 1;
      const then = was < 0 ? -was : was;
      if (was > 0) before.set(identity, -was);
      if (then !== stamp(finding)) changedIds.add(identity);
    }
  }
  // The gone ones, and what the changed ones said before.
  const fixed = new FindingStore(FLEET_SPILL_LIMIT, FLEET_READ_CHUNK);
  const previous = new Map<string, { severity: Severity; message: string }>();
  for (const finding of baseline.result.findings) {
    if (finding.identity === undefined) continue;
    if ((before.get(finding.identity) ?? 0) > 0) fixed.push(finding);
    else if (changedIds.has(finding.identity)) previous.set(finding.identity, { severity: finding.severity, message: finding.message });
  }
  const changed = changedIds.size;

  const source = result.findings;
  const marked: FindingList = {
    length: source.length,
    *[Symbol.iterator]() {
      const ids = new FindingIdentities(options.relativePath);
      for (const finding of source) {
        const identity = identityOf(finding, ids);
        const out: Finding = { ...finding, identity, baseline: before.has(identity) ? 'existing' : 'new' };
        const was = previous.get(identity);
        if (was !== undefined) out.previous = was;
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

const SEVERITY_CODE: Record<Severity, number> = { error: 1, warning: 2, note: 3 };

/** A finding's severity and a 32-bit FNV-1a hash of its message, as one number. */
function stamp(finding: Finding): number {
  let hash = 0x811c9dc5;
  const message = finding.message;
  for (let i = 0; i < message.length; i++) {
    hash ^= message.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return SEVERITY_CODE[finding.severity] * 2 ** 32 + (hash >>> 0);
}

/** The result's counts as `--new-only` sees them: only new findings count toward `--fail-on`. */
export function newOnlySummary(result: ScanResult): ScanResult['summary'] {
  const b = result.baseline;
  if (b === undefined) return result.summary;
  return { ...result.summary, bySeverity: { ...b.newBySeverity } };
}
