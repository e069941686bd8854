// The files below a directory whose names match a pattern, for tests that run over fixtures, the
// synthetic repository or ../shared/corpus.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

export function filesUnder(dir: string, name: RegExp, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) filesUnder(path, name, out);
    else if (name.test(entry.name)) out.push(path);
  }
  return out;
}
