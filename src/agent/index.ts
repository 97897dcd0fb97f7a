/**
 * The agent runtime: connection, host, sessions, turn taking, providers and the key-free test
 * kit. Ready agents (agents/*) import only this file, src/sdk/index.ts and src/protocol/index.ts.
 */
export { defineAgent } from './agent.js';
export type { AgentDefinition } from './agent.js';
export { AgentHost } from './host.js';
export type { AgentHostEvents, AgentHostOptions } from './host.js';
export { DispatchState, parseDispatchRule } from './dispatch.js';
export type { DispatchAction, DispatchRule, PeerKind } from './dispatch.js';
export { AgentConnection, whenOpen } from './connection.js';
export type {
  AgentConnectionEvents,
  AgentConnectionOptions,
  ConnectionState,
  IncomingAudio,
} from './connection.js';
export { AgentSocketClosedError, classifyClose, closeError, toShoalError } from './errors.js';
export type { CloseKind } from './errors.js';
export { AgentSession } from './session.js';
export type {
  AgentSessionEvents,
  AgentSessionInit,
  AgentState,
  BargeInEvent,
  TranscriptEvent,
} from './session.js';
export { Speaker } from './speaker.js';
export type { FramesOptions } from './speaker.js';
export { OutputTrack } from './output-track.js';
export type { OutputTrackEvents, OutputTrackOptions } from './output-track.js';
export { PlayoutModel } from './playout.js';
export { AudioQueue, Feed } from './audio-queue.js';
export type { AudioQueueOptions, Timed } from './audio-queue.js';
export { TURN_STAGES, TurnTimer, logTurnMetrics } from './metrics.js';
export type { TurnMetrics, TurnStage } from './metrics.js';
export { createAgentLogger, silentLogger } from './logger.js';
export type { Logger } from './logger.js';
export { TurnTaking } from './turns/turn-taking.js';
export type {
  Turn,
  TurnTakingEvents,
  TurnTakingOptions,
  TurnTakingSession,
  TurnTakingSessionEvents,
} from './turns/turn-taking.js';
export { TurnDetector } from './turns/turn-detector.js';
export type { TurnDetectorOptions, TurnEvent } from './turns/turn-detector.js';
export { EnergyVad, energyVad } from './turns/energy-vad.js';
export type { EnergyVadOptions } from './turns/energy-vad.js';
export { SILERO_FRAME_SAMPLES, loadSilero, sileroVad } from './turns/silero-vad.js';
export type { VadEngine, VadStream } from './turns/vad.js';
export { EchoDetector, PlayedReference } from './turns/echo-guard.js';
export type { EchoGuardOptions } from './turns/echo-guard.js';
export { FloorPolicy } from './turns/floor.js';
export type { FloorPolicyName } from './turns/floor.js';
export * from './providers/index.js';
export * from './testing/index.js';
// Audio types agents need, re-exported so agents/* never import src/media directly.
export { AudioFrame, initResamplers } from '../media/pcm/index.js';
