/**
 * Keeps the latest `capacity` latency samples (ms) in a ring buffer and reports percentiles.
 * Bounded memory however long the server runs.
 */
export class LatencyRecorder {
  readonly #samples: Float64Array;
  #count = 0;
  #next = 0;
  total = 0;
  /** Also told every sample (the Prometheus histogram). */
  onRecord: ((ms: number) => void) | undefined;

  constructor(capacity = 65_536) {
    this.#samples = new Float64Array(capacity);
  }

  record(ms: number): void {
    this.onRecord?.(ms);
    this.#samples[this.#next] = ms;
    this.#next = (this.#next + 1) % this.#samples.length;
    this.#count = Math.min(this.#count + 1, this.#samples.length);
    this.total += 1;
  }

  /** Percentile (0–100) of the kept samples; NaN when empty. */
  percentile(p: number): number {
    if (this.#count === 0) {
      return Number.NaN;
    }
    const sorted = this.#samples.slice(0, this.#count).sort();
    const index = Math.min(
      sorted.length - 1,
      Math.max(0, Math.ceil((p / 100) * sorted.length) - 1),
    );
    return sorted[index] as number;
  }

  reset(): void {
    this.#count = 0;
    this.#next = 0;
    this.total = 0;
  }
}
