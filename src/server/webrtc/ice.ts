import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import {
  RTCRtpCodecParameters,
  useNACK,
  usePLI,
  useSdesMid,
  useTransportWideCC,
  useTWCC,
  type PeerConfig,
} from 'werift';
import type { VideoCodec } from '../rooms/index.js';

export interface IceOptions {
  /** Address the HTTP server listens on. */
  host: string;
  publicIp: string | undefined;
  rtpPortRange: [number, number] | undefined;
}

/** The address ICE candidates carry, or undefined for "every host address". */
export function advertisedAddress(options: IceOptions): string | undefined {
  if (options.publicIp) {
    return options.publicIp;
  }
  return isLoopback(options.host) ? '127.0.0.1' : undefined;
}

export function isLoopback(address: string): boolean {
  return address === 'localhost' || address === '::1' || address.startsWith('127.');
}

function isLocalAddress(address: string): boolean {
  if (isLoopback(address)) {
    return true;
  }
  return Object.values(networkInterfaces()).some((list) =>
    (list ?? []).some((info) => info.address === address),
  );
}

/**
 * werift settings for the server side: ICE-lite (no STUN, no consent checks of our own: the
 * browser is the controlling agent), one host candidate on the advertised address when there is
 * one (bound there when it is local, e.g. 127.0.0.1; bound to all interfaces when it is a NAT's
 * public address), the configured UDP port range, and the codecs Shoal forwards.
 */
export function serverPeerConfig(
  options: IceOptions,
  videoCodecs: readonly VideoCodec[],
  onStunRequest: () => void,
): Partial<PeerConfig> {
  const address = advertisedAddress(options);
  const family = address ? isIP(address) : 0;
  const config: Partial<PeerConfig> = {
    iceLite: true,
    iceServers: [],
    bundlePolicy: 'max-bundle',
    codecs: {
      audio: [opusCodec()],
      video: videoCodecs.map((codec, i) => videoCodecParameters(codec, 96 + 2 * i)),
    },
    headerExtensions: { audio: [useSdesMid()], video: [useSdesMid(), useTransportWideCC()] },
    iceFilterStunResponse: () => {
      onStunRequest();
      return true;
    },
    ...(options.rtpPortRange ? { icePortRange: options.rtpPortRange } : {}),
  };
  if (address) {
    // Only the advertised address: no host-address enumeration at all.
    config.iceUseIpv4 = false;
    config.iceUseIpv6 = false;
    config.iceAdditionalHostAddresses = [address];
    if (isLocalAddress(address)) {
      config.iceInterfaceAddresses = family === 6 ? { udp6: address } : { udp4: address };
    }
  }
  return config;
}

export function opusCodec(payloadType = 111): RTCRtpCodecParameters {
  return new RTCRtpCodecParameters({
    mimeType: 'audio/opus',
    clockRate: 48_000,
    channels: 2,
    payloadType,
    parameters: 'minptime=10;useinbandfec=1',
  });
}

export function videoCodecParameters(codec: VideoCodec, payloadType = 96): RTCRtpCodecParameters {
  const rtcpFeedback = [useNACK(), usePLI(), useTWCC()];
  return codec === 'h264'
    ? new RTCRtpCodecParameters({
        mimeType: 'video/H264',
        clockRate: 90_000,
        payloadType,
        rtcpFeedback,
        parameters: 'level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f',
      })
    : new RTCRtpCodecParameters({
        mimeType: 'video/VP8',
        clockRate: 90_000,
        payloadType,
        rtcpFeedback,
      });
}
