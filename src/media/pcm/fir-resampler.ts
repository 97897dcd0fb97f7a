import { ShoalError, assertOpen } from '../../protocol/errors.js';
import { designLowPass, kaiserBeta } from './fir-design.js';
import { clampToInt16 } from './pcm16.js';
import type { Resampler } from './resampler-types.js';

/** Tuning of the polyphase windowed-sinc FIR resampler. */
export interface FirResamplerOptions {
  /** Taps per polyphase branch (filter length = taps × integer ratio). Default 32. */
  tapsPerPhase?: number;
  /** −6 dB cutoff as a fraction of the lower rate's Nyquist frequency. Default 0.9. */
  cutoffRatio?: number;
  /** Kaiser design target for the stopband, in dB. Default 80. */
  attenuationDb?: number;
}

const DEFAULTS: Required<FirResamplerOptions> = {
  tapsPerPhase: 32,
  cutoffRatio: 0.9,
  attenuationDb: 80,
};

/**
 * A polyphase windowed-sinc FIR resampler for integer ratios (e.g. 48→16, 48→24, 16→48, 24→48 kHz).
 * Pure TypeScript: no initialisation, nothing to free. The output is delayed by half the filter
 * length (e.g. 1 ms at 48 kHz for 48→16 with 32 taps/phase); the first call's output starts with that ramp.
 */
export function createFirResampler(
  inputRateHz: number,
  outputRateHz: number,
  options: FirResamplerOptions = {},
): Resampler {
  const opts = { ...DEFAULTS, ...options };
  if (!Number.isInteger(opts.tapsPerPhase) || opts.tapsPerPhase < 2 || opts.tapsPerPhase > 512) {
    throw new ShoalError('BAD_REQUEST', `invalid tapsPerPhase: ${opts.tapsPerPhase}`);
  }
  if (!(opts.cutoffRatio > 0 && opts.cutoffRatio <= 1)) {
    throw new ShoalError('BAD_REQUEST', `invalid cutoffRatio: ${opts.cutoffRatio}`);
  }
  if (inputRateHz === outputRateHz) {
    return new PassthroughResampler(inputRateHz);
  }
  const highRateHz = Math.max(inputRateHz, outputRateHz);
  const lowRateHz = Math.min(inputRateHz, outputRateHz);
  const factor = highRateHz / lowRateHz;
  if (!Number.isInteger(factor)) {
    throw new ShoalError(
      'UNSUPPORTED',
      `the FIR resampler needs an integer ratio, got ${inputRateHz} → ${outputRateHz} Hz`,
    );
  }
  const tapCount = factor * opts.tapsPerPhase;
  const design = {
    tapCount,
    cutoffHz: (opts.cutoffRatio * lowRateHz) / 2,
    sampleRateHz: highRateHz,
    beta: kaiserBeta(opts.attenuationDb),
  };
  if (inputRateHz > outputRateHz) {
    return new FirDecimator(
      inputRateHz,
      outputRateHz,
      factor,
      designLowPass({ ...design, gain: 1 }),
    );
  }
  return new FirInterpolator(
    inputRateHz,
    outputRateHz,
    factor,
    designLowPass({ ...design, gain: factor }),
  );
}

/** Keeps one sample in `factor`, after the anti-alias low-pass. */
class FirDecimator implements Resampler {
  readonly inputRateHz: number;
  readonly outputRateHz: number;
  // Taps reversed, so that output = Σ taps[k] · work[start + k].
  readonly #reversedTaps: Float64Array;
  readonly #factor: number;
  // The last (tapCount − 1) input samples followed by the new input.
  #work: Float64Array;
  // Index in #work of the oldest sample under the filter for the next output.
  #nextStart = 0;
  #closed = false;

  constructor(inputRateHz: number, outputRateHz: number, factor: number, taps: Float64Array) {
    this.inputRateHz = inputRateHz;
    this.outputRateHz = outputRateHz;
    this.#factor = factor;
    this.#reversedTaps = taps.slice().reverse();
    this.#work = new Float64Array(taps.length - 1 + 960 * 4);
  }

