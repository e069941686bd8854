// `pin.minimumReleaseAge`: a digest or version younger than this is not proposed yet. Pure.

const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;

/** `30m`, `12h`, `3d`, `2w` in milliseconds, or undefined for anything else. */
export function parseReleaseAge(text: string): number | undefined {
  const match = /^(\d{1,6})(m|h|d|w)$/.exec(text);
  return match === null ? undefined : Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
}

/**
 * Build times before this are not real (reproducible builds write 1970-01-01, the Unix epoch, or
 * 0001-01-01): such an image's age is unknown. Container images did not exist before 2013.
 */
const EARLIEST_REAL_BUILD = Date.UTC(2013, 0, 1);

/** An image's release time (`created`, ECR's push time) as milliseconds, or undefined when it is not a usable time. */
export function releaseTime(created: string | undefined): number | undefined {
  if (created === undefined || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/i.test(created)) return undefined;
  const ms = Date.parse(created);
  return Number.isFinite(ms) && ms >= EARLIEST_REAL_BUILD ? ms : undefined;
}

export type AgeVerdict = { ok: true } | { ok: false; until?: number; reason: string };

/**
 * Whether an image released at `created` is old enough under `minimumReleaseAge` (`3d`) at `now`.
 * An unknown release time waits: the policy asked for a proof of age, and there is none.
 */
export function releaseAgeVerdict(created: string | undefined, minimumReleaseAge: string | undefined, now: number): AgeVerdict {
  if (minimumReleaseAge === undefined) return { ok: true };
  const age = parseReleaseAge(minimumReleaseAge);
  if (age === undefined) return { ok: true };
  const time = releaseTime(created);
  if (time === undefined) return { ok: false, reason: `its release time is unknown (${created === undefined ? 'no `created` time in the image config' : `\`created\` is ${JSON.stringify(created.slice(0, 40))}`}), and \`pin.minimumReleaseAge\` is ${minimumReleaseAge}` };
  const until = time + age;
  if (until <= now) return { ok: true };
  return { ok: false, until, reason: `released ${formatTime(time)}, younger than \`pin.minimumReleaseAge\` ${minimumReleaseAge}: waits until ${formatTime(until)}` };
}

/** `2026-11-30 14:05 UTC` */
export function formatTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}
