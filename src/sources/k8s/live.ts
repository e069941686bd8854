// Live Kubernetes enumeration for `audit k8s`, read-only, through @kubernetes/client-node and the
// kubeconfig (KUBECONFIG, ~/.kube/config, or the pod's service account in a cluster).
//
// One paginated list per kind and namespace scope, and nothing else: with -A, one cluster-wide list
// of each kind (7 lists); with --namespace, one list of each kind per namespace. `limit` pages of
// 500 (as kubectl's chunks), followed with `continue`; a continue token that expired (410 Gone)
// starts that list again once. The label selector (`--selector`) is sent with every list.
//
// Faults: 429 and 5xx answers, and connection errors, are retried (4 attempts, back-off, honouring
// Retry-After). A list that is forbidden (403), not served (404) or keeps failing becomes one
// `incomplete` entry for its namespace (or, with -A, its kind) and the rest goes on. A 401 stops
// the run with K8sConfigError (the credentials were rejected: nothing would be audited), and so
// does an API server that no list could reach at all.
import { mapLimit } from '../../resolve/limit.js';
import { escapeControl, keepWorkloads, sortObjects, toPod, toWorkload } from './objects.js';
import { K8S_KINDS, K8S_SNAPSHOT_SCHEMA } from './snapshot.js';
import type { K8sIncomplete, K8sKind, K8sPod, K8sSnapshot, K8sWorkload } from './snapshot.js';

/** kubectl's chunk size: 500 objects a page. */
export const K8S_PAGE_SIZE = 500;

/** A configuration or credentials problem: nothing can be audited (exit 2). */
export class K8sConfigError extends Error {
  override readonly name = 'K8sConfigError';
}

export interface K8sLiveOptions {
  /** A kubeconfig file (`--kubeconfig`); default: KUBECONFIG, ~/.kube/config, or in-cluster. */
  kubeconfig?: string;
  /** The context to use (`--context`); default: the kubeconfig's current context. */
  context?: string;
  /** Namespaces to audit (`--namespace`); empty and not `allNamespaces`: the context's namespace, else `default`. */
  namespaces?: string[];
  /** `-A`: every namespace, with one cluster-wide list per kind. */
  allNamespaces?: boolean;
  /** A label selector sent with every list (`--selector`). */
  selector?: string;
  /** Objects a page (default 500). */
  pageSize?: number;
  /** Lists in flight at a time (default 4). */
  concurrency?: number;
  /** Attempts per page for 429, 5xx and connection errors (default 4). */
  attempts?: number;
  /** Wait before retry `attempt` (1-based), in ms; default 200 × 2^(attempt-1), or Retry-After (at most 10 s). */
  retryDelayMs?: (attempt: number, retryAfterMs: number | undefined) => number;
  onProgress?: (p: K8sProgress) => void;
}

export interface K8sProgress {
  listsDone: number;
  listsTotal: number;
  pods: number;
}

interface ListPage {
  items: unknown[];
  continueToken?: string;
  date?: string;
}

