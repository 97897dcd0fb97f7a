import { AudioFrame, generateSpeechLike } from '../../media/pcm/index.js';
import { ShoalError, TypedEmitter } from '../../protocol/index.js';
import { abortReason, sleep } from '../../sdk/index.js';
import type {
  ChatMessage,
  LanguageModel,
  ProviderCallOptions,
  RealtimeConnectOptions,
  RealtimeModel,
  RealtimeSession,
  RealtimeSessionEvents,
  SpeechToText,
  TextToSpeech,
  Transcript,
} from '../providers/types.js';

type Script<T> = readonly T[] | ((index: number) => T);

function pick<T>(script: Script<T>, index: number, what: string): T {
  if (typeof script === 'function') {
    return script(index);
  }
  const value = script[Math.min(index, script.length - 1)];
  if (value === undefined) {
    throw new ShoalError('INVALID_STATE', `${what}: empty script`);
  }
  return value;
}

/** STT fake: answers utterance n with script[n] (the last entry repeats). Records what it heard. */
export class ScriptedStt implements SpeechToText {
  readonly name = 'scripted-stt';
  readonly heard: AudioFrame[] = [];
  readonly #script: Script<string>;
  readonly #delayMs: number;

  constructor(script: Script<string>, options: { delayMs?: number } = {}) {
    this.#script = script;
    this.#delayMs = options.delayMs ?? 0;
  }

