// The fast YAML reader against the full parser on random texts (tests/unit/fast-yaml-random.ts):
// whenever the fast reader returns a tree, the full parser must find no error and build exactly
// the same tree (values, styles, tags, every range). Giving up is always allowed. `npm run fuzz`
// runs many more cases (tests/helpers/fuzz.ts).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FastYamlReader, Unsupported } from '../../src/parse/fast-yaml.js';
import { looksLikeJson } from '../../src/parse/index.js';
import type { Node, ParsedFile } from '../../src/parse/tree.js';
import { parseYaml } from '../../src/parse/yaml.js';
import { mutateLines, randomYaml, rng } from './fast-yaml-random.js';
import { filesUnder } from '../helpers/files.js';
import { cases, seed } from '../helpers/fuzz.js';

const CASES = cases(600, 40000);
/** Real files bent line by line: each is a whole file, so fewer. */
const BENT = cases(60, 10000);
const SEED = seed(20240601);

/** Plain data (drops undefined-valued keys the same way on both sides). */
const plain = (value: unknown): unknown => JSON.parse(JSON.stringify(value, (_key, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? `number:${String(v)}` : Object.is(v, -0) ? 'number:-0' : v)));

function check(text: string, label: string, failures: string[]): boolean {
  const fast = new FastYamlReader(text).read();
  if (fast instanceof Unsupported) return false;
  const full = parseYaml(text);
  if (full.error !== undefined) failures.push(`${label}: accepted a text the full parser rejects (${full.error.message} at ${full.error.offset})\n${JSON.stringify(text)}`);
  else if (JSON.stringify(plain(full)) !== JSON.stringify(plain(fast))) failures.push(`${label}: different trees\n${JSON.stringify(text)}`);
  return true;
}

/** Whether a tree holds a flow collection written over more than one line. */
function hasMultiLineFlow(text: string, file: ParsedFile): boolean {
  const visit = (node: Node | undefined): boolean => {
    if (node === undefined || node.type === 'scalar') return false;
    const { start, end } = node.nodeRange;
    if ((text[start] === '[' || text[start] === '{') && text.slice(start, end).includes('\n')) return true;
    return node.type === 'map' ? node.entries.some((entry) => visit(entry.value)) : node.items.some(visit);
  };
  return file.documents.some((doc) => visit(doc.root));
}

/** How many quoted scalars of a tree are written over more than one line. */
function multiLineQuotedCount(text: string, file: ParsedFile): number {
  const visit = (node: Node | undefined): number => {
    if (node === undefined) return 0;
    if (node.type === 'scalar') return (node.style === 'double' || node.style === 'single') && text.slice(node.nodeRange.start, node.nodeRange.end).includes('\n') ? 1 : 0;
    return node.type === 'map' ? node.entries.reduce((sum, entry) => sum + visit(entry.value), 0) : node.items.reduce((sum, item) => sum + visit(item), 0);
  };
  return file.documents.reduce((sum, doc) => sum + visit(doc.root), 0);
}

/** How many values of a tree are aliases: nodes met a second time. */
function aliasCount(file: ParsedFile): number {
  const seen = new Set<Node>();
  let aliases = 0;
  const visit = (node: Node | undefined): void => {
    if (node === undefined) return;
    if (seen.has(node)) {
      aliases++;
      return;
    }
    seen.add(node);
    if (node.type === 'map') for (const entry of node.entries) visit(entry.value);
    else if (node.type === 'seq') for (const item of node.items) visit(item);
  };
  for (const doc of file.documents) visit(doc.root);
  return aliases;
}

/**
 * How many maps of a tree had an entry with a flow collection as its key, which the tree leaves
 * out: a flow map whose first entry's key is one (`{{ x }}`), or a single-pair map in a flow
 * sequence (the only map that starts with `[`, or that starts with `{` and ends after its `}`).
 */
