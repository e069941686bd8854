import { describe, expect, it } from 'vitest';
import {
  canonicalName,
  canonicalReference,
  formatReference,
  isValidDigest,
  isValidTag,
  parseReference,
} from '../../src/core/parse-reference.js';
import type { ParsedReference } from '../../src/core/types.js';

const H64 = 'a3ed95caeb02ffe68cdd9fd84406680ae93d633cb16422d00e8a7c22955b46d4';
const H128 = 'f'.repeat(64) + '0123456789abcdef'.repeat(4);
const SHA = `sha256:${H64}`;
const SHA512 = `sha512:${H128}`;
const TAG128 = 'v' + 'a'.repeat(127);
const TAG129 = 'v' + 'a'.repeat(128);

type Expected =
  | {
      registry: string;
      path: string;
      repository: string;
      tag?: string;
      digest?: string;
      implicit?: boolean;
    }
  | { error: string };

/** Shorthand for a valid result. `implicit` defaults to whether registry is docker.io and the input has no host. */
function ok(
  registry: string,
  path: string,
  repository: string,
  tag?: string,
  digest?: string,
  implicit?: boolean,
): Expected {
  return { registry, path, repository, tag, digest, implicit };
}
function err(error: string): Expected {
  return { error };
}

const cases: Array<[string, Expected]> = [
  // Docker Hub, implicit registry
  ['nginx', ok('docker.io', 'nginx', 'library/nginx', undefined, undefined, true)],
  ['nginx:latest', ok('docker.io', 'nginx', 'library/nginx', 'latest', undefined, true)],
  ['nginx:1.25.3-alpine', ok('docker.io', 'nginx', 'library/nginx', '1.25.3-alpine', undefined, true)],
  [`nginx@${SHA}`, ok('docker.io', 'nginx', 'library/nginx', undefined, SHA, true)],
  [`nginx:1.25@${SHA}`, ok('docker.io', 'nginx', 'library/nginx', '1.25', SHA, true)],
  ['amazon/aws-otel-collector', ok('docker.io', 'amazon/aws-otel-collector', 'amazon/aws-otel-collector', undefined, undefined, true)],
  ['alpine/socat:latest', ok('docker.io', 'alpine/socat', 'alpine/socat', 'latest', undefined, true)],
  ['curlimages/curl', ok('docker.io', 'curlimages/curl', 'curlimages/curl', undefined, undefined, true)],
  ['bitnami/redis:7.2', ok('docker.io', 'bitnami/redis', 'bitnami/redis', '7.2', undefined, true)],
  ['library/nginx:1', ok('docker.io', 'library/nginx', 'library/nginx', '1', undefined, true)],
  ['a/b/c/d', ok('docker.io', 'a/b/c/d', 'a/b/c/d', undefined, undefined, true)],
  ['my-org/my_app__x.y:1', ok('docker.io', 'my-org/my_app__x.y', 'my-org/my_app__x.y', '1', undefined, true)],
  ['a--b---c/d', ok('docker.io', 'a--b---c/d', 'a--b---c/d', undefined, undefined, true)],
  ['registry.example.com', ok('docker.io', 'registry.example.com', 'library/registry.example.com', undefined, undefined, true)],
  ['localhost', ok('docker.io', 'localhost', 'library/localhost', undefined, undefined, true)],
  ['localhost:5000', ok('docker.io', 'localhost', 'library/localhost', '5000', undefined, true)],
  ['nginx:_x', ok('docker.io', 'nginx', 'library/nginx', '_x', undefined, true)],
  ['nginx:LATEST', ok('docker.io', 'nginx', 'library/nginx', 'LATEST', undefined, true)],
  [`nginx:${TAG128}`, ok('docker.io', 'nginx', 'library/nginx', TAG128, undefined, true)],
  ['a', ok('docker.io', 'a', 'library/a', undefined, undefined, true)],
  ['0', ok('docker.io', '0', 'library/0', undefined, undefined, true)],

  // Docker Hub, explicit registry
  ['docker.io/library/busybox:1.36', ok('docker.io', 'library/busybox', 'library/busybox', '1.36', undefined, false)],
  ['docker.io/nginx', ok('docker.io', 'nginx', 'library/nginx', undefined, undefined, false)],
  ['docker.io/bitnami/redis:7', ok('docker.io', 'bitnami/redis', 'bitnami/redis', '7', undefined, false)],
  ['index.docker.io/nginx:1', ok('docker.io', 'nginx', 'library/nginx', '1', undefined, false)],
  ['DOCKER.IO/nginx', ok('docker.io', 'nginx', 'library/nginx', undefined, undefined, false)],
  ['registry-1.docker.io/nginx', ok('registry-1.docker.io', 'nginx', 'nginx', undefined, undefined, false)],

  // Other registries
  ['public.ecr.aws/aws-observability/aws-otel-collector:latest', ok('public.ecr.aws', 'aws-observability/aws-otel-collector', 'aws-observability/aws-otel-collector', 'latest')],
  ['123456789012.dkr.ecr.us-west-2.amazonaws.com/reverse-proxy:revision_1', ok('123456789012.dkr.ecr.us-west-2.amazonaws.com', 'reverse-proxy', 'reverse-proxy', 'revision_1')],
  ['906394416424.dkr.ecr.us-east-1.amazonaws.com/aws-for-fluent-bit:stable', ok('906394416424.dkr.ecr.us-east-1.amazonaws.com', 'aws-for-fluent-bit', 'aws-for-fluent-bit', 'stable')],
  ['gcr.io/google-samples/microservices-demo/frontend:v0.10.1', ok('gcr.io', 'google-samples/microservices-demo/frontend', 'google-samples/microservices-demo/frontend', 'v0.10.1')],
  ['quay.io/prometheus/node-exporter:v1.8.2', ok('quay.io', 'prometheus/node-exporter', 'prometheus/node-exporter', 'v1.8.2')],
  ['registry.k8s.io/kube-state-metrics/kube-state-metrics:v2.13.0', ok('registry.k8s.io', 'kube-state-metrics/kube-state-metrics', 'kube-state-metrics/kube-state-metrics', 'v2.13.0')],
  ['k8s.gcr.io/pause:3.1', ok('k8s.gcr.io', 'pause', 'pause', '3.1')],
  ['ghcr.io/owner/repo:sha-abc1234', ok('ghcr.io', 'owner/repo', 'owner/repo', 'sha-abc1234')],
  ['mcr.microsoft.com/dotnet/aspnet:8.0', ok('mcr.microsoft.com', 'dotnet/aspnet', 'dotnet/aspnet', '8.0')],
  ['public.ecr.aws/docker/library/redis:7', ok('public.ecr.aws', 'docker/library/redis', 'docker/library/redis', '7')],
  ['gcr.io/cloudsql-docker/gce-proxy:1.33.2', ok('gcr.io', 'cloudsql-docker/gce-proxy', 'cloudsql-docker/gce-proxy', '1.33.2')],
  ['localhost:5000/app', ok('localhost:5000', 'app', 'app')],
  ['localhost/app:1', ok('localhost', 'app', 'app', '1')],
  [`myregistry:5000/team/app:1.0@${SHA}`, ok('myregistry:5000', 'team/app', 'team/app', '1.0', SHA)],
  ['myregistry:5000/team/app', ok('myregistry:5000', 'team/app', 'team/app')],
  ['REGISTRY.EXAMPLE.COM/app', ok('registry.example.com', 'app', 'app')],
  ['Registry.Example.com:443/team/app:v1', ok('registry.example.com:443', 'team/app', 'team/app', 'v1')],
  ['[::1]:5000/app:1', ok('[::1]:5000', 'app', 'app', '1')],
  ['[2001:db8::1]/app', ok('[2001:db8::1]', 'app', 'app')],
  ['[FE80::1]:80/app', ok('[fe80::1]:80', 'app', 'app')],
  ['127.0.0.1:5000/app:latest', ok('127.0.0.1:5000', 'app', 'app', 'latest')],
  ['my-registry.local/x', ok('my-registry.local', 'x', 'x')],
  [`ghcr.io/owner/repo@${SHA512}`, ok('ghcr.io', 'owner/repo', 'owner/repo', undefined, SHA512)],
  [`quay.io/x/y@sha384:${'a'.repeat(96)}`, ok('quay.io', 'x/y', 'x/y', undefined, `sha384:${'a'.repeat(96)}`)],
  [`quay.io/x/y@multihash+base58:${'0'.repeat(32)}`, ok('quay.io', 'x/y', 'x/y', undefined, `multihash+base58:${'0'.repeat(32)}`)],

  // Invalid: empty, whitespace, missing parts
  ['', err('empty image reference')],
  [' ', err('whitespace')],
  ['nginx:latest ', err('whitespace')],
  [' nginx', err('whitespace')],
  ['nginx\t', err('whitespace')],
  ['nginx\n', err('whitespace')],
  ['ngi nx', err('whitespace')],
  [':latest', err('missing repository name')],
  [`@${SHA}`, err('missing repository name')],
  ['nginx:', err('empty tag')],
  ['nginx@', err('missing digest')],
  [`nginx:@${SHA}`, err('empty tag')],
  [`nginx@${SHA}@${SHA}`, err('more than one "@"')],

  // Invalid: templates and placeholders
  ['{{ .Values.image }}', err('whitespace')],
  ['{{.Values.image}}', err('invalid repository path component')],
  ['${IMAGE}:latest', err('invalid repository path component')],
  ['<YOUR-CONTAINER-IMAGE>', err('invalid repository path component')],
  ['$(IMAGE)', err('invalid repository path component')],

  // Invalid: path
  ['MyOrg/App:1', err('must be lowercase')],
  // Newer Docker would take an uppercase first component as a host; we report it as a Docker Hub path.
  ['MyOrg/app', err('must be lowercase')],
  ['LOCALHOST/app', err('must be lowercase')],
  ['Nginx', err('must be lowercase')],
  ['docker.io/Library/nginx', err('must be lowercase')],
  ['gcr.io/proj/MyApp:1', err('must be lowercase')],
  ['a//b', err('empty path component')],
  ['/a', err('empty path component')],
  ['a/', err('empty path component')],
  ['gcr.io/', err('empty path component')],
  ['-nginx', err('invalid repository path component')],
  ['nginx-', err('invalid repository path component')],
  ['a___b', err('invalid repository path component')],
  ['a..b', err('invalid repository path component')],
  ['a._b', err('invalid repository path component')],
  [`${'a'.repeat(256)}`, err('maximum is 255')],
  [`gcr.io/${'a'.repeat(248)}`, ok('gcr.io', 'a'.repeat(248), 'a'.repeat(248))],
  [`gcr.io/${'a'.repeat(249)}`, err('maximum is 255')],
  [H64, err('image ID')],

  // Invalid: host
  ['my_registry.local/x', err('invalid registry host')],
  ['-bad.example.com/x', err('invalid registry host')],
  ['bad-.example.com/x', err('invalid registry host')],
  ['example..com/x', err('invalid registry host')],
  ['host:port/x', err('invalid registry host')],
  ['host:/x', err('invalid registry host')],
  ['[::1/x', err('invalid registry host')],
  ['[zz::1]:5000/x', err('invalid registry host')],
  ['[fe80::1%eth0]:5000/a:b', err('an IPv6 zone ("%eth0")')],

  // Invalid: tag
  ['nginx::1', err('invalid tag ":1"')],
  ['nginx:-bad', err('invalid tag "-bad"')],
  ['nginx:.bad', err('invalid tag ".bad"')],
  ['nginx:a+b', err('invalid tag')],
  ['nginx:1:2', err('invalid tag "1:2"')],
  [`nginx:${TAG129}`, err('tags are at most 128 characters')],
  ['localhost:5000/app:', err('empty tag')],

  // Invalid: digest
  [`nginx@sha256:${H64.slice(1)}`, err('exactly 64 hex characters, got 63')],
  [`nginx@sha256:${H64}0`, err('exactly 64 hex characters, got 65')],
  [`nginx@sha256:${H64.toUpperCase()}`, err('lowercase hex')],
  [`nginx@sha512:${H64}`, err('exactly 128 hex characters')],
  [`nginx@${H64}`, err('expected algorithm:hex')],
  ['nginx@sha256:', err('lowercase hex')],
  [`nginx@SHA256:${H64}`, err('invalid algorithm')],
  [`nginx@sha256:${H64.slice(0, 60)}zzzz`, err('lowercase hex')],
  [`nginx@md5:${'a'.repeat(31)}`, err('at least 32')],
  [`nginx@:${H64}`, err('invalid algorithm')],
];

