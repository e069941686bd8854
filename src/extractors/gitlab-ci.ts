// GitLab CI configuration (`.gitlab-ci.yml` and the files it includes, found by name or by content):
// `image:` (a string or `{name: …}`) and `services:` entries (strings or `{name: …}`), at the top
// level, in `default:`, in every job and in hidden `.jobs`. An image that is exactly a variable
// (`$BUILD_IMAGE`) defined with a literal value in the file's `variables:` (the job's or the
// top level's) is judged, and pinned, at that value.
import type { Container, ImageRef, Workload } from '../core/types.js';
import { get, items } from '../parse/tree.js';
import type { MapNode, Node, ScalarNode } from '../parse/tree.js';
import { literal, refFromScalar, unresolvableRef } from './containers.js';
import type { ExtractContext, Extractor } from './types.js';

const FORMAT = 'gitlab-ci';

/** Top-level keys that are not jobs. */
const KEYWORDS = new Set(['default', 'include', 'stages', 'variables', 'workflow', 'image', 'services', 'before_script', 'after_script', 'cache', 'spec', 'pages:deploy']);
const JOB_KEYS = ['script', 'trigger', 'extends', 'run'];

function isJob(key: string, value: Node): value is MapNode {
  return !KEYWORDS.has(key) && value.type === 'map' && (JOB_KEYS.some((k) => get(value, k) !== undefined) || get(value, 'image') !== undefined || get(value, 'services') !== undefined);
}

function isGitlabCi(root: Node): boolean {
  if (root.type !== 'map' || get(root, 'apiVersion') !== undefined || get(root, 'jobs') !== undefined || get(root, 'Resources') !== undefined) return false;
  const services = get(root, 'services');
  if (services !== undefined && services.type === 'map') return false; // compose
  const jobs = root.entries.filter(({ key, value }) => isJob(key, value));
  const scripted = jobs.some(({ value }) => JOB_KEYS.some((k) => get(value, k) !== undefined));
  return scripted || ((get(root, 'stages') !== undefined || get(root, 'default') !== undefined || get(root, 'include') !== undefined) && (jobs.length > 0 || get(root, 'default') !== undefined));
}

/** `$NAME` or `${NAME}`, the whole value. */
const WHOLE_VARIABLE = /^\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))$/;

function variableValue(variables: readonly (Node | undefined)[], name: string): ScalarNode | undefined {
  for (const scope of variables) {
    const node = get(scope, name);
    const scalar = literal(node?.type === 'map' ? get(node, 'value') : node);
    if (scalar !== undefined) return scalar;
  }
  return undefined;
}

function imageRef(node: Node | undefined, variables: readonly (Node | undefined)[], workload: Workload, container: Container, ctx: ExtractContext, out: ImageRef[]): void {
  if (node === undefined) return;
  const target = node.type === 'map' ? get(node, 'name') : node;
  if (target === undefined) return;
  const scalar = literal(target);
  if (scalar === undefined) {
    const written = ctx.text.slice(target.nodeRange.start, target.nodeRange.end);
    out.push(unresolvableRef(target, target.tag !== undefined ? `${target.tag} ${written}` : written, target.tag === '!reference' ? 'a `!reference` to another job' : 'the image is not a string', FORMAT, workload, container, ctx));
    return;
  }
  const value = String(scalar.value);
  if (value.trim() === '') return;
  const whole = WHOLE_VARIABLE.exec(value);
  const name = whole?.[1] ?? whole?.[2];
  const defined = name !== undefined ? variableValue(variables, name) : undefined;
  if (defined !== undefined && !String(defined.value).includes('$')) {
    out.push(refFromScalar(defined, FORMAT, workload, container, ctx, { via: `variable \`${name}\`` }));
    return;
  }
  out.push(refFromScalar(scalar, FORMAT, workload, container, ctx));
}

function serviceRefs(node: Node | undefined, variables: readonly (Node | undefined)[], workload: Workload, job: string, ctx: ExtractContext, out: ImageRef[]): void {
  for (const service of items(node)) {
    const name = service.type === 'map' ? (literal(get(service, 'alias'))?.value ?? literal(get(service, 'name'))?.value) : literal(service)?.value;
    imageRef(service, variables, workload, { name: `${job}/${String(name ?? 'service')}`, role: 'app', noun: 'service' }, ctx, out);
  }
}

function extract(root: Node, ctx: ExtractContext): ImageRef[] {
  if (root.type !== 'map') return [];
  const workload: Workload = { kind: 'GitLabCI' };
  const global = get(root, 'variables');
  const out: ImageRef[] = [];
  const scope = (name: string, holder: Node | undefined, variables: readonly (Node | undefined)[]) => {
    imageRef(get(holder, 'image'), variables, workload, { name, role: 'app', noun: 'job' }, ctx, out);
    serviceRefs(get(holder, 'services'), variables, workload, name, ctx, out);
  };
  scope('(top level)', root, [global]);
  const defaults = get(root, 'default');
  if (defaults?.type === 'map') scope('default', defaults, [global]);
  for (const { key, value } of root.entries) if (isJob(key, value)) scope(key, value, [get(value, 'variables'), global]);
  return out;
}

export const gitlabCi: Extractor = { format: FORMAT, detect: isGitlabCi, extract };
