import { rms } from '../../media/pcm/index.js';

export interface EchoGuardOptions {
  /** Envelope slot length (default 20 ms). */
  slotMs?: number;
  /** Incoming audio compared per decision (default 400 ms). */
  windowMs?: number;
  /** Longest delay from the agent's playout to its echo in a speaker's stream (default 800 ms). */
  maxLagMs?: number;
  /** Envelope correlation at or above which audio is the agent's own (default 0.85). */
  threshold?: number;
  /** Frames in a row that must match at (about) the same delay before echo is declared (default 3). */
  lockFrames?: number;
  /**
   * An echo path has one gain: at the matching delay, the level ratio incoming/played may spread
   * this much (standard deviation, dB) over the window (default 4 dB). Another voice's spreads more.
   */
  maxGainSpreadDb?: number;
  /** The played reference must have this much energy (RMS, PCM16 units) to count (default 100 ≈ −50 dBFS). */
  minReferenceRms?: number;
  /** Played history kept (default 3 s). */
  historyMs?: number;
}

/** Arrival jitter up to this is smoothed onto the stream's timeline; more is a gap. */
const RESYNC_MS = 120;

const DEFAULTS: Required<EchoGuardOptions> = {
  slotMs: 20,
  windowMs: 600,
  maxLagMs: 800,
  threshold: 0.85,
  lockFrames: 3,
  maxGainSpreadDb: 4,
  minReferenceRms: 100,
  historyMs: 3000,
};

/**
 * What the agent played, as a 20 ms RMS envelope on the wall clock (performance.now). Shared by
 * every speaker's EchoDetector. Pure: no timers; time comes in as arguments.
 */
export class PlayedReference {
  readonly options: Readonly<Required<EchoGuardOptions>>;
  readonly #slots: Float64Array;
  /** Slot index (floor(timeMs / slotMs)) of the newest write; older slots wrap around. */
  #newestSlot = -Infinity;

  constructor(options: EchoGuardOptions = {}) {
    this.options = { ...DEFAULTS, ...options };
    this.#slots = new Float64Array(Math.ceil(this.options.historyMs / this.options.slotMs) + 1);
  }

  /** Records audio that starts playing at `playAtMs` (mono PCM16). */
  played(samples: Int16Array, sampleRateHz: number, playAtMs: number): void {
    const slotSamples = Math.max(1, Math.round((sampleRateHz * this.options.slotMs) / 1000));
    for (let offset = 0; offset < samples.length; offset += slotSamples) {
      const value = rms(samples.subarray(offset, offset + slotSamples));
      const timeMs = playAtMs + (offset / sampleRateHz) * 1000;
      this.#write(Math.floor(timeMs / this.options.slotMs), value);
    }
  }

  /** Envelope value at slot `slot` (0 when unknown or too old). */
  at(slot: number): number {
    if (slot > this.#newestSlot || slot <= this.#newestSlot - this.#slots.length) {
      return 0;
    }
    return this.#slots[mod(slot, this.#slots.length)] ?? 0;
  }

  /** Whether anything audible was played in slots [from, to]. */
  audibleBetween(fromSlot: number, toSlot: number): boolean {
    for (let s = fromSlot; s <= toSlot; s++) {
      if (this.at(s) >= this.options.minReferenceRms) {
        return true;
      }
    }
    return false;
  }

  #write(slot: number, value: number): void {
    if (slot > this.#newestSlot) {
      const gap = Math.min(
        slot - (Number.isFinite(this.#newestSlot) ? this.#newestSlot : slot),
        this.#slots.length,
      );
      for (let i = 1; i < gap; i++) {
        this.#slots[mod(slot - i, this.#slots.length)] = 0;
      }
      this.#newestSlot = slot;
    } else if (slot <= this.#newestSlot - this.#slots.length) {
      return;
    }
    this.#slots[mod(slot, this.#slots.length)] = value;
  }
}

/**
 * Decides, per 20 ms of one speaker's incoming audio, whether it is the agent's own voice coming
 * back (a speaker's mic hearing the room without echo cancellation): the incoming envelope is
 * correlated with the played envelope at every lag up to maxLagMs, and an echo path has a steady
 * delay — a match must hold at about the same lag for `lockFrames` frames (chance matches with
 * another voice hop between lags). Pure and synchronous.
 */
export class EchoDetector {
  readonly #reference: PlayedReference;
  readonly #window: Float64Array;
  #filled = 0;
  /** Lag (slots) of the current run of matches, and its length. */
  #lag = -1;
  #run = 0;
  /** Where the next frame is due on the incoming stream's own timeline. */
  #nextFrameMs: number | undefined;
  readonly stats = { framesChecked: 0, echoFrames: 0 };

