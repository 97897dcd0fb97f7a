import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface Wav {
  sampleRateHz: number;
  channels: number;
  samples: Int16Array;
}

/** Reads a PCM16 WAV file (RIFF, fmt tag 1). */
export function readWav(path: string): Wav {
  const buf = readFileSync(path);
  if (buf.toString('ascii', 0, 4) !== 'RIFF' || buf.toString('ascii', 8, 12) !== 'WAVE') {
    throw new Error(`${path} is not a WAV file`);
  }
  let offset = 12;
  let sampleRateHz = 0;
  let channels = 0;
  while (offset + 8 <= buf.length) {
    const id = buf.toString('ascii', offset, offset + 4);
    const size = buf.readUInt32LE(offset + 4);
    const body = offset + 8;
    if (id === 'fmt ') {
      if (buf.readUInt16LE(body) !== 1 || buf.readUInt16LE(body + 14) !== 16) {
        throw new Error(`${path} is not PCM16`);
      }
      channels = buf.readUInt16LE(body + 2);
      sampleRateHz = buf.readUInt32LE(body + 4);
    } else if (id === 'data') {
      const samples = new Int16Array(size / 2);
      for (let i = 0; i < samples.length; i += 1) {
        samples[i] = buf.readInt16LE(body + i * 2);
      }
      return { sampleRateHz, channels, samples };
    }
    offset = body + size + (size % 2);
  }
  throw new Error(`${path} has no data chunk`);
}

export function fixturePath(name: string): string {
  return fileURLToPath(new URL(`../../fixtures/${name}`, import.meta.url));
}

/** The committed espeak-ng speech fixture at 16, 24 or 48 kHz, and its text. */
export function speechFixture(rateHz: 16000 | 24000 | 48000): Wav {
  return readWav(fixturePath(`speech-${rateHz / 1000}k.wav`));
}

export function toBytes(samples: Int16Array): Uint8Array {
  return new Uint8Array(samples.buffer, samples.byteOffset, samples.byteLength);
}

/** The second speaker's fixture (another voice and text: fixtures/speech2.txt) at 16 or 24 kHz. */
export function speech2Fixture(rateHz: 16000 | 24000): Wav {
  return readWav(fixturePath(`speech2-${rateHz / 1000}k.wav`));
}

/** The text of a fixture (`speech.txt`, `speech2.txt`). */
export function fixtureText(name: 'speech.txt' | 'speech2.txt'): string {
  return readFileSync(fixturePath(name), 'utf8').trim();
}
