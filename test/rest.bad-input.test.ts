import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startShoal, type RunningShoal } from './helpers/server.js';

let shoal: RunningShoal;
beforeAll(async () => {
  shoal = await startShoal({ bodyLimitBytes: 4096 });
});
afterAll(() => shoal.close());

async function call(
  method: string,
  path: string,
  init: { body?: string; token?: string | null; contentType?: string } = {},
): Promise<{ status: number; body: unknown }> {
  const headers: Record<string, string> = {};
  if (init.token !== null) {
    headers['authorization'] = `Bearer ${init.token ?? shoal.token}`;
  }
  if (init.body !== undefined) {
    headers['content-type'] = init.contentType ?? 'application/json';
  }
  const res = await fetch(`${shoal.origin}${path}`, { method, headers, body: init.body });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

async function roomId(config: object = {}): Promise<string> {
  const res = await call('POST', '/room', { body: JSON.stringify(config) });
  return (res.body as { data: { room: { id: string } } }).data.room.id;
}

describe('REST bad input gets a clear error and breaks nothing', () => {
  it.each([
    ['malformed JSON', 'POST', '/room', '{"maxPeers": ', 400, /^Invalid JSON body/],
    [
      'an unknown field',
      'POST',
      '/room',
      '{"colour":"red"}',
      400,
      /Unknown field "colour" in room config/,
    ],
    [
      'a wrong type',
      'POST',
      '/room',
      '{"maxPeers":"ten"}',
      400,
      /Expected maxPeers to be a number, got: "ten"/,
    ],
    [
      'a bad room type',
      'POST',
      '/room',
      '{"roomType":"disco"}',
      400,
      /Expected roomType to be one of/,
    ],
    [
      'a bad webhook URL',
      'POST',
      '/room',
      '{"webhookUrl":"ftp://x"}',
      400,
      /Expected webhookUrl to be valid URL/,
    ],
    [
      'a body that is not an object',
      'POST',
      '/room',
      '[1,2]',
      400,
      /Expected room config to be a JSON object/,
    ],
  ])('%s → %i', async (_label, method, path, body, status, message) => {
    const res = await call(method, path, { body });
    expect(res.status).toBe(status);
    expect((res.body as { errors: string }).errors).toMatch(message);
  });

  it('names the field for peer options', async () => {
    const id = await roomId();
    const cases: [object, RegExp][] = [
      [{ type: 'robot', options: {} }, /^Invalid peer type$/],
      [{ options: {} }, /^Invalid peer type$/],
      [{ type: 'webrtc', options: { subscribeMode: 'sometimes' } }, /subscribeMode/],
      [{ type: 'webrtc', options: { metadata: 'x' } }, /metadata/],
      [
        { type: 'webrtc', options: { nickname: 'x' } },
        /Unknown field "nickname" in webrtc peer options/,
      ],
      [
        { type: 'agent', options: { output: { audioSampleRate: 44100 } } },
        /output.audioSampleRate/,
      ],
      [{ type: 'agent', options: { output: { audioFormat: 'mp3' } } }, /output.audioFormat/],
    ];
    for (const [body, message] of cases) {
      const res = await call('POST', `/room/${id}/peer`, { body: JSON.stringify(body) });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect((res.body as { errors: string }).errors).toMatch(message);
    }
    const ok = await call('POST', `/room/${id}/peer`, { body: '{"type":"webrtc","options":{}}' });
    expect(ok.status).toBe(201);
  });

  it('401 for a missing or wrong management token, with Fishjam messages', async () => {
    expect(await call('GET', '/room', { token: null })).toEqual({
      status: 401,
      body: { errors: 'Missing token' },
    });
    expect(await call('GET', '/room', { token: 'x' })).toEqual({
      status: 401,
      body: { errors: 'Invalid token' },
    });
    // A token that shares a prefix with the real one is just as wrong.
    expect((await call('GET', '/room', { token: `${shoal.token}x` })).status).toBe(401);
  });

  it('404 with Fishjam messages for unknown rooms and peers', async () => {
    const missing = '11111111-1111-4111-8111-111111111111';
    expect(await call('GET', `/room/${missing}`)).toEqual({
      status: 404,
      body: { errors: `Room ${missing} does not exist` },
    });
    const id = await roomId();
    expect(await call('DELETE', `/room/${id}/peer/${missing}`)).toEqual({
      status: 404,
      body: { errors: `Peer ${missing} does not exist` },
    });
  });

  it('503 when the room is full; 409 for a peer type the room does not take', async () => {
    const id = await roomId({ maxPeers: 1 });
    expect(
      (await call('POST', `/room/${id}/peer`, { body: '{"type":"webrtc","options":{}}' })).status,
    ).toBe(201);
    expect(
      await call('POST', `/room/${id}/peer`, { body: '{"type":"agent","options":{}}' }),
    ).toEqual({
      status: 503,
      body: { errors: `Reached agent peers limit in room ${id}` },
    });
    const live = await roomId({ roomType: 'livestream' });
    const agent = await call('POST', `/room/${live}/peer`, {
      body: '{"type":"agent","options":{}}',
    });
    expect(agent.status).toBe(409);
  });

  it('413 for a body over the limit', async () => {
    const res = await call('POST', '/room', { body: JSON.stringify({ pad: 'x'.repeat(10_000) }) });
    expect(res).toEqual({ status: 413, body: { errors: 'Request body is too large' } });
  });

  it('treats a doubled slash as one and serves the /api/v1/connect prefix', async () => {
    expect((await call('GET', '//room')).status).toBe(200);
    expect((await call('GET', '/api/v1/connect/abc//room')).status).toBe(200);
  });

  it('the server keeps serving after all of it', async () => {
    const res = await fetch(`${shoal.origin}/health`);
    expect(res.status).toBe(200);
    expect((await call('GET', '/room')).status).toBe(200);
  });
});
