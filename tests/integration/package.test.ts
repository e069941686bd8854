// The package as npm publishes it: `npm pack` prints only the tarball's name (pre-commit's node
// hooks take that line as the path), the tarball holds the bundle and nothing of the sources or
// tests, it installs into an empty project with the registry out of reach (it has no dependencies:
// dist/bundle is the whole program), and `npx imagedrift` runs there: a scan of the examples it
// ships, a user's policy (the yaml and ajv vendor files), pin (diff) and the audit (the AWS SDK).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
let dir: string;
let project: string;
let tarball: string;
let packed: ReturnType<typeof spawnSync>;

/** npm and npx of the Node that runs the tests, offline: nothing may come from the registry. */
const env = { ...process.env, npm_config_offline: 'true', npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false', NO_COLOR: '1' };
const npm = (args: string[], cwd: string) => spawnSync('npm', args, { cwd, encoding: 'utf8', env });

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'imagedrift-package-'));
  // The build is already there (npm test builds first); packing again must not rebuild what other
  // test files are running.
  packed = npm(['pack', '--ignore-scripts', '--pack-destination', dir], root);
  tarball = join(dir, String(packed.stdout).trim());
  project = join(dir, 'project');
  spawnSync('mkdir', [project]);
  writeFileSync(join(project, 'package.json'), '{ "name": "consumer", "version": "1.0.0", "private": true }\n');
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the npm package', () => {
  it('npm pack prints the tarball name and nothing else, and the tarball holds the program, not the sources', () => {
    expect(packed.status).toBe(0);
    expect(packed.stdout).toMatch(/^imagedrift-\d+\.\d+\.\d+(-[\w.]+)?\.tgz\n$/);
    const listing = spawnSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
    for (const file of ['package/package.json', 'package/bin/imagedrift.js', 'package/dist/bundle/main.cjs', 'package/dist/bundle/worker.cjs', 'package/dist/bundle/vendor/aws.cjs', 'package/dist/bundle/THIRD-PARTY-LICENSES.txt', 'package/dist/bundle/wasm/tree-sitter-terraform.wasm', 'package/dist/bundle/vendor/web-tree-sitter.cjs', 'package/policies/default.yaml', 'package/examples/ecs/otel-sidecar-task-definition.json', 'package/LICENSE', 'package/README.md']) {
      expect(listing, file).toContain(file);
    }
    expect(listing.filter((file) => /^package\/(src|tests|scripts)\/|\.map$|\.ts$/.test(file))).toEqual([]);
  });

  it('installs into an empty project without the registry, and runs there', () => {
    const install = npm(['install', tarball], project);
    expect(install.status, install.stderr).toBe(0);
    const npx = (args: string[], extra: NodeJS.ProcessEnv = {}) => spawnSync('npx', ['--no', 'imagedrift', ...args], { cwd: project, encoding: 'utf8', env: { ...env, ...extra } });

    expect(npx(['--version']).stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    const scan = npx(['scan', 'node_modules/imagedrift/examples']);
    expect(scan.stderr).toBe('');
    expect(scan.status).toBe(1);
    expect(scan.stdout).toContain('error Sidecar `aws-otel-collector` in task definition `checkout-api` uses floating tag `latest`');
    expect(scan.stdout.trim().split('\n').at(-1)).toBe('6 findings (3 errors, 2 warnings, 1 note) in 2 files, 7 image references');

    // A Dockerfile (dockerfile-ast) and Terraform (tree-sitter's HCL grammar, WebAssembly): parsers
    // and grammars come from the package itself.
    writeFileSync(join(project, 'Dockerfile'), 'FROM node:latest AS build\nFROM gcr.io/distroless/nodejs22-debian12\nCOPY --from=build /app /app\n');
    writeFileSync(join(project, 'main.tf'), 'resource "kubernetes_pod" "web" {\n  metadata { name = "web" }\n  spec {\n    container {\n      name  = "web"\n      image = "nginx:latest"\n    }\n  }\n}\n');
    const formats = npx(['scan', 'Dockerfile', 'main.tf']);
    expect(formats.stderr).toBe('');
    expect(formats.stdout).toContain('Dockerfile:1:6: error');
    expect(formats.stdout).toContain('main.tf:6:16: error');

    // A user's own policy: the full YAML parser and the schema checker, from their vendor files.
    writeFileSync(join(project, '.imagedrift.yaml'), 'rules:\n  undigested-tag: off\n');
    const policy = npx(['scan', '--format', 'json', 'node_modules/imagedrift/examples']);
    expect(policy.stderr).toBe('');
    expect((JSON.parse(policy.stdout) as { findings: Array<{ ruleId: string }> }).findings.map((f) => f.ruleId)).not.toContain('undigested-tag');

    // pin with saved results that propose nothing: the rewriter and diff load, nothing is written.
    writeFileSync(join(project, 'results.json'), JSON.stringify({ schema: 'imagedrift.scan/v1', findings: [] }));
    const pin = npx(['pin', '--dry-run', '--from-results', 'results.json', 'node_modules/imagedrift/examples']);
    expect(pin.stdout).toContain('would pin 0 references');

    // The audit loads the AWS SDK; an endpoint nobody listens on ends it with AWS's error, not a crash.
    const audit = npx(['audit', 'ecs', '--region', 'us-east-1'], { AWS_ENDPOINT_URL: 'http://127.0.0.1:9', AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret', AWS_MAX_ATTEMPTS: '1' });
    expect(audit.status).toBe(3);
    expect(audit.stdout).toContain('Audit incomplete: ECONNREFUSED on ListClusters');
    expect(audit.stderr + audit.stdout).not.toMatch(/Cannot find module|TypeError|at Object\./);
    expect(audit.stderr + audit.stdout).not.toContain('secret');
  });
});
