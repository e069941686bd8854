// The formats of issue 13 beyond what the golden cases show: which files a walk reads, the HCL
// parser loaded only for a `.tf` file, the policy's `sources`, `paths` and exceptions on every
// format, values files named on the command line, and the cases where one file's references
// depend on another (a Terraform `file()` target, a kustomization beside its resources).
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isScannedName, namedKind } from '../../src/core/file-names.js';
import { hclLoaded } from '../../src/parse/hcl.js';
import { loadDefaultPolicy, loadPolicyFile } from '../../src/policy/load.js';
import { scanPaths } from '../../src/scan/scan.js';
import { FileScanner } from '../../src/scan/scan-file.js';

function tempDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'imagedrift-formats-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

const lines = (result: Awaited<ReturnType<typeof scanPaths>>, dir: string) => [...result.findings].map((f) => `${f.location.path.slice(dir.length + 1)}:${f.location.line}:${f.location.column} ${f.ruleId}`);

describe('file names', () => {
  it('knows the formats named by their files, and the walk reads them', () => {
    expect(['Dockerfile', 'Dockerfile.debug', 'api.Dockerfile', 'Containerfile'].map(namedKind)).toEqual(['dockerfile', 'dockerfile', 'dockerfile', 'dockerfile']);
    expect(['main.tf', 'main.tf.json', 'kustomization.yaml', 'Kustomization', 'compose.yaml', 'docker-compose.prod.yml', '.gitlab-ci.yml', 'values.yaml', 'values-prod.yaml', 'prod.values.yaml', 'GOMEMLIMIT-values.yaml'].map(namedKind)).toEqual([
      'terraform',
      'terraform-json',
      'kustomize',
      'kustomize',
      'compose',
      'compose',
      'gitlab-ci',
      'helm-values',
      'helm-values',
      'helm-values',
      'helm-values',
    ]);
    expect(namedKind('repo/.github/workflows/ci.yml')).toBe('github-actions');
    expect(namedKind('deployment.yaml')).toBeUndefined();
    expect(['Dockerfile', 'Containerfile', 'main.tf', 'Kustomization', 'pod.yaml'].every(isScannedName)).toBe(true);
    expect(['Dockerfile.md', 'README.md', 'main.tfvars', 'Dockerfile.dockerignore'].some(isScannedName)).toBe(false);
  });
});

describe('the HCL parser', () => {
  it('is loaded only when a scan meets a .tf file', async () => {
    const yamlOnly = tempDir({ 'compose.yaml': 'services:\n  db:\n    image: postgres:latest\n', Dockerfile: 'FROM alpine:3.19\n' });
    await scanPaths([yamlOnly], { policy: loadDefaultPolicy(), workers: 0 });
    expect(hclLoaded()).toBe(false);
    const withTerraform = tempDir({ 'main.tf': 'resource "kubernetes_pod" "p" {\n  spec {\n    container {\n      image = "nginx:latest"\n    }\n  }\n}\n' });
    const result = await scanPaths([withTerraform], { policy: loadDefaultPolicy(), workers: 0 });
    expect(hclLoaded()).toBe(true);
    expect(lines(result, withTerraform)).toEqual(['main.tf:4:16 latest-tag']);
  });
});

