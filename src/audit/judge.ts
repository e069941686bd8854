// Judges an ECS snapshot (live or saved): the same rules engine and policy as `scan`, run over the
// task definitions ECS really uses, with what the tasks run and what the registries serve now.
// Pure: snapshot and policy in, findings out, so `audit ecs` and `audit ecs --from-snapshot` give
// the same answer for the same snapshot.
//
// The unit judged is one (service or standalone task group, container name, declared image): every
// task definition in use by the service (its deployments, its service revisions, its running tasks)
// contributes its containers; tasks and service revisions contribute the digests they run or resolved.
import { canonicalReference } from '../core/parse-reference.js';
import type { InventoryWorkload, LiveAudit } from '../core/inventory.js';
import type { Container, Finding, ImageRef, Location, ScanResult, Workload } from '../core/types.js';
import { assignRoles } from '../extractors/containers.js';
import type { ExtractContext } from '../extractors/types.js';
import { compilePolicy, findException, knownSidecarTest } from '../policy/match.js';
import { policyForPath } from '../policy/merge.js';
import type { Policy } from '../policy/types.js';
import { emptySummary, expiredExceptionFindings, summarise } from '../scan/scan.js';
import { auditIncompleteMessage } from '../rules/audit-incomplete.js';
import { buildSubject, fileFinding, judge, severityFor, toFinding } from '../rules/engine.js';
import { RULES } from '../rules/index.js';
import type { RuleId } from '../rules/index.js';
import type { Rule, RuleContext, Subject } from '../rules/types.js';
import { parseEcrHost } from '../resolve/ecr-host.js';
import type {
  EcsSnapshot,
  SnapshotCluster,
  SnapshotImage,
  SnapshotIncomplete,
  SnapshotServiceRevision,
  SnapshotTask,
  SnapshotTaskDefinition,
} from '../sources/ecs-live.js';
import { liveDigests } from '../core/live-facts.js';
import type { LiveFacts } from '../core/live-facts.js';

/** The rules that read live facts (and `tag-moved`, for `tag@digest` references whose tag moved). */
export const LIVE_RULE_IDS = ['fleet-drift', 'tag-moved-since-deploy', 'version-consistency-disabled', 'running-digest-missing', 'mutable-repository', 'tag-moved'] as const satisfies readonly RuleId[];

export interface JudgeOptions {
  /** Today (`YYYY-MM-DD`) for policy exceptions; default: the snapshot's server date (AWS's clock, not the local one). */
  now?: string;
}

export interface AuditStats {
  accounts: number;
  regions: number;
  clusters: number;
  services: number;
  /** Groups of running tasks started outside any service. */
  taskGroups: number;
  tasks: number;
  /** (workload, container, declared image) references judged. */
  references: number;
  /** Server time of the snapshot (AWS's clock), when known. */
  serverTime?: string;
}

export interface AuditJudgement {
  /** An audit's findings are few (one list per fleet): always an array. */
  result: ScanResult & { findings: Finding[]; live: LiveAudit & { inventory: InventoryWorkload[] } };
  stats: AuditStats;
}

interface Unit {
  kind: 'service' | 'standalone';
  workload: Workload;
  /** `ecs://<account>/<region>/<cluster>/<service or task group>` */
  path: string;
  tdArns: string[];
  tasks: SnapshotTask[];
  revisions: SnapshotServiceRevision[];
}

interface Entry {
  ref: ImageRef;
  versionConsistency?: string;
  tasks: number;
  digests: Map<string, { tasks: number; deployed: boolean }>;
}

const ZERO: Omit<Location, 'path'> = { line: 0, column: 0, endLine: 0, endColumn: 0 };

function lastSegment(arn: string): string {
  const i = arn.lastIndexOf('/');
  return i === -1 ? arn : arn.slice(i + 1);
}

/** `ecs://<account>/<region>/<cluster>`: cluster ARNs carry both. */
function clusterPath(cluster: SnapshotCluster): string {
  return `ecs://${cluster.accountId || 'unknown'}/${cluster.region}/${cluster.name}`;
}

