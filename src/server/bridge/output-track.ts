import { createOpusEncoder, type OpusEncoder } from '../../media/codec/index.js';
import {
  Chunker,
  createResampler,
  pcm16leBytesToSamples,
  type Resampler,
} from '../../media/pcm/index.js';
import type { Logger } from '../logger.js';
import type { Publication } from '../rooms/index.js';

export type OutputEncoding = 'pcm16' | 'opus';

export interface OutputTrackOptions {
  trackId: string;
  encoding: OutputEncoding;
  /** Rate of the PCM the agent sends (16000 or 24000); 48000 for Opus. */
  inputRateHz: number;
  /** Audio the track may hold ahead of playout; excess is dropped with a warning. Fishjam: 10 min. */
  maxBufferMs: number;
  opusComplexity: number;
  publication: Publication;
  log: Logger;
}

export interface OutputTrackStats {
  framesPlayed: number;
  /** 20 ms frames refused because the buffer was full. */
  framesDropped: number;
  /** 20 ms frames discarded by InterruptTrack. */
  framesInterrupted: number;
  interrupts: number;
}

const FRAME_MS = 20;
const RTP_TICKS_PER_FRAME = 960;
/** A partial frame waits this long for more audio before it plays padded with silence. */
const PARTIAL_FLUSH_MS = 60;

/**
 * Agent → room for one agent track. Audio arrives in bursts (faster than real time is fine),
 * waits in a buffer of whole 20 ms frames (capacity `maxBufferMs`, overflow drops the newest
 * with a warning), and leaves one frame per clock tick: resampled to 48 kHz, Opus-encoded and
 * pushed to the track's publication. `interrupt()` empties the buffer at once, so nothing
 * queued before it plays after the next tick.
 */
export class AgentOutputTrack {
  readonly stats: OutputTrackStats = {
    framesPlayed: 0,
    framesDropped: 0,
    framesInterrupted: 0,
    interrupts: 0,
  };
  readonly trackId: string;
  readonly publication: Publication;
  readonly #options: OutputTrackOptions;
  readonly #chunker: Chunker | undefined;
  readonly #resampler: Resampler | undefined;
  readonly #encoder: OpusEncoder | undefined;
  #frames: (Int16Array | Uint8Array)[] = [];
  #head = 0;
  #oddByte: number | undefined;
  #lastPushMs = 0;
  #overflowWarned = false;
  #draining: (() => void) | undefined;
  #sequence = Math.floor(Math.random() * 0x10000);
  readonly #timestampBase = Math.floor(Math.random() * 0x1_0000_0000);
  #firstDueMs: number | undefined;
  #closed = false;

  constructor(options: OutputTrackOptions) {
    this.#options = options;
    this.trackId = options.trackId;
    this.publication = options.publication;
    if (options.encoding === 'pcm16') {
      this.#chunker = new Chunker({ sampleRateHz: options.inputRateHz });
      this.#resampler =
        options.inputRateHz === 48_000 ? undefined : createResampler(options.inputRateHz, 48_000);
      this.#encoder = createOpusEncoder({ complexity: options.opusComplexity });
    }
  }

