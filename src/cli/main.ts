// The imagedrift command line.
import { Command, CommanderError } from 'commander';
import { auditCommand } from './audit.js';
import { diffCommand } from './diff.js';
import { ExitCode } from './exit-codes.js';
import { mergeCommand } from './merge.js';
import { pinCommand } from './pin.js';
import { prCommand } from './pr.js';
import { rulesCommand } from './rules.js';
import { scanCommand } from './scan.js';
import { VERSION } from './version.js';

/** `imagedrift audit ecs`: the command's full name, for the hint after a usage error. */
function fullName(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c !== null; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/**
 * A usage error prints the error and one line saying where the help is, not the whole help
 * (which buries the error). addCommand() does not pass settings on, so each command gets its own.
 */
function usageErrorsWithHint(command: Command): void {
  command.showHelpAfterError(`see '${fullName(command)} --help'`).exitOverride();
  for (const sub of command.commands) usageErrorsWithHint(sub);
}

export function program(): Command {
  const main = new Command('imagedrift')
    .description('Audit container image references in ECS task definitions, CloudFormation and Kubernetes manifests for version drift.')
    .version(VERSION, '-V, --version')
    .addHelpText(
      'after',
      `
Examples:
  $ imagedrift scan examples/
  $ imagedrift scan --format json -o results.json deploy/
  $ imagedrift scan --resolve deploy/               propose pinned digests
  $ imagedrift pin --dry-run deploy/                show the pinning diff
  $ imagedrift pr                                   open a pull request that pins them
  $ imagedrift audit ecs --region us-east-1         what really runs in ECS
  $ imagedrift audit k8s -A --resolve               what really runs in Kubernetes
  $ imagedrift diff last-night.json tonight.json    what changed since last night
  $ imagedrift merge shards/ --snapshot fleet.json  combine a sharded audit
  $ imagedrift rules                                every rule, its severities and what it flags`,
    );
  for (const command of [scanCommand(), pinCommand(), prCommand(), auditCommand(), diffCommand(), mergeCommand(), rulesCommand()]) main.addCommand(command);
  usageErrorsWithHint(main);
  return main;
}

// No top-level await: the bundle this is built into (scripts/bundle.mjs) is CommonJS.
program()
  .parseAsync(process.argv)
  .catch((err: unknown) => {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode === 0 ? ExitCode.OK : ExitCode.USAGE;
    } else {
      process.stderr.write(`imagedrift: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = ExitCode.USAGE;
    }
  });
