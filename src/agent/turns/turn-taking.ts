import { AudioFrame, Chunker, createResampler, type Resampler } from '../../media/pcm/index.js';
import { TypedEmitter, type ShoalError } from '../../protocol/index.js';
import { AudioQueue } from '../audio-queue.js';
import { toShoalError } from '../errors.js';
import type { Logger } from '../logger.js';
import { EchoDetector, type PlayedReference } from './echo-guard.js';
import { energyVad } from './energy-vad.js';
import { FloorPolicy, type FloorPolicyName } from './floor.js';
import { sileroVad } from './silero-vad.js';
import { TurnDetector, type TurnDetectorOptions, type TurnEvent } from './turn-detector.js';
import type { VadEngine, VadStream } from './vad.js';

export interface BargeInEvent {
  /** Who interrupted. */
  peerId: string;
  /** performance.now() of the decision. */
  decidedAtMs: number;
  /** Per output track: audio dropped by the interrupt (never played). */
  cleared: { trackId: string; droppedMs: number }[];
}

/** What turn taking needs of a session (TurnTakingSession provides it). */
export interface TurnTakingSession {
  readonly inputSampleRateHz: number;
  readonly log: Logger;
  /** What the agent played, for the echo guard. */
  readonly played: PlayedReference;
  /** Whether the agent is talking (some output track is playing). */
  readonly speaking: boolean;
  warn(error: unknown): void;
  /** Clears the agent's audio (InterruptTrack) for a barge-in by `peerId`. */
  bargeIn(peerId: string): BargeInEvent;
  on<K extends keyof TurnTakingSessionEvents>(
    event: K,
    listener: (...args: TurnTakingSessionEvents[K]) => void,
  ): () => void;
}

export interface TurnTakingSessionEvents {
  audio: [peerId: string, frame: AudioFrame, arrivedAtMs: number];
  speakerLeft: [peerId: string];
}

export interface TurnTakingOptions extends TurnDetectorOptions {
  /** 'silero' (default; falls back to 'energy' if the model cannot load), 'energy', or an engine. */
  vad?: 'silero' | 'energy' | VadEngine;
  /** Barge-in: a person speaking this long while the agent talks clears its audio (default 300 ms). `false` disables. */
  bargeIn?: false | { minSpeechMs?: number };
  /** Who may take turns when several people talk (default 'any'). */
  floor?: FloorPolicyName;
  /** Ignore the agent's own voice coming back through a speaker's microphone (default true). */
  echoGuard?: boolean;
  /** Audio kept before the detected speech start (default 200 ms). */
  prerollMs?: number;
  /** Audio kept after the speech end (default 100 ms). */
  tailMs?: number;
  /** Capacity of turns() in ms of audio; the oldest turn is dropped beyond it (default 120 s). */
  turnQueueMs?: number;
}

/** One speaker's finished turn. Times are performance.now() milliseconds. */
export interface Turn {
  /** `<peerId>#<n>`. */
  id: string;
  peerId: string;
  /** The utterance (preroll + speech + tail) at the agent's input rate. */
  audio: AudioFrame;
  durationMs: number;
  speechStartedAtMs: number;
  speechEndedAtMs: number;
  /** When the end of turn was decided (speechEndedAtMs + the end-of-turn silence, roughly). */
  decidedAtMs: number;
  voicedMs: number;
  /** Cut by maxTurnMs or by the speaker leaving, not by silence. */
  forced: boolean;
}

export interface TurnTakingEvents extends Record<string, unknown[]> {
  speechStarted: [peerId: string, atMs: number];
  /** Live audio of an accepted open turn (its preroll first); for streaming providers. */
  turnAudio: [peerId: string, frame: AudioFrame];
  turn: [turn: Turn];
  /** Speech too short to be a turn (cough, click). */
  misfire: [peerId: string];
  bargeIn: [event: BargeInEvent];
  floor: [holder: string | undefined];
}

/**
 * Turn taking for a session: per-speaker VAD (Silero or energy) → pure TurnDetector, an echo
 * guard against the agent's own voice, a floor policy, and barge-in (clear + InterruptTrack).
 * Turns are read from `turns()` (single consumer) or the `turn` event.
 */