function units(snapshot: EcsSnapshot, cluster: SnapshotCluster): Unit[] {
  const out: Unit[] = [];
  const base = clusterPath(cluster);
  for (const service of cluster.services) {
    const revisions = service.serviceRevisionArns.map((arn) => snapshot.serviceRevisions[arn]).filter((r): r is SnapshotServiceRevision => r !== undefined);
    const primary = service.deployments.filter((d) => d.status === 'PRIMARY');
    const others = service.deployments.filter((d) => d.status !== 'PRIMARY');
    const tdArns = [
      ...primary.map((d) => d.taskDefinition),
      service.taskDefinition,
      ...others.map((d) => d.taskDefinition),
      ...revisions.map((r) => r.taskDefinition),
      ...service.tasks.map((t) => t.taskDefinitionArn),
    ].filter((a): a is string => a !== undefined);
    out.push({
      kind: 'service',
      workload: { kind: 'Service', name: service.name, namespace: cluster.name },
      path: `${base}/${service.name}`,
      tdArns: [...new Set(tdArns)],
      tasks: service.tasks,
      revisions,
    });
  }
  const groups = new Map<string, SnapshotTask[]>();
  for (const task of cluster.standaloneTasks) {
    const group = task.group ?? `task/${lastSegment(task.arn)}`;
    groups.set(group, [...(groups.get(group) ?? []), task]);
  }
  for (const [group, tasks] of [...groups].sort(([a], [b]) => a.localeCompare(b))) {
    out.push({
      kind: 'standalone',
      workload: { kind: 'Task', name: group, namespace: cluster.name },
      path: `${base}/${group}`,
      tdArns: [...new Set(tasks.map((t) => t.taskDefinitionArn).filter((a): a is string => a !== undefined))],
      tasks,
      revisions: [],
    });
  }
  return out;
}

/** What judging needs of one effective policy (the base policy, or it with some overrides applied). */
interface PolicyView {
  policy: Policy;
  ctx: ExtractContext;
  mutableWords: ReadonlySet<string>;
  rolesByTd: Map<string, Container[]>;
}

class Judge {
  private readonly views = new Map<Policy, PolicyView>();

  constructor(
    private readonly snapshot: EcsSnapshot,
    private readonly policy: Policy,
  ) {}

  /** The policy for a workload: overrides whose `paths` match its `ecs://…` path applied. */
  private view(path: string): PolicyView {
    const policy = policyForPath(this.policy, path);
    let view = this.views.get(policy);
    if (view === undefined) {
      view = {
        policy,
        // assignRoles only consults isKnownSidecar; the other fields describe a file, and there is none.
        ctx: { path: '', text: '', lines: undefined as unknown as ExtractContext['lines'], isKnownSidecar: knownSidecarTest(policy) },
        mutableWords: new Set(policy.mutableTags.map((word) => word.toLowerCase())),
        rolesByTd: new Map(),
      };
      this.views.set(policy, view);
    }
    return view;
  }

  private roles(td: SnapshotTaskDefinition, view: PolicyView): Container[] {
    let roles = view.rolesByTd.get(td.arn);
    if (roles === undefined) {
      roles = assignRoles(
        td.containers.map((c) => ({
          ...(c.name !== undefined ? { name: c.name } : {}),
          ...(c.image !== undefined ? { image: c.image } : {}),
          ...(c.essential !== undefined ? { essential: c.essential } : {}),
          ...(c.firelens === true ? { firelens: true } : {}),
        })),
        view.ctx,
      );
      view.rolesByTd.set(td.arn, roles);
    }
    return roles;
  }

