// Judges a Kubernetes snapshot (live, from kubectl's output, or saved): the same rules engine and
// policy as `scan` and `audit ecs`, run over the pod templates and pods of each workload, with the
// digests its pods really run and (with --resolve) what the registries serve now. Pure: snapshot
// and policy in, findings out, so a snapshot judged again gives the same answer.
//
// The unit judged is one workload: the top of each pod's owner chain (Pod → ReplicaSet →
// Deployment, Pod → Job → CronJob, StatefulSet, DaemonSet), an owner that was not listed, or a bare
// pod. Its references are one per (container name, declared image): the workload's template, the
// templates of its ReplicaSets or Jobs that have pods (a rollout in progress), and containers its
// pods have that no template declares (injected at admission, e.g. istio-proxy: judged as sidecars).
import { canonicalReference } from '../../core/parse-reference.js';
import type { Container, Finding, ImageRef, Location, ScanResult, Workload } from '../../core/types.js';
import { assignRoles } from '../../extractors/containers.js';
import type { ContainerInfo } from '../../extractors/containers.js';
import type { ExtractContext } from '../../extractors/types.js';
import { compilePolicy, findException, knownSidecarTest } from '../../policy/match.js';
import { policyForPath } from '../../policy/merge.js';
import type { Policy } from '../../policy/types.js';
import { k8sAuditIncompleteMessage } from '../../rules/audit-incomplete.js';
import { buildSubject, fileFinding, judge, severityFor, toFinding } from '../../rules/engine.js';
import { RULES } from '../../rules/index.js';
import type { RuleId } from '../../rules/index.js';
import type { Rule, RuleContext, Subject } from '../../rules/types.js';
import { emptySummary, expiredExceptionFindings, summarise } from '../../scan/scan.js';
import { isWorkloadKind } from '../../sources/k8s/objects.js';
import { K8S_KINDS } from '../../sources/k8s/snapshot.js';
import type { K8sContainerSpec, K8sIncomplete, K8sPod, K8sSnapshot, K8sWorkload } from '../../sources/k8s/snapshot.js';
import { sortFindings } from '../judge.js';
import { liveDigests } from '../../core/live-facts.js';
import type { LiveFacts } from '../../core/live-facts.js';

/** The rules that read live facts in a cluster (and `tag-moved`, for `tag@digest` references whose tag moved). */
export const K8S_LIVE_RULE_IDS = ['fleet-drift', 'tag-moved-since-deploy', 'running-digest-missing', 'pull-policy-always-floating', 'tag-moved'] as const satisfies readonly RuleId[];

export interface K8sAuditStats {
  context: string;
  namespaces: number;
  workloads: number;
  /** Pods not finished (phase other than Succeeded and Failed): the ones judged. */
  pods: number;
  /** (workload, container, declared image) references judged. */
  references: number;
  /** Pod containers that report only a local image id (not comparable with a registry digest). */
  localImageIds: number;
  serverTime?: string;
}

export interface K8sAuditJudgement {
  result: ScanResult & { findings: Finding[] };
  stats: K8sAuditStats;
}

interface Unit {
  kind: 'service' | 'standalone';
  workload: Workload;
  /** `k8s://<context>/<namespace>/<kind>/<name>` */
  path: string;
  /** Pod templates: the workload's own first, then those of its ReplicaSets or Jobs with pods. */
  templates: K8sContainerSpec[][];
  pods: K8sPod[];
}

interface Entry {
  ref: ImageRef;
  pullPolicy?: string;
  pods: number;
  localImageIds: number;
  digests: Map<string, { tasks: number; deployed: boolean }>;
}

const ZERO: Omit<Location, 'path'> = { line: 0, column: 0, endLine: 0, endColumn: 0 };
const FINISHED = new Set(['Succeeded', 'Failed']);

