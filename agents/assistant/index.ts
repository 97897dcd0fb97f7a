import { ShoalError } from '../../src/protocol/index.js';
import {
  AudioQueue,
  defineAgent,
  espeakTts,
  hasOpenAIKey,
  openaiChat,
  openaiRealtime,
  openaiSpeech,
  openaiTranscription,
  pocketsphinxStt,
  templateLlm,
  toShoalError,
  type AgentDefinition,
  type AgentSession,
  type AudioFrame,
  type ChatMessage,
  type LanguageModel,
  type OpenAIRealtimeOptions,
  type RealtimeModel,
  type SpeechToText,
  type TextToSpeech,
  type TurnTakingOptions,
  type TurnTimer,
} from '../../src/agent/index.js';
import { sentences } from './sentences.js';

export interface AssistantOptions {
  /**
   * 'realtime': OpenAI Realtime speech-to-speech (falls back to 'cascade' if it cannot connect).
   * 'cascade': STT → chat → TTS (OpenAI). 'local': pocketsphinx → a template reply → espeak-ng,
   * key-free for offline demos. Default: realtime with OPENAI_API_KEY, else local.
   */
  mode?: 'realtime' | 'cascade' | 'local';
  instructions?: string;
  /** OpenAI settings (key, base URL, model, voice, ws options). */
  openai?: OpenAIRealtimeOptions;
  /** Overrides (tests, other vendors). */
  realtime?: RealtimeModel;
  stt?: SpeechToText;
  llm?: LanguageModel;
  tts?: TextToSpeech;
  /** Fall back from realtime to cascade when the realtime model cannot connect (default true). */
  fallbackToCascade?: boolean;
  /** Local mode: pocketsphinx grammar phrases (free mode without). */
  phrases?: readonly string[];
  pronunciations?: Readonly<Record<string, string>>;
  /** Turn taking (default floor: first-come, barge-in after 300 ms). */
  turns?: TurnTakingOptions;
  name?: string;
}

const DEFAULT_INSTRUCTIONS =
  'You are a helpful voice assistant in a group voice room. Answer briefly, in one or two sentences.';

/** A voice assistant: OpenAI Realtime, a cascade fallback, or a local key-free mode. */
export function assistantAgent(options: AssistantOptions = {}): AgentDefinition {
  const mode =
    options.mode ?? (options.realtime ? 'realtime' : hasOpenAIKey() ? 'realtime' : 'local');
  const instructions = options.instructions ?? DEFAULT_INSTRUCTIONS;
  const turnOptions: TurnTakingOptions = { floor: 'first-come', ...options.turns };
  return defineAgent({
    name: options.name ?? 'assistant',
    inputSampleRateHz: 24_000,
    async run(session) {
      if (mode === 'realtime') {
        const model = options.realtime ?? openaiRealtime(options.openai);
        let connected;
        try {
          connected = await model.connect({
            instructions,
            signal: session.signal,
            log: session.log,
          });
        } catch (err) {
          if (options.fallbackToCascade === false || options.realtime) {
            throw err;
          }
          session.warn(
            new ShoalError(
              'PROVIDER_FAILED',
              `realtime model unavailable, using the cascade: ${toShoalError(err).message}`,
            ),
          );
          await runCascade(
            session,
            cascadeProviders('cascade', options),
            instructions,
            turnOptions,
          );
          return;
        }
        await runRealtime(session, connected, turnOptions);
        return;
      }
      await runCascade(session, cascadeProviders(mode, options), instructions, turnOptions);
    },
  });
}

function cascadeProviders(
  mode: 'cascade' | 'local',
  options: AssistantOptions,
): { stt: SpeechToText; llm: LanguageModel; tts: TextToSpeech } {
  if (mode === 'local') {
    return {
      stt:
        options.stt ??
        pocketsphinxStt({
          ...(options.phrases ? { phrases: options.phrases } : {}),
          ...(options.pronunciations ? { pronunciations: options.pronunciations } : {}),
        }),
      llm: options.llm ?? templateLlm(),
      tts: options.tts ?? espeakTts({ sampleRateHz: 24_000 }),
    };
  }
  return {
    stt: options.stt ?? openaiTranscription(options.openai),
    llm: options.llm ?? openaiChat(options.openai),
    tts: options.tts ?? openaiSpeech(options.openai),
  };
}

type Connected = Awaited<ReturnType<RealtimeModel['connect']>>;

