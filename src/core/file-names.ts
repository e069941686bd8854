// Formats known by their file names (Dockerfile, *.tf, values.yaml, kustomization.yaml, …), and the
// names a directory walk reads. Pure: names in, kinds out.
import type { Format } from './types.js';

/** The last path segment, for `/` and `\` separators. */
export function baseName(path: string): string {
  const cut = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  return path.slice(cut + 1);
}

/** The directory part of a path, without its trailing separator ('' for a bare name). */
export function dirName(path: string): string {
  const cut = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  return cut < 0 ? '' : path.slice(0, cut);
}

const DOCKERFILE = /^(?:(?:Dockerfile|Containerfile)(?:\.[^/\\]+)?|[^/\\]+\.(?:Dockerfile|Containerfile))$/i;
const TERRAFORM = /\.tf$/i;
const TERRAFORM_JSON = /\.tf\.json$/i;
const HELM_VALUES = /^(?:values(?:[-_.][^/\\]*)?|[^/\\]+[-_.]values)\.ya?ml$/i;
const KUSTOMIZATION = /^(?:kustomization\.ya?ml|Kustomization)$/;
const COMPOSE = /^(?:(?:docker-)?compose(?:[-_.][^/\\]*)?\.ya?ml)$/i;
const GITLAB_CI = /^\.gitlab-ci\.ya?ml$/i;
const WORKFLOW_DIR = /(^|[/\\])\.github[/\\]workflows[/\\][^/\\]+\.ya?ml$/i;

/** How a file's name says to read it: a format of its own, or undefined for detection by content. */
export type NamedKind = Extract<Format, 'dockerfile' | 'terraform' | 'helm-values' | 'kustomize' | 'compose' | 'github-actions' | 'gitlab-ci'> | 'terraform-json';

export function namedKind(path: string): NamedKind | undefined {
  const name = baseName(path);
  if (TERRAFORM.test(name)) return 'terraform';
  if (TERRAFORM_JSON.test(name)) return 'terraform-json';
  if (DOCKERFILE.test(name) && !/\.(ya?ml|json|md|txt|sh|dockerignore)$/i.test(name)) return 'dockerfile';
  if (KUSTOMIZATION.test(name)) return 'kustomize';
  if (COMPOSE.test(name)) return 'compose';
  if (GITLAB_CI.test(name)) return 'gitlab-ci';
  if (WORKFLOW_DIR.test(path)) return 'github-actions';
  if (HELM_VALUES.test(name)) return 'helm-values';
  return undefined;
}

const SCANNED_EXTENSIONS = /\.(ya?ml|json|template|tf)$/i;

/** Whether a directory walk reads a file of this name: YAML, JSON, CloudFormation templates, Terraform, Dockerfiles, `Kustomization`. */
export function isScannedName(name: string): boolean {
  return SCANNED_EXTENSIONS.test(name) || KUSTOMIZATION.test(name) || (DOCKERFILE.test(name) && namedKind(name) === 'dockerfile');
}
