/**
 * Windowed-sinc low-pass design (Kaiser window) for the polyphase FIR resampler.
 * Pure math, no state.
 */

/** Zeroth-order modified Bessel function of the first kind (series expansion). */
export function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  const halfX = x / 2;
  for (let k = 1; k < 64; k++) {
    term *= (halfX / k) * (halfX / k);
    sum += term;
    if (term < sum * 1e-17) {
      break;
    }
  }
  return sum;
}

/** Kaiser window beta for a stopband attenuation in dB (Kaiser's empirical formula). */
export function kaiserBeta(attenuationDb: number): number {
  if (attenuationDb > 50) {
    return 0.1102 * (attenuationDb - 8.7);
  }
  if (attenuationDb >= 21) {
    return 0.5842 * (attenuationDb - 21) ** 0.4 + 0.07886 * (attenuationDb - 21);
  }
  return 0;
}

export interface LowPassDesign {
  /** Filter length in taps. */
  tapCount: number;
  /** -6 dB cutoff in Hz. */
  cutoffHz: number;
  /** Rate the filter runs at, in Hz. */
  sampleRateHz: number;
  /** Kaiser window beta. */
  beta: number;
  /** DC gain of the filter (1 for decimation, the upsampling factor for interpolation). */
  gain: number;
}

/** Linear-phase windowed-sinc low-pass taps, normalised so that the DC gain is `gain`. */
export function designLowPass(design: LowPassDesign): Float64Array {
  const { tapCount, cutoffHz, sampleRateHz, beta, gain } = design;
  const taps = new Float64Array(tapCount);
  const fc = cutoffHz / sampleRateHz;
  const centre = (tapCount - 1) / 2;
  const i0Beta = besselI0(beta);
  let sum = 0;
  for (let n = 0; n < tapCount; n++) {
    const t = n - centre;
    const sinc = t === 0 ? 2 * fc : Math.sin(2 * Math.PI * fc * t) / (Math.PI * t);
    const r = centre === 0 ? 0 : t / centre;
    const window = besselI0(beta * Math.sqrt(Math.max(0, 1 - r * r))) / i0Beta;
    taps[n] = sinc * window;
    sum += sinc * window;
  }
  for (let n = 0; n < tapCount; n++) {
    taps[n] = ((taps[n] ?? 0) * gain) / sum;
  }
  return taps;
}
