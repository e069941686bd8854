// Reading an earlier result back: a JSON report (`--format json`, schema imagedrift.scan/v1), a
// SARIF log (`--format sarif`), or an ECS snapshot (`audit ecs --snapshot`, judged again under
// today's policy). Each becomes a ScanResult whose findings carry their identities, so `--baseline`
// and `imagedrift diff` can compare it with another. Large files are streamed: memory is bounded by
// one finding (or one cluster), and findings beyond a few thousand wait in a temporary file.
import { closeSync, openSync, readSync } from 'node:fs';
import { judgeSnapshotFile } from '../audit/snapshot-file.js';
import { FindingIdentities, IDENTITY_VERSION } from '../core/identity.js';
import { parseReference } from '../core/parse-reference.js';
import { compactWorkload } from '../core/inventory.js';
import type { InventoryWorkload, LiveAudit } from '../core/inventory.js';
import type { Finding, ScanResult, Severity, Skipped, Summary } from '../core/types.js';
import type { Policy } from '../policy/types.js';
import { JSON_SCHEMA_ID } from '../report/json.js';
import { FLEET_READ_CHUNK, FLEET_SPILL_LIMIT } from '../audit/snapshot-file.js';
import { FindingStore } from '../scan/finding-store.js';
import { emptySummary, summarise } from '../scan/scan.js';
import { SNAPSHOT_SCHEMA } from '../sources/ecs-live.js';
import { streamJsonFile } from '../sources/json-stream.js';

export class BaselineError extends Error {
  override readonly name = 'BaselineError';
}

export type ResultKind = 'report' | 'sarif' | 'snapshot';

export interface ReadResult {
  file: string;
  kind: ResultKind;
  /** Findings with `identity` set. */
  result: ScanResult;
  /** When it was observed (a live audit's server time), when it says. */
  asOf?: string;
}

export interface ReadOptions {
  /** The policy a snapshot is judged under. */
  policy: Policy;
  /** Maps a reported file path to the repository-relative one, for findings written without an identity (reports of older versions). */
  relativePath?: (path: string) => string;
  /** Today, for a snapshot's exceptions (default: the snapshot's own date). */
  now?: string;
}

/** What kind of document a file holds, from its first few kilobytes. */
export function sniffKind(file: string): ResultKind {
  let head: string;
  try {
    const fd = openSync(file, 'r');
    try {
      const buffer = Buffer.alloc(8192);
      const read = readSync(fd, buffer, 0, buffer.length, 0);
      head = buffer.toString('utf8', 0, read);
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new BaselineError(`${file}: cannot read: ${code === 'ENOENT' ? 'no such file' : (code ?? String(err))}`);
  }
  const schema = /"schema"\s*:\s*"([^"]*)"/.exec(head)?.[1];
  if (schema === JSON_SCHEMA_ID) return 'report';
  if (schema === SNAPSHOT_SCHEMA) return 'snapshot';
  if (/"\$schema"\s*:\s*"[^"]*sarif[^"]*"/i.test(head) || (/"version"\s*:\s*"2\.1\.0"/.test(head) && /"runs"\s*:/.test(head))) return 'sarif';
  throw new BaselineError(`${file}: not an imagedrift JSON report (${JSON_SCHEMA_ID}), a SARIF log or an ECS snapshot (${SNAPSHOT_SCHEMA})`);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const SEVERITY = new Set<Severity>(['error', 'warning', 'note']);

function asFinding(value: unknown): Finding | undefined {
  if (!isObject(value) || typeof value.ruleId !== 'string' || !SEVERITY.has(value.severity as Severity) || typeof value.message !== 'string' || !isObject(value.location)) return undefined;
  const location = value.location;
  if (typeof location.path !== 'string') return undefined;
  return value as unknown as Finding;
}

