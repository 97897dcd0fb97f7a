import { describe, expect, it } from 'vitest';
import { backoffDelayMs } from './backoff.js';
import {
  BadRequestError,
  ConflictError,
  NotFoundError,
  PeerNotFoundError,
  RoomNotFoundError,
  ServiceUnavailableError,
  UnauthorizedError,
  UnknownApiError,
  apiErrorFrom,
} from './errors.js';
import { serverUrls } from './url.js';

describe('serverUrls', () => {
  it.each([
    [
      'http://127.0.0.1:5002',
      'http://127.0.0.1:5002/room',
      'ws://127.0.0.1:5002/socket/agent/websocket',
    ],
    [
      'http://127.0.0.1:5002/',
      'http://127.0.0.1:5002/room',
      'ws://127.0.0.1:5002/socket/agent/websocket',
    ],
    [
      'https://fishjam.io/api/v1/connect/abc/',
      'https://fishjam.io/api/v1/connect/abc/room',
      'wss://fishjam.io/api/v1/connect/abc/socket/agent/websocket',
    ],
    ['ws://h:1//x//', 'http://h:1/x/room', 'ws://h:1/x/socket/agent/websocket'],
    [
      'abc123',
      'https://fishjam.io/api/v1/connect/abc123/room',
      'wss://fishjam.io/api/v1/connect/abc123/socket/agent/websocket',
    ],
  ])('%s', (input, rest, socket) => {
    const urls = serverUrls(input);
    expect(urls.http('/room')).toBe(rest);
    expect(urls.ws('/socket/agent/websocket')).toBe(socket);
  });

  it('refuses what is not a URL', () => {
    expect(() => serverUrls('localhost:5002')).toThrow(/invalid server URL/);
    expect(() => serverUrls('ftp://x')).toThrow(/invalid server URL/);
  });
});

describe('apiErrorFrom', () => {
  const req = { method: 'GET', path: '/room/x' };
  it.each([
    [400, { errors: 'bad' }, undefined, BadRequestError, 'BAD_REQUEST'],
    [401, { errors: 'Invalid token' }, undefined, UnauthorizedError, 'UNAUTHORIZED'],
    [404, { errors: 'Room x does not exist' }, undefined, RoomNotFoundError, 'ROOM_NOT_FOUND'],
    [404, { errors: 'Peer y does not exist' }, undefined, PeerNotFoundError, 'PEER_NOT_FOUND'],
    [404, { errors: 'whatever' }, 'peer', PeerNotFoundError, 'PEER_NOT_FOUND'],
    [404, 'not json', undefined, NotFoundError, 'NOT_FOUND'],
    [409, { errors: 'Request conflict' }, undefined, ConflictError, 'CONFLICT'],
    [
      503,
      { errors: 'Reached webrtc peers limit in room x' },
      undefined,
      ServiceUnavailableError,
      'PEER_LIMIT_REACHED',
    ],
    [500, {}, undefined, UnknownApiError, 'INTERNAL'],
  ] as const)('%i %j', (status, body, entity, type, code) => {
    const err = apiErrorFrom(req, status, body, entity);
    expect(err).toBeInstanceOf(type);
    expect(err.code).toBe(code);
    expect(err.statusCode).toBe(status);
  });
});

describe('backoffDelayMs', () => {
  it('doubles up to the cap, with bounded jitter', () => {
    const o = { maxAttempts: 5, initialDelayMs: 100, maxDelayMs: 1000, jitter: 0.2 };
    expect([1, 2, 3, 4, 5].map((a) => backoffDelayMs(a, o, 0.5))).toEqual([
      100, 200, 400, 800, 1000,
    ]);
    expect(backoffDelayMs(1, o, 0)).toBe(80);
    expect(backoffDelayMs(1, o, 0.999)).toBeLessThanOrEqual(120);
    expect(() => backoffDelayMs(0, o)).toThrow();
  });
});
