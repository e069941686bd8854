// The default known-sidecar list matches each project's images as it publishes them, on every
// registry it uses (policies/default.yaml lists the sources), and not look-alikes.
import { describe, expect, it } from 'vitest';
import { loadDefaultPolicy } from '../../src/policy/load.js';
import { knownSidecarTest } from '../../src/policy/match.js';

const isKnown = knownSidecarTest(loadDefaultPolicy());

describe('default sidecar images', () => {
  it.each([
    // Istio
    'docker.io/istio/proxyv2:1.22.3',
    'istio/proxyv2:1.22.3',
    'gcr.io/istio-release/proxyv2:1.22.3',
    'registry.istio.io/release/proxyv2:1.24.0',
    '123456789012.dkr.ecr.eu-west-1.amazonaws.com/mirror/istio/proxyv2:1.22.3',
    // Linkerd
    'cr.l5d.io/linkerd/proxy:stable-2.14.10',
    'ghcr.io/linkerd/proxy:edge-24.5.1',
    'gcr.io/linkerd-io/proxy:stable-2.9.4',
    // AWS OTEL collector
    'public.ecr.aws/aws-observability/aws-otel-collector:v0.28.0',
    'amazon/aws-otel-collector:v0.28.0',
    // OpenTelemetry collector
    'otel/opentelemetry-collector:0.98.0',
    'otel/opentelemetry-collector-contrib:0.98.0',
    'otel/opentelemetry-collector-k8s:0.98.0',
    'ghcr.io/open-telemetry/opentelemetry-collector-releases/opentelemetry-collector-contrib:0.137.0',
    // Datadog
    'gcr.io/datadoghq/agent:7',
    'eu.gcr.io/datadoghq/agent:7',
    'asia.gcr.io/datadoghq/agent:7',
    'public.ecr.aws/datadog/agent:7',
    'datadog/agent:7',
    'datadoghq.azurecr.io/agent:7',
    'registry.datadoghq.com/agent:7',
    'gcr.io/datadoghq/dogstatsd:7',
    'public.ecr.aws/datadog/dogstatsd:7',
    // App Mesh Envoy on public ECR and on regional ECR accounts
    'public.ecr.aws/appmesh/aws-appmesh-envoy:v1.27.3.0-prod',
    '840364872350.dkr.ecr.us-west-2.amazonaws.com/aws-appmesh-envoy:v1.27.3.0-prod',
    '772975370895.dkr.ecr.me-south-1.amazonaws.com/aws-appmesh-envoy:v1.27.3.0-prod',
    '919366029133.dkr.ecr.cn-north-1.amazonaws.com.cn/aws-appmesh-envoy:v1.27.3.0-prod',
    // Fluent Bit
    'cr.fluentbit.io/fluent/fluent-bit:3.0.4',
    'fluent/fluent-bit:3.0.4',
    'public.ecr.aws/aws-observability/aws-for-fluent-bit:2.32.0',
    'amazon/aws-for-fluent-bit:2.32.0',
    '906394416424.dkr.ecr.us-east-1.amazonaws.com/aws-for-fluent-bit:2.32.0',
    // X-Ray, CloudWatch agent
    'amazon/aws-xray-daemon:3.3.7',
    'public.ecr.aws/xray/aws-xray-daemon:3.3.7',
    'public.ecr.aws/cloudwatch-agent/cloudwatch-agent:1.300066.1b1374',
    'amazon/cloudwatch-agent:1.300066.1b1374',
    // Vault agent, Cloud SQL proxy, Consul, Dapr
    'hashicorp/vault:1.15.2',
    'vault:1.4.2',
    'gcr.io/cloud-sql-connectors/cloud-sql-proxy:2.8.0',
    'gcr.io/cloudsql-docker/gce-proxy:1.33.2',
    'eu.gcr.io/cloudsql-docker/gce-proxy:1.33.2',
    'hashicorp/consul-dataplane:1.3.0',
    'daprio/daprd:1.13.0',
    'ghcr.io/dapr/daprd:1.13.0',
  ])('%s is a known sidecar image', (image) => {
    expect(isKnown(image)).toBe(true);
  });

  it.each(['nginx:1.25', 'istio/pilot:1.22.3', 'linkerd/controller:stable-2.14.10', 'datadog/synthetics-private-location-worker:1', 'gcr.io/datadoghq/cluster-agent:7', 'docker.io/acme/proxy:1'])(
    '%s is not',
    (image) => expect(isKnown(image)).toBe(false),
  );
});
