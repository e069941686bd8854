// The HCL (Terraform) parser: tree-sitter's HCL grammar (the `terraform` dialect from
// @tree-sitter-grammars/tree-sitter-hcl) run by web-tree-sitter, both WebAssembly, so nothing is
// built natively. Loading takes tens of milliseconds and is asynchronous, so it happens only when
// a scan meets a `.tf` file (FileScanner.prepare()), once per thread; parsing is then synchronous.
// Node offsets (startIndex/endIndex) are UTF-16 code units of the JavaScript string parsed.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type * as TreeSitter from 'web-tree-sitter';

export type HclNode = TreeSitter.Node;
export type HclTree = TreeSitter.Tree;

let parser: TreeSitter.Parser | undefined;
let loading: Promise<void> | undefined;

/** Whether parseHcl() can run now. */
export function hclLoaded(): boolean {
  return parser !== undefined;
}

/**
 * The WebAssembly files: beside the bundle in the built program (dist/bundle/wasm/, copied there by
 * scripts/bundle.mjs, so the package needs no node_modules), else from the npm packages.
 */
function wasmPath(name: 'web-tree-sitter.wasm' | 'tree-sitter-terraform.wasm'): string {
  if (import.meta.url.endsWith('.cjs')) return fileURLToPath(new URL(`./wasm/${name}`, import.meta.url));
  const require = createRequire(import.meta.url);
  return name === 'web-tree-sitter.wasm' ? require.resolve('web-tree-sitter/web-tree-sitter.wasm') : require.resolve(`@tree-sitter-grammars/tree-sitter-hcl/${name}`);
}

/** Loads the parser (once; later calls return the same promise). */
export function loadHcl(): Promise<void> {
  loading ??= (async () => {
    const { Parser, Language } = await import('web-tree-sitter');
    await Parser.init({ locateFile: () => wasmPath('web-tree-sitter.wasm') });
    const language = await Language.load(readFileSync(wasmPath('tree-sitter-terraform.wasm')));
    const created = new Parser();
    created.setLanguage(language);
    parser = created;
  })();
  return loading;
}

/** Parses a text; the caller must delete() the tree when done (its memory lives in WebAssembly). */
export function parseHcl(text: string): HclTree {
  if (parser === undefined) throw new Error('the HCL parser is not loaded: await loadHcl() first');
  const tree = parser.parse(text);
  if (tree === null) throw new Error('the HCL parser returned no tree');
  return tree;
}

/** The first place the parser could not read (an ERROR or MISSING node), or undefined. */
export function firstHclError(tree: HclTree): { offset: number; message: string } | undefined {
  if (!tree.rootNode.hasError) return undefined;
  const cursor = tree.walk();
  try {
    for (;;) {
      const node = cursor.currentNode;
      if (node.isMissing) return { offset: node.startIndex, message: `cannot parse HCL: missing \`${node.type}\`` };
      if (node.isError) {
        const text = node.text.split('\n')[0]?.slice(0, 40) ?? '';
        return { offset: node.startIndex, message: `cannot parse HCL: unexpected \`${text}\`` };
      }
      if (node.hasError && cursor.gotoFirstChild()) continue;
      while (!cursor.gotoNextSibling()) if (!cursor.gotoParent()) return { offset: 0, message: 'cannot parse HCL' };
    }
  } finally {
    cursor.delete();
  }
}