/** A failure of one request: the HTTP status and the Kubernetes Status (reason, message) when there was an answer. */
interface RequestFailure {
  status?: number;
  code: string;
  reason: string;
  retryAfterMs?: number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The Kubernetes `Status` in an error body (a string or already decoded). */
function statusBody(body: unknown): { reason?: string; message?: string } {
  let value: unknown = body;
  if (typeof body === 'string') {
    try {
      value = JSON.parse(body);
    } catch {
      return body.trim() !== '' ? { message: body.trim().slice(0, 500) } : {};
    }
  }
  if (typeof value !== 'object' || value === null) return {};
  const v = value as Record<string, unknown>;
  return {
    ...(typeof v.reason === 'string' ? { reason: v.reason } : {}),
    ...(typeof v.message === 'string' ? { message: v.message } : {}),
  };
}

const HTTP_REASONS: Record<number, string> = { 401: 'Unauthorized', 403: 'Forbidden', 404: 'NotFound', 410: 'Expired', 429: 'TooManyRequests' };

/** What a thrown error says: an ApiException (code, body, headers) or a network error (code, cause). */
export function describeFailure(err: unknown): RequestFailure {
  const e = err as { code?: unknown; body?: unknown; headers?: Record<string, string>; message?: unknown; cause?: { code?: unknown; message?: unknown } };
  if (typeof e?.code === 'number') {
    const status = e.code;
    const body = statusBody(e.body);
    const retryAfter = Number(e.headers?.['retry-after']);
    return {
      status,
      code: escapeControl(body.reason !== undefined && body.reason !== '' ? body.reason : (HTTP_REASONS[status] ?? `HTTP ${status}`)),
      reason: escapeControl(body.message ?? `HTTP ${status}`),
      ...(Number.isFinite(retryAfter) && retryAfter >= 0 ? { retryAfterMs: retryAfter * 1000 } : {}),
    };
  }
  const code = typeof e?.code === 'string' ? e.code : typeof e?.cause?.code === 'string' ? e.cause.code : 'RequestFailed';
  const message = typeof e?.message === 'string' ? e.message : String(err);
  const cause = typeof e?.cause?.message === 'string' && !message.includes(e.cause.message) ? `: ${e.cause.message}` : '';
  return { code: escapeControl(code), reason: escapeControl(`${message}${cause}`) };
}

const retryable = (f: RequestFailure) => f.status === undefined || f.status === 429 || f.status >= 500;

type Lister = (args: { namespace?: string; limit: number; _continue?: string; labelSelector?: string }) => Promise<{ data: { items?: unknown[]; metadata?: { _continue?: string } }; headers?: Record<string, string> }>;

export interface K8sSession {
  context: string;
  server?: string;
  defaultNamespace: string;
  list(kind: K8sKind, namespace: string | undefined, args: { limit: number; _continue?: string; labelSelector?: string }): Promise<ListPage>;
}

type ClientModule = typeof import('@kubernetes/client-node');

/** @kubernetes/client-node, loaded only by a live `audit k8s` (in the bundle: its vendor file). */
function loadClient(): Promise<ClientModule> {
  return import('@kubernetes/client-node');
}

/** Loads the kubeconfig and makes the API clients (the one place @kubernetes/client-node is loaded). */
export async function openSession(options: Pick<K8sLiveOptions, 'kubeconfig' | 'context'>): Promise<K8sSession> {
  const k8s = await loadClient();
  const kc = new k8s.KubeConfig();
  try {
    if (options.kubeconfig !== undefined) kc.loadFromFile(options.kubeconfig);
    else kc.loadFromDefault();
  } catch (err) {
    throw new K8sConfigError(`cannot load the kubeconfig${options.kubeconfig !== undefined ? ` ${options.kubeconfig}` : ''}: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (options.context !== undefined) {
    if (kc.getContextObject(options.context) === null) {
      const known = kc.getContexts().map((c) => c.name);
      throw new K8sConfigError(`no context "${options.context}" in the kubeconfig${known.length > 0 ? ` (it has: ${known.join(', ')})` : ''}`);
    }
    kc.setCurrentContext(options.context);
  }
  const contextName = kc.getCurrentContext();
  const cluster = kc.getCurrentCluster();
  // client-node's last resort, with no kubeconfig anywhere, is http://localhost:8080: say so instead.
  if (cluster === null || kc.getContexts().length === 0 || (kc.getContexts().length === 1 && contextName === 'loaded-context' && cluster.server === 'http://localhost:8080')) {
    throw new K8sConfigError('no kubeconfig: set KUBECONFIG, pass --kubeconfig, or run inside a cluster (service account); `kubectl config get-contexts` lists what you have');
  }
  const defaultNamespace = kc.getContextObject(contextName)?.namespace ?? 'default';
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const apps = kc.makeApiClient(k8s.AppsV1Api);
  const batch = kc.makeApiClient(k8s.BatchV1Api);
  type Args = { namespace?: string; limit: number; _continue?: string; labelSelector?: string };
  // Each kind's cluster-wide and namespaced list, with the response's headers (the Date).
  const listers: Record<K8sKind, { all: Lister; namespaced: Lister }> = {
    Pod: { all: (a) => core.listPodForAllNamespacesWithHttpInfo(a), namespaced: (a) => core.listNamespacedPodWithHttpInfo(a as Args & { namespace: string }) },
    Deployment: { all: (a) => apps.listDeploymentForAllNamespacesWithHttpInfo(a), namespaced: (a) => apps.listNamespacedDeploymentWithHttpInfo(a as Args & { namespace: string }) },
    StatefulSet: { all: (a) => apps.listStatefulSetForAllNamespacesWithHttpInfo(a), namespaced: (a) => apps.listNamespacedStatefulSetWithHttpInfo(a as Args & { namespace: string }) },
    DaemonSet: { all: (a) => apps.listDaemonSetForAllNamespacesWithHttpInfo(a), namespaced: (a) => apps.listNamespacedDaemonSetWithHttpInfo(a as Args & { namespace: string }) },
    ReplicaSet: { all: (a) => apps.listReplicaSetForAllNamespacesWithHttpInfo(a), namespaced: (a) => apps.listNamespacedReplicaSetWithHttpInfo(a as Args & { namespace: string }) },
    Job: { all: (a) => batch.listJobForAllNamespacesWithHttpInfo(a), namespaced: (a) => batch.listNamespacedJobWithHttpInfo(a as Args & { namespace: string }) },
    CronJob: { all: (a) => batch.listCronJobForAllNamespacesWithHttpInfo(a), namespaced: (a) => batch.listNamespacedCronJobWithHttpInfo(a as Args & { namespace: string }) },
  };
  return {
    context: contextName,
    ...(cluster.server !== undefined ? { server: cluster.server } : {}),
    defaultNamespace,
    async list(kind, namespace, args) {
      const lister = listers[kind];
      const response = namespace === undefined ? await lister.all(args) : await lister.namespaced({ ...args, namespace });
      const token = response.data.metadata?._continue;
      const date = response.headers?.date;
      return { items: response.data.items ?? [], ...(token ? { continueToken: token } : {}), ...(date !== undefined ? { date } : {}) };
    },
  };
}

/** The fewest list requests for a cluster: one paginated list per kind and namespace scope. */
export function minimumK8sCalls(counts: Partial<Record<K8sKind, number[]>>, pageSize = K8S_PAGE_SIZE): Record<string, number> {
  const out: Record<string, number> = {};
  for (const { kind, plural } of K8S_KINDS) {
    // One request per scope even when it is empty; then one per further page.
    out[`list ${plural}`] = (counts[kind] ?? []).reduce((sum, n) => sum + Math.max(1, Math.ceil(n / pageSize)), 0);
  }
  return out;
}

/** Reads the cluster into a snapshot (see the top of this file). `session` is for tests; default openSession(options). */
export async function collectK8sSnapshot(options: K8sLiveOptions, session?: K8sSession): Promise<K8sSnapshot> {
  const startedAt = new Date().toISOString();
  const s = session ?? (await openSession(options));
  const all = options.allNamespaces === true;
  const namespaces = all ? [] : [...new Set(options.namespaces !== undefined && options.namespaces.length > 0 ? options.namespaces : [s.defaultNamespace])];
  const scopes: Array<string | undefined> = all ? [undefined] : namespaces;
  const pageSize = options.pageSize ?? K8S_PAGE_SIZE;
  const attempts = Math.max(1, options.attempts ?? 4);
  const delay = options.retryDelayMs ?? ((attempt, retryAfter) => Math.min(retryAfter ?? 200 * 2 ** (attempt - 1), 10_000));
  const calls: Record<string, number> = {};
  const pods: K8sPod[] = [];
  const workloads: K8sWorkload[] = [];
  const incomplete: K8sIncomplete[] = [];
  let lastDate: string | undefined;
  let answered = 0;
  let fatal: K8sConfigError | undefined;
  const jobs = K8S_KINDS.flatMap(({ kind, plural }) => scopes.map((namespace) => ({ kind, plural, namespace })));
  const progress: K8sProgress = { listsDone: 0, listsTotal: jobs.length, pods: 0 };

  const page = async (kind: K8sKind, plural: string, namespace: string | undefined, token: string | undefined): Promise<ListPage> => {
    for (let attempt = 1; ; attempt++) {
      if (attempt === 1) calls[`list ${plural}`] = (calls[`list ${plural}`] ?? 0) + 1;
      try {
        const result = await s.list(kind, namespace, { limit: pageSize, ...(token !== undefined ? { _continue: token } : {}), ...(options.selector !== undefined ? { labelSelector: options.selector } : {}) });
        answered += 1;
        return result;
      } catch (err) {
        const failure = describeFailure(err);
        if (failure.status !== undefined) answered += 1;
        if (!retryable(failure) || attempt >= attempts || fatal !== undefined) throw Object.assign(new Error(failure.reason), { failure });
        await sleep(delay(attempt, failure.retryAfterMs));
      }
    }
  };

  await mapLimit(
    jobs,
    Math.max(1, options.concurrency ?? 4),
    async ({ kind, plural, namespace }) => {
      const objects: unknown[] = [];
      try {
        let token: string | undefined;
        let restarted = false;
        for (;;) {
          let result: ListPage;
          try {
            result = await page(kind, plural, namespace, token);
          } catch (err) {
            // The continue token expired (the list took longer than the API server keeps it): start again, once.
            if ((err as { failure?: RequestFailure }).failure?.status === 410 && token !== undefined && !restarted) {
              restarted = true;
              objects.length = 0;
              token = undefined;
              continue;
            }
            throw err;
          }
          for (const item of result.items) objects.push(item);
          if (result.date !== undefined) lastDate = result.date;
          token = result.continueToken;
          if (token === undefined) break;
        }
      } catch (err) {
        const failure = (err as { failure?: RequestFailure }).failure ?? describeFailure(err);
        if (failure.status === 401) {
          fatal ??= new K8sConfigError(`the API server${s.server !== undefined ? ` at ${s.server}` : ''} rejected the credentials of context "${s.context}" (401 Unauthorized): refresh them (e.g. your cloud's \`get-token\` or \`kubectl config view\`) and retry`);
          return;
        }
        incomplete.push({
          scope: namespace === undefined ? 'kind' : 'namespace',
          namespace: namespace ?? '*',
          kind,
          operation: `list ${plural}`,
          code: failure.code,
          ...(failure.status !== undefined ? { status: failure.status } : {}),
          reason: failure.reason,
        });
        return;
      } finally {
        progress.listsDone += 1;
      }
      // Objects are converted as soon as their list is complete: the decoded models do not outlive it.
      for (const object of objects) {
        if (kind === 'Pod') {
          const pod = toPod(object, namespace);
          if (pod !== undefined) pods.push(pod);
        } else {
          const workload = toWorkload(kind, object, namespace);
          if (workload !== undefined) workloads.push(workload);
        }
      }
      if (kind === 'Pod') progress.pods += objects.length;
      options.onProgress?.({ ...progress });
    },
    () => fatal !== undefined,
  );
  if (fatal !== undefined) throw fatal;
  if (answered === 0 && incomplete.length > 0) {
    const first = incomplete[0]!;
    throw new K8sConfigError(`cannot reach the API server${s.server !== undefined ? ` at ${s.server}` : ''} (context "${s.context}"): ${first.code}: ${first.reason}`);
  }
  const kept = keepWorkloads(workloads, pods);
  sortObjects(pods, kept);
  incomplete.sort((a, b) => (a.namespace ?? '').localeCompare(b.namespace ?? '') || K8S_KINDS.findIndex((k) => k.kind === a.kind) - K8S_KINDS.findIndex((k) => k.kind === b.kind));
  const serverTime = lastDate !== undefined && !Number.isNaN(Date.parse(lastDate)) ? new Date(Date.parse(lastDate)).toISOString() : undefined;
  return {
    schema: K8S_SNAPSHOT_SCHEMA,
    source: 'kubernetes',
    startedAt,
    finishedAt: new Date().toISOString(),
    ...(serverTime !== undefined ? { serverTime } : {}),
    via: 'api',
    context: s.context,
    ...(s.server !== undefined ? { server: s.server } : {}),
    scope: { namespaces, allNamespaces: all, ...(options.selector !== undefined ? { selector: options.selector } : {}) },
    pods,
    workloads: kept,
    incomplete,
    calls: Object.fromEntries(Object.entries(calls).sort(([a], [b]) => a.localeCompare(b))),
  };
}
