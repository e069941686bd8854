// The audit's registry facts for images outside private ECR: through createResolver's
// ResolverSession and the OCI Distribution API, against a real registry (Debian's docker-registry)
// on 127.0.0.1 holding images this test pushes. ECS itself is the loopback fake, reached with the
// real SDK clients.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectLiveSnapshot } from '../../src/audit/collect.js';
import { judgeSnapshot } from '../../src/audit/judge.js';
import { loadDefaultPolicy } from '../../src/policy/load.js';
import { FakeAwsServer, serviceRevisionArn, taskDefinitionArn, useFakeAwsEnv, type FakeAwsFixture, type FakeTask } from '../helpers/fake-aws.js';
import { Pusher, startRegistry, type PushedImage, type PushedIndex, type TestRegistry } from '../helpers/registry.js';

const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';

let registry: TestRegistry;
let server: FakeAwsServer;
let restoreEnv: () => void;
let v028: PushedImage;
let v029: PushedImage;
let appOld: PushedImage;
let appNow: PushedImage;
let multi: PushedIndex;

function fixture(host: string): FakeAwsFixture {
  const td = taskDefinitionArn(REGION, ACCOUNT, 'orders', 3);
  const tasks: FakeTask[] = Array.from({ length: 4 }, (_, i) => ({
    id: `f00d${i}000aaaabbbbccccddddeeeeffff`,
    group: 'service:orders',
    taskDefinitionArn: td,
    containers: [
      { name: 'orders', image: `${host}/team/orders:1.0.0`, imageDigest: appOld.digest },
      { name: 'collector', image: `${host}/otel/aws-otel-collector:latest`, imageDigest: i < 3 ? v028.digest : v029.digest },
      // A multi-arch image: the task reports the digest of the linux/arm64 manifest it pulled.
      { name: 'agent', image: `${host}/team/agent:2.0.0`, imageDigest: multi.children[1]!.digest },
    ],
  }));
  return {
    account: ACCOUNT,
    regions: {
      [REGION]: {
        clusters: [{ name: 'shop', services: [{ name: 'orders', taskDefinition: td, desiredCount: 4, runningCount: 4, currentServiceRevisions: [serviceRevisionArn(REGION, ACCOUNT, 'shop', 'orders', 'r1')] }], tasks }],
        taskDefinitions: [
          {
            arn: td,
            family: 'orders',
            revision: 3,
            containers: [
              { name: 'orders', image: `${host}/team/orders:1.0.0` },
              { name: 'collector', image: `${host}/otel/aws-otel-collector:latest`, essential: false },
              { name: 'agent', image: `${host}/team/agent:2.0.0`, essential: false },
            ],
          },
        ],
        serviceRevisions: [],
      },
    },
    repositories: [],
  };
}

beforeAll(async () => {
  registry = await startRegistry();
  const push = new Pusher(registry.url);
  await push.pushImage('otel/aws-otel-collector', ['v0.27.0']);
  v028 = await push.pushImage('otel/aws-otel-collector', ['v0.28.0', '0.28']);
  v029 = await push.pushImage('otel/aws-otel-collector', ['v0.29.0', '0.29', 'latest']);
  appOld = await push.pushImage('team/orders', ['1.0.0']);
  appNow = await push.moveTag('team/orders', '1.0.0'); // re-pushed over the running build…
  await push.deleteManifest('team/orders', appOld.digest); // …which a clean-up then deleted
  multi = await push.pushIndex('team/agent', ['2.0.0'], [
    { os: 'linux', architecture: 'amd64' },
    { os: 'linux', architecture: 'arm64' },
  ]);
  server = await FakeAwsServer.start(fixture(registry.host));
  restoreEnv = useFakeAwsEnv(server.url);
}, 60_000);

afterAll(async () => {
  restoreEnv?.();
  await server?.close();
  await registry?.stop();
});

describe('audit ecs with images in an OCI registry', () => {
  it('reads tag, digests and versions through the Distribution API and judges them like ECR', async () => {
    const snapshot = await collectLiveSnapshot({ regions: [REGION] });
    expect(snapshot.incomplete).toEqual([]);
    const host = registry.host;
    expect(snapshot.images?.[`${host}/otel/aws-otel-collector:latest`]).toEqual({
      source: 'oci',
      checkedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      current: { digest: v029.digest, versionTag: 'v0.29.0' },
      digests: { [v028.digest]: { exists: true, versionTag: 'v0.28.0' }, [v029.digest]: { exists: true } },
    });
    expect(snapshot.images?.[`${host}/team/orders:1.0.0`]).toMatchObject({
      source: 'oci',
      current: { digest: appNow.digest },
      digests: { [appOld.digest]: { exists: false } },
    });
    // No ECR was involved: only ECS calls reached AWS.
    expect(server.count('DescribeImages')).toBe(0);

    const findings = judgeSnapshot(snapshot, loadDefaultPolicy());
    const at = (container: string) => findings.filter((f) => f.location.path === `ecs://${ACCOUNT}/${REGION}/shop/orders#${container}`);
    const short = (d: string) => `${d.slice(0, 19)}…`;
    expect(at('collector').map((f) => f.ruleId)).toEqual(['latest-tag', 'fleet-drift', 'tag-moved-since-deploy']);
    expect(at('collector')[1]!.message).toBe(
      `Sidecar \`collector\` in Service \`shop/orders\` runs 2 different builds of \`${host}/otel/aws-otel-collector:latest\` across 4 tasks: 3 on ${short(v028.digest)} (v0.28.0) and 1 on ${short(v029.digest)} (v0.29.0): the same reference pulled different images as tasks were started`,
    );
    expect(at('collector')[2]!.message).toBe(
      `Sidecar \`collector\` in Service \`shop/orders\` runs \`latest\` at ${short(v028.digest)} (v0.28.0) on 3 of 4 tasks, but \`latest\` now points at ${short(v029.digest)} (v0.29.0): the next deployment will pull a different build`,
    );
    expect(at('orders').map((f) => f.ruleId)).toEqual(['undigested-tag', 'tag-moved-since-deploy', 'running-digest-missing']);
    // The arm64 manifest of the index `2.0.0` names is the build `2.0.0` names: nothing moved.
    expect(snapshot.images?.[`${host}/team/agent:2.0.0`]).toMatchObject({
      current: { digest: multi.digest, platforms: multi.children.map((c) => c.digest) },
      digests: { [multi.children[1]!.digest]: { exists: true } },
    });
    expect(at('agent').map((f) => f.ruleId)).toEqual(['undigested-tag']);
    expect(at('orders')[2]!.message).toBe(
      `Container \`orders\` in Service \`shop/orders\` runs ${short(appOld.digest)} (4 tasks), which the registry no longer has (deleted by a lifecycle policy?): the next scale-out or task replacement will fail to pull it (CannotPullContainerError)`,
    );
  });
});