export class TurnTaking extends TypedEmitter<TurnTakingEvents> {
  readonly options: TurnTakingOptions;
  readonly floor: FloorPolicy;
  readonly #session: TurnTakingSession;
  readonly #pipelines = new Map<string, SpeakerPipeline>();
  readonly #turns: AudioQueue<Turn>;
  readonly #offs: (() => void)[];
  #engine: Promise<VadEngine>;
  #closed = false;
  readonly stats = { turns: 0, misfires: 0, bargeIns: 0, echoFrames: 0, lateFrames: 0 };

  constructor(session: TurnTakingSession, options: TurnTakingOptions = {}) {
    super();
    this.#session = session;
    this.options = options;
    this.floor = new FloorPolicy(options.floor ?? 'any');
    this.#turns = new AudioQueue<Turn>({ capacityMs: options.turnQueueMs ?? 120_000 });
    this.onListenerError = (err, event) =>
      session.log.error({ err, event: String(event) }, 'turn-taking listener threw');
    this.#engine = resolveEngine(options.vad ?? 'silero', session);
    this.#offs = [
      session.on('audio', (peerId, frame, at) => this.#pipeline(peerId).feed(frame, at)),
      session.on('speakerLeft', (peerId) => {
        const p = this.#pipelines.get(peerId);
        this.#pipelines.delete(peerId);
        p?.finish();
      }),
    ];
  }

  /** Finished turns, oldest first (single consumer). */
  turns(): AsyncIterable<Turn> {
    return this.#turns;
  }

  /** Whether the speaker is inside a turn right now. */
  inTurn(peerId: string): boolean {
    return this.#pipelines.get(peerId)?.inTurn ?? false;
  }

  close(): void {
    if (this.#closed) {
      return;
    }
    this.#closed = true;
    for (const off of this.#offs) {
      off();
    }
    for (const p of this.#pipelines.values()) {
      p.close();
    }
    this.#pipelines.clear();
    this.#turns.close();
    this.removeAllListeners();
  }

  #pipeline(peerId: string): SpeakerPipeline {
    let p = this.#pipelines.get(peerId);
    if (!p) {
      p = new SpeakerPipeline(peerId, this.#session, this.options, this.#engine, {
        reference: this.options.echoGuard === false ? undefined : this.#session.played,
        floor: this.floor,
        emitter: this,
        onTurn: (turn) => {
          this.stats.turns += 1;
          this.#turns.push(turn);
          this.emit('turn', turn);
        },
        onMisfire: (id) => {
          this.stats.misfires += 1;
          this.emit('misfire', id);
        },
        onBargeIn: (id) => {
          this.stats.bargeIns += 1;
          this.emit('bargeIn', this.#session.bargeIn(id));
        },
        onError: (err) => this.#session.warn(err),
        onLate: () => {
          this.stats.lateFrames += 1;
        },
        onEcho: () => {
          this.stats.echoFrames += 1;
        },
      });
      this.#pipelines.set(peerId, p);
    }
    return p;
  }
}

async function resolveEngine(
  choice: 'silero' | 'energy' | VadEngine,
  session: TurnTakingSession,
): Promise<VadEngine> {
  if (typeof choice === 'object') {
    return choice;
  }
  if (choice === 'energy') {
    return energyVad();
  }
  const silero = sileroVad();
  try {
    (await silero.create()).close();
    return silero;
  } catch (err) {
    session.warn(err);
    return energyVad();
  }
}

interface PipelineHooks {
  reference: PlayedReference | undefined;
  floor: FloorPolicy;
  emitter: TypedEmitter<TurnTakingEvents>;
  onTurn(turn: Turn): void;
  onMisfire(peerId: string): void;
  onBargeIn(peerId: string): void;
  onError(err: ShoalError): void;
  onLate(): void;
  onEcho(): void;
}

interface Stamped {
  frame: AudioFrame;
  startMs: number;
}

/** A frame this late (behind real time) counts as a VAD lag. */
const LATE_MS = 100;
/**
 * Peers send nothing while silent (an agent with nothing queued, Opus DTX): a gap this long
 * inside a turn is filled with silence on the wall clock, so the turn can end.
 */
const GAP_MS = 60;

