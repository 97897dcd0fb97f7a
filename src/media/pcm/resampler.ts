import { ShoalError } from '../../protocol/errors.js';
import { PassthroughResampler, createFirResampler } from './fir-resampler.js';
import type { FirResamplerOptions } from './fir-resampler.js';
import type { Resampler, ResamplerEngine } from './resampler-types.js';
import {
  DEFAULT_SPEEX_QUALITY,
  createSpeexResampler,
  isSpeexResamplerLoaded,
  loadSpeexResampler,
} from './speex-resampler.js';

/** Rates Shoal converts between (the Opus rates). */
export const SUPPORTED_SAMPLE_RATES_HZ: readonly number[] = [8000, 12000, 16000, 24000, 48000];

/** The engine createResampler() uses unless told otherwise (chosen on bench numbers; see bench/codec.ts). */
export const DEFAULT_RESAMPLER_ENGINE: ResamplerEngine = 'speex';

export interface CreateResamplerOptions {
  /** Default DEFAULT_RESAMPLER_ENGINE. 'speex' needs `await initResamplers()` once beforehand. */
  engine?: ResamplerEngine;
  /** Speex quality 0–10 (default 5). */
  speexQuality?: number;
  /** Tuning of the FIR engine. */
  fir?: FirResamplerOptions;
}

/**
 * Loads what the default engine needs (the speex WebAssembly module) once per process.
 * Await it at start-up; createResampler() and process() are synchronous after that.
 */
export async function initResamplers(): Promise<void> {
  await loadSpeexResampler();
}

/** Whether initResamplers() has completed. */
export function resamplersReady(): boolean {
  return isSpeexResamplerLoaded();
}

/**
 * A streaming mono PCM16 resampler between two of SUPPORTED_SAMPLE_RATES_HZ. Same rate in and
 * out gives a copying passthrough. Throws UNSUPPORTED for other rates and INVALID_STATE when
 * the speex engine is asked for before initResamplers() finished.
 */
export function createResampler(
  inputRateHz: number,
  outputRateHz: number,
  options: CreateResamplerOptions = {},
): Resampler {
  for (const rate of [inputRateHz, outputRateHz]) {
    if (!SUPPORTED_SAMPLE_RATES_HZ.includes(rate)) {
      throw new ShoalError(
        'UNSUPPORTED',
        `unsupported sample rate ${rate} Hz (supported: ${SUPPORTED_SAMPLE_RATES_HZ.join(', ')})`,
      );
    }
  }
  if (inputRateHz === outputRateHz) {
    return new PassthroughResampler(inputRateHz);
  }
  const engine = options.engine ?? DEFAULT_RESAMPLER_ENGINE;
  if (engine === 'fir') {
    return createFirResampler(inputRateHz, outputRateHz, options.fir);
  }
  return createSpeexResampler(
    inputRateHz,
    outputRateHz,
    options.speexQuality ?? DEFAULT_SPEEX_QUALITY,
  );
}
