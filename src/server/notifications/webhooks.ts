import { createHmac } from 'node:crypto';
import type { Logger } from '../logger.js';
import type { WebhookConfig } from '../config.js';
import type { Notification, NotificationBus } from './bus.js';

export interface WebhookStats {
  delivered: number;
  /** Events given up after every retry failed. */
  failed: number;
  /** Events dropped because a room's queue was full (oldest first). */
  overflowDropped: number;
  retries: number;
}

interface Pending {
  url: string;
  kind: string;
  body: Uint8Array;
}

/**
 * Delivers every notification of a room with a `webhookUrl` as one protobuf `ServerMessage`
 * POST, in order per room. Each room has its own queue (capacity `queueCapacity` events,
 * overflow drops the oldest, counted and logged) and its own sender loop, so a receiver that
 * hangs or fails delays only its own room and never grows memory without bound.
 */
export class WebhookDispatcher {
  readonly stats: WebhookStats = { delivered: 0, failed: 0, overflowDropped: 0, retries: 0 };
  readonly #config: WebhookConfig;
  readonly #secret: string | undefined;
  readonly #log: Logger;
  readonly #queues = new Map<string, RoomQueue>();
  readonly #abort = new AbortController();
  readonly #sender: Sender;
  #unsubscribe: (() => void)[] = [];
  #closed = false;

  constructor(options: { config: WebhookConfig; secret: string | undefined; log: Logger }) {
    this.#config = options.config;
    this.#secret = options.secret;
    this.#log = options.log.child({ component: 'webhooks' });
    this.#sender = {
      config: this.#config,
      log: this.#log,
      signal: this.#abort.signal,
      stats: this.stats,
      post: (item) => this.#post(item),
    };
  }

  attach(bus: NotificationBus): void {
    this.#unsubscribe.push(
      bus.on('notification', (n) => this.#enqueue(n)),
      bus.on('roomClosed', (roomId) => this.#queues.get(roomId)?.finishWhenEmpty()),
    );
  }

  /** Events queued across all rooms. */
  get queuedEvents(): number {
    let total = 0;
    for (const queue of this.#queues.values()) {
      total += queue.length;
    }
    return total;
  }

  /** Waits up to `deadlineMs` for queues to empty, then aborts whatever is still in flight. */
  async close(deadlineMs = 0): Promise<void> {
    if (this.#closed) {
      return;
    }
    this.#closed = true;
    for (const off of this.#unsubscribe) {
      off();
    }
    const idle = Promise.all([...this.#queues.values()].map((q) => q.idle()));
    await Promise.race([idle, new Promise((resolve) => setTimeout(resolve, deadlineMs).unref())]);
    this.#abort.abort();
    await idle;
    this.#queues.clear();
  }

  #enqueue(n: Notification): void {
    if (!n.webhookUrl || this.#closed) {
      return;
    }
    let queue = this.#queues.get(n.roomId);
    if (!queue) {
      queue = new RoomQueue(n.roomId, this.#sender, () => this.#queues.delete(n.roomId));
      this.#queues.set(n.roomId, queue);
    }
    queue.push({ url: n.webhookUrl, kind: n.kind, body: n.bytes() });
  }

  /** One POST; resolves true on a 2xx answer. */
  async #post(item: Pending): Promise<boolean> {
    const headers: Record<string, string> = { 'content-type': 'application/x-protobuf' };
    if (this.#secret) {
      const mac = createHmac('sha256', this.#secret).update(item.body).digest('hex');
      headers['x-fishjam-signature-256'] = `sha256=${mac}`;
    }
    try {
      const res = await fetch(item.url, {
        method: 'POST',
        headers,
        body: item.body,
        signal: AbortSignal.any([
          this.#abort.signal,
          AbortSignal.timeout(this.#config.requestTimeoutMs),
        ]),
      });
      await res.body?.cancel();
      return res.ok;
    } catch {
      return false;
    }
  }
}

/** What a room's sender loop needs from the dispatcher. */
interface Sender {
  readonly config: WebhookConfig;
  readonly log: Logger;
  readonly signal: AbortSignal;
  readonly stats: WebhookStats;
  post(item: Pending): Promise<boolean>;
}

class RoomQueue {
  readonly #roomId: string;
  readonly #owner: Sender;
  readonly #onDone: () => void;
  readonly #items: Pending[] = [];
  #running: Promise<void> | undefined;
  #finishing = false;

  constructor(roomId: string, owner: Sender, onDone: () => void) {
    this.#roomId = roomId;
    this.#owner = owner;
    this.#onDone = onDone;
  }

  get length(): number {
    return this.#items.length;
  }

  push(item: Pending): void {
    if (this.#items.length >= this.#owner.config.queueCapacity) {
      const dropped = this.#items.shift();
      this.#owner.stats.overflowDropped += 1;
      this.#owner.log.warn(
        {
          roomId: this.#roomId,
          dropped: dropped?.kind,
          capacity: this.#owner.config.queueCapacity,
        },
        'webhook queue full: dropped the oldest event',
      );
    }
    this.#items.push(item);
    this.#running ??= this.#run().finally(() => {
      this.#running = undefined;
      if (this.#finishing) {
        this.#onDone();
      }
    });
  }

  finishWhenEmpty(): void {
    this.#finishing = true;
    if (!this.#running) {
      this.#onDone();
    }
  }

  idle(): Promise<void> {
    return this.#running ?? Promise.resolve();
  }

  async #run(): Promise<void> {
    const { maxRetries, retryBaseDelayMs } = this.#owner.config;
    const signal = this.#owner.signal;
    for (let item = this.#items.shift(); item && !signal.aborted; item = this.#items.shift()) {
      let delivered = false;
      for (let attempt = 0; attempt <= maxRetries && !signal.aborted; attempt += 1) {
        if (attempt > 0) {
          this.#owner.stats.retries += 1;
          await sleep(Math.min(retryBaseDelayMs * 2 ** (attempt - 1), 30_000), signal);
        }
        delivered = await this.#owner.post(item);
        if (delivered) {
          break;
        }
      }
      if (delivered) {
        this.#owner.stats.delivered += 1;
      } else {
        this.#owner.stats.failed += 1;
        this.#owner.log.warn(
          { roomId: this.#roomId, event: item.kind, attempts: maxRetries + 1 },
          'webhook delivery failed; event dropped',
        );
      }
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
