import { randomUUID } from 'node:crypto';
import type { AudioFrame } from '../media/pcm/index.js';
import { createResampler, samplesToPcm16leBytes, type Resampler } from '../media/pcm/index.js';
import { ShoalError, TrackEncoding, TrackType, TypedEmitter } from '../protocol/index.js';
import { abortReason } from '../sdk/index.js';
import type { AgentConnection } from './connection.js';
import type { Logger } from './logger.js';
import { PlayoutModel } from './playout.js';

export interface OutputTrackOptions {
  /** PCM16 rate sent to the server (16000 or 24000; default 24000). Frames at other rates are resampled. */
  sampleRateHz?: 16000 | 24000;
  /** Track metadata the room sees (JSON). */
  metadata?: Record<string, unknown>;
  /**
   * write() waits while more than this much audio is queued on the server (default 200 ms). It
   * bounds what an interrupt has to discard and what a dropped socket loses.
   */
  highWaterMs?: number;
  /** Server pacing + encode delay added to playout estimates (default 40 ms). */
  serverLatencyMs?: number;
}

export interface OutputTrackEvents extends Record<string, unknown[]> {
  /** A piece went to the server; it starts playing at `playAtMs` (performance.now clock). */
  sent: [samples: Int16Array, sampleRateHz: number, playAtMs: number];
  /** clear(): `droppedMs` of queued audio will never play. */
  cleared: [droppedMs: number];
  /** The socket dropped with `lostMs` sent but not yet played (the server discarded it). */
  lost: [lostMs: number];
}

const PIECE_MS = 20;

/**
 * One audio track the agent publishes. write() sends 20 ms pieces, waiting above the high-water
 * mark; the runtime models the server's 1× playout to know what is queued and what has played.
 * While the socket is down, written audio is held (at most highWaterMs, the writer waits beyond)
 * and sent once after the reconnect, on a fresh track id; audio the server had queued when the
 * socket dropped is lost, counted and reported (`lost` event). One writer at a time: writes are
 * serialised in call order.
 */
export class OutputTrack extends TypedEmitter<OutputTrackEvents> {
  /** Stable id of this track for the agent (the first wire id). */
  readonly id: string;
  readonly sampleRateHz: 16000 | 24000;
  readonly highWaterMs: number;
  readonly serverLatencyMs: number;
  readonly metadata: Record<string, unknown>;
  readonly #connection: AgentConnection;
  readonly #log: Logger;
  readonly #model = new PlayoutModel();
  readonly #resamplers = new Map<number, Resampler>();
  readonly #offline: Int16Array[] = [];
  readonly #offs: (() => void)[];
  #offlineMs = 0;
  #wireId: string;
  #epoch = 0;
  #writeChain: Promise<unknown> = Promise.resolve();
  #writesPending = 0;
  #wakers = new Set<() => void>();
  #closed = false;
  readonly stats = {
    sentMs: 0,
    clears: 0,
    clearedMs: 0,
    /** Sent but unplayed when the socket dropped (lost on the server). */
    lostMs: 0,
    /** Held while disconnected and sent after the reconnect. */
    heldOfflineMs: 0,
    /** Writes abandoned by clear() or close() before all of their audio went out. */
    writesAbandoned: 0,
  };

  constructor(connection: AgentConnection, options: OutputTrackOptions, log: Logger) {
    super();
    this.#connection = connection;
    this.sampleRateHz = options.sampleRateHz ?? 24000;
    this.highWaterMs = options.highWaterMs ?? 200;
    this.serverLatencyMs = options.serverLatencyMs ?? 40;
    this.metadata = options.metadata ?? {};
    this.#wireId = randomUUID();
    this.id = this.#wireId;
    this.#log = log.child({ trackId: this.id });
    this.onListenerError = (err, event) =>
      this.#log.error({ err, event: String(event) }, 'output track listener threw');
    this.#offs = [
      connection.on('open', (reconnected) => {
        if (reconnected) {
          this.#onReconnected();
        }
      }),
      connection.on('disconnected', () => this.#onDisconnected()),
    ];
    this.#announce();
  }

