/**
 * A streaming sample-rate converter for mono PCM16. It keeps its filter state between calls, so
 * a stream cut into frames of any size converts exactly as if it were converted in one call.
 * `process()` is synchronous and returns a new array (never a view of internal memory).
 */
export interface Resampler {
  readonly inputRateHz: number;
  readonly outputRateHz: number;
  /** Converts the next piece of the stream. Output length follows the ratio (± 1 sample for fractional ratios). */
  process(input: Int16Array): Int16Array;
  /** Forgets the stream history (as if newly created). */
  reset(): void;
  /** Frees the resampler; idempotent. `process()` after close throws CLOSED. */
  close(): void;
}

/** Which implementation converts the samples. */
export type ResamplerEngine = 'speex' | 'fir';
