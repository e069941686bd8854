// Parse Docker/OCI image references. Pure: no I/O.
//
// Grammar (github.com/distribution/reference, reference.go / normalize.go):
//
//   reference       := name [ ":" tag ] [ "@" digest ]
//   name            := [ domain "/" ] path-component ( "/" path-component )*
//   domain          := host [ ":" port-number ]
//   host            := domain-name | "[" ipv6 "]"
//   domain-name     := domain-component ( "." domain-component )*
//   domain-component:= /[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?/
//   port-number     := /[0-9]+/
//   path-component  := /[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*/
//   tag             := /[\w][\w.-]{0,127}/
//   digest          := algorithm ":" hex
//   algorithm       := /[a-z0-9]+(?:[.+_-][a-z0-9]+)*/   (OCI image-spec)
//
// The first `/`-separated component is a registry host only when it contains
// `.` or `:` or equals `localhost` (case-sensitive). Otherwise the whole name
// is a Docker Hub path. (Newer Docker also treats an uppercase first component
// such as `MyOrg/app` as a host; we do not: registries are lowercased here, so
// that host would not survive canonicalisation, and in manifests it is almost
// always a mistyped Docker Hub namespace. It is reported as not lowercase.) `docker.io` and
// `index.docker.io` both mean Docker Hub; single-component Docker Hub names get
// the `library/` prefix in canonical form. The total name is at most 255
// characters, and a bare 64-hex string is refused (it would be an image ID).

import type { ParsedReference } from './types.js';

export type ParseOutcome = { ok: true; ref: ParsedReference } | { ok: false; error: string };

const DOCKER_HUB = 'docker.io';
const DOCKER_HUB_ALIASES: ReadonlySet<string> = new Set(['docker.io', 'index.docker.io']);
const OFFICIAL_PREFIX = 'library/';
const NAME_MAX_LENGTH = 255;

const DOMAIN_COMPONENT = '[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?';
const HOST_RE = new RegExp(
  `^(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?$`,
);
const PATH_COMPONENT_RE = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG_RE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const ALGORITHM_RE = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*$/;
const LOWER_HEX_RE = /^[a-f0-9]+$/;
const IMAGE_ID_RE = /^[a-f0-9]{64}$/;
const WHITESPACE_RE = /\s/;

/** Exact hex lengths for algorithms we know; others need at least MIN_HEX_LENGTH. */
const DIGEST_HEX_LENGTHS: Readonly<Record<string, number>> = { sha256: 64, sha512: 128 };
const MIN_HEX_LENGTH = 32;

const TAG_RULE = 'tags are at most 128 characters of [A-Za-z0-9_.-] not starting with . or -';
const PATH_RULE =
  'components are lowercase letters and digits, separated by ".", "_", "__" or dashes';

class ParseError extends Error {}

function fail(message: string): never {
  throw new ParseError(message);
}

export function isValidTag(tag: string): boolean {
  return TAG_RE.test(tag);
}

export function isValidDigest(digest: string): boolean {
  return digestProblem(digest) === undefined;
}

/** Why a digest is invalid, or undefined when it is valid. */
function digestProblem(digest: string): string | undefined {
  const colon = digest.indexOf(':');
  if (colon < 0) return 'expected algorithm:hex, e.g. sha256:<64 hex characters>';
  const algorithm = digest.slice(0, colon);
  const hex = digest.slice(colon + 1);
  if (!ALGORITHM_RE.test(algorithm)) return `invalid algorithm "${algorithm}"`;
  if (!LOWER_HEX_RE.test(hex)) return 'the encoded part must be lowercase hex [a-f0-9]';
  const expected = DIGEST_HEX_LENGTHS[algorithm];
  if (expected !== undefined && hex.length !== expected) {
    return `${algorithm} digests have exactly ${expected} hex characters, got ${hex.length}`;
  }
  if (expected === undefined && hex.length < MIN_HEX_LENGTH) {
    return `the encoded part must be at least ${MIN_HEX_LENGTH} hex characters, got ${hex.length}`;
  }
  return undefined;
}

export function parseReference(input: string): ParseOutcome {
  try {
    return { ok: true, ref: parseOrThrow(input) };
  } catch (err) {
    if (err instanceof ParseError) return { ok: false, error: err.message };
    return { ok: false, error: `invalid image reference: ${String(err)}` };
  }
}

