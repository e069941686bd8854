// The policy's glob matcher: picomatch's syntax (dot: true) for what policies use, matched by an
// automaton that reads the text once. Checked against picomatch on every pattern and value of a
// small exhaustive-ish grammar, and for the shapes that make a backtracking matcher hang.
import picomatch from 'picomatch';
import { describe, expect, it } from 'vitest';
import { GlobSet, globProblem } from '../../src/policy/glob.js';

/** A small deterministic generator (mulberry32), so a failure names its seed. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('GlobSet', () => {
  it.each<[string, string, boolean]>([
    ['**/istio/proxyv2', 'docker.io/istio/proxyv2', true],
    ['**/proxyv2', 'registry.istio.io/release/proxyv2', true],
    ['**/proxyv2', 'docker.io/istio/proxyv3', false],
    ['deploy/**', 'deploy', true],
    ['deploy/**', 'deploy/prod/app.yaml', true],
    ['deploy/**', 'deployment/app.yaml', false],
    ['a/**/b', 'a/b', true],
    ['a/**/b', 'a/x/y/b', true],
    ['a/**/b', 'a/x/yb', false],
    ['*.yaml', 'x.yaml', true],
    ['*.yaml', 'dir/x.yaml', false],
    ['*', '', false],
    ['a/*', 'a/', false],
    ['a*', 'a', true],
    ['{prod,staging}/**/app-?.yaml', 'staging/x/app-1.yaml', true],
    ['{prod,staging}/**/app-?.yaml', 'dev/x/app-1.yaml', false],
    ['k8s/[a-c]*/**', 'k8s/b2/deep/x.yml', true],
    ['k8s/[^a-c]*', 'k8s/b2', false],
    ['k8s/[^a-c]*', 'k8s/d2', true],
    ['a\\*b', 'a*b', true],
    ['a\\*b', 'axb', false],
    ['**', 'anything/at/all', true],
    ['ecs://*/*/prod/**', 'ecs://123/us-east-1/prod/checkout#app', true],
    // A `**` that is not a whole segment is a `*`, as in .gitignore.
    ['**.yaml', 'a/b.yaml', false],
    ['**.yaml', 'b.yaml', true],
  ])('%s on %s: %s', (glob, value, expected) => {
    expect(new GlobSet([glob]).test(value)).toBe(expected);
  });

  it('matches a leading part cut at a slash with testPrefix (registries.allow/deny)', () => {
    const set = new GlobSet(['public.ecr.aws/*', 'registry.example.com']);
    expect(set.testPrefix('public.ecr.aws/aws-observability/aws-otel-collector')).toBe(true);
    expect(set.testPrefix('registry.example.com/team/app')).toBe(true);
    expect(set.testPrefix('registry.example.company/team/app')).toBe(false);
    expect(set.test('registry.example.com/team/app')).toBe(false);
  });

  it('agrees with picomatch (dot: true) on generated globs and paths', () => {
    const seed = 20250517;
    const next = random(seed);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
    const parts = ['a', 'b', 'ab', '/', '*', '**', '?', '[ab]', '[^a]', '{a,b}', '{a,bb/a}', '.', '-', 'x'];
    const chars = ['a', 'b', 'x', '-', '.'];
    let compared = 0;
    let matched = 0;
    for (let g = 0; g < 400; g++) {
      let glob = '';
      const length = 1 + Math.floor(next() * 5);
      for (let i = 0; i < length; i++) glob += pick(parts);
      // picomatch reads a `**` that is not a whole segment sometimes as `*`, sometimes as crossing
      // slashes (`**.yaml`, `**{a,b}`); ours is always `*`, as .gitignore reads it. Compared where `**` is a whole segment.
      // Policies refuse `./` and `..` segments in path globs (picomatch drops a leading `./`).
      if (glob.split('/').some((segment) => segment === '.' || segment === '..')) continue;
      // A trailing `/**` also matches what comes before it (`deploy/**` matches `deploy`), as picomatch
      // has it, except after a segment ending in `*` (`a*/**`), where picomatch requires the slash.
      if (/\*\/\*\*$/.test(glob)) continue;
      // picomatch's `*.*` needs a character after the dot while its `a.*` does not; ours never does.
      if (/\*\.\*/.test(glob)) continue;
      if (/\/\/|^\/|\/$/.test(glob) || /[^/]\*\*|\*\*[^/]/.test(glob) || globProblem(glob) !== undefined) continue;
      const ours = new GlobSet([glob]);
      const theirs = picomatch(glob, { dot: true });
      for (let v = 0; v < 40; v++) {
        const segments: string[] = [];
        const count = 1 + Math.floor(next() * 3);
        for (let s = 0; s < count; s++) {
          let segment = '';
          const size = 1 + Math.floor(next() * 3);
          for (let i = 0; i < size; i++) segment += pick(chars);
          segments.push(segment);
        }
        // picomatch never lets a wildcard match `.` or `..` as a whole segment; such paths are never scanned.
        if (segments.some((segment) => segment === '.' || segment === '..')) continue;
        const value = segments.join('/');
        expect(ours.test(value), `seed ${seed}: ${glob} on ${value}`).toBe(theirs(value));
        compared++;
        if (theirs(value)) matched++;
      }
    }
    expect(compared).toBeGreaterThan(5000);
    expect(matched).toBeGreaterThan(200);
  });

  it('reads a long text once, whatever the wildcards (no backtracking)', () => {
    // A backtracking matcher takes minutes here (`*a*a…*b` against 40 `a`s); this takes microseconds.
    const set = new GlobSet(['*a*a*a*a*a*a*a*a*a*a*b', '**/**/**/**/**/**/**/**/**/**/x']);
    expect(set.test('a'.repeat(40))).toBe(false);
    expect(set.test(`${'a/'.repeat(2000)}y`)).toBe(false);
    expect(set.test(`${'a'.repeat(5000)}b`)).toBe(true);
  });
});

describe('globProblem', () => {
  it.each([
    ['!(vendor)/**', /extglobs/],
    ['@(a|b)/x', /extglobs/],
    ['!vendor/**', /negation/],
    ['k8s/[!a-c]*', /negated class/],
    ['[[:alpha:]]*', /POSIX/],
    ['app-{1..3}', /ranges in braces/],
    ['{a,b}{c,d}{e,f}{g,h}{i,j}{k,l}{m,n}{o,p}{q,r}', /more than 256 alternatives/],
    ['x'.repeat(1025), /at most 1024 characters/],
  ])('%s is refused', (glob, message) => {
    expect(globProblem(glob)).toMatch(message);
  });

  it.each(['deploy/**', '**/istio/proxyv2', '{prod,staging}/*.yaml', 'k8s/[a-c]*', 'a\\*b'])('%s is fine', (glob) => {
    expect(globProblem(glob)).toBeUndefined();
  });
});
