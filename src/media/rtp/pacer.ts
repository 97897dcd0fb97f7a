import { ShoalError, assertOpen } from '../../protocol/errors.js';

/** Time source and timer of a Pacer; injectable for tests. Times in ms on a monotonic clock. */
export interface PacerClock {
  now(): number;
  setTimeout(callback: () => void, delayMs: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** performance.now() and Node timers. */
export const systemPacerClock: PacerClock = {
  now: () => performance.now(),
  setTimeout: (callback, delayMs) => setTimeout(callback, delayMs),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export interface PacerOptions {
  /** Called once per interval: tick n is due at startTimeMs + n × intervalMs. */
  onTick: (tickIndex: number, dueTimeMs: number) => void;
  /** Default 20. */
  intervalMs?: number;
  /** Falling further behind than this skips the missed ticks instead of bursting them. Default 200. */
  maxLagMs?: number;
  /** Receives what onTick throws (the pacer carries on). Default: ignored, but counted. */
  onError?: (err: unknown) => void;
  clock?: PacerClock;
}

export interface PacerStats {
  /** onTick calls. */
  ticks: number;
  /** Ticks never called because the pacer fell more than maxLagMs behind. */
  skippedTicks: number;
  /** Times it skipped ahead. */
  skips: number;
  /** onTick calls that threw. */
  errors: number;
  /** Largest (actual − due) time of a tick, in ms. */
  maxLatenessMs: number;
}

/**
 * A drift-free periodic clock for real-time media (20 ms by default). Due times are computed as
 * start + n × interval, never by adding up timer delays, so timer jitter does not accumulate.
 * A tick found late by less than maxLagMs still runs (catching up); beyond that the missed ticks
 * are skipped and counted, so a stalled process does not release a burst of audio.
 */
export class Pacer {
  readonly intervalMs: number;
  readonly maxLagMs: number;
  readonly #onTick: PacerOptions['onTick'];
  readonly #onError: PacerOptions['onError'];
  readonly #clock: PacerClock;
  readonly #stats: PacerStats = {
    ticks: 0,
    skippedTicks: 0,
    skips: 0,
    errors: 0,
    maxLatenessMs: 0,
  };
  #timer: unknown;
  #running = false;
  #closed = false;
  #startTimeMs = 0;
  #nextTick = 0;
  // Bumped by start/stop so a timer callback from an earlier run does nothing.
  #generation = 0;

  constructor(options: PacerOptions) {
    const { intervalMs = 20, maxLagMs = 200 } = options;
    if (!(intervalMs > 0) || !Number.isFinite(intervalMs)) {
      throw new ShoalError('BAD_REQUEST', `invalid pacer interval: ${intervalMs} ms`);
    }
    if (!(maxLagMs >= intervalMs) || !Number.isFinite(maxLagMs)) {
      throw new ShoalError('BAD_REQUEST', `maxLagMs (${maxLagMs}) must be at least the interval`);
    }
    this.intervalMs = intervalMs;
    this.maxLagMs = maxLagMs;
    this.#onTick = options.onTick;
    this.#onError = options.onError;
    this.#clock = options.clock ?? systemPacerClock;
  }

  get running(): boolean {
    return this.#running;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Clock time of tick 0 of the current (or last) run. */
  get startTimeMs(): number {
    return this.#startTimeMs;
  }

  /** Counters since creation (a copy). */
  get stats(): PacerStats {
    return { ...this.#stats };
  }

  /** Due time of tick n of the current run. */
  dueTimeMs(tickIndex: number): number {
    return this.#startTimeMs + tickIndex * this.intervalMs;
  }

  /**
   * Starts ticking: tick 0 is due now (it runs from a timer, never inside start()). No-op when
   * running; a stopped pacer restarts at tick 0. Throws CLOSED after close().
   */
  start(): void {
    assertOpen(this.#closed, 'pacer');
    if (this.#running) {
      return;
    }
    this.#running = true;
    this.#generation++;
    this.#startTimeMs = this.#clock.now();
    this.#nextTick = 0;
    this.#schedule();
  }

  /** Stops ticking (no tick runs after this returns); start() may run it again. */
  stop(): void {
    this.#running = false;
    this.#generation++;
    if (this.#timer !== undefined) {
      this.#clock.clearTimeout(this.#timer);
      this.#timer = undefined;
    }
  }

  /** Stops for good; idempotent. */
  close(): void {
    if (this.#closed) {
      return;
    }
    this.stop();
    this.#closed = true;
  }

  #schedule(): void {
    const generation = this.#generation;
    const delayMs = Math.max(0, this.dueTimeMs(this.#nextTick) - this.#clock.now());
    this.#timer = this.#clock.setTimeout(() => this.#onTimer(generation), delayMs);
  }

  #onTimer(generation: number): void {
    if (generation !== this.#generation) {
      return;
    }
    this.#timer = undefined;
    const now = this.#clock.now();
    if (now - this.dueTimeMs(this.#nextTick) > this.maxLagMs) {
      // Stalled: jump to the latest tick already due instead of bursting every missed one.
      const latest = Math.floor((now - this.#startTimeMs) / this.intervalMs);
      this.#stats.skippedTicks += latest - this.#nextTick;
      this.#stats.skips++;
      this.#nextTick = latest;
    }
    // Run every tick due by now (a timer fired a little early runs none and re-arms).
    while (generation === this.#generation && this.dueTimeMs(this.#nextTick) <= now) {
      const tickIndex = this.#nextTick++;
      this.#runTick(tickIndex, now);
    }
    if (generation === this.#generation) {
      this.#schedule();
    }
  }

  #runTick(tickIndex: number, now: number): void {
    const dueTimeMs = this.dueTimeMs(tickIndex);
    this.#stats.ticks++;
    this.#stats.maxLatenessMs = Math.max(this.#stats.maxLatenessMs, now - dueTimeMs);
    try {
      this.#onTick(tickIndex, dueTimeMs);
    } catch (err) {
      this.#stats.errors++;
      try {
        this.#onError?.(err);
      } catch {
        // An error handler that throws has nowhere left to report to.
      }
    }
  }
}
