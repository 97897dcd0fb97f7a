import { ShoalError, assertOpen } from '../../protocol/errors.js';
import { OPUS_SAMPLE_RATE_HZ, createNativeOpus } from './opus-native.js';
import type { NativeOpus } from './opus-native.js';

/** libopus encoder CTL request numbers (opus_defines.h). */
const OPUS_SET_APPLICATION = 4000;
const OPUS_SET_BITRATE = 4002;
const OPUS_SET_COMPLEXITY = 4010;
const OPUS_SET_SIGNAL = 4024;

const APPLICATIONS = { voip: 2048, audio: 2049, lowdelay: 2051 } as const;
const SIGNALS = { auto: -1000, voice: 3001, music: 3002 } as const;

/** Samples per channel in the frame durations Opus accepts at 48 kHz (2.5 … 60 ms). */
const VALID_FRAME_LENGTHS = new Set([120, 240, 480, 960, 1920, 2880]);

export interface OpusEncoderOptions {
  /** 0–10; default 5 (about 4× cheaper than 10, little loss for speech). */
  complexity?: number;
  /** Target bitrate in bits per second (500–512000); default 32000. */
  bitrateBps?: number;
  /**
   * libopus application; default 'voip' (speech tuning, as browsers use for mono speech: at
   * 32 kbps it codes speech in hybrid SILK+CELT mode). 'audio' picks CELT at that rate (about half
   * the CPU at complexity 5; see bench/codec.ts).
   */
  application?: keyof typeof APPLICATIONS;
  /**
   * Hint about the content; default 'auto'. At complexity ≥ 7 libopus runs a speech/music
   * analyser that picks the mode itself; 'voice' or 'music' overrides it.
   */
  signal?: keyof typeof SIGNALS;
}

/** Encodes 48 kHz mono PCM16 into Opus packets. */
export interface OpusEncoder {
  readonly complexity: number;
  readonly bitrateBps: number;
  /** One frame of 48 kHz mono samples (960 = 20 ms; 2.5/5/10/40/60 ms also accepted) → one packet. */
  encode(pcm48kMono20ms: Int16Array): Uint8Array;
  /** Idempotent; encode() afterwards throws CLOSED. */
  close(): void;
}

export const DEFAULT_OPUS_COMPLEXITY = 5;
export const DEFAULT_OPUS_BITRATE_BPS = 32_000;

export function createOpusEncoder(options: OpusEncoderOptions = {}): OpusEncoder {
  return new NativeOpusEncoder(options);
}

class NativeOpusEncoder implements OpusEncoder {
  readonly complexity: number;
  readonly bitrateBps: number;
  #native: NativeOpus | undefined;

  constructor(options: OpusEncoderOptions) {
    const {
      complexity = DEFAULT_OPUS_COMPLEXITY,
      bitrateBps = DEFAULT_OPUS_BITRATE_BPS,
      application = 'voip',
      signal = 'auto',
    } = options;
    if (!Number.isInteger(complexity) || complexity < 0 || complexity > 10) {
      throw new ShoalError('BAD_REQUEST', `invalid Opus complexity: ${complexity}`);
    }
    if (!Number.isInteger(bitrateBps) || bitrateBps < 500 || bitrateBps > 512_000) {
      throw new ShoalError('BAD_REQUEST', `invalid Opus bitrate: ${bitrateBps} bps`);
    }
    if (!Object.hasOwn(APPLICATIONS, application)) {
      throw new ShoalError('BAD_REQUEST', `invalid Opus application: ${String(application)}`);
    }
    if (!Object.hasOwn(SIGNALS, signal)) {
      throw new ShoalError('BAD_REQUEST', `invalid Opus signal: ${String(signal)}`);
    }
    this.complexity = complexity;
    this.bitrateBps = bitrateBps;
    const native = createNativeOpus(1);
    try {
      native.applyEncoderCTL(OPUS_SET_APPLICATION, APPLICATIONS[application]);
      native.applyEncoderCTL(OPUS_SET_COMPLEXITY, complexity);
      native.applyEncoderCTL(OPUS_SET_BITRATE, bitrateBps);
      native.applyEncoderCTL(OPUS_SET_SIGNAL, SIGNALS[signal]);
    } catch (err) {
      throw new ShoalError('INTERNAL', 'could not configure the Opus encoder', { cause: err });
    }
    this.#native = native;
  }

  encode(pcm48kMono20ms: Int16Array): Uint8Array {
    assertOpen(this.#native === undefined, 'Opus encoder');
    const native = this.#native as NativeOpus;
    if (
      !(pcm48kMono20ms instanceof Int16Array) ||
      !VALID_FRAME_LENGTHS.has(pcm48kMono20ms.length)
    ) {
      // libopus would reject other lengths, and the binding does not survive that error.
      throw new ShoalError(
        'INVALID_AUDIO',
        `Opus encodes 2.5–60 ms frames of ${OPUS_SAMPLE_RATE_HZ} Hz mono Int16 samples; got ${describe(pcm48kMono20ms)}`,
      );
    }
    let packet: Buffer;
    try {
      // Host-endian Int16 is what libopus reads; the Buffer views the samples without copying.
      packet = native.encode(
        Buffer.from(pcm48kMono20ms.buffer, pcm48kMono20ms.byteOffset, pcm48kMono20ms.byteLength),
      );
    } catch (err) {
      throw new ShoalError('INTERNAL', 'Opus encoding failed', { cause: err });
    }
    return new Uint8Array(packet.buffer, packet.byteOffset, packet.byteLength);
  }

  close(): void {
    // The binding frees libopus state when the native object is collected.
    this.#native = undefined;
  }
}

function describe(value: unknown): string {
  return value instanceof Int16Array ? `${value.length} samples` : typeof value;
}
