import { AudioFrame } from '../media/pcm/index.js';
import { ShoalError, TypedEmitter, assertOpen } from '../protocol/index.js';
import { Feed } from './audio-queue.js';
import type { AgentConnection, IncomingAudio } from './connection.js';
import { toShoalError } from './errors.js';
import { silentLogger, type Logger } from './logger.js';
import { TurnTimer, logTurnMetrics, type TurnMetrics } from './metrics.js';
import { OutputTrack, type OutputTrackOptions } from './output-track.js';
import { Speaker } from './speaker.js';
import { PlayedReference } from './turns/echo-guard.js';
import { TurnTaking, type BargeInEvent, type TurnTakingOptions } from './turns/turn-taking.js';

export type { BargeInEvent };

export type AgentState = 'listening' | 'thinking' | 'speaking' | 'reconnecting' | 'closed';

export interface TranscriptEvent {
  roomId: string;
  /** Who spoke: a peer id, or the agent's own peer id for `role: 'agent'`. */
  speakerId: string;
  role: 'user' | 'agent';
  text: string;
  final: boolean;
  /** performance.now() of the start and end of the speech. */
  startedAtMs: number;
  endedAtMs: number;
}

export interface AgentSessionEvents extends Record<string, unknown[]> {
  speakerJoined: [speaker: Speaker];
  speakerLeft: [peerId: string];
  /** Every incoming 20 ms frame, synchronously, before the per-speaker queues. */
  audio: [peerId: string, frame: AudioFrame, arrivedAtMs: number];
  transcript: [transcript: TranscriptEvent];
  state: [state: AgentState];
  metrics: [metrics: TurnMetrics];
  bargeIn: [event: BargeInEvent];
  /** A problem that did not end the session (provider garbage, a reconnect, lost audio). */
  warning: [error: ShoalError];
  /** Once, last. `error` is undefined for an orderly close. */
  closed: [error: ShoalError | undefined];
}

export interface AgentSessionInit {
  connection: AgentConnection;
  roomId: string;
  /** The agent's own peer id. */
  peerId: string;
  agentName: string;
  /** The rate the room's audio arrives at (the agent peer's `output.audioSampleRate`). */
  inputSampleRateHz: 16000 | 24000;
  log?: Logger;
}

/**
 * One agent in one room: per-speaker inputs (multi-party first-class), output tracks, turn
 * taking, transcripts, state and per-turn metrics. Owns its connection, tracks and turn taking;
 * close() is idempotent, aborts `signal`, and is the last thing that emits.
 */
export class AgentSession extends TypedEmitter<AgentSessionEvents> {
  readonly roomId: string;
  readonly peerId: string;
  readonly agentName: string;
  readonly inputSampleRateHz: 16000 | 24000;
  readonly log: Logger;
  readonly connection: AgentConnection;
  /** What this agent played (for echo guards). */
  readonly played = new PlayedReference();
  readonly #turnLog: Logger;
  readonly #abort = new AbortController();
  readonly #speakers = new Map<string, Speaker>();
  readonly #speakerFeeds = new Set<Feed<Speaker>>();
  #idleTimer: NodeJS.Timeout | undefined;
  readonly #tracks = new Set<OutputTrack>();
  readonly #turnTakings = new Set<TurnTaking>();
  readonly #offs: (() => void)[];
  #state: AgentState = 'listening';
  #closed = false;
  #draining = false;
  #turnCounter = 0;
  #resolveDone!: (error: ShoalError | undefined) => void;
  /** Resolves with the closing error (undefined when orderly) once the session is closed. */
  readonly done: Promise<ShoalError | undefined>;

