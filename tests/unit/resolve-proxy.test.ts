// Unit: which proxy (if any) a connection uses, read from HTTPS_PROXY / HTTP_PROXY / ALL_PROXY /
// NO_PROXY in either case (src/resolve/proxy.ts).
import { describe, expect, it } from 'vitest';
import { ProxyConfigError, proxyFor, proxySettingsFromEnv } from '../../src/resolve/proxy.js';

const via = (env: NodeJS.ProcessEnv, host: string, port: number, secure = true) => proxyFor(proxySettingsFromEnv(env), host, port, secure)?.href;

describe('proxy settings from the environment', () => {
  it('HTTPS_PROXY for https targets, HTTP_PROXY for http targets, ALL_PROXY for either; nothing set means direct', () => {
    const env = { HTTPS_PROXY: 'http://secure-proxy:3128', HTTP_PROXY: 'plain-proxy:8080' };
    expect(via(env, 'ghcr.io', 443)).toBe('http://secure-proxy:3128/');
    expect(via(env, '10.0.0.5', 5000, false)).toBe('http://plain-proxy:8080/');
    expect(via({ ALL_PROXY: 'http://all:1' }, 'ghcr.io', 443)).toBe('http://all:1/');
    expect(via({ all_proxy: 'http://all:1', HTTP_PROXY: 'http://h:2' }, 'x', 80, false)).toBe('http://h:2/');
    expect(via({}, 'ghcr.io', 443)).toBeUndefined();
    expect(via({ HTTPS_PROXY: '  ' }, 'ghcr.io', 443)).toBeUndefined();
  });

  it('lower case wins over upper case', () => {
    expect(via({ https_proxy: 'http://lower:1', HTTPS_PROXY: 'http://upper:2' }, 'ghcr.io', 443)).toBe('http://lower:1/');
    expect(via({ HTTPS_PROXY: 'http://p:1', no_proxy: 'ghcr.io', NO_PROXY: 'quay.io' }, 'quay.io', 443)).toBe('http://p:1/');
    expect(via({ HTTPS_PROXY: 'http://p:1', no_proxy: 'ghcr.io', NO_PROXY: 'quay.io' }, 'ghcr.io', 443)).toBeUndefined();
  });

  it('NO_PROXY: names match themselves and every name below, with or without a leading dot or *.; no partial labels', () => {
    const env = { HTTPS_PROXY: 'http://p:1', NO_PROXY: 'example.com, .corp.internal *.svc.local' };
    for (const host of ['example.com', 'registry.example.com', 'EXAMPLE.COM', 'example.com.', 'a.corp.internal', 'corp.internal', 'x.svc.local']) {
      expect(via(env, host, 443), host).toBeUndefined();
    }
    for (const host of ['badexample.com', 'example.com.evil.net', 'internal', 'svc.local.evil']) expect(via(env, host, 443), host).toBe('http://p:1/');
  });

  it('NO_PROXY: IP addresses, CIDR blocks (v4 and v6), ports, and * for everything', () => {
    const env = { HTTPS_PROXY: 'http://p:1', NO_PROXY: '10.0.0.0/8,192.168.1.7,[::1],fd00::/8,ghcr.io:443' };
    expect(via(env, '10.20.30.40', 443)).toBeUndefined();
    expect(via(env, '11.0.0.1', 443)).toBe('http://p:1/');
    expect(via(env, '192.168.1.7', 443)).toBeUndefined();
    expect(via(env, '192.168.1.8', 443)).toBe('http://p:1/');
    expect(via(env, '::1', 443)).toBeUndefined();
    expect(via(env, '[fd12::3]', 443)).toBeUndefined();
    expect(via(env, 'ghcr.io', 443)).toBeUndefined();
    expect(via(env, 'ghcr.io', 8443)).toBe('http://p:1/');
    expect(via({ HTTPS_PROXY: 'http://p:1', NO_PROXY: '*' }, 'anything', 443)).toBeUndefined();
    // Nothing is exempt implicitly: loopback goes through the proxy unless NO_PROXY says so.
    expect(via({ HTTPS_PROXY: 'http://p:1' }, '127.0.0.1', 443)).toBe('http://p:1/');
  });

  it('a proxy URL that is not http(s) or not a URL is refused, naming the variable and never its password', () => {
    expect(() => proxySettingsFromEnv({ HTTPS_PROXY: 'socks5://p:1080' })).toThrow(ProxyConfigError);
    expect(() => proxySettingsFromEnv({ HTTPS_PROXY: 'socks5://p:1080' })).toThrow('HTTPS_PROXY: unsupported proxy scheme socks5:');
    let message = '';
    try {
      proxySettingsFromEnv({ http_proxy: 'http://user:s3cret@[bad' });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain('HTTP_PROXY is not a proxy URL');
    expect(message).not.toContain('s3cret');
  });
});
