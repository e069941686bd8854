// The extractor registry. Documents (YAML, JSON) are detected by content, in this order: the first
// whose detect() accepts a document wins. Some formats are known by their file names
// (src/core/file-names.ts): Dockerfiles and Terraform are read as text by their own parsers; a
// named YAML format is tried first on each of its documents.
import type { NamedKind } from '../core/file-names.js';
import { cloudformation } from './cloudformation.js';
import { compose } from './compose.js';
import { copilot } from './copilot.js';
import { dockerfile } from './dockerfile.js';
import { ecsTaskDefinition } from './ecs-task-definition.js';
import { githubActions } from './github-actions.js';
import { gitlabCi } from './gitlab-ci.js';
import { helmTemplate } from './helm-template.js';
import { helmValues } from './helm-values.js';
import { kubernetes } from './kubernetes.js';
import { kustomize } from './kustomize.js';
import { prepareTerraform, terraform } from './terraform.js';
import { terraformJson } from './terraform-json.js';
import type { Extractor, TextExtractor } from './types.js';

export const EXTRACTORS: readonly Extractor[] = [cloudformation, kustomize, kubernetes, ecsTaskDefinition, compose, githubActions, gitlabCi, copilot];

/** Formats known by file name that are YAML: their extractor is tried first on each document. */
export const NAMED_EXTRACTORS: Readonly<Partial<Record<NamedKind, Extractor>>> = {
  'helm-values': helmValues,
  kustomize,
  compose,
  'github-actions': githubActions,
  'gitlab-ci': gitlabCi,
  'terraform-json': terraformJson,
};

/** Formats read as text by a parser of their own. */
export const TEXT_EXTRACTORS: Readonly<Partial<Record<NamedKind, TextExtractor>>> = {
  dockerfile,
  terraform,
};

/**
 * What must be loaded before a file of this kind is scanned (the HCL parser, WebAssembly, loaded
 * asynchronously on the first `.tf` file); undefined when nothing is missing.
 */
export function prepareFor(kind: NamedKind | undefined): Promise<void> | undefined {
  return kind === 'terraform' ? prepareTerraform() : undefined;
}

export { helmTemplate, helmValues };
export type { ExtractContext, Extractor, TextExtraction, TextExtractor } from './types.js';
