// Option parsers shared by commands. A bad value is a usage error (exit 2).
import { InvalidArgumentError, Option } from 'commander';
import { FAIL_ON } from './exit-codes.js';

/** `10485760`, `512K`, `10M`, `10MiB`, `1G`. */
export function parseSize(value: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([KMG]?)(?:i?B)?$/i.exec(value.trim());
  if (match === null) throw new InvalidArgumentError('expected a size such as 10485760, 512K or 10M');
  const unit = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 }[(match[2] ?? '').toUpperCase() as '' | 'K' | 'M' | 'G'];
  return Math.round(Number(match[1]) * unit);
}

/** `--workers`: a whole number of threads, 0 to 256. */
export function parseWorkers(value: string): number {
  if (!/^\d+$/.test(value.trim()) || Number(value) > 256) throw new InvalidArgumentError('expected a number of worker threads from 0 to 256');
  return Number(value);
}

/** `--fail-on`, with its choices listed in the help and in the error for a wrong one. */
export function failOnOption(): Option {
  return new Option('--fail-on <severity>', 'exit 1 when a finding is at or above this severity').choices([...FAIL_ON]).default('error');
}
