import type OpenAI from 'openai';
import { OpenAIRealtimeWS } from 'openai/realtime/ws';
import type { ClientOptions as WsClientOptions } from 'ws';
import { AudioFrame, createResampler, type Resampler } from '../../../media/pcm/index.js';
import { ShoalError, TypedEmitter } from '../../../protocol/index.js';
import { backoffDelayMs, sleep, type BackoffOptions } from '../../../sdk/index.js';
import { toShoalError } from '../../errors.js';
import { silentLogger, type Logger } from '../../logger.js';
import type {
  RealtimeConnectOptions,
  RealtimeModel,
  RealtimeSession,
  RealtimeSessionEvents,
} from '../types.js';
import { openaiClient, type OpenAIConfig } from './client.js';

export interface OpenAIRealtimeOptions extends OpenAIConfig {
  /** Default 'gpt-realtime'. */
  model?: string;
  /** Default 'alloy'. */
  voice?: string;
  instructions?: string;
  /** Model that transcribes the user's turns (default 'gpt-4o-mini-transcribe'; null: none). */
  transcriptionModel?: string | null;
  /** After a drop: reconnect and restore the conversation (default 3 attempts, 200 ms → 2 s). */
  reconnect?: BackoffOptions;
  /** Undecodable or invalid events tolerated per connection before it is treated as broken (default 20). */
  maxBadEvents?: number;
  /** Deadline for `session.created` (default 10 s). */
  connectTimeoutMs?: number;
  /** Extra WebSocket options (e.g. `ca` for a local TLS endpoint). */
  ws?: WsClientOptions;
}

const RATE = 24_000;
/** Conversation kept for a reconnect (most recent items). */
const HISTORY_ITEMS = 40;
/** User audio kept since the last respond(), for a reconnect mid-turn. */
const PENDING_INPUT_MS = 30_000;

/** OpenAI Realtime (speech-to-speech over WebSocket, PCM16 24 kHz) through the `openai` package. */
export function openaiRealtime(options: OpenAIRealtimeOptions = {}): RealtimeModel {
  return {
    name: `openai-realtime:${options.model ?? 'gpt-realtime'}`,
    sampleRateHz: RATE,
    connect: async (connectOptions: RealtimeConnectOptions = {}) => {
      const session = new OpenAIRealtimeSession(openaiClient(options), options, connectOptions);
      await session.start();
      return session;
    },
  };
}

interface HistoryItem {
  role: 'user' | 'assistant';
  text: string;
  itemId: string;
}

type ServerEvent = { type: string } & Record<string, unknown>;

class OpenAIRealtimeSession extends TypedEmitter<RealtimeSessionEvents> implements RealtimeSession {
  readonly #client: OpenAI;
  readonly #options: OpenAIRealtimeOptions;
  readonly #instructions: string | undefined;
  readonly #log: Logger;
  readonly #abort = new AbortController();
  readonly #resamplers = new Map<number, Resampler>();
  readonly #history: HistoryItem[] = [];
  readonly #itemAudioMs = new Map<string, number>();
  #pendingInput: Int16Array[] = [];
  #pendingInputMs = 0;
  #rt: OpenAIRealtimeWS | undefined;
  #ready = false;
  #respondAfterReconnect = false;
  #activeResponseId: string | undefined;
  #badEvents = 0;
  #closed = false;
  readonly stats = { badEvents: 0, reconnects: 0, audioDeltas: 0 };

  constructor(client: OpenAI, options: OpenAIRealtimeOptions, connect: RealtimeConnectOptions) {
    super();
    this.#client = client;
    this.#options = options;
    this.#instructions = connect.instructions ?? options.instructions;
    this.#log = (connect.log ?? silentLogger()).child({ component: 'openai-realtime' });
    this.onListenerError = (err, event) =>
      this.#log.error({ err, event: String(event) }, 'realtime listener threw');
    connect.signal?.addEventListener('abort', () => this.close(), { once: true });
  }

  get closed(): boolean {
    return this.#closed;
  }