describe('parseReference', () => {
  it('has a large table', () => {
    expect(cases.length).toBeGreaterThanOrEqual(70);
  });

  it.each(cases)('%j', (input, expected) => {
    const outcome = parseReference(input);
    if ('error' in expected) {
      expect(outcome.ok, JSON.stringify(outcome)).toBe(false);
      if (!outcome.ok) expect(outcome.error).toContain(expected.error);
      return;
    }
    expect(outcome.ok, JSON.stringify(outcome)).toBe(true);
    if (!outcome.ok) return;
    const { ref } = outcome;
    expect(ref.registry).toBe(expected.registry);
    expect(ref.path).toBe(expected.path);
    expect(ref.repository).toBe(expected.repository);
    expect(ref.tag).toBe(expected.tag);
    expect(ref.digest).toBe(expected.digest);
    expect(ref.implicitRegistry).toBe(expected.implicit ?? false);
    // Absent tag/digest are left out, not set to undefined.
    if (expected.tag === undefined) expect('tag' in ref).toBe(false);
    if (expected.digest === undefined) expect('digest' in ref).toBe(false);
  });

  it('never throws, whatever the input', () => {
    const odd = ['@', ':', '/', '//', '[', ']', '[]/x', ':/', '@@', 'a@b@c', '\u0000', '🐳', 'x'.repeat(10_000)];
    for (const input of odd) {
      const outcome = parseReference(input);
      expect(typeof outcome.ok).toBe('boolean');
      if (!outcome.ok) expect(outcome.error.length).toBeGreaterThan(0);
    }
  });

  it('gives the tag rule in the message', () => {
    const outcome = parseReference('nginx:-bad');
    expect(outcome).toEqual({
      ok: false,
      error: 'invalid tag "-bad": tags are at most 128 characters of [A-Za-z0-9_.-] not starting with . or -',
    });
  });
});

