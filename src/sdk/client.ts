import { ShoalError } from '../protocol/index.js';
import { abortReason } from './backoff.js';
import { ServerUnreachableError, apiErrorFrom, type NotFoundEntity } from './errors.js';
import { Notifier, type NotifierOptions } from './notifier.js';
import type { AgentPeerOptions, Peer, Room, RoomConfig, WebRtcPeerOptions } from './types.js';
import { serverUrls, type ServerUrls } from './url.js';

export interface ShoalClientOptions {
  /** Bare origin (`http://localhost:5002`), prefixed URL (`…/api/v1/connect/<id>`) or hosted Fishjam ID. */
  serverUrl: string;
  managementToken: string;
  /** Per-request deadline (default 10 s). */
  timeoutMs?: number;
}

export interface CallOptions {
  signal?: AbortSignal;
}

const CLIENT_HEADER = 'shoal-sdk/0.1.0';

/**
 * REST client with the Fishjam 0.25 surface (rooms, peers, agents, subscriptions), against
 * Shoal or hosted Fishjam. Errors are typed (`RoomNotFoundError`, `UnauthorizedError`, …).
 */
export class ShoalClient {
  readonly urls: ServerUrls;
  readonly #token: string;
  readonly #timeoutMs: number;

  constructor(options: ShoalClientOptions) {
    if (!options.managementToken) {
      throw new ShoalError('UNAUTHORIZED', 'a management token is required');
    }
    this.urls = serverUrls(options.serverUrl);
    this.#token = options.managementToken;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
  }

  /** Fails with UnauthorizedError when the management token is wrong (or the server is unreachable). */
  async checkCredentials(options: CallOptions = {}): Promise<void> {
    await this.#call('GET', '/room', undefined, options);
  }

  async createRoom(config: RoomConfig = {}, options: CallOptions = {}): Promise<Room> {
    const body = await this.#call('POST', '/room', config, options);
    return asRoom(field(field(body, 'data'), 'room'));
  }

  async getAllRooms(options: CallOptions = {}): Promise<Room[]> {
    const body = await this.#call('GET', '/room', undefined, options);
    const data = field(body, 'data');
    return Array.isArray(data) ? data.map(asRoom) : [];
  }

  async getRoom(roomId: string, options: CallOptions = {}): Promise<Room> {
    const body = await this.#call('GET', `/room/${enc(roomId)}`, undefined, options, 'room');
    return asRoom(field(body, 'data'));
  }

  async deleteRoom(roomId: string, options: CallOptions = {}): Promise<void> {
    await this.#call('DELETE', `/room/${enc(roomId)}`, undefined, options, 'room');
  }

