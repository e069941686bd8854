// Helm values files (`values.yaml`, `values-*.yaml`, `*.values.yaml`, `*-values.yaml`, or a YAML
// file named on the command line): the chart conventions, at any depth (sub-chart sections too):
// `image: {registry, repository, tag, digest}` (Bitnami), `image: {repository, tag}`,
// `image: {name, tag}`, Istio's `hub` + `tag` with the component's `image:` name, and
// `image: "repo:tag"` strings. An empty `tag` means the chart's `appVersion`: read from the
// Chart.yaml beside the values file (or above a chart's `ci/` directory) when there is one.
import type { Container, ImageRef, PinSite, Workload } from '../core/types.js';
import { detach, get, str } from '../parse/tree.js';
import type { MapNode, Node, ScalarNode } from '../parse/tree.js';
import { refFromScalar } from './containers.js';
import type { ExtractContext, Extractor } from './types.js';
import { baseName, dirName } from '../core/file-names.js';

const FORMAT = 'helm-values';
const MAX_DEPTH = 64;

/** A string or number scalar with no tag; numbers as written (`tag: 1.10` is `1.10`, not 1.1). */
function text(node: Node | undefined, ctx: ExtractContext): { value: string; node: ScalarNode } | undefined {
  if (node?.type !== 'scalar' || node.tag !== undefined || node.value === null || typeof node.value === 'boolean') return undefined;
  const value = typeof node.value === 'number' ? ctx.text.slice(node.range.start, node.range.end) : node.value;
  return { value, node };
}

interface Chart {
  name?: string;
  appVersion?: string;
  path?: string;
}

