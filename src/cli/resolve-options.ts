// The registry options shared by `scan --resolve` and `pin`.
// The resolver stack (HTTP, TLS, gzip, credential helpers) is loaded by resolverFrom(), when a
// command really asks a registry: a plain `scan` never loads it.
import { Command, InvalidArgumentError, Option } from 'commander';
import type { CreatedResolver } from '../resolve/create.js';

export interface ResolveFlags {
  platform?: string;
  insecureRegistry: string[];
  concurrency: number;
  timeout: number;
  cacheTtl: number;
  cache: boolean;
  offline?: boolean;
  profile?: string;
}

/** `30s`, `15m`, `2h`, `1d`, or seconds. */
export function parseDuration(value: string): number {
  const match = /^(\d+)\s*(ms|s|m|h|d)?$/.exec(value.trim());
  if (match === null) throw new InvalidArgumentError('expected a duration such as 30s, 15m, 1h or 1d');
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[(match[2] ?? 's') as 'ms' | 's' | 'm' | 'h' | 'd'];
  return Number(match[1]) * unit;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number of at least 1');
  return n;
}

function platform(value: string): string {
  if (!/^[a-z0-9]+\/[a-z0-9_]+(\/[a-z0-9]+)?$/.test(value)) throw new InvalidArgumentError('expected os/arch[/variant], e.g. linux/amd64 or linux/arm/v7');
  return value;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

export function addResolveOptions(command: Command, group = 'Registry options:'): Command {
  const options = [
    new Option('--platform <os/arch[/variant]>', 'pin the matching child manifest of multi-arch images instead of the index').argParser(platform),
    new Option('--insecure-registry <host:port>', 'reach this registry over plain HTTP (loopback registries always are); repeatable').argParser(collect).default([]),
    new Option('--concurrency <n>', 'requests in flight per registry host').argParser(positiveInt).default(8),
    new Option('--timeout <duration>', 'per-request timeout').argParser(parseDuration).default(15_000, '15s'),
    new Option('--cache-ttl <duration>', 'how long cached digests stay fresh').argParser(parseDuration).default(3_600_000, '1h'),
    new Option('--no-cache', 'neither read nor write the on-disk cache'),
    new Option('--offline', 'answer from the on-disk cache only; never touch the network'),
    new Option('--profile <name>', 'AWS profile for private ECR registries (default: the standard credential chain)'),
  ];
  for (const option of options) command.addOption(option.helpGroup(group));
  return command;
}

export async function resolverFrom(flags: ResolveFlags, onWarning: (message: string) => void): Promise<CreatedResolver> {
  const { createResolver } = await import('../resolve/create.js');
  return createResolver({
    insecureRegistries: flags.insecureRegistry,
    concurrency: flags.concurrency,
    timeoutMs: flags.timeout,
    cacheTtlMs: flags.cacheTtl,
    noCache: !flags.cache,
    ...(flags.offline === true ? { offline: true } : {}),
    ...(flags.profile !== undefined ? { profile: flags.profile } : {}),
    onWarning,
  });
}
