// Builds the resolver a command uses: private ECR hosts through the AWS SDK, every other host
// through the OCI Distribution API, wrapped in one ResolverSession (dedupe, cache, offline).
import type { ParsedReference } from '../core/types.js';
import type { AwsClientOptions } from '../sources/aws-clients.js';
import { ResolveCache } from './cache.js';
import type { EcrResolver } from './ecr.js';
import { isEcrHost } from './ecr-host.js';
import { OciRegistryClient } from './oci-registry.js';
import type { ProxySettings } from './proxy.js';
import { ResolverSession } from './session.js';
import type { Resolver } from './types.js';

export interface ResolverSettings {
  insecureRegistries?: string[];
  /** Requests in flight per registry host (default 8). */
  concurrency?: number;
  timeoutMs?: number;
  cacheDir?: string;
  cacheTtlMs?: number;
  noCache?: boolean;
  offline?: boolean;
  /** AWS profile for private ECR. */
  profile?: string;
  onWarning?: (message: string) => void;
  /** Proxies for registries and ECR (default: from the environment). */
  proxy?: ProxySettings;
}

export interface CreatedResolver {
  session: ResolverSession;
  close(): void;
}

export function createResolver(settings: ResolverSettings): CreatedResolver {
  const oci = new OciRegistryClient({
    ...(settings.insecureRegistries !== undefined ? { insecureRegistries: settings.insecureRegistries } : {}),
    ...(settings.concurrency !== undefined ? { maxConcurrencyPerHost: settings.concurrency } : {}),
    ...(settings.timeoutMs !== undefined ? { timeoutMs: settings.timeoutMs } : {}),
    ...(settings.proxy !== undefined ? { proxy: settings.proxy } : {}),
    ...(settings.onWarning !== undefined ? { onWarning: settings.onWarning } : {}),
    ...(settings.onWarning !== undefined ? { onRateLimitLow: (info) => settings.onWarning?.(`Docker Hub rate limit running low: ${info.remaining} pulls left`) } : {}),
  });
  // The AWS SDK is loaded only when a private ECR reference is met (it costs much of start-up).
  let ecr: Promise<EcrResolver> | undefined;
  // The SDK gets the same per-request timeout and proxies as the registry client.
  const aws: AwsClientOptions = {
    ...(settings.timeoutMs !== undefined ? { requestTimeoutMs: settings.timeoutMs } : {}),
    ...(settings.proxy !== undefined ? { proxy: settings.proxy } : {}),
  };
  const loadEcr = (): Promise<EcrResolver> =>
    (ecr ??= import('./ecr.js').then(
      ({ EcrResolver }) =>
        new EcrResolver({ aws, ...(settings.profile !== undefined ? { profile: settings.profile } : {}), ...(settings.concurrency !== undefined ? { concurrency: settings.concurrency } : {}) }),
    ));
  const lazyEcr: Resolver = {
    resolve: async (ref, opts) => (await loadEcr()).resolve(ref, opts),
    listTags: async (ref) => (await loadEcr()).listTags(ref),
    manifestExists: async (ref, digest) => (await loadEcr()).manifestExists(ref, digest),
    imageCreated: async (ref, digest) => (await loadEcr()).imageCreated(ref, digest),
  };
  const route = (ref: ParsedReference): Resolver => (isEcrHost(ref.registry) ? lazyEcr : oci);
  const cache = settings.noCache === true ? undefined : new ResolveCache({ ...(settings.cacheDir !== undefined ? { dir: settings.cacheDir } : {}), ...(settings.cacheTtlMs !== undefined ? { ttlMs: settings.cacheTtlMs } : {}) });
  const session = new ResolverSession({
    resolver: route,
    ...(cache !== undefined ? { cache } : {}),
    ...(settings.noCache === true ? { noCache: true } : {}),
    ...(settings.offline === true ? { offline: true } : {}),
    ...(settings.onWarning !== undefined ? { onWarning: settings.onWarning } : {}),
  });
  return {
    session,
    close: () => {
      oci.close();
      void ecr?.then((resolver) => resolver.close());
    },
  };
}
