// How tags are classified: the table in the README's "Rules" section, case by case. Each tag has one
// kind, so a reference gets at most one tag finding.
import { describe, expect, it } from 'vitest';
import { classifyTag } from '../../src/core/tag-kind.js';
import type { TagKind } from '../../src/core/tag-kind.js';
import { loadDefaultPolicy } from '../../src/policy/load.js';

const words = new Set(loadDefaultPolicy().mutableTags.map((word) => word.toLowerCase()));

const table: Array<[string, TagKind]> = [
  ['latest', 'latest'],
  ['LATEST', 'latest'],
  // exact: three numeric parts, with any flavour suffix, or a build marker run on the third part
  ['1.25.3', 'exact'],
  ['v0.28.0', 'exact'],
  ['1.25.3-alpine', 'exact'],
  ['2.0.1+build5', 'exact'],
  ['v1.12.2.1-prod', 'exact'],
  ['1.300066.1b1374', 'exact'],
  ['1.247346.0b249609', 'exact'],
  ['1.2.3rc1', 'exact'],
  ['2023.0.20240501', 'exact'],
  // a floating word after an exact version
  ['2.1.0-SNAPSHOT', 'mutable'],
  ['2.1.0-nightly', 'mutable'],
  ['1.2.3dev', 'mutable'],
  // partial: one or two numeric parts, and a lone 4-digit number (a year-named line)
  ['v1', 'partial'],
  ['1.25', 'partial'],
  ['1.25-alpine', 'partial'],
  ['2023', 'partial'],
  ['v2023', 'partial'],
  ['2023-minimal', 'partial'],
  ['2023.4', 'partial'],
  ['1.300066', 'partial'],
  // five or more digits alone: a build id or a date
  ['20240501', 'specific'],
  ['1690000', 'specific'],
  ['12345', 'specific'],
  // mutable words, alone or combined, win over `unversioned`
  ['stable', 'mutable'],
  ['alpine', 'mutable'],
  ['stable-alpine', 'mutable'],
  ['mainline', 'mutable'],
  ['init-latest', 'mutable'],
  // no digit at all: names no release
  ['jammy', 'unversioned'],
  ['noble', 'unversioned'],
  ['bookworm-slim', 'unversioned'],
  ['musl', 'unversioned'],
  ['aspnetapp', 'unversioned'],
  ['blue', 'unversioned'],
  ['cicdtest', 'unversioned'],
  // commit ids stay specific, even with no digit
  ['30a4ce1a', 'specific'],
  ['deadbeef', 'specific'],
  ['sha-deadbeef', 'specific'],
  ['3f2c1ab9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3', 'specific'],
  ['deadbe', 'unversioned'], // 6 hex characters: too short for a commit id
  ['sha-3f2c1ab', 'specific'],
  ['revision_1', 'specific'],
  ['jammy-20240427', 'specific'],
  ['e2e', 'specific'],
  ['k8s', 'specific'],
];

describe('classifyTag', () => {
  it.each(table)('%s is %s', (tag, kind) => {
    expect(classifyTag(tag, words)).toBe(kind);
  });

  it('a word dropped from tags.mutable still floats: it becomes unversioned, not specific', () => {
    const without = new Set([...words].filter((word) => word !== 'stable'));
    expect(classifyTag('stable', without)).toBe('unversioned');
  });
});

describe('mutable words and unversioned tags', () => {
  it.each<[string, TagKind]>([
    ['main-3f2c1ab', 'mutable'],
    ['main-deadbeef', 'mutable'],
    ['stable-20240501', 'mutable'],
    ['jammy-testing', 'mutable'],
    ['buster-slim', 'unversioned'],
    ['testing-slim', 'mutable'],
    ['alpine-slim', 'mutable'],
  ])('%s is %s', (tag, kind) => expect(classifyTag(tag, words)).toBe(kind));
});