function mustParse(input: string): ParsedReference {
  const outcome = parseReference(input);
  if (!outcome.ok) throw new Error(`expected ${input} to parse: ${outcome.error}`);
  return outcome.ref;
}

describe('canonicalName / canonicalReference', () => {
  it.each([
    ['nginx', 'docker.io/library/nginx', 'docker.io/library/nginx'],
    ['nginx:1.25', 'docker.io/library/nginx', 'docker.io/library/nginx:1.25'],
    [`nginx@${SHA}`, 'docker.io/library/nginx', `docker.io/library/nginx@${SHA}`],
    [`nginx:1.25@${SHA}`, 'docker.io/library/nginx', `docker.io/library/nginx:1.25@${SHA}`],
    ['bitnami/redis:7', 'docker.io/bitnami/redis', 'docker.io/bitnami/redis:7'],
    ['index.docker.io/nginx', 'docker.io/library/nginx', 'docker.io/library/nginx'],
    ['docker.io/library/busybox:1.36', 'docker.io/library/busybox', 'docker.io/library/busybox:1.36'],
    ['k8s.gcr.io/pause:3.1', 'k8s.gcr.io/pause', 'k8s.gcr.io/pause:3.1'],
    ['localhost:5000/app', 'localhost:5000/app', 'localhost:5000/app'],
    ['REGISTRY.EXAMPLE.COM/app:v1', 'registry.example.com/app', 'registry.example.com/app:v1'],
    ['[::1]:5000/app:1', '[::1]:5000/app', '[::1]:5000/app:1'],
  ])('%s', (input, name, full) => {
    const ref = mustParse(input);
    expect(canonicalName(ref)).toBe(name);
    expect(canonicalReference(ref)).toBe(full);
  });

  it('all spellings of an official image share one canonical name', () => {
    const names = ['nginx', 'docker.io/nginx', 'docker.io/library/nginx', 'index.docker.io/library/nginx:1'].map(
      (s) => canonicalName(mustParse(s)),
    );
    expect(new Set(names)).toEqual(new Set(['docker.io/library/nginx']));
  });

  it('canonicalReference round-trips through parseReference', () => {
    for (const [input, expected] of cases) {
      if ('error' in expected) continue;
      const ref = mustParse(input);
      const again = mustParse(canonicalReference(ref));
      expect(canonicalReference(again)).toBe(canonicalReference(ref));
      expect(again.implicitRegistry).toBe(false);
    }
  });
});

