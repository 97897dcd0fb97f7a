import { ShoalError, assertOpen } from '../../protocol/errors.js';
import { pcm16leBytesToSamples } from '../pcm/index.js';
import { OPUS_SAMPLE_RATE_HZ, asBuffer, createNativeOpus } from './opus-native.js';
import type { NativeOpus } from './opus-native.js';
import { DEFAULT_TOC, concealmentPacket } from './opus-toc.js';

/** Decodes Opus packets to 48 kHz mono PCM16, with libopus loss concealment for gaps. */
export interface OpusDecoder {
  /** One packet → its samples at 48 kHz mono (960 for a 20 ms packet). Throws INVALID_AUDIO on a corrupt packet. */
  decode(packet: Uint8Array): Int16Array;
  /**
   * Audio standing in for `durationMs` of lost packets (a positive multiple of 10; default 20):
   * libopus packet-loss concealment, which continues the last sound and fades it. Past
   * `concealmentLimitMs` into a gap it is faded to silence (CELT concealment otherwise settles
   * into a steady −35 dBFS noise). Silence before the first packet.
   */
  decodeLost(durationMs?: number): Int16Array;
  /** Idempotent; decode() afterwards throws CLOSED. */
  close(): void;
}

/** The longest gap decodeLost() fills in one call. */
export const MAX_CONCEALMENT_MS = 5000;
/** Default for OpusDecoderOptions.concealmentLimitMs. */
export const DEFAULT_CONCEALMENT_LIMIT_MS = 100;
// Length of the fade to silence that ends the concealment.
const CONCEALMENT_FADE_MS = 20;

export interface OpusDecoderOptions {
  /**
   * How far into a gap libopus concealment runs, in ms; its last 20 ms fade out and the rest of
   * the gap is silence. 0 turns concealment off (gaps are silence). Default 100.
   */
  concealmentLimitMs?: number;
}

export function createOpusDecoder(options: OpusDecoderOptions = {}): OpusDecoder {
  return new NativeOpusDecoder(options);
}

class NativeOpusDecoder implements OpusDecoder {
  readonly #concealmentLimitMs: number;
  #native: NativeOpus | undefined;
  // TOC byte of the last packet decoded: concealment keeps its mode and bandwidth.
  #lastToc = DEFAULT_TOC;
  // How long the current gap has been concealed so far.
  #concealedMs = 0;

  constructor(options: OpusDecoderOptions) {
    const { concealmentLimitMs = DEFAULT_CONCEALMENT_LIMIT_MS } = options;
    if (!Number.isInteger(concealmentLimitMs) || concealmentLimitMs < 0) {
      throw new ShoalError('BAD_REQUEST', `invalid concealment limit: ${concealmentLimitMs} ms`);
    }
    this.#concealmentLimitMs = concealmentLimitMs;
    this.#native = createNativeOpus(1);
  }

  decode(packet: Uint8Array): Int16Array {
    const native = this.#open();
    if (!(packet instanceof Uint8Array) || packet.byteLength === 0) {
      // An empty buffer would make libopus conceal 120 ms: losses go through decodeLost().
      throw new ShoalError('INVALID_AUDIO', 'an Opus packet must have at least one byte');
    }
    const samples = this.#decodeNative(native, packet);
    this.#lastToc = packet[0] ?? DEFAULT_TOC;
    this.#concealedMs = 0;
    return samples;
  }

  decodeLost(durationMs = 20): Int16Array {
    const native = this.#open();
    if (!Number.isInteger(durationMs / 10) || durationMs <= 0 || durationMs > MAX_CONCEALMENT_MS) {
      throw new ShoalError(
        'BAD_REQUEST',
        `concealment duration must be a positive multiple of 10 ms up to ${MAX_CONCEALMENT_MS}, got ${durationMs}`,
      );
    }
    const samplesPerMs = OPUS_SAMPLE_RATE_HZ / 1000;
    const out = new Int16Array(durationMs * samplesPerMs);
    const limitMs = this.#concealmentLimitMs;
    const fadeMs = Math.min(CONCEALMENT_FADE_MS, limitMs);
    let doneMs = 0;
    while (doneMs < durationMs) {
      const stepMs = durationMs - doneMs >= 20 ? 20 : 10;
      const gapMs = this.#concealedMs;
      if (gapMs < limitMs) {
        const piece = this.#decodeNative(native, concealmentPacket(this.#lastToc, stepMs));
        const offset = doneMs * samplesPerMs;
        // libopus returns exactly stepMs of audio; never write past the requested length.
        const count = Math.min(piece.length, stepMs * samplesPerMs);
        for (let i = 0; i < count; i++) {
          const remainingMs = limitMs - (gapMs + i / samplesPerMs);
          const gain = remainingMs >= fadeMs ? 1 : Math.max(0, remainingMs / fadeMs);
          out[offset + i] = Math.round((piece[i] ?? 0) * gain);
        }
      }
      this.#concealedMs += stepMs;
      doneMs += stepMs;
    }
    return out;
  }

  close(): void {
    // The binding frees libopus state when the native object is collected.
    this.#native = undefined;
  }

  #open(): NativeOpus {
    assertOpen(this.#native === undefined, 'Opus decoder');
    return this.#native as NativeOpus;
  }

  #decodeNative(native: NativeOpus, packet: Uint8Array): Int16Array {
    let pcm: Buffer;
    try {
      pcm = native.decode(asBuffer(packet));
    } catch (err) {
      throw new ShoalError('INVALID_AUDIO', `corrupt Opus packet (${packet.byteLength} bytes)`, {
        cause: err,
      });
    }
    return pcm16leBytesToSamples(pcm);
  }
}
