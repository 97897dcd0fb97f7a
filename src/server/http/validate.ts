import { ShoalError } from '../../protocol/index.js';
import {
  ROOM_TYPES,
  type AgentOutput,
  type AgentSampleRate,
  type PeerType,
  type RoomConfig,
  type RoomType,
  type SubscribeMode,
  type VideoCodec,
} from '../rooms/index.js';
import type { NewPeer } from '../rooms/index.js';

const WEBHOOK_URL = /^https?:\/\/[^/]+\/.*$/;

function bad(message: string): ShoalError {
  return new ShoalError('BAD_REQUEST', message);
}

function show(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function expectObject(value: unknown, what: string): Record<string, unknown> {
  if (!isObject(value)) {
    throw bad(`Expected ${what} to be a JSON object, got: ${show(value)}`);
  }
  return value;
}

function rejectUnknown(
  obj: Record<string, unknown>,
  allowed: readonly string[],
  where: string,
): void {
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key)) {
      throw bad(`Unknown field "${key}" in ${where}`);
    }
  }
}

/** `POST /room` body (RoomConfig, additionalProperties: false). */
export function parseRoomConfig(body: unknown): RoomConfig {
  const input = body === undefined || body === null ? {} : expectObject(body, 'room config');
  rejectUnknown(
    input,
    ['maxPeers', 'public', 'roomType', 'videoCodec', 'webhookUrl'],
    'room config',
  );
  const { maxPeers = null, public: isPublic = false, roomType = 'conference' } = input;
  const { videoCodec = 'h264', webhookUrl = null } = input;
  if (maxPeers !== null && !(Number.isInteger(maxPeers) && (maxPeers as number) >= 0)) {
    throw bad(`Expected maxPeers to be a number, got: ${show(maxPeers)}`);
  }
  if (typeof isPublic !== 'boolean') {
    throw bad(`Expected public to be a boolean, got: ${show(isPublic)}`);
  }
  if (typeof roomType !== 'string' || !(ROOM_TYPES as readonly string[]).includes(roomType)) {
    throw bad(`Expected roomType to be one of ${ROOM_TYPES.join(', ')}, got: ${show(roomType)}`);
  }
  if (videoCodec !== 'h264' && videoCodec !== 'vp8') {
    throw bad(`Expected videoCodec to be 'h264' or 'vp8', got: ${show(videoCodec)}`);
  }
  if (webhookUrl !== null && !(typeof webhookUrl === 'string' && isWebhookUrl(webhookUrl))) {
    throw bad(`Expected webhookUrl to be valid URL, got: ${show(webhookUrl)}`);
  }
  return {
    maxPeers: maxPeers as number | null,
    public: isPublic,
    roomType: roomType as RoomType,
    videoCodec: videoCodec as VideoCodec,
    webhookUrl: webhookUrl as string | null,
  };
}

function isWebhookUrl(value: string): boolean {
  if (!WEBHOOK_URL.test(value)) {
    return false;
  }
  try {
    new URL(value);
    return true;
  } catch {
    return false;
  }
}

function parseSubscribeMode(value: unknown): SubscribeMode {
  if (value === undefined || value === null) {
    return 'auto';
  }
  if (value !== 'auto' && value !== 'manual') {
    throw bad(`Expected subscribeMode to be 'auto' or 'manual', got: ${show(value)}`);
  }
  return value;
}

function parseAgentOutput(value: unknown): AgentOutput {
  if (value === undefined || value === null) {
    return { audioFormat: 'pcm16', audioSampleRate: 16000 };
  }
  const output = expectObject(value, 'output');
  rejectUnknown(output, ['audioFormat', 'audioSampleRate'], 'output');
  const { audioFormat = 'pcm16', audioSampleRate = 16000 } = output;
  if (audioFormat !== 'pcm16') {
    throw bad(`Expected output.audioFormat to be 'pcm16', got: ${show(audioFormat)}`);
  }
  if (audioSampleRate !== 16000 && audioSampleRate !== 24000) {
    throw bad(
      `Expected output.audioSampleRate to be 16000 or 24000, got: ${show(audioSampleRate)}`,
    );
  }
  return { audioFormat, audioSampleRate: audioSampleRate as AgentSampleRate };
}

/** `POST /room/:id/peer` body: `{type, options}`. */
export function parsePeerRequest(body: unknown): NewPeer {
  if (!isObject(body)) {
    throw bad('Invalid request body structure');
  }
  rejectUnknown(body, ['type', 'options'], 'peer request');
  const { type, options = {} } = body;
  if (type !== 'webrtc' && type !== 'agent') {
    throw bad('Invalid peer type');
  }
  const opts = options === null ? {} : expectObject(options, 'options');
  if ((type as PeerType) === 'webrtc') {
    rejectUnknown(opts, ['metadata', 'subscribeMode'], 'webrtc peer options');
    const { metadata = null } = opts;
    if (metadata !== null && !isObject(metadata)) {
      throw bad(`Expected metadata to be a JSON object, got: ${show(metadata)}`);
    }
    return {
      type: 'webrtc',
      metadata: metadata as Record<string, unknown> | null,
      subscribeMode: parseSubscribeMode(opts['subscribeMode']),
      agentOutput: null,
    };
  }
  rejectUnknown(opts, ['output', 'subscribeMode'], 'agent peer options');
  return {
    type: 'agent',
    metadata: null,
    subscribeMode: parseSubscribeMode(opts['subscribeMode']),
    agentOutput: parseAgentOutput(opts['output']),
  };
}

/** `POST …/subscribe_tracks` body: `{track_ids: string[]}`. */
export function parseTrackIds(body: unknown): string[] {
  const input = expectObject(body, 'request body');
  rejectUnknown(input, ['track_ids'], 'subscribe_tracks request');
  const ids = input['track_ids'];
  if (!Array.isArray(ids) || !ids.every((id) => typeof id === 'string')) {
    throw bad(`Expected track_ids to be a list of strings, got: ${show(ids)}`);
  }
  return ids as string[];
}

/** `?peer_id=` of subscribe_peer. */
export function parsePublisherId(query: unknown): string {
  const id = isObject(query) ? query['peer_id'] : undefined;
  if (typeof id !== 'string' || id.length === 0) {
    throw bad('Expected query parameter peer_id to be a peer id');
  }
  return id;
}
