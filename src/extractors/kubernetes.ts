// Kubernetes workloads, YAML or JSON: any object with a pod spec (Pod, Deployment, StatefulSet,
// DaemonSet, ReplicaSet, ReplicationController, Job, CronJob, PodTemplate, Argo Rollouts and other
// CRDs with spec.template.spec), also inside `kind: List`. Containers, init containers (native
// sidecars with restartPolicy: Always) and ephemeral containers.
import type { ImageRef, Workload } from '../core/types.js';
import { get, getPath, items, str } from '../parse/tree.js';
import type { Node } from '../parse/tree.js';
import { assignRoles, containerRefs, literal } from './containers.js';
import type { ContainerInfo } from './containers.js';
import type { ExtractContext, Extractor } from './types.js';

function isObject(root: Node): boolean {
  return root.type === 'map' && str(root, 'apiVersion') !== undefined && str(root, 'kind') !== undefined;
}

function podSpec(root: Node): Node | undefined {
  const kind = str(root, 'kind');
  if (kind === 'Pod') return get(root, 'spec');
  if (kind === 'CronJob') return getPath(root, 'spec', 'jobTemplate', 'spec', 'template', 'spec');
  if (kind === 'PodTemplate') return getPath(root, 'template', 'spec');
  return getPath(root, 'spec', 'template', 'spec');
}

/**
 * `seen`: the objects already read. A YAML alias is its anchor's very node, so a List that repeats
 * aliases of Lists (each twice the one before) would be read 2^n times; once is enough, as it
 * yields the same references at the same places.
 */
function extractObject(root: Node, ctx: ExtractContext, out: ImageRef[], seen: Set<Node>): void {
  if (seen.has(root)) return;
  seen.add(root);
  const kind = str(root, 'kind') ?? 'Unknown';
  if (kind === 'List' || kind.endsWith('List')) {
    for (const item of items(get(root, 'items'))) if (isObject(item)) extractObject(item, ctx, out, seen);
    return;
  }
  const spec = podSpec(root);
  if (spec?.type !== 'map') return;
  const metadata = get(root, 'metadata');
  const name = str(metadata, 'name');
  const namespace = str(metadata, 'namespace');
  const workload: Workload = { kind, ...(name !== undefined ? { name } : {}), ...(namespace !== undefined ? { namespace } : {}) };

  const nodes: Node[] = [];
  const infos: ContainerInfo[] = [];
  const add = (list: string, info: (c: Node) => Partial<ContainerInfo>): void => {
    for (const container of items(get(spec, list))) {
      if (container.type !== 'map') continue;
      const containerName = str(container, 'name');
      const image = literal(get(container, 'image'));
      nodes.push(container);
      infos.push({ ...(containerName !== undefined ? { name: containerName } : {}), ...(image !== undefined ? { image: String(image.value) } : {}), ...info(container) });
    }
  };
  add('initContainers', (c) => (str(c, 'restartPolicy') === 'Always' ? { nativeSidecar: true } : { init: true }));
  add('containers', () => ({}));
  add('ephemeralContainers', () => ({ ephemeral: true }));
  const roles = assignRoles(infos, ctx);

  containerRefs(nodes, roles, 'kubernetes', workload, ctx, out);
}

export const kubernetes: Extractor = {
  format: 'kubernetes',
  detect: isObject,
  extract(root, ctx) {
    const out: ImageRef[] = [];
    extractObject(root, ctx, out, new Set());
    return out;
  },
};
