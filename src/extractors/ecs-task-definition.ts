// ECS task definitions in the shapes people keep them in: `register-task-definition
// --cli-input-json` input (family + containerDefinitions), `describe-task-definition` output
// ({"taskDefinition": {...}}), a bare array of container definitions (Terraform's file()), and AWS
// Batch job definitions (ecsProperties.taskProperties[].containers[], containerProperties).
import type { ImageRef, Workload } from '../core/types.js';
import { bool, get, getPath, items, str } from '../parse/tree.js';
import type { Node } from '../parse/tree.js';
import { assignRoles, containerRefs, literal } from './containers.js';
import type { ContainerInfo } from './containers.js';
import type { ExtractContext, Extractor } from './types.js';

interface TaskShape {
  workload: Workload;
  containers: Node[];
}

function isContainerDefinition(node: Node): boolean {
  return node.type === 'map' && get(node, 'image') !== undefined && get(node, 'name') !== undefined;
}

function shapes(root: Node): TaskShape[] {
  if (root.type === 'seq') {
    return root.items.length > 0 && root.items.every(isContainerDefinition) ? [{ workload: { kind: 'TaskDefinition' }, containers: root.items }] : [];
  }
  if (root.type !== 'map') return [];
  const task = get(root, 'taskDefinition')?.type === 'map' ? get(root, 'taskDefinition') : root;
  const definitions = get(task, 'containerDefinitions');
  if (definitions?.type === 'seq') {
    const family = str(task, 'family');
    return [{ workload: { kind: 'TaskDefinition', ...(family !== undefined ? { name: family } : {}) }, containers: definitions.items }];
  }
  const jobName = str(root, 'jobDefinitionName');
  const job: Workload = { kind: 'JobDefinition', ...(jobName !== undefined ? { name: jobName } : {}) };
  const batch = items(getPath(root, 'ecsProperties', 'taskProperties')).flatMap((task) => {
    const containers = get(task, 'containers');
    return containers?.type === 'seq' ? [{ workload: job, containers: containers.items }] : [];
  });
  const single = get(root, 'containerProperties');
  if (single?.type === 'map' && get(single, 'image') !== undefined && str(root, 'type') !== undefined) batch.push({ workload: job, containers: [single] });
  return batch;
}

function extractTask(shape: TaskShape, ctx: ExtractContext, out: ImageRef[]): void {
  const containers = shape.containers.filter((c) => c.type === 'map');
  const infos: ContainerInfo[] = containers.map((c) => {
    const name = str(c, 'name');
    const image = literal(get(c, 'image'));
    const essential = bool(c, 'essential');
    return {
      ...(name !== undefined ? { name } : {}),
      ...(image !== undefined ? { image: String(image.value) } : {}),
      ...(essential !== undefined ? { essential } : {}),
      ...(get(c, 'firelensConfiguration')?.type === 'map' ? { firelens: true } : {}),
    };
  });
  const roles = assignRoles(infos, ctx);
  containerRefs(containers, roles, 'ecs-task-definition', shape.workload, ctx, out);
}

export const ecsTaskDefinition: Extractor = {
  format: 'ecs-task-definition',
  detect: (root) => shapes(root).length > 0,
  extract(root, ctx) {
    const out: ImageRef[] = [];
    for (const shape of shapes(root)) extractTask(shape, ctx, out);
    return out;
  },
};
