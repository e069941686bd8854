// Hostile YAML and JSON (issue 14: merge-key bombs, deep nesting, duplicate keys; issue 15: one
// broken document among several): each costs what its size costs, says what happened at its own
// position, and never hides the references around it. The outcomes are asserted, never the time.
import { describe, expect, it } from 'vitest';
import { isAlias, isMap, isPair, isSeq, parseAllDocuments } from 'yaml';
import type { Finding } from '../../src/core/types.js';
import { MAX_DEPTH, jsonDeepRegions, mayBeDeep, yamlDeepRegions } from '../../src/parse/depth-guard.js';
import { parseText } from '../../src/parse/index.js';
import { parseJson } from '../../src/parse/json.js';
import type { MapNode, Node } from '../../src/parse/tree.js';
import { get, syntaxErrors } from '../../src/parse/tree.js';
import { MERGE_BUDGET, parseYaml } from '../../src/parse/yaml.js';
import { loadDefaultPolicy } from '../../src/policy/load.js';
import { FileScanner } from '../../src/scan/scan-file.js';

const scanner = new FileScanner({ policy: loadDefaultPolicy(), now: '2026-01-01' });
const POD = (name: string, image: string) => `apiVersion: v1\nkind: Pod\nmetadata: {name: ${name}}\nspec:\n  containers:\n  - name: app\n    image: ${image}\n`;
/**
 * How deep the yaml library's own tree of a text is (the root is level 0; a pair's key and value
 * are one level below its map), read without recursion, with no guard in front of the library.
 */
function treeDepth(text: string): number {
  let max = 0;
  for (const doc of parseAllDocuments(text)) {
    const stack: Array<[unknown, number]> = [[doc.contents, 0]];
    while (stack.length > 0) {
      const [node, depth] = stack.pop()!;
      if (node === null || node === undefined || isAlias(node)) continue;
      max = Math.max(max, depth);
      if (isMap(node)) for (const pair of node.items) if (isPair(pair)) stack.push([pair.key, depth + 1], [pair.value, depth + 1]);
      if (isSeq(node)) for (const item of node.items) stack.push([item, depth + 1]);
    }
  }
  return max;
}

const lines = (findings: readonly Finding[]) => findings.map((f) => `${f.location.line}:${f.location.column} ${f.ruleId}${f.ruleId === 'parse-error' || f.ruleId === 'duplicate-key' ? ` ${f.message}` : ''}`);

describe('YAML merge keys (issue 14, high 3)', () => {
  /** The issue's bomb: a1 has 300 keys, a2 merges a1 a hundred times, each x merges a2 three times. */
  function mergeBomb(xs: number, a1Keys = 300, a1Merges = 100): string {
    let text = POD('bomb', 'nginx:latest');
    text += 'a1: &a1\n';
    for (let i = 0; i < a1Keys; i++) text += `  k${i}: v\n`;
    text += `a2: &a2\n  <<: [${Array(a1Merges).fill('*a1').join(', ')}]\n  own: x\n`;
    for (let i = 0; i < xs; i++) text += `x${i}: {<<: [*a2, *a2, *a2]}\n`;
    return text;
  }

  it('merges a map once per key: each x holds the 301 keys of a2, not 90,000 copies', () => {
    const parsed = parseText(mergeBomb(60));
    expect(syntaxErrors(parsed)).toEqual([]);
    const root = parsed.documents[0]?.root as MapNode;
    const x = get(root, 'x59') as MapNode;
    expect(x.entries.length).toBe(301);
    expect(new Set(x.entries.map((entry) => entry.key)).size).toBe(301);
    // Explicit keys win over merged ones; the first map of a merge sequence over later ones.
    const over = parseText('a: &a {k: from-a}\nb: &b {k: from-b, j: b}\nc: {<<: [*a, *b], j: own}\n').documents[0]?.root;
    expect(get(get(over, 'c'), 'k')).toMatchObject({ value: 'from-a' });
    expect(get(get(over, 'c'), 'j')).toMatchObject({ value: 'own' });
  });

  it('caps what merges may copy in a file, says so where it happened, and still judges the image', () => {
    // 1,200 keys merged a thousand times: 1.2 million entries to copy, over the budget at once.
    const text = mergeBomb(3, 1200, 1000);
    const result = scanner.scan('bomb.yaml', text);
    const a2Line = text.split('\n').findIndex((line) => line.startsWith('  <<: [')) + 1;
    expect(lines(result.findings)).toEqual([
      '7:12 latest-tag',
      `${a2Line}:3 parse-error cannot parse YAML: merge keys (\`<<\`) copy more than ${MERGE_BUDGET} entries in this file (a merge-key bomb?): the merges from here on are not applied`,
    ]);
    expect(result.refs.map((ref) => ref.raw)).toEqual(['nginx:latest']);
  });

  it('resolves each alias once: twenty thousand aliases cost one pass over the document, not one each', () => {
    const text = `${POD('p', 'nginx:latest')}a: &a [x]\nb: [${Array(20_000).fill('*a').join(',')}]\n`;
    const parsed = parseYaml(text);
    expect(syntaxErrors(parsed)).toEqual([]);
    const b = get(parsed.documents[0]?.root, 'b');
    expect(b?.type === 'seq' && b.items.length).toBe(20_000);
    expect(b?.type === 'seq' && b.items[19_999]).toBe(get(parsed.documents[0]?.root, 'a'));
  });

  it('reports an alias inside its own anchor (a cycle) and judges the rest', () => {
    const text = 'apiVersion: v1\nkind: List\nitems: &l\n- apiVersion: v1\n  kind: List\n  items: *l\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: p}\n  spec: {containers: [{name: a, image: nginx}]}\n';
    expect(lines(scanner.scan('cycle.yaml', text).findings)).toEqual([
      '6:10 parse-error cannot parse YAML: alias `*l` is inside the node it refers to (a cycle)',
      '10:40 missing-tag',
    ]);
  });

  it('reads a List of aliased Lists once per node (2^30 paths through it)', () => {
    let text = 'apiVersion: v1\nkind: List\nl0: &l0 {apiVersion: v1, kind: List, items: [{apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {containers: [{name: a, image: nginx}]}}]}\n';
    for (let i = 1; i <= 30; i++) text += `l${i}: &l${i} {apiVersion: v1, kind: List, items: [*l${i - 1}, *l${i - 1}]}\n`;
    text += 'items: [*l30]\n';
    const result = scanner.scan('list-bomb.yaml', text);
    expect(lines(result.findings)).toEqual(['3:132 missing-tag']);
  });
});

