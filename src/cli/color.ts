// Whether the text report on stdout is coloured: `--no-color`, then FORCE_COLOR (force-color.org;
// `0` or `false` turn colour off, as Node's own FORCE_COLOR does), then NO_COLOR (no-color.org:
// present and not empty), then whether stdout is a terminal. Reports written to files never are.

export function useColor(flag: boolean | undefined, env: NodeJS.ProcessEnv, stdoutIsTty: boolean): boolean {
  if (flag === false) return false;
  const force = env.FORCE_COLOR;
  if (force !== undefined && force !== '') return force !== '0' && force.toLowerCase() !== 'false';
  const no = env.NO_COLOR;
  if (no !== undefined && no !== '') return false;
  return stdoutIsTty;
}
