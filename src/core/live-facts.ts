// What the audit knows about one container image in use by one ECS service (or one group of
// standalone tasks), or by one Kubernetes workload (or bare pod), beyond its declared reference:
// the digests its tasks (pods) really run, what the registry serves now, and the settings that
// decide what the next task (pod) will pull. The audit's
// rules (src/rules/fleet-drift.ts, tag-moved-since-deploy.ts, …) read it from Subject.live.
// Pure.

/** One digest in use under a declared reference. */
export interface LiveDigest {
  digest: string;
  /** Running tasks whose container runs this digest. */
  tasks: number;
  /** A current service revision resolved the tag to this digest (what replacements pull while versionConsistency is enabled). */
  deployed: boolean;
  /** The reference itself pins this digest (`repo@sha256:…`). */
  pinned: boolean;
  /** Whether the registry still has it; undefined when not known. */
  exists?: boolean;
  /** The version tag the registry gives this digest (`v0.28.0`), when one does. */
  versionTag?: string;
}

export interface LiveFacts {
  /** `service` for an ECS service (or a Kubernetes workload), `standalone` for tasks started outside any service (or a bare pod). */
  unit: 'service' | 'standalone';
  /** `kubernetes` for `audit k8s`: `tasks` then counts pods, and the wording is Kubernetes'. Absent for ECS. */
  platform?: 'kubernetes';
  /** Running tasks (pods) of the unit that run this container with this declared image. */
  tasks: number;
  /** Digests in use, most tasks first. */
  digests: LiveDigest[];
  /** The container definition's `versionConsistency` (`enabled`, ECS's default, or `disabled`). */
  versionConsistency?: string;
  /** Kubernetes: the container's `imagePullPolicy` (`Always`, `IfNotPresent`, `Never`). */
  pullPolicy?: string;
  /** Kubernetes: pods whose container reports only a local image id (a bare `sha256:`), not a registry digest, so not compared. */
  localImageIds?: number;
  /** What the registry serves now for the declared reference; absent when it was not (or could not be) asked. */
  registry?: {
    /** What the tag points at now; `platforms`: its platform manifests, when it is a multi-arch index. */
    current?: { digest: string; versionTag?: string; platforms?: string[] };
    /** The tag no longer exists. */
    tagMissing?: boolean;
    /** When the registry answered (AWS's clock). */
    checkedAt?: string;
  };
  /** The private ECR repository behind the image, when the collection read it. */
  repository?: {
    registryId: string;
    region: string;
    name: string;
    imageTagMutability?: string;
    exclusionFilters: Array<{ filterType?: string; filter?: string }>;
    found: boolean;
  };
}

/** Registry facts about one reference, as a snapshot records them (`SnapshotImage`, ECS and Kubernetes alike). */
export interface ImageFacts {
  current?: { digest: string; versionTag?: string; platforms?: string[] };
  digests: Record<string, { exists?: boolean; versionTag?: string }>;
}

/**
 * The digests in use under a reference, with what the registry says of each, most tasks (pods)
 * first. `pinned`: the digest the reference itself names, counted even when nothing runs it.
 */
export function liveDigests(inUse: ReadonlyMap<string, { tasks: number; deployed: boolean }>, facts: ImageFacts | undefined, pinned: string | undefined): LiveDigest[] {
  const all = new Map(inUse);
  if (pinned !== undefined && !all.has(pinned)) all.set(pinned, { tasks: 0, deployed: false });
  return [...all]
    .map(([digest, d]): LiveDigest => {
      const known = facts?.digests[digest];
      // A platform manifest of the index the tag names is the same build as the index.
      const isCurrent = facts?.current !== undefined && (facts.current.digest === digest || (facts.current.platforms ?? []).includes(digest));
      const exists = known?.exists ?? (isCurrent ? true : undefined);
      const versionTag = known?.versionTag ?? (isCurrent ? facts?.current?.versionTag : undefined);
      return {
        digest,
        tasks: d.tasks,
        deployed: d.deployed,
        pinned: pinned === digest,
        ...(exists !== undefined ? { exists } : {}),
        ...(versionTag !== undefined ? { versionTag } : {}),
      };
    })
    .sort((a, b) => b.tasks - a.tasks || a.digest.localeCompare(b.digest));
}