  process(input: Int16Array): Int16Array {
    assertOpen(this.#closed, 'resampler');
    const taps = this.#reversedTaps;
    const tapCount = taps.length;
    const history = tapCount - 1;
    const total = history + input.length;
    if (this.#work.length < total) {
      const grown = new Float64Array(total);
      grown.set(this.#work.subarray(0, history));
      this.#work = grown;
    }
    const work = this.#work;
    for (let i = 0; i < input.length; i++) {
      work[history + i] = input[i] ?? 0;
    }
    const factor = this.#factor;
    let start = this.#nextStart;
    const outputCount =
      start + tapCount <= total ? Math.floor((total - tapCount - start) / factor) + 1 : 0;
    const output = new Int16Array(outputCount);
    for (let o = 0; o < outputCount; o++, start += factor) {
      let acc = 0;
      for (let k = 0; k < tapCount; k++) {
        acc += (taps[k] as number) * (work[start + k] as number);
      }
      output[o] = clampToInt16(acc);
    }
    // Keep the last `history` samples; rebase the next start on them.
    const shift = total - history;
    work.copyWithin(0, shift, total);
    this.#nextStart = start - shift;
    return output;
  }

  reset(): void {
    this.#work.fill(0);
    this.#nextStart = 0;
  }

  close(): void {
    this.#closed = true;
  }
}

/** Produces `factor` samples per input sample through the polyphase branches of the image filter. */
class FirInterpolator implements Resampler {
  readonly inputRateHz: number;
  readonly outputRateHz: number;
  readonly #factor: number;
  readonly #tapsPerPhase: number;
  // Branch p, tap j (reversed within the branch) at p * tapsPerPhase + j.
  readonly #branches: Float64Array;
  // The last (tapsPerPhase − 1) input samples followed by the new input.
  #work: Float64Array;
  #closed = false;

  constructor(inputRateHz: number, outputRateHz: number, factor: number, taps: Float64Array) {
    this.inputRateHz = inputRateHz;
    this.outputRateHz = outputRateHz;
    this.#factor = factor;
    const tapsPerPhase = taps.length / factor;
    this.#tapsPerPhase = tapsPerPhase;
    this.#branches = new Float64Array(taps.length);
    for (let p = 0; p < factor; p++) {
      for (let k = 0; k < tapsPerPhase; k++) {
        // y[n·L + p] = Σ_k taps[k·L + p] · x[n − k]; stored reversed so x runs forward.
        this.#branches[p * tapsPerPhase + (tapsPerPhase - 1 - k)] = taps[k * factor + p] ?? 0;
      }
    }
    this.#work = new Float64Array(tapsPerPhase - 1 + 960);
  }

  process(input: Int16Array): Int16Array {
    assertOpen(this.#closed, 'resampler');
    const tapsPerPhase = this.#tapsPerPhase;
    const history = tapsPerPhase - 1;
    const total = history + input.length;
    if (this.#work.length < total) {
      const grown = new Float64Array(total);
      grown.set(this.#work.subarray(0, history));
      this.#work = grown;
    }
    const work = this.#work;
    for (let i = 0; i < input.length; i++) {
      work[history + i] = input[i] ?? 0;
    }
    const factor = this.#factor;
    const branches = this.#branches;
    const output = new Int16Array(input.length * factor);
    let o = 0;
    for (let n = 0; n < input.length; n++) {
      for (let p = 0; p < factor; p++) {
        const base = p * tapsPerPhase;
        let acc = 0;
        for (let j = 0; j < tapsPerPhase; j++) {
          acc += (branches[base + j] as number) * (work[n + j] as number);
        }
        output[o++] = clampToInt16(acc);
      }
    }
    work.copyWithin(0, input.length, total);
    return output;
  }

  reset(): void {
    this.#work.fill(0);
  }

  close(): void {
    this.#closed = true;
  }
}

/** Same rate in and out: copies. */
export class PassthroughResampler implements Resampler {
  readonly inputRateHz: number;
  readonly outputRateHz: number;
  #closed = false;

  constructor(sampleRateHz: number) {
    this.inputRateHz = sampleRateHz;
    this.outputRateHz = sampleRateHz;
  }

  process(input: Int16Array): Int16Array {
    assertOpen(this.#closed, 'resampler');
    return input.slice();
  }

  reset(): void {}

  close(): void {
    this.#closed = true;
  }
}
