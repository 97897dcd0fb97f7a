import { describe, expect, it } from 'vitest';
import { advertisedAddress, serverPeerConfig } from './ice.js';

describe('ICE settings', () => {
  it('advertises 127.0.0.1 on a loopback host, the public IP when given, else every address', () => {
    expect(
      advertisedAddress({ host: '127.0.0.1', publicIp: undefined, rtpPortRange: undefined }),
    ).toBe('127.0.0.1');
    expect(
      advertisedAddress({ host: '0.0.0.0', publicIp: '203.0.113.7', rtpPortRange: undefined }),
    ).toBe('203.0.113.7');
    expect(
      advertisedAddress({ host: '0.0.0.0', publicIp: undefined, rtpPortRange: undefined }),
    ).toBe(undefined);
  });

  it('is ICE-lite; binds a local advertised address, only advertises a NAT address; port range', () => {
    const local = serverPeerConfig(
      { host: '127.0.0.1', publicIp: undefined, rtpPortRange: [40000, 40100] },
      ['vp8'],
      () => {},
    );
    expect(local).toMatchObject({
      iceLite: true,
      iceServers: [],
      iceUseIpv4: false,
      iceUseIpv6: false,
      iceAdditionalHostAddresses: ['127.0.0.1'],
      iceInterfaceAddresses: { udp4: '127.0.0.1' },
      icePortRange: [40000, 40100],
    });
    const nat = serverPeerConfig(
      { host: '0.0.0.0', publicIp: '203.0.113.7', rtpPortRange: undefined },
      ['h264'],
      () => {},
    );
    expect(nat.iceAdditionalHostAddresses).toEqual(['203.0.113.7']);
    expect(nat.iceInterfaceAddresses).toBeUndefined();
    expect(nat.icePortRange).toBeUndefined();
    expect(nat.codecs?.video?.map((c) => c.mimeType)).toEqual(['video/H264']);
    expect(nat.codecs?.audio?.map((c) => c.mimeType)).toEqual(['audio/opus']);
    const every = serverPeerConfig(
      { host: '0.0.0.0', publicIp: undefined, rtpPortRange: undefined },
      ['vp8'],
      () => {},
    );
    expect(every.iceAdditionalHostAddresses).toBeUndefined();
    expect(every.iceUseIpv4).toBeUndefined();
  });
});
