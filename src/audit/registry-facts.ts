// Registry facts for an ECS snapshot: for each unique declared image reference, what its tag points
// at now, whether each digest in use (run by tasks, resolved by a service revision, pinned) is still
// in the registry, and the version tags of those digests, read once per unique reference.
//
// - Private ECR: one DescribeImages per repository (100 image ids a call) asks for every tag and
//   digest in use at once; each answer carries the image's digest and all its tags, so `latest` and
//   an old running digest both name their versions at no extra cost (describeEcrImageIds).
// - Any other registry: createResolver's ResolverSession (OCI Distribution API, deduplicated):
//   HEAD the tag, HEAD each other digest, and only when builds differ, list the tags and find the
//   version tag of each digest (findVersionTag).
// - Multi-arch images: a task may report the digest of the platform manifest it pulled rather
//   than the index the tag names. When the tag names an index and a digest in use differs from it,
//   the index's platform manifests are read (ECR: one BatchGetImage per repository; elsewhere: the
//   tag resolved for linux/amd64 and linux/arm64), so that a child of the current index is not
//   mistaken for another build.
// Credentials problems stop the audit (AwsCredentialsError); anything else fails only the
// references concerned, recorded as `incomplete` (scope `registry`).
import { canonicalName, canonicalReference, parseReference } from '../core/parse-reference.js';
import type { ParsedReference } from '../core/types.js';
import { parseEcrHost } from '../resolve/ecr-host.js';
import { mapLimit } from '../resolve/limit.js';
import type { Resolver } from '../resolve/types.js';
import { parseVersionTag, versionTagSuffix } from '../resolve/version-tags.js';
import { ociFacts, pulledTag } from './oci-facts.js';
import type { WantedReference } from './oci-facts.js';
import { AwsCredentialsError, awsErrorMessage, awsErrorName, toCredentialsError } from '../sources/aws-clients.js';
import type { AwsClients } from '../sources/aws-clients.js';
import { describeEcrImageIds, ecrIndexChildren, INDEX_MEDIA_TYPES } from '../sources/ecs-live.js';
import type { EcrImageIdsResult, EcsSnapshot, SnapshotImage, SnapshotIncomplete } from '../sources/ecs-live.js';

export type { WantedReference } from './oci-facts.js';

const TEMPLATED = /[{}$<>]/;

/** Every unique declared reference of a snapshot, keyed by canonical reference, with its digests in use. */
export function wantedReferences(snapshot: EcsSnapshot): Map<string, WantedReference> {
  const wanted = new Map<string, WantedReference>();
  const note = (image: string | undefined, digest: string | undefined, account: string | undefined) => {
    if (image === undefined || TEMPLATED.test(image)) return;
    const outcome = parseReference(image);
    if (!outcome.ok) return;
    const key = canonicalReference(outcome.ref);
    let w = wanted.get(key);
    if (w === undefined) {
      w = { key, parsed: outcome.ref, digests: new Set(), ...(account ? { account } : {}) };
      wanted.set(key, w);
    }
    if (outcome.ref.digest !== undefined) w.digests.add(outcome.ref.digest);
    if (digest !== undefined) w.digests.add(digest);
  };
  const accountOfArn = (arn: string) => arn.split(':')[4] || undefined;
  const declared = (tdArn: string | undefined, name: string | undefined, fallback: string | undefined) =>
    (tdArn !== undefined ? snapshot.taskDefinitions[tdArn]?.containers.find((c) => c.name === name)?.image : undefined) ?? fallback;
  for (const td of Object.values(snapshot.taskDefinitions)) for (const c of td.containers) note(c.image, undefined, accountOfArn(td.arn));
  for (const cluster of snapshot.clusters) {
    for (const task of [...cluster.services.flatMap((s) => s.tasks), ...cluster.standaloneTasks]) {
      for (const c of task.containers) note(declared(task.taskDefinitionArn, c.name, c.image), c.imageDigest, cluster.accountId || undefined);
    }
  }
  for (const revision of Object.values(snapshot.serviceRevisions)) {
    for (const ci of revision.containerImages) note(declared(revision.taskDefinition, ci.containerName, ci.image), ci.imageDigest, revision.arn.split(':')[4] || undefined);
  }
  return wanted;
}

