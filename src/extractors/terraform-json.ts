// Terraform's JSON syntax (`*.tf.json`): the same places as in `.tf` files (src/extractors/terraform.ts),
// written as JSON objects: `container` / `init_container` objects (or lists of them) at any depth of a
// `kubernetes_*` resource, a module's `container_definitions` map and `image` argument. Strings with
// `${…}` are expressions, so unresolvable; `container_definitions` of `aws_ecs_task_definition` is
// a string in this syntax (JSON inside JSON, or an expression), reported as not checkable.
import type { ImageRef, Workload } from '../core/types.js';
import { get, str } from '../parse/tree.js';
import type { Node } from '../parse/tree.js';
import { assignRoles, containerRefs, literal, unresolvableRef } from './containers.js';
import type { ContainerInfo } from './containers.js';
import type { ExtractContext, Extractor } from './types.js';

const FORMAT = 'terraform';

/** A block in JSON syntax: an object, or a list of objects. */
function blocks(node: Node | undefined): Node[] {
  if (node === undefined) return [];
  if (node.type === 'seq') return node.items.filter((item) => item.type === 'map');
  return node.type === 'map' ? [node] : [];
}

/** `{ "<name>": body }` or `[{ "<name>": body }]`: each labelled body. */
function labelled(node: Node | undefined): Array<{ label: string; body: Node }> {
  return blocks(node).flatMap((block) => (block.type === 'map' ? block.entries.flatMap(({ key, value }) => blocks(value).map((body) => ({ label: key, body }))) : []));
}

function containersIn(node: Node, depth: number, out: Array<{ node: Node; init: boolean }>): void {
  if (depth > 16 || node.type !== 'map') return;
  for (const { key, value } of node.entries) {
    if (key === 'container' || key === 'init_container') for (const container of blocks(value)) out.push({ node: container, init: key === 'init_container' });
    else for (const child of blocks(value)) containersIn(child, depth + 1, out);
  }
}

function containerList(nodes: Node[], infos: ContainerInfo[], workload: Workload, ctx: ExtractContext, out: ImageRef[]): void {
  containerRefs(nodes, assignRoles(infos, ctx), FORMAT, workload, ctx, out);
}

function info(node: Node, extra: Partial<ContainerInfo> = {}): ContainerInfo {
  const name = str(node, 'name');
  const image = literal(get(node, 'image'));
  return { ...(name !== undefined ? { name } : {}), ...(image !== undefined ? { image: String(image.value) } : {}), ...extra };
}

function extract(root: Node, ctx: ExtractContext): ImageRef[] {
  const out: ImageRef[] = [];
  for (const { label: type, body: byName } of labelled(get(root, 'resource'))) {
    for (const { key: name, value } of byName.type === 'map' ? byName.entries : []) {
      for (const body of blocks(value)) {
        const workload: Workload = { kind: type, name };
        if (type.startsWith('kubernetes_')) {
          const found: Array<{ node: Node; init: boolean }> = [];
          containersIn(body, 0, found);
          containerList(found.map(({ node }) => node), found.map(({ node, init }) => info(node, init ? { init: true } : {})), workload, ctx, out);
        } else if (type === 'aws_ecs_task_definition' || type === 'aws_batch_job_definition') {
          const definitions = get(body, type === 'aws_ecs_task_definition' ? 'container_definitions' : 'container_properties');
          if (definitions !== undefined) out.push(unresolvableRef(definitions, ctx.text.slice(definitions.nodeRange.start, definitions.nodeRange.end), 'container definitions written as a string in Terraform JSON: scan the `.tf` form or the JSON it renders', FORMAT, workload, { role: 'app' }, ctx));
        }
      }
    }
  }
  for (const { label: name, body } of labelled(get(root, 'module'))) {
    const workload: Workload = { kind: 'module', name };
    const definitions = get(body, 'container_definitions');
    if (definitions?.type === 'map') {
      const nodes = definitions.entries.map(({ value }) => value).filter((value) => value.type === 'map');
      containerList(nodes, definitions.entries.filter(({ value }) => value.type === 'map').map(({ key, value }) => info(value, { name: key, ...(get(value, 'firelensConfiguration') !== undefined ? { firelens: true } : {}) })), workload, ctx, out);
    }
    if (get(body, 'image') !== undefined) containerList([body], [info(body)], workload, ctx, out);
  }
  return out;
}

function detect(root: Node): boolean {
  return root.type === 'map' && (get(root, 'resource') !== undefined || get(root, 'module') !== undefined);
}

export const terraformJson: Extractor = { format: FORMAT, detect, extract };
