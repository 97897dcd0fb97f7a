/** Shoal's REST + notifier client: the Fishjam 0.25 surface, for Shoal or hosted Fishjam. */
export { ShoalClient } from './client.js';
export type { CallOptions, ShoalClientOptions } from './client.js';
export { Notifier, peerTypeName } from './notifier.js';
export type { NotifierEvents, NotifierOptions } from './notifier.js';
export {
  BadRequestError,
  ConflictError,
  FishjamApiError,
  NotFoundError,
  PeerNotFoundError,
  RoomNotFoundError,
  ServerUnreachableError,
  ServiceUnavailableError,
  UnauthorizedError,
  UnknownApiError,
  apiErrorFrom,
} from './errors.js';
export type { NotFoundEntity } from './errors.js';
export { HOSTED_FISHJAM_BASE, serverUrls } from './url.js';
export type { ServerUrls } from './url.js';
export { DEFAULT_BACKOFF, abortReason, backoffDelayMs, sleep } from './backoff.js';
export type { BackoffOptions } from './backoff.js';
export type {
  AgentPeerOptions,
  AgentSampleRate,
  Peer,
  PeerStatus,
  PeerType,
  Room,
  RoomConfig,
  RoomType,
  SubscribeMode,
  Track,
  WebRtcPeerOptions,
} from './types.js';