/**
 * Realtime: the floor holder's live audio streams to the model; at the end of the turn the model
 * answers; its audio is played as it arrives. A barge-in clears the room's queue, cancels the
 * reply and truncates it to what was actually played (`audio_end_ms` from playout accounting).
 */
async function runRealtime(
  session: AgentSession,
  rt: Connected,
  turnOptions: TurnTakingOptions,
): Promise<void> {
  const track = session.createOutputTrack({
    sampleRateHz: 24_000,
    metadata: { type: 'agent', agent: 'assistant' },
  });
  const turns = session.turnTaking(turnOptions);
  /** Reply audio waiting for the track: 5 minutes, newest dropped beyond (counted). */
  type Piece =
    | { kind: 'audio'; itemId: string; frame: AudioFrame; durationMs: number }
    | { kind: 'end'; durationMs: 0 };
  const replies = new AudioQueue<Piece>({
    capacityMs: 300_000,
    overflow: 'drop-newest',
  });
  const cancelled = new Set<string>();
  const itemStartSentMs = new Map<string, number>();
  let playingItem: string | undefined;
  let lastSpeaker = '';
  let responding = false;
  let timer: TurnTimer | undefined;

  const failed = new Promise<never>((_, reject) => {
    rt.on('closed', (err) => {
      if (err && !session.closed) {
        reject(err);
      }
    });
  });
  failed.catch(() => undefined);

  const cancelReply = (): void => {
    for (const id of itemStartSentMs.keys()) {
      cancelled.add(id);
    }
    replies.drain();
    if (responding) {
      rt.cancelResponse();
    }
  };

  const offs = [
    turns.on('turnAudio', (_peerId, frame) => rt.appendAudio(frame)),
    turns.on('misfire', () => rt.clearInput()),
    turns.on('turn', (turn) => {
      if (responding) {
        // The person went on talking before the reply was heard: replace it.
        cancelReply();
        track.clear();
        timer?.interrupted().finish();
      }
      timer = session
        .turnTimer(turn.peerId)
        .mark('speechEnd', turn.speechEndedAtMs)
        .mark('turnDecided', turn.decidedAtMs);
      lastSpeaker = turn.peerId;
      session.setState('thinking');
      responding = true;
      rt.respond();
    }),
    rt.on('audio', (itemId, frame) => {
      if (cancelled.has(itemId)) {
        return;
      }
      timer?.mark('firstProviderByte');
      replies.push({ kind: 'audio', itemId, frame, durationMs: frame.durationMs });
    }),
    rt.on('responseDone', () => {
      responding = false;
      replies.push({ kind: 'end', durationMs: 0 });
    }),
    rt.on('transcript', (role, text) => {
      const now = performance.now();
      session.transcript({
        speakerId: role === 'agent' ? session.peerId : lastSpeaker,
        role,
        text,
        final: true,
        startedAtMs: now,
        endedAtMs: now,
      });
    }),
    rt.on('warning', (err) => session.warn(err)),
    session.on('bargeIn', (event) => {
      const item = playingItem;
      if (item !== undefined) {
        const dropped = event.cleared.find((c) => c.trackId === track.id)?.droppedMs ?? 0;
        const sentForItem = track.stats.sentMs - (itemStartSentMs.get(item) ?? track.stats.sentMs);
        rt.truncate(item, Math.max(0, sentForItem - dropped));
      }
      cancelReply();
      playingItem = undefined;
      timer?.interrupted().finish();
      timer = undefined;
    }),
  ];

  const pump = (async () => {
    for await (const piece of replies) {
      if (piece.kind === 'end') {
        // End of a response: report its waterfall once it has played.
        const t = timer;
        if (t && !t.finished) {
          await track.waitForPlayout(session.signal);
          if (!t.finished && t.has('firstAudioOut')) {
            t.mark('playoutDone', Math.min(performance.now(), track.playoutEndsAtMs));
          }
          t.finish();
        }
        continue;
      }
      if (cancelled.has(piece.itemId)) {
        continue;
      }
      if (!itemStartSentMs.has(piece.itemId)) {
        itemStartSentMs.set(piece.itemId, track.stats.sentMs);
      }
      playingItem = piece.itemId;
      const t = timer;
      const ok = await track.write(piece.frame, session.signal);
      if (ok) {
        t?.mark('firstAudioOut');
      }
    }
  })();

  try {
    await Promise.race([
      failed,
      new Promise<void>((resolve) =>
        session.signal.addEventListener('abort', () => resolve(), { once: true }),
      ),
    ]);
  } finally {
    for (const off of offs) {
      off();
    }
    replies.close();
    rt.close();
    await pump.catch(() => undefined);
  }
}

