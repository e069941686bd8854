// Unit: the small parsers of the resolve layer — Retry-After, WWW-Authenticate, Link, registry
// base URLs (docker.io, loopback, insecure), platforms, Docker config keys and session keys.

import { describe, expect, it } from 'vitest';
import { normalizeRegistryKey, parseChallenge } from '../../src/resolve/auth.js';
import { parseRetryAfter } from '../../src/resolve/http.js';
import { isLoopbackHost, parseNextLink, parsePlatform, registryBaseUrl } from '../../src/resolve/oci-registry.js';
import { resolveKey } from '../../src/resolve/session.js';
import { ResolveError, digestToPin, toFailure } from '../../src/resolve/types.js';
import type { ParsedReference } from '../../src/core/types.js';

describe('parseRetryAfter', () => {
  it('reads delta-seconds and HTTP dates', () => {
    expect(parseRetryAfter('3')).toBe(3000);
    const now = Date.parse('Wed, 21 Oct 2015 07:28:00 GMT');
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:28:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:27:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
  });
});

describe('parseChallenge', () => {
  it('parses Bearer with quoted params (commas inside quotes included)', () => {
    expect(
      parseChallenge('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull,push"'),
    ).toEqual({
      scheme: 'bearer',
      params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/nginx:pull,push' },
    });
    expect(parseChallenge('Basic realm="Registry Realm"')).toEqual({ scheme: 'basic', params: { realm: 'Registry Realm' } });
    expect(parseChallenge('Bearer realm=https://x/token, error="insufficient_scope"')?.params).toEqual({
      realm: 'https://x/token',
      error: 'insufficient_scope',
    });
    expect(parseChallenge('Basic')).toEqual({ scheme: 'basic', params: {} });
    expect(parseChallenge(undefined)).toBeUndefined();
  });
});

describe('parseNextLink', () => {
  const base = new URL('https://r.example/v2/a/tags/list?n=2');
  it('finds rel="next", relative or absolute, among several links', () => {
    expect(parseNextLink('</v2/a/tags/list?n=2&last=b>; rel="next"', base)?.href).toBe('https://r.example/v2/a/tags/list?n=2&last=b');
    expect(parseNextLink('<https://other.example/p?x=1>; rel=next', base)?.href).toBe('https://other.example/p?x=1');
    expect(parseNextLink('</prev>; rel="prev", </next>; rel="next"', base)?.pathname).toBe('/next');
    expect(parseNextLink('</prev>; rel="prev"', base)).toBeUndefined();
    expect(parseNextLink(undefined, base)).toBeUndefined();
  });
});

describe('registryBaseUrl', () => {
  it('maps docker.io to registry-1.docker.io over https', () => {
    expect(registryBaseUrl('docker.io').href).toBe('https://registry-1.docker.io/');
    expect(registryBaseUrl('index.docker.io').href).toBe('https://registry-1.docker.io/');
  });
  it('uses plain http for loopback and declared insecure registries only', () => {
    expect(registryBaseUrl('127.0.0.1:5000').protocol).toBe('http:');
    expect(registryBaseUrl('127.1.2.3:5000').protocol).toBe('http:');
    expect(registryBaseUrl('localhost:5000').protocol).toBe('http:');
    expect(registryBaseUrl('[::1]:5000').href).toBe('http://[::1]:5000/');
    expect(registryBaseUrl('ghcr.io').protocol).toBe('https:');
    expect(registryBaseUrl('registry.lan:5000').protocol).toBe('https:');
    expect(registryBaseUrl('registry.lan:5000', ['registry.lan:5000']).protocol).toBe('http:');
    expect(registryBaseUrl('127.0.0.1.nip.io').protocol).toBe('https:');
  });
  it('isLoopbackHost', () => {
    for (const h of ['127.0.0.1', '127.255.0.9', 'localhost', '[::1]', '::1']) expect(isLoopbackHost(h), h).toBe(true);
    for (const h of ['10.0.0.1', 'example.com', '128.0.0.1', '::2']) expect(isLoopbackHost(h), h).toBe(false);
  });
});

describe('parsePlatform', () => {
  it('parses os/arch[/variant] and normalises arch aliases', () => {
    expect(parsePlatform('linux/arm64')).toEqual({ os: 'linux', architecture: 'arm64' });
    expect(parsePlatform('linux/aarch64')).toEqual({ os: 'linux', architecture: 'arm64' });
    expect(parsePlatform('Linux/ARM/v7')).toEqual({ os: 'linux', architecture: 'arm', variant: 'v7' });
    expect(() => parsePlatform('linux')).toThrow(ResolveError);
    expect(() => parsePlatform('linux//v7')).toThrow(/os\/arch/);
  });
});

describe('keys', () => {
  it('normalizes Docker config keys', () => {
    expect(normalizeRegistryKey('https://index.docker.io/v1/')).toBe('docker.io');
    expect(normalizeRegistryKey('registry-1.docker.io')).toBe('docker.io');
    expect(normalizeRegistryKey('http://Registry.LAN:5000/v2/')).toBe('registry.lan:5000');
    expect(normalizeRegistryKey('ghcr.io')).toBe('ghcr.io');
  });
  it('resolveKey: the tag wins over the digest; default latest; platform appended', () => {
    const base: ParsedReference = { registry: 'docker.io', implicitRegistry: true, path: 'nginx', repository: 'library/nginx' };
    expect(resolveKey(base)).toBe('docker.io/library/nginx:latest');
    expect(resolveKey({ ...base, tag: '1.25', digest: `sha256:${'a'.repeat(64)}` })).toBe('docker.io/library/nginx:1.25');
    expect(resolveKey({ ...base, digest: `sha256:${'a'.repeat(64)}` })).toBe(`docker.io/library/nginx@sha256:${'a'.repeat(64)}`);
    expect(resolveKey({ ...base, tag: '1' }, 'linux/arm64')).toBe('docker.io/library/nginx:1#linux/arm64');
  });
  it('digestToPin and toFailure', () => {
    expect(digestToPin({ ok: true, digest: 'a', mediaType: 'm', verified: true, source: 'registry', platformDigest: 'b' })).toBe('b');
    expect(digestToPin({ ok: true, digest: 'a', mediaType: 'm', verified: true, source: 'registry' })).toBe('a');
    expect(toFailure(new ResolveError('auth', 'x'))).toEqual({ ok: false, kind: 'auth', reason: 'x' });
    expect(toFailure(new Error('y'))).toEqual({ ok: false, kind: 'other', reason: 'y' });
  });
});
