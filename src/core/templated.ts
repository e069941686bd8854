// Values that are not image references yet: templates and placeholders a tool or a person fills in
// later. Such a value gets an `unresolvable-reference` note, never a floating-tag error.
import type { Format } from './types.js';

const PATTERNS: ReadonlyArray<[RegExp, string]> = [
  [/\{\{.*?\}\}/s, 'a template expression `{{ … }}`'],
  [/\$\{[^}]*\}/, 'a variable `${…}`'],
  [/\$\(?[A-Za-z_][A-Za-z0-9_]*/, 'a shell variable `$VAR`'],
  [/<[^<>]+>/, 'a placeholder `<…>`'],
  // `%VAR%` (Windows, Azure Pipelines) and `%{VAR}`; a lone `%eth0` (an IPv6 zone) is not one.
  [/%[A-Za-z_][A-Za-z0-9_]*%|%\{[A-Za-z_][A-Za-z0-9_]*\}/, 'a placeholder `%…%`'],
];

/** Why `raw` is a template or placeholder rather than a reference, or undefined when it is literal. */
export function templateReason(raw: string): string | undefined {
  for (const [pattern, reason] of PATTERNS) if (pattern.test(raw)) return `contains ${reason}`;
  return undefined;
}

/**
 * Why an image is a value an admission webhook replaces when the pod is created, or undefined:
 * Istio's gateway injection (`inject.istio.io/templates: gateway`) asks for `image: auto`, and
 * istiod writes the proxy image of the installed Istio in its place.
 */
export function admissionPlaceholder(raw: string, format: Format): string | undefined {
  if (format === 'kubernetes' && raw === 'auto') return "`auto` is Istio's gateway injection placeholder: istiod replaces it with the proxy image when the pod is created (check the image of the Istio installation instead)";
  return undefined;
}
