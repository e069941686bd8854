// Core data types shared by every layer. Pure: no I/O here.
import type { BaselineComparison, BaselineState, LiveAudit } from './inventory.js';

/** A parsed Docker/OCI image reference (see parse-reference.ts). */
export interface ParsedReference {
  /** The registry host as written, or `docker.io` when none was written. Lowercased. May carry a port. */
  registry: string;
  /** True when the reference named no registry and `docker.io` was implied. */
  implicitRegistry: boolean;
  /** Repository path as written (without registry), e.g. `nginx`, `aws-observability/aws-otel-collector`. */
  path: string;
  /** Repository path in canonical form: `library/` added for single-component Docker Hub names. */
  repository: string;
  /** Tag as written, or undefined. */
  tag?: string;
  /** Digest as written (`sha256:…`), or undefined. */
  digest?: string;
}

export type Severity = 'error' | 'warning' | 'note';
export const SEVERITIES: readonly Severity[] = ['error', 'warning', 'note'];

export type Role = 'app' | 'init' | 'sidecar';

export type Format =
  | 'kubernetes'
  | 'ecs-task-definition'
  | 'cloudformation'
  | 'terraform'
  | 'helm-values'
  | 'helm-template'
  | 'kustomize'
  | 'compose'
  | 'dockerfile'
  | 'github-actions'
  | 'gitlab-ci'
  | 'copilot';

/** Every format, in the order the README lists them (policy `sources` names these). */
export const FORMATS: readonly Format[] = ['kubernetes', 'ecs-task-definition', 'cloudformation', 'terraform', 'helm-values', 'helm-template', 'kustomize', 'compose', 'dockerfile', 'github-actions', 'gitlab-ci', 'copilot'];

/** A half-open range of UTF-16 offsets into the original text of a file. */
export interface TextRange {
  start: number;
  end: number;
}

export interface Position {
  line: number; // 1-based
  column: number; // 1-based, UTF-16 code units
}

export interface Location {
  path: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
}

export interface Workload {
  /** Kubernetes kind (`Deployment`), `TaskDefinition` for ECS, `AWS::ECS::TaskDefinition` for CloudFormation, `Job` for Batch. */
  kind: string;
  /** Kubernetes metadata.name, ECS family, CloudFormation logical id. */
  name?: string;
  namespace?: string;
}

export interface Container {
  name?: string;
  role: Role;
  /** Why this role was given (e.g. `essential: false`, `known sidecar image`), for messages. */
  roleReason?: string;
  /** What messages call it instead of "container" when it is not a sidecar (`stage`, `service`, `job`). */
  noun?: string;
}

/** How the image string was written in the source, so a fix can keep the style. */
export type ScalarStyle = 'plain' | 'single' | 'double' | 'json' | 'block';

/** One image reference found in a file, with its exact place. */
export interface ImageRef {
  /** The image string's decoded value. */
  raw: string;
  format: Format;
  location: Location;
  /** Exact range of the image string's characters in the original text (inside quotes). */
  range: TextRange;
  style: ScalarStyle;
  workload: Workload;
  container: Container;
  /**
   * Set when the value cannot be judged literally: a template (`{{ … }}`, `${VAR}`),
   * a placeholder (`<IMAGE>`), or an intrinsic function with no literal value.
   */
  unresolvable?: string;
  /** Set when the literal came from somewhere else than the image key, e.g. a CloudFormation parameter default. */
  via?: string;
  /**
   * Set when `raw` is not the text at `range` (a CloudFormation `!Sub` string with its parameters
   * substituted): why `pin` must not write a pinned image there.
   */
  noRewrite?: string;
  /**
   * How a pin is written when it is not "replace the image string at `range`": a reference built
   * from parts (Helm `repository` + `tag` + `digest`, Kustomize `newName` + `newTag` + `digest`).
   */
  pin?: PinSite;
}

/** A scalar a pin may rewrite: its value's range and how it is written. */
export interface PinScalar {
  range: TextRange;
  style: ScalarStyle;
}

/**
 * Where the parts of a built reference are written. A pin sets `digest` when there is one (or
 * inserts `insertDigest` when the format takes a new key), else writes `tag@digest` into `tag`.
 */
export interface PinSite {
  tag?: PinScalar;
  digest?: PinScalar;
  /** Text that adds a digest key: inserted at `offset`, with `{digest}` replaced. */
  insertDigest?: { offset: number; text: string };
  /** Set when the reference cannot be pinned in place, with the reason (`pin` lists it as left alone). */
  none?: string;
}

export interface Fix {
  /** The proposed new image string. */
  replacement: string;
  range: TextRange;
  /** The digest the replacement pins (what `pin --from-results` writes). */
  digest?: string;
  /**
   * True when the manifest was fetched and its sha256 equals `digest`; false when the digest is the
   * registry's word (a HEAD's Docker-Content-Digest): `pin --from-results` verifies it before writing.
   */
  verified?: boolean;
  /** The version tag sharing that digest, for `latest`, no tag or a mutable tag (`v0.28.0`). */
  versionTag?: string;
  /** Why this replacement, for readers: "latest is v0.28.0". */
  description?: string;
}

export interface Finding {
  ruleId: string;
  severity: Severity;
  message: string;
  location: Location;
  image?: {
    raw: string;
    registry?: string;
    repository?: string;
    tag?: string;
    digest?: string;
  };
  container?: Container;
  workload?: Workload;
  fix?: Fix;
  /** The finding's stable identity (src/core/identity.ts); set when compared with a baseline, else computed by the reporters that show it. */
  identity?: string;
  /** Compared with a baseline: `new`, or `existing` in it. */
  baseline?: BaselineState;
  /** Compared with a baseline: the baseline's severity and message when they differ from these. */
  previous?: { severity: Severity; message: string };
}

/** A file that was not scanned, with the reason (binary, too large, not UTF-8, unreadable, …). */
export interface Skipped {
  path: string;
  reason: string;
}

export interface FileResult {
  path: string;
  format?: Format;
  refs: ImageRef[];
  findings: Finding[];
  skipped?: Skipped;
  /** Other files whose references this file's scan reported (a Terraform `file()` target). */
  linked?: string[];
}

export interface Summary {
  filesScanned: number;
  filesSkipped: number;
  refsFound: number;
  bySeverity: Record<Severity, number>;
  byRule: Record<string, number>;
}

/**
 * Findings in report order: an array, or for a huge scan a list whose findings wait in a temporary
 * file (src/scan/finding-store.ts). Read it by iterating; it may be read more than once.
 */
export interface FindingList extends Iterable<Finding> {
  readonly length: number;
}

export interface ScanResult {
  findings: FindingList;
  skipped: Skipped[];
  /** Errors that stopped part of the scan (an unreadable path given on the command line). */
  errors: string[];
  summary: Summary;
  /** Set by `--baseline` and `imagedrift diff` (src/baseline). */
  baseline?: BaselineComparison;
  /** Set by live audits: what was audited, and the inventory of what runs. */
  live?: LiveAudit;
}
