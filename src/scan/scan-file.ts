// Scans one file's text: parse, detect each document's format, extract references, judge them
// under the policy in force for the file's path (its overrides applied), then drop what inline
// suppressions and the policy's exceptions cover.
// Pure: text in, result out, so it runs the same in the main thread, a worker or a test.
import { namedKind } from '../core/file-names.js';
import type { NamedKind } from '../core/file-names.js';
import { LineIndex } from '../core/positions.js';
import type { FileResult, Finding, Format, ImageRef, TextRange } from '../core/types.js';
import { EXTRACTORS, NAMED_EXTRACTORS, TEXT_EXTRACTORS, helmTemplate, helmValues, prepareFor } from '../extractors/index.js';
import { imageName, overriddenImages } from '../extractors/kustomize.js';
import type { ExtractContext, TextExtraction } from '../extractors/index.js';
import { parseForScan, parseText } from '../parse/index.js';
import type { ParsedFile } from '../parse/tree.js';
import { findException, knownSidecarTest, normalisePath } from '../policy/match.js';
import { policyForPath } from '../policy/merge.js';
import { knownRuleIds } from '../policy/rule-ids.js';
import { suggest } from '../policy/suggest.js';
import type { Policy } from '../policy/types.js';
import { fileFinding, judge } from '../rules/engine.js';
import type { ResolvedFacts } from '../rules/engine.js';
import { companionReader, siblingReader } from '../sources/companions.js';
import type { CompanionReader, SiblingReader } from '../sources/companions.js';
import { DEFAULT_MAX_FILE_BYTES } from '../sources/files.js';
import { applySuppressions, findSuppressions, suppressionsInComments } from './suppressions.js';
import type { Suppression } from './suppressions.js';

/**
 * A key that can carry an image: `image:`, `"image":`, `Image:` (CloudFormation), a GitHub Actions
 * `container:` or `docker://` step; a file named on the command line may also be a Helm values file
 * (`repository:`, Istio's `hub:`).
 */
