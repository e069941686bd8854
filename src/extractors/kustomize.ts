// Kustomize (`kustomization.yaml|yml`, `Kustomization`, or `kind: Kustomization` / `Component`):
// `images:` entries (`name`, `newName`, `newTag`, `digest`). An entry changes what runs: the image
// is judged as the override makes it, at the entry, with the container it applies to found in the
// kustomization's resources (files, and directories with a kustomization of their own). The
// resource's own value is then not judged for what the override replaces (kubernetes files beside
// a kustomization that lists them: overriddenImages()). A pin writes `digest:`.
import { baseName } from '../core/file-names.js';
import { parseReference } from '../core/parse-reference.js';
import { LineIndex } from '../core/positions.js';
import type { Container, ImageRef, PinSite, Workload } from '../core/types.js';
import { parseText } from '../parse/index.js';
import { detach, get, items, str } from '../parse/tree.js';
import type { MapNode, Node, ScalarNode } from '../parse/tree.js';
import { kubernetes } from './kubernetes.js';
import type { ExtractContext, Extractor } from './types.js';

const FORMAT = 'kustomize';
const KUSTOMIZATION_NAMES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];
/** `CONTAINER_IMAGES_TAG`: a word a script replaces before the build. */
const PLACEHOLDER = /^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$/;
const MAX_RESOURCE_FILES = 64;
const MAX_DEPTH = 4;

function isKustomization(root: Node): boolean {
  if (root.type !== 'map') return false;
  const kind = str(root, 'kind');
  if (kind === 'Kustomization' || kind === 'Component') return (str(root, 'apiVersion') ?? '').startsWith('kustomize.config.k8s.io/');
  return get(root, 'apiVersion') === undefined && kind === undefined && get(root, 'images')?.type === 'seq' && (get(root, 'resources') !== undefined || get(root, 'bases') !== undefined || get(root, 'components') !== undefined);
}

/** A string scalar with no tag, or a number as written. */
function value(node: Node | undefined, ctx: ExtractContext): ScalarNode | undefined {
  if (node?.type !== 'scalar' || node.tag !== undefined || node.value === null || typeof node.value === 'boolean') return undefined;
  return typeof node.value === 'number' ? { ...node, value: ctx.text.slice(node.range.start, node.range.end) } : node;
}

/** The image name of a reference (without tag and digest), as the override's `name` is matched. */
function nameOf(image: string): string {
  const parsed = parseReference(image);
  if (parsed.ok) return parsed.ref.implicitRegistry ? parsed.ref.path : `${parsed.ref.registry}/${parsed.ref.path}`;
  return image.replace(/@.*$/, '').replace(/:[^:/]*$/, '');
}

interface ResourceRef {
  name: string;
  tag?: string;
  ref: ImageRef;
}

