export { AgentSockets, AgentSession, AgentClose } from './agent-socket.js';
export type { AgentSocketTotals, AgentSocketsOptions } from './agent-socket.js';
export { MediaClock } from './clock.js';
export type { Tickable } from './clock.js';
export { LatencyRecorder } from './latency.js';
export { OutboundQueue } from './outbound-queue.js';
export type { OutboundStats, OutboundQueueOptions } from './outbound-queue.js';
export { AgentOutputTrack } from './output-track.js';
export type { OutputTrackOptions, OutputTrackStats } from './output-track.js';
