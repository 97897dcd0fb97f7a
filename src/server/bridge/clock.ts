import { Pacer } from '../../media/rtp/index.js';
import type { Logger } from '../logger.js';

/** Anything the clock plays once per 20 ms frame. */
export interface Tickable {
  tick(tickIndex: number, dueMs: number): void;
}

export interface MediaClockOptions {
  /** Frame period, ms. */
  frameMs?: number;
  /**
   * Phases per frame: tracks are spread over this many evenly spaced sub-ticks, so the work of N
   * tracks does not all land on one instant (which would make the last track wait for all the
   * others). Each track still plays exactly one frame per period, at its phase.
   */
  phases?: number;
}

/**
 * One pacer for every agent output track in the process. Runs only while at least one track is
 * registered. A track that throws is logged and removed; the others keep playing.
 */
export class MediaClock {
  readonly #phases: Set<Tickable>[];
  readonly #phaseOf = new Map<Tickable, number>();
  readonly #pacer: Pacer;
  readonly #log: Logger;
  #running = false;

  constructor(log: Logger, options: MediaClockOptions = {}) {
    const frameMs = options.frameMs ?? 20;
    const phases = options.phases ?? 4;
    this.#log = log.child({ component: 'clock' });
    this.#phases = Array.from({ length: phases }, () => new Set<Tickable>());
    this.#pacer = new Pacer({
      intervalMs: frameMs / phases,
      onTick: (tick, dueMs) => this.#tick(tick, dueMs),
    });
  }

  get size(): number {
    return this.#phaseOf.size;
  }

  get pacer(): Pacer {
    return this.#pacer;
  }

  add(track: Tickable): void {
    if (this.#phaseOf.has(track)) {
      return;
    }
    let phase = 0;
    for (let i = 1; i < this.#phases.length; i += 1) {
      if ((this.#phases[i] as Set<Tickable>).size < (this.#phases[phase] as Set<Tickable>).size) {
        phase = i;
      }
    }
    this.#phases[phase]?.add(track);
    this.#phaseOf.set(track, phase);
    if (!this.#running) {
      this.#running = true;
      this.#pacer.start();
    }
  }

  remove(track: Tickable): void {
    const phase = this.#phaseOf.get(track);
    if (phase === undefined) {
      return;
    }
    this.#phases[phase]?.delete(track);
    this.#phaseOf.delete(track);
    if (this.#phaseOf.size === 0 && this.#running) {
      this.#running = false;
      this.#pacer.stop();
    }
  }

  #tick(tickIndex: number, dueMs: number): void {
    const phase = this.#phases[tickIndex % this.#phases.length] as Set<Tickable>;
    for (const track of phase) {
      try {
        track.tick(tickIndex, dueMs);
      } catch (err) {
        this.#log.error({ err }, 'output track failed; removed');
        this.remove(track);
      }
    }
  }

  close(): void {
    for (const phase of this.#phases) {
      phase.clear();
    }
    this.#phaseOf.clear();
    this.#running = false;
    this.#pacer.close();
  }
}
