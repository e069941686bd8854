// Loads policy files: the bundled ones in policies/ and a user's own.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { SEVERITIES } from '../core/types.js';
import type { Policy, RuleSetting, SeveritySetting } from './types.js';

/** policies/ of the installed package (same depth from src/ and dist/). */
export const BUNDLED_POLICY_DIR = fileURLToPath(new URL('../../policies/', import.meta.url));

export class PolicyError extends Error {}

function severity(value: unknown, where: string): SeveritySetting {
  if (value === 'off' || value === false) return 'off';
  if (typeof value === 'string' && (SEVERITIES as readonly string[]).includes(value)) return value as SeveritySetting;
  throw new PolicyError(`${where}: expected one of error, warning, note, off; got ${JSON.stringify(value)}`);
}

function ruleSetting(value: unknown, where: string): RuleSetting {
  if (typeof value === 'string' || value === false) return { severity: severity(value, where) };
  if (value === null || typeof value !== 'object') throw new PolicyError(`${where}: expected a severity or { severity, sidecarSeverity }`);
  const record = value as Record<string, unknown>;
  const setting: RuleSetting = { severity: severity(record.severity, `${where}.severity`) };
  if (record.sidecarSeverity !== undefined) setting.sidecarSeverity = severity(record.sidecarSeverity, `${where}.sidecarSeverity`);
  return setting;
}

function stringList(value: unknown, where: string): string[] {
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string')) throw new PolicyError(`${where}: expected a list of strings`);
  return value as string[];
}

/** Reads the bundled default policy. */
export function loadDefaultPolicy(): Policy {
  return policyFromData(parse(readFileSync(`${BUNDLED_POLICY_DIR}default.yaml`, 'utf8')) as unknown, 'default.yaml');
}

export function policyFromData(data: unknown, source: string): Policy {
  const record = (data ?? {}) as Record<string, unknown>;
  const rules: Record<string, RuleSetting> = {};
  for (const [id, value] of Object.entries((record.rules ?? {}) as Record<string, unknown>)) rules[id] = ruleSetting(value, `${source}: rules.${id}`);
  const sidecars = (record.sidecars ?? {}) as Record<string, unknown>;
  const tags = (record.tags ?? {}) as Record<string, unknown>;
  return {
    rules,
    sidecarImages: stringList(sidecars.images ?? [], `${source}: sidecars.images`),
    mutableTags: stringList(tags.mutable ?? [], `${source}: tags.mutable`),
  };
}
