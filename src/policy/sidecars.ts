// Known-sidecar image matching: globs from the policy on the canonical `registry/repository`.
import picomatch from 'picomatch';

export type ImageMatcher = (canonicalName: string) => boolean;

export function imageMatcher(patterns: readonly string[]): ImageMatcher {
  if (patterns.length === 0) return () => false;
  const match = picomatch(patterns as string[], { dot: true, nocase: false });
  return (canonicalName) => match(canonicalName);
}
