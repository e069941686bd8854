// Wording shared by the rules' messages: who uses the image, and what a floating tag risks.
import type { ImageRef } from '../core/types.js';

export function describeWorkload(ref: ImageRef): string {
  const { kind, name, namespace } = ref.workload;
  const label = name === undefined ? '' : ` \`${namespace !== undefined ? `${namespace}/` : ''}${name}\``;
  const article = name === undefined ? 'a ' : '';
  if (kind === 'TaskDefinition' || kind === 'AWS::ECS::TaskDefinition') return `${article}task definition${label}`;
  if (kind === 'JobDefinition' || kind === 'AWS::Batch::JobDefinition') return `${article}job definition${label}`;
  return `${article}${kind}${label}`;
}

/** "sidecar `aws-otel-collector` in task definition `app`" */
export function describeContainer(ref: ImageRef): string {
  const { role, name, roleReason } = ref.container;
  const noun = role === 'sidecar' ? 'sidecar' : role === 'init' ? 'init container' : 'container';
  const known = role === 'app' && roleReason?.startsWith('known sidecar image') ? ' (a known sidecar image)' : '';
  const via = ref.via !== undefined ? ` (image from ${ref.via})` : '';
  return `${noun}${name !== undefined ? ` \`${name}\`` : ''}${known} in ${describeWorkload(ref)}${via}`;
}

export function floatingConsequence(ref: ImageRef): string {
  return ref.format === 'kubernetes' ? 'any pod restart or reschedule can pull a different build' : 'any task replacement can pull a different build';
}

export function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
