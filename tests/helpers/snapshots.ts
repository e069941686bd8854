// ECS snapshots (imagedrift.snapshot/v1) built in memory for tests of what reads them whole:
// baselines, `diff`, `merge` and the HTML report. One account and region each (a shard), with
// services that run an app container and the AWS OTEL collector sidecar on `:latest`, and the
// registry facts an audit would have gathered. Per service: its OTEL digest, and the task
// definition revision it runs (a re-deploy bumps it).
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { SNAPSHOT_SCHEMA } from '../../src/sources/ecs-live.js';
import type { EcsSnapshot, SnapshotTask } from '../../src/sources/ecs-live.js';

export function digestOf(seed: string): string {
  return `sha256:${createHash('sha256').update(seed).digest('hex')}`;
}

export const OTEL_028 = digestOf('otel v0.28.0');
export const OTEL_029 = digestOf('otel v0.29.0');
export const APP_1 = digestOf('app 1.4.2');

export interface ShardSpec {
  account?: string;
  region?: string;
  cluster?: string;
  services: number;
  tasksPerService?: number;
  /** The OTEL digest service i runs (default v0.28.0). */
  otel?: (i: number) => string;
  /** The task definition revision service i uses (default 1). */
  revision?: (i: number) => number;
  /** What `latest` points at now (default v0.29.0). */
  latest?: string;
  serverTime?: string;
}

export function shardSnapshot(spec: ShardSpec): EcsSnapshot {
  const account = spec.account ?? '111111111111';
  const region = spec.region ?? 'us-east-1';
  const clusterName = spec.cluster ?? 'prod';
  const ecr = `${account}.dkr.ecr.${region}.amazonaws.com`;
  const otelImage = `${ecr}/aws-otel-collector:latest`;
  const appImage = `${ecr}/checkout:1.4.2`;
  const taskDefinitions: EcsSnapshot['taskDefinitions'] = {};
  const services: EcsSnapshot['clusters'][number]['services'] = [];
  const tasksPer = spec.tasksPerService ?? 2;
  for (let i = 0; i < spec.services; i++) {
    const name = `svc-${String(i).padStart(3, '0')}`;
    const revision = spec.revision?.(i) ?? 1;
    const td = `arn:aws:ecs:${region}:${account}:task-definition/${name}:${revision}`;
    taskDefinitions[td] = {
      arn: td,
      family: name,
      revision,
      containers: [
        { name: 'app', image: appImage, essential: true },
        { name: 'aws-otel-collector', image: otelImage, essential: false },
      ],
    };
    const otel = spec.otel?.(i) ?? OTEL_028;
    const tasks: SnapshotTask[] = Array.from({ length: tasksPer }, (_, t) => ({
      arn: `arn:aws:ecs:${region}:${account}:task/${clusterName}/${name}-r${revision}-t${t}`,
      taskDefinitionArn: td,
      group: `service:${name}`,
      lastStatus: 'RUNNING',
      desiredStatus: 'RUNNING',
      containers: [
        { name: 'app', image: appImage, imageDigest: APP_1, lastStatus: 'RUNNING' },
        { name: 'aws-otel-collector', image: otelImage, imageDigest: otel, lastStatus: 'RUNNING' },
      ],
    }));
    services.push({ arn: `arn:aws:ecs:${region}:${account}:service/${clusterName}/${name}`, name, status: 'ACTIVE', desiredCount: tasksPer, runningCount: tasksPer, taskDefinition: td, deployments: [{ status: 'PRIMARY', taskDefinition: td }], serviceRevisionArns: [], tasks });
  }
  const latest = spec.latest ?? OTEL_029;
  return {
    schema: SNAPSHOT_SCHEMA,
    source: 'ecs',
    startedAt: '2025-06-02T02:00:00.000Z',
    finishedAt: '2025-06-02T02:00:10.000Z',
    serverTime: spec.serverTime ?? '2025-06-02T02:00:09.000Z',
    scope: { regions: [region], clusters: [], services: [] },
    accounts: [{ accountId: account }],
    clusters: [{ arn: `arn:aws:ecs:${region}:${account}:cluster/${clusterName}`, name: clusterName, region, accountId: account, services, standaloneTasks: [] }],
    taskDefinitions,
    serviceRevisions: {},
    repositories: [
      { registryId: account, region, name: 'aws-otel-collector', imageTagMutability: 'MUTABLE', exclusionFilters: [], found: true },
      { registryId: account, region, name: 'checkout', imageTagMutability: 'IMMUTABLE', exclusionFilters: [], found: true },
    ],
    images: {
      [otelImage]: {
        source: 'ecr',
        checkedAt: spec.serverTime ?? '2025-06-02T02:00:09.000Z',
        current: { digest: latest, versionTag: latest === OTEL_029 ? 'v0.29.0' : 'v0.28.0' },
        digests: { [OTEL_028]: { exists: true, versionTag: 'v0.28.0' }, [OTEL_029]: { exists: true, versionTag: 'v0.29.0' } },
      },
      [appImage]: { source: 'ecr', current: { digest: APP_1, versionTag: '1.4.2' }, digests: { [APP_1]: { exists: true, versionTag: '1.4.2' } } },
    },
    incomplete: [],
    calls: { DescribeServices: Math.ceil(spec.services / 10), ListServices: Math.max(1, Math.ceil(spec.services / 100)) },
  };
}

export function writeJson(file: string, value: unknown): string {
  writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
  return file;
}