  get bufferedMs(): number {
    return (this.#frames.length - this.#head) * FRAME_MS + (this.#chunker?.bufferedMs ?? 0);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** A TrackData payload: PCM16LE bytes (an odd trailing byte waits for the next chunk) or one Opus packet. */
  push(data: Uint8Array, nowMs: number): void {
    if (this.#closed || this.#draining) {
      return;
    }
    this.#lastPushMs = nowMs;
    if (!this.#chunker) {
      this.#enqueue([data.slice()]);
      return;
    }
    let bytes = data;
    if (this.#oddByte !== undefined) {
      bytes = new Uint8Array(data.length + 1);
      bytes[0] = this.#oddByte;
      bytes.set(data, 1);
      this.#oddByte = undefined;
    }
    if (bytes.length % 2 === 1) {
      this.#oddByte = bytes[bytes.length - 1];
      bytes = bytes.subarray(0, bytes.length - 1);
    }
    this.#enqueue(this.#chunker.push(pcm16leBytesToSamples(bytes)));
  }

  #enqueue(frames: (Int16Array | Uint8Array)[]): void {
    const room =
      Math.floor(this.#options.maxBufferMs / FRAME_MS) - (this.#frames.length - this.#head);
    const accepted = frames.length <= room ? frames : frames.slice(0, Math.max(0, room));
    const dropped = frames.length - accepted.length;
    if (dropped > 0) {
      this.stats.framesDropped += dropped;
      if (!this.#overflowWarned) {
        this.#overflowWarned = true;
        this.#options.log.warn(
          { trackId: this.trackId, maxBufferMs: this.#options.maxBufferMs },
          'agent track buffer full: dropping newest audio',
        );
      }
    } else {
      this.#overflowWarned = false;
    }
    for (const frame of accepted) {
      this.#frames.push(frame);
    }
  }

  /** Drops everything queued and not yet played. */
  interrupt(): void {
    const queued = this.#frames.length - this.#head;
    this.stats.interrupts += 1;
    this.stats.framesInterrupted += queued;
    this.#frames = [];
    this.#head = 0;
    this.#oddByte = undefined;
    this.#chunker?.reset();
    this.#resampler?.reset();
  }

  /** Plays what is queued, then calls `onDrained` (RemoveTrack). */
  drain(onDrained: () => void): void {
    this.#draining = onDrained;
  }

  /** One clock tick: plays at most one 20 ms frame. */
  tick(_tickIndex: number, dueMs: number): void {
    if (this.#closed) {
      return;
    }
    if (this.#head === this.#frames.length && this.#chunker && this.#chunker.bufferedSamples > 0) {
      if (this.#draining || dueMs - this.#lastPushMs >= PARTIAL_FLUSH_MS) {
        const rest = this.#chunker.flush();
        if (rest) {
          this.#frames.push(rest);
        }
      }
    }
    const frame = this.#frames[this.#head];
    if (!frame) {
      if (this.#draining) {
        const done = this.#draining;
        this.#draining = undefined;
        done();
      }
      return;
    }
    this.#frames[this.#head] = EMPTY;
    this.#head += 1;
    if (this.#head > 512 && this.#head * 2 > this.#frames.length) {
      this.#frames = this.#frames.slice(this.#head);
      this.#head = 0;
    }
    const payload = this.#encode(frame);
    this.#sequence = (this.#sequence + 1) & 0xffff;
    this.stats.framesPlayed += 1;
    // The RTP clock follows wall time, so a pause in the agent's audio is a pause for receivers.
    this.#firstDueMs ??= dueMs;
    const elapsedFrames = Math.round((dueMs - this.#firstDueMs) / FRAME_MS);
    this.publication.push({
      payload,
      sequenceNumber: this.#sequence,
      timestamp: (this.#timestampBase + elapsedFrames * RTP_TICKS_PER_FRAME) % 0x1_0000_0000,
      originMs: dueMs,
    });
  }

  #encode(frame: Int16Array | Uint8Array): Uint8Array {
    if (!this.#encoder || frame instanceof Uint8Array) {
      return frame as Uint8Array;
    }
    const pcm48k = this.#resampler ? this.#resampler.process(frame) : frame;
    return this.#encoder.encode(fit(pcm48k, 960));
  }

  close(): void {
    if (this.#closed) {
      return;
    }
    this.#closed = true;
    this.#frames = [];
    this.#encoder?.close();
    this.#resampler?.close();
    this.publication.close();
  }
}

const EMPTY = new Int16Array(0);

/** The encoder takes exactly 20 ms at 48 kHz; a resampler may be off by a sample. */
function fit(samples: Int16Array, length: number): Int16Array {
  if (samples.length === length) {
    return samples;
  }
  const out = new Int16Array(length);
  out.set(samples.subarray(0, length));
  return out;
}
