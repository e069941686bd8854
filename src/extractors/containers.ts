// Shared by the extractors: turning an image value node into an ImageRef, and giving each
// container of a workload its role.
import type { Container, ImageRef, Workload, Format } from '../core/types.js';
import { get } from '../parse/tree.js';
import type { Node, ScalarNode } from '../parse/tree.js';
import type { ExtractContext } from './types.js';

export interface ContainerInfo {
  name?: string;
  /** The literal image string when there is one (for known-sidecar matching). */
  image?: string;
  essential?: boolean;
  firelens?: boolean;
  /** Kubernetes init container (not a native sidecar). */
  init?: boolean;
  /** Kubernetes init container with `restartPolicy: Always`. */
  nativeSidecar?: boolean;
  /** Kubernetes ephemeral (debug) container. */
  ephemeral?: boolean;
}

/**
 * Roles of a workload's containers, in order. The primary container is the first regular container
 * whose image is not a known sidecar (or, failing that, the first regular container); a known
 * sidecar image anywhere else is a sidecar, whatever its `essential` flag.
 */
export function assignRoles(containers: readonly ContainerInfo[], ctx: ExtractContext): Container[] {
  const known = containers.map((c) => c.image !== undefined && ctx.isKnownSidecar(c.image));
  const regular = containers.map((c, i) => ({ c, i })).filter(({ c }) => !c.init && !c.nativeSidecar && !c.ephemeral && c.firelens !== true);
  const primary = (regular.find(({ i }) => !known[i]) ?? regular[0])?.i;
  return containers.map((c, i) => {
    const base = c.name === undefined ? {} : { name: c.name };
    if (c.nativeSidecar) return { ...base, role: 'sidecar', roleReason: 'native sidecar (restartPolicy: Always)' };
    if (c.init) return { ...base, role: 'init' };
    if (c.ephemeral) return { ...base, role: 'app', roleReason: 'ephemeral debug container' };
    if (c.firelens) return { ...base, role: 'sidecar', roleReason: 'FireLens log router' };
    if (c.essential === false) return { ...base, role: 'sidecar', roleReason: 'essential: false' };
    if (known[i] && i !== primary) return { ...base, role: 'sidecar', roleReason: 'known sidecar image' };
    return { ...base, role: 'app', ...(known[i] ? { roleReason: 'known sidecar image, but the only primary container' } : {}) };
  });
}

/** A literal image string node, or undefined. */
export function literal(node: Node | undefined): ScalarNode | undefined {
  return node?.type === 'scalar' && node.tag === undefined && typeof node.value === 'string' ? node : undefined;
}

export function refFromScalar(
  node: ScalarNode,
  format: Format,
  workload: Workload,
  container: Container,
  ctx: ExtractContext,
  extra: { via?: string; unresolvable?: string } = {},
): ImageRef {
  return {
    raw: node.value === null ? '' : String(node.value),
    format,
    location: ctx.lines.location(ctx.path, node.range),
    range: node.range,
    style: node.style,
    workload,
    container,
    ...extra,
  };
}

/** A reference that cannot be judged literally (an intrinsic function, a template), reported at the node. */
export function unresolvableRef(
  node: Node,
  raw: string,
  reason: string,
  format: Format,
  workload: Workload,
  container: Container,
  ctx: ExtractContext,
): ImageRef {
  const range = node.type === 'scalar' ? node.range : node.nodeRange;
  return {
    raw: condense(raw),
    format,
    location: ctx.lines.location(ctx.path, range),
    range,
    style: node.type === 'scalar' ? node.style : 'plain',
    workload,
    container,
    unresolvable: reason,
  };
}

/** One line, at most 120 characters: how an unliteral value is quoted in messages. */
function condense(raw: string): string {
  const line = raw.replace(/\s+/g, ' ').trim();
  return line.length > 120 ? `${line.slice(0, 119)}…` : line;
}

/** Each container's `image` with its role: a literal, or an unresolvable value quoted as written. */
export function containerRefs(containers: readonly Node[], roles: readonly Container[], format: Format, workload: Workload, ctx: ExtractContext, out: ImageRef[]): void {
  containers.forEach((container, i) => {
    const role = roles[i];
    const imageNode = get(container, 'image');
    if (role === undefined || imageNode === undefined) return;
    const scalar = literal(imageNode);
    if (scalar !== undefined) out.push(refFromScalar(scalar, format, workload, role, ctx));
    else out.push(unresolvableRef(imageNode, ctx.text.slice(imageNode.nodeRange.start, imageNode.nodeRange.end), 'the image is not a string', format, workload, role, ctx));
  });
}
