// A small factory for the AWS SDK clients imagedrift uses (ECS, ECR, STS), one per region.
//
// - Credentials: the SDK's default chain (env, SSO, shared files, process, web identity, container,
//   IMDS), optionally a named `profile`, optionally an assumed role (`roleArn`, STS AssumeRole).
//   All clients share one credentials provider, so the chain runs (and a role is assumed) once.
// - Endpoints: never set unless `endpoint` is given explicitly; the SDK's own `AWS_ENDPOINT_URL`,
//   `AWS_ENDPOINT_URL_ECS`, `AWS_ENDPOINT_URL_ECR`, `AWS_ENDPOINT_URL_STS` and `endpoint_url` in
//   the shared config are honoured by the SDK itself.
// - Retries: the SDK's `standard` mode (throttling back-off, clock-skew correction), `maxAttempts`
//   configurable. Clock-skew correction is the SDK's: on a skew error it reads the server's `Date`
//   header, sets `systemClockOffset` and retries. Clients created later start from the offset
//   already learnt, so one skewed worker costs one rejected request, not one per region.
// - Statistics: every client counts commands and HTTP attempts per operation and records the
//   server's `Date` header (server time) for the snapshot.
// - Timeouts: each HTTP attempt is aborted after `requestTimeoutMs` (connection included), so an
//   endpoint that accepts and never answers costs maxAttempts × that, then a TimeoutError. (The
//   SDK's requestTimeout alone only logs a warning; throwOnRequestTimeout makes it an error.)
// - Proxies: HTTPS_PROXY, HTTP_PROXY and NO_PROXY from the environment, through the same CONNECT
//   agents as the registry client (resolve/proxy.ts); the SDK itself reads none of them.

import { ECRClient } from '@aws-sdk/client-ecr';
import { ECSClient } from '@aws-sdk/client-ecs';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { EnvProxyHttpAgent, EnvProxyHttpsAgent, proxySettingsFromEnv, type ProxySettings } from '../resolve/proxy.js';

type CredentialsOption = NonNullable<ConstructorParameters<typeof ECSClient>[0]>['credentials'];

export interface AwsClientOptions {
  /** Named profile from the shared config/credentials files (default: the SDK's own choice, AWS_PROFILE). */
  profile?: string;
  /** Role to assume with STS AssumeRole before every ECS/ECR call (`--role-arn`). */
  roleArn?: string;
  roleSessionName?: string;
  externalId?: string;
  /** Default 3600. */
  roleDurationSeconds?: number;
  /** Region of the STS endpoint used for AssumeRole (default: the first region a client is made for). */
  stsRegion?: string;
  /** Total attempts per call, first included (default: AWS_MAX_ATTEMPTS, else 5). */
  maxAttempts?: number;
  /** Default `standard`. */
  retryMode?: 'standard' | 'adaptive';
  /** Explicit credentials (identity or provider); bypasses the default chain. */
  credentials?: CredentialsOption;
  /** Explicit endpoint for every service. Leave unset to let the SDK honour AWS_ENDPOINT_URL*. */
  endpoint?: string;
  /** Initial clock offset in ms (server minus local); the SDK corrects it itself on skew errors. */
  systemClockOffset?: number;
  /** Per-attempt timeout in ms, from connecting to the last byte (default 30 000). */
  requestTimeoutMs?: number;
  /** Proxies (default: HTTPS_PROXY, HTTP_PROXY, NO_PROXY from the environment). */
  proxy?: ProxySettings;
}

export interface AwsCallStats {
  /** Commands sent, per operation (one per `send`, whatever the retries). */
  commands: Record<string, number>;
  /** HTTP attempts, per operation (retries included). */
  attempts: Record<string, number>;
}

/** Why credentials could not be used. The CLI prints `message` once and exits. */
export type AwsCredentialsProblem = 'missing' | 'expired' | 'invalid' | 'assume-role-failed';

