// Unit: semver tag parsing, findVersionTag (specificity, early stop, concurrency, limits) and newerVersions.

import { describe, expect, it } from 'vitest';
import { findVersionTag, newerVersions, parseVersionTag, upgradeCandidates, versionTagSuffix } from '../../src/resolve/version-tags.js';

const D = (n: number) => `sha256:${String(n).padStart(64, '0')}`;

describe('parseVersionTag', () => {
  it('accepts x, x.y, x.y.z with or without v', () => {
    expect(parseVersionTag('v0.28.0')).toMatchObject({ precision: 3, hasV: true });
    expect(parseVersionTag('0.28')).toMatchObject({ precision: 2, hasV: false });
    expect(parseVersionTag('1')).toMatchObject({ precision: 1 });
    expect(parseVersionTag('1.2.3')?.version.version).toBe('1.2.3');
    expect(parseVersionTag('1.2')?.version.version).toBe('1.2.0');
  });
  it('rejects non-versions, leading zeros and suffixes unless asked', () => {
    for (const t of ['latest', 'stable', '1.2.3.4', '01.2.3', 'v', '1.2.3-rc1', '1.25-alpine', 'sha-abc']) {
      expect(parseVersionTag(t), t).toBeUndefined();
    }
    expect(parseVersionTag('1.25-alpine', 'alpine')).toMatchObject({ precision: 2, suffix: 'alpine' });
    expect(parseVersionTag('1.25', 'alpine')).toBeUndefined();
    expect(versionTagSuffix('1.25.3-alpine3.19')).toBe('alpine3.19');
    expect(versionTagSuffix('1.25.3')).toBeUndefined();
  });
});

describe('findVersionTag', () => {
  const digests: Record<string, string> = {
    latest: D(28),
    'v0.27.0': D(27),
    'v0.28.0': D(28),
    '0.28': D(28),
    '0': D(29),
    '0.29.0': D(29),
    'v0.29.0-rc1': D(28),
  };
  const tags = Object.keys(digests);

  it('returns the most specific, highest tag with the target digest', async () => {
    const asked: string[] = [];
    const m = await findVersionTag({
      tags,
      targetDigest: D(28),
      concurrency: 1,
      digestOf: async (t) => {
        asked.push(t);
        return digests[t];
      },
    });
    expect(m.best).toBe('v0.28.0');
    expect(m.matches).toEqual(['v0.28.0']);
    // Newest first, stop at the first x.y.z match; never looks at latest or the -rc tag.
    expect(asked).toEqual(['0.29.0', 'v0.28.0']);
    expect(m).toMatchObject({ lookedUp: 2, failed: 0, truncated: false });
  });

  it('falls back to x.y / x when there is no x.y.z match, preferring specific over high', async () => {
    const m = await findVersionTag({
      tags: ['1', '1.4', '2', '1.3.9', 'latest'],
      targetDigest: D(14),
      digestOf: async (t) => ({ '1': D(14), '1.4': D(14), '2': D(20), '1.3.9': D(139) })[t],
    });
    expect(m.best).toBe('1.4');
    expect(m.matches).toEqual(['1.4', '1']);
  });

  it('respects the concurrency limit and maxLookups; failures are counted', async () => {
    let inFlight = 0;
    let max = 0;
    const many = Array.from({ length: 40 }, (_, i) => `1.0.${i}`);
    const m = await findVersionTag({
      tags: many,
      targetDigest: D(999),
      concurrency: 3,
      maxLookups: 10,
      digestOf: async (t) => {
        inFlight++;
        max = Math.max(max, inFlight);
        await new Promise((r) => setTimeout(r, 5));
        inFlight--;
        if (t === '1.0.39') throw new Error('boom');
        return D(1);
      },
    });
    expect(max).toBe(3);
    expect(m).toMatchObject({ lookedUp: 10, failed: 1, truncated: true, matches: [] });
    expect(m.best).toBeUndefined();
  });

  it('handles suffixed variants when asked', async () => {
    const m = await findVersionTag({
      tags: ['1.25.3', '1.25.3-alpine', '1.25-alpine'],
      suffix: 'alpine',
      targetDigest: D(1),
      digestOf: async (t) => (t.endsWith('alpine') ? D(1) : D(2)),
    });
    expect(m.best).toBe('1.25.3-alpine');
  });
});

