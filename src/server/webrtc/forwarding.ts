import { RtpHeader, RtpPacket, type RTCRtpTransceiver } from 'werift';
import { RtpSequencer } from '../../media/rtp/index.js';
import type { LatencyRecorder } from '../bridge/index.js';
import type { Logger } from '../logger.js';
import type { MediaPacket, Publication, TrackKind } from '../rooms/index.js';

/** A key-frame request at most this often, however many subscribers ask. */
const KEYFRAME_REQUEST_INTERVAL_MS = 500;

export interface ForwardingStats {
  packets: number;
  bytes: number;
}

/**
 * Client → room for one track a WebRTC peer sends: every RTP packet its receiver gets goes to
 * the track's `Publication` as it arrives (no reordering here: the agent tap reorders before
 * decoding, and forwarding keeps the sender's order). Video tracks can be asked for a key frame.
 */
export class InboundTrack {
  readonly trackId: string;
  readonly mid: string;
  readonly kind: TrackKind;
  readonly publication: Publication;
  readonly stats: ForwardingStats = { packets: 0, bytes: 0 };
  readonly #unsubscribe: () => void;
  #lastSsrc: number | undefined;
  #lastKeyframeRequestMs = -Infinity;
  #closed = false;

  constructor(transceiver: RTCRtpTransceiver, publication: Publication, log: Logger) {
    this.trackId = publication.trackId;
    this.mid = transceiver.mid ?? '';
    this.kind = publication.kind;
    this.publication = publication;
    const receiver = transceiver.receiver;
    const { unSubscribe } = receiver.track.onReceiveRtp.subscribe((rtp) => {
      if (this.#closed) {
        return;
      }
      this.#lastSsrc = rtp.header.ssrc;
      this.stats.packets += 1;
      this.stats.bytes += rtp.payload.length;
      const packet: MediaPacket = {
        payload: rtp.payload,
        sequenceNumber: rtp.header.sequenceNumber,
        timestamp: rtp.header.timestamp,
        marker: rtp.header.marker,
        originMs: performance.now(),
      };
      try {
        publication.push(packet);
      } catch (err) {
        log.error({ err, trackId: this.trackId }, 'forwarding an RTP packet failed');
      }
    });
    this.#unsubscribe = unSubscribe;
    if (this.kind === 'video') {
      publication.requestKeyframe = () => {
        const now = performance.now();
        const ssrc = this.#lastSsrc ?? receiver.track.ssrc;
        if (
          ssrc === undefined ||
          now - this.#lastKeyframeRequestMs < KEYFRAME_REQUEST_INTERVAL_MS
        ) {
          return;
        }
        this.#lastKeyframeRequestMs = now;
        receiver.sendRtcpPLI(ssrc).catch((err: unknown) => {
          log.debug({ err, trackId: this.trackId }, 'PLI not sent');
        });
      };
    }
  }

  close(): void {
    if (this.#closed) {
      return;
    }
    this.#closed = true;
    this.#unsubscribe();
  }
}

/**
 * Room → client for one track a WebRTC peer receives: packets of the publication (another
 * peer's RTP, or an agent's paced Opus) leave on this peer's sender, renumbered as one continuous
 * stream under the sender's SSRC and the payload type the client negotiated. Nothing is
 * transcoded. Packets before DTLS is up are dropped (werift would drop them silently anyway).
 */
export class OutboundTrack {
  readonly trackId: string;
  readonly mid: string;
  readonly kind: TrackKind;
  readonly stats: ForwardingStats = { packets: 0, bytes: 0 };
  readonly #transceiver: RTCRtpTransceiver;
  readonly #sequencer: RtpSequencer;
  readonly #latency: LatencyRecorder;
  readonly #log: Logger;
  readonly #unsubscribe: (() => void)[];
  #closed = false;

  constructor(
    transceiver: RTCRtpTransceiver,
    publication: Publication,
    latency: LatencyRecorder,
    log: Logger,
  ) {
    this.trackId = publication.trackId;
    this.mid = transceiver.mid ?? '';
    this.kind = publication.kind;
    this.#transceiver = transceiver;
    this.#latency = latency;
    this.#log = log;
    const sender = transceiver.sender;
    this.#sequencer = new RtpSequencer({
      ssrc: sender.ssrc,
      payloadType: sender.codec?.payloadType ?? 111,
      clockRateHz: publication.kind === 'audio' ? 48_000 : 90_000,
    });
    const offPacket = publication.onPacket((packet) => this.#send(packet));
    const { unSubscribe: offPli } = sender.onPictureLossIndication.subscribe(() =>
      publication.requestKeyframe?.(),
    );
    const { unSubscribe: offReady } = sender.onReady.subscribe(() =>
      publication.requestKeyframe?.(),
    );
    this.#unsubscribe = [offPacket, offPli, offReady];
    if (sender.dtlsTransport?.state === 'connected') {
      publication.requestKeyframe?.();
    }
  }

  #send(packet: MediaPacket): void {
    const sender = this.#transceiver.sender;
    if (this.#closed || sender.dtlsTransport?.state !== 'connected' || !sender.codec) {
      return;
    }
    try {
      const stamp = this.#sequencer.mapForwarded({
        ssrc: 0,
        sequenceNumber: packet.sequenceNumber,
        timestamp: packet.timestamp,
        marker: packet.marker ?? false,
      });
      const header = new RtpHeader({
        payloadType: sender.codec.payloadType,
        sequenceNumber: stamp.sequenceNumber,
        timestamp: stamp.timestamp,
        marker: stamp.marker,
        ssrc: sender.ssrc,
      });
      const payload = Buffer.from(
        packet.payload.buffer,
        packet.payload.byteOffset,
        packet.payload.byteLength,
      );
      this.stats.packets += 1;
      this.stats.bytes += payload.length;
      sender.sendRtp(new RtpPacket(header, payload)).catch((err: unknown) => {
        this.#log.debug({ err, trackId: this.trackId }, 'RTP send failed');
      });
      this.#latency.record(performance.now() - packet.originMs);
    } catch (err) {
      this.#log.error({ err, trackId: this.trackId }, 'could not forward an RTP packet');
    }
  }

  close(): void {
    if (this.#closed) {
      return;
    }
    this.#closed = true;
    for (const off of this.#unsubscribe) {
      off();
    }
  }
}
