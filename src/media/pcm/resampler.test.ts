import { beforeAll, describe, expect, it } from 'vitest';
import { isShoalError } from '../../protocol/errors.js';
import { createResampler, initResamplers } from './resampler.js';
import type { Resampler, ResamplerEngine } from './resampler-types.js';
import { rmsDbfs } from './levels.js';
import { toneAmplitude } from './spectrum.js';
import { generateSine, generateSpeechLike } from './synth.js';

const CONVERSIONS = [
  [48_000, 16_000],
  [48_000, 24_000],
  [16_000, 48_000],
  [24_000, 48_000],
] as const;

const ENGINES: ResamplerEngine[] = ['speex', 'fir'];

/** Feeds `input` in 20 ms frames, as the media path does, and joins the output. */
function processInFrames(resampler: Resampler, input: Int16Array): Int16Array {
  const frameLength = resampler.inputRateHz / 50;
  const parts: Int16Array[] = [];
  for (let offset = 0; offset < input.length; offset += frameLength) {
    parts.push(resampler.process(input.subarray(offset, offset + frameLength)));
  }
  return concat(parts);
}

function concat(parts: Int16Array[]): Int16Array {
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** Drops the first 100 ms (filter start-up) of a signal. */
function steady(samples: Int16Array, sampleRateHz: number): Int16Array {
  return samples.subarray(sampleRateHz / 10);
}

function db(ratio: number): number {
  return 20 * Math.log10(ratio);
}

beforeAll(async () => {
  await initResamplers();
});

describe.each(ENGINES)('resampler engine %s', (engine) => {
  describe.each(CONVERSIONS)('%i → %i Hz', (inputRateHz, outputRateHz) => {
    it('passes 1 kHz within ±0.5 dB', { timeout: 10_000 }, () => {
      const resampler = createResampler(inputRateHz, outputRateHz, { engine });
      const input = generateSine({
        frequencyHz: 1000,
        sampleRateHz: inputRateHz,
        durationMs: 1000,
      });
      const output = processInFrames(resampler, input);
      const inAmplitude = toneAmplitude(steady(input, inputRateHz), inputRateHz, 1000);
      const outAmplitude = toneAmplitude(steady(output, outputRateHz), outputRateHz, 1000);
      expect(Math.abs(db(outAmplitude / inAmplitude))).toBeLessThan(0.5);
      resampler.close();
    });

    if (inputRateHz > outputRateHz) {
      // Tones above the output Nyquist must not fold back into the band.
      const tonesHz =
        outputRateHz === 16_000
          ? [9_000, 10_000, 12_000, 15_000, 20_000]
          : [14_000, 16_000, 20_000];
      it.each(tonesHz)(
        'suppresses a %i Hz tone (alias) by ≥ 60 dB',
        { timeout: 10_000 },
        (toneHz) => {
          const resampler = createResampler(inputRateHz, outputRateHz, { engine });
          const input = generateSine({
            frequencyHz: toneHz,
            sampleRateHz: inputRateHz,
            durationMs: 1000,
          });
          const output = processInFrames(resampler, input);
          const relativeDb = rmsDbfs(steady(output, outputRateHz)) - rmsDbfs(input);
          expect(relativeDb).toBeLessThanOrEqual(-60);
          // Also where the alias would land.
          const aliasHz = Math.abs(outputRateHz * Math.round(toneHz / outputRateHz) - toneHz);
          const aliasDb = db(
            toneAmplitude(steady(output, outputRateHz), outputRateHz, aliasHz) /
              toneAmplitude(input, inputRateHz, toneHz),
          );
          expect(aliasDb).toBeLessThanOrEqual(-60);
          resampler.close();
        },
      );
    } else {
      // Upsampling a 1 kHz tone leaves images at k·inputRate ± 1 kHz (folded into 0…24 kHz).
      const imagesHz = inputRateHz === 16_000 ? [15_000, 17_000] : [23_000];
      it(
        `keeps the images of 1 kHz (${imagesHz.join(', ')} Hz) ≥ 60 dB down`,
        { timeout: 10_000 },
        () => {
          const resampler = createResampler(inputRateHz, outputRateHz, { engine });
          const input = generateSine({
            frequencyHz: 1000,
            sampleRateHz: inputRateHz,
            durationMs: 1000,
          });
          const output = steady(processInFrames(resampler, input), outputRateHz);
          const tone = toneAmplitude(output, outputRateHz, 1000);
          expect(tone).toBeGreaterThan(10_000);
          for (const imageHz of imagesHz) {
            expect(db(toneAmplitude(output, outputRateHz, imageHz) / tone)).toBeLessThanOrEqual(
              -60,
            );
          }
          resampler.close();
        },
      );

      // A tone near the top of the input band puts its first image just above that band.
      const [edgeToneHz, edgeImageHz] = inputRateHz === 16_000 ? [6_000, 10_000] : [9_000, 15_000];
      it(
        `keeps the image of ${edgeToneHz} Hz (${edgeImageHz} Hz) ≥ 60 dB down`,
        { timeout: 10_000 },
        () => {
          const resampler = createResampler(inputRateHz, outputRateHz, { engine });
          const input = generateSine({
            frequencyHz: edgeToneHz,
            sampleRateHz: inputRateHz,
            durationMs: 1000,
          });
          const output = steady(processInFrames(resampler, input), outputRateHz);
          const tone = toneAmplitude(output, outputRateHz, edgeToneHz);
          expect(db(toneAmplitude(output, outputRateHz, edgeImageHz) / tone)).toBeLessThanOrEqual(
            -60,
          );
        },
      );
    }

    it('gives the same output in 20 ms frames, odd pieces or one call', { timeout: 10_000 }, () => {
      const input = generateSpeechLike({ sampleRateHz: inputRateHz, durationMs: 1000, seed: 7 });
      const whole = createResampler(inputRateHz, outputRateHz, { engine }).process(input);
      const framed = processInFrames(createResampler(inputRateHz, outputRateHz, { engine }), input);
      expect(framed).toEqual(whole);
      // Pieces of awkward sizes (1, 7, 13, … samples) still give the same stream.
      const odd = createResampler(inputRateHz, outputRateHz, { engine });
      const parts: Int16Array[] = [];
      let offset = 0;
      for (let size = 1; offset < input.length; size = (size * 7 + 3) % 500) {
        parts.push(odd.process(input.subarray(offset, offset + size)));
        offset += size;
      }
      expect(concat(parts)).toEqual(whole);
      expect(whole.length).toBe((input.length * outputRateHz) / inputRateHz);
    });

    it('outputs exactly input × ratio per 20 ms frame', { timeout: 10_000 }, () => {
      const resampler = createResampler(inputRateHz, outputRateHz, { engine });
      const frame = generateSpeechLike({ sampleRateHz: inputRateHz, durationMs: 20, seed: 3 });
      for (let i = 0; i < 100; i++) {
        expect(resampler.process(frame).length).toBe(outputRateHz / 50);
      }
      resampler.close();
    });

    it('reset() forgets the history; close() is idempotent and final', { timeout: 10_000 }, () => {
      const input = generateSpeechLike({ sampleRateHz: inputRateHz, durationMs: 200, seed: 5 });
      const resampler = createResampler(inputRateHz, outputRateHz, { engine });
      const first = resampler.process(input);
      resampler.process(input);
      resampler.reset();
      expect(resampler.process(input)).toEqual(first);
      resampler.close();
      resampler.close();
      let caught: unknown;
      try {
        resampler.process(input);
      } catch (err) {
        caught = err;
      }
      expect(isShoalError(caught, 'CLOSED')).toBe(true);
    });
  });
});

describe('createResampler', { timeout: 5_000 }, () => {
  it('rejects rates it does not support', () => {
    for (const [inRate, outRate] of [
      [44_100, 48_000],
      [48_000, 22_050],
    ] as const) {
      let caught: unknown;
      try {
        createResampler(inRate, outRate);
      } catch (err) {
        caught = err;
      }
      expect(isShoalError(caught, 'UNSUPPORTED')).toBe(true);
    }
  });

  it('passes same-rate audio through as a copy', () => {
    const input = generateSpeechLike({ sampleRateHz: 16_000, durationMs: 20 });
    const output = createResampler(16_000, 16_000).process(input);
    expect(output).toEqual(input);
    expect(output.buffer).not.toBe(input.buffer);
  });

  it('returns an empty array for empty input', () => {
    for (const engine of ENGINES) {
      expect(createResampler(48_000, 16_000, { engine }).process(new Int16Array(0))).toHaveLength(
        0,
      );
    }
  });
});
