import { ShoalError } from '../../protocol/index.js';

export interface TurnDetectorOptions {
  /** Speech probability at or above which a frame is speech (default 0.5). */
  activation?: number;
  /** Probability below which a frame is silence once speaking (default 0.35; hysteresis). */
  deactivation?: number;
  /** Continuous speech needed to open a turn (default 64 ms). */
  startSpeechMs?: number;
  /** A turn with less voiced audio than this is a misfire (cough, click), not a turn (default 150 ms). */
  minSpeechMs?: number;
  /** Silence that ends a turn (default 500 ms). */
  endOfTurnSilenceMs?: number;
  /** A turn is cut at this length even without silence (default 30 s). */
  maxTurnMs?: number;
}

/** Positions are milliseconds of the speaker's audio stream (audio time, not wall time). */
export type TurnEvent =
  | { type: 'speechStart'; startMs: number }
  | { type: 'pause'; speechEndMs: number }
  | { type: 'resume'; atMs: number }
  | {
      type: 'turnEnd';
      startMs: number;
      speechEndMs: number;
      decidedMs: number;
      voicedMs: number;
      forced: boolean;
    }
  | { type: 'misfire'; startMs: number; endMs: number; voicedMs: number };

const DEFAULTS: Required<TurnDetectorOptions> = {
  activation: 0.5,
  deactivation: 0.35,
  startSpeechMs: 64,
  minSpeechMs: 150,
  endOfTurnSilenceMs: 500,
  maxTurnMs: 30_000,
};

/**
 * End-of-turn decisions from per-frame speech probabilities: a pure, synchronous state machine.
 * Feed every VAD frame in order with `push(probability, durationMs)`; it returns what happened.
 */
export class TurnDetector {
  readonly options: Readonly<Required<TurnDetectorOptions>>;
  #positionMs = 0;
  #state: 'idle' | 'speaking' | 'trailing' = 'idle';
  #speechRunMs = 0;
  #runStartMs = 0;
  #turnStartMs = 0;
  #speechEndMs = 0;
  #silenceMs = 0;
  #voicedMs = 0;

  constructor(options: TurnDetectorOptions = {}) {
    const o = { ...DEFAULTS, ...options };
    if (!(o.deactivation <= o.activation && o.activation <= 1 && o.deactivation >= 0)) {
      throw new ShoalError('BAD_REQUEST', 'turn detector: need 0 ≤ deactivation ≤ activation ≤ 1');
    }
    for (const key of [
      'startSpeechMs',
      'minSpeechMs',
      'endOfTurnSilenceMs',
      'maxTurnMs',
    ] as const) {
      if (!(o[key] >= 0 && Number.isFinite(o[key]))) {
        throw new ShoalError('BAD_REQUEST', `turn detector: invalid ${key} ${o[key]}`);
      }
    }
    this.options = o;
  }

  /** Audio time consumed so far. */
  get positionMs(): number {
    return this.#positionMs;
  }

  /** Inside a turn (speaking, or in a pause shorter than the end-of-turn silence). */
  get inTurn(): boolean {
    return this.#state !== 'idle';
  }

  /** Speaking right now (not in a pause). */
  get speaking(): boolean {
    return this.#state === 'speaking';
  }

  /** Voiced audio in the current turn so far (0 outside a turn). */
  get voicedMs(): number {
    return this.#state === 'idle' ? 0 : this.#voicedMs;
  }

  /** Where the current turn started (audio time), or undefined. */
  get turnStartMs(): number | undefined {
    return this.#state === 'idle' ? undefined : this.#turnStartMs;
  }

  push(probability: number, durationMs: number): TurnEvent[] {
    const events: TurnEvent[] = [];
    const o = this.options;
    const start = this.#positionMs;
    const end = start + durationMs;
    this.#positionMs = end;
    switch (this.#state) {
      case 'idle':
        if (probability >= o.activation) {
          if (this.#speechRunMs === 0) {
            this.#runStartMs = start;
          }
          this.#speechRunMs += durationMs;
          if (this.#speechRunMs >= o.startSpeechMs) {
            this.#state = 'speaking';
            this.#turnStartMs = this.#runStartMs;
            this.#voicedMs = this.#speechRunMs;
            this.#speechRunMs = 0;
            events.push({ type: 'speechStart', startMs: this.#turnStartMs });
          }
        } else {
          this.#speechRunMs = 0;
        }
        break;
      case 'speaking':
        if (probability < o.deactivation) {
          this.#state = 'trailing';
          this.#speechEndMs = start;
          this.#silenceMs = durationMs;
          events.push({ type: 'pause', speechEndMs: start });
          this.#maybeEnd(events, false);
        } else {
          this.#voicedMs += durationMs;
        }
        break;
      case 'trailing':
        if (probability >= o.activation) {
          this.#state = 'speaking';
          this.#voicedMs += durationMs;
          events.push({ type: 'resume', atMs: start });
        } else {
          this.#silenceMs += durationMs;
          this.#maybeEnd(events, false);
        }
        break;
    }
    if (this.#state === 'speaking' && end - this.#turnStartMs >= o.maxTurnMs) {
      this.#speechEndMs = end;
      this.#end(events, true);
    }
    return events;
  }

  /** Ends an open turn now (e.g. the speaker left); returns its event, if any. */
  flush(): TurnEvent[] {
    const events: TurnEvent[] = [];
    if (this.#state === 'speaking') {
      this.#speechEndMs = this.#positionMs;
    }
    if (this.#state !== 'idle') {
      this.#end(events, true);
    }
    this.#speechRunMs = 0;
    return events;
  }

  #maybeEnd(events: TurnEvent[], forced: boolean): void {
    if (this.#silenceMs >= this.options.endOfTurnSilenceMs) {
      this.#end(events, forced);
    }
  }

  #end(events: TurnEvent[], forced: boolean): void {
    if (this.#voicedMs < this.options.minSpeechMs) {
      events.push({
        type: 'misfire',
        startMs: this.#turnStartMs,
        endMs: this.#speechEndMs,
        voicedMs: this.#voicedMs,
      });
    } else {
      events.push({
        type: 'turnEnd',
        startMs: this.#turnStartMs,
        speechEndMs: this.#speechEndMs,
        decidedMs: this.#positionMs,
        voicedMs: this.#voicedMs,
        forced,
      });
    }
    this.#state = 'idle';
    this.#voicedMs = 0;
    this.#silenceMs = 0;
  }
}
