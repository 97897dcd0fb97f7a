// The native libopus binding (@discordjs/opus 0.10.0, libopus 1.3.1). A CommonJS module whose
// exports cannot be detected statically, so it is imported whole.
import discordOpus from '@discordjs/opus';
import { ShoalError } from '../../protocol/errors.js';

/** One native object; it lazily creates a libopus encoder and/or decoder. */
export type NativeOpus = InstanceType<typeof discordOpus.OpusEncoder>;

/** Opus always runs at 48 kHz inside Shoal. */
export const OPUS_SAMPLE_RATE_HZ = 48_000;

export function createNativeOpus(channels: number): NativeOpus {
  try {
    return new discordOpus.OpusEncoder(OPUS_SAMPLE_RATE_HZ, channels);
  } catch (err) {
    throw new ShoalError('INTERNAL', 'could not create a native Opus object', { cause: err });
  }
}

/** A Node Buffer viewing the same memory as `bytes` (the binding accepts only Buffers). */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
