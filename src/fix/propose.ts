// What `pin` (and `pr`) proposes for one unique reference, asked of the registries once: a pin of a
// floating or undigested reference, a refresh of a `tag@digest` whose tag moved, or an upgrade of an
// exact version to a newer release at the level asked. Every digest proposed was fetched and
// hashed (verified); none is a version the policy denies, and none is younger than the policy's
// `pin.minimumReleaseAge` (such a proposal is held, with the time it may go ahead).
import { canonicalName, canonicalReference } from '../core/parse-reference.js';
import type { ParsedReference } from '../core/types.js';
import { deniedVersion, describeDenial } from '../policy/deny.js';
import { releaseAgeVerdict } from '../policy/release-age.js';
import type { Policy } from '../policy/types.js';
import type { ResolverSession } from '../resolve/session.js';
import { digestToPin } from '../resolve/types.js';
import { parseVersionTag, upgradeCandidates, versionTagForDigest, versionTagSuffix } from '../resolve/version-tags.js';
import type { UpgradeLevel } from '../resolve/version-tags.js';
import type { Proposal } from './plan.js';

export type ProposalOutcome =
  | { ok: true; proposal: Proposal }
  /** Nothing to change (a pin whose tag has not moved, with no upgrade to take). */
  | { ok: true; proposal?: undefined }
  /** Could not be proposed: a failure (`held` unset) or a proposal that waits or is denied (`held`). */
  | { ok: false; reason: string; held?: { until?: number } };

export interface ProposeSettings {
  session: Pick<ResolverSession, 'resolve' | 'listTags' | 'imageCreated'>;
  policy: Policy;
  platform?: string;
  /** Re-pin `tag@digest` references whose tag points at another digest now. */
  refresh: boolean;
  /** Move exact versions to the newest release at this level. */
  upgrade?: UpgradeLevel;
  /** With `upgrade`: pre-releases (`1.3.0-rc.1`) count too. */
  prerelease?: boolean;
  /** The time release ages are judged at (ms). */
  now: number;
  onWarning?: (message: string) => void;
}

/** At most this many newer releases are tried, newest first, before an upgrade gives up. */
const MAX_UPGRADE_TRIES = 8;

const reasonOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

function isExactVersion(tag: string | undefined): tag is string {
  return tag !== undefined && parseVersionTag(tag, versionTagSuffix(tag))?.precision === 3;
}