  async transcribe(audio: AudioFrame, options: ProviderCallOptions = {}): Promise<Transcript> {
    const index = this.heard.length;
    this.heard.push(audio);
    if (this.#delayMs > 0) {
      await sleep(this.#delayMs, options.signal);
    }
    return { text: pick(this.#script, index, 'ScriptedStt') };
  }
}

/** LLM fake: reply n word by word after `firstTokenDelayMs`. Records the conversations it got. */
export class ScriptedLlm implements LanguageModel {
  readonly name = 'scripted-llm';
  readonly requests: ChatMessage[][] = [];
  readonly #script: Script<string>;
  readonly #firstTokenDelayMs: number;
  readonly #tokenDelayMs: number;

  constructor(
    script: Script<string>,
    options: { firstTokenDelayMs?: number; tokenDelayMs?: number } = {},
  ) {
    this.#script = script;
    this.#firstTokenDelayMs = options.firstTokenDelayMs ?? 0;
    this.#tokenDelayMs = options.tokenDelayMs ?? 0;
  }

  async *complete(
    messages: readonly ChatMessage[],
    options: ProviderCallOptions = {},
  ): AsyncIterable<string> {
    const index = this.requests.length;
    this.requests.push([...messages]);
    const reply = pick(this.#script, index, 'ScriptedLlm');
    await sleep(this.#firstTokenDelayMs, options.signal);
    const words = reply.split(/(?<=\s)/);
    for (let i = 0; i < words.length; i++) {
      if (i > 0 && this.#tokenDelayMs > 0) {
        await sleep(this.#tokenDelayMs, options.signal);
      }
      yield words[i] as string;
    }
  }
}

/** TTS fake: speech-like audio, `msPerChar` long per character, in 100 ms frames. Records texts. */
export class ScriptedTts implements TextToSpeech {
  readonly name = 'scripted-tts';
  readonly sampleRateHz: number;
  readonly texts: string[] = [];
  readonly #msPerChar: number;
  readonly #firstByteDelayMs: number;

  constructor(
    options: { sampleRateHz?: number; msPerChar?: number; firstByteDelayMs?: number } = {},
  ) {
    this.sampleRateHz = options.sampleRateHz ?? 24_000;
    this.#msPerChar = options.msPerChar ?? 60;
    this.#firstByteDelayMs = options.firstByteDelayMs ?? 0;
  }

  async *synthesize(text: string, options: ProviderCallOptions = {}): AsyncIterable<AudioFrame> {
    this.texts.push(text);
    await sleep(this.#firstByteDelayMs, options.signal);
    const durationMs = Math.max(100, text.length * this.#msPerChar);
    const samples = generateSpeechLike({
      sampleRateHz: this.sampleRateHz,
      durationMs,
      seed: this.texts.length,
    });
    const step = this.sampleRateHz / 10;
    for (let offset = 0; offset < samples.length; offset += step) {
      if (options.signal?.aborted) {
        throw abortReason(options.signal);
      }
      yield new AudioFrame(samples.slice(offset, offset + step), this.sampleRateHz);
    }
  }
}

export interface ScriptedReply {
  transcript: string;
  /** Reply audio at the model's rate (default: speech-like, 60 ms per transcript character). */
  audio?: Int16Array;
}

/**
 * Realtime fake: on respond() it plays reply n as audio events (100 ms pieces, faster than real
 * time like the real API). Records what it was sent: appended audio, responds, cancels, truncates.
 */
export class ScriptedRealtime implements RealtimeModel {
  readonly name = 'scripted-realtime';
  readonly sampleRateHz = 24_000;
  readonly sessions: ScriptedRealtimeSession[] = [];
  readonly #script: Script<ScriptedReply>;
  readonly #firstByteDelayMs: number;

  constructor(script: Script<ScriptedReply>, options: { firstByteDelayMs?: number } = {}) {
    this.#script = script;
    this.#firstByteDelayMs = options.firstByteDelayMs ?? 0;
  }

  async connect(_options: RealtimeConnectOptions = {}): Promise<RealtimeSession> {
    const session = new ScriptedRealtimeSession(this.#script, this.#firstByteDelayMs);
    this.sessions.push(session);
    return session;
  }
}

export class ScriptedRealtimeSession
  extends TypedEmitter<RealtimeSessionEvents>
  implements RealtimeSession
{
  readonly calls: { type: string; atMs: number; itemId?: string; audioEndMs?: number }[] = [];
  appendedMs = 0;
  readonly #script: Script<ScriptedReply>;
  readonly #firstByteDelayMs: number;
  #responses = 0;
  #abort: AbortController | undefined;
  #closed = false;

  constructor(script: Script<ScriptedReply>, firstByteDelayMs: number) {
    super();
    this.#script = script;
    this.#firstByteDelayMs = firstByteDelayMs;
  }

  get closed(): boolean {
    return this.#closed;
  }

  appendAudio(frame: AudioFrame): void {
    this.appendedMs += frame.durationMs;
  }

  respond(): void {
    this.calls.push({ type: 'respond', atMs: performance.now() });
    const n = this.#responses++;
    const reply = pick(this.#script, n, 'ScriptedRealtime');
    const abort = new AbortController();
    this.#abort = abort;
    void this.#play(n, reply, abort.signal).catch(() => undefined);
  }

  clearInput(): void {
    this.calls.push({ type: 'clearInput', atMs: performance.now() });
    this.appendedMs = 0;
  }

  cancelResponse(): void {
    this.calls.push({ type: 'cancel', atMs: performance.now() });
    this.#abort?.abort();
  }

  truncate(itemId: string, audioEndMs: number): void {
    this.calls.push({ type: 'truncate', atMs: performance.now(), itemId, audioEndMs });
  }

  close(): void {
    if (this.#closed) {
      return;
    }
    this.#closed = true;
    this.#abort?.abort();
    this.emit('closed', undefined);
    this.removeAllListeners();
  }

  async #play(n: number, reply: ScriptedReply, signal: AbortSignal): Promise<void> {
    const responseId = `resp_${n + 1}`;
    const itemId = `item_${n + 1}`;
    this.emit('responseStarted', responseId);
    await sleep(this.#firstByteDelayMs, signal);
    const audio =
      reply.audio ??
      generateSpeechLike({
        sampleRateHz: 24_000,
        durationMs: Math.max(200, reply.transcript.length * 60),
        seed: n + 1,
      });
    const step = 2400;
    for (let offset = 0; offset < audio.length; offset += step) {
      if (signal.aborted || this.#closed) {
        this.emit('responseDone', responseId, 'cancelled');
        return;
      }
      this.emit('audio', itemId, new AudioFrame(audio.slice(offset, offset + step), 24_000));
      await new Promise((r) => setImmediate(r));
    }
    this.emit('audioDone', itemId);
    this.emit('transcript', 'agent', reply.transcript, itemId);
    this.emit('responseDone', responseId, 'completed');
  }
}