/** `k8s://<context>/<namespace>/<kind>/<name>`: every part percent-encoded where it would break the path. */
export function k8sPath(context: string, namespace: string, kind?: string, name?: string): string {
  const part = (s: string) => s.replace(/[%/#?\s]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
  return `k8s://${[context, namespace, kind, name].filter((p): p is string => p !== undefined).map(part).join('/')}`;
}

const infoOf = (c: K8sContainerSpec): ContainerInfo => ({
  name: c.name,
  ...(c.image !== undefined ? { image: c.image } : {}),
  ...(c.list === 'init' ? (c.restartPolicy === 'Always' ? { nativeSidecar: true } : { init: true }) : {}),
  ...(c.list === 'ephemeral' ? { ephemeral: true } : {}),
});

/** Groups pods under their workloads (see the top of this file). */
export function k8sUnits(snapshot: K8sSnapshot): Unit[] {
  const key = (namespace: string, kind: string, name: string) => `${namespace}\u0000${kind}\u0000${name}`;
  const byKey = new Map<string, K8sWorkload>();
  for (const w of snapshot.workloads) byKey.set(key(w.namespace, w.kind, w.name), w);
  /** The top of an owner chain (at most 4 steps: nothing in Kubernetes nests deeper; a cycle stops). */
  const top = (namespace: string, kind: string, name: string): { kind: string; name: string } => {
    let at = { kind, name };
    for (let i = 0; i < 4; i++) {
      const owner = byKey.get(key(namespace, at.kind, at.name))?.owner;
      if (owner === undefined || !isWorkloadKind(owner.kind) || !byKey.has(key(namespace, owner.kind, owner.name))) break;
      at = { kind: owner.kind, name: owner.name };
    }
    return at;
  };
  const units = new Map<string, Unit>();
  const unitFor = (namespace: string, kind: string, name: string, standalone = false): Unit => {
    const k = key(namespace, kind, name);
    let unit = units.get(k);
    if (unit === undefined) {
      const own = byKey.get(k);
      unit = {
        kind: standalone ? 'standalone' : 'service',
        workload: { kind, name, namespace },
        path: k8sPath(snapshot.context, namespace, kind, name),
        templates: own !== undefined ? [own.containers] : [],
        pods: [],
      };
      units.set(k, unit);
    }
    return unit;
  };
  // Workloads first, tops before the ReplicaSets and Jobs they own (which add their templates only when in use).
  for (const w of snapshot.workloads) {
    const t = top(w.namespace, w.kind, w.name);
    if (t.kind === w.kind && t.name === w.name) unitFor(w.namespace, w.kind, w.name);
  }
  const owningPods = new Set(snapshot.pods.filter((p) => !FINISHED.has(p.phase ?? '') && p.owner !== undefined).map((p) => key(p.namespace, p.owner!.kind, p.owner!.name)));
  for (const w of snapshot.workloads) {
    const t = top(w.namespace, w.kind, w.name);
    if (t.kind === w.kind && t.name === w.name) continue;
    if ((w.replicas ?? 0) > 0 || owningPods.has(key(w.namespace, w.kind, w.name))) unitFor(w.namespace, t.kind, t.name).templates.push(w.containers);
  }
  for (const pod of snapshot.pods) {
    if (FINISHED.has(pod.phase ?? '')) continue;
    const owner = pod.owner;
    // A static (mirror) pod is owned by its Node: it is a workload of its own.
    if (owner === undefined || owner.kind === 'Node') {
      const unit = unitFor(pod.namespace, 'Pod', pod.name, true);
      if (unit.templates.length === 0) unit.templates.push(pod.containers);
      unit.pods.push(pod);
      continue;
    }
    const t = top(pod.namespace, owner.kind, owner.name);
    unitFor(pod.namespace, t.kind, t.name).pods.push(pod);
  }
  return [...units.values()].sort((a, b) => a.path.localeCompare(b.path));
}

interface PolicyView {
  policy: Policy;
  ctx: ExtractContext;
  mutableWords: ReadonlySet<string>;
}

class K8sJudge {
  private readonly views = new Map<Policy, PolicyView>();

  constructor(
    private readonly snapshot: K8sSnapshot,
    private readonly policy: Policy,
  ) {}

  private view(path: string): PolicyView {
    const policy = policyForPath(this.policy, path);
    let view = this.views.get(policy);
    if (view === undefined) {
      view = {
        policy,
        // assignRoles only consults isKnownSidecar; the other fields describe a file, and there is none.
        ctx: { path: '', text: '', lines: undefined as unknown as ExtractContext['lines'], isKnownSidecar: knownSidecarTest(policy) },
        mutableWords: new Set(policy.mutableTags.map((word) => word.toLowerCase())),
      };
      this.views.set(policy, view);
    }
    return view;
  }

  /** One entry per (container name, declared image) of a unit. */
  entries(unit: Unit, view: PolicyView): Entry[] {
    const entries = new Map<string, Entry>();
    const key = (name: string, image: string) => `${name}\u0000${image}`;
    const add = (spec: K8sContainerSpec, container: Container): Entry | undefined => {
      if (spec.image === undefined) return undefined;
      let entry = entries.get(key(spec.name, spec.image));
      if (entry === undefined) {
        entry = {
          ref: {
            raw: spec.image,
            format: 'kubernetes',
            location: { path: `${unit.path}#${spec.name}`, ...ZERO },
            range: { start: 0, end: 0 },
            style: 'json',
            workload: unit.workload,
            container,
          },
          pods: 0,
          localImageIds: 0,
          digests: new Map(),
          ...(spec.imagePullPolicy !== undefined ? { pullPolicy: spec.imagePullPolicy } : {}),
        };
        entries.set(key(spec.name, spec.image), entry);
      } else if (entry.pullPolicy === undefined && spec.imagePullPolicy !== undefined) entry.pullPolicy = spec.imagePullPolicy;
      return entry;
    };
    // The role of each container name (per list: an init and a regular container may share a name), from the templates.
    const roles = new Map<string, Container>();
    const listKey = (c: K8sContainerSpec) => `${c.list ?? ''}/${c.name}`;
    for (const template of unit.templates) {
      const assigned = assignRoles(template.map(infoOf), view.ctx);
      template.forEach((c, i) => {
        const role = assigned[i];
        if (role === undefined) return;
        if (!roles.has(listKey(c))) roles.set(listKey(c), role);
        add(c, roles.get(listKey(c))!);
      });
    }
    for (const pod of unit.pods) {
      let podRoles: Container[] | undefined;
      pod.containers.forEach((c, i) => {
        if (c.image === undefined) return;
        let role = roles.get(listKey(c));
        if (role === undefined) {
          if (unit.templates.length > 0 && c.list !== 'ephemeral') {
            // Not in any template: a mutating admission webhook (Istio, Linkerd, Vault, …) added it.
            role =
              c.list === 'init' && c.restartPolicy !== 'Always'
                ? { name: c.name, role: 'init', roleReason: 'injected at admission' }
                : { name: c.name, role: 'sidecar', roleReason: 'injected at admission' };
          } else {
            podRoles ??= assignRoles(pod.containers.map(infoOf), view.ctx);
            role = podRoles[i];
          }
          if (role === undefined) return;
          roles.set(listKey(c), role);
        }
        const entry = add(c, role);
        if (entry === undefined) return;
        entry.pods += 1;
        if (c.digest !== undefined) {
          const d = entry.digests.get(c.digest) ?? { tasks: 0, deployed: false };
          d.tasks += 1;
          entry.digests.set(c.digest, d);
        } else if (c.localImageId === true) entry.localImageIds += 1;
      });
    }
    return [...entries.values()];
  }

  live(unit: Unit, entry: Entry, subject: Subject): LiveFacts {
    const parsed = subject.parsed;
    const facts = parsed !== undefined && subject.unresolvable === undefined ? this.snapshot.images?.[canonicalReference(parsed)] : undefined;
    const live: LiveFacts = { unit: unit.kind, platform: 'kubernetes', tasks: entry.pods, digests: liveDigests(entry.digests, facts, parsed?.digest) };
    if (entry.pullPolicy !== undefined) live.pullPolicy = entry.pullPolicy;
    if (entry.localImageIds > 0) live.localImageIds = entry.localImageIds;
    if (facts !== undefined && facts.failure === undefined) {
      live.registry = {
        ...(facts.current !== undefined ? { current: facts.current } : {}),
        ...(facts.tagMissing === true ? { tagMissing: true } : {}),
        ...(facts.checkedAt !== undefined ? { checkedAt: facts.checkedAt } : {}),
      };
    }
    // `tag@digest` in the spec: the stale-pin rule of `scan --resolve` applies as is.
    if (parsed?.tag !== undefined && parsed.digest !== undefined && facts?.current !== undefined) {
      const pinned = facts.digests[parsed.digest]?.versionTag;
      subject.resolution = { current: facts.current, ...(pinned !== undefined ? { pinnedVersionTag: pinned } : {}) };
    }
    return live;
  }

  run(now: string): { findings: Finding[]; stats: Omit<K8sAuditStats, 'serverTime' | 'context'> } {
    const findings: Finding[] = [];
    let references = 0;
    let pods = 0;
    let localImageIds = 0;
    const units = k8sUnits(this.snapshot);
    for (const unit of units) {
      pods += unit.pods.length;
      const view = this.view(unit.path);
      const subjects: Subject[] = [];
      for (const entry of this.entries(unit, view)) {
        const subject = buildSubject(entry.ref, view.mutableWords);
        subject.live = this.live(unit, entry, subject);
        localImageIds += entry.localImageIds;
        subjects.push(subject);
      }
      references += subjects.length;
      const found = judge(
        subjects.map((s) => s.ref),
        view.policy,
      );
      const context: RuleContext = { policy: view.policy, compiled: compilePolicy(view.policy) };
      for (const subject of subjects) {
        for (const id of K8S_LIVE_RULE_IDS) {
          const rule = RULES[id] as Rule;
          const severity = severityFor(view.policy, rule, subject.ref.container.role);
          if (severity === 'off') continue;
          const report = rule.check?.(subject, context);
          if (report !== undefined) found.push(toFinding(rule, severity, report, subject));
        }
      }
      const exceptions = view.policy.exceptions;
      for (const finding of found) if (exceptions.length === 0 || findException(exceptions, finding, finding.location.path, now) === undefined) findings.push(finding);
    }
    for (const { path, entries, allKinds } of groupIncomplete(this.snapshot)) {
      const view = this.view(path);
      const finding = fileFinding('audit-incomplete', view.policy, k8sAuditIncompleteMessage(entries, allKinds), { path, ...ZERO });
      if (finding !== undefined && findException(view.policy.exceptions, finding, path, now) === undefined) findings.push(finding);
    }
    findings.push(...expiredExceptionFindings(this.policy, now));
    const namespaces = new Set(units.map((u) => u.workload.namespace));
    return { findings, stats: { namespaces: namespaces.size, workloads: units.length, pods, references, localImageIds } };
  }
}

/**
 * The snapshot's incomplete entries as reported: the failed lists of one namespace (or, with -A,
 * of the cluster) with the same code together, at `k8s://<context>/<namespace>` when every kind
 * failed, else one finding per kind at `k8s://<context>/<namespace>/<Kind>`; registries at `oci://…`.
 */
export function groupIncomplete(snapshot: K8sSnapshot): Array<{ path: string; entries: K8sIncomplete[]; allKinds: boolean }> {
  const out: Array<{ path: string; entries: K8sIncomplete[]; allKinds: boolean }> = [];
  const byScope = new Map<string, K8sIncomplete[]>();
  for (const entry of snapshot.incomplete) {
    if (entry.scope === 'registry') {
      out.push({ path: `oci://${entry.id ?? 'unknown'}`, entries: [entry], allKinds: false });
      continue;
    }
    const k = `${entry.namespace ?? '*'}\u0000${entry.code}`;
    byScope.set(k, [...(byScope.get(k) ?? []), entry]);
  }
  for (const entries of byScope.values()) {
    const namespace = entries[0]!.namespace ?? '*';
    const kinds = new Set(entries.map((e) => e.kind));
    if (K8S_KINDS.every((k) => kinds.has(k.kind))) {
      out.push({ path: namespace === '*' ? k8sPath(snapshot.context, '*').replace(/\/\*$/, '') : k8sPath(snapshot.context, namespace), entries, allKinds: true });
    } else {
      for (const entry of entries) out.push({ path: k8sPath(snapshot.context, namespace, entry.kind), entries: [entry], allKinds: false });
    }
  }
  return out;
}

/** The date exceptions are judged on: the API server's, when the snapshot has it. */
export function k8sSnapshotDate(snapshot: K8sSnapshot): string {
  return (snapshot.serverTime ?? snapshot.finishedAt ?? snapshot.startedAt).slice(0, 10);
}

/** The snapshot judged into the ScanResult every reporter reads, with the figures of the audit. */
export function k8sAuditResult(snapshot: K8sSnapshot, policy: Policy, options: { now?: string } = {}): K8sAuditJudgement {
  const now = options.now ?? k8sSnapshotDate(snapshot);
  const { findings, stats } = new K8sJudge(snapshot, policy).run(now);
  const errors = groupIncomplete(snapshot).map(({ path, entries }) => `${path}: not audited: ${entries[0]!.code} on ${entries.map((e) => e.operation).join(', ')}`);
  return {
    result: {
      findings: sortFindings(findings),
      skipped: [],
      errors: [...new Set(errors)],
      summary: summarise(findings, { ...emptySummary(), refsFound: stats.references }),
    },
    stats: { ...stats, context: snapshot.context, ...(snapshot.serverTime !== undefined ? { serverTime: snapshot.serverTime } : {}) },
  };
}