function parseOrThrow(input: string): ParsedReference {
  if (input.length === 0) fail('empty image reference');
  if (WHITESPACE_RE.test(input)) fail(`invalid image reference ${JSON.stringify(input)}: contains whitespace`);
  if (IMAGE_ID_RE.test(input)) {
    fail(`invalid image reference "${input}": a 64-character hex string is an image ID, not a repository name`);
  }

  const { rest, digest } = splitDigest(input);
  const { name, tag } = splitTag(rest);
  if (name.length === 0) fail(`invalid image reference "${input}": missing repository name`);
  if (name.length > NAME_MAX_LENGTH) {
    fail(`invalid image reference: repository name is ${name.length} characters, the maximum is ${NAME_MAX_LENGTH}`);
  }

  const { domain, path } = splitDomain(name);
  if (domain !== undefined) checkHost(domain);
  checkPath(path);

  const registry = domain === undefined ? DOCKER_HUB : normaliseRegistry(domain);
  const repository = registry === DOCKER_HUB && !path.includes('/') ? OFFICIAL_PREFIX + path : path;
  const ref: ParsedReference = { registry, implicitRegistry: domain === undefined, path, repository };
  if (tag !== undefined) ref.tag = tag;
  if (digest !== undefined) ref.digest = digest;
  return ref;
}

/** Split off `@digest` (everything after the first `@`) and validate it. */
function splitDigest(input: string): { rest: string; digest: string | undefined } {
  const at = input.indexOf('@');
  if (at < 0) return { rest: input, digest: undefined };
  const digest = input.slice(at + 1);
  if (digest.length === 0) fail(`invalid image reference "${input}": missing digest after "@"`);
  if (digest.includes('@')) fail(`invalid image reference "${input}": more than one "@"`);
  const problem = digestProblem(digest);
  if (problem !== undefined) fail(`invalid digest "${digest}": ${problem}`);
  return { rest: input.slice(0, at), digest };
}

/** Split off `:tag`: only a `:` after the last `/` starts a tag (before it, `:` is a port). */
function splitTag(rest: string): { name: string; tag: string | undefined } {
  const colon = rest.indexOf(':', rest.lastIndexOf('/') + 1);
  if (colon < 0) return { name: rest, tag: undefined };
  const tag = rest.slice(colon + 1);
  if (tag.length === 0) fail(`invalid image reference "${rest}": empty tag after ":"`);
  if (!isValidTag(tag)) fail(`invalid tag "${tag}": ${TAG_RULE}`);
  return { name: rest.slice(0, colon), tag };
}

/** Docker's splitDockerDomain: decide whether the first component is a registry host. */
function splitDomain(name: string): { domain: string | undefined; path: string } {
  const slash = name.indexOf('/');
  if (slash < 0) return { domain: undefined, path: name };
  const first = name.slice(0, slash);
  const isHost = first === 'localhost' || first.includes('.') || first.includes(':');
  return isHost ? { domain: first, path: name.slice(slash + 1) } : { domain: undefined, path: name };
}

function checkHost(domain: string): void {
  const zone = /^\[[^\]]*(%[^\]]*)\]/.exec(domain);
  if (zone !== null) {
    fail(`invalid registry host "${domain}": an IPv6 zone ("${zone[1]}") names a network interface of one machine and is not allowed in an image reference; write the address without it`);
  }
  if (!HOST_RE.test(domain)) {
    fail(
      `invalid registry host "${domain}": expected DNS labels of [A-Za-z0-9-] joined by "." ` +
        'or a bracketed IPv6 address, optionally followed by :port',
    );
  }
}

function checkPath(path: string): void {
  const components = path.split('/');
  for (const component of components) {
    if (component.length === 0) fail(`invalid repository path "${path}": empty path component`);
  }
  for (const component of components) {
    if (PATH_COMPONENT_RE.test(component)) continue;
    if (PATH_COMPONENT_RE.test(component.toLowerCase())) {
      fail(`invalid repository name "${path}": repository names must be lowercase`);
    }
    fail(`invalid repository path component "${component}": ${PATH_RULE}`);
  }
}

function normaliseRegistry(domain: string): string {
  const lower = domain.toLowerCase();
  return DOCKER_HUB_ALIASES.has(lower) ? DOCKER_HUB : lower;
}

/** `docker.io/library/nginx` — registry + '/' + canonical repository, no tag/digest. */
export function canonicalName(ref: ParsedReference): string {
  return `${ref.registry}/${ref.repository}`;
}

/** Canonical full form: canonicalName + (':' + tag)? + ('@' + digest)? */
export function canonicalReference(ref: ParsedReference): string {
  return canonicalName(ref) + suffix(ref.tag, ref.digest);
}

/**
 * The reference as the user would write it, keeping the written registry/path
 * (no docker.io/library added when it was implicit), with the given tag/digest.
 * A key left out of `parts` keeps the parsed value; a key present with
 * `undefined` drops it (`{ tag: undefined }` drops the tag).
 */
export function formatReference(
  ref: ParsedReference,
  parts?: { tag?: string | undefined; digest?: string | undefined },
): string {
  const name = ref.implicitRegistry ? ref.path : `${ref.registry}/${ref.path}`;
  const tag = parts !== undefined && 'tag' in parts ? parts.tag : ref.tag;
  const digest = parts !== undefined && 'digest' in parts ? parts.digest : ref.digest;
  return name + suffix(tag, digest);
}

function suffix(tag: string | undefined, digest: string | undefined): string {
  return (tag === undefined ? '' : `:${tag}`) + (digest === undefined ? '' : `@${digest}`);
}
