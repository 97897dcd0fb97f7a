import type { WebSocket } from 'ws';

export interface OutboundStats {
  framesSent: number;
  framesDropped: number;
  /** Highest number of frames ever waiting in the queue. */
  peakQueuedFrames: number;
}

export interface OutboundQueueOptions {
  /** Audio an agent may fall behind per track it hears before the oldest is dropped. */
  capacityMs: number;
  /** Duration of one queued frame. */
  frameMs: number;
  /**
   * Bytes the socket may hold unsent (ws buffer + kernel) before the queue stops writing and
   * starts holding frames itself, where it can drop the oldest.
   */
  socketHighWaterBytes: number;
}

interface Queued {
  bytes: Uint8Array;
  originMs: number;
}

/**
 * Room → agent frames for one agent socket. Capacity: `capacityMs` of audio per track the agent
 * hears (so one slow reader holds at most that much per track). Overflow policy: drop the
 * oldest frame, counted. Frames leave when the socket has room; a slow agent never stalls the
 * room or other agents, because nothing here ever waits.
 */
export class OutboundQueue {
  readonly stats: OutboundStats = { framesSent: 0, framesDropped: 0, peakQueuedFrames: 0 };
  readonly #ws: WebSocket;
  readonly #options: OutboundQueueOptions;
  readonly #onSent: (originMs: number) => void;
  #items: Queued[] = [];
  #head = 0;
  #tracksHeard = 1;
  #closed = false;

  constructor(ws: WebSocket, options: OutboundQueueOptions, onSent: (originMs: number) => void) {
    this.#ws = ws;
    this.#options = options;
    this.#onSent = onSent;
  }

  /** How many tracks the agent hears now; scales the capacity. */
  set tracksHeard(count: number) {
    this.#tracksHeard = Math.max(1, count);
  }

  get capacityFrames(): number {
    return Math.ceil(this.#options.capacityMs / this.#options.frameMs) * this.#tracksHeard;
  }

  get queuedFrames(): number {
    return this.#items.length - this.#head;
  }

  push(bytes: Uint8Array, originMs: number): void {
    if (this.#closed) {
      return;
    }
    this.#items.push({ bytes, originMs });
    const excess = this.queuedFrames - this.capacityFrames;
    if (excess > 0) {
      this.#head += excess;
      this.stats.framesDropped += excess;
    }
    this.stats.peakQueuedFrames = Math.max(this.stats.peakQueuedFrames, this.queuedFrames);
    this.flush();
  }

  /** Writes while the socket has room. Called on every push and when a write completes. */
  flush(): void {
    while (
      !this.#closed &&
      this.#head < this.#items.length &&
      this.#ws.bufferedAmount < this.#options.socketHighWaterBytes
    ) {
      const item = this.#items[this.#head] as Queued;
      this.#head += 1;
      this.#ws.send(item.bytes, { binary: true }, this.#afterWrite);
      this.stats.framesSent += 1;
      this.#onSent(item.originMs);
    }
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
  }

  readonly #afterWrite = (err?: Error): void => {
    if (!err) {
      this.flush();
    }
  };

  close(): void {
    this.#closed = true;
    this.#items = [];
    this.#head = 0;
  }
}
