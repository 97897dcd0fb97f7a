import { describe, expect, it } from 'vitest';
import { UsageError } from './options.js';
import { parsePortRange, parsePublicIp } from './serve.js';

describe('serve: WebRTC options', () => {
  it('--public-ip takes an IPv4 or IPv6 address', () => {
    expect(parsePublicIp(undefined)).toBeUndefined();
    expect(parsePublicIp('203.0.113.7')).toBe('203.0.113.7');
    expect(parsePublicIp('2001:db8::1')).toBe('2001:db8::1');
    expect(() => parsePublicIp('example.com')).toThrow(UsageError);
  });

  it('--rtp-port-range takes A-B with 1024 <= A < B <= 65535', () => {
    expect(parsePortRange(undefined)).toBeUndefined();
    expect(parsePortRange('40000-40999')).toEqual([40000, 40999]);
    for (const bad of ['40000', '40000-40000', '500-600', '60000-70000', 'a-b', '2-1']) {
      expect(() => parsePortRange(bad)).toThrow(/--rtp-port-range must be A-B/);
    }
  });
});
