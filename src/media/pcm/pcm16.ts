import { ShoalError } from '../../protocol/errors.js';

/** Whether this machine stores 16-bit integers little-endian (every platform Node ships on today). */
export const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Reads PCM16 little-endian bytes as samples. Zero-copy (a view sharing `bytes`' memory) when the
 * host is little-endian and `bytes.byteOffset` is even; otherwise the samples are copied.
 * Throws INVALID_AUDIO on an odd byte length.
 */
export function pcm16leBytesToSamples(bytes: Uint8Array): Int16Array {
  if (bytes.byteLength % 2 !== 0) {
    throw new ShoalError(
      'INVALID_AUDIO',
      `PCM16 data must have an even byte length, got ${bytes.byteLength}`,
    );
  }
  const sampleCount = bytes.byteLength / 2;
  if (HOST_IS_LITTLE_ENDIAN && bytes.byteOffset % 2 === 0) {
    return new Int16Array(bytes.buffer, bytes.byteOffset, sampleCount);
  }
  const out = new Int16Array(sampleCount);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < sampleCount; i++) {
    out[i] = view.getInt16(i * 2, true);
  }
  return out;
}

/** Writes samples as PCM16 little-endian bytes; zero-copy (a view of `samples`) on little-endian hosts. */
export function samplesToPcm16leBytes(samples: Int16Array): Uint8Array {
  if (HOST_IS_LITTLE_ENDIAN) {
    return new Uint8Array(samples.buffer, samples.byteOffset, samples.byteLength);
  }
  const out = new Uint8Array(samples.length * 2);
  const view = new DataView(out.buffer);
  for (let i = 0; i < samples.length; i++) {
    view.setInt16(i * 2, samples[i] ?? 0, true);
  }
  return out;
}

/** Rounds and clamps a float sample to the Int16 range. */
export function clampToInt16(value: number): number {
  const rounded = Math.round(value);
  return rounded > 32767 ? 32767 : rounded < -32768 ? -32768 : rounded;
}
