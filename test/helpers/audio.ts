import { correlation, envelope } from '../../src/media/pcm/index.js';
import { speechFixture } from './wav.js';

/**
 * How recognisably `received` (PCM at `rateHz`) is the speech fixture: the best Pearson
 * correlation of their 20 ms envelopes over every alignment of the received window inside the
 * fixture played in a loop (a browser's fake microphone loops its file and starts anywhere).
 * The whole received window always overlaps, so a short accidental overlap cannot score high.
 */
export function fixtureCorrelation(received: Int16Array, rateHz: 16000 | 24000 | 48000): number {
  const one = envelope(speechFixture(rateHz).samples, rateHz, 20);
  const heard = envelope(received, rateHz, 20);
  if (heard.length < 50 || heard.length > one.length) {
    throw new Error(`compare 1 s to ${one.length * 20} ms of audio, got ${heard.length * 20} ms`);
  }
  const looped = new Float64Array(one.length * 2);
  looped.set(one, 0);
  looped.set(one, one.length);
  let best = -1;
  for (let offset = 0; offset < one.length; offset += 1) {
    best = Math.max(best, correlation(looped.subarray(offset, offset + heard.length), heard));
  }
  return best;
}

/** Sum of squares of normalised samples: a level-independent "was there sound" measure. */
export function energy(samples: Int16Array): number {
  let sum = 0;
  for (const s of samples) {
    sum += (s / 32768) ** 2;
  }
  return sum;
}
