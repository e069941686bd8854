// The contract every extractor keeps: one document tree (or, for formats that are not YAML/JSON,
// the file's text) in, image references with exact ranges out.
import type { LineIndex } from '../core/positions.js';
import type { Format, ImageRef, TextRange } from '../core/types.js';
import type { Node } from '../parse/tree.js';

/** A file read beside the scanned one. */
export interface Companion {
  path: string;
  text: string;
}

export interface ExtractContext {
  path: string;
  /** The original text (for quoting what was written where no literal exists). */
  text: string;
  lines: LineIndex;
  /** True when the image string names a known sidecar image (policy `sidecars.images`). */
  isKnownSidecar(image: string): boolean;
  /**
   * Reads a file relative to this one's directory (a chart's Chart.yaml, a kustomization's
   * resources, a Terraform `file()` target); undefined when there is none (stdin, tests).
   */
  companion?: (relative: string) => Companion | undefined;
  /** The other files of this file's directory whose names end with `suffix` (a Terraform module's `.tf` files). */
  siblings?: (suffix: string) => Companion[];
  /** The file was named on the command line (so a YAML file of any name may be a Helm values file). */
  named?: boolean;
}

export interface Extractor {
  format: Format;
  /** Whether the document is of this format (by content, never by file name). */
  detect(root: Node): boolean;
  extract(root: Node, ctx: ExtractContext): ImageRef[];
}

/** What a text extractor (Dockerfile, Terraform, Go template) found in one file. */
export interface TextExtraction {
  refs: ImageRef[];
  /** Where the file (or a file it loads) could not be parsed. */
  errors: Array<{ message: string; offset: number; path?: string; lines?: LineIndex }>;
  /** The `#` comments the parser saw (for inline suppressions), each from `#` to its line's end. */
  comments?: TextRange[];
  /** Other files whose references are reported here (a Terraform `file()` target), as read. */
  linked?: string[];
}

export interface TextExtractor {
  format: Format;
  extract(text: string, ctx: ExtractContext): TextExtraction;
}
