// A deterministic stand-in for the registry in pin tests: the digest of a reference is the sha256
// of its canonical name and tag; `latest` (or no tag) shares its digest with version 1.0.0.
import { createHash } from 'node:crypto';
import { canonicalName } from '../../src/core/parse-reference.js';
import type { ParsedReference } from '../../src/core/types.js';
import type { ProposalOutcome } from '../../src/fix/pin.js';

export function fakeDigest(parsed: ParsedReference): string {
  const tag = parsed.tag ?? 'latest';
  return `sha256:${createHash('sha256').update(`${canonicalName(parsed)}:${tag}`).digest('hex')}`;
}

export async function fakePropose(parsed: ParsedReference): Promise<ProposalOutcome> {
  const floating = parsed.tag === undefined || parsed.tag === 'latest';
  return { ok: true, proposal: { digest: fakeDigest(parsed), ...(floating ? { versionTag: parsed.repository.endsWith('aws-otel-collector') ? 'v0.28.0' : '1.0.0' } : {}) } };
}
