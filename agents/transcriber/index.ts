import {
  defineAgent,
  hasOpenAIKey,
  openaiTranscription,
  pocketsphinxStt,
  toShoalError,
  type AgentDefinition,
  type OpenAIConfig,
  type SpeechToText,
  type TurnTakingOptions,
} from '../../src/agent/index.js';

export interface TranscriberOptions {
  /**
   * 'openai' (needs OPENAI_API_KEY), 'pocketsphinx' (local), or a factory (one recogniser per
   * speaker). Default: openai with a key, else pocketsphinx.
   */
  stt?: 'openai' | 'pocketsphinx' | (() => SpeechToText);
  openai?: OpenAIConfig & { model?: string; language?: string };
  /** pocketsphinx grammar mode: the phrases it can hear (free mode without them). */
  phrases?: readonly string[];
  /** pocketsphinx: ARPAbet for words missing from its dictionary. */
  pronunciations?: Readonly<Record<string, string>>;
  /** Where the JSON lines go (default: stdout). */
  output?: (line: string) => void;
  turns?: TurnTakingOptions;
  name?: string;
}

/** One line of the transcriber's output. */
export interface TranscriptLine {
  type: 'transcript';
  roomId: string;
  speakerId: string;
  text: string;
  /** ISO wall-clock times of the speech. */
  start: string;
  end: string;
  /** End of speech → transcript ready. */
  latencyMs: number;
  final: true;
}

const isoOf = (perfMs: number): string => new Date(performance.timeOrigin + perfMs).toISOString();

/**
 * Transcribes every speaker separately (multi-party rooms are the point): per-speaker VAD and
 * turns, one recogniser per speaker, final transcripts as JSON lines and `transcript` events.
 */
export function transcriberAgent(options: TranscriberOptions = {}): AgentDefinition {
  const choice = options.stt ?? (hasOpenAIKey() ? 'openai' : 'pocketsphinx');
  const makeStt = (): SpeechToText =>
    typeof choice === 'function'
      ? choice()
      : choice === 'openai'
        ? openaiTranscription(options.openai)
        : pocketsphinxStt({
            ...(options.phrases ? { phrases: options.phrases } : {}),
            ...(options.pronunciations ? { pronunciations: options.pronunciations } : {}),
          });
  const output = options.output ?? ((line: string) => process.stdout.write(`${line}\n`));
  return defineAgent({
    name: options.name ?? 'transcriber',
    inputSampleRateHz: 16_000,
    async prepare() {
      const probe = makeStt();
      await (probe as { warmUp?: () => Promise<void> }).warmUp?.();
      await probe.close?.();
    },
    async run(session) {
      const recognisers = new Map<string, SpeechToText>();
      const chains = new Map<string, Promise<void>>();
      const turns = session.turnTaking({ bargeIn: false, echoGuard: false, ...options.turns });
      session.on('speakerLeft', (peerId) => {
        const stt = recognisers.get(peerId);
        recognisers.delete(peerId);
        // Closed after its last turn; kept in `chains` so the session's end awaits it.
        const closing = (chains.get(peerId) ?? Promise.resolve())
          .then(() => stt?.close?.())
          .catch(() => undefined);
        chains.set(peerId, closing);
        void closing.then(() => {
          if (chains.get(peerId) === closing) {
            chains.delete(peerId);
          }
        });
      });
      try {
        for await (const turn of turns.turns()) {
          let stt = recognisers.get(turn.peerId);
          if (!stt) {
            stt = makeStt();
            recognisers.set(turn.peerId, stt);
          }
          const recogniser = stt;
          const timer = session
            .turnTimer(turn.peerId)
            .mark('speechEnd', turn.speechEndedAtMs)
            .mark('turnDecided', turn.decidedAtMs);
          // Speakers are transcribed concurrently; each speaker's turns stay in order.
          const previous = chains.get(turn.peerId) ?? Promise.resolve();
          const next = previous.then(async () => {
            try {
              const { text } = await recogniser.transcribe(turn.audio, { signal: session.signal });
              timer.mark('firstProviderByte');
              if (!text || session.closed) {
                return;
              }
              const line: TranscriptLine = {
                type: 'transcript',
                roomId: session.roomId,
                speakerId: turn.peerId,
                text,
                start: isoOf(turn.speechStartedAtMs),
                end: isoOf(turn.speechEndedAtMs),
                latencyMs: Math.round(performance.now() - turn.speechEndedAtMs),
                final: true,
              };
              output(JSON.stringify(line));
              session.transcript({
                speakerId: turn.peerId,
                role: 'user',
                text,
                final: true,
                startedAtMs: turn.speechStartedAtMs,
                endedAtMs: turn.speechEndedAtMs,
              });
            } catch (err) {
              if (!session.closed) {
                session.warn(toShoalError(err, 'PROVIDER_FAILED'));
              }
            } finally {
              timer.finish();
              // The turn flushed when its speaker left: nothing more comes, close its recogniser.
              if (!session.speaker(turn.peerId) && recognisers.get(turn.peerId) === recogniser) {
                recognisers.delete(turn.peerId);
                await recogniser.close?.();
              }
            }
          });
          chains.set(turn.peerId, next);
        }
      } finally {
        await Promise.allSettled([...chains.values()]);
        await Promise.allSettled([...recognisers.values()].map((r) => r.close?.()));
      }
    },
  });
}
