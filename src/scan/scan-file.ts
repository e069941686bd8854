// Scans one file's text: parse, detect each document's format, extract references, judge them
// under the policy in force for the file's path (its overrides applied), then drop what inline
// suppressions and the policy's exceptions cover.
// Pure: text in, result out, so it runs the same in the main thread, a worker or a test.
import { LineIndex } from '../core/positions.js';
import type { FileResult, Finding, Format, ImageRef } from '../core/types.js';
import { EXTRACTORS } from '../extractors/index.js';
import type { ExtractContext } from '../extractors/index.js';
import { parseForScan, parseText } from '../parse/index.js';
import { documentsBeforeError, syntaxErrors } from '../parse/tree.js';
import type { DuplicateKey, ParsedFile } from '../parse/tree.js';
import { findException, knownSidecarTest, normalisePath } from '../policy/match.js';
import { policyForPath } from '../policy/merge.js';
import { knownRuleIds } from '../policy/rule-ids.js';
import { suggest } from '../policy/suggest.js';
import type { Policy } from '../policy/types.js';
import { fileFinding, judge } from '../rules/engine.js';
import type { ResolvedFacts } from '../rules/engine.js';
import { applySuppressions, findSuppressions } from './suppressions.js';
import type { Suppression } from './suppressions.js';

