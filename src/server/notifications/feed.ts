import type { ServerResponse } from 'node:http';

/** One event on a room's live feed (captions, agent state, metrics). Plain JSON. */
export interface FeedEvent {
  type: string;
  [key: string]: unknown;
}

interface Subscriber {
  res: ServerResponse;
  roomId: string;
}

/** A subscriber this far behind (bytes unsent) misses events instead of growing memory. */
const MAX_UNSENT_BYTES = 256 * 1024;

/**
 * Live per-room events for front ends, as server-sent events (`GET /live/:roomId/events`).
 * In-process producers (the embedded agent host in demo mode) call `publish`; the server knows
 * nothing of agents. A slow subscriber misses events (counted) rather than buffering them.
 */
export class LiveFeed {
  readonly stats = { published: 0, delivered: 0, skippedSlow: 0 };
  readonly #subscribers = new Set<Subscriber>();
  readonly #heartbeat: NodeJS.Timeout;
  #closed = false;

  constructor(heartbeatMs = 15_000) {
    this.#heartbeat = setInterval(() => this.#write(() => true, ': keep-alive\n\n'), heartbeatMs);
    this.#heartbeat.unref();
  }

  get subscriberCount(): number {
    return this.#subscribers.size;
  }

  /** Takes over an HTTP response as an event stream for one room. */
  subscribe(roomId: string, res: ServerResponse): void {
    if (this.#closed) {
      res.writeHead(503).end();
      return;
    }
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.write(`retry: 2000\n\n`);
    const subscriber = { res, roomId };
    this.#subscribers.add(subscriber);
    res.on('close', () => this.#subscribers.delete(subscriber));
  }

  publish(roomId: string, event: FeedEvent): void {
    this.stats.published += 1;
    const frame = `event: ${event.type}\ndata: ${JSON.stringify({ ...event, roomId })}\n\n`;
    this.#write((s) => s.roomId === roomId, frame);
  }

  #write(match: (s: Subscriber) => boolean, frame: string): void {
    for (const subscriber of this.#subscribers) {
      if (!match(subscriber)) {
        continue;
      }
      if (subscriber.res.writableLength > MAX_UNSENT_BYTES) {
        this.stats.skippedSlow += 1;
        continue;
      }
      subscriber.res.write(frame);
      this.stats.delivered += 1;
    }
  }

  close(): void {
    if (this.#closed) {
      return;
    }
    this.#closed = true;
    clearInterval(this.#heartbeat);
    for (const subscriber of this.#subscribers) {
      subscriber.res.end();
    }
    this.#subscribers.clear();
  }
}
