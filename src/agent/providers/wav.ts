import { AudioFrame } from '../../media/pcm/index.js';
import { ShoalError } from '../../protocol/index.js';

/** A mono PCM16 WAV file of the frame. */
export function encodeWav(frame: AudioFrame): Uint8Array {
  const dataBytes = frame.data.length * 2;
  const out = new Uint8Array(44 + dataBytes);
  const view = new DataView(out.buffer);
  const ascii = (offset: number, text: string): void => {
    for (let i = 0; i < text.length; i++) {
      out[offset + i] = text.charCodeAt(i);
    }
  };
  ascii(0, 'RIFF');
  view.setUint32(4, 36 + dataBytes, true);
  ascii(8, 'WAVE');
  ascii(12, 'fmt ');
  view.setUint32(16, 16, true);
  view.setUint16(20, 1, true);
  view.setUint16(22, frame.channels, true);
  view.setUint32(24, frame.sampleRateHz, true);
  view.setUint32(28, frame.sampleRateHz * frame.channels * 2, true);
  view.setUint16(32, frame.channels * 2, true);
  view.setUint16(34, 16, true);
  ascii(36, 'data');
  view.setUint32(40, dataBytes, true);
  for (let i = 0; i < frame.data.length; i++) {
    view.setInt16(44 + i * 2, frame.data[i] ?? 0, true);
  }
  return out;
}

/**
 * Reads a PCM16 WAV (RIFF, format 1). Tolerates the 0xFFFFFFFF sizes of streamed WAVs (espeak-ng
 * --stdout): the data chunk then runs to the end. Throws INVALID_AUDIO otherwise.
 */
export function decodeWav(bytes: Uint8Array): AudioFrame {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tag = (offset: number): string =>
    String.fromCharCode(...bytes.subarray(offset, offset + 4));
  if (bytes.byteLength < 12 || tag(0) !== 'RIFF' || tag(8) !== 'WAVE') {
    throw new ShoalError('INVALID_AUDIO', 'not a WAV file');
  }
  let offset = 12;
  let rate = 0;
  let channels = 0;
  while (offset + 8 <= bytes.byteLength) {
    const id = tag(offset);
    const size = view.getUint32(offset + 4, true);
    const body = offset + 8;
    if (id === 'fmt ') {
      if (view.getUint16(body, true) !== 1 || view.getUint16(body + 14, true) !== 16) {
        throw new ShoalError('INVALID_AUDIO', 'WAV is not PCM16');
      }
      channels = view.getUint16(body + 2, true);
      rate = view.getUint32(body + 4, true);
    } else if (id === 'data') {
      if (!rate) {
        throw new ShoalError('INVALID_AUDIO', 'WAV data before fmt');
      }
      const end =
        size === 0xffffffff || body + size > bytes.byteLength ? bytes.byteLength : body + size;
      const count = Math.floor((end - body) / 2 / channels) * channels;
      const samples = new Int16Array(count);
      for (let i = 0; i < count; i++) {
        samples[i] = view.getInt16(body + i * 2, true);
      }
      return new AudioFrame(samples, rate, channels);
    }
    offset = body + size + (size % 2);
  }
  throw new ShoalError('INVALID_AUDIO', 'WAV has no data chunk');
}
