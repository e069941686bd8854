// AWS Copilot manifests (`type: Load Balanced Web Service`, `Backend Service`, `Worker Service`,
// `Request-Driven Web Service`, `Scheduled Job`, `Static Site`): `image.location`,
// `sidecars.*.image` and `logging.image` (sidecars: the FireLens router is one), and the same
// under `environments.<env>`. `image.build` is built by Copilot, not pulled: not an image.
import type { Container, ImageRef, Workload } from '../core/types.js';
import { get, str } from '../parse/tree.js';
import type { Node } from '../parse/tree.js';
import { literal, refFromScalar, unresolvableRef } from './containers.js';
import type { ExtractContext, Extractor } from './types.js';

const FORMAT = 'copilot';
const TYPES = new Set(['Load Balanced Web Service', 'Backend Service', 'Worker Service', 'Request-Driven Web Service', 'Scheduled Job', 'Static Site']);

function isManifest(root: Node): boolean {
  return root.type === 'map' && TYPES.has(str(root, 'type') ?? '') && get(root, 'apiVersion') === undefined;
}

function imageRef(node: Node | undefined, workload: Workload, container: Container, ctx: ExtractContext, out: ImageRef[]): void {
  if (node === undefined) return;
  const scalar = literal(node);
  if (scalar !== undefined) {
    if (String(scalar.value).trim() !== '') out.push(refFromScalar(scalar, FORMAT, workload, container, ctx));
  } else if (node.type !== 'map' && !(node.type === 'scalar' && node.value === null)) {
    out.push(unresolvableRef(node, ctx.text.slice(node.nodeRange.start, node.nodeRange.end), 'the image is not a string', FORMAT, workload, container, ctx));
  }
}

function section(holder: Node | undefined, name: string, workload: Workload, ctx: ExtractContext, out: ImageRef[], suffix: string): void {
  const main: Container = { name: `${name}${suffix}`, role: 'app' };
  // `image: {location: …}`; `image: {build: …}` is built, not pulled.
  imageRef(get(get(holder, 'image'), 'location'), workload, main, ctx, out);
  const sidecars = get(holder, 'sidecars');
  if (sidecars?.type === 'map') {
    for (const { key, value } of sidecars.entries) {
      const image = get(value, 'image');
      imageRef(image?.type === 'map' ? get(image, 'location') : image, workload, { name: `${key}${suffix}`, role: 'sidecar', roleReason: 'Copilot sidecar' }, ctx, out);
    }
  }
  imageRef(get(get(holder, 'logging'), 'image'), workload, { name: `log router${suffix}`, role: 'sidecar', roleReason: 'FireLens log router' }, ctx, out);
}

function extract(root: Node, ctx: ExtractContext): ImageRef[] {
  const name = str(root, 'name') ?? 'service';
  const workload: Workload = { kind: str(root, 'type') ?? 'Copilot service', name };
  const out: ImageRef[] = [];
  section(root, name, workload, ctx, out, '');
  const environments = get(root, 'environments');
  if (environments?.type === 'map') for (const { key, value } of environments.entries) section(value, name, workload, ctx, out, ` (environment ${key})`);
  return out;
}

export const copilot: Extractor = { format: FORMAT, detect: isManifest, extract };
