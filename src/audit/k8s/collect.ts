// `imagedrift audit k8s`: the snapshot (read live through the Kubernetes API, or from kubectl's
// output), then, with --resolve, what the registries serve now for every unique declared
// reference in use, asked once each through the same registry client as `scan --resolve` (the
// on-disk cache is neither read nor written: an audit asks what is served now).
import { canonicalName, canonicalReference, parseReference } from '../../core/parse-reference.js';
import { createResolver } from '../../resolve/create.js';
import type { ResolverSettings } from '../../resolve/create.js';
import { mapLimit } from '../../resolve/limit.js';
import type { Resolver } from '../../resolve/types.js';
import type { K8sSnapshot } from '../../sources/k8s/snapshot.js';
import { ociFacts } from '../oci-facts.js';
import type { WantedReference } from '../oci-facts.js';

const TEMPLATED = /[{}$<>]/;

/** Every unique declared reference of a snapshot, keyed by canonical reference, with the digests its pods run. */
export function k8sWantedReferences(snapshot: K8sSnapshot): Map<string, WantedReference> {
  const wanted = new Map<string, WantedReference>();
  const note = (image: string | undefined, digest: string | undefined) => {
    if (image === undefined || TEMPLATED.test(image)) return;
    const outcome = parseReference(image);
    if (!outcome.ok) return;
    const key = canonicalReference(outcome.ref);
    let w = wanted.get(key);
    if (w === undefined) wanted.set(key, (w = { key, parsed: outcome.ref, digests: new Set() }));
    if (outcome.ref.digest !== undefined) w.digests.add(outcome.ref.digest);
    if (digest !== undefined) w.digests.add(digest);
  };
  for (const w of snapshot.workloads) for (const c of w.containers) note(c.image, undefined);
  for (const pod of snapshot.pods) {
    if (pod.phase === 'Succeeded' || pod.phase === 'Failed') continue;
    for (const c of pod.containers) note(c.image, c.digest);
  }
  return wanted;
}

export interface K8sRegistryOptions {
  resolver?: Omit<ResolverSettings, 'noCache' | 'offline' | 'profile'>;
  /** A resolver to ask instead of making one (tests). */
  session?: Resolver;
  /** References asked at a time. Default 8. */
  concurrency?: number;
}

/** Adds `images` (and `incomplete` entries for registries that could not answer) to the snapshot. */
export async function addK8sRegistryFacts(snapshot: K8sSnapshot, options: K8sRegistryOptions = {}): Promise<K8sSnapshot> {
  const wanted = [...k8sWantedReferences(snapshot).values()].sort((a, b) => a.key.localeCompare(b.key));
  const resolver = options.session !== undefined ? { session: options.session, close: () => undefined } : createResolver({ ...options.resolver, noCache: true });
  const images: NonNullable<K8sSnapshot['images']> = {};
  const incomplete: K8sSnapshot['incomplete'] = [];
  try {
    await mapLimit(wanted, options.concurrency ?? 8, async (w) => {
      const image = await ociFacts(resolver.session, w, Date.now).catch((err: unknown) => ({ source: 'oci' as const, digests: {}, failure: err instanceof Error ? err.message : String(err) }));
      images[w.key] = image;
      if (image.failure !== undefined) incomplete.push({ scope: 'registry', id: canonicalName(w.parsed), operation: 'resolve', code: 'RegistryError', reason: image.failure });
    });
  } finally {
    resolver.close();
  }
  const sorted: NonNullable<K8sSnapshot['images']> = {};
  for (const key of Object.keys(images).sort()) sorted[key] = images[key]!;
  incomplete.sort((a, b) => (a.id ?? '').localeCompare(b.id ?? ''));
  return { ...snapshot, images: sorted, incomplete: [...snapshot.incomplete, ...incomplete], finishedAt: new Date().toISOString() };
}
