// The imagedrift command line.
import { Command, CommanderError } from 'commander';
import { auditCommand } from './audit.js';
import { diffCommand } from './diff.js';
import { ExitCode } from './exit-codes.js';
import { mergeCommand } from './merge.js';
import { pinCommand } from './pin.js';
import { scanCommand } from './scan.js';
import { VERSION } from './version.js';

export function program(): Command {
  const commands = [scanCommand(), pinCommand(), auditCommand(), diffCommand(), mergeCommand()];
  // addCommand() does not pass on settings: every command reports usage errors the same way.
  for (const command of commands) command.showHelpAfterError().exitOverride();
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
  $ imagedrift audit ecs --region us-east-1         what really runs in ECS
  $ imagedrift diff last-night.json tonight.json    what changed since last night
  $ imagedrift merge shards/ --snapshot fleet.json  combine a sharded audit`,
    )
    .showHelpAfterError()
    .exitOverride();
  for (const command of commands) main.addCommand(command);
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
