// Glob matching in time linear in the text matched: a policy's globs are compiled to a small
// automaton that reads the text once, character by character, keeping the set of places in the
// globs it could be at (Thompson's construction). Regular expressions with backtracking take time
// exponential in the number of wildcards on the wrong text (`*a*a*a*a*a*a*a*a*a*a*b` against a
// 40-character name ran for minutes), and the names matched come from the files a pull request
// changes. Pure.
//
// The syntax is picomatch's (with `dot: true`) for what policies use:
//   *        any run of characters within one path segment (a segment that is only `*` is not empty)
//   **       as a whole segment: any number of whole segments, none included (`a/**/b` matches `a/b`)
//   ?        one character other than `/`
//   [a-z]    one character of a class; `[^a-z]` one character not in it (and not `/`)
//   {a,b}    either alternative (nested braces too)
//   \x       the character x itself
// Extglobs (`@(a|b)`, `!(a)`), a leading `!` (negation), POSIX classes (`[[:alpha:]]`) and ranges
// in braces (`{1..3}`) are not supported: globProblem() says so when a policy is loaded.

/** Alternatives one glob may expand to through its braces. */
export const MAX_GLOB_ALTERNATIVES = 256;
/** Characters in one glob. */
export const MAX_GLOB_LENGTH = 1024;
/** Globs in one list of a policy (`sidecars.images`, `registries.allow`, `paths.exclude`, …). */
export const MAX_GLOBS_PER_LIST = 1000;

type Token =
  | { kind: 'char'; char: string }
  /** `?`: one character other than `/`. */
  | { kind: 'one' }
  | { kind: 'class'; negated: boolean; chars: string; ranges: Array<[string, string]> }
  /** `*`: any run of characters other than `/`. */
  | { kind: 'star' }
  // A `**` segment before others: nothing, or any characters ending with a slash (whole segments).
  // `segments` is where it starts (it may match nothing), `inSegments` where it has read something.
  | { kind: 'segments' }
  | { kind: 'inSegments' }
  // A trailing `**` segment: nothing, or a slash and then anything.
  | { kind: 'rest' }
  // Anything, slashes included (what follows the slash of a trailing `**` segment).
  | { kind: 'anything' }
  // Any one character, slashes included (`**` alone must match something).
  | { kind: 'anyone' }
  | { kind: 'accept' };

class GlobSyntaxError extends Error {}