describe('formatReference', () => {
  it('keeps the written form when no parts are given', () => {
    expect(formatReference(mustParse('nginx:1.25'))).toBe('nginx:1.25');
    expect(formatReference(mustParse('bitnami/redis'))).toBe('bitnami/redis');
    expect(formatReference(mustParse('docker.io/nginx:1'))).toBe('docker.io/nginx:1');
    expect(formatReference(mustParse(`localhost:5000/app:1@${SHA}`))).toBe(`localhost:5000/app:1@${SHA}`);
  });

  it('does not add docker.io or library/ for implicit Docker Hub names', () => {
    expect(formatReference(mustParse('nginx:1.25'), { tag: '1.26' })).toBe('nginx:1.26');
    expect(formatReference(mustParse('curlimages/curl'), { tag: '8.5.0' })).toBe('curlimages/curl:8.5.0');
  });

  it('keeps an explicit registry and path as written', () => {
    expect(formatReference(mustParse('docker.io/library/busybox:1.36'), { tag: '1.37' })).toBe(
      'docker.io/library/busybox:1.37',
    );
    expect(formatReference(mustParse('public.ecr.aws/docker/library/redis:7'), { tag: '7.2' })).toBe(
      'public.ecr.aws/docker/library/redis:7.2',
    );
    expect(formatReference(mustParse('localhost:5000/app'), { tag: '2' })).toBe('localhost:5000/app:2');
  });

  it('replaces tag and digest together', () => {
    const ref = mustParse('quay.io/prometheus/node-exporter:v1.8.2');
    expect(formatReference(ref, { tag: 'v1.8.2', digest: SHA })).toBe(`quay.io/prometheus/node-exporter:v1.8.2@${SHA}`);
  });

  it('drops the tag when tag: undefined is passed', () => {
    const ref = mustParse('nginx:1.25');
    expect(formatReference(ref, { tag: undefined, digest: SHA })).toBe(`nginx@${SHA}`);
    expect(formatReference(ref, { tag: undefined })).toBe('nginx');
  });

  it('keeps a part whose key is left out', () => {
    const ref = mustParse(`nginx:1.25@${SHA}`);
    expect(formatReference(ref, { digest: SHA512 })).toBe(`nginx:1.25@${SHA512}`);
    expect(formatReference(ref, { tag: '1.26' })).toBe(`nginx:1.26@${SHA}`);
    expect(formatReference(ref, { digest: undefined })).toBe('nginx:1.25');
  });

  it('formats the normalised (lowercased) registry', () => {
    expect(formatReference(mustParse('REGISTRY.EXAMPLE.COM/app:1'))).toBe('registry.example.com/app:1');
  });
});

describe('isValidTag / isValidDigest', () => {
  it.each([
    ['latest', true],
    ['1.25.3-alpine', true],
    ['_x', true],
    [TAG128, true],
    [TAG129, false],
    ['', false],
    ['-x', false],
    ['.x', false],
    ['a/b', false],
    ['a:b', false],
  ])('isValidTag(%j) = %s', (tag, valid) => {
    expect(isValidTag(tag)).toBe(valid);
  });

  it.each([
    [SHA, true],
    [SHA512, true],
    [`sha256:${H64.slice(1)}`, false],
    [`sha256:${H64.toUpperCase()}`, false],
    [`sha512:${H64}`, false],
    [`blake3:${'a'.repeat(64)}`, true],
    [`blake3:${'a'.repeat(31)}`, false],
    [H64, false],
    ['', false],
    ['sha256:', false],
  ])('isValidDigest(%j) = %s', (digest, valid) => {
    expect(isValidDigest(digest)).toBe(valid);
  });
});