  /** The id the server knows the track by now (changes after a reconnect). */
  get wireTrackId(): string {
    return this.#wireId;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Audio queued on the server (or held while disconnected). */
  get queuedMs(): number {
    return this.#model.queuedMs(performance.now()) + this.#offlineMs;
  }

  /** True while the room is (or is about to be) hearing this track. */
  get playing(): boolean {
    return this.#writesPending > 0 || this.#offlineMs > 0 || this.#model.playing(performance.now());
  }

  /** When what was sent so far finishes playing in the room (performance.now clock). */
  get playoutEndsAtMs(): number {
    return this.#model.queuedUntilMs + this.serverLatencyMs;
  }

  /**
   * Queues audio. Resolves true once all of it went out (or is held for a reconnect), false if
   * clear() or close() came first (the rest is not sent). Rejects when `signal` aborts.
   */
  write(frame: AudioFrame, signal?: AbortSignal): Promise<boolean> {
    if (this.#closed) {
      return Promise.reject(new ShoalError('CLOSED', 'the output track is closed'));
    }
    if (frame.channels !== 1) {
      return Promise.reject(new ShoalError('INVALID_AUDIO', 'output tracks are mono'));
    }
    const epoch = this.#epoch;
    this.#writesPending += 1;
    const run = this.#writeChain.then(() => this.#write(frame, epoch, signal));
    this.#writeChain = run.catch(() => undefined);
    return run.finally(() => {
      this.#writesPending -= 1;
    });
  }

  /**
   * Drops everything queued (here and on the server: InterruptTrack) and abandons pending
   * writes. Returns the ms of audio that will never play.
   */
  clear(): number {
    if (this.#closed) {
      return 0;
    }
    this.#epoch += 1;
    const now = performance.now();
    const dropped = this.#model.clear(now) + this.#offlineMs;
    this.#offline.length = 0;
    this.#offlineMs = 0;
    for (const resampler of this.#resamplers.values()) {
      resampler.reset();
    }
    this.#connection.send({ interruptTrack: { trackId: this.#wireId } });
    this.stats.clears += 1;
    this.stats.clearedMs += dropped;
    this.emit('cleared', dropped);
    this.#wakeAll();
    return dropped;
  }

  /** Resolves when everything written so far has played in the room (or on clear/close). */
  async waitForPlayout(signal?: AbortSignal): Promise<void> {
    const epoch = this.#epoch;
    await this.#writeChain;
    for (;;) {
      if (this.#closed || epoch !== this.#epoch) {
        return;
      }
      if (signal?.aborted) {
        throw abortReason(signal);
      }
      const remaining = this.#offlineMs > 0 ? 1000 : this.playoutEndsAtMs - performance.now();
      if (remaining <= 0) {
        return;
      }
      await this.#sleep(remaining, signal);
    }
  }

  /** Idempotent: removes the track from the room (queued audio drains first on the server). */
  close(): void {
    if (this.#closed) {
      return;
    }
    this.#closed = true;
    this.#epoch += 1;
    for (const off of this.#offs) {
      off();
    }
    this.#connection.send({ removeTrack: { trackId: this.#wireId } });
    for (const resampler of this.#resamplers.values()) {
      resampler.close();
    }
    this.#resamplers.clear();
    this.#offline.length = 0;
    this.#offlineMs = 0;
    this.#wakeAll();
    this.removeAllListeners();
  }

  async #write(frame: AudioFrame, epoch: number, signal?: AbortSignal): Promise<boolean> {
    const samples = this.#convert(frame);
    const pieceSamples = (this.sampleRateHz * PIECE_MS) / 1000;
    for (let offset = 0; offset < samples.length; offset += pieceSamples) {
      if (!(await this.#waitForRoom(epoch, signal))) {
        this.stats.writesAbandoned += 1;
        return false;
      }
      this.#push(samples.slice(offset, offset + pieceSamples));
    }
    return true;
  }

  async #waitForRoom(epoch: number, signal?: AbortSignal): Promise<boolean> {
    for (;;) {
      if (this.#closed || epoch !== this.#epoch) {
        return false;
      }
      if (signal?.aborted) {
        throw abortReason(signal);
      }
      const open = this.#connection.isOpen;
      const ahead = open ? this.#model.queuedMs(performance.now()) : this.#offlineMs;
      if (ahead < this.highWaterMs) {
        return true;
      }
      await this.#sleep(open ? ahead - this.highWaterMs + 1 : 1000, signal);
    }
  }

  #push(piece: Int16Array): void {
    const durationMs = (piece.length * 1000) / this.sampleRateHz;
    if (!this.#connection.isOpen) {
      this.#offline.push(piece);
      this.#offlineMs += durationMs;
      this.stats.heldOfflineMs += durationMs;
      return;
    }
    this.#send(piece, durationMs);
  }

  #send(piece: Int16Array, durationMs: number): void {
    if (
      !this.#connection.send({
        trackData: { trackId: this.#wireId, data: samplesToPcm16leBytes(piece) },
      })
    ) {
      this.#offline.push(piece);
      this.#offlineMs += durationMs;
      return;
    }
    const playAtMs = this.#model.enqueue(performance.now(), durationMs) + this.serverLatencyMs;
    this.stats.sentMs += durationMs;
    this.emit('sent', piece, this.sampleRateHz, playAtMs);
  }

  #convert(frame: AudioFrame): Int16Array {
    if (frame.sampleRateHz === this.sampleRateHz) {
      return frame.data;
    }
    let resampler = this.#resamplers.get(frame.sampleRateHz);
    if (!resampler) {
      resampler = createResampler(frame.sampleRateHz, this.sampleRateHz);
      this.#resamplers.set(frame.sampleRateHz, resampler);
    }
    return resampler.process(frame.data);
  }

  #announce(): void {
    this.#connection.send({
      addTrack: {
        track: {
          id: this.#wireId,
          type: TrackType.TRACK_TYPE_AUDIO,
          metadata: JSON.stringify(this.metadata),
        },
        codecParams: {
          encoding: TrackEncoding.TRACK_ENCODING_PCM16,
          sampleRate: this.sampleRateHz,
          channels: 1,
        },
      },
    });
  }

  #onDisconnected(): void {
    const lost = this.#model.clear(performance.now());
    if (lost > 0) {
      this.stats.lostMs += lost;
      this.#log.warn(
        { lostMs: Math.round(lost) },
        'socket dropped: queued audio lost on the server',
      );
      this.emit('lost', lost);
    }
    this.#wakeAll();
  }

  #onReconnected(): void {
    if (this.#closed) {
      return;
    }
    // The server dropped the old track with the old socket: publish a fresh one.
    this.#wireId = randomUUID();
    this.#announce();
    const held = this.#offline.splice(0);
    this.#offlineMs = 0;
    for (const piece of held) {
      this.#send(piece, (piece.length * 1000) / this.sampleRateHz);
    }
    this.#wakeAll();
  }

  #sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.#wakers.delete(done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(1, ms));
      this.#wakers.add(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  #wakeAll(): void {
    for (const wake of [...this.#wakers]) {
      wake();
    }
  }
}