function collectionKeyCount(text: string, file: ParsedFile): number {
  const visit = (node: Node | undefined): number => {
    if (node === undefined || node.type === 'scalar') return 0;
    if (node.type === 'seq') return node.items.reduce((sum, item) => sum + visit(item), 0);
    const source = text.slice(node.nodeRange.start, node.nodeRange.end);
    const counted = /^(\{\s*[{[]|\[)/.test(source) || (source.startsWith('{') && !source.endsWith('}')) ? 1 : 0;
    return node.entries.reduce((sum, entry) => sum + visit(entry.value), counted);
  };
  return file.documents.reduce((sum, doc) => sum + visit(doc.root), 0);
}

const yamlFiles = (dir: string): string[] => filesUnder(dir, /\.(ya?ml|template)$/i);

const corpus = join(import.meta.dirname, '..', '..', '..', 'shared', 'corpus');
const realFiles = [join(import.meta.dirname, '..', 'golden'), join(import.meta.dirname, '..', 'golden-pin'), join(import.meta.dirname, '..', '..', 'examples'), ...(existsSync(corpus) ? [corpus] : [])]
  .filter((dir) => existsSync(dir))
  .flatMap((dir) => yamlFiles(dir))
  .map((path) => readFileSync(path, 'utf8'))
  .filter((text) => !looksLikeJson(text));

describe('fast YAML reader, differential on random texts', () => {
  it(`agrees with the full parser on real files bent line by line (${BENT} cases)`, () => {
    const r = rng(SEED + 1);
    const failures: string[] = [];
    let accepted = 0;
    for (let i = 0; i < BENT && failures.length < 5; i++) {
      const source = realFiles[Math.floor(r() * realFiles.length)] ?? '';
      if (check(mutateLines(source, r), `case ${i}`, failures)) accepted++;
    }
    expect(failures).toEqual([]);
    expect(accepted).toBeGreaterThan(BENT / 10);
  });

  it(`agrees with the full parser on ${CASES} random texts`, () => {
    const r = rng(SEED);
    const failures: string[] = [];
    let accepted = 0;
    for (let i = 0; i < CASES; i++) {
      const text = randomYaml(r);
      const fast = new FastYamlReader(text).read();
      if (fast instanceof Unsupported) continue;
      accepted++;
      const full = parseYaml(text);
      if (full.error !== undefined) {
        failures.push(`case ${i}: accepted a text the full parser rejects (${full.error.message} at ${full.error.offset})\n${JSON.stringify(text)}`);
      } else if (JSON.stringify(plain(full)) !== JSON.stringify(plain(fast))) {
        failures.push(`case ${i}: different trees\n${JSON.stringify(text)}`);
      }
      if (failures.length >= 5) break;
    }
    expect(failures).toEqual([]);
    // The generator mostly writes texts inside the subset: most must take the fast path.
    expect(accepted).toBeGreaterThan(CASES * 0.3);
  });

  it(`agrees with the full parser on ${CASES} random texts full of multi-line flow collections`, () => {
    const r = rng(SEED + 2);
    const failures: string[] = [];
    let accepted = 0;
    let multiLine = 0;
    for (let i = 0; i < CASES && failures.length < 5; i++) {
      const text = randomYaml(r, { multiLineFlows: 0.8, extraFlows: 0.3 });
      if (!check(text, `case ${i}`, failures)) continue;
      accepted++;
      const fast = new FastYamlReader(text).read();
      if (!(fast instanceof Unsupported) && hasMultiLineFlow(text, fast)) multiLine++;
    }
    expect(failures).toEqual([]);
    // More of these texts are errors (comments, bad indentation inside the flow collections).
    expect(accepted).toBeGreaterThan(CASES * 0.2);
    // The fast reader must take many multi-line flow collections, not give up on every one.
    expect(multiLine).toBeGreaterThan(CASES * 0.08);
  });

  it(`agrees with the full parser on ${CASES} random texts full of multi-line quoted scalars`, () => {
    const r = rng(SEED + 3);
    const failures: string[] = [];
    let accepted = 0;
    let multiLine = 0;
    for (let i = 0; i < CASES && failures.length < 5; i++) {
      const text = randomYaml(r, { multiLineQuoted: 0.5 });
      if (!check(text, `case ${i}`, failures)) continue;
      accepted++;
      const fast = new FastYamlReader(text).read();
      if (!(fast instanceof Unsupported)) multiLine += multiLineQuotedCount(text, fast);
    }
    expect(failures).toEqual([]);
    expect(accepted).toBeGreaterThan(CASES * 0.2);
    // The fast reader must take many multi-line quoted scalars, not give up on every one.
    expect(multiLine).toBeGreaterThan(CASES * 0.2);
  });

  it(`agrees with the full parser on ${CASES} random texts full of Go template placeholders and flow collection keys`, () => {
    const r = rng(SEED + 5);
    const failures: string[] = [];
    let accepted = 0;
    let keys = 0;
    for (let i = 0; i < CASES && failures.length < 5; i++) {
      const text = randomYaml(r, i % 2 === 0 ? { placeholders: 0.4, collectionKeys: 0.3 } : { placeholders: 0.3, collectionKeys: 0.5, multiLineFlows: 0.6, extraFlows: 0.3 });
      if (!check(text, `case ${i}`, failures)) continue;
      accepted++;
      const fast = new FastYamlReader(text).read();
      if (!(fast instanceof Unsupported)) keys += collectionKeyCount(text, fast);
    }
    expect(failures).toEqual([]);
    expect(accepted).toBeGreaterThan(CASES * 0.15);
    // The fast reader must take many of them, not give up on every one.
    expect(keys).toBeGreaterThan(CASES * 0.15);
  });

  it(`agrees with the full parser on ${CASES} random texts full of anchors and aliases`, () => {
    const r = rng(SEED + 4);
    const failures: string[] = [];
    let accepted = 0;
    let aliases = 0;
    for (let i = 0; i < CASES && failures.length < 5; i++) {
      const text = randomYaml(r, { anchors: 0.3 });
      if (!check(text, `case ${i}`, failures)) continue;
      accepted++;
      const fast = new FastYamlReader(text).read();
      if (!(fast instanceof Unsupported)) aliases += aliasCount(fast);
    }
    expect(failures).toEqual([]);
    expect(accepted).toBeGreaterThan(CASES * 0.15);
    // The fast reader must take many aliases, not give up on every one.
    expect(aliases).toBeGreaterThan(CASES * 0.05);
  });
});
