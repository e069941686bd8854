// Public surface of the resolve layer (OCI Distribution client, auth, cache, session, version tags).
// ecr.ts is exported by its own module.

export * from './types.js';
export { HttpClient, parseRetryAfter, type HttpClientOptions, type RateLimitInfo, type RetryInfo } from './http.js';
export {
  DockerConfigCredentials,
  StaticCredentials,
  NO_CREDENTIALS,
  normalizeRegistryKey,
  parseChallenge,
  type Credential,
  type CredentialProvider,
  type DockerConfigCredentialsOptions,
} from './auth.js';
export {
  OciRegistryClient,
  registryBaseUrl,
  isLoopbackHost,
  parsePlatform,
  formatPlatform,
  parseNextLink,
  MANIFEST_ACCEPT,
  type OciRegistryOptions,
} from './oci-registry.js';
export { ResolveCache, defaultCacheDir, type ResolveCacheOptions, type CacheEntry } from './cache.js';
export { ResolverSession, resolveKey, type ResolverSessionOptions, type SessionStats } from './session.js';
export {
  findVersionTag,
  newerVersions,
  parseVersionTag,
  versionTagSuffix,
  type FindVersionTagOptions,
  type VersionTagMatch,
  type NewerVersions,
  type VersionTag,
} from './version-tags.js';
