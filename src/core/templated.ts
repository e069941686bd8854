// Values that are not image references yet: templates and placeholders a tool or a person fills in
// later. Such a value gets an `unresolvable-reference` note, never a floating-tag error.

const PATTERNS: ReadonlyArray<[RegExp, string]> = [
  [/\{\{.*?\}\}/s, 'a template expression `{{ … }}`'],
  [/\$\{[^}]*\}/, 'a variable `${…}`'],
  [/\$\(?[A-Za-z_][A-Za-z0-9_]*/, 'a shell variable `$VAR`'],
  [/<[^<>]+>/, 'a placeholder `<…>`'],
  [/%\{?[A-Za-z_][A-Za-z0-9_]*\}?%?/, 'a placeholder `%…%`'],
];

/** Why `raw` is a template or placeholder rather than a reference, or undefined when it is literal. */
export function templateReason(raw: string): string | undefined {
  for (const [pattern, reason] of PATTERNS) if (pattern.test(raw)) return `contains ${reason}`;
  return undefined;
}
