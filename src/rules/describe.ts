// Wording shared by the rules' messages: who uses the image, and what a floating tag risks.
import type { ImageRef } from '../core/types.js';

/** Workload kinds that name a whole file rather than one object in it. */
const FILE_WORKLOADS: Readonly<Record<string, string>> = {
  Compose: 'the compose file',
  Dockerfile: 'the Dockerfile',
  GitLabCI: 'the GitLab CI configuration',
  HelmValues: 'the Helm values',
};

export function describeWorkload(ref: ImageRef): string {
  const { kind, name, namespace } = ref.workload;
  const label = name === undefined ? '' : ` \`${namespace !== undefined ? `${namespace}/` : ''}${name}\``;
  const article = name === undefined ? 'a ' : '';
  if (kind === 'TaskDefinition' || kind === 'AWS::ECS::TaskDefinition') return `${article}task definition${label}`;
  if (kind === 'JobDefinition' || kind === 'AWS::Batch::JobDefinition') return `${article}job definition${label}`;
  const whole = FILE_WORKLOADS[kind];
  if (whole !== undefined) return name === undefined ? whole : `${whole}${kind === 'HelmValues' ? ' of chart' : ''}${label}`;
  if (kind === 'Workflow') return `workflow${label}`;
  // Terraform: a resource (`aws_ecs_task_definition.app`) or a module call.
  if (ref.format === 'terraform') return kind === 'module' ? `module${label}` : `resource \`${kind}${name !== undefined ? `.${name}` : ''}\``;
  return `${article}${kind}${label}`;
}

/** "sidecar `aws-otel-collector` in task definition `app`" */
export function describeContainer(ref: ImageRef): string {
  const { role, name, roleReason, noun: ownNoun } = ref.container;
  const noun = role === 'sidecar' ? 'sidecar' : role === 'init' ? 'init container' : (ownNoun ?? 'container');
  const known = role === 'app' && roleReason?.startsWith('known sidecar image') ? ' (a known sidecar image)' : '';
  const via = ref.via !== undefined ? ` (image from ${ref.via})` : '';
  return `${noun}${name !== undefined ? ` \`${name}\`` : ''}${known} in ${describeWorkload(ref)}${via}`;
}

export function floatingConsequence(ref: ImageRef): string {
  switch (ref.format) {
    case 'kubernetes':
    case 'helm-values':
    case 'helm-template':
    case 'kustomize':
      return 'any pod restart or reschedule can pull a different build';
    case 'terraform':
      return ref.workload.kind.startsWith('kubernetes_') ? 'any pod restart or reschedule can pull a different build' : 'any task replacement can pull a different build';
    case 'compose':
      return 'any `docker compose pull`, or `up` on another host, can pull a different build';
    case 'dockerfile':
      return 'any rebuild can start from a different base';
    case 'github-actions':
    case 'gitlab-ci':
      return 'any CI run can pull a different build';
    default:
      return 'any task replacement can pull a different build';
  }
}

export function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