/** A key that can carry an image: `image:`, `"image":`, `Image:` (CloudFormation). */
const IMAGE_KEY = /(^|[\s{,"'])image["']?\s*:/im;
/** Go/Helm template directives, which make a file a template rather than YAML. */
const GO_TEMPLATE = /\{\{-?\s*(if|range|with|define|include|template|end|else|toYaml|\/\*)/;

const GO_TEMPLATE_SKIP = 'a Go/Helm template, not plain YAML: scan the rendered output (helm template … | imagedrift scan -)';

/**
 * A YAML alias that repeats a whole workload yields its references again at the anchor's range:
 * the same text, the same container, so one finding is enough.
 */
function dedupeAliased(refs: ImageRef[]): void {
  const seen = new Set<string>();
  let kept = 0;
  for (const ref of refs) {
    const key = `${ref.range.start}:${ref.range.end}:${ref.workload.kind}:${ref.workload.name ?? ''}:${ref.container.name ?? ''}`;
    if (seen.has(key)) continue;
    seen.add(key);
    refs[kept++] = ref;
  }
  refs.length = kept;
}

/** A duplicate-key finding's message, at the key whose value is kept. */
function duplicateMessage(duplicate: DuplicateKey, lines: LineIndex): string {
  const first = lines.position(duplicate.shadowedRange.start);
  const key = duplicate.key.length > 60 ? `${duplicate.key.slice(0, 59)}…` : duplicate.key;
  return `Key \`${key}\` is given twice in this mapping (also at line ${first.line}): the last value is the one used, the one at line ${first.line} is ignored; remove one`;
}

export interface ScanOptions {
  policy: Policy;
  /** Today, `YYYY-MM-DD` (`--now`): exceptions past their `expires` day no longer apply. Defaults to today's UTC date. */
  now?: string;
  /** A file's path relative to the scan root, for the policy's path globs; the path as given by default. */
  relativePath?: (path: string) => string;
  /** Registry facts (`scan --resolve`): the resolve rules run and floating-tag findings get a proposal. */
  facts?: ResolvedFacts;
}

/** Today's date in UTC, `YYYY-MM-DD`. */
export function today(): string {
  return new Date().toISOString().slice(0, 10);
}

function unusedMessage(suppression: Suppression): string {
  const known = knownRuleIds();
  const unknown = suppression.rules.filter((id) => !known.includes(id));
  if (unknown.length > 0) {
    const guess = unknown.length === 1 ? suggest(unknown[0] ?? '', known) : undefined;
    return `Suppression names ${unknown.map((id) => `\`${id}\``).join(', ')}, which ${unknown.length === 1 ? 'is not a rule id' : 'are not rule ids'}${guess !== undefined ? ` (did you mean \`${guess}\`?)` : ''}`;
  }
  const names = suppression.rules.length === 0 ? 'every rule' : suppression.rules.map((id) => `\`${id}\``).join(', ');
  const where = suppression.lines.length > 1 ? 'on this line or the next' : 'on this line';
  return `Suppression of ${names} matches no finding ${where}: remove it`;
}

export class FileScanner {
  private readonly sidecarTests = new Map<Policy, (image: string) => boolean>();
  private readonly now: string;

  constructor(private readonly options: ScanOptions) {
    this.now = options.now ?? today();
  }

  private isKnownSidecar(policy: Policy): (image: string) => boolean {
    let test = this.sidecarTests.get(policy);
    if (test === undefined) {
      test = knownSidecarTest(policy);
      this.sidecarTests.set(policy, test);
    }
    return test;
  }

  scan(path: string, text: string): FileResult {
    if (!IMAGE_KEY.test(text)) return { path, refs: [], findings: [] };
    const relative = normalisePath(this.options.relativePath?.(path) ?? path);
    const policy = policyForPath(this.options.policy, relative);
    const read = parseForScan(text);
    // The fast reader stopped at a template directive line where the full parser reports an error
    // (read.documents are the ones before it): for a Go/Helm template that is all the skip below
    // needs; any other text is parsed in full, for the error's message and position.
    const stoppedAtTemplate = read.template !== undefined && GO_TEMPLATE.test(text);
    // (The fast reader cannot read a text it stopped in: the full parser, directly.)
    const parsed: ParsedFile = read.template === undefined || stoppedAtTemplate ? read : parseText(text, { fast: false });
    const errors = syntaxErrors(parsed);
    // A Go/Helm template is skipped; the documents before its first broken one are still judged
    // (those the fast reader's stop gives).
    const template = stoppedAtTemplate || (errors.length > 0 && GO_TEMPLATE.test(text));
    const documents = template ? documentsBeforeError(parsed) : parsed.documents;
    const lines = new LineIndex(text);
    const ctx: ExtractContext = { path, text, lines, isKnownSidecar: this.isKnownSidecar(policy) };
    const refs: ImageRef[] = [];
    const duplicates: DuplicateKey[] = [];
    let format: Format | undefined;
    for (const { root, duplicateKeys } of documents) {
      if (root === undefined) continue;
      const extractor = EXTRACTORS.find((candidate) => candidate.detect(root));
      if (extractor === undefined) continue;
      format ??= extractor.format;
      // One at a time: a file may hold more references than a call takes arguments.
      for (const ref of extractor.extract(root, ctx)) refs.push(ref);
      if (duplicateKeys !== undefined) for (const duplicate of duplicateKeys) duplicates.push(duplicate);
    }
    dedupeAliased(refs);
    let findings: Finding[] = judge(refs, policy, this.options.facts);
    for (const duplicate of duplicates) {
      const finding = fileFinding('duplicate-key', policy, duplicateMessage(duplicate, lines), lines.location(path, duplicate.keyRange));
      if (finding !== undefined) findings.push(finding);
    }
    const result: FileResult = { path, refs, findings, ...(format !== undefined ? { format } : {}) };
    const first = errors[0];
    if (template) {
      result.skipped = { path, reason: GO_TEMPLATE_SKIP };
    } else if (first !== undefined) {
      const lineStart = text.lastIndexOf('\n', first.offset - 1) + 1;
      const lineEnd = text.indexOf('\n', first.offset);
      const errorLine = text.slice(lineStart, lineEnd === -1 ? undefined : lineEnd);
      if (errorLine.includes('{{')) {
        const where = lines.position(first.offset);
        const partly = refs.length > 0 ? `only the ${refs.length} image reference(s) around them were checked` : 'nothing in it was checked';
        result.skipped = { path, reason: `a template with {{…}} placeholders (line ${where.line}), not plain ${parsed.syntax === 'json' ? 'JSON' : 'YAML'}: ${partly}; scan the rendered output` };
      } else {
        // Each broken document is reported; the others were judged above.
        for (const error of errors) {
          const at = lines.location(path, { start: error.offset, end: error.offset });
          const finding = fileFinding('parse-error', policy, `cannot parse ${parsed.syntax === 'json' ? 'JSON' : 'YAML'}: ${error.message}`, at);
          if (finding !== undefined) findings.push(finding);
        }
      }
    }
    if (parsed.syntax === 'yaml') {
      const { kept, unused } = applySuppressions(findings, findSuppressions(text, path, lines));
      findings = kept;
      for (const suppression of unused) {
        const finding = fileFinding('unused-suppression', policy, unusedMessage(suppression), suppression.location);
        if (finding !== undefined) findings.push(finding);
      }
    }
    if (policy.exceptions.length > 0) findings = findings.filter((finding) => findException(policy.exceptions, finding, relative, this.now) === undefined);
    result.findings = findings;
    // Rule ids are ASCII: compared by code unit, as the first localeCompare() starts ICU's collator (~13 ms).
    findings.sort((a, b) => a.location.line - b.location.line || a.location.column - b.location.column || (a.ruleId < b.ruleId ? -1 : a.ruleId > b.ruleId ? 1 : 0));
    return result;
  }
}