export class AwsCredentialsError extends Error {
  override readonly name = 'AwsCredentialsError';
  constructor(
    readonly problem: AwsCredentialsProblem,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const EXPIRED = new Set(['ExpiredTokenException', 'ExpiredToken', 'TokenRefreshRequired']);
const INVALID = new Set([
  'UnrecognizedClientException',
  'InvalidClientTokenId',
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'IncompleteSignature',
  'MissingAuthenticationToken',
  'MissingAuthenticationTokenException',
  'AuthFailure',
]);

function errorName(err: unknown): string {
  if (err && typeof err === 'object') {
    const e = err as { name?: unknown; Code?: unknown; code?: unknown };
    if (typeof e.name === 'string' && e.name !== 'Error') return e.name;
    if (typeof e.Code === 'string') return e.Code;
    if (typeof e.code === 'string') return e.code;
  }
  return 'Error';
}

export function awsErrorName(err: unknown): string {
  return errorName(err);
}

export function awsErrorMessage(err: unknown): string {
  const name = errorName(err);
  let msg = err instanceof Error ? err.message : String(err);
  // The HTTP handler's own wording, in ours: "@smithy/node-http-handler - [ERROR] a request has exceeded the configured 1000 ms requestTimeout."
  const timedOut = /exceeded the configured (\d+) ms requestTimeout/.exec(msg);
  if (name === 'TimeoutError' && timedOut) msg = `no answer within ${timedOut[1]} ms (--timeout)`;
  return msg && msg !== name ? `${name}: ${msg}` : name;
}

export function isAccessDenied(err: unknown): boolean {
  const n = errorName(err);
  return n === 'AccessDeniedException' || n === 'AccessDenied' || n === 'UnauthorizedOperation' || n === 'UnauthorizedException';
}

export function isUnsupported(err: unknown): boolean {
  const n = errorName(err);
  return n === 'UnsupportedFeatureException' || n === 'UnknownOperationException' || n === 'InvalidAction' || n === 'UnknownOperation';
}

/** Map an SDK error to a credentials problem, or undefined when the error is something else. */
export function toCredentialsError(err: unknown): AwsCredentialsError | undefined {
  if (err instanceof AwsCredentialsError) return err;
  const name = errorName(err);
  const detail = err instanceof Error ? err.message : String(err);
  if (name === 'CredentialsProviderError' || name === 'TokenProviderError') {
    return new AwsCredentialsError(
      'missing',
      `No usable AWS credentials: ${detail}. Configure credentials (environment, --profile, SSO login, or an instance/task role).`,
      { cause: err },
    );
  }
  if (EXPIRED.has(name)) {
    return new AwsCredentialsError('expired', `AWS credentials have expired (${name}: ${detail}). Refresh them (e.g. \`aws sso login\`) and retry.`, {
      cause: err,
    });
  }
  if (INVALID.has(name)) {
    return new AwsCredentialsError('invalid', `AWS rejected the credentials (${name}: ${detail}).`, { cause: err });
  }
  return undefined;
}

const SKEW_ERRORS = new Set(['RequestTimeTooSkewed', 'RequestExpired', 'RequestInTheFuture', 'InvalidSignatureException']);

/** Is `err` a request-time (clock skew) rejection? */
export function isClockSkewError(err: unknown): boolean {
  const name = errorName(err);
  if (!SKEW_ERRORS.has(name)) return false;
  if (name !== 'InvalidSignatureException') return true;
  const msg = err instanceof Error ? err.message : '';
  return /Signature (expired|not yet current)/i.test(msg);
}

/**
 * Run an SDK call, repeating it once after a clock-skew rejection. The SDK has already corrected
 * `systemClockOffset` from the response's Date header by then, but its retry strategy only retries
 * when the correction moved the offset by more than 4 minutes *away from zero*; a clock that
 * returns to the right time while the client still holds a large offset gets no retry. One extra
 * attempt closes that gap.
 */
export async function withSkewRetry<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (!isClockSkewError(err)) throw err;
    return fn();
  }
}

function bump(rec: Record<string, number>, key: string): void {
  rec[key] = (rec[key] ?? 0) + 1;
}

type AnyClient = ECSClient | ECRClient | STSClient;