/** Cascade: STT of the whole turn → streamed chat reply → TTS per sentence → the track. */
async function runCascade(
  session: AgentSession,
  providers: { stt: SpeechToText; llm: LanguageModel; tts: TextToSpeech },
  instructions: string,
  turnOptions: TurnTakingOptions,
): Promise<void> {
  const { stt, llm, tts } = providers;
  const track = session.createOutputTrack({
    sampleRateHz: tts.sampleRateHz === 16_000 ? 16_000 : 24_000,
    metadata: { type: 'agent', agent: 'assistant' },
  });
  const turns = session.turnTaking(turnOptions);
  const history: ChatMessage[] = [{ role: 'system', content: instructions }];
  let reply: AbortController | undefined;
  /** Where the room stopped hearing the track at the last barge-in (track.stats.sentMs units). */
  let heardUpToMs: number | undefined;
  const offBarge = session.on('bargeIn', (event) => {
    const dropped = event.cleared.find((c) => c.trackId === track.id)?.droppedMs ?? 0;
    heardUpToMs = track.stats.sentMs - dropped;
    reply?.abort();
  });
  try {
    for await (const turn of turns.turns()) {
      if (session.draining) {
        break;
      }
      const timer = session
        .turnTimer(turn.peerId)
        .mark('speechEnd', turn.speechEndedAtMs)
        .mark('turnDecided', turn.decidedAtMs);
      reply = new AbortController();
      const signal = AbortSignal.any([reply.signal, session.signal]);
      session.setState('thinking');
      heardUpToMs = undefined;
      /** Sentences that went out, and where each started on the track. */
      const said: { text: string; startMs: number }[] = [];
      let interrupted = false;
      try {
        const { text } = await stt.transcribe(turn.audio, { signal });
        if (!text) {
          session.setState('listening');
          continue;
        }
        session.transcript({
          speakerId: turn.peerId,
          role: 'user',
          text,
          final: true,
          startedAtMs: turn.speechStartedAtMs,
          endedAtMs: turn.speechEndedAtMs,
        });
        history.push({ role: 'user', content: text });
        const tokens = (async function* () {
          for await (const piece of llm.complete(history, { signal })) {
            timer.mark('firstProviderByte');
            yield piece;
          }
        })();
        for await (const sentence of sentences(tokens)) {
          said.push({ text: sentence, startMs: track.stats.sentMs });
          for await (const frame of tts.synthesize(sentence, { signal })) {
            if (!(await track.write(frame, signal))) {
              interrupted = true;
              break;
            }
            timer.mark('firstAudioOut');
          }
          if (interrupted) {
            break;
          }
        }
        await track.waitForPlayout(signal);
        if (!interrupted && timer.has('firstAudioOut')) {
          timer.mark('playoutDone', Math.min(performance.now(), track.playoutEndsAtMs));
        }
      } catch (err) {
        const e = toShoalError(err, 'PROVIDER_FAILED');
        if (session.closed) {
          break;
        }
        if (reply.signal.aborted || e.code === 'CLOSED') {
          interrupted = true;
        } else if (e.code === 'UNAUTHORIZED') {
          throw e;
        } else {
          session.warn(e);
        }
      } finally {
        if (interrupted) {
          timer.interrupted();
        }
        timer.finish();
      }
      // What the room heard: after a barge-in, only the sentences that had started playing.
      const heard = said.filter((x) => heardUpToMs === undefined || x.startMs < heardUpToMs);
      if (heard.length > 0) {
        const text = heard.map((x) => x.text).join(' ') + (interrupted ? '…' : '');
        history.push({ role: 'assistant', content: text });
        const now = performance.now();
        session.transcript({
          speakerId: session.peerId,
          role: 'agent',
          text,
          final: true,
          startedAtMs: now,
          endedAtMs: now,
        });
      }
      if (history.length > 41) {
        history.splice(1, history.length - 41);
      }
    }
  } finally {
    offBarge();
    reply?.abort();
    await stt.close?.();
    await tts.close?.();
  }
}
