export type {
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
} from './types.js';
export { decodeWav, encodeWav } from './wav.js';
export { hasOpenAIKey, openaiClient } from './openai/client.js';
export type { OpenAIConfig } from './openai/client.js';
export { openaiRealtime } from './openai/realtime.js';
export type { OpenAIRealtimeOptions } from './openai/realtime.js';
export { openaiChat, openaiSpeech, openaiTranscription } from './openai/cascade.js';
export { PocketsphinxStt, phraseWords, pocketsphinxStt } from './local/pocketsphinx.js';
export type { PocketsphinxOptions } from './local/pocketsphinx.js';
export { espeakTts } from './local/espeak.js';
export type { EspeakOptions } from './local/espeak.js';
export { templateLlm } from './local/template-llm.js';
