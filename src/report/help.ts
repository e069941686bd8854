// Where a rule's documentation lives: its anchor in the README (`#rule-<id>`). The README's address
// is the package's `homepage` (package.json), else its page on the npm registry, which shows the
// README; so setting `homepage` is the one change needed to point every link elsewhere.
import { readFileSync } from 'node:fs';

function readmeUrl(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { name?: string; homepage?: string };
    if (typeof pkg.homepage === 'string' && /^https?:\/\//.test(pkg.homepage)) return pkg.homepage.replace(/#.*$/, '');
    return `https://www.npmjs.com/package/${pkg.name ?? 'imagedrift'}`;
  } catch {
    return 'https://www.npmjs.com/package/imagedrift';
  }
}

export const README_URL = readmeUrl();

export function ruleHelpUri(ruleId: string): string {
  return `${README_URL}#rule-${ruleId}`;
}
