// Options that choose the policy and the files a run looks at: --policy, --now, --changed-since.
// Shared by commands that judge files, so they all find .imagedrift.yaml the same way.
// Defining the options loads nothing heavy: setupRun() loads the policy loader, the scanner (for
// today's date) and git (--changed-since only) when a command runs.
import { Command, InvalidArgumentError, Option } from 'commander';
import { isCalendarDate } from '../policy/patterns.js';
import type { Policy } from '../policy/types.js';

export interface PolicyFlags {
  policy?: string;
  now?: string;
  changedSince?: string;
  allowExtendsFrom?: string[];
}

export function parseDate(value: string): string {
  if (!isCalendarDate(value)) throw new InvalidArgumentError('expected a date written YYYY-MM-DD');
  return value;
}

export function addPolicyOptions(command: Command): Command {
  const policy = 'Policy options:';
  return command
    .addOption(new Option('--policy <file>', 'policy file (default: .imagedrift.yaml in the working directory or above, up to the repository root; else the bundled default)').helpGroup(policy))
    .addOption(new Option('--now <date>', "today's date for exception expiry, YYYY-MM-DD (reproducible runs)").argParser(parseDate).helpGroup(policy))
    .addOption(
      new Option('--allow-extends-from <dir>', "let a policy's `extends` name policy files in this directory too (by default only inside the repository and beside the policy); repeatable")
        .argParser((value: string, previous: string[] | undefined) => [...(previous ?? []), value])
        .helpGroup(policy),
    )
    .addOption(new Option('--changed-since <ref>', 'only files changed since the merge base with this git ref (committed on this branch, staged, unstaged or untracked)').helpGroup('Git options:'));
}

export interface RunSetup {
  policy: Policy;
  /** The policy file in use; undefined for the bundled default. */
  policyFile?: string;
  /** The scan root: the repository root, else the working directory. */
  root: string;
  now: string;
  /** Only these files (--changed-since). */
  filter?: (path: string) => boolean;
}

/** Finds and loads the policy and works out the root and file filter. Throws PolicyError or UsageError. */
export async function setupRun(flags: PolicyFlags, cwd: string = process.cwd()): Promise<RunSetup> {
  const [{ findRepoRoot, discoverPolicy }, { today }] = await Promise.all([import('../policy/load.js'), import('../scan/scan-file.js')]);
  const root = findRepoRoot(cwd) ?? cwd;
  const { policy, file } = discoverPolicy({
    cwd,
    root,
    ...(flags.policy !== undefined ? { policyFile: flags.policy } : {}),
    ...(flags.allowExtendsFrom !== undefined ? { extendsFrom: flags.allowExtendsFrom } : {}),
  });
  const setup: RunSetup = { policy, root, now: flags.now ?? today(), ...(file !== undefined ? { policyFile: file } : {}) };
  if (flags.changedSince !== undefined) {
    const { changedFiles, changedFilter } = await import('./changed-files.js');
    setup.filter = changedFilter(await changedFiles(flags.changedSince, cwd));
  }
  return setup;
}
