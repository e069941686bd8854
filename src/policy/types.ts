// The policy a scan is judged by, after loading and merging.
import type { Severity } from '../core/types.js';

export type SeveritySetting = Severity | 'off';

export interface RuleSetting {
  severity: SeveritySetting;
  /** Severity for sidecar containers; defaults to `severity`. */
  sidecarSeverity?: SeveritySetting;
}

export interface Policy {
  rules: Record<string, RuleSetting>;
  sidecarImages: string[];
  mutableTags: string[];
}