/** Why a glob cannot be used, or undefined when it is fine. */
export function globProblem(glob: string): string | undefined {
  if (glob.length > MAX_GLOB_LENGTH) return `a glob may have at most ${MAX_GLOB_LENGTH} characters, this one has ${glob.length}`;
  if (/[@!+*?]\(/.test(glob)) return 'extglobs such as `@(a|b)` or `!(a)` are not supported: use braces (`{a,b}`) or several globs';
  if (glob.startsWith('!')) return 'negation (a leading `!`) is not supported: use `paths.exclude`, or list what should match';
  if (glob.includes('[!')) return 'write a negated class as `[^…]` (`[!…]` is read differently by different glob libraries)';
  if (glob.includes('[:')) return 'POSIX character classes such as `[[:alpha:]]` are not supported: use a range (`[a-z]`)';
  if (/\{[^{}]*\.\.[^{}]*\}/.test(glob)) return 'ranges in braces (`{1..3}`) are not supported: list the values (`{1,2,3}`)';
  try {
    expandBraces(glob);
  } catch (err) {
    if (err instanceof GlobSyntaxError) return err.message;
    throw err;
  }
  return undefined;
}

/** The alternatives of a glob's braces: `{a,b}/c` -> `a/c`, `b/c`. A brace without a comma is literal. */
function expandBraces(glob: string): string[] {
  const open = findBrace(glob);
  if (open === undefined) return [glob];
  const { start, end, parts } = open;
  const out: string[] = [];
  for (const part of parts) {
    for (const expanded of expandBraces(glob.slice(0, start) + part + glob.slice(end + 1))) {
      out.push(expanded);
      if (out.length > MAX_GLOB_ALTERNATIVES) throw new GlobSyntaxError(`the braces expand to more than ${MAX_GLOB_ALTERNATIVES} alternatives`);
    }
  }
  return out;
}

/** The first `{…}` holding a top-level comma, with its parts; undefined when there is none. */
function findBrace(glob: string): { start: number; end: number; parts: string[] } | undefined {
  for (let start = 0; start < glob.length; start++) {
    const c = glob[start];
    if (c === '\\') {
      start++;
      continue;
    }
    if (c !== '{') continue;
    let depth = 0;
    const commas: number[] = [];
    for (let i = start; i < glob.length; i++) {
      const d = glob[i];
      if (d === '\\') {
        i++;
        continue;
      }
      if (d === '{') depth++;
      else if (d === '}') {
        depth--;
        if (depth === 0) {
          if (commas.length === 0) break; // `{a}`: literal
          const bounds = [start, ...commas, i];
          const parts = bounds.slice(0, -1).map((from, k) => glob.slice(from + 1, bounds[k + 1]));
          return { start, end: i, parts };
        }
      } else if (d === ',' && depth === 1) commas.push(i);
    }
  }
  return undefined;
}

/** One alternative (no braces left) as tokens, ending in `accept`. */
function tokenize(glob: string): Token[] {
  if (glob === '**') return [{ kind: 'anyone' }, { kind: 'anything' }, { kind: 'accept' }];
  const tokens: Token[] = [];
  const segments = glob.split('/');
  segments.forEach((segment, index) => {
    const last = index === segments.length - 1;
    if (segment === '**') {
      if (last) {
        // `a/**`: the `/` written before it is part of what may follow.
        if (tokens.at(-1)?.kind === 'char' && (tokens.at(-1) as { char: string }).char === '/') tokens.pop();
        tokens.push({ kind: 'rest' }, { kind: 'anything' });
      } else {
        tokens.push({ kind: 'segments' }, { kind: 'inSegments' });
      }
      return;
    }
    // A segment that is only `*` is one or more characters, as picomatch's `(?=.)` makes it.
    if (segment !== '' && /^\*+$/.test(segment)) tokens.push({ kind: 'one' }, { kind: 'star' });
    else segmentTokens(segment, tokens);
    if (!last) tokens.push({ kind: 'char', char: '/' });
  });
  tokens.push({ kind: 'accept' });
  return tokens;
}

function segmentTokens(segment: string, tokens: Token[]): void {
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i] as string;
    if (c === '\\' && i + 1 < segment.length) {
      tokens.push({ kind: 'char', char: segment[++i] as string });
    } else if (c === '*') {
      while (segment[i + 1] === '*') i++;
      tokens.push({ kind: 'star' });
    } else if (c === '?') {
      tokens.push({ kind: 'one' });
    } else if (c === '[') {
      const close = segment.indexOf(']', i + 2);
      if (close < 0) {
        tokens.push({ kind: 'char', char: c });
        continue;
      }
      let body = segment.slice(i + 1, close);
      const negated = body.startsWith('^');
      if (negated) body = body.slice(1);
      const ranges: Array<[string, string]> = [];
      let chars = '';
      for (let j = 0; j < body.length; j++) {
        if (body[j + 1] === '-' && j + 2 < body.length) {
          ranges.push([body[j] as string, body[j + 2] as string]);
          j += 2;
        } else chars += body[j];
      }
      tokens.push({ kind: 'class', negated, chars, ranges });
      i = close;
    } else {
      tokens.push({ kind: 'char', char: c });
    }
  }
}

function inClass(token: Extract<Token, { kind: 'class' }>, c: string): boolean {
  const found = token.chars.includes(c) || token.ranges.some(([from, to]) => c >= from && c <= to);
  return found !== token.negated;
}

/** What every text an alternative matches must hold, checked before the automaton runs. */
interface Alternative {
  start: number;
  /** The literal characters it starts with, and ends with (before what a trailing wildcard reads). */
  prefix: string;
  suffix: string;
  /** Its longest run of literal characters: the text must contain it. */
  inner: string;
}

function literalRuns(tokens: readonly Token[]): { prefix: string; suffix: string; inner: string } {
  const runs: string[] = [];
  let run = '';
  let prefix: string | undefined;
  for (const token of tokens) {
    if (token.kind === 'char') {
      run += token.char;
      continue;
    }
    if (token.kind === 'accept') break;
    prefix ??= run;
    runs.push(run);
    run = '';
  }
  const last = tokens.at(-2);
  const endsLiteral = last?.kind === 'char';
  runs.push(run);
  return { prefix: prefix ?? run, suffix: endsLiteral ? run : '', inner: runs.reduce((a, b) => (b.length > a.length ? b : a), '') };
}

