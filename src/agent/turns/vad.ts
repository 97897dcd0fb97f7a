/**
 * A voice activity detector for one speaker's stream at 16 kHz: fixed-size frames in, speech
 * probability (0…1) out. Engines with a model may answer asynchronously.
 */
export interface VadStream {
  readonly sampleRateHz: number;
  /** Samples per frame the engine wants (e.g. 512 = 32 ms for Silero). */
  readonly frameSamples: number;
  process(frame: Int16Array): number | Promise<number>;
  reset(): void;
  close(): void;
}

/** Makes one VadStream per speaker (a model is shared, its state is not). */
export interface VadEngine {
  readonly name: string;
  create(): VadStream | Promise<VadStream>;
}