/** A JSON report, streamed. */
function readReport(file: string, options: ReadOptions): ReadResult {
  const store = new FindingStore(FLEET_SPILL_LIMIT, FLEET_READ_CHUNK);
  const identities = new FindingIdentities(options.relativePath);
  const inventory: InventoryWorkload[] = [];
  const strings = new Map<string, string>();
  let bad = 0;
  let top: Record<string, unknown>;
  try {
    top = streamJsonFile(file, {
      split: [['findings'], ['live', 'inventory']],
      onItem: (path, _key, value) => {
        if (path === 'live.inventory') {
          if (isObject(value) && typeof value.location === 'string' && Array.isArray(value.containers)) inventory.push(compactWorkload(value as unknown as InventoryWorkload, strings));
          return;
        }
        const finding = asFinding(value);
        if (finding === undefined) {
          bad += 1;
          return;
        }
        // Identities are counted in report order: computed ones too, so a report of an older version compares.
        const computed = identities.next(finding);
        store.push(typeof finding.identity === 'string' && /^[0-9a-f]{32}$/.test(finding.identity) ? finding : { ...finding, identity: computed });
      },
    });
  } catch (err) {
    store.close();
    throw new BaselineError(`${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (bad > 0) {
    store.close();
    throw new BaselineError(`${file}: ${bad} finding${bad === 1 ? ' is' : 's are'} not findings of an imagedrift report (ruleId, severity, message, location)`);
  }
  const findings = store.result();
  const summary = isObject(top.summary) ? (top.summary as unknown as Summary) : summarise(findings, emptySummary());
  const liveTop = isObject(top.live) ? top.live : undefined;
  let live: LiveAudit | undefined;
  if (liveTop !== undefined) {
    live = {
      source: String(liveTop.source ?? 'ecs'),
      ...(typeof liveTop.asOf === 'string' ? { asOf: liveTop.asOf } : {}),
      unit: String(liveTop.unit ?? 'service'),
      workloads: typeof liveTop.workloads === 'number' ? liveTop.workloads : inventory.length,
      scope: String(liveTop.scope ?? ''),
      inventory,
    };
  }
  const result: ScanResult = {
    findings,
    skipped: Array.isArray(top.skipped) ? (top.skipped as Skipped[]) : [],
    errors: Array.isArray(top.errors) ? (top.errors as unknown[]).map(String) : [],
    summary,
    ...(live !== undefined ? { live } : {}),
  };
  return { file, kind: 'report', result, ...(live?.asOf !== undefined ? { asOf: live.asOf } : {}) };
}

const LEVEL: Record<string, Severity> = { error: 'error', warning: 'warning', note: 'note', none: 'note' };

/** A SARIF result back as a finding: what imagedrift wrote into it (rule, level, message, place, properties, fingerprint). */
function sarifFinding(value: unknown): Finding | undefined {
  if (!isObject(value) || typeof value.ruleId !== 'string') return undefined;
  const message = isObject(value.message) && typeof value.message.text === 'string' ? value.message.text : '';
  const physical = Array.isArray(value.locations) && isObject(value.locations[0]) && isObject(value.locations[0].physicalLocation) ? value.locations[0].physicalLocation : undefined;
  const artifact = physical !== undefined && isObject(physical.artifactLocation) ? physical.artifactLocation : undefined;
  const uri = typeof artifact?.uri === 'string' ? artifact.uri : '';
  let path = uri;
  if (uri.startsWith('file://')) path = decodeURIComponent(new URL(uri).pathname);
  else if (/^[a-z][a-z0-9+.-]*:\/\//.test(uri)) path = decodeURI(uri);
  else path = uri.split('/').map(decodeURIComponent).join('/');
  const region = physical !== undefined && isObject(physical.region) ? physical.region : undefined;
  const num = (v: unknown) => (typeof v === 'number' ? v : 0);
  const props = isObject(value.properties) ? value.properties : {};
  const finding: Finding = {
    ruleId: value.ruleId,
    severity: LEVEL[String(value.level ?? 'warning')] ?? 'warning',
    message,
    location: { path, line: num(region?.startLine), column: num(region?.startColumn), endLine: num(region?.endLine), endColumn: num(region?.endColumn) },
  };
  if (typeof props.image === 'string') finding.image = { raw: props.image, ...imageParts(props.image) };
  if (typeof props.container === 'string' || typeof props.role === 'string') {
    const role = props.role === 'sidecar' || props.role === 'init' ? props.role : 'app';
    finding.container = { ...(typeof props.container === 'string' ? { name: props.container } : {}), role };
  }
  if (typeof props.workload === 'string') {
    const parts = props.workload.split('/');
    finding.workload = parts.length >= 3 ? { kind: parts[0]!, namespace: parts[1]!, name: parts.slice(2).join('/') } : parts.length === 2 ? { kind: parts[0]!, name: parts[1]! } : { kind: parts[0]! };
  }
  const fingerprints = isObject(value.partialFingerprints) ? value.partialFingerprints : {};
  const identity = fingerprints[IDENTITY_VERSION];
  if (typeof identity === 'string') finding.identity = identity;
  return finding;
}

/** The registry and repository of an image string, as the identity needs them (the SARIF log keeps only the string). */
function imageParts(raw: string): { registry?: string; repository?: string } {
  const parsed = parseReference(raw);
  return parsed.ok ? { registry: parsed.ref.registry, repository: parsed.ref.repository } : {};
}

function readSarif(file: string, options: ReadOptions): ReadResult {
  const store = new FindingStore(FLEET_SPILL_LIMIT, FLEET_READ_CHUNK);
  const identities = new FindingIdentities(options.relativePath);
  try {
    streamJsonFile(file, {
      split: [['runs', '*', 'results']],
      onItem: (_path, _key, value) => {
        const finding = sarifFinding(value);
        if (finding === undefined) return;
        const computed = identities.next(finding);
        store.push(finding.identity !== undefined ? finding : { ...finding, identity: computed });
      },
    });
  } catch (err) {
    store.close();
    throw new BaselineError(`${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const findings = store.result();
  return { file, kind: 'sarif', result: { findings, skipped: [], errors: [], summary: summarise(findings, emptySummary()) } };
}

function readSnapshotResult(file: string, options: ReadOptions): ReadResult {
  let judged;
  try {
    judged = judgeSnapshotFile(file, options.policy, options.now !== undefined ? { now: options.now } : {});
  } catch (err) {
    throw new BaselineError(err instanceof Error ? err.message : String(err));
  }
  // A snapshot's findings are judged here: give them their identities now (live locations need no mapping).
  const identities = new FindingIdentities();
  const store = new FindingStore(FLEET_SPILL_LIMIT, FLEET_READ_CHUNK);
  for (const finding of judged.result.findings) store.push({ ...finding, identity: identities.next(finding) });
  FindingStore.release(judged.result.findings);
  const findings = store.result();
  const asOf = judged.result.live.asOf;
  return { file, kind: 'snapshot', result: { ...judged.result, findings }, ...(asOf !== undefined ? { asOf } : {}) };
}

/** Reads a JSON report, a SARIF log or an ECS snapshot into a ScanResult whose findings carry identities. */
export function readResult(file: string, options: ReadOptions): ReadResult {
  switch (sniffKind(file)) {
    case 'report':
      return readReport(file, options);
    case 'sarif':
      return readSarif(file, options);
    case 'snapshot':
      return readSnapshotResult(file, options);
  }
}

/** Frees a read result's temporary file of findings. */
export function releaseResult(read: ReadResult): void {
  FindingStore.release(read.result.findings);
}
