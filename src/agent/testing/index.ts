/** Key-free test kit: scripted providers and a local fake of the OpenAI Realtime protocol. */
export {
  ScriptedLlm,
  ScriptedRealtime,
  ScriptedRealtimeSession,
  ScriptedStt,
  ScriptedTts,
} from './scripted.js';
export type { ScriptedReply } from './scripted.js';
export { FakeOpenAIRealtimeServer } from './fake-openai-realtime.js';
export type {
  FakeOpenAIRealtimeOptions,
  FakeRealtimeConnection,
  FakeRealtimeFaults,
  FakeRealtimeReply,
} from './fake-openai-realtime.js';
export { selfSignedCertificate } from './tls.js';
