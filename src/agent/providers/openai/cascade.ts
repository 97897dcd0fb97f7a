import { toFile } from 'openai';
import { AudioFrame } from '../../../media/pcm/index.js';
import { ShoalError } from '../../../protocol/index.js';
import { toShoalError } from '../../errors.js';
import type {
  ChatMessage,
  LanguageModel,
  ProviderCallOptions,
  SpeechToText,
  TextToSpeech,
  Transcript,
} from '../types.js';
import { encodeWav } from '../wav.js';
import { openaiClient, type OpenAIConfig } from './client.js';

/** OpenAI transcription of one utterance (default model 'gpt-4o-mini-transcribe'). */
export function openaiTranscription(
  options: OpenAIConfig & { model?: string; language?: string } = {},
): SpeechToText {
  const client = openaiClient(options);
  const model = options.model ?? 'gpt-4o-mini-transcribe';
  return {
    name: `openai-stt:${model}`,
    async transcribe(audio: AudioFrame, call: ProviderCallOptions = {}): Promise<Transcript> {
      try {
        const file = await toFile(Buffer.from(encodeWav(audio)), 'turn.wav', { type: 'audio/wav' });
        const result = await client.audio.transcriptions.create(
          { file, model, ...(options.language ? { language: options.language } : {}) },
          { ...(call.signal ? { signal: call.signal } : {}) },
        );
        return { text: typeof result.text === 'string' ? result.text.trim() : '' };
      } catch (err) {
        throw providerError('OpenAI transcription', err);
      }
    },
  };
}

/** OpenAI chat completions, streamed (default model 'gpt-4o-mini'). */
export function openaiChat(
  options: OpenAIConfig & { model?: string; maxTokens?: number } = {},
): LanguageModel {
  const client = openaiClient(options);
  const model = options.model ?? 'gpt-4o-mini';
  return {
    name: `openai-chat:${model}`,
    async *complete(messages: readonly ChatMessage[], call: ProviderCallOptions = {}) {
      try {
        const stream = await client.chat.completions.create(
          {
            model,
            messages: messages.map((m) => ({ role: m.role, content: m.content })),
            stream: true,
            ...(options.maxTokens ? { max_tokens: options.maxTokens } : {}),
          },
          { ...(call.signal ? { signal: call.signal } : {}) },
        );
        for await (const chunk of stream) {
          const piece = chunk.choices[0]?.delta?.content;
          if (piece) {
            yield piece;
          }
        }
      } catch (err) {
        throw providerError('OpenAI chat', err);
      }
    },
  };
}

/** OpenAI speech (PCM16 24 kHz, streamed; default model 'gpt-4o-mini-tts', voice 'alloy'). */
export function openaiSpeech(
  options: OpenAIConfig & { model?: string; voice?: string; instructions?: string } = {},
): TextToSpeech {
  const client = openaiClient(options);
  const model = options.model ?? 'gpt-4o-mini-tts';
  return {
    name: `openai-tts:${model}`,
    sampleRateHz: 24_000,
    async *synthesize(text: string, call: ProviderCallOptions = {}) {
      let response: Response;
      try {
        response = await client.audio.speech.create(
          {
            model,
            voice: options.voice ?? 'alloy',
            input: text,
            response_format: 'pcm',
            ...(options.instructions ? { instructions: options.instructions } : {}),
          },
          { ...(call.signal ? { signal: call.signal } : {}) },
        );
      } catch (err) {
        throw providerError('OpenAI speech', err);
      }
      if (!response.body) {
        throw new ShoalError('PROVIDER_FAILED', 'OpenAI speech: empty response');
      }
      let carry: Uint8Array = new Uint8Array(0);
      const reader = response.body.getReader();
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) {
            break;
          }
          const bytes = concatBytes(carry, value);
          const even = bytes.byteLength - (bytes.byteLength % 2);
          carry = bytes.slice(even);
          if (even > 0) {
            yield AudioFrame.fromPcm16leBytes(bytes.slice(0, even), 24_000);
          }
        }
      } catch (err) {
        throw providerError('OpenAI speech', err);
      } finally {
        reader.releaseLock();
      }
    },
  };
}

function concatBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.byteLength === 0) {
    return b;
  }
  const out = new Uint8Array(a.byteLength + b.byteLength);
  out.set(a, 0);
  out.set(b, a.byteLength);
  return out;
}

function providerError(what: string, err: unknown): ShoalError {
  if (err instanceof ShoalError) {
    return err;
  }
  const status = (err as { status?: number }).status;
  if (status === 401) {
    return new ShoalError('UNAUTHORIZED', `${what}: the API key was refused`, { cause: err });
  }
  if ((err as Error).name === 'AbortError' || (err as Error).name === 'APIUserAbortError') {
    return new ShoalError('CLOSED', `${what}: aborted`, { cause: err });
  }
  const e = toShoalError(err, 'PROVIDER_FAILED');
  return new ShoalError('PROVIDER_FAILED', `${what}: ${e.message}`, { cause: err });
}