  /** One entry per (container name, declared image) of a unit. */
  entries(unit: Unit, view: PolicyView): Entry[] {
    const entries = new Map<string, Entry>();
    const key = (name: string, image: string) => `${name}\u0000${image}`;
    const td = (arn: string | undefined) => (arn === undefined ? undefined : this.snapshot.taskDefinitions[arn]);
    const declared = (arn: string | undefined, name: string | undefined, fallback: string | undefined) =>
      td(arn)?.containers.find((c) => c.name === name)?.image ?? fallback;
    const add = (name: string, image: string, container: Container, versionConsistency: string | undefined): Entry => {
      let entry = entries.get(key(name, image));
      if (entry === undefined) {
        entry = {
          ref: {
            raw: image,
            format: 'ecs-task-definition',
            location: { path: `${unit.path}#${name}`, ...ZERO },
            range: { start: 0, end: 0 },
            style: 'json',
            workload: unit.workload,
            container,
          },
          tasks: 0,
          digests: new Map(),
          ...(versionConsistency !== undefined ? { versionConsistency } : {}),
        };
        entries.set(key(name, image), entry);
      } else if (entry.versionConsistency === undefined && versionConsistency !== undefined) {
        entry.versionConsistency = versionConsistency;
      }
      return entry;
    };
    for (const arn of unit.tdArns) {
      const definition = td(arn);
      if (definition === undefined) continue;
      const roles = this.roles(definition, view);
      definition.containers.forEach((c, i) => {
        const role = roles[i];
        if (c.image === undefined || role === undefined) return;
        add(c.name ?? `container-${i + 1}`, c.image, role, c.versionConsistency);
      });
    }
    const digest = (entry: Entry, value: string) => {
      let d = entry.digests.get(value);
      if (d === undefined) entry.digests.set(value, (d = { tasks: 0, deployed: false }));
      return d;
    };
    for (const task of unit.tasks) {
      // A task whose task definition could not be read still counts, as an app container.
      const fallbackRoles = td(task.taskDefinitionArn) === undefined ? assignRoles(task.containers.map((c) => ({ ...(c.name !== undefined ? { name: c.name } : {}), ...(c.image !== undefined ? { image: c.image } : {}) })), view.ctx) : undefined;
      task.containers.forEach((c, i) => {
        const image = declared(task.taskDefinitionArn, c.name, c.image);
        if (image === undefined || c.name === undefined) return;
        const entry = entries.get(key(c.name, image)) ?? (fallbackRoles?.[i] !== undefined ? add(c.name, image, fallbackRoles[i], undefined) : undefined);
        if (entry === undefined) return;
        entry.tasks += 1;
        if (c.imageDigest !== undefined) digest(entry, c.imageDigest).tasks += 1;
      });
    }
    for (const revision of unit.revisions) {
      for (const ci of revision.containerImages) {
        const image = declared(revision.taskDefinition, ci.containerName, ci.image);
        if (image === undefined || ci.containerName === undefined || ci.imageDigest === undefined) continue;
        const entry = entries.get(key(ci.containerName, image));
        if (entry !== undefined) digest(entry, ci.imageDigest).deployed = true;
      }
    }
    return [...entries.values()];
  }

  live(unit: Unit, entry: Entry, subject: Subject): LiveFacts {
    const parsed = subject.parsed;
    const facts: SnapshotImage | undefined = parsed !== undefined && subject.unresolvable === undefined ? this.snapshot.images?.[canonicalReference(parsed)] : undefined;
    const digests = liveDigests(entry.digests, facts, parsed?.digest);
    const live: LiveFacts = { unit: unit.kind, tasks: entry.tasks, digests };
    if (entry.versionConsistency !== undefined) live.versionConsistency = entry.versionConsistency;
    if (facts !== undefined && facts.failure === undefined) {
      live.registry = {
        ...(facts.current !== undefined ? { current: facts.current } : {}),
        ...(facts.tagMissing === true ? { tagMissing: true } : {}),
        ...(facts.checkedAt !== undefined ? { checkedAt: facts.checkedAt } : {}),
      };
    }
    const host = parsed !== undefined ? parseEcrHost(parsed.registry) : undefined;
    if (host !== undefined && parsed !== undefined) {
      const repo = this.snapshot.repositories.find((r) => r.registryId === host.account && r.region === host.region && r.name === parsed.repository);
      if (repo !== undefined) {
        live.repository = {
          registryId: repo.registryId,
          region: repo.region,
          name: repo.name,
          ...(repo.imageTagMutability !== undefined ? { imageTagMutability: repo.imageTagMutability } : {}),
          exclusionFilters: repo.exclusionFilters,
          found: repo.found,
        };
      }
    }
    // `tag@digest` in the task definition: the stale-pin rule of `scan --resolve` applies as is.
    if (parsed?.tag !== undefined && parsed.digest !== undefined && facts?.current !== undefined) {
      const pinned = facts.digests[parsed.digest]?.versionTag;
      subject.resolution = { current: facts.current, ...(pinned !== undefined ? { pinnedVersionTag: pinned } : {}) };
    }
    return live;
  }

