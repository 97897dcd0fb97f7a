/**
 * Level of one frequency in a signal: Goertzel over a Hann-windowed block. For tests and
 * measurements (O(n) per frequency), not for the media path.
 */
export function toneAmplitude(
  samples: ArrayLike<number>,
  sampleRateHz: number,
  frequencyHz: number,
): number {
  const n = samples.length;
  if (n === 0) {
    return 0;
  }
  const omega = (2 * Math.PI * frequencyHz) / sampleRateHz;
  const coeff = 2 * Math.cos(omega);
  let s1 = 0;
  let s2 = 0;
  let windowSum = 0;
  for (let i = 0; i < n; i++) {
    const w = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / n);
    windowSum += w;
    const s0 = (samples[i] as number) * w + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  const re = s1 - s2 * Math.cos(omega);
  const im = s2 * Math.sin(omega);
  // A sine of amplitude A gives |X| ≈ A · Σw / 2.
  return (2 * Math.hypot(re, im)) / windowSum;
}

/** toneAmplitude() in dB relative to PCM16 full scale (a full-scale sine is 0 dB). −Infinity for none. */
export function toneDbfs(
  samples: ArrayLike<number>,
  sampleRateHz: number,
  frequencyHz: number,
): number {
  const amplitude = toneAmplitude(samples, sampleRateHz, frequencyHz);
  return amplitude === 0 ? -Infinity : 20 * Math.log10(amplitude / 32768);
}

/** The strongest frequency on a grid of `stepHz` (from `stepHz` up to Nyquist), with its amplitude. */
export function peakFrequency(
  samples: ArrayLike<number>,
  sampleRateHz: number,
  stepHz = 50,
): { frequencyHz: number; amplitude: number } {
  let best = { frequencyHz: 0, amplitude: 0 };
  for (let f = stepHz; f < sampleRateHz / 2; f += stepHz) {
    const amplitude = toneAmplitude(samples, sampleRateHz, f);
    if (amplitude > best.amplitude) {
      best = { frequencyHz: f, amplitude };
    }
  }
  return best;
}
