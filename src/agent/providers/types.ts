import type { AudioFrame } from '../../media/pcm/index.js';
import type { ShoalError } from '../../protocol/index.js';
import type { Logger } from '../logger.js';

/** Every provider call takes an AbortSignal; aborting stops the work and rejects with its reason. */
export interface ProviderCallOptions {
  signal?: AbortSignal;
}

export interface Transcript {
  text: string;
  /** 0…1 when the engine reports one. */
  confidence?: number;
}

/** Speech to text, one finished utterance at a time. */
export interface SpeechToText {
  readonly name: string;
  transcribe(audio: AudioFrame, options?: ProviderCallOptions): Promise<Transcript>;
  /** Frees engines and child processes; idempotent. */
  close?(): void | Promise<void>;
}

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** A chat model: the reply as a stream of text pieces. */
export interface LanguageModel {
  readonly name: string;
  complete(messages: readonly ChatMessage[], options?: ProviderCallOptions): AsyncIterable<string>;
}

/** Text to speech: audio frames as they are synthesised. */
export interface TextToSpeech {
  readonly name: string;
  readonly sampleRateHz: number;
  synthesize(text: string, options?: ProviderCallOptions): AsyncIterable<AudioFrame>;
  close?(): void | Promise<void>;
}

export interface RealtimeConnectOptions {
  instructions?: string;
  signal?: AbortSignal;
  log?: Logger;
}

export interface RealtimeSessionEvents extends Record<string, unknown[]> {
  responseStarted: [responseId: string];
  /** Reply audio (PCM16 mono at the model's rate) for one output item. */
  audio: [itemId: string, frame: AudioFrame];
  audioDone: [itemId: string];
  /** Final transcripts of the user's turn and of the agent's reply. */
  transcript: [role: 'user' | 'agent', text: string, itemId: string];
  responseDone: [responseId: string, status: string];
  /** The provider connection dropped and came back; the conversation was restored. */
  reconnected: [attempt: number];
  /** Bad events from the provider and other problems that did not end the session. */
  warning: [error: ShoalError];
  /** For good; `error` says why (undefined after close()). */
  closed: [error: ShoalError | undefined];
}

/** A live speech-to-speech conversation. */
export interface RealtimeSession {
  readonly closed: boolean;
  on<K extends keyof RealtimeSessionEvents>(
    event: K,
    listener: (...args: RealtimeSessionEvents[K]) => void,
  ): () => void;
  /** The user's audio for the current turn (any rate; resampled to the model's). */
  appendAudio(frame: AudioFrame): void;
  /** The user's turn ended: the model answers. */
  respond(): void;
  /** Drops the user audio appended since the last respond() (a misfire). */
  clearInput(): void;
  /** Stops the reply being generated. */
  cancelResponse(): void;
  /** The user heard only `audioEndMs` of item `itemId` (barge-in): the model forgets the rest. */
  truncate(itemId: string, audioEndMs: number): void;
  close(): void;
}

/** A speech-to-speech model (OpenAI Realtime, or a scripted fake). */
export interface RealtimeModel {
  readonly name: string;
  /** Rate of the audio it takes and gives. */
  readonly sampleRateHz: number;
  connect(options?: RealtimeConnectOptions): Promise<RealtimeSession>;
}