  constructor(reference: PlayedReference) {
    this.#reference = reference;
    const { windowMs, slotMs } = reference.options;
    this.#window = new Float64Array(Math.max(2, Math.round(windowMs / slotMs)));
  }

  /** One incoming 20 ms frame that arrived at `arrivedAtMs`; true when it is echo. */
  isEcho(samples: Int16Array, arrivedAtMs: number): boolean {
    const timeMs = this.#streamTimeMs(arrivedAtMs);
    const n = this.#window.length;
    this.#window.copyWithin(0, 1);
    this.#window[n - 1] = rms(samples);
    this.#filled = Math.min(n, this.#filled + 1);
    this.stats.framesChecked += 1;
    const { slotMs, maxLagMs, threshold } = this.#reference.options;
    const nowSlot = Math.floor(timeMs / slotMs);
    const maxLag = Math.round(maxLagMs / slotMs);
    if (!this.#reference.audibleBetween(nowSlot - maxLag - n, nowSlot)) {
      this.#run = 0;
      return false;
    }
    const current = this.#window[n - 1] ?? 0;
    if (current < 1) {
      return this.#run >= this.#reference.options.lockFrames;
    }
    const size = this.#filled;
    const incoming = this.#window.subarray(n - size);
    const ref = new Float64Array(size);
    let best = -1;
    let bestLag = -1;
    for (let lag = 0; lag <= maxLag; lag++) {
      const endSlot = nowSlot - lag;
      for (let i = 0; i < size; i++) {
        ref[i] = this.#reference.at(endSlot - (size - 1 - i));
      }
      if ((ref[size - 1] ?? 0) < this.#reference.options.minReferenceRms) {
        continue;
      }
      const c = pearson(incoming, ref);
      if (c > best) {
        best = c;
        bestLag = lag;
      }
    }
    if (size >= 3 && best >= threshold && bestLag >= 0) {
      const endSlot = nowSlot - bestLag;
      for (let i = 0; i < size; i++) {
        ref[i] = this.#reference.at(endSlot - (size - 1 - i));
      }
    }
    if (
      size >= 3 &&
      best >= threshold &&
      gainSpreadDb(incoming, ref, this.#reference.options.minReferenceRms) <=
        this.#reference.options.maxGainSpreadDb
    ) {
      this.#run = this.#run > 0 && Math.abs(bestLag - this.#lag) <= 2 ? this.#run + 1 : 1;
      this.#lag = bestLag;
    } else {
      this.#run = 0;
    }
    const echo = this.#run >= this.#reference.options.lockFrames;
    if (echo) {
      this.stats.echoFrames += 1;
    }
    return echo;
  }

  /**
   * The frame's time on the stream's own 20 ms timeline. A busy event loop hands frames over in
   * bursts; their media timing is what lines up with the played reference, so arrival jitter
   * within RESYNC_MS is taken out. A larger jump is a real gap (peers send nothing while silent):
   * the timeline restarts at the arrival.
   */
  #streamTimeMs(arrivedAtMs: number): number {
    const expected = this.#nextFrameMs;
    const timeMs =
      expected !== undefined && Math.abs(arrivedAtMs - expected) <= RESYNC_MS
        ? expected
        : arrivedAtMs;
    this.#nextFrameMs = timeMs + this.#reference.options.slotMs;
    return timeMs;
  }

  reset(): void {
    this.#window.fill(0);
    this.#filled = 0;
    this.#run = 0;
    this.#nextFrameMs = undefined;
  }
}

/** Standard deviation (dB) of the level ratio a/b over slots where both are audible; Infinity if too few. */
function gainSpreadDb(a: Float64Array, b: Float64Array, floor: number): number {
  let n = 0;
  let sum = 0;
  let sumSq = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    if (y >= floor && x >= floor / 10) {
      const db = 20 * Math.log10(x / y);
      n += 1;
      sum += db;
      sumSq += db * db;
    }
  }
  if (n < 5) {
    return Infinity;
  }
  const mean = sum / n;
  return Math.sqrt(Math.max(0, sumSq / n - mean * mean));
}

function pearson(a: Float64Array, b: Float64Array): number {
  const n = a.length;
  let sa = 0;
  let sb = 0;
  for (let i = 0; i < n; i++) {
    sa += a[i] ?? 0;
    sb += b[i] ?? 0;
  }
  const ma = sa / n;
  const mb = sb / n;
  let cov = 0;
  let va = 0;
  let vb = 0;
  for (let i = 0; i < n; i++) {
    const da = (a[i] ?? 0) - ma;
    const db = (b[i] ?? 0) - mb;
    cov += da * db;
    va += da * da;
    vb += db * db;
  }
  return va === 0 || vb === 0 ? 0 : cov / Math.sqrt(va * vb);
}

function mod(a: number, n: number): number {
  return ((a % n) + n) % n;
}
