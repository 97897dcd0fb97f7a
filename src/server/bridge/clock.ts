import { Pacer } from '../../media/rtp/index.js';
import type { Logger } from '../logger.js';

/** Anything the clock plays once per 20 ms tick. */
export interface Tickable {
  tick(tickIndex: number, dueMs: number): void;
}

/**
 * One 20 ms pacer for every agent output track in the process, so N tracks cost one timer.
 * Runs only while at least one track is registered. A track that throws is logged and
 * removed; the others keep playing.
 */
export class MediaClock {
  readonly #tracks = new Set<Tickable>();
  readonly #pacer: Pacer;
  readonly #log: Logger;
  #running = false;

  constructor(log: Logger, intervalMs = 20) {
    this.#log = log.child({ component: 'clock' });
    this.#pacer = new Pacer({ intervalMs, onTick: (tick, dueMs) => this.#tick(tick, dueMs) });
  }

  get size(): number {
    return this.#tracks.size;
  }

  get pacer(): Pacer {
    return this.#pacer;
  }

  add(track: Tickable): void {
    this.#tracks.add(track);
    if (!this.#running) {
      this.#running = true;
      this.#pacer.start();
    }
  }

  remove(track: Tickable): void {
    this.#tracks.delete(track);
    if (this.#tracks.size === 0 && this.#running) {
      this.#running = false;
      this.#pacer.stop();
    }
  }

  #tick(tickIndex: number, dueMs: number): void {
    for (const track of this.#tracks) {
      try {
        track.tick(tickIndex, dueMs);
      } catch (err) {
        this.#log.error({ err }, 'output track failed; removed');
        this.remove(track);
      }
    }
  }

  close(): void {
    this.#tracks.clear();
    this.#running = false;
    this.#pacer.close();
  }
}
