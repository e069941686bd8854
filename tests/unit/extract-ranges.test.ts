// Every literal reference's range must slice exactly its image string out of the original text,
// in every golden fixture and in the odd encodings (BOM, CRLF, JSON escapes, astral characters).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadHcl } from '../../src/parse/hcl.js';
import { loadDefaultPolicy } from '../../src/policy/load.js';
import { FileScanner } from '../../src/scan/scan-file.js';

const scanner = new FileScanner({ policy: loadDefaultPolicy() });
const golden = join(import.meta.dirname, '..', 'golden');
const files = readdirSync(golden, { recursive: true, withFileTypes: true })
  .filter((entry) => entry.isFile() && entry.name !== 'expected.txt')
  .map((entry) => join(entry.parentPath, entry.name));

function unescapeJson(raw: string): string {
  return JSON.parse(`"${raw}"`) as string;
}

describe('reference ranges', () => {
  beforeAll(loadHcl);
  it.each(files)('%s: ranges slice the image strings', (file) => {
    const text = readFileSync(file, 'utf8');
    const result = scanner.scan(file, text);
    for (const ref of result.refs) {
      // A reference built from parts (Helm `repository` + `tag`, Kustomize `newName` + `newTag`) has no one string.
      // A reference reported in another file (a Terraform variable default in variables.tf) is checked with that file.
      if (ref.unresolvable !== undefined || ref.pin !== undefined || ref.location.path !== file) continue;
      const slice = text.slice(ref.range.start, ref.range.end);
      if (ref.noRewrite !== undefined) {
        // A CloudFormation !Sub with parameters: judged at the substituted value, placed at the string as written.
        expect(slice).toMatch(/\$\{[^}]+\}/);
        expect(ref.raw).not.toBe(slice);
        continue;
      }
      expect(ref.style === 'json' ? unescapeJson(slice) : slice).toBe(ref.raw);
      // line/column agree with the offset
      const before = text.slice(0, ref.range.start).split('\n');
      expect(ref.location.line).toBe(before.length);
      expect(ref.location.column).toBe((before.at(-1) ?? '').length + 1);
    }
  });

  it('keeps positions right after a BOM, with CRLF line ends and astral characters', () => {
    const text = '\uFEFFapiVersion: v1\r\nkind: Pod\r\nmetadata:\r\n  name: "😀😀"\r\nspec:\r\n  containers:\r\n    - name: app\r\n      image: \'nginx:1.25\'\r\n';
    const [ref] = scanner.scan('p.yaml', text).refs;
    expect(ref?.raw).toBe('nginx:1.25');
    expect(text.slice(ref?.range.start, ref?.range.end)).toBe('nginx:1.25');
    expect(ref?.location).toMatchObject({ line: 8, column: 15, endLine: 8, endColumn: 25 });
    expect(ref?.style).toBe('single');
  });

  it('reads JSON with a BOM, tabs and escaped slashes', () => {
    const text = '\uFEFF{\n\t"family": "x",\n\t"containerDefinitions": [{"name": "a", "image": "ghcr.io\\/acme\\/a:1.0.0"}]\n}';
    const [ref] = scanner.scan('t.json', text).refs;
    expect(ref?.raw).toBe('ghcr.io/acme/a:1.0.0');
    expect(text.slice(ref?.range.start, ref?.range.end)).toBe('ghcr.io\\/acme\\/a:1.0.0');
    expect(ref?.location).toMatchObject({ line: 3, column: 51 });
  });

  it('gives an aliased image the anchor\'s range, once per container', () => {
    const text = readFileSync(join(golden, 'bad-input', 'alias.yaml'), 'utf8');
    const refs = scanner.scan('alias.yaml', text).refs;
    expect(refs.map((ref) => ref.container.name)).toEqual(['app', 'again']);
    expect(new Set(refs.map((ref) => ref.range.start)).size).toBe(1);
    expect(text.slice(refs[0]?.range.start, refs[0]?.range.end)).toBe('busybox:latest');
  });

  it('judges every document of a multi-document file and skips non-workloads in it', () => {
    const text = 'apiVersion: v1\nkind: ConfigMap\ndata: {image: "nginx:latest"}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: a, image: "nginx:latest"}]\n...\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: q}\nspec:\n  containers: [{name: b, image: redis}]\n';
    const result = scanner.scan('multi.yaml', text);
    expect(result.findings.map((f) => [f.ruleId, f.location.line])).toEqual([
      ['latest-tag', 9],
      ['missing-tag', 16],
    ]);
  });
});
