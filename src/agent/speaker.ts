import type { AudioFrame } from '../media/pcm/index.js';
import { AudioQueue } from './audio-queue.js';

export interface FramesOptions {
  /** Capacity of this subscription in ms; the oldest audio is dropped beyond it (default 2000). */
  capacityMs?: number;
}

/**
 * One peer the agent hears. Each `frames()` call is an independent subscription: a bounded
 * queue (capacity in ms, drop-oldest, counted) read as an AsyncIterable; a slow reader never
 * holds up the others or the socket.
 */
export class Speaker {
  readonly peerId: string;
  readonly sampleRateHz: number;
  readonly #subscriptions = new Set<AudioQueue<AudioFrame>>();
  #ended = false;
  /** performance.now() of the latest frame. */
  lastHeardAtMs = 0;
  readonly stats = { frames: 0, receivedMs: 0 };

  constructor(peerId: string, sampleRateHz: number) {
    this.peerId = peerId;
    this.sampleRateHz = sampleRateHz;
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** This speaker's audio from now on, 20 ms frames at the agent's input rate. */
  frames(options: FramesOptions = {}): AsyncIterable<AudioFrame> {
    const queue = new AudioQueue<AudioFrame>({ capacityMs: options.capacityMs ?? 2000 });
    if (this.#ended) {
      queue.close();
      return queue;
    }
    this.#subscriptions.add(queue);
    const subscriptions = this.#subscriptions;
    return {
      [Symbol.asyncIterator]: () => {
        const inner = queue[Symbol.asyncIterator]();
        return {
          next: () => inner.next(),
          return: async () => {
            subscriptions.delete(queue);
            return (await inner.return?.()) ?? { value: undefined, done: true };
          },
        };
      },
    };
  }

  /** Frames dropped across subscriptions because a reader was too slow. */
  get droppedFrames(): number {
    let n = 0;
    for (const q of this.#subscriptions) {
      n += q.stats.dropped;
    }
    return n;
  }

  /** @internal Delivered by the session. */
  push(frame: AudioFrame, arrivedAtMs: number): void {
    if (this.#ended) {
      return;
    }
    this.lastHeardAtMs = arrivedAtMs;
    this.stats.frames += 1;
    this.stats.receivedMs += frame.durationMs;
    for (const queue of this.#subscriptions) {
      queue.push(frame);
    }
  }

  /** @internal Ends every subscription (the peer left, or the session closed). */
  end(): void {
    if (this.#ended) {
      return;
    }
    this.#ended = true;
    for (const queue of this.#subscriptions) {
      queue.close();
    }
    this.#subscriptions.clear();
  }
}
