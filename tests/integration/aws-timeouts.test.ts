// AWS endpoints that accept a connection and never answer (issue 14, Medium 9): `audit ecs` and
// ECR resolution in `scan --resolve` must give up after --timeout per attempt (AWS_MAX_ATTEMPTS
// attempts; 1 here), report the scope as audit-incomplete / the reference as resolve-failed, and exit 3,
// instead of hanging. The silent endpoint never answers, so the outcome does not depend on how
// fast the machine is; the guard timer below only stops a run that hangs (as the old code did).
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeAwsCliEnv } from '../helpers/fake-aws.js';

const root = join(import.meta.dirname, '..', '..');
let silent: net.Server;
let silentUrl: string;
const held: net.Socket[] = [];

function cli(args: string[], env: Record<string, string | undefined>): Promise<{ code: number | null; stdout: string; stderr: string; hung: boolean }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(root, 'bin', 'imagedrift.js'), ...args], { cwd: root, env: env as NodeJS.ProcessEnv });
    let stdout = '';
    let stderr = '';
    let hung = false;
    const guard = setTimeout(() => {
      hung = true;
      child.kill('SIGKILL');
    }, 45_000);
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    child.on('close', (code) => {
      clearTimeout(guard);
      resolve({ code, stdout, stderr, hung });
    });
  });
}

beforeAll(async () => {
  // Accepts, reads, never writes a byte.
  silent = net.createServer((socket) => {
    held.push(socket);
    socket.on('error', () => {});
    socket.resume();
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  silentUrl = `http://127.0.0.1:${(silent.address() as net.AddressInfo).port}`;
});

afterAll(async () => {
  for (const s of held) s.destroy();
  await new Promise((resolve) => silent.close(resolve));
});

describe('an AWS endpoint that accepts and never answers', () => {
  it('audit ecs --timeout 1s: the region is audit-incomplete and the audit exits 3', async () => {
    const result = await cli(['audit', 'ecs', '--region', 'us-east-1', '--timeout', '1s', '--format', 'json'], fakeAwsCliEnv(silentUrl, { AWS_MAX_ATTEMPTS: '1' }));
    expect(result.hung).toBe(false);
    expect(result.code).toBe(3);
    const report = JSON.parse(result.stdout) as { findings: Array<{ ruleId: string; message: string }> };
    const incomplete = report.findings.filter((f) => f.ruleId === 'audit-incomplete');
    expect(incomplete.length).toBeGreaterThan(0);
    expect(incomplete[0]?.message).toContain('TimeoutError on ListClusters (no answer within 1000 ms (--timeout))');
    expect(result.stderr).toContain('the audit is incomplete');
  }, 60_000);

  it('scan --resolve --timeout 1s: a private ECR reference is resolve-failed and the scan exits 3', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'imagedrift-ecr-timeout-'));
    writeFileSync(join(dir, 'pod.yaml'), 'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - {name: a, image: "123456789012.dkr.ecr.us-east-1.amazonaws.com/team/app:1.0.0"}\n');
    const env = fakeAwsCliEnv(silentUrl, { AWS_MAX_ATTEMPTS: '1', AWS_REGION: 'us-east-1', XDG_CACHE_HOME: mkdtempSync(join(tmpdir(), 'imagedrift-xdg-')) });
    const result = await cli(['scan', '--resolve', '--timeout', '1s', dir], env);
    expect(result.hung).toBe(false);
    expect(result.code).toBe(3);
    expect(result.stdout).toMatch(/\[resolve-failed\]/);
    expect(result.stdout).toContain('could not be checked: 123456789012.dkr.ecr.us-east-1/team/app: TimeoutError: no answer within 1000 ms (--timeout) [resolve-failed]');
  }, 60_000);
});
