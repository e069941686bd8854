// One identity per finding, defined once: the key for baselines (`--baseline`), `imagedrift diff`,
// SARIF's partialFingerprints and the JSON report's `identity`. It is made of what a finding is
// about, never of where its text happens to be today:
//
//   rule, file path (relative to the repository root) or live location (ecs://…#container,
//   k8s://…#container), workload (kind, namespace, name), container name, image repository
//   (canonical registry/repository, without tag or digest)
//
// so a finding keeps its identity when lines above it move, when a service is re-deployed, when a
// tag is bumped or a digest changes. Two findings with the same parts in one report (rare: the same
// rule twice on the same container and repository) are told apart by their order: #0, #1, …
// Pure (hashing is not I/O).
import { createHash } from 'node:crypto';
import type { Finding } from './types.js';

/** The version of the identity recipe; part of the hashed key and of SARIF's fingerprint name. */
export const IDENTITY_VERSION = 'imagedrift/v2';

/** What a finding's identity is made of. */
export interface IdentityParts {
  ruleId: string;
  /** The file path relative to the repository root, or the live location (`ecs://…#container`). */
  location: string;
  workload?: { kind?: string; namespace?: string; name?: string };
  container?: string;
  /** The canonical `registry/repository`, or the string as written when it could not be read. */
  image?: string;
}

/** `ecs://…`, `k8s://…`, `ecr://…`, `oci://…`: a location that is not a file. */
export function isLiveLocation(path: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//.test(path);
}

/** The image part of an identity: the canonical `registry/repository`, else the string as written. */
export function imageRepository(image: Finding['image']): string | undefined {
  if (image === undefined) return undefined;
  if (image.repository !== undefined && image.repository !== '') return `${image.registry ?? 'docker.io'}/${image.repository}`;
  return image.raw;
}

/** The parts of a finding's identity; `location` is its path as the identity should see it (repository-relative). */
export function identityParts(finding: Finding, location: string): IdentityParts {
  const parts: IdentityParts = { ruleId: finding.ruleId, location };
  const { workload, container } = finding;
  if (workload !== undefined) {
    parts.workload = {
      ...(workload.kind !== undefined ? { kind: workload.kind } : {}),
      ...(workload.namespace !== undefined ? { namespace: workload.namespace } : {}),
      ...(workload.name !== undefined ? { name: workload.name } : {}),
    };
  }
  if (container?.name !== undefined) parts.container = container.name;
  const image = imageRepository(finding.image);
  if (image !== undefined) parts.image = image;
  return parts;
}

/** The canonical text of the parts (what is hashed). */
export function identityKey(parts: IdentityParts): string {
  const w = parts.workload;
  return JSON.stringify([IDENTITY_VERSION, parts.ruleId, parts.location, w?.kind ?? null, w?.namespace ?? null, w?.name ?? null, parts.container ?? null, parts.image ?? null]);
}

/** The identity: 32 hex digits of the sha256 of the key and the occurrence. */
export function identityHash(key: string, occurrence = 0): string {
  return createHash('sha256').update(`${key}#${occurrence}`).digest('hex').slice(0, 32);
}

/**
 * The identities of a report's findings, in report order (the occurrence of equal keys counts).
 * `relativePath` maps a reported file path to the repository-relative one; live locations are
 * taken as they are.
 */
export class FindingIdentities {
  private readonly seen = new Map<string, number>();

  constructor(private readonly relativePath?: (path: string) => string) {}

  location(path: string): string {
    return isLiveLocation(path) || this.relativePath === undefined ? path : this.relativePath(path);
  }

  /** The next finding's identity (call once per finding, in report order). */
  next(finding: Finding): string {
    return this.fromParts(identityParts(finding, this.location(finding.location.path)));
  }

  fromParts(parts: IdentityParts): string {
    const key = identityKey(parts);
    const occurrence = this.seen.get(key) ?? 0;
    this.seen.set(key, occurrence + 1);
    return identityHash(key, occurrence);
  }
}

/** A finding's identity: the one it carries (set by a baseline comparison), else the next from `identities`. */
export function identityOf(finding: Finding, identities: FindingIdentities): string {
  return finding.identity ?? identities.next(finding);
}