function chartOf(ctx: ExtractContext): Chart {
  const parent = baseName(dirName(ctx.path)) === 'ci' ? '../Chart.yaml' : 'Chart.yaml';
  const found = ctx.companion?.(parent);
  if (found === undefined) return {};
  // Chart.yaml is simple YAML: its top-level `name:` and `appVersion:` lines, read without a parser dependency.
  const chart: Chart = { path: parent };
  for (const line of found.text.split(/\r?\n/)) {
    const match = /^(name|appVersion):[ \t]*(["']?)([^"'#\s][^"'#]*?)\2[ \t]*(#.*)?$/.exec(line);
    if (match !== null) chart[match[1] as 'name' | 'appVersion'] = detach(match[3] as string);
  }
  return chart;
}

interface Found {
  path: string;
  ref: Omit<ImageRef, 'container'>;
  image?: string;
}

function built(block: MapNode, key: string, path: string, workload: Workload, chart: Chart, ctx: ExtractContext): Found | undefined {
  const repository = text(get(block, 'repository'), ctx) ?? (key === 'image' ? text(get(block, 'name'), ctx) : undefined);
  if (repository === undefined || repository.value === '') return undefined;
  const registry = text(get(block, 'registry'), ctx);
  const tag = text(get(block, 'tag'), ctx);
  const digest = text(get(block, 'digest'), ctx);
  const name = registry !== undefined && registry.value !== '' ? `${registry.value}/${repository.value}` : repository.value;
  const pin: PinSite = {};
  if (tag !== undefined && tag.node.style !== 'block') pin.tag = { range: tag.node.range, style: tag.node.style };
  if (digest !== undefined && digest.node.style !== 'block') pin.digest = { range: digest.node.range, style: digest.node.style };
  if (pin.tag === undefined && pin.digest === undefined) pin.none = 'the block has no `tag:` or `digest:` key to pin in: add one';
  // Reported at the repository: a place a pin never moves (it writes the tag or the digest).
  const at = repository.node;
  const base = { format: FORMAT, location: ctx.lines.location(ctx.path, at.range), range: at.range, style: at.style, workload, pin } as const;
  const suffix = digest !== undefined && digest.value !== '' ? `@${digest.value}` : '';
  if (tag !== undefined && tag.value !== '') return { path, image: name, ref: { ...base, raw: detach(`${name}:${tag.value}${suffix}`) } };
  if (suffix !== '') return { path, image: name, ref: { ...base, raw: detach(`${name}${suffix}`) } };
  if (chart.appVersion !== undefined) return { path, image: name, ref: { ...base, raw: detach(`${name}:${chart.appVersion}`), via: `the chart's appVersion in ${chart.path ?? 'Chart.yaml'}, as the tag is empty` } };
  return { path, image: name, ref: { ...base, raw: detach(name), unresolvable: `the tag is empty, so it comes from the chart's appVersion, and there is no Chart.yaml beside the values file` } };
}

function walk(node: Node, path: string, depth: number, workload: Workload, chart: Chart, ctx: ExtractContext, out: Found[]): void {
  if (depth > MAX_DEPTH) return;
  if (node.type === 'seq') {
    node.items.forEach((item, i) => walk(item, `${path}[${i}]`, depth + 1, workload, chart, ctx, out));
    return;
  }
  if (node.type !== 'map') return;
  // Istio: `hub` + `tag`, the image named by the component's `image:` (here or one level down).
  const hub = text(get(node, 'hub'), ctx);
  const hubTag = text(get(node, 'tag'), ctx);
  if (hub !== undefined && hubTag !== undefined && hub.value !== '' && hubTag.value !== '') {
    const components: Array<{ path: string; node: ScalarNode; value: string }> = [];
    const own = text(get(node, 'image'), ctx);
    if (own !== undefined && /^[\w.-]+$/.test(own.value)) components.push({ path: `${path}image`, ...own });
    for (const entry of node.entries) {
      const below = entry.value.type === 'map' ? text(get(entry.value, 'image'), ctx) : undefined;
      if (below !== undefined && /^[\w.-]+$/.test(below.value) && get(entry.value, 'hub') === undefined) components.push({ path: `${path}${entry.key}.image`, ...below });
    }
    for (const component of components) {
      const pin: PinSite = components.length === 1 && hubTag.node.style !== 'block' ? { tag: { range: hubTag.node.range, style: hubTag.node.style } } : { none: 'the tag is shared by several images' };
      out.push({ path: component.path, image: `${hub.value}/${component.value}`, ref: { format: FORMAT, raw: detach(`${hub.value}/${component.value}:${hubTag.value}`), location: ctx.lines.location(ctx.path, component.node.range), range: component.node.range, style: component.node.style, workload, pin, via: `hub \`${hub.value}\` and tag \`${hubTag.value}\`` } });
    }
  }
  for (const entry of node.entries) {
    const here = `${path}${entry.key}`;
    if (entry.key === 'image' || /[a-z]Image$/.test(entry.key)) {
      if (entry.value.type === 'map') {
        const found = built(entry.value, entry.key, here, workload, chart, ctx);
        if (found !== undefined) {
          out.push(found);
          continue;
        }
      } else if (entry.value.type === 'scalar') {
        const scalar = text(entry.value, ctx);
        // A bare component name beside Istio's hub is read above; an empty string is no image.
        if (scalar !== undefined && scalar.value !== '' && !(hub !== undefined && /^[\w.-]+$/.test(scalar.value)) && typeof entry.value.value === 'string') {
          const ref = refFromScalar(scalar.node, FORMAT, workload, { role: 'app' }, ctx);
          const { container: _ignored, ...rest } = ref;
          out.push({ path: here, image: scalar.value, ref: rest });
        }
        continue;
      }
    }
    walk(entry.value, `${here}.`, depth + 1, workload, chart, ctx, out);
  }
}

function find(root: Node, ctx: ExtractContext): Found[] {
  const chart = chartOf(ctx);
  const workload: Workload = { kind: 'HelmValues', ...(chart.name !== undefined ? { name: chart.name } : {}) };
  const out: Found[] = [];
  walk(root, '', 0, workload, chart, ctx, out);
  return out;
}

function extract(root: Node, ctx: ExtractContext): ImageRef[] {
  return find(root, ctx).map(({ path, ref, image }) => {
    const known = image !== undefined && !ref.unresolvable && ctx.isKnownSidecar(image);
    const container: Container = known
      ? path === 'image'
        ? { name: path, role: 'app', noun: 'image', roleReason: 'known sidecar image, but the only primary container' }
        : { name: path, role: 'sidecar', roleReason: 'known sidecar image' }
      : { name: path, role: 'app', noun: 'image' };
    return { ...ref, container } as ImageRef;
  });
}

/** For a YAML file named on the command line: whether it holds image blocks at all. */
function detect(root: Node): boolean {
  if (root.type !== 'map' || str(root, 'apiVersion') !== undefined) return false;
  const stack: Node[] = [root];
  for (let seen = 0; stack.length > 0 && seen < 100_000; seen++) {
    const node = stack.pop() as Node;
    if (node.type === 'seq') stack.push(...node.items);
    if (node.type !== 'map') continue;
    for (const entry of node.entries) {
      if (entry.key === 'image' && (entry.value.type === 'map' ? get(entry.value, 'repository') !== undefined : entry.value.type === 'scalar' && typeof entry.value.value === 'string')) return true;
      stack.push(entry.value);
    }
  }
  return false;
}

export const helmValues: Extractor = { format: FORMAT, detect, extract };
