// GitHub Actions workflows (`.github/workflows/*.yml`, or any YAML with `on:` and a `jobs` map of
// jobs): `jobs.*.container` (a string or `image:`), `jobs.*.services.*.image` and
// `steps[].uses: docker://image`. `${{ … }}` expressions cannot be judged; an empty service image
// (a service turned off by an expression) is not an image.
import type { Container, ImageRef, Workload } from '../core/types.js';
import { baseName } from '../core/file-names.js';
import { get, items, str } from '../parse/tree.js';
import type { Node, ScalarNode } from '../parse/tree.js';
import { literal, refFromScalar, unresolvableRef } from './containers.js';
import type { ExtractContext, Extractor } from './types.js';

const FORMAT = 'github-actions';
const DOCKER_SCHEME = 'docker://';

function jobs(root: Node): Array<{ key: string; value: Node }> {
  const node = get(root, 'jobs');
  return node?.type === 'map' ? node.entries.filter(({ value }) => value.type === 'map') : [];
}

function isWorkflow(root: Node): boolean {
  if (root.type !== 'map' || get(root, 'apiVersion') !== undefined) return false;
  if (get(root, 'on') === undefined && get(root, 'true') === undefined) return false;
  const list = jobs(root);
  return list.length > 0 && list.every(({ value }) => get(value, 'runs-on') !== undefined || get(value, 'steps') !== undefined || get(value, 'uses') !== undefined);
}

function imageRef(node: Node | undefined, workload: Workload, container: Container, ctx: ExtractContext, out: ImageRef[]): void {
  if (node === undefined) return;
  const scalar = literal(node);
  if (scalar === undefined) {
    if (node.type === 'scalar' && node.value === null) return;
    out.push(unresolvableRef(node, ctx.text.slice(node.nodeRange.start, node.nodeRange.end), 'the image is not a string', FORMAT, workload, container, ctx));
    return;
  }
  if (String(scalar.value).trim() === '') return;
  out.push(refFromScalar(scalar, FORMAT, workload, container, ctx));
}

/** The image of `docker://image`, as a scalar at its place in the text (only where the value is written as is). */
function dockerStep(uses: ScalarNode, ctx: ExtractContext): ScalarNode | undefined {
  const value = String(uses.value);
  if (!value.startsWith(DOCKER_SCHEME) || ctx.text.slice(uses.range.start, uses.range.end) !== value) return undefined;
  const range = { start: uses.range.start + DOCKER_SCHEME.length, end: uses.range.end };
  return { ...uses, value: value.slice(DOCKER_SCHEME.length), range, nodeRange: range };
}

function extract(root: Node, ctx: ExtractContext): ImageRef[] {
  const name = str(root, 'name') ?? baseName(ctx.path);
  const workload: Workload = { kind: 'Workflow', name };
  const out: ImageRef[] = [];
  for (const { key: job, value } of jobs(root)) {
    const container = get(value, 'container');
    const jobContainer: Container = { name: job, role: 'app', noun: 'job container' };
    imageRef(container?.type === 'map' ? get(container, 'image') : container, workload, jobContainer, ctx, out);
    const services = get(value, 'services');
    if (services?.type === 'map') {
      for (const { key: service, value: definition } of services.entries) {
        imageRef(definition.type === 'map' ? get(definition, 'image') : definition, workload, { name: `${job}/${service}`, role: 'app', noun: 'service' }, ctx, out);
      }
    }
    items(get(value, 'steps')).forEach((step, index) => {
      const uses = literal(get(step, 'uses'));
      const image = uses !== undefined ? dockerStep(uses, ctx) : undefined;
      if (image === undefined) return;
      const stepName = str(step, 'name') ?? str(step, 'id') ?? `step ${index + 1}`;
      out.push(refFromScalar(image, FORMAT, workload, { name: `${job}/${stepName}`, role: 'app', noun: 'step' }, ctx));
    });
  }
  return out;
}

export const githubActions: Extractor = { format: FORMAT, detect: isWorkflow, extract };
