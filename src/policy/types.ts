// The policy a scan is judged by, after loading and merging, and the validated contents of one
// policy file (a layer) it is merged from.
import type { Location, Severity } from '../core/types.js';

export type SeveritySetting = Severity | 'off';

export interface RuleSetting {
  /** Severity for app and init containers and for findings on no container; the rule's default when unset. */
  severity?: SeveritySetting;
  /** Severity for sidecar containers; defaults to `severity`. */
  sidecarSeverity?: SeveritySetting;
}

/** A scoped, expiring waiver of findings, written in a policy file. */
export interface Exception {
  /** Rule id the exception covers; any rule when unset. */
  rule?: string;
  /** Glob on the canonical `registry/repository` of the finding's image. */
  image?: string;
  /** Globs on the finding's path, as written: relative to `pathBase`. */
  paths?: string[];
  /** The directory of the policy file that holds the exception, relative to the scan root, when not the root. */
  pathBase?: string;
  /** Glob on the container name. */
  container?: string;
  /** Glob on the workload name, or on `namespace/name`. */
  workload?: string;
  reason: string;
  /** Last day (`YYYY-MM-DD`) the exception applies; from the next day on it is expired. */
  expires: string;
  /** Where the exception is written (the policy file, the exception's first line). */
  location: Location;
}

/** `extends:` as written, with its place for error messages. */
export interface ExtendsRef {
  value: string;
  location: Location;
}

/** A list-valued key: added to the inherited list, or replacing it when the section says `replace: true`. */
export interface ListSetting {
  items: string[];
  replace: boolean;
}

/** A `deny.versions` entry: versions of matching images that must not run, be pinned or be proposed. */
export interface DeniedVersions {
  /** Glob on the canonical `registry/repository`. */
  image: string;
  /** A semver range (`0.29.0`, `>=0.29.0 <0.29.2`, `0.29.0 || 0.30.1`). */
  versions: string;
  reason?: string;
  /** Where the entry is written. */
  location: Location;
}

/** The validated contents of one policy file (or of one `overrides` entry), before merging. */
export interface PolicyLayer {
  /** Identity: the absolute path of the file (`#overrides[i]` appended for an override). */
  id: string;
  /** The file as messages show it. */
  display: string;
  /** `extends:` entries in order; undefined when the key is absent. */
  extends?: ExtendsRef[];
  rules: Record<string, RuleSetting>;
  sidecarImages?: ListSetting;
  mutableTags?: ListSetting;
  registriesAllow?: ListSetting;
  registriesDeny?: ListSetting;
  pathsInclude?: ListSetting;
  pathsExclude?: ListSetting;
  /** `sources:`: formats turned on (true) or off (false), by format name. */
  sources?: Record<string, boolean>;
  exceptions: Exception[];
  overrides: OverrideInput[];
  /** `pin.minimumReleaseAge` as written (`3d`); top level only. */
  minimumReleaseAge?: string;
  /** `deny.versions`; top level only. */
  deniedVersions?: { items: DeniedVersions[]; replace: boolean };
}

/** An `overrides` entry as written: path globs plus a partial policy. */
export interface OverrideInput {
  paths: string[];
  layer: PolicyLayer;
  location: Location;
}

/** An `overrides` entry with its `extends` chain resolved: the layers applied, in order, to matching files. */
export interface Override {
  paths: string[];
  layers: PolicyLayer[];
  location: Location;
}

export interface Policy {
  rules: Record<string, RuleSetting>;
  /** Globs on the canonical `registry/repository` of known sidecar images. */
  sidecarImages: string[];
  /** Tag words that name a moving target. */
  mutableTags: string[];
  registries: { allow: string[]; deny: string[] };
  paths: { include: string[]; exclude: string[] };
  /** Formats turned off (`sources: { dockerfile: off }`) are false; a format not listed is read. */
  sources: Record<string, boolean>;
  exceptions: Exception[];
  overrides: Override[];
  /** Ids of the layers merged into this policy, in order (an override skips layers already here). */
  layers: string[];
  /** What `pin` (and `pr`, `scan --resolve`) may propose. */
  pin?: {
    /** A digest or version younger than this (`3d`, `12h`) is not proposed yet. */
    minimumReleaseAge?: string;
  };
  /** Versions that must not be used (`denied-version`) nor proposed. */
  deny?: { versions: DeniedVersions[] };
}