  async start(): Promise<void> {
    await this.#open();
  }

  appendAudio(frame: AudioFrame): void {
    if (this.#closed) {
      return;
    }
    const samples = this.#to24k(frame);
    this.#pendingInput.push(samples);
    this.#pendingInputMs += (samples.length * 1000) / RATE;
    while (this.#pendingInputMs > PENDING_INPUT_MS && this.#pendingInput.length > 1) {
      const old = this.#pendingInput.shift() as Int16Array;
      this.#pendingInputMs -= (old.length * 1000) / RATE;
    }
    if (this.#ready) {
      this.#sendAudio(samples);
    }
  }

  respond(): void {
    if (this.#closed) {
      return;
    }
    if (!this.#ready) {
      this.#respondAfterReconnect = true;
      return;
    }
    this.#pendingInput = [];
    this.#pendingInputMs = 0;
    this.#send({ type: 'input_audio_buffer.commit' });
    this.#send({ type: 'response.create' });
  }

  clearInput(): void {
    this.#pendingInput = [];
    this.#pendingInputMs = 0;
    if (this.#ready) {
      this.#send({ type: 'input_audio_buffer.clear' });
    }
  }

  cancelResponse(): void {
    if (this.#ready && this.#activeResponseId) {
      this.#send({ type: 'response.cancel' });
    }
  }

