// The imagedrift command line.
import { Command, CommanderError } from 'commander';
import { auditCommand } from './audit.js';
import { ExitCode } from './exit-codes.js';
import { pinCommand } from './pin.js';
import { prCommand } from './pr.js';
import { scanCommand } from './scan.js';
import { VERSION } from './version.js';

export function program(): Command {
  const commands = [scanCommand(), pinCommand(), prCommand(), auditCommand()];
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
  $ imagedrift pr                                   open a pull request that pins them
  $ imagedrift audit ecs --region us-east-1         what really runs in ECS
  $ imagedrift audit k8s -A --resolve               what really runs in Kubernetes`,
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
