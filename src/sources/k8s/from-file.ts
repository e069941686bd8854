// `audit k8s --from-file FILE|-`: a snapshot from what
//   kubectl get pods,deployments,statefulsets,daemonsets,replicasets,jobs,cronjobs -A -o json
// printed (a `List` whose items carry `kind`), for where only kubectl may reach the cluster. A
// typed list (`PodList`, …, as the API returns it) or one object is read too. Objects of other
// kinds are ignored. A file that is not such JSON is refused with file:line:col and the reason.
import { readFileSync } from 'node:fs';
import { parse, printParseErrorCode } from 'jsonc-parser';
import type { ParseError } from 'jsonc-parser';
import { isWorkloadKind, keepWorkloads, sortObjects, toPod, toWorkload } from './objects.js';
import { K8S_SNAPSHOT_SCHEMA } from './snapshot.js';
import type { K8sPod, K8sSnapshot, K8sWorkload } from './snapshot.js';

/** What a `kubectl get -o json` file may weigh: far more than any cluster's objects, far less than memory. */
export const MAX_LIST_FILE_BYTES = 512 * 1024 * 1024;

export class K8sInputError extends Error {
  override readonly name = 'K8sInputError';
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `line:col` (1-based) of a UTF-16 offset. */
function lineCol(text: string, offset: number): string {
  let line = 1;
  let start = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line += 1;
    start = i + 1;
  }
  return `${line}:${offset - start + 1}`;
}

const PARSE_ERRORS: Record<string, string> = {
  InvalidSymbol: 'unexpected character',
  InvalidNumberFormat: 'invalid number',
  PropertyNameExpected: 'a property name expected',
  ValueExpected: 'a value expected',
  ColonExpected: "':' expected",
  CommaExpected: "',' expected",
  CloseBraceExpected: "'}' expected",
  CloseBracketExpected: "']' expected",
  EndOfFileExpected: 'end of file expected',
  InvalidCommentToken: 'a comment (JSON has none)',
  UnexpectedEndOfString: 'unterminated string',
  InvalidCharacter: 'invalid character in a string',
};

function parseJson(text: string, name: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    // V8's message names no position on every Node version: jsonc-parser finds the first error's offset.
    const errors: ParseError[] = [];
    parse(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
    const first = errors[0];
    const code = first !== undefined ? printParseErrorCode(first.error) : undefined;
    const reason = code !== undefined ? (PARSE_ERRORS[code] ?? code) : err instanceof Error ? err.message : String(err);
    throw new K8sInputError(`${name}:${lineCol(text, first?.offset ?? 0)}: not JSON: ${reason} (expected the output of \`kubectl get … -o json\`)`);
  }
}

/** The kind of an item: its own `kind`, or the list's (`PodList` → `Pod`). */
function itemKind(item: Record<string, unknown>, listKind: string | undefined): string | undefined {
  if (typeof item.kind === 'string') return item.kind;
  return listKind !== undefined && listKind.endsWith('List') ? listKind.slice(0, -4) : undefined;
}

/** Pods and workloads from a parsed `kubectl get -o json` document. */
export function objectsFromList(data: unknown, name: string): { pods: K8sPod[]; workloads: K8sWorkload[]; ignored: number } {
  if (!isObj(data)) throw new K8sInputError(`${name}:1:1: not a Kubernetes object or list (expected the output of \`kubectl get … -o json\`)`);
  const listKind = typeof data.kind === 'string' ? data.kind : undefined;
  const items: unknown[] = Array.isArray(data.items) ? data.items : listKind !== undefined && !listKind.endsWith('List') ? [data] : [];
  if (!Array.isArray(data.items) && items.length === 0) throw new K8sInputError(`${name}:1:1: no \`items\` list and no \`kind\` (expected the output of \`kubectl get … -o json\`)`);
  const pods: K8sPod[] = [];
  const workloads: K8sWorkload[] = [];
  let ignored = 0;
  for (const item of items) {
    if (!isObj(item)) {
      ignored += 1;
      continue;
    }
    const kind = itemKind(item, listKind);
    // A nested list (`kubectl get -o json` of several List files) is read as its items.
    if (kind === 'List' || (kind?.endsWith('List') === true && Array.isArray(item.items))) {
      const inner = objectsFromList(item, name);
      for (const pod of inner.pods) pods.push(pod);
      for (const workload of inner.workloads) workloads.push(workload);
      ignored += inner.ignored;
      continue;
    }
    if (kind === 'Pod') {
      const pod = toPod(item);
      if (pod !== undefined) pods.push(pod);
      else ignored += 1;
    } else if (kind !== undefined && isWorkloadKind(kind)) {
      const workload = toWorkload(kind, item);
      if (workload !== undefined) workloads.push(workload);
      else ignored += 1;
    } else ignored += 1;
  }
  return { pods, workloads, ignored };
}

export interface FromFileOptions {
  /** The context named in every location (`--context`); default `from-file`. */
  context?: string;
  /** For `-`: the standard input's text (tests); default: read fd 0. */
  stdin?: () => string;
}

/** Reads `file` (`-` for the standard input) into a snapshot; throws K8sInputError with file:line:col. */
export function snapshotFromFile(file: string, options: FromFileOptions = {}): K8sSnapshot {
  const startedAt = new Date().toISOString();
  const name = file === '-' ? '<stdin>' : file;
  let text: string;
  try {
    if (file === '-') text = options.stdin !== undefined ? options.stdin() : readFileSync(0, 'utf8');
    else {
      text = readFileSync(file, 'utf8');
    }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new K8sInputError(`${name}: cannot read: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (code ?? String(err))}`);
  }
  if (text.length > MAX_LIST_FILE_BYTES) throw new K8sInputError(`${name}: larger than ${MAX_LIST_FILE_BYTES / 1024 / 1024} MiB`);
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.trim() === '') throw new K8sInputError(`${name}:1:1: empty (expected the output of \`kubectl get … -o json\`)`);
  const { pods, workloads } = objectsFromList(parseJson(text, name), name);
  const kept = keepWorkloads(workloads, pods);
  sortObjects(pods, kept);
  const namespaces = [...new Set([...pods, ...kept].map((o) => o.namespace))].sort();
  return {
    schema: K8S_SNAPSHOT_SCHEMA,
    source: 'kubernetes',
    startedAt,
    finishedAt: new Date().toISOString(),
    via: 'file',
    context: options.context ?? 'from-file',
    scope: { namespaces, allNamespaces: false },
    pods,
    workloads: kept,
    incomplete: [],
    calls: {},
  };
}
