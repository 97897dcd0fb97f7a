import { ShoalError } from '../../protocol/errors.js';

export interface ChunkerOptions {
  sampleRateHz: number;
  /** Frame length; default 20 ms. Must be a whole number of samples at `sampleRateHz`. */
  frameDurationMs?: number;
  /** Interleaved channels; default 1. */
  channels?: number;
}

/**
 * Cuts a stream of PCM16 pieces of any length into whole fixed-length frames (20 ms by default).
 * A pure processor: it holds at most one partial frame, in a buffer allocated once.
 * Every frame returned is a new array that the caller owns.
 */
export class Chunker {
  readonly sampleRateHz: number;
  readonly channels: number;
  readonly frameDurationMs: number;
  /** Samples (all channels) in one frame. */
  readonly frameLength: number;
  readonly #partial: Int16Array;
  #filled = 0;

  constructor(options: ChunkerOptions) {
    const { sampleRateHz, frameDurationMs = 20, channels = 1 } = options;
    const samplesPerChannel = (sampleRateHz * frameDurationMs) / 1000;
    if (
      !Number.isInteger(sampleRateHz) ||
      sampleRateHz <= 0 ||
      !Number.isInteger(channels) ||
      channels < 1 ||
      !Number.isInteger(samplesPerChannel) ||
      samplesPerChannel <= 0
    ) {
      throw new ShoalError(
        'BAD_REQUEST',
        `invalid chunker: ${frameDurationMs} ms at ${sampleRateHz} Hz × ${channels} channels`,
      );
    }
    this.sampleRateHz = sampleRateHz;
    this.channels = channels;
    this.frameDurationMs = frameDurationMs;
    this.frameLength = samplesPerChannel * channels;
    this.#partial = new Int16Array(this.frameLength);
  }

  /** Audio held back waiting for a whole frame, in milliseconds. */
  get bufferedMs(): number {
    return (this.#filled / this.channels / this.sampleRateHz) * 1000;
  }

  /** Samples (all channels) held back waiting for a whole frame. */
  get bufferedSamples(): number {
    return this.#filled;
  }

  /** Adds samples; returns the whole frames now complete (possibly none), oldest first. */
  push(samples: Int16Array): Int16Array[] {
    if (samples.length % this.channels !== 0) {
      throw new ShoalError(
        'INVALID_AUDIO',
        `sample count ${samples.length} is not a multiple of ${this.channels} channels`,
      );
    }
    const frames: Int16Array[] = [];
    const frameLength = this.frameLength;
    let offset = 0;
    if (this.#filled > 0) {
      const take = Math.min(frameLength - this.#filled, samples.length);
      this.#partial.set(samples.subarray(0, take), this.#filled);
      this.#filled += take;
      offset = take;
      if (this.#filled < frameLength) {
        return frames;
      }
      frames.push(this.#partial.slice());
      this.#filled = 0;
    }
    while (samples.length - offset >= frameLength) {
      frames.push(samples.slice(offset, offset + frameLength));
      offset += frameLength;
    }
    if (offset < samples.length) {
      this.#partial.set(samples.subarray(offset), 0);
      this.#filled = samples.length - offset;
    }
    return frames;
  }

  /**
   * Ends the stream: returns the held-back samples ZERO-PADDED to one whole frame (so every
   * frame has the same length), or undefined when nothing is held. The chunker is then empty.
   */
  flush(): Int16Array | undefined {
    if (this.#filled === 0) {
      return undefined;
    }
    const frame = new Int16Array(this.frameLength);
    frame.set(this.#partial.subarray(0, this.#filled));
    this.#filled = 0;
    return frame;
  }

  /** Drops the held-back samples (e.g. on interrupt). */
  reset(): void {
    this.#filled = 0;
  }
}
