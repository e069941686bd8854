// Dockerfiles (`Dockerfile`, `Dockerfile.*`, `*.Dockerfile`, `Containerfile`), read with
// dockerfile-ast: `FROM [--platform=…] image [AS name]`, `COPY --from=image`,
// `RUN --mount=…,from=image` and the `# syntax=` frontend image. `ARG` defaults declared before the first FROM are substituted
// (`FROM ${BASE}` is judged, and pinned, at the ARG's default); earlier stage names and `scratch`
// are not images.
import { createRequire } from 'node:module';
import type * as DockerfileAst from 'dockerfile-ast';
import type { Container, ImageRef, ScalarStyle, TextRange, Workload } from '../core/types.js';
import { detach } from '../parse/tree.js';
import type { ExtractContext, TextExtraction, TextExtractor } from './types.js';

const FORMAT = 'dockerfile';

let lib: typeof DockerfileAst | undefined;
/**
 * dockerfile-ast, loaded when the first Dockerfile is met: in the CLI's bundle through its own
 * require (the package is in a vendor file, scripts/bundle.mjs), elsewhere from node_modules.
 */
function dockerfileAst(): typeof DockerfileAst {
  lib ??= (typeof require === 'function' ? require('dockerfile-ast') : createRequire(import.meta.url)('dockerfile-ast')) as typeof DockerfileAst;
  return lib;
}

/** Offsets of the line starts, splitting lines as the parser's TextDocument does (`\r\n`, `\r`, `\n`). */
function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) starts.push(i + 1);
    else if (c === 13) {
      if (text.charCodeAt(i + 1) === 10) i++;
      starts.push(i + 1);
    }
  }
  return starts;
}

interface LspRange {
  start: { line: number; character: number };
  end: { line: number; character: number };
}

const INSTRUCTIONS = new Set(['ADD', 'ARG', 'CMD', 'COPY', 'ENTRYPOINT', 'ENV', 'EXPOSE', 'FROM', 'HEALTHCHECK', 'LABEL', 'MAINTAINER', 'ONBUILD', 'RUN', 'SHELL', 'STOPSIGNAL', 'USER', 'VOLUME', 'WORKDIR']);

/** An ARG default: its value without quotes, and where that value is written. */
interface ArgDefault {
  value: string;
  range: TextRange;
  style: ScalarStyle;
}

/** `$NAME`, `${NAME}`, `${NAME:-word}`, `${NAME-word}` (the forms Dockerfiles substitute in FROM). */
const VARIABLE = /\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-+])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))/g;

interface Substituted {
  value: string;
  /** Set when a variable has no default. */
  missing?: string;
  /** The ARG whose default is the whole value (`FROM ${BASE}`), to judge and pin at the ARG. */
  whole?: { name: string; arg: ArgDefault };
}

function substitute(written: string, args: ReadonlyMap<string, ArgDefault | undefined>): Substituted {
  let missing: string | undefined;
  let wholeName: string | undefined;
  VARIABLE.lastIndex = 0;
  const first = VARIABLE.exec(written);
  if (first !== null && first.index === 0 && first[0].length === written.length && first[2] === undefined) wholeName = first[1] ?? first[4];
  const value = written.replace(VARIABLE, (_all, braced: string | undefined, operator: string | undefined, word: string | undefined, bare: string | undefined) => {
    const name = (braced ?? bare) as string;
    const arg = args.get(name);
    const set = arg !== undefined && (operator?.startsWith(':') !== true || arg.value !== '');
    if (operator?.endsWith('-')) return set ? arg.value : (word ?? '');
    if (operator?.endsWith('+')) return set ? (word ?? '') : '';
    if (arg === undefined) {
      missing ??= args.has(name) ? `build argument \`${name}\` has no default` : `\`${name}\` is not a build argument declared before the first FROM`;
      return `\${${name}}`;
    }
    return arg.value;
  });
  const whole = wholeName !== undefined ? args.get(wholeName) : undefined;
  return { value, ...(missing !== undefined ? { missing } : {}), ...(wholeName !== undefined && whole !== undefined ? { whole: { name: wholeName, arg: whole } } : {}) };
}

