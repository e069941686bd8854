// `imagedrift scan`: the offline scanner a pre-merge CI gate runs.
import { writeFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { loadDefaultPolicy } from '../policy/load.js';
import { REPORTERS } from '../report/index.js';
import type { FormatName } from '../report/index.js';
import { scanPaths } from '../scan/scan.js';
import { DEFAULT_MAX_FILE_BYTES } from '../sources/files.js';
import { ExitCode, FAIL_ON, getExitCode } from './exit-codes.js';
import type { FailOn } from './exit-codes.js';
import { oneOf, parseSize } from './options.js';
import { VERSION } from './version.js';

interface ScanFlags {
  format: FormatName;
  output?: string;
  failOn: FailOn;
  maxFileSize: number;
  color?: boolean;
}

export function scanCommand(): Command {
  return new Command('scan')
    .description('Find every image reference in Kubernetes manifests, ECS task definitions and CloudFormation templates, and flag floating tags.')
    .argument('[paths...]', 'files or directories to scan (directories recursively; - reads stdin)', ['.'])
    .addOption(new Option('-f, --format <format>', 'output format').choices(Object.keys(REPORTERS)).default('text'))
    .option('-o, --output <file>', 'write the report to a file instead of stdout')
    .addOption(new Option('--fail-on <severity>', 'exit 1 when a finding is at or above this severity').argParser(oneOf(FAIL_ON)).default('error'))
    .addOption(new Option('--max-file-size <size>', 'skip files larger than this (e.g. 512K, 10M)').argParser(parseSize).default(DEFAULT_MAX_FILE_BYTES, '10M'))
    .option('--no-color', 'never colour the output')
    .addHelpText(
      'after',
      `
Examples:
  $ imagedrift scan                            scan the current directory
  $ imagedrift scan deploy/ ecs/task.json      scan some directories and files
  $ imagedrift scan --format json -o out.json  machine-readable results
  $ helm template chart | imagedrift scan -    scan rendered manifests from stdin
  $ imagedrift scan --fail-on warning          also fail on warnings

Exit codes: 0 nothing at or above --fail-on, 1 findings, 2 usage or configuration error,
3 the scan could not complete (an input path could not be read).`,
    )
    .action(async (paths: string[], flags: ScanFlags) => {
      const policy = loadDefaultPolicy();
      const result = await scanPaths(paths, { policy, maxFileBytes: flags.maxFileSize });
      const toTty = flags.output === undefined && process.stdout.isTTY === true;
      const report = REPORTERS[flags.format](result, { color: flags.color !== false && toTty, version: VERSION });
      if (flags.output !== undefined) writeFileSync(flags.output, report);
      else process.stdout.write(report);
      for (const error of result.errors) process.stderr.write(`imagedrift: ${error}\n`);
      process.exitCode = getExitCode(result, flags.failOn);
    });
}

export { ExitCode };
