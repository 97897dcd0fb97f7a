import type { Logger } from './logger.js';

/** The stages of one turn, on one clock (performance.now milliseconds). */
export type TurnStage =
  'speechEnd' | 'turnDecided' | 'firstProviderByte' | 'firstAudioOut' | 'playoutDone';

export const TURN_STAGES: readonly TurnStage[] = [
  'speechEnd',
  'turnDecided',
  'firstProviderByte',
  'firstAudioOut',
  'playoutDone',
];

/** One turn's waterfall. Durations are undefined when a stage was not reached. */
export interface TurnMetrics {
  turnId: string;
  roomId: string;
  /** The agent's peer. */
  peerId: string;
  agentName: string;
  /** Whose turn it was. */
  speakerId: string;
  /** performance.now() of each stage reached. */
  at: Partial<Record<TurnStage, number>>;
  /** speech end → end-of-turn decision. */
  endOfTurnMs: number | undefined;
  /** decision → first byte from the provider. */
  providerMs: number | undefined;
  /** decision → first audio sent to the room. */
  responseMs: number | undefined;
  /** speech end → first audio sent (voice-to-voice, less the server's playout latency). */
  voiceToVoiceMs: number | undefined;
  /** first audio sent → playout done. */
  playoutMs: number | undefined;
  /** The reply was cut by a barge-in (or the session ended). */
  interrupted: boolean;
}

/** Collects one turn's stage times; `finish()` reports them once (event + log line). */
export class TurnTimer {
  readonly turnId: string;
  readonly speakerId: string;
  readonly #at: Partial<Record<TurnStage, number>> = {};
  readonly #report: (metrics: TurnMetrics) => void;
  readonly #base: Pick<TurnMetrics, 'roomId' | 'peerId' | 'agentName'>;
  #interrupted = false;
  #finished = false;

  constructor(
    init: {
      turnId: string;
      speakerId: string;
      roomId: string;
      peerId: string;
      agentName: string;
    },
    report: (metrics: TurnMetrics) => void,
  ) {
    this.turnId = init.turnId;
    this.speakerId = init.speakerId;
    this.#base = { roomId: init.roomId, peerId: init.peerId, agentName: init.agentName };
    this.#report = report;
  }

  /** Records a stage (the first mark of a stage wins). */
  mark(stage: TurnStage, atMs: number = performance.now()): this {
    this.#at[stage] ??= atMs;
    return this;
  }

  has(stage: TurnStage): boolean {
    return this.#at[stage] !== undefined;
  }

  interrupted(): this {
    this.#interrupted = true;
    return this;
  }

  get finished(): boolean {
    return this.#finished;
  }

  /** Reports the waterfall once; later calls return the same numbers without reporting. */
  finish(): TurnMetrics {
    const at = { ...this.#at };
    const d = (a: TurnStage, b: TurnStage): number | undefined => {
      const x = at[a];
      const y = at[b];
      return x !== undefined && y !== undefined ? round(y - x) : undefined;
    };
    const metrics: TurnMetrics = {
      turnId: this.turnId,
      ...this.#base,
      speakerId: this.speakerId,
      at,
      endOfTurnMs: d('speechEnd', 'turnDecided'),
      providerMs: d('turnDecided', 'firstProviderByte'),
      responseMs: d('turnDecided', 'firstAudioOut'),
      voiceToVoiceMs: d('speechEnd', 'firstAudioOut'),
      playoutMs: d('firstAudioOut', 'playoutDone'),
      interrupted: this.#interrupted,
    };
    if (!this.#finished) {
      this.#finished = true;
      this.#report(metrics);
    }
    return metrics;
  }
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}

/** The pino line for a finished turn (the logger carries component, roomId and peerId). */
export function logTurnMetrics(log: Logger, metrics: TurnMetrics): void {
  log.info(
    {
      speakerId: metrics.speakerId,
      turnId: metrics.turnId,
      endOfTurnMs: metrics.endOfTurnMs,
      providerMs: metrics.providerMs,
      responseMs: metrics.responseMs,
      voiceToVoiceMs: metrics.voiceToVoiceMs,
      playoutMs: metrics.playoutMs,
      interrupted: metrics.interrupted,
    },
    'turn metrics',
  );
}
