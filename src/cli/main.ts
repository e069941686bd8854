// The imagedrift command line.
import { Command, CommanderError } from 'commander';
import { ExitCode } from './exit-codes.js';
import { scanCommand } from './scan.js';
import { VERSION } from './version.js';

export function program(): Command {
  return new Command('imagedrift')
    .description('Audit container image references in ECS task definitions, CloudFormation and Kubernetes manifests for version drift.')
    .version(VERSION, '-V, --version')
    .addCommand(scanCommand())
    .addHelpText(
      'after',
      `
Examples:
  $ imagedrift scan examples/
  $ imagedrift scan --format json -o results.json deploy/`,
    )
    .showHelpAfterError()
    .exitOverride();
}

try {
  await program().parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    process.exitCode = err.exitCode === 0 ? ExitCode.OK : ExitCode.USAGE;
  } else {
    process.stderr.write(`imagedrift: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = ExitCode.USAGE;
  }
}
