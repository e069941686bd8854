// The contract every extractor keeps: one document tree in, image references with exact ranges out.
import type { LineIndex } from '../core/positions.js';
import type { Format, ImageRef } from '../core/types.js';
import type { Node } from '../parse/tree.js';

export interface ExtractContext {
  path: string;
  /** The original text (for quoting what was written where no literal exists). */
  text: string;
  lines: LineIndex;
  /** True when the image string names a known sidecar image (policy `sidecars.images`). */
  isKnownSidecar(image: string): boolean;
}

export interface Extractor {
  format: Format;
  /** Whether the document is of this format (by content, never by file name). */
  detect(root: Node): boolean;
  extract(root: Node, ctx: ExtractContext): ImageRef[];
}
