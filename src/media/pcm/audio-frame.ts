import { ShoalError } from '../../protocol/errors.js';
import { pcm16leBytesToSamples, samplesToPcm16leBytes } from './pcm16.js';

/** Highest sample rate an AudioFrame accepts. */
export const MAX_SAMPLE_RATE_HZ = 384_000;
/** Most channels an AudioFrame accepts. */
export const MAX_CHANNELS = 8;

/**
 * The one audio type inside Shoal: interleaved signed 16-bit PCM plus its sample rate and
 * channel count. Immutable by convention (the fields are readonly; the samples are not copied).
 */
export class AudioFrame {
  /** Interleaved samples, `samplesPerChannel * channels` long. */
  readonly data: Int16Array;
  /** Samples per second per channel. */
  readonly sampleRateHz: number;
  /** Interleaved channel count (1 = mono). */
  readonly channels: number;

  constructor(data: Int16Array, sampleRateHz: number, channels = 1) {
    if (!(data instanceof Int16Array)) {
      throw new ShoalError('INVALID_AUDIO', 'AudioFrame data must be an Int16Array');
    }
    if (!Number.isInteger(sampleRateHz) || sampleRateHz <= 0 || sampleRateHz > MAX_SAMPLE_RATE_HZ) {
      throw new ShoalError('INVALID_AUDIO', `invalid sample rate: ${sampleRateHz} Hz`);
    }
    if (!Number.isInteger(channels) || channels < 1 || channels > MAX_CHANNELS) {
      throw new ShoalError('INVALID_AUDIO', `invalid channel count: ${channels}`);
    }
    if (data.length % channels !== 0) {
      throw new ShoalError(
        'INVALID_AUDIO',
        `sample count ${data.length} is not a multiple of the channel count ${channels}`,
      );
    }
    this.data = data;
    this.sampleRateHz = sampleRateHz;
    this.channels = channels;
  }

  /** Samples in each channel. */
  get samplesPerChannel(): number {
    return this.data.length / this.channels;
  }

  /** Duration in milliseconds (may be fractional). */
  get durationMs(): number {
    return (this.samplesPerChannel * 1000) / this.sampleRateHz;
  }

  /**
   * Builds a frame from PCM16 little-endian bytes. Zero-copy when the bytes are 2-byte aligned on
   * a little-endian host (the frame then shares memory with `bytes`); copies otherwise.
   * Throws INVALID_AUDIO on an odd byte length or a length that does not fit the channel count.
   */
  static fromPcm16leBytes(bytes: Uint8Array, sampleRateHz: number, channels = 1): AudioFrame {
    return new AudioFrame(pcm16leBytesToSamples(bytes), sampleRateHz, channels);
  }

  /** A frame of silence lasting `durationMs` (rounded down to whole samples). */
  static silence(durationMs: number, sampleRateHz: number, channels = 1): AudioFrame {
    const samplesPerChannel = Math.floor((durationMs * sampleRateHz) / 1000);
    if (!Number.isFinite(samplesPerChannel) || samplesPerChannel < 0) {
      throw new ShoalError('INVALID_AUDIO', `invalid duration: ${durationMs} ms`);
    }
    return new AudioFrame(new Int16Array(samplesPerChannel * channels), sampleRateHz, channels);
  }

  /** The samples as PCM16 little-endian bytes; zero-copy (a view of `data`) on little-endian hosts. */
  toPcm16leBytes(): Uint8Array {
    return samplesToPcm16leBytes(this.data);
  }
}
