// The resolver commands use: private ECR hosts go through the AWS SDK (loaded only then) against
// the loopback ECR fake; everything else through the OCI client. One session, dedupe included.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseReference } from '../../src/core/parse-reference.js';
import type { ParsedReference } from '../../src/core/types.js';
import { createResolver } from '../../src/resolve/create.js';
import { FakeAwsServer, imageDigest, useFakeAwsEnv } from '../helpers/fake-aws.js';
import type { FakeRepository } from '../helpers/fake-aws.js';

const ACCOUNT = '123456789012';
const HOST = `${ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com`;
const repositories: FakeRepository[] = [{ region: 'eu-west-1', name: 'team/api', images: [{ tags: ['1.4.0', 'latest'] }, { tags: ['1.3.9'] }] }];
let server: FakeAwsServer;
let restore: () => void;

const ref = (text: string): ParsedReference => {
  const outcome = parseReference(text);
  if (!outcome.ok) throw new Error(outcome.error);
  return outcome.ref;
};

beforeAll(async () => {
  server = await FakeAwsServer.start({ account: ACCOUNT, regions: {}, repositories });
  restore = useFakeAwsEnv(server.url);
});

afterAll(async () => {
  restore?.();
  await server?.close();
});

describe('createResolver', () => {
  it('routes private ECR references through the SDK, batching and deduplicating them', async () => {
    const { session, close } = createResolver({ noCache: true });
    try {
      const [a, b, c] = await Promise.all([session.resolve(ref(`${HOST}/team/api:1.4.0`)), session.resolve(ref(`${HOST}/team/api:1.4.0`)), session.resolve(ref(`${HOST}/team/api:latest`))]);
      expect(a).toMatchObject({ ok: true, digest: imageDigest(repositories[0]!.images[0]!) });
      expect(b).toEqual(a);
      expect(c).toMatchObject({ ok: true, digest: imageDigest(repositories[0]!.images[0]!) });
      expect(server.count('BatchGetImage')).toBe(1);
      expect((await session.listTags(ref(`${HOST}/team/api`))).sort()).toEqual(['1.3.9', '1.4.0', 'latest']);
      const missing = await session.resolve(ref(`${HOST}/team/api:9.9.9`));
      expect(missing).toMatchObject({ ok: false, kind: 'not-found' });
    } finally {
      close();
    }
  });
});