  run(now: string): { findings: Finding[]; refs: number; stats: Omit<AuditStats, 'references' | 'serverTime'>; inventory: InventoryWorkload[] } {
    const findings: Finding[] = [];
    const inventory: InventoryWorkload[] = [];
    let refs = 0;
    let services = 0;
    let taskGroups = 0;
    let tasks = 0;
    for (const cluster of this.snapshot.clusters) {
      for (const unit of units(this.snapshot, cluster)) {
        if (unit.kind === 'service') services += 1;
        else taskGroups += 1;
        tasks += unit.tasks.length;
        const view = this.view(unit.path);
        const subjects: Subject[] = [];
        for (const entry of this.entries(unit, view)) {
          const subject = buildSubject(entry.ref, view.mutableWords);
          subject.live = this.live(unit, entry, subject);
          subjects.push(subject);
        }
        refs += subjects.length;
        const found = judge(
          subjects.map((s) => s.ref),
          view.policy,
        );
        const context: RuleContext = { policy: view.policy, compiled: compilePolicy(view.policy) };
        for (const subject of subjects) {
          for (const id of LIVE_RULE_IDS) {
            const rule = RULES[id] as Rule;
            const severity = severityFor(view.policy, rule, subject.ref.container.role);
            if (severity === 'off') continue;
            const report = rule.check?.(subject, context);
            if (report !== undefined) found.push(toFinding(rule, severity, report, subject));
          }
        }
        const exceptions = view.policy.exceptions;
        const kept = found.filter((finding) => exceptions.length === 0 || findException(exceptions, finding, finding.location.path, now) === undefined);
        for (const item of kept) findings.push(item);
        inventory.push(inventoryOf(unit, subjects, kept));
      }
    }
    for (const entry of this.snapshot.incomplete) {
      const path = incompleteLocation(entry, this.snapshot);
      const view = this.view(path);
      const finding = fileFinding('audit-incomplete', view.policy, auditIncompleteMessage(entry), { path, ...ZERO });
      if (finding !== undefined && findException(view.policy.exceptions, finding, path, now) === undefined) findings.push(finding);
    }
    for (const finding of expiredExceptionFindings(this.policy, now)) findings.push(finding);
    const accounts = new Set([...(this.snapshot.accounts ?? []).map((a) => a.accountId), ...this.snapshot.clusters.map((c) => c.accountId)]);
    return {
      findings,
      refs,
      stats: { accounts: accounts.size, regions: this.snapshot.scope.regions.length, clusters: this.snapshot.clusters.length, services, taskGroups, tasks },
      inventory,
    };
  }
}

/** What runs in a unit, per container and declared image, with the rules reported on each (for the HTML grid and deploy-level diffs). */
function inventoryOf(unit: Unit, subjects: Subject[], kept: Finding[]): InventoryWorkload {
  return {
    location: unit.path,
    workload: unit.workload,
    tasks: unit.tasks.length,
    containers: subjects.map((subject) => {
      const { ref, parsed, live } = subject;
      const rules = kept.filter((f) => f.location.path === ref.location.path && f.image?.raw === ref.raw).map((f) => f.ruleId);
      const current = live?.registry?.current;
      return {
        name: ref.container.name ?? '',
        role: ref.container.role,
        image: ref.raw,
        ...(parsed !== undefined && subject.unresolvable === undefined ? { repository: `${parsed.registry}/${parsed.repository}` } : {}),
        digests: (live?.digests ?? []).map((d) => ({ digest: d.digest, tasks: d.tasks, ...(d.versionTag !== undefined ? { versionTag: d.versionTag } : {}), ...(d.exists !== undefined ? { exists: d.exists } : {}) })),
        ...(current !== undefined ? { current: { digest: current.digest, ...(current.versionTag !== undefined ? { versionTag: current.versionTag } : {}) } } : {}),
        rules: [...new Set(rules)],
      };
    }),
  };
}

