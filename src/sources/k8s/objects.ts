// Kubernetes objects (as the API or `kubectl get -o json` gives them, or as @kubernetes/client-node
// decodes them: same field names) to the snapshot's pods and workloads. Pure, and tolerant: the
// objects come from outside, so a field of the wrong type is left out, never trusted.
import type { K8sContainerSpec, K8sOwner, K8sPod, K8sPodContainer, K8sWorkload, K8sWorkloadKind } from './snapshot.js';

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

/** Control characters written as `\u001b`: names and images end up in terminals and reports. */
export function escapeControl(text: string): string {
  return text.replace(CONTROL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? escapeControl(v) : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const list = (v: unknown): Obj[] => (Array.isArray(v) ? v.filter(isObj) : []);
/** An ISO time: the API gives strings, client-node gives Date objects. */
const time = (v: unknown): string | undefined => (v instanceof Date ? (Number.isNaN(v.getTime()) ? undefined : v.toISOString()) : str(v));

const WORKLOAD_KINDS: ReadonlySet<string> = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'CronJob']);

export function isWorkloadKind(kind: string): kind is K8sWorkloadKind {
  return WORKLOAD_KINDS.has(kind);
}

/**
 * What `imageID` says the container runs. Docker (dockershim, cri-dockerd) writes
 * `docker-pullable://repo@sha256:…` (or `docker://sha256:…` for an image with no repository
 * digest); containerd and CRI-O write `repo@sha256:…`. A bare `sha256:…` is the runtime's local
 * image (config) id, which no registry knows: not comparable with a manifest digest.
 */
