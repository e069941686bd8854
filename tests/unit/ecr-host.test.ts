import { describe, expect, it } from 'vitest';
import { ecrHostFor, isEcrHost, parseEcrHost } from '../../src/resolve/ecr-host.js';

describe('parseEcrHost', () => {
  it('recognises a commercial-region private registry', () => {
    expect(parseEcrHost('123456789012.dkr.ecr.us-east-1.amazonaws.com')).toEqual({
      account: '123456789012',
      region: 'us-east-1',
      fips: false,
      dualStack: false,
      domain: 'amazonaws.com',
      partition: 'aws',
    });
  });

  it('recognises FIPS endpoints', () => {
    const h = parseEcrHost('123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com');
    expect(h).toMatchObject({ account: '123456789012', region: 'us-gov-west-1', fips: true, partition: 'aws-us-gov' });
    expect(parseEcrHost('111122223333.dkr.ecr-fips.us-east-2.amazonaws.com')).toMatchObject({ fips: true, region: 'us-east-2' });
  });

  it('recognises China regions', () => {
    expect(parseEcrHost('123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn')).toMatchObject({
      region: 'cn-north-1',
      domain: 'amazonaws.com.cn',
      partition: 'aws-cn',
      fips: false,
    });
    expect(parseEcrHost('123456789012.dkr.ecr.cn-northwest-1.amazonaws.com.cn')?.region).toBe('cn-northwest-1');
  });

  it('recognises GovCloud regions', () => {
    expect(parseEcrHost('123456789012.dkr.ecr.us-gov-west-1.amazonaws.com')).toMatchObject({
      region: 'us-gov-west-1',
      partition: 'aws-us-gov',
      fips: false,
    });
    expect(parseEcrHost('123456789012.dkr.ecr.us-gov-east-1.amazonaws.com')?.region).toBe('us-gov-east-1');
  });

  it('recognises ISO partitions and dual-stack endpoints', () => {
    expect(parseEcrHost('123456789012.dkr.ecr.us-iso-east-1.c2s.ic.gov')).toMatchObject({ partition: 'aws-iso', region: 'us-iso-east-1' });
    expect(parseEcrHost('123456789012.dkr.ecr.us-isob-east-1.sc2s.sgov.gov')).toMatchObject({ partition: 'aws-iso-b' });
    expect(parseEcrHost('123456789012.dkr-ecr.eu-west-1.on.aws')).toMatchObject({ dualStack: true, fips: false, region: 'eu-west-1' });
    expect(parseEcrHost('123456789012.dkr-ecr-fips.us-east-1.on.aws')).toMatchObject({ dualStack: true, fips: true });
  });

  it('is case-insensitive and tolerates :443 and a trailing dot', () => {
    expect(parseEcrHost('123456789012.DKR.ECR.EU-WEST-1.AMAZONAWS.COM')?.region).toBe('eu-west-1');
    expect(parseEcrHost('123456789012.dkr.ecr.eu-west-1.amazonaws.com:443')?.account).toBe('123456789012');
    expect(parseEcrHost('123456789012.dkr.ecr.eu-west-1.amazonaws.com.')?.account).toBe('123456789012');
  });

  it('rejects public.ecr.aws and look-alikes', () => {
    for (const host of [
      'public.ecr.aws',
      'docker.io',
      'ghcr.io',
      'localhost:5000',
      '12345678901.dkr.ecr.us-east-1.amazonaws.com', // 11 digits
      '1234567890123.dkr.ecr.us-east-1.amazonaws.com', // 13 digits
      '123456789012.dkr.ecr.us-east-1.amazonaws.com:5000',
      '123456789012.dkr.ecr.us-east-1.amazonaws.com.evil.example',
      'evil.example/123456789012.dkr.ecr.us-east-1.amazonaws.com',
      '123456789012.dkr.ecr.amazonaws.com',
      'api.ecr.us-east-1.amazonaws.com',
      'abcdefghijkl.dkr.ecr.us-east-1.amazonaws.com',
      '',
    ]) {
      expect(parseEcrHost(host), host).toBeUndefined();
      expect(isEcrHost(host), host).toBe(false);
    }
  });

  it('builds the canonical host', () => {
    expect(ecrHostFor('123456789012', 'us-east-1')).toBe('123456789012.dkr.ecr.us-east-1.amazonaws.com');
    expect(ecrHostFor('123456789012', 'cn-north-1')).toBe('123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn');
    expect(parseEcrHost(ecrHostFor('123456789012', 'ap-southeast-2'))?.region).toBe('ap-southeast-2');
  });
});