/** The most specific, then newest, version tag among an image's tags (same `-suffix` as the declared tag), not the declared tag itself. */
export function bestVersionTag(tags: readonly string[], declaredTag: string | undefined): string | undefined {
  const suffix = declaredTag !== undefined ? versionTagSuffix(declaredTag) : undefined;
  const candidates = tags
    .filter((t) => t !== declaredTag)
    .map((t) => parseVersionTag(t, suffix))
    .filter((v): v is NonNullable<typeof v> => v !== undefined)
    .sort((a, b) => b.precision - a.precision || b.version.compare(a.version));
  return candidates[0]?.tag;
}

export interface RegistryFactsOptions {
  /** The AWS clients that ask ECR about a reference first seen in `account`. */
  ecrClients: (account: string | undefined) => AwsClients;
  /** For every other registry (createResolver's session); absent: those references get no facts. */
  oci?: Resolver;
  /** Repositories (ECR) and references (others) asked at a time. Default 8. */
  concurrency?: number;
  /** Now on AWS's clock, in ms (the local clock corrected by the skew the SDK learnt). */
  serverNow: () => number;
  onProgress?: (done: number, total: number) => void;
}

export interface RegistryFacts {
  images: Record<string, SnapshotImage>;
  incomplete: SnapshotIncomplete[];
}

interface EcrGroup {
  account: string;
  region: string;
  fips: boolean;
  repository: string;
  refs: WantedReference[];
  seenIn?: string;
}

function ecrFacts(group: EcrGroup, result: EcrImageIdsResult, checkedAt: string): Array<[string, SnapshotImage]> {
  return group.refs.map((w) => {
    const tag = pulledTag(w.parsed);
    const image: SnapshotImage = { source: 'ecr', checkedAt, digests: {} };
    if (tag !== undefined) {
      const hit = result.repositoryMissing ? undefined : result.found.get(`:${tag}`);
      if (hit !== undefined) {
        const versionTag = bestVersionTag(hit.tags, tag);
        image.current = { digest: hit.digest, ...(versionTag !== undefined ? { versionTag } : {}) };
      } else {
        image.tagMissing = true;
      }
    }
    for (const digest of [...w.digests].sort()) {
      const hit = result.repositoryMissing ? undefined : result.found.get(`@${digest}`);
      const versionTag = hit !== undefined ? bestVersionTag(hit.tags, tag) : undefined;
      image.digests[digest] = { exists: hit !== undefined, ...(versionTag !== undefined ? { versionTag } : {}) };
    }
    return [w.key, image];
  });
}