describe('policy on the new formats', () => {
  const files = {
    Dockerfile: 'FROM python:latest\n',
    'deploy/compose.yaml': 'services:\n  db:\n    image: postgres:latest\n',
    'deploy/values.yaml': 'image:\n  repository: acme/app\n  tag: latest\n',
  };

  it('turns a source off, everywhere or under an override', async () => {
    const dir = tempDir({ ...files, '.imagedrift.yaml': 'sources: { dockerfile: off }\noverrides:\n  - paths: ["deploy/**"]\n    sources: { helm-values: off }\n' });
    const result = await scanPaths([dir], { policy: loadPolicyFile(join(dir, '.imagedrift.yaml')), root: dir, workers: 0 });
    expect(lines(result, dir)).toEqual(['deploy/compose.yaml:3:12 latest-tag']);
  });

  it('rejects an unknown source and a value that is not on or off, at their place', () => {
    const dir = tempDir({ '.imagedrift.yaml': 'sources:\n  dockerfiles: off\n  compose: maybe\n' });
    expect(() => loadPolicyFile(join(dir, '.imagedrift.yaml'))).toThrow(/2:3: sources\.dockerfiles: unknown key `dockerfiles` \(did you mean `dockerfile`\?\)[\s\S]*3:12: sources\.compose: expected on or off, got "maybe"/);
  });

  it('applies paths and exceptions to every format', async () => {
    const dir = tempDir({
      ...files,
      '.imagedrift.yaml': 'paths:\n  exclude: ["deploy/values.yaml"]\nexceptions:\n  - image: "docker.io/library/python"\n    reason: "base image rebuilt nightly"\n    expires: 2099-01-01\n',
    });
    const result = await scanPaths([dir], { policy: loadPolicyFile(join(dir, '.imagedrift.yaml')), root: dir, workers: 0 });
    expect(lines(result, dir)).toEqual(['deploy/compose.yaml:3:12 latest-tag']);
  });
});

describe('values files', () => {
  const settings = 'frontend:\n  image:\n    repository: acme/frontend\n    tag: "1.10"\n';

  it('reads a YAML file of any name as Helm values when it is named on the command line, not in a walk', async () => {
    const dir = tempDir({ 'settings/prod.yaml': settings });
    const walked = await scanPaths([dir], { policy: loadDefaultPolicy(), workers: 0 });
    expect(walked.summary.refsFound).toBe(0);
    const named = await scanPaths([join(dir, 'settings/prod.yaml')], { policy: loadDefaultPolicy(), workers: 0 });
    expect([...named.findings].map((f) => `${f.ruleId} ${f.image?.tag}`)).toEqual(['partial-version-tag 1.10']);
  });
});

describe('references that depend on another file', () => {
  it('reports a file() target once, with the resource that reads it, whether the walk meets it first or not', async () => {
    const container = '[{"name": "app", "image": "ghcr.io/acme/app:main"}]\n';
    const main = 'resource "aws_ecs_task_definition" "app" {\n  family = "app"\n  container_definitions = file("${path.module}/a-containers.json")\n}\n';
    const dir = tempDir({ 'a-containers.json': container, 'main.tf': main });
    const result = await scanPaths([dir], { policy: loadDefaultPolicy(), workers: 0 });
    expect([...result.findings].map((f) => `${f.location.path.slice(dir.length + 1)} ${f.ruleId} ${f.workload?.kind}.${f.workload?.name}`)).toEqual(['a-containers.json mutable-tag aws_ecs_task_definition.app']);
    expect(result.summary.refsFound).toBe(1);
    // Named on the command line in the other order, the JSON comes first: reported once, on its own.
    const reversed = await scanPaths([join(dir, 'a-containers.json'), join(dir, 'main.tf')], { policy: loadDefaultPolicy(), workers: 0 });
    expect([...reversed.findings].map((f) => `${f.ruleId} ${f.workload?.kind}`)).toEqual(['mutable-tag TaskDefinition']);
  });

  it('judges a resource image at the kustomization that overrides it, and not again at the resource', () => {
    const dir = tempDir({
      'kustomization.yaml': 'resources: [deployment.yaml]\nimages:\n  - name: acme/app\n    newTag: 1.4.0\n',
      'deployment.yaml': 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: app}\nspec:\n  template:\n    spec:\n      containers:\n        - {name: app, image: acme/app}\n        - {name: db, image: postgres}\n',
    });
    const scanner = new FileScanner({ policy: loadDefaultPolicy() });
    const read = (name: string) => scanner.scan(join(dir, name), readFileSync(join(dir, name), 'utf8'));
    expect(read('deployment.yaml').findings.map((f) => `${f.ruleId} ${f.container?.name}`)).toEqual(['missing-tag db']);
    expect(read('kustomization.yaml').findings.map((f) => `${f.ruleId} ${f.container?.name} ${f.workload?.kind}`)).toEqual(['undigested-tag app Deployment']);
  });
});
