// The registry and audit options reject what they cannot honour, as usage errors (exit 2) before
// anything is read or asked: a zero or unrepresentable --timeout, a region that is not an AWS
// region name. (Issue 14, Low.)
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from 'commander';
import { MAX_TIMEOUT_MS, parseDuration, parseTimeout } from '../../src/cli/resolve-options.js';
import { fakeAwsCliEnv } from '../helpers/fake-aws.js';

const root = join(import.meta.dirname, '..', '..');

function cli(args: string[]) {
  // The AWS endpoint is a closed port on loopback: nothing may be asked anyway.
  const result = spawnSync(process.execPath, [join(root, 'bin', 'imagedrift.js'), ...args], { cwd: root, encoding: 'utf8', env: fakeAwsCliEnv('http://127.0.0.1:9', { AWS_MAX_ATTEMPTS: '1' }) as NodeJS.ProcessEnv });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('durations', () => {
  it('parses units, refuses 0 and anything a timer cannot hold instead of wrapping it', () => {
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('2')).toBe(2000);
    expect(parseDuration('1d')).toBe(86_400_000);
    expect(parseTimeout('24d')).toBe(24 * 86_400_000);
    for (const bad of ['0', '0s', '0ms', '-1s', '1.5s', '1w', '', '99999999999d', '25d', '2147483648ms']) {
      expect(() => parseTimeout(bad), bad).toThrow(InvalidArgumentError);
    }
    expect(parseTimeout(`${MAX_TIMEOUT_MS}ms`)).toBe(MAX_TIMEOUT_MS);
    expect(() => parseDuration('999999999999999999999d')).toThrow(InvalidArgumentError);
  });

  it('scan --resolve and pin: --timeout 0 and --timeout 99999999999d are usage errors', () => {
    for (const [command, value, reason] of [['scan', '0', 'must be longer than 0'], ['pin', '99999999999d', 'must be at most 24d']] as const) {
      const result = cli([command, ...(command === 'scan' ? ['--resolve'] : ['--dry-run']), '--timeout', value, 'examples']);
      expect(result.code, `${command} --timeout ${value}`).toBe(2);
      expect(result.stderr).toContain(`option '--timeout <duration>' argument '${value}' is invalid. ${reason}`);
    }
  });

  it('audit ecs: --timeout 0 is a usage error', () => {
    const result = cli(['audit', 'ecs', '--region', 'us-east-1', '--timeout', '0']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('must be longer than 0');
  });
});

describe('audit ecs --region', () => {
  it('a region that is not an AWS region name is a usage error, not an incomplete audit', () => {
    for (const region of ['us-east-1/../x', 'US-EAST-1']) {
      const result = cli(['audit', 'ecs', '--region', region]);
      expect(result.code, region).toBe(2);
      expect(result.stderr).toContain('expected an AWS region name such as us-east-1');
    }
  });

  it('accepts the region names AWS uses', () => {
    // Exit 3 (the closed endpoint: audit-incomplete), never 2: the names themselves are fine.
    const result = cli(['audit', 'ecs', '--region', 'us-gov-west-1', '--region', 'cn-northwest-1', '--region', 'eusc-de-east-1', '--timeout', '1s', '--format', 'json']);
    expect(result.stderr).not.toContain('expected an AWS region name');
    expect(result.code).toBe(3);
  }, 60_000);
});