/** Gathers the registry facts of every unique reference in use (see the top of this file). */
export async function gatherRegistryFacts(snapshot: EcsSnapshot, options: RegistryFactsOptions): Promise<RegistryFacts> {
  const wanted = wantedReferences(snapshot);
  const groups = new Map<string, EcrGroup>();
  const others: WantedReference[] = [];
  for (const w of [...wanted.values()].sort((a, b) => a.key.localeCompare(b.key))) {
    const host = parseEcrHost(w.parsed.registry);
    if (host === undefined) {
      others.push(w);
      continue;
    }
    const key = `${host.account}/${host.region}/${host.fips ? 'fips' : ''}/${w.parsed.repository}`;
    let g = groups.get(key);
    if (g === undefined) groups.set(key, (g = { account: host.account, region: host.region, fips: host.fips, repository: w.parsed.repository, refs: [], ...(w.account ? { seenIn: w.account } : {}) }));
    g.refs.push(w);
  }
  const images: Record<string, SnapshotImage> = {};
  const incomplete: SnapshotIncomplete[] = [];
  let fatal: AwsCredentialsError | undefined;
  const total = groups.size + (options.oci !== undefined ? others.length : 0);
  let done = 0;
  const progress = () => options.onProgress?.(++done, total);
  const fail = (refs: WantedReference[], id: string, region: string | undefined, operation: string, err: unknown) => {
    const reason = awsErrorMessage(err);
    for (const w of refs) images[w.key] = { source: parseEcrHost(w.parsed.registry) ? 'ecr' : 'oci', digests: {}, failure: reason };
    incomplete.push({ scope: 'registry', id, ...(region !== undefined ? { region } : {}), operation, code: awsErrorName(err), reason });
  };
  type Job = { kind: 'ecr'; group: EcrGroup } | { kind: 'oci'; ref: WantedReference };
  const jobs: Job[] = [...[...groups.values()].map((group): Job => ({ kind: 'ecr', group })), ...(options.oci !== undefined ? others.map((ref): Job => ({ kind: 'oci', ref })) : [])];
  await mapLimit(
    jobs,
    options.concurrency ?? 8,
    async (job) => {
      if (job.kind === 'ecr') {
        const g = job.group;
        const ids = [
          ...new Set(g.refs.map((w) => pulledTag(w.parsed)).filter((t): t is string => t !== undefined)),
        ].sort().map((imageTag) => ({ imageTag }));
        const digests = [...new Set(g.refs.flatMap((w) => [...w.digests]))].sort().map((imageDigest) => ({ imageDigest }));
        try {
          const result = await describeEcrImageIds(options.ecrClients(g.seenIn), { account: g.account, region: g.region, fips: g.fips, repository: g.repository }, [...ids, ...digests]);
          const checkedAt = new Date(options.serverNow()).toISOString();
          const facts = ecrFacts(g, result, checkedAt);
          // Multi-arch: the platform manifests of each index tag that a digest in use differs from.
          const indexTags = new Map<string, SnapshotImage[]>();
          facts.forEach(([, image], i) => {
            const tag = pulledTag(g.refs[i]!.parsed);
            const current = image.current;
            if (tag === undefined || current === undefined || !INDEX_MEDIA_TYPES.has(result.found.get(`@${current.digest}`)?.mediaType ?? '')) return;
            if (!Object.keys(image.digests).some((d) => d !== current.digest)) return;
            indexTags.set(tag, [...(indexTags.get(tag) ?? []), image]);
          });
          if (indexTags.size > 0) {
            try {
              const children = await ecrIndexChildren(options.ecrClients(g.seenIn), { account: g.account, region: g.region, fips: g.fips, repository: g.repository }, [...indexTags.keys()]);
              for (const [tag, list] of indexTags) {
                const platforms = children.get(tag);
                if (platforms === undefined) continue;
                for (const image of list) {
                  image.current!.platforms = platforms;
                  for (const d of platforms) if (image.digests[d] !== undefined && image.current!.versionTag !== undefined) image.digests[d]!.versionTag ??= image.current!.versionTag;
                }
              }
            } catch (err) {
              if (toCredentialsError(err) !== undefined) throw err;
              incomplete.push({ scope: 'registry', id: canonicalName(g.refs[0]!.parsed), region: g.region, operation: 'BatchGetImage', code: awsErrorName(err), reason: awsErrorMessage(err) });
            }
          }
          for (const [key, image] of facts) images[key] = image;
        } catch (err) {
          const cred = toCredentialsError(err);
          if (cred !== undefined) {
            fatal ??= cred;
            return;
          }
          fail(g.refs, canonicalName(g.refs[0]!.parsed), g.region, 'DescribeImages', err);
        }
      } else if (options.oci !== undefined) {
        const image = await ociFacts(options.oci, job.ref, options.serverNow).catch((err: unknown) => ({ source: 'oci' as const, digests: {}, failure: err instanceof Error ? err.message : String(err) }));
        images[job.ref.key] = image;
        if (image.failure !== undefined) {
          incomplete.push({ scope: 'registry', id: canonicalName(job.ref.parsed), operation: 'resolve', code: 'RegistryError', reason: image.failure });
        }
      }
      progress();
    },
    () => fatal !== undefined,
  );
  if (fatal !== undefined) throw fatal;
  const sorted: Record<string, SnapshotImage> = {};
  for (const key of Object.keys(images).sort()) sorted[key] = images[key]!;
  return { images: sorted, incomplete };
}
