// The registry options shared by `scan --resolve` and `pin`.
// The resolver stack (HTTP, TLS, gzip, credential helpers) is loaded by resolverFrom(), when a
// command really asks a registry: a plain `scan` never loads it.
import { Command, InvalidArgumentError, Option } from 'commander';
import type { CreatedResolver } from '../resolve/create.js';
import { UsageError } from './outputs.js';

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

const DURATION_UNITS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** Node's timers hold at most 2^31 - 1 ms (~24.8 days); anything longer would fire after 1 ms. */
export const MAX_TIMEOUT_MS = 2_147_483_647;

/**
 * `30s`, `15m`, `2h`, `1d`, `500ms`, or seconds. More than 0, and at most `maxMs`: a value the
 * timers cannot hold is refused rather than wrapped (`99999999999d` would become 1 ms).
 */
export function parseDuration(value: string, maxMs: number = Number.MAX_SAFE_INTEGER): number {
  const match = /^(\d{1,20})\s*(ms|s|m|h|d)?$/.exec(value.trim());
  if (match === null) throw new InvalidArgumentError('expected a duration such as 30s, 15m, 1h or 1d');
  const ms = Number(match[1]) * DURATION_UNITS[(match[2] ?? 's') as keyof typeof DURATION_UNITS];
  if (ms <= 0) throw new InvalidArgumentError('must be longer than 0');
  if (ms > maxMs) throw new InvalidArgumentError(`must be at most ${maxMs === MAX_TIMEOUT_MS ? '24d' : `${maxMs} ms`}`);
  return ms;
}

/** A per-request timeout (`--timeout`): as parseDuration, at most what a timer can hold. */
export function parseTimeout(value: string): number {
  return parseDuration(value, MAX_TIMEOUT_MS);
}

/** How many per-request timeouts one reference may spend in all (retries, waits, tag-list pages). */
export const BUDGET_TIMEOUTS = 4;

/** The per-reference budget that goes with --timeout. */
export function budgetOptions(flags: Pick<ResolveFlags, 'timeout'>): { budgetMs: number; budgetLabel: string } {
  return { budgetMs: BUDGET_TIMEOUTS * flags.timeout, budgetLabel: `${BUDGET_TIMEOUTS} × --timeout` };
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
    new Option('--timeout <duration>', `per-request timeout; ${BUDGET_TIMEOUTS} times it bounds all the requests for one reference`).argParser(parseTimeout).default(15_000, '15s'),
    new Option('--cache-ttl <duration>', 'how long cached digests stay fresh').argParser((value: string) => parseDuration(value)).default(3_600_000, '1h'),
    new Option('--no-cache', 'neither read nor write the on-disk cache'),
    new Option('--offline', 'answer from the on-disk cache only; never touch the network'),
    new Option('--profile <name>', 'AWS profile for private ECR registries (default: the standard credential chain)'),
  ];
  for (const option of options) command.addOption(option.helpGroup(group));
  return command;
}

export async function resolverFrom(flags: ResolveFlags, onWarning: (message: string) => void): Promise<CreatedResolver> {
  const [{ createResolver }, { ProxyConfigError, proxySettingsFromEnv }] = await Promise.all([import('../resolve/create.js'), import('../resolve/proxy.js')]);
  let proxy;
  try {
    proxy = proxySettingsFromEnv();
  } catch (err) {
    if (err instanceof ProxyConfigError) throw new UsageError(err.message);
    throw err;
  }
  return createResolver({
    proxy,
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