function count(n: number, word: string): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? word : `${word}s`}`;
}

/** The end of an audit's summary line: what was audited, and as of when. */
export function auditScope(stats: AuditStats): string {
  const groups = stats.taskGroups > 0 ? `, ${count(stats.taskGroups, 'standalone task group')}` : '';
  const where = `${count(stats.clusters, 'cluster')}, ${count(stats.regions, 'region')}, ${count(stats.accounts, 'account')}`;
  const when = stats.serverTime !== undefined ? `, as of ${stats.serverTime} (AWS time)` : '';
  return `${count(stats.tasks, 'task')}, ${count(stats.references, 'image reference')}${groups} across ${where}${when}`;
}

/** The account an incomplete entry belongs to: its own, the only audited one, or the one its region's clusters have. */
function accountFor(entry: SnapshotIncomplete, snapshot: EcsSnapshot): string {
  if (entry.accountId !== undefined) return entry.accountId;
  const accounts = [...new Set((snapshot.accounts ?? []).map((a) => a.accountId))];
  if (accounts.length === 1) return accounts[0]!;
  return snapshot.clusters.find((c) => c.region === entry.region)?.accountId || 'unknown';
}

/** Where an incomplete scope is reported: `ecs://<account>[/<region>[/<cluster>…]]`, `ecr://…` for registries. */
export function incompleteLocation(entry: SnapshotIncomplete, snapshot: EcsSnapshot): string {
  const arn = /^arn:[^:]+:ecs:([^:]*):(\d*):([^/]+)\/(.+)$/.exec(entry.id);
  if (arn !== null) {
    const [, region, account, kind, rest] = arn as unknown as [string, string, string, string, string];
    if (kind === 'cluster') return `ecs://${account}/${region}/${rest}`;
    if (kind === 'service') return `ecs://${account}/${region}/${rest}`;
    if (kind === 'task-definition') return `ecs://${account}/${region}/task-definition/${rest}`;
    if (kind === 'service-revision') return `ecs://${account}/${region}/${rest.split('/').slice(0, 2).join('/')}`;
    return `ecs://${account}/${region}/${kind}/${rest}`;
  }
  switch (entry.scope) {
    case 'account':
      return `ecs://${entry.id}`;
    case 'region':
    case 'service-revisions':
      return `ecs://${accountFor(entry, snapshot)}/${entry.region ?? entry.id}`;
    case 'ecr-registry':
      return `ecr://${entry.id}`;
    case 'registry': {
      const slash = entry.id.indexOf('/');
      const host = parseEcrHost(slash === -1 ? entry.id : entry.id.slice(0, slash));
      return host !== undefined ? `ecr://${host.account}/${host.region}/${entry.id.slice(slash + 1)}` : `oci://${entry.id}`;
    }
    default:
      return `ecs://${accountFor(entry, snapshot)}/${entry.region ?? 'unknown'}/${entry.id}`;
  }
}

const RULE_ORDER = new Map(Object.keys(RULES).map((id, i) => [id, i]));

export function sortFindings(findings: Finding[]): Finding[] {
  return findings.sort(
    (a, b) =>
      a.location.path.localeCompare(b.location.path) ||
      (RULE_ORDER.get(a.ruleId) ?? 99) - (RULE_ORDER.get(b.ruleId) ?? 99) ||
      (a.image?.raw ?? '').localeCompare(b.image?.raw ?? '') ||
      a.message.localeCompare(b.message),
  );
}

/** The date exceptions are judged on: the server's, when the snapshot has it. */
export function snapshotDate(snapshot: EcsSnapshot): string {
  return (snapshot.serverTime ?? snapshot.finishedAt ?? snapshot.startedAt).slice(0, 10);
}

/** Every finding of a snapshot under a policy, exceptions applied, sorted by location. */
export function judgeSnapshot(snapshot: EcsSnapshot, policy: Policy, options: JudgeOptions = {}): Finding[] {
  return auditResult(snapshot, policy, options).result.findings;
}

/** The snapshot judged into the ScanResult every reporter reads, with the figures of the audit. */
export function auditResult(snapshot: EcsSnapshot, policy: Policy, options: JudgeOptions = {}): AuditJudgement {
  const now = options.now ?? snapshotDate(snapshot);
  const { findings: kept, refs, stats, inventory } = new Judge(snapshot, policy).run(now);
  const errors = snapshot.incomplete.map((entry) => `${incompleteLocation(entry, snapshot)}: not audited: ${entry.code} on ${entry.operation}`);
  const all: AuditStats = { ...stats, references: refs, ...(snapshot.serverTime !== undefined ? { serverTime: snapshot.serverTime } : {}) };
  return {
    result: {
      findings: sortFindings(kept),
      skipped: [],
      errors: [...new Set(errors)],
      summary: summarise(kept, { ...emptySummary(), refsFound: refs }),
      live: {
        source: 'ecs',
        ...(snapshot.serverTime !== undefined ? { asOf: snapshot.serverTime } : {}),
        unit: 'service',
        workloads: stats.services + stats.taskGroups,
        scope: auditScope(all),
        inventory,
      },
    },
    stats: all,
  };
}
