// ECR resolver against the loopback fake, through the real @aws-sdk/client-ecr.
// The endpoint is never passed in code: AWS_ENDPOINT_URL_ECR points at the fake server and
// AWS_ENDPOINT_URL at a closed loopback port, so a client that ignored the service-specific
// variable would fail (and nothing can reach a real AWS endpoint).

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseReference } from '../../src/core/parse-reference.js';
import type { ParsedReference } from '../../src/core/types.js';
import { EcrResolver, ECR_ACCEPTED_MEDIA_TYPES } from '../../src/resolve/ecr.js';
import { AwsClients } from '../../src/sources/aws-clients.js';
import {
  FakeAwsServer,
  MEDIA_TYPES,
  imageDigest,
  makeManifest,
  sha256Digest,
  useFakeAwsEnv,
  type FakeImage,
  type FakeRepository,
} from '../helpers/fake-aws.js';

const ACCOUNT = '123456789012';
const OTHER = '210987654321';
const DENIED = '999999999999';
const HOST = `${ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com`;
const EU_HOST = `${OTHER}.dkr.ecr.eu-west-1.amazonaws.com`;

function ref(s: string): ParsedReference {
  const p = parseReference(s);
  if (!p.ok) throw new Error(p.error);
  return p.ref;
}

const index = JSON.stringify({
  schemaVersion: 2,
  mediaType: MEDIA_TYPES.ociIndex,
  manifests: [
    { mediaType: MEDIA_TYPES.ociManifest, digest: sha256Digest('amd64'), size: 100, platform: { os: 'linux', architecture: 'amd64' } },
    { mediaType: MEDIA_TYPES.ociManifest, digest: sha256Digest('arm64'), size: 100, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
    { mediaType: MEDIA_TYPES.ociManifest, digest: sha256Digest('att'), size: 100, platform: { os: 'unknown', architecture: 'unknown' } },
  ],
});

const bigImages: FakeImage[] = Array.from({ length: 260 }, (_, i) => ({ tags: [`v${i}`] }));
const multi: FakeImage = { tags: ['latest', '1.2.3', '1.2'], manifest: index, mediaType: MEDIA_TYPES.ociIndex };
const old: FakeImage = { tags: ['1.2.2'], manifest: makeManifest('old'), mediaType: MEDIA_TYPES.dockerManifest };
const good: FakeImage = { tags: ['good'], manifest: makeManifest('good') };
const corrupt: FakeImage = { tags: ['bad'], manifest: makeManifest('bad'), servedManifest: makeManifest('tampered') };

const repositories: FakeRepository[] = [
  { account: ACCOUNT, region: 'us-east-1', name: 'big', images: bigImages },
  { account: ACCOUNT, region: 'us-east-1', name: 'team/multi', images: [multi, old] },
  { account: ACCOUNT, region: 'us-east-1', name: 'integrity', images: [good, corrupt] },
  { account: OTHER, region: 'eu-west-1', name: 'big', images: Array.from({ length: 30 }, (_, i) => ({ tags: [`v${i}`] })) },
  { account: DENIED, region: 'us-east-1', name: 'secret', images: [{ tags: ['1.0'] }] },
];

let server: FakeAwsServer;
let restoreEnv: () => void;
let deadUrl: string;
const resolvers: EcrResolver[] = [];

function newResolver(opts: ConstructorParameters<typeof EcrResolver>[0] = {}): EcrResolver {
  const r = new EcrResolver({ ...opts, aws: { maxAttempts: 4, ...opts.aws } });
  resolvers.push(r);
  return r;
}

beforeAll(async () => {
  server = await FakeAwsServer.start(
    { account: ACCOUNT, regions: {}, repositories },
    { accessDenied: { registries: [DENIED] } },
  );
  const dead = http.createServer();
  await new Promise<void>((r) => dead.listen(0, '127.0.0.1', r));
  deadUrl = `http://127.0.0.1:${(dead.address() as AddressInfo).port}`;
  await new Promise<void>((r) => dead.close(() => r()));
  restoreEnv = useFakeAwsEnv(deadUrl, { AWS_ENDPOINT_URL_ECR: server.url });
  // Force generated manifests to exist before tests compute digests.
  await newResolver().resolveAll([ref(`${HOST}/big:v0`), ref(`${HOST}/team/multi:latest`), ref(`${HOST}/integrity:good`), ref(`${EU_HOST}/big:v0`)]);
  server.reset();
});

afterEach(() => {
  server.reset();
  server.faults = { accessDenied: { registries: [DENIED] } };
});

afterAll(async () => {
  for (const r of resolvers) r.close();
  restoreEnv?.();
  await server?.close();
});

describe('EcrResolver.resolveAll', () => {
  it('honours AWS_ENDPOINT_URL_ECR (no endpoint in code) and signs for the registry region', async () => {
    const r = newResolver();
    const out = await r.resolveAll([ref(`${HOST}/big:v1`), ref(`${EU_HOST}/big:v1`)]);
    expect([...out.values()].every((o) => o.ok)).toBe(true);
    expect(server.count('BatchGetImage', 'us-east-1')).toBe(1);
    expect(server.count('BatchGetImage', 'eu-west-1')).toBe(1);
    const bodies = server.requests.filter((q) => q.operation === 'BatchGetImage').map((q) => q.body as { registryId: string });
    expect(bodies.map((b) => b.registryId).sort()).toEqual([ACCOUNT, OTHER]);
  });

  it('batches 100 image ids per call: 250 refs → 3 BatchGetImage calls for one registry/region/repository', async () => {
    const r = newResolver();
    const refs = Array.from({ length: 250 }, (_, i) => ref(`${HOST}/big:v${i}`));
    const eu = Array.from({ length: 30 }, (_, i) => ref(`${EU_HOST}/big:v${i}`));
    // Duplicates are asked once.
    const out = await r.resolveAll([...refs, ...eu, ...refs.slice(0, 10)]);
    expect(out.size).toBe(280);
    expect(server.count('BatchGetImage', 'us-east-1')).toBe(3);
    expect(server.count('BatchGetImage', 'eu-west-1')).toBe(1);
    const sizes = server.requests
      .filter((q) => q.operation === 'BatchGetImage' && q.region === 'us-east-1')
      .map((q) => (q.body as { imageIds: unknown[] }).imageIds.length)
      .sort((a, b) => b - a);
    expect(sizes).toEqual([100, 100, 50]);
    const accepted = (server.requests[0]!.body as { acceptedMediaTypes: string[] }).acceptedMediaTypes;
    expect(accepted).toEqual(ECR_ACCEPTED_MEDIA_TYPES);
    for (let i = 0; i < 250; i++) {
      const o = out.get(`${HOST}/big:v${i}`);
      expect(o).toEqual({ ok: true, digest: imageDigest(bigImages[i]!), mediaType: MEDIA_TYPES.ociManifest, verified: true, source: 'registry' });
    }
  });

  it('fails per reference (ImageNotFound, RepositoryNotFound, AccessDenied) without failing the batch', async () => {
    const r = newResolver();
    const out = await r.resolveAll([
      ref(`${HOST}/big:v1`),
      ref(`${HOST}/big:nope`),
      ref(`${HOST}/missing-repo:1.0`),
      ref(`${DENIED}.dkr.ecr.us-east-1.amazonaws.com/secret:1.0`),
      ref('docker.io/library/nginx:1.27'),
    ]);
    expect(out.get(`${HOST}/big:v1`)).toMatchObject({ ok: true });
    expect(out.get(`${HOST}/big:nope`)).toMatchObject({ ok: false, kind: 'not-found', reason: expect.stringContaining('ImageNotFound') });
    expect(out.get(`${HOST}/missing-repo:1.0`)).toMatchObject({
      ok: false,
      kind: 'not-found',
      reason: expect.stringContaining('RepositoryNotFoundException'),
    });
    expect(out.get(`${DENIED}.dkr.ecr.us-east-1.amazonaws.com/secret:1.0`)).toMatchObject({
      ok: false,
      kind: 'auth',
      reason: expect.stringContaining('AccessDeniedException'),
    });
    expect(out.get('docker.io/library/nginx:1.27')).toMatchObject({ ok: false, kind: 'other' });
    // One call per repository group; the AccessDenied one is not retried.
    expect(server.count('BatchGetImage')).toBe(3);
  });

  it("verifies sha256(imageManifest) against ECR's imageDigest", async () => {
    const r = newResolver();
    const out = await r.resolveAll([ref(`${HOST}/integrity:good`), ref(`${HOST}/integrity:bad`)]);
    expect(out.get(`${HOST}/integrity:good`)).toEqual({
      ok: true,
      digest: sha256Digest(good.manifest!),
      mediaType: MEDIA_TYPES.ociManifest,
      verified: true,
      source: 'registry',
    });
    expect(out.get(`${HOST}/integrity:bad`)).toMatchObject({ ok: false, kind: 'verify', reason: expect.stringContaining('does not match') });
    expect(server.count('BatchGetImage')).toBe(1);
  });

  it('resolves digest-only references as an existence check, and a tag+digest by its tag', async () => {
    const r = newResolver();
    const d = imageDigest(bigImages[7]!);
    const missing = sha256Digest('never pushed');
    const out = await r.resolveAll([ref(`${HOST}/big@${d}`), ref(`${HOST}/big@${missing}`), ref(`${HOST}/big:v8@${d}`)]);
    expect(out.get(`${HOST}/big@${d}`)).toMatchObject({ ok: true, digest: d, verified: true });
    expect(out.get(`${HOST}/big@${missing}`)).toMatchObject({ ok: false, kind: 'not-found' });
    // The tag is resolved; the caller compares with the written digest to see the tag moved.
    expect(out.get(`${HOST}/big:v8@${d}`)).toMatchObject({ ok: true, digest: imageDigest(bigImages[8]!) });
    expect(server.count('BatchGetImage')).toBe(1);
  });

  it('keeps an index as an index and selects a platform child from it', async () => {
    const r = newResolver();
    const plain = await r.resolve(ref(`${HOST}/team/multi:latest`));
    expect(plain).toMatchObject({ ok: true, digest: sha256Digest(index), mediaType: MEDIA_TYPES.ociIndex, verified: true });
    const arm = await r.resolve(ref(`${HOST}/team/multi:latest`), { platform: 'linux/arm64' });
    expect(arm).toMatchObject({ ok: true, digest: sha256Digest(index), platformDigest: sha256Digest('arm64') });
    const none = await r.resolve(ref(`${HOST}/team/multi:latest`), { platform: 'windows/amd64' });
    expect(none).toMatchObject({ ok: false, kind: 'platform', reason: expect.stringContaining('linux/amd64, linux/arm64/v8') });
    const docker = await r.resolve(ref(`${HOST}/team/multi:1.2.2`));
    expect(docker).toMatchObject({ ok: true, mediaType: MEDIA_TYPES.dockerManifest });
  });

  it('micro-batches concurrent resolve() calls', async () => {
    const r = newResolver();
    const outs = await Promise.all(Array.from({ length: 150 }, (_, i) => r.resolve(ref(`${HOST}/big:v${i}`))));
    expect(outs.every((o) => o.ok)).toBe(true);
    expect(server.count('BatchGetImage')).toBe(2);
  });

  it('retries throttling invisibly', async () => {
    server.faults.throttle = { BatchGetImage: 2 };
    const r = newResolver();
    const out = await r.resolveAll(Array.from({ length: 120 }, (_, i) => ref(`${HOST}/big:v${i}`)));
    expect([...out.values()].every((o) => o.ok)).toBe(true);
    expect(server.count('BatchGetImage')).toBe(2 + 2);
    expect(r.clients.stats.commands.BatchGetImage).toBe(2);
  });

  it('reports missing credentials per reference with one clear message', async () => {
    const restore = useFakeAwsEnv(deadUrl, {
      AWS_ENDPOINT_URL_ECR: server.url,
      AWS_ACCESS_KEY_ID: undefined,
      AWS_SECRET_ACCESS_KEY: undefined,
    });
    try {
      const r = newResolver();
      const out = await r.resolveAll([ref(`${HOST}/big:v1`), ref(`${EU_HOST}/big:v1`)]);
      for (const o of out.values()) {
        expect(o).toMatchObject({ ok: false, kind: 'auth', reason: expect.stringContaining('No usable AWS credentials') });
      }
      expect(server.count('BatchGetImage')).toBe(0);
    } finally {
      restore();
    }
  });
});

describe('EcrResolver DescribeImages', () => {
  it('checks which digests still exist, batching ids and peeling the missing ones ECR names', async () => {
    const r = newResolver();
    const present = bigImages.slice(0, 150).map((img) => imageDigest(img));
    const gone = [sha256Digest('gone-1'), sha256Digest('gone-2')];
    const big = ref(`${HOST}/big`);
    const items = [...present, ...gone].map((digest) => ({ ref: big, digest }));
    items.push({ ref: ref(`${HOST}/no-such-repo`), digest: present[0]! });
    const out = await r.digestsExist(items);
    for (const d of present) expect(out.get(`${HOST}/big@${d}`)).toBe(true);
    for (const d of gone) expect(out.get(`${HOST}/big@${d}`)).toBe(false);
    expect(out.get(`${HOST}/no-such-repo@${present[0]}`)).toBe(false);
    // 152 ids → 2 batches; each missing id costs one repeated call; plus the missing repository.
    expect(server.count('DescribeImages')).toBe(2 + gone.length + 1);
    expect(await r.manifestExists(big, present[3]!)).toBe(true);
    expect(await r.manifestExists(big, gone[0]!)).toBe(false);
  });

  it('lists tags and maps latest to its version tags', async () => {
    const r = newResolver();
    const multiRef = ref(`${HOST}/team/multi:latest`);
    expect(await r.listTags(multiRef)).toEqual(['1.2', '1.2.2', '1.2.3', 'latest']);
    expect((await r.versionTagsFor(multiRef)).sort()).toEqual(['1.2', '1.2.3']);
    const tags = await r.tagsOfImages(multiRef, ['latest', '1.2.2', 'nope']);
    expect(tags.get('latest')?.digest).toBe(sha256Digest(index));
    expect(tags.get('1.2.2')?.tags).toEqual(['1.2.2']);
    expect(tags.has('nope')).toBe(false);
    expect((await r.listTags(ref(`${HOST}/big`))).length).toBe(260);
    await expect(r.listTags(ref(`${DENIED}.dkr.ecr.us-east-1.amazonaws.com/secret`))).rejects.toMatchObject({ kind: 'auth' });
  });

  it('uses a named profile from the shared credentials file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'imagedrift-aws-'));
    writeFileSync(join(dir, 'credentials'), '[audit]\naws_access_key_id = AKIAPROFILEAUDIT0001\naws_secret_access_key = fake\n');
    writeFileSync(join(dir, 'config'), '[profile audit]\nregion = eu-west-1\n');
    const restore = useFakeAwsEnv(deadUrl, {
      AWS_ENDPOINT_URL_ECR: server.url,
      AWS_ACCESS_KEY_ID: undefined,
      AWS_SECRET_ACCESS_KEY: undefined,
      AWS_SHARED_CREDENTIALS_FILE: join(dir, 'credentials'),
      AWS_CONFIG_FILE: join(dir, 'config'),
    });
    try {
      const r = newResolver({ profile: 'audit' });
      const out = await r.resolveAll([ref(`${HOST}/big:v1`)]);
      expect(out.get(`${HOST}/big:v1`)).toMatchObject({ ok: true });
      expect(server.requests.map((q) => q.accessKeyId)).toEqual(['AKIAPROFILEAUDIT0001']);
      // The registry's region wins over the profile's region.
      expect(server.requests[0]!.region).toBe('us-east-1');
    } finally {
      restore();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('shares one client factory (and its call statistics) when given one', async () => {
    const clients = new AwsClients({ maxAttempts: 3 });
    const r = newResolver({ clients });
    await r.resolveAll([ref(`${HOST}/big:v1`)]);
    expect(clients.stats.commands).toEqual({ BatchGetImage: 1 });
    expect(clients.serverTime()).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    clients.destroy();
  });
});