  constructor(init: AgentSessionInit) {
    super();
    this.connection = init.connection;
    this.roomId = init.roomId;
    this.peerId = init.peerId;
    this.agentName = init.agentName;
    this.inputSampleRateHz = init.inputSampleRateHz;
    const root = init.log ?? silentLogger();
    const ids = { agent: init.agentName, roomId: init.roomId, peerId: init.peerId };
    this.log = root.child({ component: 'agent-session', ...ids });
    this.#turnLog = root.child({ component: 'turn', ...ids });
    this.onListenerError = (err, event) =>
      this.log.error({ err, event: String(event) }, 'session listener threw');
    this.done = new Promise((resolve) => {
      this.#resolveDone = resolve;
    });
    const c = this.connection;
    this.#offs = [
      c.on('audio', (audio) => this.#onAudio(audio)),
      c.on('disconnected', (err) => {
        this.warn(err);
        this.setState('reconnecting');
      }),
      c.on('open', (reconnected) => {
        if (reconnected) {
          this.setState(this.speaking ? 'speaking' : 'listening');
        }
      }),
      c.on('closed', (err) => {
        void this.close(err);
      }),
    ];
  }

  /** Aborted when the session closes (reason: the closing error, or CLOSED). */
  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  get closed(): boolean {
    return this.#closed;
  }

  get state(): AgentState {
    return this.#state;
  }

  /** The host is draining: finish the current reply, take no new turns. */
  get draining(): boolean {
    return this.#draining;
  }

  /** Some output track is playing (or about to). */
  get speaking(): boolean {
    for (const track of this.#tracks) {
      if (track.playing) {
        return true;
      }
    }
    return false;
  }