/** One speaker: echo guard → resample to 16 kHz → VAD frames → TurnDetector; keeps the utterance. */
class SpeakerPipeline {
  readonly peerId: string;
  readonly #session: TurnTakingSession;
  readonly #hooks: PipelineHooks;
  readonly #detector: TurnDetector;
  readonly #echo: EchoDetector | undefined;
  readonly #prerollMs: number;
  readonly #tailMs: number;
  readonly #bargeInMs: number | undefined;
  #vad: VadStream | undefined;
  #chunker: Chunker | undefined;
  #resampler: Resampler | undefined;
  #ready: Promise<void>;
  #chain: Promise<void>;
  #history: Stamped[] = [];
  #turnFrames: Stamped[] = [];
  #positionMs = 0;
  #lastArrivedAtMs = 0;
  #accepted = false;
  #bargedIn = false;
  #turnStartedAtMs = 0;
  #turnCount = 0;
  #gapTimer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(
    peerId: string,
    session: TurnTakingSession,
    options: TurnTakingOptions,
    engine: Promise<VadEngine>,
    hooks: PipelineHooks,
  ) {
    this.peerId = peerId;
    this.#session = session;
    this.#hooks = hooks;
    this.#detector = new TurnDetector(options);
    this.#echo = hooks.reference ? new EchoDetector(hooks.reference) : undefined;
    this.#prerollMs = options.prerollMs ?? 200;
    this.#tailMs = options.tailMs ?? 100;
    this.#bargeInMs = options.bargeIn === false ? undefined : (options.bargeIn?.minSpeechMs ?? 300);
    this.#ready = engine.then(async (e) => {
      const vad = await e.create();
      if (this.#closed) {
        vad.close();
        return;
      }
      this.#vad = vad;
      this.#chunker = new Chunker({
        sampleRateHz: vad.sampleRateHz,
        frameDurationMs: (vad.frameSamples * 1000) / vad.sampleRateHz,
      });
      if (session.inputSampleRateHz !== vad.sampleRateHz) {
        this.#resampler = createResampler(session.inputSampleRateHz, vad.sampleRateHz);
      }
    });
    this.#chain = this.#ready.catch((err: unknown) => hooks.onError(toShoalError(err)));
  }

  get inTurn(): boolean {
    return this.#detector.inTurn && this.#accepted;
  }

  feed(frame: AudioFrame, arrivedAtMs: number): void {
    if (this.#closed) {
      return;
    }
    clearTimeout(this.#gapTimer);
    this.#gapTimer = undefined;
    this.#enqueue(frame, arrivedAtMs);
  }

  #enqueue(frame: AudioFrame, arrivedAtMs: number): void {
    this.#chain = this.#chain
      .then(() => this.#process(frame, arrivedAtMs))
      .catch((err: unknown) => this.#hooks.onError(toShoalError(err)));
  }

  /** The speaker left: end an open turn, free the floor. */
  finish(): void {
    this.#chain = this.#chain
      .then(() => {
        this.#handle(this.#detector.flush());
        this.close();
      })
      .catch((err: unknown) => this.#hooks.onError(toShoalError(err)));
  }

  close(): void {
    if (this.#closed) {
      return;
    }
    this.#closed = true;
    clearTimeout(this.#gapTimer);
    this.#hooks.floor.release(this.peerId);
    this.#vad?.close();
    this.#resampler?.close();
    this.#history = [];
    this.#turnFrames = [];
  }

  async #process(frame: AudioFrame, arrivedAtMs: number): Promise<void> {
    if (this.#closed || !this.#vad || !this.#chunker) {
      return;
    }
    if (performance.now() - arrivedAtMs > LATE_MS) {
      this.#hooks.onLate();
    }
    const echo = this.#echo?.isEcho(frame.data, arrivedAtMs) ?? false;
    if (echo) {
      this.#hooks.onEcho();
    }
    const stamped = { frame, startMs: this.#positionMs };
    this.#positionMs += frame.durationMs;
    this.#lastArrivedAtMs = arrivedAtMs;
    if (this.#detector.inTurn) {
      this.#turnFrames.push(stamped);
      if (this.#accepted) {
        this.#hooks.emitter.emit('turnAudio', this.peerId, frame);
      }
    } else {
      this.#history.push(stamped);
      const keepFromMs = this.#positionMs - this.#prerollMs - 600;
      while ((this.#history[0]?.startMs ?? Infinity) < keepFromMs) {
        this.#history.shift();
      }
    }
    const vadSamples = this.#resampler ? this.#resampler.process(frame.data) : frame.data;
    const vadFrameMs = this.#chunker.frameDurationMs;
    for (const vf of this.#chunker.push(vadSamples)) {
      const p = echo ? 0 : await this.#vad.process(vf);
      if (this.#closed) {
        return;
      }
      this.#handle(this.#detector.push(p, vadFrameMs));
    }
    this.#checkBargeIn();
    this.#watchForGap(frame.sampleRateHz);
  }

  /** Inside a turn, silence the peer does not send is filled in on the wall clock. */
  #watchForGap(sampleRateHz: number): void {
    if (this.#gapTimer || !this.#detector.inTurn || this.#closed) {
      return;
    }
    this.#gapTimer = setTimeout(() => {
      this.#gapTimer = undefined;
      if (this.#closed) {
        return;
      }
      const missingMs = performance.now() - this.#lastArrivedAtMs;
      const frames = Math.floor(missingMs / 20);
      const samples = (sampleRateHz * 20) / 1000;
      for (let i = 1; i <= frames; i++) {
        this.#enqueue(
          new AudioFrame(new Int16Array(samples), sampleRateHz),
          this.#lastArrivedAtMs + 20 * i,
        );
      }
    }, GAP_MS);
    this.#gapTimer.unref();
  }

  #handle(events: TurnEvent[]): void {
    for (const event of events) {
      switch (event.type) {
        case 'speechStart': {
          this.#accepted = this.#hooks.floor.request(this.peerId);
          if (this.#accepted && this.#hooks.floor.name !== 'any') {
            this.#hooks.emitter.emit('floor', this.peerId);
          }
          this.#bargedIn = false;
          this.#turnStartedAtMs = this.#wallOf(event.startMs);
          const fromMs = event.startMs - this.#prerollMs;
          this.#turnFrames = this.#history.filter((s) => s.startMs + s.frame.durationMs > fromMs);
          this.#history = [];
          if (this.#accepted) {
            this.#hooks.emitter.emit('speechStarted', this.peerId, this.#turnStartedAtMs);
            for (const s of this.#turnFrames) {
              this.#hooks.emitter.emit('turnAudio', this.peerId, s.frame);
            }
          }
          break;
        }
        case 'turnEnd': {
          if (this.#accepted) {
            this.#turnCount += 1;
            const audio = concat(
              this.#turnFrames.filter((s) => s.startMs < event.speechEndMs + this.#tailMs),
              this.#session.inputSampleRateHz,
            );
            this.#hooks.onTurn({
              id: `${this.peerId}#${this.#turnCount}`,
              peerId: this.peerId,
              audio,
              durationMs: audio.durationMs,
              speechStartedAtMs: this.#turnStartedAtMs,
              speechEndedAtMs: this.#wallOf(event.speechEndMs),
              decidedAtMs: performance.now(),
              voicedMs: event.voicedMs,
              forced: event.forced,
            });
          }
          this.#endTurn();
          break;
        }
        case 'misfire':
          if (this.#accepted) {
            this.#hooks.onMisfire(this.peerId);
          }
          this.#endTurn();
          break;
        default:
          break;
      }
    }
  }

  #endTurn(): void {
    this.#history = this.#turnFrames.slice(-Math.ceil((this.#prerollMs + 600) / 20));
    this.#turnFrames = [];
    if (
      this.#accepted &&
      this.#hooks.floor.release(this.peerId) &&
      this.#hooks.floor.name !== 'any'
    ) {
      this.#hooks.emitter.emit('floor', undefined);
    }
    this.#accepted = false;
    this.#bargedIn = false;
  }

  #checkBargeIn(): void {
    if (
      this.#bargeInMs === undefined ||
      this.#bargedIn ||
      !this.#accepted ||
      !this.#detector.speaking ||
      this.#detector.voicedMs < this.#bargeInMs ||
      !this.#session.speaking
    ) {
      return;
    }
    this.#bargedIn = true;
    this.#hooks.onBargeIn(this.peerId);
  }

  /** Wall time (performance.now) of a position in this speaker's audio. */
  #wallOf(positionMs: number): number {
    return this.#lastArrivedAtMs - (this.#positionMs - positionMs);
  }
}

function concat(frames: Stamped[], sampleRateHz: number): AudioFrame {
  let length = 0;
  for (const s of frames) {
    length += s.frame.data.length;
  }
  const out = new Int16Array(length);
  let offset = 0;
  for (const s of frames) {
    out.set(s.frame.data, offset);
    offset += s.frame.data.length;
  }
  return new AudioFrame(out, sampleRateHz);
}
