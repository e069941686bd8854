// The `imagedrift.k8s-snapshot/v1` format: what `audit k8s` observed in a cluster (pods, the
// workloads that own them, what the registries serve now), and nothing it concluded, so that any
// later version can judge it again (`--from-snapshot`). Plain JSON; times are ISO 8601 in UTC.
// Documented field by field in the README ("Kubernetes snapshot format").
import type { SnapshotImage } from '../ecs-live.js';

export const K8S_SNAPSHOT_SCHEMA = 'imagedrift.k8s-snapshot/v1';

/** The kinds `audit k8s` lists, in this order, with their API group (`''` for the core group). */
export const K8S_KINDS = [
  { kind: 'Pod', plural: 'pods', group: '' },
  { kind: 'Deployment', plural: 'deployments', group: 'apps' },
  { kind: 'StatefulSet', plural: 'statefulsets', group: 'apps' },
  { kind: 'DaemonSet', plural: 'daemonsets', group: 'apps' },
  { kind: 'ReplicaSet', plural: 'replicasets', group: 'apps' },
  { kind: 'Job', plural: 'jobs', group: 'batch' },
  { kind: 'CronJob', plural: 'cronjobs', group: 'batch' },
] as const;

export type K8sKind = (typeof K8S_KINDS)[number]['kind'];
export type K8sWorkloadKind = Exclude<K8sKind, 'Pod'>;

export interface K8sSnapshot {
  schema: typeof K8S_SNAPSHOT_SCHEMA;
  source: 'kubernetes';
  /** Local clock when the collection started and finished. */
  startedAt: string;
  finishedAt: string;
  /** The API server's clock (the `Date` header of the last list answered), when read live. */
  serverTime?: string;
  /** `api` (read through the Kubernetes API) or `file` (`--from-file`, kubectl's output). */
  via: 'api' | 'file';
  /** The kubeconfig context audited (or the `--context` given to `--from-file`): the first part of every location. */
  context: string;
  /** The API server's URL, when read live. */
  server?: string;
  /** What was asked for: namespaces (empty with `allNamespaces`), the label selector. */
  scope: { namespaces: string[]; allNamespaces: boolean; selector?: string };
  /** Every pod listed (all phases; the judge counts only pods that are not finished). */
  pods: K8sPod[];
  /**
   * The workloads listed: Deployments, StatefulSets, DaemonSets and CronJobs; ReplicaSets and Jobs
   * with replicas or active pods, or owning a listed pod (old ReplicaSets kept for rollback are left out).
   */
  workloads: K8sWorkload[];
  /** What each registry serves now, per declared reference (`--resolve` only); the same shape as `audit ecs`'s. */
  images?: Record<string, SnapshotImage>;
  /** What could not be read, and why. Empty when the snapshot is complete. */
  incomplete: K8sIncomplete[];
  /** API requests sent per list (`list pods`, …; one per page, retries not counted). */
  calls: Record<string, number>;
}

/** The controller that owns an object (`metadata.ownerReferences[]` with `controller: true`, else the first). */
export interface K8sOwner {
  kind: string;
  name: string;
  uid?: string;
}

/** A container as the pod spec or the workload's pod template declares it. */
export interface K8sContainerSpec {
  name: string;
  image?: string;
  /** `Always`, `IfNotPresent` or `Never` (the API server fills in the default). */
  imagePullPolicy?: string;
  /** `init` for `initContainers[]`, `ephemeral` for `ephemeralContainers[]`; absent for `containers[]`. */
  list?: 'init' | 'ephemeral';
  /** `Always` on an init container: a native sidecar. */
  restartPolicy?: string;
}

/** A container of a pod: its spec, and what its status says it runs. */
export interface K8sPodContainer extends K8sContainerSpec {
  /** `status.containerStatuses[].imageID` (or `initContainerStatuses[]`) as the kubelet reported it. */
  imageID?: string;
  /** The registry digest in `imageID` (`docker-pullable://`, `docker://` stripped); absent for a local image id. */
  digest?: string;
  /** `imageID` is a bare `sha256:…`: the runtime's local image (config) id, not a registry digest, so not comparable. */
  localImageId?: true;
  ready?: boolean;
  restartCount?: number;
  /** `running`, `waiting` or `terminated`, with the reason when waiting (`ImagePullBackOff`). */
  state?: string;
}

export interface K8sPod {
  namespace: string;
  name: string;
  uid?: string;
  owner?: K8sOwner;
  /** `Pending`, `Running`, `Succeeded`, `Failed` or `Unknown`. */
  phase?: string;
  nodeName?: string;
  startTime?: string;
  containers: K8sPodContainer[];
}

export interface K8sWorkload {
  kind: K8sWorkloadKind;
  namespace: string;
  name: string;
  uid?: string;
  owner?: K8sOwner;
  /** `spec.replicas` (Deployment, StatefulSet, ReplicaSet); `status.active` for a Job. */
  replicas?: number;
  /** The pod template's containers (for a CronJob, its job template's). */
  containers: K8sContainerSpec[];
}

export type K8sIncompleteScope = 'cluster' | 'namespace' | 'kind' | 'registry';

export interface K8sIncomplete {
  /** `namespace`: a namespace's list of a kind; `kind`: a kind across all namespaces; `registry`: an image's registry facts; `cluster`: nothing could be read. */
  scope: K8sIncompleteScope;
  /** The namespace, or `*` for all of them (`-A`); absent for `registry`. */
  namespace?: string;
  /** The kind whose list failed (`Pod`, `Deployment`, …). */
  kind?: string;
  /** For `registry`: `<registry>/<repository>`. */
  id?: string;
  /** `list pods`, `list deployments`, … or `resolve`. */
  operation: string;
  /** `Forbidden`, `HTTP 500`, `ECONNREFUSED`, `RegistryError`, … */
  code: string;
  /** The HTTP status, when there was a response. */
  status?: number;
  reason: string;
}