/**
 * A compiled list of globs: one automaton whose states are the tokens of every alternative of
 * every glob. Matching reads the text once; each character costs at most one step per state. The
 * alternatives whose literal parts the text lacks (most of them, for a list of known sidecar
 * images) are ruled out first with plain string tests.
 */
export class GlobSet {
  private readonly tokens: Token[] = [];
  private readonly alternatives: Alternative[] = [];
  private readonly literals = new Set<string>();
  /** Per state, the step it was last added in (sets without clearing). */
  private marks = new Uint32Array(0);
  private step = 0;

  constructor(globs: readonly string[]) {
    for (const glob of globs) {
      // As picomatch does, a value equal to a glob as written matches it.
      this.literals.add(glob);
      for (const alternative of expandBracesSafe(glob)) {
        const tokens = tokenize(alternative);
        this.alternatives.push({ start: this.tokens.length, ...literalRuns(tokens) });
        for (const token of tokens) this.tokens.push(token);
      }
    }
    this.marks = new Uint32Array(this.tokens.length);
  }

  /** Whether the whole text matches one of the globs. */
  test(text: string): boolean {
    return this.run(text, false);
  }

  /** Whether the text, or a leading part of it ending just before a `/`, matches one of the globs. */
  testPrefix(text: string): boolean {
    return this.run(text, true);
  }

  private add(list: number[], state: number): void {
    // Follows the moves that read nothing (a star or `**` matching nothing) as it adds.
    const { tokens, marks, step } = this;
    for (let s = state; s < tokens.length && marks[s] !== step; ) {
      marks[s] = step;
      list.push(s);
      const kind = (tokens[s] as Token).kind;
      if (kind === 'star' || kind === 'anything') s++;
      // Nothing read: past the state that has read something (`inSegments`, or `rest`'s `anything`).
      else if (kind === 'segments' || kind === 'rest') s += 2;
      else break;
    }
  }

  private nextStep(): void {
    this.step += 1;
    if (this.step === 0xffffffff) {
      this.marks.fill(0);
      this.step = 1;
    }
  }

  private run(text: string, prefixes: boolean): boolean {
    if (text === '') return false;
    if (this.literals.has(text)) return true;
    const { tokens } = this;
    let active: number[] = [];
    this.nextStep();
    for (const alt of this.alternatives) {
      if (!text.startsWith(alt.prefix) || !text.includes(alt.inner)) continue;
      if (!prefixes && !text.endsWith(alt.suffix)) continue;
      this.add(active, alt.start);
    }
    const accepting = (states: readonly number[]) => states.some((s) => (tokens[s] as Token).kind === 'accept');
    for (let i = 0; i < text.length && active.length > 0; i++) {
      const c = text[i] as string;
      if (prefixes && c === '/' && accepting(active)) return true;
      const following: number[] = [];
      this.nextStep();
      for (const s of active) {
        const token = tokens[s] as Token;
        switch (token.kind) {
          case 'char':
            if (c === token.char) this.add(following, s + 1);
            break;
          case 'one':
            if (c !== '/') this.add(following, s + 1);
            break;
          case 'class':
            if (c !== '/' && inClass(token, c)) this.add(following, s + 1);
            break;
          case 'star':
            if (c !== '/') this.add(following, s);
            break;
          case 'segments':
            this.add(following, s + 1);
            if (c === '/') this.add(following, s + 2);
            break;
          case 'inSegments':
            this.add(following, s);
            if (c === '/') this.add(following, s + 1);
            break;
          case 'rest':
            if (c === '/') this.add(following, s + 1);
            break;
          case 'anything':
            this.add(following, s);
            break;
          case 'anyone':
            this.add(following, s + 1);
            break;
          case 'accept':
            break;
        }
      }
      active = following;
    }
    return accepting(active);
  }
}

/** Braces expanded; a glob that globProblem() refuses stands for itself only (policies are checked when loaded). */
function expandBracesSafe(glob: string): string[] {
  try {
    return expandBraces(glob);
  } catch (err) {
    if (err instanceof GlobSyntaxError) return [];
    throw err;
  }
}
