// Joins findings to the references they are about: same position, same container.
import type { Finding, ImageRef } from '../core/types.js';

export function refKey(ref: ImageRef): string {
  return `${ref.location.path}:${ref.location.line}:${ref.location.column}:${ref.container.name ?? ''}`;
}

export function findingKey(finding: Finding): string {
  return `${finding.location.path}:${finding.location.line}:${finding.location.column}:${finding.container?.name ?? ''}`;
}
