import { ShoalError } from '../../protocol/errors.js';
import { clampToInt16 } from './pcm16.js';

/** Deterministic pseudo-random numbers in [0, 1) (mulberry32), so test signals repeat exactly. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function sampleCount(durationMs: number, sampleRateHz: number): number {
  const count = Math.round((durationMs * sampleRateHz) / 1000);
  if (!Number.isInteger(sampleRateHz) || sampleRateHz <= 0 || !(count >= 0)) {
    throw new ShoalError('BAD_REQUEST', `invalid signal: ${durationMs} ms at ${sampleRateHz} Hz`);
  }
  return count;
}

export interface SineOptions {
  frequencyHz: number;
  sampleRateHz: number;
  durationMs: number;
  /** Peak amplitude in PCM16 units; default 16384 (−6 dBFS). */
  amplitude?: number;
  /** Starting phase in radians; default 0. */
  phase?: number;
}

/** A mono sine tone. */
export function generateSine(options: SineOptions): Int16Array {
  const { frequencyHz, sampleRateHz, durationMs, amplitude = 16384, phase = 0 } = options;
  const n = sampleCount(durationMs, sampleRateHz);
  const out = new Int16Array(n);
  const step = (2 * Math.PI * frequencyHz) / sampleRateHz;
  for (let i = 0; i < n; i++) {
    out[i] = clampToInt16(amplitude * Math.sin(phase + step * i));
  }
  return out;
}

export interface SpeechLikeOptions {
  sampleRateHz: number;
  durationMs: number;
  /** Seed of the noise and pitch wander; default 1. */
  seed?: number;
  /** Peak amplitude in PCM16 units; default 12000. */
  amplitude?: number;
}

/**
 * A deterministic speech-like mono signal: a gliding 100–220 Hz pitch with harmonics shaped by
 * two formant-like bumps, a ~4 Hz syllable envelope with pauses, and a little noise. Stands in
 * for speech in codec benches and envelope tests (not intelligible).
 */
export function generateSpeechLike(options: SpeechLikeOptions): Int16Array {
  const { sampleRateHz, durationMs, seed = 1, amplitude = 12000 } = options;
  const n = sampleCount(durationMs, sampleRateHz);
  const random = seededRandom(seed);
  const out = new Int16Array(n);
  const nyquistHz = sampleRateHz / 2;
  const harmonicGain = (f: number): number =>
    Math.exp(-(((f - 600) / 300) ** 2)) + 0.6 * Math.exp(-(((f - 1700) / 500) ** 2)) + 0.05;
  let phase = 0;
  // Syllables: 180–300 ms voiced, then 40–200 ms of near-silence.
  let syllableEnd = 0;
  let syllableStart = 0;
  let voicedUntil = 0;
  let pitchHz = 150;
  for (let i = 0; i < n; i++) {
    if (i >= syllableEnd) {
      syllableStart = i;
      voicedUntil = i + Math.round(sampleRateHz * (0.18 + 0.12 * random()));
      syllableEnd = voicedUntil + Math.round(sampleRateHz * (0.04 + 0.16 * random()));
      pitchHz = 100 + 120 * random();
    }
    const inVoiced = i < voicedUntil;
    const syllablePos = (i - syllableStart) / Math.max(1, voicedUntil - syllableStart);
    const gain = inVoiced ? Math.sin(Math.PI * syllablePos) : 0;
    const f0 = pitchHz * (1 + 0.1 * syllablePos);
    phase += (2 * Math.PI * f0) / sampleRateHz;
    let voiced = 0;
    for (let h = 1; h * f0 < Math.min(4000, nyquistHz); h++) {
      voiced += harmonicGain(h * f0) * Math.sin(h * phase);
    }
    const noise = (random() - 0.5) * 0.04;
    out[i] = clampToInt16(amplitude * (0.35 * gain * voiced + noise));
  }
  return out;
}