  get outputTracks(): readonly OutputTrack[] {
    return [...this.#tracks];
  }

  /** Speakers heard so far (and not gone). */
  get currentSpeakers(): readonly Speaker[] {
    return [...this.#speakers.values()];
  }

  speaker(peerId: string): Speaker | undefined {
    return this.#speakers.get(peerId);
  }

  /** Every speaker: the ones already heard, then each new one as it is first heard. */
  speakers(): AsyncIterable<Speaker> {
    const feed = new Feed<Speaker>();
    for (const s of this.#speakers.values()) {
      feed.push(s);
    }
    if (this.#closed) {
      feed.close();
    } else {
      this.#speakerFeeds.add(feed);
    }
    return feed;
  }

  /** Publishes an audio track (PCM16 16/24 kHz) in the room. */
  createOutputTrack(options: OutputTrackOptions = {}): OutputTrack {
    assertOpen(this.#closed, 'agent session');
    const track = new OutputTrack(this.connection, options, this.log);
    track.on('sent', (samples, rate, playAtMs) => {
      this.played.played(samples, rate, playAtMs);
      if (this.#state !== 'speaking') {
        this.setState('speaking');
      }
      this.#scheduleIdleCheck(track.playoutEndsAtMs);
    });
    track.on('lost', (ms) =>
      this.warn(
        new ShoalError('UNAVAILABLE', `socket dropped: ${Math.round(ms)} ms of queued audio lost`),
      ),
    );
    this.#tracks.add(track);
    return track;
  }

  /** Turn taking over every speaker (VAD, end of turn, barge-in, floor, echo guard). */
  turnTaking(options: TurnTakingOptions = {}): TurnTaking {
    assertOpen(this.#closed, 'agent session');
    const tt = new TurnTaking(this, options);
    this.#turnTakings.add(tt);
    return tt;
  }

  /** Clears every output track (InterruptTrack); returns what each dropped. */
  interrupt(): { trackId: string; droppedMs: number }[] {
    return [...this.#tracks].map((t) => ({ trackId: t.id, droppedMs: t.clear() }));
  }

  /** @internal Called by turn taking on a barge-in decision. */
  bargeIn(peerId: string): BargeInEvent {
    const decidedAtMs = performance.now();
    const cleared = this.interrupt();
    const event: BargeInEvent = { peerId, decidedAtMs, cleared };
    this.#turnLog.info(
      {
        speakerId: peerId,
        droppedMs: cleared.map((c) => Math.round(c.droppedMs)),
      },
      'barge-in',
    );
    this.emit('bargeIn', event);
    this.setState('listening');
    return event;
  }

  /** The peer left: its inputs end (and its open turn is flushed). */
  endSpeaker(peerId: string): void {
    const speaker = this.#speakers.get(peerId);
    if (!speaker) {
      return;
    }
    this.#speakers.delete(peerId);
    speaker.end();
    this.emit('speakerLeft', peerId);
  }

  setState(state: AgentState): void {
    if (this.#closed || state === this.#state) {
      return;
    }
    this.#state = state;
    this.emit('state', state);
  }

  transcript(event: Omit<TranscriptEvent, 'roomId'>): void {
    if (this.#closed) {
      return;
    }
    this.emit('transcript', { roomId: this.roomId, ...event });
  }

  /** Reports a problem that does not end the session (event + log line). */
  warn(error: unknown): void {
    const err = toShoalError(error);
    this.log.warn({ err }, err.message);
    if (!this.#closed) {
      this.emit('warning', err);
    }
  }

  /** A timer for one turn's waterfall; finish() emits `metrics` and logs it. */
  turnTimer(speakerId: string): TurnTimer {
    this.#turnCounter += 1;
    return new TurnTimer(
      {
        turnId: `${this.peerId.slice(0, 8)}-${this.#turnCounter}`,
        speakerId,
        roomId: this.roomId,
        peerId: this.peerId,
        agentName: this.agentName,
      },
      (metrics) => {
        logTurnMetrics(this.#turnLog, metrics);
        if (!this.#closed) {
          this.emit('metrics', metrics);
        }
      },
    );
  }

  /** @internal Set by the host when draining. */
  startDraining(): void {
    this.#draining = true;
  }

  /** Idempotent. Ends inputs, closes tracks and turn taking, closes the socket, aborts `signal`. */
  async close(error?: ShoalError): Promise<void> {
    if (this.#closed) {
      return;
    }
    this.#closed = true;
    clearTimeout(this.#idleTimer);
    this.#abort.abort(error ?? new ShoalError('CLOSED', 'the agent session is closed'));
    for (const off of this.#offs) {
      off();
    }
    for (const tt of this.#turnTakings) {
      tt.close();
    }
    for (const track of this.#tracks) {
      track.close();
    }
    for (const speaker of this.#speakers.values()) {
      speaker.end();
    }
    for (const feed of this.#speakerFeeds) {
      feed.close();
    }
    this.connection.close();
    this.#state = 'closed';
    if (error) {
      this.log.warn({ err: error }, 'agent session ended with an error');
    } else {
      this.log.debug('agent session closed');
    }
    this.emit('state', 'closed');
    this.emit('closed', error);
    this.removeAllListeners();
    this.#resolveDone(error);
  }

  /** Back to 'listening' once nothing plays any more. */
  #scheduleIdleCheck(atMs: number): void {
    clearTimeout(this.#idleTimer);
    this.#idleTimer = setTimeout(
      () => {
        if (this.#closed || this.#state !== 'speaking') {
          return;
        }
        if (this.speaking) {
          let end = 0;
          for (const t of this.#tracks) {
            end = Math.max(end, t.playoutEndsAtMs);
          }
          this.#scheduleIdleCheck(Math.max(end, performance.now() + 20));
          return;
        }
        this.setState('listening');
      },
      Math.max(1, atMs - performance.now()),
    );
    this.#idleTimer.unref();
  }

  #onAudio(audio: IncomingAudio): void {
    if (this.#closed || audio.data.byteLength < 2) {
      return;
    }
    let frame: AudioFrame;
    try {
      const bytes =
        audio.data.byteLength % 2 === 0
          ? audio.data
          : audio.data.subarray(0, audio.data.byteLength - 1);
      frame = AudioFrame.fromPcm16leBytes(bytes, this.inputSampleRateHz);
    } catch (err) {
      this.warn(err);
      return;
    }
    let speaker = this.#speakers.get(audio.peerId);
    if (!speaker) {
      speaker = new Speaker(audio.peerId, this.inputSampleRateHz);
      this.#speakers.set(audio.peerId, speaker);
      this.emit('speakerJoined', speaker);
      for (const feed of this.#speakerFeeds) {
        feed.push(speaker);
      }
    }
    this.emit('audio', audio.peerId, frame, audio.arrivedAtMs);
    speaker.push(frame, audio.arrivedAtMs);
  }
}