  truncate(itemId: string, audioEndMs: number): void {
    const end = Math.max(0, Math.floor(audioEndMs));
    const item = this.#history.find((h) => h.itemId === itemId);
    const total = this.#itemAudioMs.get(itemId);
    if (item && total && end < total) {
      const keep = Math.round((item.text.length * end) / total);
      item.text = `${item.text.slice(0, keep)}…`;
    }
    if (this.#ready) {
      this.#send({
        type: 'conversation.item.truncate',
        item_id: itemId,
        content_index: 0,
        audio_end_ms: end,
      });
    }
  }

  close(): void {
    this.#finish(undefined);
  }

  #finish(error: ShoalError | undefined): void {
    if (this.#closed) {
      return;
    }
    this.#closed = true;
    this.#ready = false;
    this.#abort.abort(error ?? new ShoalError('CLOSED', 'realtime session closed'));
    this.#rt?.close({ code: 1000, reason: 'closing' });
    for (const r of this.#resamplers.values()) {
      r.close();
    }
    this.emit('closed', error);
    this.removeAllListeners();
  }

  /** One provider socket, up to `session.created` + `session.update`. */
  #open(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const settle = (err?: ShoalError): void => {
        if (settled) {
          return;
        }
        settled = true;
        clearTimeout(timer);
        if (err) {
          reject(err);
        } else {
          resolve();
        }
      };
      const timeoutMs = this.#options.connectTimeoutMs ?? 10_000;
      const timer = setTimeout(() => {
        settle(
          new ShoalError('TIMEOUT', `OpenAI Realtime: no session.created within ${timeoutMs} ms`),
        );
        rt.socket.terminate();
      }, timeoutMs);
      let rt: OpenAIRealtimeWS;
      try {
        rt = new OpenAIRealtimeWS(
          {
            model: this.#options.model ?? 'gpt-realtime',
            ...(this.#options.ws ? { options: this.#options.ws } : {}),
          },
          this.#client,
        );
      } catch (err) {
        clearTimeout(timer);
        reject(toShoalError(err, 'PROVIDER_FAILED'));
        return;
      }
      this.#rt = rt;
      this.#badEvents = 0;
      rt.on('error', (err) => {
        const parseError = /could not parse/i.test(err.message);
        if (parseError) {
          this.#bad(rt, `undecodable event: ${err.message}`);
          return;
        }
        const serverError = new ShoalError(
          'PROVIDER_FAILED',
          `OpenAI Realtime error: ${err.message}`,
          {
            cause: err,
          },
        );
        if (!settled) {
          settle(serverError);
          rt.socket.terminate();
          return;
        }
        this.#warn(serverError);
      });
      rt.on('event', (raw: unknown) => {
        if (!isEvent(raw)) {
          this.#bad(rt, 'event is not an object with a type');
          return;
        }
        if (raw.type === 'session.created' && !settled) {
          this.#configure();
          this.#ready = true;
          settle();
          return;
        }
        this.#onEvent(rt, raw);
      });
      rt.socket.on('close', (code: number, reason: Buffer) => {
        const why = `${code}${reason.length ? ` ${reason.toString()}` : ''}`;
        if (!settled) {
          settle(
            new ShoalError(
              'PROVIDER_FAILED',
              `OpenAI Realtime socket closed during setup (${why})`,
            ),
          );
          return;
        }
        if (this.#closed || this.#rt !== rt) {
          return;
        }
        this.#ready = false;
        this.#log.warn({ code, reason: reason.toString() }, 'OpenAI Realtime socket dropped');
        void this.#reconnect(
          new ShoalError('PROVIDER_FAILED', `OpenAI Realtime socket dropped (${why})`),
        );
      });
    });
  }

  #configure(): void {
    const transcription =
      this.#options.transcriptionModel === null
        ? {}
        : {
            transcription: { model: this.#options.transcriptionModel ?? 'gpt-4o-mini-transcribe' },
          };
    this.#send({
      type: 'session.update',
      session: {
        type: 'realtime',
        output_modalities: ['audio'],
        ...(this.#instructions ? { instructions: this.#instructions } : {}),
        audio: {
          input: {
            format: { type: 'audio/pcm', rate: RATE },
            turn_detection: null,
            ...transcription,
          },
          output: {
            format: { type: 'audio/pcm', rate: RATE },
            voice: this.#options.voice ?? 'alloy',
          },
        },
      },
    });
  }

  async #reconnect(cause: ShoalError): Promise<void> {
    const backoff = this.#options.reconnect ?? {
      maxAttempts: 3,
      initialDelayMs: 200,
      maxDelayMs: 2000,
    };
    if (this.#activeResponseId) {
      const id = this.#activeResponseId;
      this.#activeResponseId = undefined;
      this.emit('responseDone', id, 'failed');
    }
    let last: ShoalError = cause;
    for (let attempt = 1; attempt <= backoff.maxAttempts; attempt++) {
      try {
        await sleep(backoffDelayMs(attempt, backoff, Math.random()), this.#abort.signal);
        this.stats.reconnects += 1;
        await this.#open();
        this.#restore();
        this.#log.info({ attempt, items: this.#history.length }, 'OpenAI Realtime reconnected');
        this.emit('reconnected', attempt);
        return;
      } catch (err) {
        if (this.#closed) {
          return;
        }
        last = toShoalError(err, 'PROVIDER_FAILED');
      }
    }
    this.#finish(
      new ShoalError(
        'PROVIDER_FAILED',
        `OpenAI Realtime connection lost and ${backoff.maxAttempts} reconnects failed: ${last.message}`,
        { cause: last },
      ),
    );
  }

  /** Replays the conversation (as text) and the user audio of an unfinished turn. */
  #restore(): void {
    for (const item of this.#history) {
      this.#send({
        type: 'conversation.item.create',
        item: {
          type: 'message',
          role: item.role,
          content: [
            item.role === 'user'
              ? { type: 'input_text', text: item.text }
              : { type: 'output_text', text: item.text },
          ],
        },
      } as never);
    }
    for (const samples of this.#pendingInput) {
      this.#sendAudio(samples);
    }
    if (this.#respondAfterReconnect) {
      this.#respondAfterReconnect = false;
      this.respond();
    }
  }

  #onEvent(rt: OpenAIRealtimeWS, event: ServerEvent): void {
    switch (event.type) {
      case 'response.created': {
        const id = str((event['response'] as Record<string, unknown> | undefined)?.['id']);
        this.#activeResponseId = id ?? 'response';
        this.emit('responseStarted', this.#activeResponseId);
        return;
      }
      case 'response.output_audio.delta': {
        const itemId = str(event['item_id']);
        const delta = str(event['delta']);
        const frame = delta !== undefined ? decodePcm(delta) : undefined;
        if (!itemId || !frame) {
          this.#bad(rt, 'invalid response.output_audio.delta');
          return;
        }
        this.stats.audioDeltas += 1;
        this.#itemAudioMs.set(itemId, (this.#itemAudioMs.get(itemId) ?? 0) + frame.durationMs);
        this.emit('audio', itemId, frame);
        return;
      }
      case 'response.output_audio.done': {
        const itemId = str(event['item_id']);
        if (itemId) {
          this.emit('audioDone', itemId);
        }
        return;
      }
      case 'response.output_audio_transcript.done': {
        const itemId = str(event['item_id']);
        const text = str(event['transcript']);
        if (itemId && text !== undefined) {
          this.#remember({ role: 'assistant', text, itemId });
          this.emit('transcript', 'agent', text, itemId);
        }
        return;
      }
      case 'conversation.item.input_audio_transcription.completed': {
        const itemId = str(event['item_id']);
        const text = str(event['transcript']);
        if (itemId && text !== undefined) {
          this.#remember({ role: 'user', text, itemId });
          this.emit('transcript', 'user', text, itemId);
        }
        return;
      }
      case 'response.done': {
        const response = event['response'] as Record<string, unknown> | undefined;
        const id = str(response?.['id']) ?? this.#activeResponseId ?? 'response';
        this.#activeResponseId = undefined;
        this.emit('responseDone', id, str(response?.['status']) ?? 'completed');
        return;
      }
      default:
        return;
    }
  }

  #remember(item: HistoryItem): void {
    this.#history.push(item);
    if (this.#history.length > HISTORY_ITEMS) {
      this.#history.shift();
    }
  }

  #bad(rt: OpenAIRealtimeWS, what: string): void {
    this.stats.badEvents += 1;
    this.#badEvents += 1;
    const max = this.#options.maxBadEvents ?? 20;
    if (this.#badEvents === 1 || this.#badEvents % 10 === 0) {
      this.#warn(
        new ShoalError(
          'PROVIDER_FAILED',
          `OpenAI Realtime sent a bad event (${this.#badEvents} so far): ${what}`,
        ),
      );
    }
    if (this.#badEvents > max && this.#rt === rt) {
      this.#log.warn(
        { badEvents: this.#badEvents },
        'too many bad events; dropping the connection',
      );
      rt.socket.terminate();
    }
  }

  #warn(error: ShoalError): void {
    this.#log.warn({ err: error }, error.message);
    this.emit('warning', error);
  }

  #send(event: Parameters<OpenAIRealtimeWS['send']>[0]): void {
    this.#rt?.send(event);
  }

  #sendAudio(samples: Int16Array): void {
    this.#send({
      type: 'input_audio_buffer.append',
      audio: Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength).toString('base64'),
    });
  }

  #to24k(frame: AudioFrame): Int16Array {
    if (frame.sampleRateHz === RATE) {
      return frame.data;
    }
    let r = this.#resamplers.get(frame.sampleRateHz);
    if (!r) {
      r = createResampler(frame.sampleRateHz, RATE);
      this.#resamplers.set(frame.sampleRateHz, r);
    }
    return r.process(frame.data);
  }
}

function isEvent(value: unknown): value is ServerEvent {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { type?: unknown }).type === 'string'
  );
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Base64 PCM16 24 kHz → frame; undefined for invalid data (not base64, odd byte count). */
function decodePcm(base64: string): AudioFrame | undefined {
  if (!BASE64.test(base64) || base64.length % 4 !== 0) {
    return undefined;
  }
  const bytes = Buffer.from(base64, 'base64');
  if (bytes.byteLength % 2 !== 0) {
    return undefined;
  }
  const samples = new Int16Array(bytes.byteLength / 2);
  for (let i = 0; i < samples.length; i++) {
    samples[i] = bytes.readInt16LE(i * 2);
  }
  return new AudioFrame(samples, RATE);
}