  /** A WebRTC peer: its token is for a browser's ts-client. */
  async createPeer(
    roomId: string,
    peerOptions: WebRtcPeerOptions = {},
    options: CallOptions = {},
  ): Promise<{ peer: Peer; peerToken: string; peerWebsocketUrl: string | undefined }> {
    const body = await this.#call(
      'POST',
      `/room/${enc(roomId)}/peer`,
      { type: 'webrtc', options: peerOptions },
      options,
    );
    const data = field(body, 'data');
    const url = field(data, 'peer_websocket_url');
    return {
      peer: asPeer(field(data, 'peer')),
      peerToken: asString(field(data, 'token'), 'token'),
      peerWebsocketUrl: typeof url === 'string' ? url : undefined,
    };
  }

  /** An agent peer: its token opens `/socket/agent/websocket` (see AgentConnection). */
  async createAgentPeer(
    roomId: string,
    peerOptions: AgentPeerOptions = {},
    options: CallOptions = {},
  ): Promise<{ peer: Peer; token: string }> {
    const body = await this.#call(
      'POST',
      `/room/${enc(roomId)}/peer`,
      { type: 'agent', options: peerOptions },
      options,
    );
    const data = field(body, 'data');
    return { peer: asPeer(field(data, 'peer')), token: asString(field(data, 'token'), 'token') };
  }

  async deletePeer(roomId: string, peerId: string, options: CallOptions = {}): Promise<void> {
    await this.#call(
      'DELETE',
      `/room/${enc(roomId)}/peer/${enc(peerId)}`,
      undefined,
      options,
      'peer',
    );
  }

  async refreshPeerToken(
    roomId: string,
    peerId: string,
    options: CallOptions = {},
  ): Promise<string> {
    const body = await this.#call(
      'POST',
      `/room/${enc(roomId)}/peer/${enc(peerId)}/refresh_token`,
      undefined,
      options,
      'peer',
    );
    return asString(field(field(body, 'data'), 'token'), 'token');
  }

  async subscribePeer(
    roomId: string,
    subscriberId: string,
    publisherId: string,
    options: CallOptions = {},
  ): Promise<void> {
    await this.#call(
      'POST',
      `/room/${enc(roomId)}/peer/${enc(subscriberId)}/subscribe_peer?peer_id=${enc(publisherId)}`,
      undefined,
      options,
      'peer',
    );
  }

  async subscribeTracks(
    roomId: string,
    subscriberId: string,
    trackIds: string[],
    options: CallOptions = {},
  ): Promise<void> {
    await this.#call(
      'POST',
      `/room/${enc(roomId)}/peer/${enc(subscriberId)}/subscribe_tracks`,
      { track_ids: trackIds },
      options,
      'peer',
    );
  }

  /** A notifier socket on the same server and token (call `connect()` on it). */
  notifier(options: Omit<NotifierOptions, 'serverUrl' | 'managementToken'> = {}): Notifier {
    return new Notifier({ ...options, serverUrl: this.urls.base, managementToken: this.#token });
  }

  async #call(
    method: string,
    path: string,
    body: unknown,
    options: CallOptions,
    entity?: NotFoundEntity,
  ): Promise<unknown> {
    const url = this.urls.http(path);
    const timeout = AbortSignal.timeout(this.#timeoutMs);
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        signal,
        headers: {
          authorization: `Bearer ${this.#token}`,
          'x-fishjam-api-client': CLIENT_HEADER,
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    } catch (err) {
      if (options.signal?.aborted) {
        throw abortReason(options.signal);
      }
      if (timeout.aborted) {
        throw new ShoalError(
          'TIMEOUT',
          `${method} ${path}: no answer within ${this.#timeoutMs} ms`,
        );
      }
      throw new ServerUnreachableError(this.urls.base, err);
    }
    const text = await response.text();
    let parsed: unknown = undefined;
    if (text.length > 0) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = text;
      }
    }
    if (!response.ok) {
      throw apiErrorFrom({ method, path }, response.status, parsed, entity);
    }
    return parsed;
  }
}

function enc(id: string): string {
  return encodeURIComponent(id);
}

function field(value: unknown, key: string): unknown {
  if (value && typeof value === 'object') {
    return (value as Record<string, unknown>)[key];
  }
  return undefined;
}

function asString(value: unknown, what: string): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new ShoalError('INTERNAL', `the server's answer has no ${what}`);
  }
  return value;
}

function asRoom(value: unknown): Room {
  const id = asString(field(value, 'id'), 'room id');
  const peers = field(value, 'peers');
  const config = (field(value, 'config') ?? {}) as Room['config'];
  return {
    id,
    config: { ...config, roomType: config.roomType ?? 'conference' },
    peers: Array.isArray(peers) ? peers.map(asPeer) : [],
  };
}

function asPeer(value: unknown): Peer {
  const id = asString(field(value, 'id'), 'peer id');
  const record = value as Partial<Peer>;
  return {
    id,
    type: record.type === 'agent' ? 'agent' : 'webrtc',
    status: record.status === 'connected' ? 'connected' : 'disconnected',
    tracks: Array.isArray(record.tracks) ? record.tracks : [],
    metadata: record.metadata ?? null,
    subscribeMode: record.subscribeMode === 'manual' ? 'manual' : 'auto',
    subscriptions: record.subscriptions ?? { peers: [], tracks: [] },
  };
}
