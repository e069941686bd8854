// What the audit knows about one container image in use by one ECS service (or one group of
// standalone tasks), beyond its declared reference: the digests its tasks really run, what the
// registry serves now, and the settings that decide what the next task will pull. The audit's
// rules (src/rules/fleet-drift.ts, tag-moved-since-deploy.ts, …) read it from Subject.live.
// Pure data.

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
  /** `service` for an ECS service, `standalone` for a group of tasks started outside any service. */
  unit: 'service' | 'standalone';
  /** Running tasks of the unit that run this container with this declared image. */
  tasks: number;
  /** Digests in use, most tasks first. */
  digests: LiveDigest[];
  /** The container definition's `versionConsistency` (`enabled`, ECS's default, or `disabled`). */
  versionConsistency?: string;
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
