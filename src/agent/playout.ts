/**
 * What the server will play and when, from what was sent: the server plays an agent track at
 * 1× real time, so audio sent at `now` starts when the queue ahead of it ends. Pure: time comes
 * in as arguments (performance.now() milliseconds).
 */
export class PlayoutModel {
  #queuedUntilMs = 0;
  #sentMs = 0;

  /** Audio queued on the server (sent, not yet played). */
  queuedMs(nowMs: number): number {
    return Math.max(0, this.#queuedUntilMs - nowMs);
  }

  /** When everything sent so far will have played. */
  get queuedUntilMs(): number {
    return this.#queuedUntilMs;
  }

  /** Total audio sent since creation. */
  get sentMs(): number {
    return this.#sentMs;
  }

  playing(nowMs: number): boolean {
    return this.#queuedUntilMs > nowMs;
  }

  /** Records `durationMs` of audio sent at `nowMs`; returns when it starts playing. */
  enqueue(nowMs: number, durationMs: number): number {
    const startMs = Math.max(nowMs, this.#queuedUntilMs);
    this.#queuedUntilMs = startMs + durationMs;
    this.#sentMs += durationMs;
    return startMs;
  }

  /** Forgets the queue (interrupt, or lost with a dropped socket); returns the unplayed ms. */
  clear(nowMs: number): number {
    const dropped = this.queuedMs(nowMs);
    this.#queuedUntilMs = Math.min(this.#queuedUntilMs, nowMs);
    return dropped;
  }
}
