import { describe, expect, it } from 'vitest';
import { bestLagCorrelation, correlation, envelope, rms, rmsDbfs } from './levels.js';
import { peakFrequency, toneAmplitude, toneDbfs } from './spectrum.js';
import { generateSine, generateSpeechLike, seededRandom } from './synth.js';

describe('levels', { timeout: 5_000 }, () => {
  it('rmsDbfs: full-scale sine ≈ −3 dBFS, −6 dB per halving, silence −Infinity', () => {
    const sine = generateSine({
      frequencyHz: 1000,
      sampleRateHz: 48_000,
      durationMs: 100,
      amplitude: 32767,
    });
    expect(rmsDbfs(sine)).toBeCloseTo(-3.01, 1);
    const half = generateSine({
      frequencyHz: 1000,
      sampleRateHz: 48_000,
      durationMs: 100,
      amplitude: 16384,
    });
    expect(rmsDbfs(half)).toBeCloseTo(-9.03, 1);
    expect(rmsDbfs(new Int16Array(100))).toBe(-Infinity);
    expect(rmsDbfs(new Int16Array(0))).toBe(-Infinity);
    expect(rms(Int16Array.from([3, -3, 3, -3]))).toBe(3);
  });

  it('envelope: one RMS value per whole 20 ms window', () => {
    const loud = generateSine({
      frequencyHz: 500,
      sampleRateHz: 16_000,
      durationMs: 40,
      amplitude: 10_000,
    });
    const samples = new Int16Array(16_000 * 0.1 + 100);
    samples.set(loud, 320 * 2);
    const env = envelope(samples, 16_000);
    expect(env).toHaveLength(5);
    expect(env[0]).toBe(0);
    expect(env[2]).toBeCloseTo(10_000 / Math.SQRT2, -2);
    expect(env[4]).toBe(0);
  });

  it('correlation: 1 for scaled copies, −1 for inverted, 0 for constant', () => {
    const a = [1, 5, 2, 8, 3];
    expect(
      correlation(
        a,
        a.map((v) => v * 3 + 10),
      ),
    ).toBeCloseTo(1, 12);
    expect(
      correlation(
        a,
        a.map((v) => -v),
      ),
    ).toBeCloseTo(-1, 12);
    expect(correlation(a, [4, 4, 4, 4, 4])).toBe(0);
    expect(correlation([1], [1])).toBe(0);
  });

  it('bestLagCorrelation finds the delay of a received envelope', () => {
    const source = envelope(
      generateSpeechLike({ sampleRateHz: 16_000, durationMs: 3000, seed: 11 }),
      16_000,
    );
    const random = seededRandom(5);
    // Received: 7 frames late, attenuated, with a little noise.
    const received = new Float64Array(source.length);
    for (let i = 7; i < received.length; i++) {
      received[i] = 0.5 * (source[i - 7] ?? 0) + random() * 50;
    }
    const best = bestLagCorrelation(source, received, 20);
    expect(best.lagFrames).toBe(7);
    expect(best.correlation).toBeGreaterThan(0.9);
    // Unaligned, the same envelopes correlate much worse.
    expect(correlation(source, received)).toBeLessThan(0.6);
    // And the symmetric case: a is the late one.
    expect(bestLagCorrelation(received, source, 20).lagFrames).toBe(-7);
  });
});

describe('spectrum', { timeout: 5_000 }, () => {
  it('toneAmplitude measures a sine and ignores other frequencies', () => {
    const sine = generateSine({
      frequencyHz: 1234,
      sampleRateHz: 48_000,
      durationMs: 500,
      amplitude: 8000,
    });
    expect(toneAmplitude(sine, 48_000, 1234)).toBeCloseTo(8000, -1);
    expect(toneDbfs(sine, 48_000, 5000)).toBeLessThan(-90);
    const other = generateSine({ frequencyHz: 3250, sampleRateHz: 48_000, durationMs: 100 });
    expect(peakFrequency(other, 48_000, 50).frequencyHz).toBe(3250);
  });
});

describe('synth', { timeout: 5_000 }, () => {
  it('speech-like signal is deterministic, bounded and has pauses', () => {
    const a = generateSpeechLike({ sampleRateHz: 16_000, durationMs: 2000, seed: 3 });
    const b = generateSpeechLike({ sampleRateHz: 16_000, durationMs: 2000, seed: 3 });
    expect(a).toEqual(b);
    expect(a).toHaveLength(32_000);
    const env = envelope(a, 16_000);
    const loud = Array.from(env).filter((v) => v > 1000).length;
    const quiet = Array.from(env).filter((v) => v < 300).length;
    expect(loud).toBeGreaterThan(env.length * 0.3);
    expect(quiet).toBeGreaterThan(env.length * 0.05);
  });
});
