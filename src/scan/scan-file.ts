// Scans one file's text: parse, detect each document's format, extract references, judge them.
// Pure: text in, result out, so it runs the same in the main thread, a worker or a test.
import { canonicalName, parseReference } from '../core/parse-reference.js';
import { LineIndex } from '../core/positions.js';
import type { FileResult, Finding, Format, ImageRef } from '../core/types.js';
import { EXTRACTORS } from '../extractors/index.js';
import type { ExtractContext } from '../extractors/index.js';
import { parseText } from '../parse/index.js';
import { imageMatcher } from '../policy/sidecars.js';
import type { Policy } from '../policy/types.js';
import { fileFinding, judge } from '../rules/engine.js';

/** A key that can carry an image: `image:`, `"image":`, `Image:` (CloudFormation). */
const IMAGE_KEY = /(^|[\s{,"'])image["']?\s*:/im;
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
}

export class FileScanner {
  private readonly isKnownSidecar: (image: string) => boolean;

  constructor(private readonly options: ScanOptions) {
    const matches = imageMatcher(options.policy.sidecarImages);
    const cache = new Map<string, boolean>();
    this.isKnownSidecar = (image) => {
      let known = cache.get(image);
      if (known === undefined) {
        const outcome = parseReference(image);
        known = outcome.ok && matches(canonicalName(outcome.ref));
        cache.set(image, known);
      }
      return known;
    };
  }

  scan(path: string, text: string): FileResult {
    if (!IMAGE_KEY.test(text)) return { path, refs: [], findings: [] };
    const parsed = parseText(text);
    const lines = new LineIndex(text);
    const ctx: ExtractContext = { path, text, lines, isKnownSidecar: this.isKnownSidecar };
    const refs: ImageRef[] = [];
    let format: Format | undefined;
    for (const { root } of parsed.documents) {
      if (root === undefined) continue;
      const extractor = EXTRACTORS.find((candidate) => candidate.detect(root));
      if (extractor === undefined) continue;
      format ??= extractor.format;
      refs.push(...extractor.extract(root, ctx));
    }
    dedupeAliased(refs);
    const findings: Finding[] = judge(refs, this.options.policy);
    const result: FileResult = { path, refs, findings, ...(format !== undefined ? { format } : {}) };
    if (parsed.error !== undefined) {
      const lineStart = text.lastIndexOf('\n', parsed.error.offset - 1) + 1;
      const lineEnd = text.indexOf('\n', parsed.error.offset);
      const errorLine = text.slice(lineStart, lineEnd === -1 ? undefined : lineEnd);
      if (GO_TEMPLATE.test(text)) {
        result.skipped = { path, reason: 'a Go/Helm template, not plain YAML: scan the rendered output (helm template … | imagedrift scan -)' };
      } else if (errorLine.includes('{{')) {
        const where = lines.position(parsed.error.offset);
        const partly = refs.length > 0 ? `only the ${refs.length} image reference(s) around them were checked` : 'nothing in it was checked';
        result.skipped = { path, reason: `a template with {{…}} placeholders (line ${where.line}), not plain ${parsed.syntax === 'json' ? 'JSON' : 'YAML'}: ${partly}; scan the rendered output` };
      } else {
        const at = lines.location(path, { start: parsed.error.offset, end: parsed.error.offset });
        const finding = fileFinding('parse-error', this.options.policy, `cannot parse ${parsed.syntax === 'json' ? 'JSON' : 'YAML'}: ${parsed.error.message}`, at);
        if (finding !== undefined) findings.push(finding);
      }
    }
    findings.sort((a, b) => a.location.line - b.location.line || a.location.column - b.location.column || a.ruleId.localeCompare(b.ruleId));
    return result;
  }
}