describe('deep nesting (issue 14, high 4): the documented limit, at the deep node, and nothing else lost', () => {
  const deepFlow = (levels: number) => `${'['.repeat(levels)}${']'.repeat(levels)}`;

  it('reports a 200,000-level flow collection at the node past level 256 and judges the documents around it', () => {
    const text = `${POD('before', 'nginx:latest')}---\nimage: nginx\nx: ${deepFlow(200_000)}\n---\n${POD('after', 'redis:latest')}`;
    const xAt = text.indexOf('x: ') + 3;
    const result = scanner.scan('deep.yaml', text);
    // The root map is level 0, so x's value is level 1: the first bracket past the limit is the 257th.
    const deepColumn = xAt + MAX_DEPTH - text.lastIndexOf('\n', xAt) - 1 + 1;
    expect(lines(result.findings)).toEqual(['7:12 latest-tag', `10:${deepColumn} parse-error cannot parse YAML: nesting deeper than 256 levels`, '18:12 latest-tag']);
  });

  it('reports block nesting too (`- - - …`, 20,000 levels on one line), at the item past the limit', () => {
    const text = `${'- '.repeat(20_000)}x\n---\n${POD('after', 'redis:latest')}`;
    // The first `-` is a sequence at level 0, so the 258th (column 515) is the first past the limit.
    expect(lines(scanner.scan('dashes.yaml', text).findings)).toEqual([`1:${2 * (MAX_DEPTH + 1) + 1} parse-error cannot parse YAML: nesting deeper than 256 levels`, '9:12 latest-tag']);
  });

  it('reports deep JSON at its position and still checks the other references (JSON is read tolerantly)', () => {
    const text = `{"family": "app", "x": ${deepFlow(100_000)}, "containerDefinitions": [{"name": "a", "image": "nginx:latest"}]}`;
    // The object is level 0, so x's first bracket is level 1 and the one at level 257 is past the limit.
    const deepAt = text.indexOf('[') + MAX_DEPTH;
    expect(lines(scanner.scan('deep.json', text).findings)).toEqual([`1:${deepAt + 1} parse-error cannot parse JSON: nesting deeper than 256 levels`, `1:${text.indexOf('nginx') + 1} latest-tag`]);
    // Objects too, and an unclosed one: the value past the limit, never its key.
    const objects = `{"image": "a"${', "a": {"a": 1'.repeat(300)}`;
    const errors = syntaxErrors(parseJson(objects));
    // The object opened by the 256th `{` is level 256; the `1` in it is the first value past the limit.
    let at = -1;
    for (let k = 0; k < MAX_DEPTH; k++) at = objects.indexOf('{"a": 1', at + 1);
    expect(errors[0]).toEqual({ message: 'nesting deeper than 256 levels', offset: at + '{"a": '.length });
  });

  // The guard decides alone whether the full parser may run, so it must agree with the depth the
  // parsed tree really has, on each side of the limit and for every way YAML nests.
  const shapes: Record<string, (levels: number) => string> = {
    'flow sequences': (n) => `a: ${'['.repeat(n)}x${']'.repeat(n)}\n`,
    'flow maps': (n) => `a: ${'{a: '.repeat(n)}x${'}'.repeat(n)}\n`,
    'flow pairs': (n) => `a: ${'[a: '.repeat(n)}x${']'.repeat(n)}\n`,
    'block maps': (n) => `${Array.from({ length: n }, (_, i) => `${' '.repeat(i)}a:`).join('\n')} x\n`,
    'block sequences': (n) => `${'- '.repeat(n)}x\n`,
    'sequences at their key’s column': (n) => `${Array.from({ length: n }, (_, i) => `${'  '.repeat(i)}- a:`).join('\n')} x\n`,
    'mixed, over lines': (n) => `a:\n${Array.from({ length: n }, (_, i) => `${' '.repeat(i + 1)}${i % 3 === 0 ? '- ' : i % 3 === 1 ? 'b: ' : '? '}`).join('\n')}x\n`,
  };
  it.each(Object.entries(shapes))('agrees with the parsed tree at the limit: %s', (_name, shape) => {
    for (let levels = MAX_DEPTH - 6; levels <= MAX_DEPTH + 6; levels++) {
      const text = shape(levels);
      const depth = treeDepth(text);
      expect(mayBeDeep(text) || depth <= MAX_DEPTH, `${levels}`).toBe(true);
      expect(yamlDeepRegions(text).length > 0, `${levels}: the tree is ${depth} deep`).toBe(depth > MAX_DEPTH);
    }
  });

  // Random shapes mixing every way of nesting, a few levels each side of the limit (seeded;
  // GUARD_CASES=n runs more: 1,500 agreed when this was written).
  it('agrees with the parsed tree on random mixes of block, compact, flow, pairs, anchors and tags', () => {
    const cases = Number(process.env.GUARD_CASES ?? 40);
    let seed = 20261202;
    const r = () => {
      seed = (seed + 0x6d2b79f5) >>> 0;
      let t = Math.imul(seed ^ (seed >>> 15), seed | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    /** A node with `levels` levels below it, at indentation `ind` (on its own lines) or inside a flow collection. */
    const node = (levels: number, ind: number, inFlow: boolean): string => {
      if (levels <= 0) return r() < 0.5 ? 'x' : "'q'";
      const pad = ' '.repeat(ind);
      const c = r();
      if (inFlow || c < 0.2) {
        const k = r();
        if (k < 0.4 || levels < 2) return `[${node(levels - 1, ind, true)}]`;
        if (k < 0.7) return `{a: ${node(levels - 1, ind, true)}}`;
        return `[a: ${node(levels - 2, ind, true)}]`;
      }
      const inline = (text: string) => text.replace(/^\n\s*/, '');
      if (c < 0.45) return `\n${pad}- ${inline(node(levels - 1, ind + 2, false))}`;
      if (c < 0.7) return `\n${pad}k: ${node(levels - 1, ind + 1, false)}`;
      if (c < 0.8) return `\n${pad}k:\n${pad}- ${inline(node(levels - 2, ind + 2, false))}`;
      if (c < 0.9) return `\n${pad}- &a${Math.floor(r() * 9)} ${inline(node(levels - 1, ind + 2, false))}`;
      return `\n${pad}k: !t ${node(levels - 1, ind + 1, false)}`;
    };
    let deep = 0;
    let valid = 0;
    for (let i = 0; i < cases; i++) {
      const text = `root:${node(MAX_DEPTH - 16 + Math.floor(r() * 40), 1, false)}\n`;
      // (Anchors before compact collections are errors: the guard may call those texts deep, too.)
      if (parseAllDocuments(text).some((doc) => doc.errors.length > 0)) continue;
      valid++;
      const depth = treeDepth(text);
      if (depth > MAX_DEPTH) deep++;
      expect(mayBeDeep(text) || depth <= MAX_DEPTH, text).toBe(true);
      expect(yamlDeepRegions(text).length > 0, `the tree is ${depth} deep:\n${text}`).toBe(depth > MAX_DEPTH);
    }
    expect(valid).toBeGreaterThan(cases / 2);
    expect(deep).toBeGreaterThan(valid / 4);
    expect(deep).toBeLessThan(valid);
  });

  it('finds JSON too deep exactly when the tree is', () => {
    for (let levels = MAX_DEPTH - 3; levels <= MAX_DEPTH + 3; levels++) {
      expect(jsonDeepRegions(`${'['.repeat(levels)}1${']'.repeat(levels)}`).length > 0).toBe(levels > MAX_DEPTH);
      expect(jsonDeepRegions(`${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`).length > 0).toBe(levels > MAX_DEPTH);
    }
  });

  it('leaves brackets in strings, comments and block scalars alone', () => {
    const brackets = '['.repeat(1000);
    expect(yamlDeepRegions(`a: "${brackets}"\nb: '${brackets}'\nc: |\n  ${brackets}\nd: x${brackets} # ${brackets}\n`)).toEqual([]);
    expect(jsonDeepRegions(`{"a": "${brackets}", "b": "\\"${brackets}"}`)).toEqual([]);
  });
});

describe('duplicate keys (issue 14, medium 5): the last value is judged, the duplicate is an error', () => {
  const digest = `sha256:${'a'.repeat(64)}`;

  it('JSON: judges the value `aws ecs` and JSON.parse use, and reports the key that wins', () => {
    const text = `{"family": "app", "containerDefinitions": [{"name": "a", "image": "nginx@${digest}", "image": "nginx:latest"}]}`;
    expect(JSON.parse(text).containerDefinitions[0].image).toBe('nginx:latest');
    const result = scanner.scan('task.json', text);
    expect(result.refs.map((ref) => ref.raw)).toEqual(['nginx:latest']);
    expect(lines(result.findings)).toEqual([
      `1:${text.lastIndexOf('"image"') + 1} duplicate-key Key \`image\` is given twice in this mapping (also at line 1): the last value is the one used, the one at line 1 is ignored; remove one`,
      `1:${text.indexOf('nginx:latest') + 1} latest-tag`,
    ]);
  });

  it('YAML: `image:` twice, and `containers:` twice', () => {
    const image = `apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: a\n    image: nginx@${digest}\n    image: nginx:latest\n`;
    expect(lines(scanner.scan('pod.yaml', image).findings)).toEqual([
      '8:5 duplicate-key Key `image` is given twice in this mapping (also at line 7): the last value is the one used, the one at line 7 is ignored; remove one',
      '8:12 latest-tag',
    ]);
    const containers = `apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - {name: a, image: "nginx@${digest}"}\n  containers:\n  - {name: b, image: nginx:latest}\n`;
    const result = scanner.scan('pod.yaml', containers);
    expect(result.refs.map((ref) => `${ref.container.name} ${ref.raw}`)).toEqual(['b nginx:latest']);
    expect(lines(result.findings)).toEqual([
      '7:3 duplicate-key Key `containers` is given twice in this mapping (also at line 5): the last value is the one used, the one at line 5 is ignored; remove one',
      '8:22 latest-tag',
    ]);
  });

  it('builds the same tree with the fast readers and the full parsers', () => {
    const texts = [
      'a: 1\nb: 2\na: 3\nc: {x: 1, x: 2, y: 3}\nd:\n  - {k: [1], k: [2]}\n',
      '{"a": 1, "b": {"c": 1, "c": 2}, "a": [3]}',
      `${Array.from({ length: 20 }, (_, i) => `k${i % 12}: ${i}`).join('\n')}\n`,
    ];
    for (const text of texts) {
      const fast = parseText(text, { fast: true });
      expect(JSON.stringify(fast)).toBe(JSON.stringify(parseText(text, { fast: false })));
      expect(fast.documents[0]?.duplicateKeys?.length).toBeGreaterThan(0);
    }
    const big = parseText(texts[2] ?? '').documents[0];
    expect((big?.root as MapNode).entries.map((entry) => `${entry.key}=${(entry.value as Node & { value: unknown }).value}`).slice(0, 3)).toEqual(['k0=12', 'k1=13', 'k2=14']);
    expect(big?.duplicateKeys?.length).toBe(8);
  });

  it('is not a finding outside a workload', () => {
    expect(scanner.scan('settings.yaml', 'image: nginx\nimage: redis\n').findings).toEqual([]);
  });
});

describe('multi-document YAML (issue 15, item 7): one broken document hides nothing else', () => {
  it('reports each broken document where it breaks and judges the ones after it', () => {
    const text = `${POD('one', 'nginx:latest')}---\napiVersion: v1\nkind: Pod\nmetadata: {name: broken\nspec: {}\n---\n${POD('three', 'redis:latest')}---\nkey: [unclosed\n---\n${POD('five', 'busybox')}`;
    const result = scanner.scan('multi.yaml', text);
    expect(result.refs.map((ref) => ref.workload.name)).toEqual(['one', 'three', 'five']);
    expect(lines(result.findings).map((line) => line.replace(/ cannot parse YAML: .*/, ''))).toEqual(['7:12 latest-tag', '12:1 parse-error', '20:12 latest-tag', '23:1 parse-error', '30:12 missing-tag']);
  });
});