const IMAGE_KEY = /(^|[\s{,"'])(image|container)["']?\s*:|docker:\/\//im;
const VALUES_KEY = /(^|\s)(repository|hub)\s*:/m;
/** Kustomize's overrides. */
const IMAGES_KEY = /(^|\s)images\s*:/m;

/** Whether a text can hold a reference of its format: the others are not parsed at all. */
function mayHoldImages(named: NamedKind | undefined, text: string, onCommandLine: boolean): boolean {
  switch (named) {
    case 'dockerfile':
    case 'terraform':
    case 'terraform-json':
      return true;
    case 'kustomize':
      return IMAGES_KEY.test(text);
    case 'helm-values':
      return IMAGE_KEY.test(text) || VALUES_KEY.test(text);
    default:
      return IMAGE_KEY.test(text) || (onCommandLine && VALUES_KEY.test(text));
  }
}

/** Go/Helm template directives, which make a file a template rather than YAML. */
const GO_TEMPLATE = /\{\{-?\s*(if|range|with|define|include|template|end|else|toYaml|\/\*)/;


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

export interface ScanOptions {
  policy: Policy;
  /** Today, `YYYY-MM-DD` (`--now`): exceptions past their `expires` day no longer apply. Defaults to today's UTC date. */
  now?: string;
  /** A file's path relative to the scan root, for the policy's path globs; the path as given by default. */
  relativePath?: (path: string) => string;
  /** Registry facts (`scan --resolve`): the resolve rules run and floating-tag findings get a proposal. */
  facts?: ResolvedFacts;
  /** Files named on the command line (not found in a directory): a YAML file of any name there may be a Helm values file. */
  namedFiles?: readonly string[];
  /** The size limit for files read beside a scanned one (Chart.yaml, a `file()` target). */
  maxFileBytes?: number;
  /** Reads those files; by default from disk, with the scan's checks. */
  companions?: CompanionReader;
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
  private readonly namedFiles: ReadonlySet<string>;
  private readonly companions: CompanionReader;
  private readonly siblings: SiblingReader;

  constructor(private readonly options: ScanOptions) {
    this.now = options.now ?? today();
    this.namedFiles = new Set(options.namedFiles ?? []);
    this.companions = options.companions ?? companionReader(options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES);
    this.siblings = siblingReader(this.companions);
  }

  /**
   * What must be loaded before scan() can read `path`: the HCL parser (WebAssembly, started
   * asynchronously) for a Terraform file; undefined when nothing is missing.
   */
  prepare(path: string): Promise<void> | undefined {
    return prepareFor(namedKind(path));
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
    const named = namedKind(path);
    const onCommandLine = this.namedFiles.has(path);
    if (!mayHoldImages(named, text, onCommandLine)) return { path, refs: [], findings: [] };
    const relative = normalisePath(this.options.relativePath?.(path) ?? path);
    const policy = policyForPath(this.options.policy, relative);
    const lines = new LineIndex(text);
    const ctx: ExtractContext = {
      path,
      text,
      lines,
      isKnownSidecar: this.isKnownSidecar(policy),
      companion: (other) => this.companions(path, other),
      siblings: (suffix) => this.siblings(path, suffix),
      ...(onCommandLine ? { named: true } : {}),
    };
    const enabled = (format: Format): boolean => policy.sources[format] !== false;
    const textExtractor = named !== undefined ? TEXT_EXTRACTORS[named] : undefined;
    if (textExtractor !== undefined) {
      if (!enabled(textExtractor.format)) return { path, refs: [], findings: [], format: textExtractor.format };
      const found = textExtractor.extract(text, ctx);
      return this.finish(path, text, lines, policy, relative, textExtractor.format, found, 'comments');
    }
    const read = parseForScan(text);
    // The fast reader stopped at a template directive line where the full parser reports an error
    // (read.documents are the ones before it): a Go/Helm template; any other text is parsed in
    // full, for the error's message and position. (The fast reader cannot read a text it stopped in.)
    const stoppedAtTemplate = read.template !== undefined && GO_TEMPLATE.test(text);
    const parsed: ParsedFile = read.template === undefined || stoppedAtTemplate ? read : parseText(text, { fast: false });
    const error = parsed.error;
    // A Go/Helm template (or a file with `{{…}}` placeholders that break the syntax) is not parsed
    // as YAML: its `image:` lines are read one by one.
    if (stoppedAtTemplate || (error !== undefined && (GO_TEMPLATE.test(text) || errorLine(text, error.offset).includes('{{')))) {
      if (!enabled('helm-template')) return { path, refs: [], findings: [], format: 'helm-template' };
      return this.finish(path, text, lines, policy, relative, 'helm-template', helmTemplate.extract(text, ctx), 'yaml');
    }
    const refs: ImageRef[] = [];
    let format: Format | undefined;
    const namedExtractor = named !== undefined ? NAMED_EXTRACTORS[named] : undefined;
    for (const { root } of parsed.documents) {
      if (root === undefined) continue;
      let extractor = namedExtractor !== undefined && namedExtractor.detect(root) ? namedExtractor : EXTRACTORS.find((candidate) => candidate.detect(root));
      // A YAML file of any name named on the command line may be a values file.
      if (extractor === undefined && onCommandLine && parsed.syntax === 'yaml' && helmValues.detect(root)) extractor = helmValues;
      if (extractor === undefined) continue;
      format ??= extractor.format;
      if (enabled(extractor.format)) refs.push(...extractor.extract(root, ctx));
    }
    dedupeAliased(refs);
    // A kustomization beside a manifest it lists may replace its images' tags: those values are
    // judged at the kustomization's `images:` entry, not here.
    const overridden = format === 'kubernetes' ? overriddenImages(ctx) : undefined;
    const judged = overridden === undefined ? refs : refs.filter((ref) => ref.format !== 'kubernetes' || !overridden.has(imageName(ref.raw)));
    const errors: TextExtraction['errors'] = [];
    if (error !== undefined) errors.push({ message: `cannot parse ${parsed.syntax === 'json' ? 'JSON' : 'YAML'}: ${error.message}`, offset: error.offset });
    return this.finish(path, text, lines, policy, relative, format, { refs, errors }, parsed.syntax === 'yaml' ? 'yaml' : 'none', judged);
  }

  /** Judges what was found, adds the parse errors, then drops what suppressions and exceptions cover. */
  private finish(path: string, text: string, lines: LineIndex, policy: Policy, relative: string, format: Format | undefined, found: TextExtraction, comments: 'yaml' | 'comments' | 'none', judged: readonly ImageRef[] = found.refs): FileResult {
    const { refs } = found;
    let findings: Finding[] = judge(judged, policy, this.options.facts);
    for (const problem of found.errors) {
      const at = (problem.lines ?? lines).location(problem.path ?? path, { start: problem.offset, end: problem.offset });
      const finding = fileFinding('parse-error', policy, problem.message, at);
      if (finding !== undefined) findings.push(finding);
    }
    const result: FileResult = { path, refs, findings, ...(format !== undefined ? { format } : {}), ...(found.linked !== undefined && found.linked.length > 0 ? { linked: found.linked } : {}) };
    if (comments !== 'none') {
      const suppressions = comments === 'yaml' ? findSuppressions(text, path, lines) : suppressionsInComments(found.comments ?? ([] as TextRange[]), text, path, lines);
      // Findings in a file this one loads (a Terraform `file()` target) are not covered by its comments.
      const own = findings.filter((finding) => finding.location.path === path);
      const { kept, unused } = applySuppressions(own, suppressions);
      findings = [...kept, ...findings.filter((finding) => finding.location.path !== path)];
      for (const suppression of unused) {
        const finding = fileFinding('unused-suppression', policy, unusedMessage(suppression), suppression.location);
        if (finding !== undefined) findings.push(finding);
      }
    }
    if (policy.exceptions.length > 0) findings = findings.filter((finding) => findException(policy.exceptions, finding, relative, this.now) === undefined);
    result.findings = findings;
    // Rule ids are ASCII: compared by code unit, as the first localeCompare() starts ICU's collator (~13 ms).
    findings.sort((a, b) => (a.location.path === b.location.path ? 0 : a.location.path === path ? -1 : b.location.path === path ? 1 : a.location.path < b.location.path ? -1 : 1) || a.location.line - b.location.line || a.location.column - b.location.column || (a.ruleId < b.ruleId ? -1 : a.ruleId > b.ruleId ? 1 : 0));
    return result;
  }
}

/** The text of the line holding `offset`. */
function errorLine(text: string, offset: number): string {
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  const lineEnd = text.indexOf('\n', offset);
  return text.slice(lineStart, lineEnd === -1 ? undefined : lineEnd);
}

export type { NamedKind };
