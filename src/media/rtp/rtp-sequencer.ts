import { randomInt } from 'node:crypto';
import { ShoalError } from '../../protocol/errors.js';
import { packetizeOpus, serializeRtp } from './rtp-packet.js';
import type { RtpPacket } from './rtp-packet.js';
import { sequenceAdd, sequenceDiff } from './sequence-number.js';

/** Payload type browsers usually offer for Opus (a dynamic type, negotiated in SDP). */
export const DEFAULT_OPUS_PAYLOAD_TYPE = 111;
/** RTP clock of Opus (RFC 7587). */
export const OPUS_RTP_CLOCK_RATE_HZ = 48_000;

export interface RtpSequencerOptions {
  /** Default: random. */
  ssrc?: number;
  /** Default 111. */
  payloadType?: number;
  /** Default 48000 (Opus). */
  clockRateHz?: number;
  /** Default: random (RFC 3550 §5.1). */
  initialSequenceNumber?: number;
  /** Default: random (RFC 3550 §5.1). */
  initialTimestamp?: number;
  /** Source of random 32-bit values for the defaults; default node:crypto. */
  randomUint32?: () => number;
}

/** The header fields one outgoing packet gets. */
export interface RtpStamp {
  sequenceNumber: number;
  timestamp: number;
  marker: boolean;
}

const defaultRandomUint32 = (): number => randomInt(0, 0x1_0000_0000 - 1);

/**
 * Numbers one outgoing RTP stream: sequence numbers (+1 per packet, wrapping at 2^16) and
 * timestamps (+duration × clock rate), starting from random values, under one SSRC and payload
 * type. It stamps packets we make (next(), packetize()) and re-stamps packets we forward
 * (rewrite()), keeping the outgoing stream continuous when the forwarded source changes.
 * Pure bookkeeping: no clock, no I/O.
 */
export class RtpSequencer {
  readonly ssrc: number;
  readonly payloadType: number;
  readonly clockRateHz: number;
  #nextSequenceNumber: number;
  #nextTimestamp: number;
  // Offsets from the forwarded source's numbering to ours; undefined when not forwarding.
  #source: { ssrc: number; sequenceOffset: number; timestampOffset: number } | undefined;

  constructor(options: RtpSequencerOptions = {}) {
    const random = options.randomUint32 ?? defaultRandomUint32;
    this.ssrc = options.ssrc ?? random() >>> 0;
    this.payloadType = options.payloadType ?? DEFAULT_OPUS_PAYLOAD_TYPE;
    this.clockRateHz = options.clockRateHz ?? OPUS_RTP_CLOCK_RATE_HZ;
    this.#nextSequenceNumber = options.initialSequenceNumber ?? random() & 0xffff;
    this.#nextTimestamp = options.initialTimestamp ?? random() >>> 0;
    check('ssrc', this.ssrc, 0xffff_ffff);
    check('payloadType', this.payloadType, 0x7f);
    check('sequence number', this.#nextSequenceNumber, 0xffff);
    check('timestamp', this.#nextTimestamp, 0xffff_ffff);
    if (!Number.isInteger(this.clockRateHz) || this.clockRateHz <= 0) {
      throw new ShoalError('BAD_REQUEST', `invalid RTP clock rate: ${this.clockRateHz}`);
    }
  }

  /** Sequence number the next packet gets. */
  get nextSequenceNumber(): number {
    return this.#nextSequenceNumber;
  }

  /** Timestamp the next packet gets. */
  get nextTimestamp(): number {
    return this.#nextTimestamp;
  }

  /** Stamps one packet of our own lasting `durationMs` (default 20) and advances. */
  next(durationMs = 20, marker = false): RtpStamp {
    this.#source = undefined;
    const stamp = {
      sequenceNumber: this.#nextSequenceNumber,
      timestamp: this.#nextTimestamp,
      marker,
    };
    this.#nextSequenceNumber = sequenceAdd(this.#nextSequenceNumber, 1);
    this.#nextTimestamp = (this.#nextTimestamp + this.#ticks(durationMs)) >>> 0;
    return stamp;
  }

  /** Stamps and serialises one Opus packet of ours. */
  packetize(
    payload: Uint8Array,
    options: { durationMs?: number; marker?: boolean } = {},
  ): Uint8Array {
    const stamp = this.next(options.durationMs ?? 20, options.marker ?? false);
    return packetizeOpus({ payload, ssrc: this.ssrc, payloadType: this.payloadType, ...stamp });
  }

  /**
   * Advances the timestamp over `durationMs` of media not sent (silence, discontinuous
   * transmission) without using a sequence number, as RFC 3550 asks.
   */
  skip(durationMs: number): void {
    this.#nextTimestamp = (this.#nextTimestamp + this.#ticks(durationMs)) >>> 0;
  }

  /**
   * Our numbering for a forwarded packet. Within one source, gaps and reordering are kept
   * (constant offsets). A new source SSRC (or forwarding after our own packets) continues right
   * after the last number we used, assuming the previous packet lasted `durationMs` (default 20),
   * and is marked as the start of a talk spurt.
   */
  mapForwarded(
    packet: Pick<RtpPacket, 'ssrc' | 'sequenceNumber' | 'timestamp' | 'marker'>,
    durationMs = 20,
  ): RtpStamp {
    let marker = packet.marker;
    if (this.#source?.ssrc !== packet.ssrc) {
      this.#source = {
        ssrc: packet.ssrc,
        sequenceOffset: (this.#nextSequenceNumber - packet.sequenceNumber) & 0xffff,
        timestampOffset: (this.#nextTimestamp - packet.timestamp) >>> 0,
      };
      marker = true;
    }
    const sequenceNumber = sequenceAdd(packet.sequenceNumber, this.#source.sequenceOffset);
    const timestamp = (packet.timestamp + this.#source.timestampOffset) >>> 0;
    // Only the newest packet moves "next" forward; a late one slots into its old place.
    if (sequenceDiff(sequenceNumber, this.#nextSequenceNumber) >= 0) {
      this.#nextSequenceNumber = sequenceAdd(sequenceNumber, 1);
      this.#nextTimestamp = (timestamp + this.#ticks(durationMs)) >>> 0;
    }
    return { sequenceNumber, timestamp, marker };
  }

  /**
   * Re-stamps a forwarded packet as ours: our SSRC and payload type, mapForwarded() numbering,
   * same payload. CSRCs, header extensions (their ids are negotiated per connection) and
   * padding are dropped.
   */
  rewrite(packet: RtpPacket, durationMs = 20): Uint8Array {
    const stamp = this.mapForwarded(packet, durationMs);
    return serializeRtp({
      ...stamp,
      ssrc: this.ssrc,
      payloadType: this.payloadType,
      payload: packet.payload,
    });
  }

  #ticks(durationMs: number): number {
    const ticks = (durationMs * this.clockRateHz) / 1000;
    if (!Number.isInteger(ticks) || ticks < 0) {
      throw new ShoalError(
        'BAD_REQUEST',
        `duration ${durationMs} ms is not a whole number of RTP ticks`,
      );
    }
    return ticks;
  }
}

function check(name: string, value: number, max: number): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new ShoalError('BAD_REQUEST', `RTP ${name} out of range: ${value}`);
  }
}