function extract(text: string, ctx: ExtractContext): TextExtraction {
  const starts = lineStarts(text);
  const offset = (position: { line: number; character: number }): number => Math.min(text.length, (starts[position.line] ?? text.length) + position.character);
  const range = (r: LspRange): TextRange => ({ start: offset(r.start), end: offset(r.end) });
  const dockerfile = dockerfileAst().DockerfileParser.parse(text);
  const refs: ImageRef[] = [];
  const errors: TextExtraction['errors'] = [];
  const workload: Workload = { kind: 'Dockerfile' };

  // Build arguments in scope for FROM: those declared before the first FROM.
  const args = new Map<string, ArgDefault | undefined>();
  for (const arg of dockerfile.getInitialARGs()) {
    const property = arg.getProperty();
    if (property === null) continue;
    const value = property.getValue();
    const valueRange = property.getValueRange();
    if (value === null || valueRange === null) {
      args.set(property.getName(), undefined);
      continue;
    }
    let r = range(valueRange);
    let style: ScalarStyle = 'plain';
    const written = text.slice(r.start, r.end);
    const quote = written.length >= 2 && (written[0] === '"' || written[0] === "'") && written.endsWith(written[0]) ? written[0] : undefined;
    if (quote !== undefined) {
      r = { start: r.start + 1, end: r.end - 1 };
      style = quote === '"' ? 'double' : 'single';
    }
    const unescaped = property.getUnescapedValue() ?? value;
    const inner = quote !== undefined && unescaped.length >= 2 && unescaped.startsWith(quote) && unescaped.endsWith(quote) ? unescaped.slice(1, -1) : unescaped;
    args.set(property.getName(), { value: detach(inner), range: r, style });
  }

  const stages: string[] = [];
  let stageIndex = -1;
  let container: Container = { role: 'app', noun: 'stage' };
  const add = (written: string, writtenRange: TextRange, via?: string): void => {
    const lower = written.toLowerCase();
    if (lower === 'scratch' || stages.includes(lower) || /^\d+$/.test(written)) return;
    const { value, missing, whole } = substitute(written, args);
    if (value.toLowerCase() === 'scratch' || stages.includes(value.toLowerCase())) return;
    const viaText = whole !== undefined ? `ARG \`${whole.name}\` default` : via;
    const base = { format: FORMAT, workload, container, ...(viaText !== undefined ? { via: via !== undefined && whole !== undefined ? `${via}, ${viaText}` : viaText } : {}) } as const;
    if (missing !== undefined) {
      refs.push({ ...base, raw: detach(written), location: ctx.lines.location(ctx.path, writtenRange), range: writtenRange, style: 'plain', unresolvable: missing });
    } else if (whole !== undefined) {
      refs.push({ ...base, raw: whole.arg.value, location: ctx.lines.location(ctx.path, whole.arg.range), range: whole.arg.range, style: whole.arg.style });
    } else if (value !== written) {
      // Built from literal parts and ARG defaults (`python:${VERSION}-slim`): judged as it resolves, never rewritten.
      refs.push({ ...base, raw: detach(value), location: ctx.lines.location(ctx.path, writtenRange), range: writtenRange, style: 'plain', via: `ARG defaults in \`${written}\``, pin: { none: 'built from ARG defaults: pin the ARGs or the FROM line by hand' } });
    } else {
      refs.push({ ...base, raw: detach(written), location: ctx.lines.location(ctx.path, writtenRange), range: writtenRange, style: 'plain' });
    }
  };

  // `# syntax=docker/dockerfile:1.4`: the BuildKit frontend image the build pulls first.
  for (const directive of dockerfile.getDirectives()) {
    if (directive.getName().toLowerCase() !== 'syntax') continue;
    const value = directive.getValue();
    if (value === '') continue;
    const r = range(directive.getValueRange());
    refs.push({ format: FORMAT, raw: detach(value), location: ctx.lines.location(ctx.path, r), range: r, style: 'plain', workload, container: { role: 'app', noun: 'frontend', name: 'syntax' } });
  }

  let sawFrom = false;
  for (const instruction of dockerfile.getInstructions()) {
    const keyword = instruction.getKeyword();
    const at = range(instruction.getInstructionRange());
    if (!INSTRUCTIONS.has(keyword)) {
      errors.push({ message: `cannot parse Dockerfile: unknown instruction \`${instruction.getInstruction()}\``, offset: at.start });
      continue;
    }
    if (keyword === 'FROM') {
      sawFrom = true;
      stageIndex += 1;
      const from = instruction as DockerfileAst.From;
      const stage = from.getBuildStage();
      container = { role: 'app', noun: 'stage', name: stage ?? `#${stageIndex}` };
      const imageRange = from.getImageRange();
      const image = from.getImage();
      if (imageRange === null || image === null) errors.push({ message: 'cannot parse Dockerfile: FROM without an image', offset: at.start });
      else add(image, range(imageRange));
      if (stage !== null) stages.push(stage.toLowerCase());
    } else if (keyword === 'COPY') {
      const flag = (instruction as DockerfileAst.Copy).getFlags().find((f) => f.getName() === 'from');
      const value = flag?.getValue();
      const valueRange = flag?.getValueRange();
      if (value && valueRange) add(value, range(valueRange), 'COPY --from');
    } else if (keyword === 'RUN') {
      for (const flag of (instruction as DockerfileAst.Run).getFlags()) {
        if (flag.getName() !== 'mount') continue;
        const from = flag.getOption('from');
        const value = from?.getValue();
        const valueRange = from?.getValueRange();
        if (value && valueRange) add(value, range(valueRange), 'RUN --mount');
      }
    }
  }
  if (!sawFrom && dockerfile.getInstructions().length > 0) errors.push({ message: 'cannot parse Dockerfile: no FROM instruction', offset: 0 });
  const comments = dockerfile.getComments().map((comment) => range(comment.getRange()));
  return { refs, errors, comments };
}

export const dockerfile: TextExtractor = { format: FORMAT, extract };