describe('newerVersions', () => {
  const tags = ['1.2.3', '1.2.4', '1.2.10', 'v1.2.10', '1.3.0', '1.9.1', '2.0.0', '3.1.0', '3.1', '4.0.0-rc1', 'latest'];
  it('reports the newest patch, minor and major', () => {
    expect(newerVersions(tags, '1.2.3')).toEqual({ patch: '1.2.10', minor: '1.9.1', major: '3.1.0' });
    expect(newerVersions(tags, 'v1.2.4')).toEqual({ patch: 'v1.2.10', minor: '1.9.1', major: '3.1.0' });
    expect(newerVersions(tags, '3.1.0')).toEqual({});
  });
  it('a floating x.y / x tag only reports levels above its precision', () => {
    expect(newerVersions(tags, '1.2')).toEqual({ minor: '1.9.1', major: '3.1.0' });
    expect(newerVersions(tags, '1')).toEqual({ major: '3.1.0' });
  });
  it('keeps suffixed variants apart; non-versions give nothing', () => {
    expect(newerVersions(['1.25.3-alpine', '1.25.4-alpine', '1.25.5', '1.26.0-alpine'], '1.25.3-alpine')).toEqual({
      patch: '1.25.4-alpine',
      minor: '1.26.0-alpine',
    });
    expect(newerVersions(tags, 'latest')).toEqual({});
  });
});

describe('upgradeCandidates', () => {
  const tags = ['1.2.2', '1.2.3', '1.2.4', 'v1.2.4', '1.2.10', '1.2.11-rc.1', '1.3.0', '1.3.1-beta2', '1.4.0-alpine', '2.0.0', '2.1.0-rc1', '2.1', 'latest', '1.2.12-alpine', '1.2.4-alpine'];

  it('lists the releases above the current one at each level, newest first, without pre-releases', () => {
    expect(upgradeCandidates(tags, '1.2.3', 'patch')).toEqual(['1.2.10', '1.2.4']);
    expect(upgradeCandidates(tags, '1.2.3', 'minor')).toEqual(['1.3.0', '1.2.10', '1.2.4']);
    expect(upgradeCandidates(tags, '1.2.3', 'major')).toEqual(['2.0.0', '1.3.0', '1.2.10', '1.2.4']);
    expect(upgradeCandidates(tags, '2.0.0', 'major')).toEqual([]);
  });

  it('takes the current spelling when both exist, and keeps variants apart', () => {
    expect(upgradeCandidates(tags, 'v1.2.3', 'patch')).toEqual(['1.2.10', 'v1.2.4']);
    expect(upgradeCandidates(tags, '1.2.3-alpine', 'minor')).toEqual(['1.4.0-alpine', '1.2.12-alpine', '1.2.4-alpine']);
  });

  it('counts pre-releases when asked, ordered below their release', () => {
    expect(upgradeCandidates(tags, '1.2.3', 'patch', { prerelease: true })).toEqual(['1.2.11-rc.1', '1.2.10', '1.2.4']);
    expect(upgradeCandidates(tags, '1.2.3', 'major', { prerelease: true })).toEqual(['2.1.0-rc1', '2.0.0', '1.3.1-beta2', '1.3.0', '1.2.11-rc.1', '1.2.10', '1.2.4']);
  });

  it('gives nothing for a tag that is not an exact version', () => {
    for (const current of ['latest', '1.2', 'v1', 'stable']) expect(upgradeCandidates(tags, current, 'major'), current).toEqual([]);
  });
});
