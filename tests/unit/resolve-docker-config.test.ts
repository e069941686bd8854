// Unit: reading credentials from a Docker config.json — auths keys in their many spellings,
// base64 `auth` vs username/password vs identitytoken, precedence of credHelpers, DOCKER_CONFIG,
// and warnings (never containing the secret) for broken files.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DockerConfigCredentials, StaticCredentials } from '../../src/resolve/auth.js';

const dirs: string[] = [];
function configDir(config: unknown): string {
  const d = mkdtempSync(path.join(os.tmpdir(), 'imagedrift-dockercfg-'));
  dirs.push(d);
  writeFileSync(path.join(d, 'config.json'), typeof config === 'string' ? config : JSON.stringify(config));
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('DockerConfigCredentials', () => {
  it('maps https://index.docker.io/v1/ to docker.io and decodes auth (password may contain ":")', async () => {
    const creds = new DockerConfigCredentials({
      configDir: configDir({ auths: { 'https://index.docker.io/v1/': { auth: b64('hub-user:pa:ss') } } }),
    });
    expect(await creds.get('docker.io')).toEqual({ kind: 'basic', username: 'hub-user', password: 'pa:ss' });
    expect(await creds.get('ghcr.io')).toBeUndefined();
  });

  it('matches keys with scheme, path or different case; username/password and identitytoken', async () => {
    const creds = new DockerConfigCredentials({
      configDir: configDir({
        auths: {
          'https://GHCR.io/v2/': { username: 'u', password: 'p' },
          'quay.io': { auth: '', identitytoken: 'refresh-me' },
          'registry.lan:5000': { auth: b64('x:y') },
        },
      }),
    });
    expect(await creds.get('ghcr.io')).toEqual({ kind: 'basic', username: 'u', password: 'p' });
    expect(await creds.get('quay.io')).toEqual({ kind: 'identity-token', token: 'refresh-me' });
    expect(await creds.get('registry.lan:5000')).toEqual({ kind: 'basic', username: 'x', password: 'y' });
    expect(await creds.get('registry.lan')).toBeUndefined();
  });

  it('uses $DOCKER_CONFIG, and a missing file means no credentials', async () => {
    const dir = configDir({ auths: { 'ghcr.io': { auth: b64('a:b') } } });
    expect(await new DockerConfigCredentials({ env: { DOCKER_CONFIG: dir } }).get('ghcr.io')).toMatchObject({ username: 'a' });
    const warnings: string[] = [];
    const none = new DockerConfigCredentials({ env: { DOCKER_CONFIG: path.join(dir, 'nope') }, onWarning: (m) => warnings.push(m) });
    expect(await none.get('ghcr.io')).toBeUndefined();
    expect(warnings).toEqual([]);
  });

  it('warns about broken files without echoing secrets', async () => {
    const warnings: string[] = [];
    const bad = new DockerConfigCredentials({ configDir: configDir('{"auths": {"ghcr.io": {"auth": "c2VjcmV0'), onWarning: (m) => warnings.push(m) });
    expect(await bad.get('ghcr.io')).toBeUndefined();
    const noColon = new DockerConfigCredentials({
      configDir: configDir({ auths: { 'ghcr.io': { auth: b64('justasecret') } } }),
      onWarning: (m) => warnings.push(m),
    });
    expect(await noColon.get('ghcr.io')).toBeUndefined();
    expect(warnings).toHaveLength(2);
    expect(warnings.join('\n')).not.toMatch(/justasecret|c2VjcmV0/);
  });

  it('refuses helper names that are not plain words', async () => {
    const warnings: string[] = [];
    const creds = new DockerConfigCredentials({
      configDir: configDir({ credHelpers: { 'ghcr.io': '../../bin/sh' } }),
      onWarning: (m) => warnings.push(m),
    });
    expect(await creds.get('ghcr.io')).toBeUndefined();
    expect(warnings[0]).toContain('unsafe name');
  });
});

describe('StaticCredentials', () => {
  it('normalizes keys', async () => {
    const creds = new StaticCredentials({ 'https://index.docker.io/v1/': { kind: 'basic', username: 'a', password: 'b' } });
    expect(await creds.get('docker.io')).toMatchObject({ username: 'a' });
  });
});
