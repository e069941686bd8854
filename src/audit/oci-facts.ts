// Registry facts about one declared image reference, through the OCI Distribution API
// (createResolver's ResolverSession, deduplicated): HEAD the tag, HEAD each other digest in use,
// and only when builds differ, list the tags and find the version tag of each digest. For a
// multi-arch index that a digest in use differs from, its linux/amd64 and linux/arm64 manifests,
// so that a child of the current index is not mistaken for another build. Shared by `audit ecs`
// (images outside private ECR) and `audit k8s` (every image); loads nothing of the AWS SDK.
import type { ParsedReference } from '../core/types.js';
import { INDEX_MEDIA_TYPES } from '../resolve/types.js';
import type { Resolver } from '../resolve/types.js';
import { findVersionTag, versionTagSuffix } from '../resolve/version-tags.js';
import type { SnapshotImage } from '../sources/ecs-live.js';

/** A declared reference in use, with every digest seen under it. */
export interface WantedReference {
  key: string;
  parsed: ParsedReference;
  /** Running, deployed and pinned digests. */
  digests: Set<string>;
  /** The account the reference was first seen in (whose credentials ask ECR). */
  account?: string;
}

/** The platforms the images run on: ECS Linux tasks (Fargate, EC2) and most Kubernetes nodes (amd64, arm64). */
const PLATFORMS = ['linux/amd64', 'linux/arm64'];

/** The tag a task pulls for a reference: its own, or `latest` when it names neither tag nor digest. */
export function pulledTag(parsed: ParsedReference): string | undefined {
  return parsed.tag ?? (parsed.digest === undefined ? 'latest' : undefined);
}

/** What the registry serves now for one reference (see the top of this file); a failure is data (`failure`). */
export async function ociFacts(resolver: Resolver, w: WantedReference, serverNow: () => number): Promise<SnapshotImage> {
  const tag = pulledTag(w.parsed);
  const image: SnapshotImage = { source: 'oci', digests: {} };
  const tagged = (t: string): ParsedReference => ({ ...w.parsed, tag: t, digest: undefined }) as ParsedReference;
  let index = false;
  if (tag !== undefined) {
    const outcome = await resolver.resolve(tagged(tag));
    if (outcome.ok) {
      image.current = { digest: outcome.digest };
      index = INDEX_MEDIA_TYPES.has(outcome.mediaType);
    } else if (outcome.kind === 'not-found') image.tagMissing = true;
    else return { ...image, failure: outcome.reason };
  }
  const current = image.current?.digest;
  if (image.current !== undefined && index && [...w.digests].some((d) => d !== current)) {
    const platforms: string[] = [];
    for (const platform of PLATFORMS) {
      const child = await resolver.resolve(tagged(tag!), { platform });
      if (child.ok && child.platformDigest !== undefined && child.platformDigest !== child.digest) platforms.push(child.platformDigest);
    }
    if (platforms.length > 0) image.current.platforms = platforms;
  }
  const sameBuild = (digest: string) => digest === current || (image.current?.platforms ?? []).includes(digest);
  for (const digest of [...w.digests].sort()) {
    if (sameBuild(digest)) {
      image.digests[digest] = { exists: true };
      continue;
    }
    const exists = resolver.manifestExists !== undefined ? await resolver.manifestExists(w.parsed, digest).catch(() => undefined) : undefined;
    image.digests[digest] = exists !== undefined ? { exists } : {};
  }
  // Versions are only worth their calls when builds differ.
  const differing = Object.entries(image.digests).filter(([d, f]) => !sameBuild(d) && f.exists === true);
  if (differing.length > 0) {
    const tags = await resolver.listTags(w.parsed).catch(() => undefined);
    if (tags !== undefined) {
      const suffix = tag !== undefined ? versionTagSuffix(tag) : undefined;
      const versionOf = async (target: string) => {
        const match = await findVersionTag({
          tags,
          targetDigest: target,
          ...(suffix !== undefined ? { suffix } : {}),
          digestOf: async (t) => {
            const o = await resolver.resolve(tagged(t));
            return o.ok ? o.digest : undefined;
          },
        });
        return match.best !== undefined && match.best !== tag ? match.best : undefined;
      };
      if (image.current !== undefined) {
        const v = await versionOf(image.current.digest);
        if (v !== undefined) image.current.versionTag = v;
      }
      for (const [digest, facts] of differing) {
        const v = await versionOf(digest);
        if (v !== undefined) facts.versionTag = v;
      }
    }
  }
  image.checkedAt = new Date(serverNow()).toISOString();
  return image;
}