/** The container images of a kustomization's resources (files, and directories holding a kustomization), bounded. */
function resourceImages(root: Node, ctx: ExtractContext, prefix: string, depth: number, budget: { files: number }, out: ResourceRef[]): void {
  if (depth > MAX_DEPTH || ctx.companion === undefined) return;
  for (const entry of [...items(get(root, 'resources')), ...items(get(root, 'bases'))]) {
    const path = str(entry);
    if (path === undefined || /^[a-z][a-z0-9+.-]*:\/\//i.test(path) || path.includes('?')) continue;
    const relative = `${prefix}${path}`;
    if (/\.(ya?ml|json)$/i.test(path)) {
      if (--budget.files < 0) return;
      const file = ctx.companion(relative);
      if (file === undefined) continue;
      for (const document of parseText(file.text).documents) {
        if (document.root === undefined || !kubernetes.detect(document.root)) continue;
        const sub: ExtractContext = { ...ctx, path: file.path, text: file.text, lines: new LineIndex(file.text) };
        for (const ref of kubernetes.extract(document.root, sub)) {
          const parsed = parseReference(ref.raw);
          out.push({ name: nameOf(ref.raw), ...(parsed.ok && parsed.ref.tag !== undefined ? { tag: parsed.ref.tag } : {}), ref });
        }
      }
    } else {
      for (const name of KUSTOMIZATION_NAMES) {
        if (--budget.files < 0) return;
        const file = ctx.companion(`${relative}/${name}`);
        if (file === undefined) continue;
        const nested = parseText(file.text).documents[0]?.root;
        if (nested !== undefined) resourceImages(nested, ctx, `${relative}/`, depth + 1, budget, out);
        break;
      }
    }
  }
}

function lineEnd(text: string, offset: number): { at: number; newline: string } {
  const newline = text.indexOf('\n', offset);
  if (newline === -1) return { at: text.length, newline: '\n' };
  return text[newline - 1] === '\r' ? { at: newline - 1, newline: '\r\n' } : { at: newline, newline: '\n' };
}

function extract(root: Node, ctx: ExtractContext): ImageRef[] {
  const images = items(get(root, 'images')).filter((entry): entry is MapNode => entry.type === 'map');
  if (images.length === 0) return [];
  const resources: ResourceRef[] = [];
  resourceImages(root, ctx, '', 0, { files: MAX_RESOURCE_FILES }, resources);
  const kustomization: Workload = { kind: str(root, 'kind') ?? 'Kustomization', name: baseName(ctx.path.replace(/[/\\][^/\\]*$/, '')) || baseName(ctx.path) };
  const out: ImageRef[] = [];
  for (const entry of images) {
    const name = value(get(entry, 'name'), ctx);
    if (name === undefined || String(name.value) === '') continue;
    const newName = value(get(entry, 'newName'), ctx);
    const newTag = value(get(entry, 'newTag'), ctx);
    const digest = value(get(entry, 'digest'), ctx);
    const target = resources.find((resource) => resource.name === String(name.value));
    const workload = target?.ref.workload ?? kustomization;
    const container: Container = target !== undefined ? target.ref.container : { name: String(name.value), role: ctx.isKnownSidecar(String(newName?.value ?? name.value)) ? 'sidecar' : 'app', noun: 'image override', ...(ctx.isKnownSidecar(String(newName?.value ?? name.value)) ? { roleReason: 'known sidecar image' } : {}) };
    const image = String((newName ?? name).value);
    const tag = newTag !== undefined ? String(newTag.value) : undefined;
    const pinned = digest !== undefined ? String(digest.value) : undefined;
    // Reported at the entry's `name`: a place a pin never moves (it writes or adds `digest`).
    const at = name;
    const pin: PinSite = newTag !== undefined && newTag.style !== 'block' ? { tag: { range: newTag.range, style: newTag.style } } : {};
    if (digest !== undefined && digest.style !== 'block') pin.digest = { range: digest.range, style: digest.style };
    else if (entry.nodeRange !== undefined && ctx.text[entry.nodeRange.start] !== '{') {
      const last = entry.entries.at(-1) as { keyRange: { start: number } };
      const indent = ctx.lines.position(last.keyRange.start).column - 1;
      const firstIndent = ctx.lines.position(entry.entries[0]!.keyRange.start).column - 1;
      const { at: end, newline } = lineEnd(ctx.text, entry.entries.at(-1)!.value.nodeRange.end);
      pin.insertDigest = { offset: end, text: `${newline}${' '.repeat(Math.max(indent, firstIndent))}digest: {digest}` };
    } else pin.none = 'a flow mapping entry: add `digest:` by hand';
    const raw = `${image}${tag !== undefined && tag !== '' ? `:${tag}` : target?.tag !== undefined && pinned === undefined ? `:${target.tag}` : ''}${pinned !== undefined && pinned !== '' ? `@${pinned}` : ''}`;
    const placeholder = [image, tag ?? ''].flatMap((part) => part.split('/')).find((part) => PLACEHOLDER.test(part));
    const renamedOnly = tag === undefined && (pinned === undefined || pinned === '');
    const base = {
      format: FORMAT,
      raw: detach(raw),
      location: ctx.lines.location(ctx.path, at.range),
      range: at.range,
      style: at.style,
      workload,
      container,
      pin,
      via: `kustomization \`images\` entry for \`${String(name.value)}\``,
    } as const;
    if (placeholder !== undefined) out.push({ ...base, unresolvable: `a placeholder \`${placeholder}\`` });
    else if (renamedOnly && target?.tag === undefined) out.push({ ...base, unresolvable: 'the entry only renames the image: the tag is the one its resources give, and none was found' });
    else out.push(base);
  }
  return out;
}

export const kustomize: Extractor = { format: FORMAT, detect: isKustomization, extract };

/**
 * For a Kubernetes file listed in the `resources` of a kustomization in its own directory: the
 * image names that kustomization's `images:` replaces (name, tag or digest). Their own values
 * are not judged: the kustomization's entry is.
 */
export function overriddenImages(ctx: ExtractContext): Set<string> | undefined {
  if (ctx.companion === undefined) return undefined;
  for (const name of KUSTOMIZATION_NAMES) {
    const file = ctx.companion(name);
    if (file === undefined) continue;
    const root = parseText(file.text).documents[0]?.root;
    if (root === undefined || !isKustomization(root)) return undefined;
    const own = baseName(ctx.path);
    const listed = items(get(root, 'resources')).some((entry) => {
      const path = str(entry);
      return path !== undefined && baseName(path) === own && !path.includes('/..');
    });
    if (!listed) return undefined;
    const names = new Set<string>();
    for (const entry of items(get(root, 'images'))) {
      const image = str(entry, 'name');
      if (image !== undefined && (get(entry, 'newTag') !== undefined || str(entry, 'digest') !== undefined || str(entry, 'newName') !== undefined)) names.add(image);
    }
    return names.size > 0 ? names : undefined;
  }
  return undefined;
}

export { nameOf as imageName };
