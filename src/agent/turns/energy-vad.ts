import { rmsDbfs } from '../../media/pcm/index.js';
import type { VadEngine, VadStream } from './vad.js';

export interface EnergyVadOptions {
  /** Level (dBFS) that reads as probability 0.5 (default −42 dBFS). */
  thresholdDbfs?: number;
  /** dB over which the probability goes from 0 to 1 around the threshold (default 12). */
  spreadDb?: number;
  /** Frame length in ms at 16 kHz (default 20). */
  frameMs?: number;
}

/**
 * A light energy VAD: probability from the frame's RMS level. Pure and synchronous; no model, no
 * native code. Fine for clean, close-talking audio; Silero is better with noise and music.
 */
export class EnergyVad implements VadStream {
  readonly sampleRateHz = 16_000;
  readonly frameSamples: number;
  readonly #threshold: number;
  readonly #spread: number;

  constructor(options: EnergyVadOptions = {}) {
    this.frameSamples = Math.round(((options.frameMs ?? 20) * this.sampleRateHz) / 1000);
    this.#threshold = options.thresholdDbfs ?? -42;
    this.#spread = options.spreadDb ?? 12;
  }

  process(frame: Int16Array): number {
    const db = rmsDbfs(frame);
    if (db === -Infinity) {
      return 0;
    }
    const p = 0.5 + (db - this.#threshold) / this.#spread;
    return p < 0 ? 0 : p > 1 ? 1 : p;
  }

  reset(): void {}

  close(): void {}
}

export function energyVad(options: EnergyVadOptions = {}): VadEngine {
  return { name: 'energy', create: () => new EnergyVad(options) };
}
