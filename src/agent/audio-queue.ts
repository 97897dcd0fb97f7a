import { ShoalError } from '../protocol/index.js';

/** Anything with a duration (AudioFrame, a turn). */
export interface Timed {
  readonly durationMs: number;
}

export interface AudioQueueOptions {
  /** Capacity in milliseconds of audio. */
  capacityMs: number;
  /** What to drop when full: the oldest item (live audio) or the new one (default drop-oldest). */
  overflow?: 'drop-oldest' | 'drop-newest';
}

/**
 * A bounded single-consumer queue of timed items, readable as an AsyncIterable. Capacity is in
 * ms; overflow drops (and counts) the oldest or the newest. close() ends the iteration after the
 * queued items; fail() ends it with an error.
 */
export class AudioQueue<T extends Timed> implements AsyncIterable<T> {
  readonly capacityMs: number;
  readonly overflow: 'drop-oldest' | 'drop-newest';
  readonly #items: T[] = [];
  #queuedMs = 0;
  #waiter: ((result: IteratorResult<T>) => void) | undefined;
  #failWaiter: ((err: unknown) => void) | undefined;
  #closed = false;
  #error: unknown;
  readonly stats = { pushed: 0, dropped: 0, droppedMs: 0 };

  constructor(options: AudioQueueOptions) {
    if (!(options.capacityMs > 0)) {
      throw new ShoalError(
        'BAD_REQUEST',
        `queue capacity must be > 0 ms, got ${options.capacityMs}`,
      );
    }
    this.capacityMs = options.capacityMs;
    this.overflow = options.overflow ?? 'drop-oldest';
  }

  get queuedMs(): number {
    return this.#queuedMs;
  }

  get length(): number {
    return this.#items.length;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Adds an item; false when it was dropped (drop-newest when full, or closed). */
  push(item: T): boolean {
    if (this.#closed) {
      return false;
    }
    this.stats.pushed += 1;
    if (this.#waiter) {
      const waiter = this.#waiter;
      this.#waiter = undefined;
      this.#failWaiter = undefined;
      waiter({ value: item, done: false });
      return true;
    }
    if (this.#queuedMs + item.durationMs > this.capacityMs && this.#items.length > 0) {
      if (this.overflow === 'drop-newest') {
        this.#count(item);
        return false;
      }
      while (this.#items.length > 0 && this.#queuedMs + item.durationMs > this.capacityMs) {
        const old = this.#items.shift() as T;
        this.#queuedMs -= old.durationMs;
        this.#count(old);
      }
    }
    this.#items.push(item);
    this.#queuedMs += item.durationMs;
    return true;
  }

  /** Removes and returns everything queued. */
  drain(): T[] {
    const items = this.#items.splice(0);
    this.#queuedMs = 0;
    return items;
  }

  close(): void {
    if (this.#closed) {
      return;
    }
    this.#closed = true;
    this.#wake();
  }

  fail(err: unknown): void {
    if (this.#closed) {
      return;
    }
    this.#error = err;
    this.#closed = true;
    this.#items.length = 0;
    this.#queuedMs = 0;
    if (this.#failWaiter) {
      const fail = this.#failWaiter;
      this.#waiter = undefined;
      this.#failWaiter = undefined;
      fail(err);
    }
  }

  next(): Promise<IteratorResult<T>> {
    const item = this.#items.shift();
    if (item) {
      this.#queuedMs -= item.durationMs;
      return Promise.resolve({ value: item, done: false });
    }
    if (this.#error !== undefined) {
      return Promise.reject(this.#error);
    }
    if (this.#closed) {
      return Promise.resolve({ value: undefined, done: true });
    }
    if (this.#waiter) {
      return Promise.reject(new ShoalError('INVALID_STATE', 'AudioQueue has a single consumer'));
    }
    return new Promise((resolve, reject) => {
      this.#waiter = resolve;
      this.#failWaiter = reject;
    });
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: () => this.next(),
      return: async () => {
        this.close();
        this.drain();
        return { value: undefined, done: true };
      },
    };
  }

  #count(item: T): void {
    this.stats.dropped += 1;
    this.stats.droppedMs += item.durationMs;
  }

  #wake(): void {
    if (this.#waiter) {
      const waiter = this.#waiter;
      this.#waiter = undefined;
      this.#failWaiter = undefined;
      waiter({ value: undefined, done: true });
    }
  }
}

/**
 * An AsyncIterable of discrete items (speakers, events) with a capacity in items; beyond it the
 * newest item is refused and counted.
 */
export class Feed<T> implements AsyncIterable<T> {
  readonly #queue: AudioQueue<{ durationMs: number; item: T }>;

  constructor(capacityItems = 10_000) {
    this.#queue = new AudioQueue({ capacityMs: capacityItems, overflow: 'drop-newest' });
  }

  get stats(): { pushed: number; dropped: number } {
    return this.#queue.stats;
  }

  push(item: T): boolean {
    return this.#queue.push({ durationMs: 1, item });
  }

  close(): void {
    this.#queue.close();
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    const inner = this.#queue[Symbol.asyncIterator]();
    return {
      next: async () => {
        const r = await inner.next();
        return r.done ? { value: undefined, done: true } : { value: r.value.item, done: false };
      },
      return: async () => {
        await inner.return?.();
        return { value: undefined, done: true };
      },
    };
  }
}
