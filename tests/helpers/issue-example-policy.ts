// The policy example of issue 7, byte for byte: it must work exactly as written.
export const ISSUE_EXAMPLE = `# .imagedrift.yaml
extends: default
rules:
  undigested-tag: { severity: warning, sidecarSeverity: error }
  mutable-tag: { severity: error }
  newer-version-available: off
registries:
  allow: ["*.dkr.ecr.*.amazonaws.com/*", "public.ecr.aws/*", "docker.io/library/*", "registry.example.com/*"]
  deny: ["docker.io/bitnami/*"]
sidecars:
  images: ["*/my-company/log-shipper"]
paths:
  exclude: ["tests/fixtures/**"]
overrides:
  - paths: ["deploy/prod/**"]
    extends: strict
exceptions:
  - rule: latest-tag
    image: "docker.io/library/busybox"
    paths: ["jobs/**"]
    container: debug
    reason: "debug shell, tracked in OPS-123"
    expires: 2027-01-31
`;