export function createProposer(settings: ProposeSettings): (parsed: ParsedReference) => Promise<ProposalOutcome> {
  const { session, policy } = settings;
  const platform = settings.platform !== undefined ? { platform: settings.platform } : {};
  const minimumAge = policy.pin?.minimumReleaseAge;

  /** Held back by `pin.minimumReleaseAge`, or fine (with the release time when it was read). */
  async function age(ref: ParsedReference, digest: string): Promise<{ ok: true; created?: string } | { ok: false; reason: string; until?: number }> {
    if (minimumAge === undefined) return { ok: true };
    let created: string | undefined;
    try {
      created = await session.imageCreated(ref, digest, platform);
    } catch (err) {
      return { ok: false, reason: `its release time could not be read (${reasonOf(err)}), and \`pin.minimumReleaseAge\` is ${minimumAge}` };
    }
    const verdict = releaseAgeVerdict(created, minimumAge, settings.now);
    if (!verdict.ok) return { ok: false, reason: verdict.reason, ...(verdict.until !== undefined ? { until: verdict.until } : {}) };
    return { ok: true, ...(created !== undefined ? { created } : {}) };
  }

  function denial(parsed: ParsedReference, tag: string | undefined): string | undefined {
    const match = deniedVersion(policy, canonicalName(parsed), tag);
    return match === undefined ? undefined : `${tag} is release ${match.version}, which the policy denies (${describeDenial(match.entry)})`;
  }

  async function tagList(parsed: ParsedReference, consequence: string): Promise<string[] | undefined> {
    return session.listTags(parsed).catch((err: unknown) => {
      settings.onWarning?.(`${canonicalReference({ ...parsed, digest: undefined })}: the tag list could not be read (${reasonOf(err)}): ${consequence}`);
      return undefined;
    });
  }

  /** The newest release at the level asked that is neither denied nor too young, with what waits. */
  async function upgrade(parsed: ParsedReference): Promise<{ proposal?: Proposal; waits?: { reason: string; until?: number } }> {
    const current = parsed.tag!;
    const tags = await tagList(parsed, `--upgrade found no newer release of ${current}`);
    if (tags === undefined) return {};
    const candidates = upgradeCandidates(tags, current, settings.upgrade!, { prerelease: settings.prerelease === true }).filter((tag) => denial(parsed, tag) === undefined);
    let waits: { reason: string; until?: number } | undefined;
    for (const tag of candidates.slice(0, MAX_UPGRADE_TRIES)) {
      const ref: ParsedReference = { ...parsed, tag, digest: undefined };
      const outcome = await session.resolve(ref, { verify: true, ...platform });
      if (!outcome.ok) {
        settings.onWarning?.(`${canonicalName(parsed)}:${tag}: not taken as an upgrade: ${outcome.reason}`);
        continue;
      }
      const digest = digestToPin(outcome);
      const old = await age(ref, digest);
      if (!old.ok) {
        waits ??= { reason: `the upgrade to ${tag}: ${old.reason}`, ...(old.until !== undefined ? { until: old.until } : {}) };
        continue;
      }
      return {
        proposal: {
          kind: 'upgrade',
          tag,
          digest,
          ...(old.created !== undefined ? { created: old.created } : {}),
          ...(parsed.digest !== undefined ? { previousDigest: parsed.digest } : {}),
          ...(waits !== undefined ? { note: waits.reason } : {}),
        },
      };
    }
    return waits !== undefined ? { waits } : {};
  }

  return async (parsed) => {
    const upgraded = settings.upgrade !== undefined && isExactVersion(parsed.tag) ? await upgrade(parsed) : {};
    if (upgraded.proposal !== undefined) return { ok: true, proposal: upgraded.proposal };
    const note = upgraded.waits !== undefined ? { note: upgraded.waits.reason } : {};
    const waitingUpgrade = (): ProposalOutcome =>
      upgraded.waits !== undefined ? { ok: false, reason: upgraded.waits.reason, held: upgraded.waits.until !== undefined ? { until: upgraded.waits.until } : {} } : { ok: true };
    if (parsed.digest !== undefined && (!settings.refresh || parsed.tag === undefined)) return waitingUpgrade();

    const tagOnly: ParsedReference = { ...parsed, digest: undefined };
    const outcome = await session.resolve(tagOnly, { verify: true, ...platform });
    if (!outcome.ok) return { ok: false, reason: outcome.reason };
    const digest = digestToPin(outcome);
    if (parsed.digest !== undefined && digest === parsed.digest) return waitingUpgrade();

    // The version tag sharing the digest: written for `latest` or no tag, and judged against deny.versions.
    const floating = !isExactVersion(parsed.tag);
    // For a refresh it also names the release the tag moved to, for the reviewer.
    const wantsVersion = parsed.tag === undefined || parsed.tag === 'latest' || (floating && ((policy.deny?.versions.length ?? 0) > 0 || parsed.digest !== undefined));
    let versionTag: string | undefined;
    let previousVersionTag: string | undefined;
    if (wantsVersion || parsed.digest !== undefined) {
      const consequence =
        parsed.digest === undefined && (parsed.tag === undefined || parsed.tag === 'latest')
          ? `no version tag was found to name it, so it is pinned as \`${parsed.tag ?? 'latest'}\``
          : `\`${parsed.tag ?? 'latest'}\` was not matched to a version tag`;
      const tags = await tagList(parsed, consequence);
      // Version tags are compared on what the registry serves for them (the index digest).
      if (wantsVersion) versionTag = await versionTagForDigest(session, parsed, outcome.digest, tags);
      if (parsed.digest !== undefined) previousVersionTag = await versionTagForDigest(session, parsed, parsed.digest, tags);
    }
    const denied = denial(parsed, floating ? versionTag : parsed.tag);
    if (denied !== undefined) return { ok: false, reason: `not ${parsed.digest !== undefined ? 'refreshed' : 'pinned'}: ${denied}`, held: {} };
    const old = await age(tagOnly, digest);
    if (!old.ok) return { ok: false, reason: `not ${parsed.digest !== undefined ? 'refreshed' : 'pinned'} yet: ${old.reason}`, held: old.until !== undefined ? { until: old.until } : {} };
    // A reviewer of a refresh wants to know when the new image was built: read it if the age check did not.
    if (parsed.digest !== undefined && old.created === undefined && minimumAge === undefined) {
      const created = await session.imageCreated(tagOnly, digest, platform).catch(() => undefined);
      if (created !== undefined) old.created = created;
    }
    return {
      ok: true,
      proposal: {
        kind: parsed.digest !== undefined ? 'refresh' : 'pin',
        digest,
        ...(versionTag !== undefined && versionTag !== parsed.tag ? { versionTag } : {}),
        ...(old.created !== undefined ? { created: old.created } : {}),
        ...(parsed.digest !== undefined ? { previousDigest: parsed.digest } : {}),
        ...(previousVersionTag !== undefined && previousVersionTag !== parsed.tag ? { previousVersionTag } : {}),
        ...note,
      },
    };
  };
}
