import { ShoalError } from '../../protocol/errors.js';

/** Full scale of PCM16. */
const FULL_SCALE = 32768;

/** Root mean square of the samples (0 for none). */
export function rms(samples: ArrayLike<number>): number {
  if (samples.length === 0) {
    return 0;
  }
  let sum = 0;
  for (let i = 0; i < samples.length; i++) {
    const v = samples[i] as number;
    sum += v * v;
  }
  return Math.sqrt(sum / samples.length);
}

/**
 * RMS level in dB relative to full scale (a full-scale square wave is 0 dBFS, a full-scale sine
 * ≈ −3 dBFS). Silence and empty input give −Infinity.
 */
export function rmsDbfs(samples: ArrayLike<number>): number {
  const value = rms(samples);
  return value === 0 ? -Infinity : 20 * Math.log10(value / FULL_SCALE);
}

/**
 * Per-window RMS envelope (linear, PCM16 units) of mono samples: one value per whole window of
 * `windowMs` (default 20 ms); a trailing partial window is ignored.
 */
export function envelope(samples: Int16Array, sampleRateHz: number, windowMs = 20): Float64Array {
  const windowLength = Math.round((sampleRateHz * windowMs) / 1000);
  if (!(windowLength > 0)) {
    throw new ShoalError(
      'BAD_REQUEST',
      `invalid envelope window: ${windowMs} ms at ${sampleRateHz} Hz`,
    );
  }
  const count = Math.floor(samples.length / windowLength);
  const out = new Float64Array(count);
  for (let w = 0; w < count; w++) {
    out[w] = rms(samples.subarray(w * windowLength, (w + 1) * windowLength));
  }
  return out;
}

/**
 * Pearson correlation of a and b over their common length (the shorter one's). Returns 0 when
 * fewer than 2 values overlap or either side is constant.
 */
export function correlation(a: ArrayLike<number>, b: ArrayLike<number>): number {
  return correlationAt(a, b, 0, Math.min(a.length, b.length));
}

/** Correlation of a[i] with b[i + lag] for i where both exist. */
function correlationAt(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  lag: number,
  maxLength: number,
): number {
  const aStart = Math.max(0, -lag);
  const n = Math.min(a.length - aStart, b.length - (aStart + lag), maxLength);
  if (n < 2) {
    return 0;
  }
  let sumA = 0;
  let sumB = 0;
  for (let i = 0; i < n; i++) {
    sumA += a[aStart + i] as number;
    sumB += b[aStart + lag + i] as number;
  }
  const meanA = sumA / n;
  const meanB = sumB / n;
  let cov = 0;
  let varA = 0;
  let varB = 0;
  for (let i = 0; i < n; i++) {
    const da = (a[aStart + i] as number) - meanA;
    const db = (b[aStart + lag + i] as number) - meanB;
    cov += da * db;
    varA += da * da;
    varB += db * db;
  }
  if (varA === 0 || varB === 0) {
    return 0;
  }
  return cov / Math.sqrt(varA * varB);
}

export interface LagCorrelation {
  /** Best Pearson correlation found. */
  correlation: number;
  /** b lags a by this many frames (positive: b is later). */
  lagFrames: number;
}

/**
 * Best Pearson correlation of a[i] with b[i + lag] over lags −maxLagFrames…maxLagFrames: aligns
 * two envelopes (e.g. a source and what a receiver heard, which is late by the path latency).
 * Lags leaving fewer than 2 overlapping values are skipped.
 */
export function bestLagCorrelation(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  maxLagFrames: number,
): LagCorrelation {
  if (!Number.isInteger(maxLagFrames) || maxLagFrames < 0) {
    throw new ShoalError('BAD_REQUEST', `invalid maxLagFrames: ${maxLagFrames}`);
  }
  let best: LagCorrelation = { correlation: -Infinity, lagFrames: 0 };
  for (let lag = -maxLagFrames; lag <= maxLagFrames; lag++) {
    const c = correlationAt(a, b, lag, Infinity);
    if (c > best.correlation) {
      best = { correlation: c, lagFrames: lag };
    }
  }
  return best.correlation === -Infinity ? { correlation: 0, lagFrames: 0 } : best;
}