export class AwsClients {
  readonly stats: AwsCallStats = { commands: {}, attempts: {} };
  /** Latest server `Date` header seen (RFC 7231 string), and when it was received locally. */
  lastServerDate: { header: string; receivedAt: number } | undefined;
  private readonly ecsClients = new Map<string, ECSClient>();
  private readonly ecrClients = new Map<string, ECRClient>();
  private readonly stsClients = new Map<string, STSClient>();
  private sharedCredentials: CredentialsOption;
  private readonly all: AnyClient[] = [];
  /** The client that received the latest response: its offset is the freshest the SDK learnt. */
  private lastResponder: AnyClient | undefined;

  private readonly proxy: ProxySettings;

  constructor(readonly options: AwsClientOptions = {}) {
    this.sharedCredentials = options.credentials;
    this.proxy = options.proxy ?? proxySettingsFromEnv();
  }

  ecs(region: string): ECSClient {
    let c = this.ecsClients.get(region);
    if (!c) {
      c = new ECSClient(this.config(region));
      this.instrument(c);
      this.ecsClients.set(region, c);
    }
    return c;
  }

  /** ECR client for a region; `fips` selects the FIPS endpoint (when no endpoint is configured). */
  ecr(region: string, opts: { fips?: boolean } = {}): ECRClient {
    const key = opts.fips ? `${region}|fips` : region;
    let c = this.ecrClients.get(key);
    if (!c) {
      const cfg = this.config(region);
      if (opts.fips) cfg.useFipsEndpoint = true;
      c = new ECRClient(cfg);
      this.instrument(c);
      this.ecrClients.set(key, c);
    }
    return c;
  }

  /** The STS client used for role assumption (base credentials, never the assumed role). */
  sts(region: string): STSClient {
    let c = this.stsClients.get(region);
    if (!c) {
      c = new STSClient(this.baseConfig(region));
      this.instrument(c);
      this.stsClients.set(region, c);
    }
    return c;
  }

  /**
   * The clock offset (ms, server minus local) the SDK has learnt so far, from any client;
   * undefined when no client has talked to AWS yet.
   */
  clockOffsetMs(): number | undefined {
    const c = this.lastResponder;
    if (!c) return undefined;
    const off = (c.config as { systemClockOffset?: number }).systemClockOffset;
    return typeof off === 'number' ? off : undefined;
  }

  /** Server time estimated from the last `Date` header, as an ISO string. */
  serverTime(): string | undefined {
    if (!this.lastServerDate) return undefined;
    const t = Date.parse(this.lastServerDate.header);
    return Number.isNaN(t) ? undefined : new Date(t).toISOString();
  }

  destroy(): void {
    for (const c of this.all) c.destroy();
    this.all.length = 0;
    this.ecsClients.clear();
    this.ecrClients.clear();
    this.stsClients.clear();
  }

  // -------------------------------------------------------------------------------------------

  private common(region: string) {
    const o = this.options;
    const learnt = this.clockOffsetMs();
    const timeout = o.requestTimeoutMs ?? 30_000;
    const cfg: Record<string, unknown> = {
      region,
      retryMode: o.retryMode ?? 'standard',
      // 5 unless given, or unless AWS_MAX_ATTEMPTS says otherwise (the SDK reads it when we set nothing).
      ...(o.maxAttempts !== undefined || !/^\d+$/.test(process.env.AWS_MAX_ATTEMPTS ?? '') ? { maxAttempts: o.maxAttempts ?? 5 } : {}),
      // NodeHttpHandler options; each client gets its own agents (destroy() closes them).
      requestHandler: {
        requestTimeout: timeout,
        connectionTimeout: Math.min(timeout, 10_000),
        throwOnRequestTimeout: true,
        httpAgent: new EnvProxyHttpAgent({ keepAlive: true, settings: this.proxy, connectTimeoutMs: timeout }),
        httpsAgent: new EnvProxyHttpsAgent({ keepAlive: true, settings: this.proxy, connectTimeoutMs: timeout }),
      },
    };
    if (o.endpoint) cfg.endpoint = o.endpoint;
    if (o.profile) cfg.profile = o.profile;
    // What the SDK learnt from a server beats the configured starting point.
    const offset = learnt ?? o.systemClockOffset;
    if (offset !== undefined && offset !== 0) cfg.systemClockOffset = offset;
    return cfg;
  }

