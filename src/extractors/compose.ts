// Docker Compose files (`compose.yaml`, `docker-compose*.yml`, `compose.*.yaml`, or any YAML with
// a `services` map of image/build entries): `services.*.image`. A service with both `build:` and
// `image:` names the image it builds (nothing is pulled), so it is skipped. `${VAR:-default}` and
// `${VAR-default}` are judged, and pinned, at the default.
import type { ImageRef, Workload } from '../core/types.js';
import { get, str } from '../parse/tree.js';
import type { Node, ScalarNode } from '../parse/tree.js';
import { assignRoles, literal, refFromScalar, unresolvableRef } from './containers.js';
import type { ContainerInfo } from './containers.js';
import type { ExtractContext, Extractor } from './types.js';

const FORMAT = 'compose';

function services(root: Node): Array<{ key: string; value: Node }> {
  const node = get(root, 'services');
  return node?.type === 'map' ? node.entries.filter(({ value }) => value.type === 'map') : [];
}

function isCompose(root: Node): boolean {
  if (root.type !== 'map' || get(root, 'apiVersion') !== undefined || get(root, 'kind') !== undefined) return false;
  const list = services(root);
  return list.length > 0 && list.some(({ value }) => get(value, 'image') !== undefined || get(value, 'build') !== undefined);
}

/** `${VAR:-default}` / `${VAR-default}` (the whole value): the default and its offset in the value. */
const DEFAULTED = /^\$\{[A-Za-z_][A-Za-z0-9_]*:?-([^}]*)\}$/;
const PART_DEFAULTED = /\$\{[A-Za-z_][A-Za-z0-9_]*:?-([^}]*)\}/g;

/**
 * A scalar whose value is a variable with a default: the default as a scalar of its own (at its
 * place in the text), or undefined. Only where the value's characters are the text's (no escapes).
 */
export function variableDefault(node: ScalarNode, ctx: ExtractContext): ScalarNode | undefined {
  const value = String(node.value);
  const match = DEFAULTED.exec(value);
  if (match === null || (match[1] ?? '') === '') return undefined;
  if (ctx.text.slice(node.range.start, node.range.end) !== value) return undefined;
  const start = node.range.start + value.indexOf(match[1] as string, 2);
  const range = { start, end: start + (match[1] as string).length };
  return { ...node, value: match[1] as string, range, nodeRange: range, style: node.style === 'plain' ? 'plain' : node.style };
}

function extract(root: Node, ctx: ExtractContext): ImageRef[] {
  const name = str(root, 'name');
  const workload: Workload = { kind: 'Compose', ...(name !== undefined ? { name } : {}) };
  const pulled = services(root).filter(({ value }) => get(value, 'image') !== undefined && get(value, 'build') === undefined);
  const infos: ContainerInfo[] = pulled.map(({ key, value }) => {
    const image = literal(get(value, 'image'));
    return { name: key, ...(image !== undefined ? { image: String(image.value) } : {}) };
  });
  const roles = assignRoles(infos, ctx).map((role) => (role.role === 'app' ? { ...role, noun: 'service' } : role));
  const out: ImageRef[] = [];
  pulled.forEach(({ value }, i) => {
    const role = roles[i];
    const node = get(value, 'image');
    if (role === undefined || node === undefined) return;
    const scalar = literal(node);
    if (scalar === undefined) {
      out.push(unresolvableRef(node, ctx.text.slice(node.nodeRange.start, node.nodeRange.end), 'the image is not a string', FORMAT, workload, role, ctx));
      return;
    }
    const fallback = variableDefault(scalar, ctx);
    if (fallback !== undefined) {
      out.push(refFromScalar(fallback, FORMAT, workload, role, ctx, { via: `the default of \`${String(scalar.value)}\`` }));
      return;
    }
    // Defaults inside a longer value (`registry/app:${TAG:-1.2.3}`): judged as it resolves, never rewritten.
    const written = String(scalar.value);
    const resolved = written.replace(PART_DEFAULTED, (_all: string, word: string) => word);
    if (resolved !== written && !resolved.includes('$')) {
      out.push({ ...refFromScalar(scalar, FORMAT, workload, role, ctx, { via: `the defaults in \`${written}\`` }), raw: resolved, pin: { none: 'built from variable defaults: pin them by hand' } });
      return;
    }
    out.push(refFromScalar(scalar, FORMAT, workload, role, ctx));
  });
  return out;
}

export const compose: Extractor = { format: FORMAT, detect: isCompose, extract };
