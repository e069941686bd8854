// Recognise private Amazon ECR registry hosts. Pure: no I/O.
//
// Private registries are addressed as `<account>.dkr.ecr.<region>.<partition domain>`:
//   123456789012.dkr.ecr.us-east-1.amazonaws.com          (aws)
//   123456789012.dkr.ecr-fips.us-east-1.amazonaws.com     (aws, FIPS endpoint)
//   123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn      (aws-cn)
//   123456789012.dkr.ecr.us-gov-west-1.amazonaws.com      (aws-us-gov, same domain as aws)
//   123456789012.dkr.ecr.us-iso-east-1.c2s.ic.gov         (aws-iso)
//   123456789012.dkr.ecr.us-isob-east-1.sc2s.sgov.gov     (aws-iso-b)
//   123456789012.dkr-ecr.us-east-1.on.aws                 (dual-stack)
//   123456789012.dkr-ecr-fips.us-east-1.on.aws            (dual-stack FIPS)
// `public.ecr.aws` is NOT a private ECR registry: it is an ordinary OCI registry (anonymous pulls,
// bearer-token auth) and is resolved by the generic OCI resolver.

export interface EcrHost {
  /** 12-digit AWS account id (the ECR `registryId`). */
  account: string;
  /** AWS region, e.g. `us-east-1`, `cn-north-1`, `us-gov-west-1`. */
  region: string;
  /** True for the FIPS endpoints (`dkr.ecr-fips.` / `dkr-ecr-fips.`). */
  fips: boolean;
  /** True for the dual-stack endpoints (`dkr-ecr.<region>.on.aws`). */
  dualStack: boolean;
  /** The DNS suffix after the region: `amazonaws.com`, `amazonaws.com.cn`, `on.aws`, … */
  domain: string;
  /** AWS partition name derived from the domain/region: `aws`, `aws-cn`, `aws-us-gov`, `aws-iso`, … */
  partition: string;
}

const REGION = '[a-z]{2,4}(?:-[a-z]+)+-\\d{1,2}';
const DOMAINS = [
  'amazonaws\\.com\\.cn',
  'amazonaws\\.com',
  'c2s\\.ic\\.gov',
  'sc2s\\.sgov\\.gov',
  'cloud\\.adc-e\\.uk',
  'csp\\.hci\\.ic\\.gov',
  'amazonaws\\.eu',
];

const CLASSIC = new RegExp(
  `^(\\d{12})\\.dkr\\.ecr(-fips)?\\.(${REGION})\\.(${DOMAINS.join('|')})$`,
);
const DUAL_STACK = new RegExp(`^(\\d{12})\\.dkr-ecr(-fips)?\\.(${REGION})\\.(on\\.aws|api\\.aws)$`);

function partitionOf(domain: string, region: string): string {
  if (domain === 'amazonaws.com.cn' || region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  if (domain === 'c2s.ic.gov') return 'aws-iso';
  if (domain === 'sc2s.sgov.gov') return 'aws-iso-b';
  if (domain === 'cloud.adc-e.uk') return 'aws-iso-e';
  if (domain === 'csp.hci.ic.gov') return 'aws-iso-f';
  if (domain === 'amazonaws.eu') return 'aws-eusc';
  return 'aws';
}

/**
 * Parse a registry host (as found in `ParsedReference.registry`) into its ECR parts,
 * or return undefined when it is not a private ECR registry host.
 * A `:443` port is tolerated; any other port is not ECR.
 */
export function parseEcrHost(host: string): EcrHost | undefined {
  let h = host.trim().toLowerCase();
  if (h.endsWith('.')) h = h.slice(0, -1);
  const colon = h.lastIndexOf(':');
  if (colon !== -1) {
    if (h.slice(colon + 1) !== '443') return undefined;
    h = h.slice(0, colon);
  }
  let m = CLASSIC.exec(h);
  let dualStack = false;
  if (!m) {
    m = DUAL_STACK.exec(h);
    dualStack = true;
  }
  if (!m) return undefined;
  const [, account, fips, region, domain] = m as unknown as [string, string, string | undefined, string, string];
  return {
    account,
    region,
    fips: fips !== undefined,
    dualStack,
    domain,
    partition: partitionOf(domain, region),
  };
}

/** True when `host` is a private ECR registry (not `public.ecr.aws`). */
export function isEcrHost(host: string): boolean {
  return parseEcrHost(host) !== undefined;
}

/** The canonical (non-FIPS, IPv4) registry host for an account and region. */
export function ecrHostFor(account: string, region: string): string {
  const domain = region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
  return `${account}.dkr.ecr.${region}.${domain}`;
}