export function parseImageId(imageID: string): { digest?: string; localImageId?: true } {
  const id = imageID.replace(/^docker-pullable:\/\//, '').replace(/^docker:\/\//, '');
  const at = id.lastIndexOf('@');
  if (at !== -1) {
    const digest = id.slice(at + 1);
    return /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$/.test(digest) ? { digest } : {};
  }
  return /^sha256:[a-f0-9]{64}$/.test(id) ? { localImageId: true } : {};
}

/** The controlling owner (`controller: true`), else the first owner reference. */
export function ownerOf(metadata: unknown): K8sOwner | undefined {
  const refs = isObj(metadata) ? list(metadata.ownerReferences) : [];
  const ref = refs.find((r) => r.controller === true) ?? refs[0];
  const kind = str(ref?.kind);
  const name = str(ref?.name);
  if (ref === undefined || kind === undefined || name === undefined) return undefined;
  const uid = str(ref.uid);
  return { kind, name, ...(uid !== undefined ? { uid } : {}) };
}

function containerSpecs(podSpec: unknown): K8sContainerSpec[] {
  if (!isObj(podSpec)) return [];
  const out: K8sContainerSpec[] = [];
  const add = (items: unknown, which: K8sContainerSpec['list']) => {
    for (const c of list(items)) {
      const name = str(c.name);
      if (name === undefined) continue;
      const image = str(c.image);
      const pullPolicy = str(c.imagePullPolicy);
      const restartPolicy = which === 'init' ? str(c.restartPolicy) : undefined;
      out.push({
        name,
        ...(image !== undefined ? { image } : {}),
        ...(pullPolicy !== undefined ? { imagePullPolicy: pullPolicy } : {}),
        ...(which !== undefined ? { list: which } : {}),
        ...(restartPolicy !== undefined ? { restartPolicy } : {}),
      });
    }
  };
  add(podSpec.initContainers, 'init');
  add(podSpec.containers, undefined);
  add(podSpec.ephemeralContainers, 'ephemeral');
  return out;
}

function stateOf(status: Obj): string | undefined {
  const state = status.state;
  if (!isObj(state)) return undefined;
  for (const key of ['running', 'waiting', 'terminated'] as const) {
    const s = state[key];
    if (!isObj(s)) continue;
    const reason = str(s.reason);
    return reason !== undefined && key !== 'running' ? `${key}: ${reason}` : key;
  }
  return undefined;
}

/** A pod, with each container's spec and the image its status says it runs. */
export function toPod(object: unknown, namespaceFallback?: string): K8sPod | undefined {
  if (!isObj(object) || !isObj(object.metadata)) return undefined;
  const meta = object.metadata;
  const name = str(meta.name);
  const namespace = str(meta.namespace) ?? namespaceFallback;
  if (name === undefined || namespace === undefined) return undefined;
  const status = isObj(object.status) ? object.status : {};
  const statuses = new Map<string, Obj>();
  for (const key of ['initContainerStatuses', 'containerStatuses', 'ephemeralContainerStatuses'] as const) {
    for (const s of list(status[key])) {
      const n = str(s.name);
      if (n !== undefined) statuses.set(`${key === 'initContainerStatuses' ? 'init' : key === 'ephemeralContainerStatuses' ? 'ephemeral' : ''}/${n}`, s);
    }
  }
  const containers = containerSpecs(object.spec).map((spec): K8sPodContainer => {
    const s = statuses.get(`${spec.list ?? ''}/${spec.name}`);
    if (s === undefined) return spec;
    const imageID = str(s.imageID);
    const parsed = imageID !== undefined && imageID !== '' ? parseImageId(imageID) : {};
    const ready = typeof s.ready === 'boolean' ? s.ready : undefined;
    const restartCount = num(s.restartCount);
    const state = stateOf(s);
    return {
      ...spec,
      ...(imageID !== undefined && imageID !== '' ? { imageID } : {}),
      ...parsed,
      ...(ready !== undefined ? { ready } : {}),
      ...(restartCount !== undefined ? { restartCount } : {}),
      ...(state !== undefined ? { state } : {}),
    };
  });
  const uid = str(meta.uid);
  const owner = ownerOf(meta);
  const phase = str(status.phase);
  const nodeName = isObj(object.spec) ? str(object.spec.nodeName) : undefined;
  const startTime = time(status.startTime);
  return {
    namespace,
    name,
    ...(uid !== undefined ? { uid } : {}),
    ...(owner !== undefined ? { owner } : {}),
    ...(phase !== undefined ? { phase } : {}),
    ...(nodeName !== undefined ? { nodeName } : {}),
    ...(startTime !== undefined ? { startTime } : {}),
    containers,
  };
}

function podTemplateSpec(kind: K8sWorkloadKind, spec: Obj): unknown {
  if (kind === 'CronJob') {
    const jobTemplate = spec.jobTemplate;
    const jobSpec = isObj(jobTemplate) ? jobTemplate.spec : undefined;
    const template = isObj(jobSpec) ? jobSpec.template : undefined;
    return isObj(template) ? template.spec : undefined;
  }
  return isObj(spec.template) ? spec.template.spec : undefined;
}

/** A workload of one of the listed kinds, with its pod template's containers. */
export function toWorkload(kind: K8sWorkloadKind, object: unknown, namespaceFallback?: string): K8sWorkload | undefined {
  if (!isObj(object) || !isObj(object.metadata)) return undefined;
  const meta = object.metadata;
  const name = str(meta.name);
  const namespace = str(meta.namespace) ?? namespaceFallback;
  if (name === undefined || namespace === undefined) return undefined;
  const spec = isObj(object.spec) ? object.spec : {};
  const status = isObj(object.status) ? object.status : {};
  const uid = str(meta.uid);
  const owner = ownerOf(meta);
  const replicas = kind === 'Job' ? num(status.active) : kind === 'DaemonSet' ? num(status.desiredNumberScheduled) : kind === 'CronJob' ? undefined : (num(spec.replicas) ?? num(status.replicas));
  return {
    kind,
    namespace,
    name,
    ...(uid !== undefined ? { uid } : {}),
    ...(owner !== undefined ? { owner } : {}),
    ...(replicas !== undefined ? { replicas } : {}),
    containers: containerSpecs(podTemplateSpec(kind, spec)),
  };
}

/**
 * The workloads worth keeping: all but owned ReplicaSets and Jobs with no replicas (or active
 * pods) that own no pod still running (history kept for rollbacks, finished runs).
 */
export function keepWorkloads(workloads: readonly K8sWorkload[], pods: readonly K8sPod[]): K8sWorkload[] {
  const running = pods.filter((p) => p.phase !== 'Succeeded' && p.phase !== 'Failed');
  const owning = new Set(running.map((p) => (p.owner !== undefined ? `${p.namespace}/${p.owner.kind}/${p.owner.name}` : '')));
  return workloads.filter((w) => (w.kind !== 'ReplicaSet' && w.kind !== 'Job') || (w.replicas ?? 0) > 0 || owning.has(`${w.namespace}/${w.kind}/${w.name}`) || w.owner === undefined);
}

const KIND_ORDER = ['Deployment', 'StatefulSet', 'DaemonSet', 'CronJob', 'ReplicaSet', 'Job'];

/** Pods and workloads in a stable order (namespace, kind, name), so two nights' snapshots diff line by line. */
export function sortObjects(pods: K8sPod[], workloads: K8sWorkload[]): void {
  pods.sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name));
  workloads.sort((a, b) => a.namespace.localeCompare(b.namespace) || KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind) || a.name.localeCompare(b.name));
}
