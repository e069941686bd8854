// The extractor registry, in detection order: the first whose detect() accepts a document wins.
import { cloudformation } from './cloudformation.js';
import { ecsTaskDefinition } from './ecs-task-definition.js';
import { kubernetes } from './kubernetes.js';
import type { Extractor } from './types.js';

export const EXTRACTORS: readonly Extractor[] = [cloudformation, kubernetes, ecsTaskDefinition];

export type { ExtractContext, Extractor } from './types.js';