  /** Config for STS (the base identity: explicit credentials, profile or default chain). */
  private baseConfig(region: string) {
    const cfg = this.common(region);
    if (this.options.credentials) cfg.credentials = this.options.credentials;
    return cfg;
  }

  private config(region: string) {
    const cfg = this.common(region);
    if (!this.sharedCredentials && this.options.roleArn) {
      this.sharedCredentials = this.assumeRoleProvider(this.options.stsRegion ?? region);
    }
    if (this.sharedCredentials) cfg.credentials = this.sharedCredentials;
    return cfg;
  }

  private instrument(client: AnyClient): void {
    this.all.push(client);
    if (!this.sharedCredentials && !(client instanceof STSClient)) {
      // Share the first client's (memoised) default-chain provider with every later client, so the
      // chain is walked once per run.
      this.sharedCredentials = (client.config as { credentials?: CredentialsOption }).credentials;
    }
    const stats = this.stats;
    const stack = client.middlewareStack as unknown as {
      add(mw: unknown, opts: Record<string, unknown>): void;
    };
    stack.add(
      (next: (a: unknown) => Promise<unknown>, context: { commandName?: string }) => async (args: unknown) => {
        bump(stats.commands, (context.commandName ?? 'Unknown').replace(/Command$/, ''));
        return next(args);
      },
      { step: 'initialize', name: 'imagedriftCommandCounter', priority: 'high' },
    );
    const record = (response: unknown) => {
      const headers = (response as { headers?: Record<string, string> } | undefined)?.headers;
      const date = headers?.date ?? headers?.Date;
      if (date) {
        this.lastServerDate = { header: date, receivedAt: Date.now() };
        this.lastResponder = client;
      }
    };
    stack.add(
      (next: (a: unknown) => Promise<{ response: unknown }>, context: { commandName?: string }) => async (args: unknown) => {
        bump(stats.attempts, (context.commandName ?? 'Unknown').replace(/Command$/, ''));
        try {
          const out = await next(args);
          record(out.response);
          return out;
        } catch (err) {
          record((err as { $response?: unknown }).$response);
          throw err;
        }
      },
      { step: 'deserialize', name: 'imagedriftServerDate', priority: 'low' },
    );
  }

  private assumeRoleProvider(stsRegion: string): CredentialsOption {
    const o = this.options;
    const roleArn = o.roleArn!;
    type Creds = { accessKeyId: string; secretAccessKey: string; sessionToken?: string; expiration?: Date };
    let cached: Creds | undefined;
    let inflight: Promise<Creds> | undefined;
    const fetch = async (): Promise<Creds> => {
      const sts = this.sts(stsRegion);
      let out;
      try {
        out = await sts.send(
          new AssumeRoleCommand({
            RoleArn: roleArn,
            RoleSessionName: o.roleSessionName ?? `imagedrift-${Date.now()}`,
            DurationSeconds: o.roleDurationSeconds ?? 3600,
            ...(o.externalId ? { ExternalId: o.externalId } : {}),
          }),
        );
      } catch (err) {
        const cred = toCredentialsError(err);
        if (cred) throw cred;
        throw new AwsCredentialsError('assume-role-failed', `Could not assume role ${roleArn}: ${awsErrorMessage(err)}`, { cause: err });
      }
      const c = out.Credentials;
      if (!c?.AccessKeyId || !c.SecretAccessKey) {
        throw new AwsCredentialsError('assume-role-failed', `STS AssumeRole returned no credentials for ${roleArn}`);
      }
      // Expiration is in the server's clock; convert it to the local clock using the offset the
      // SDK learnt, so a skewed local clock neither discards fresh credentials nor keeps stale ones.
      const offset = (sts.config as { systemClockOffset?: number }).systemClockOffset ?? 0;
      const creds: Creds = { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey };
      if (c.SessionToken) creds.sessionToken = c.SessionToken;
      if (c.Expiration) creds.expiration = new Date(c.Expiration.getTime() - offset);
      return creds;
    };
    return async () => {
      if (cached && (!cached.expiration || cached.expiration.getTime() - Date.now() > 5 * 60_000)) return cached;
      inflight ??= fetch().finally(() => {
        inflight = undefined;
      });
      cached = await inflight;
      return cached;
    };
  }
}
