import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { FishjamClient, type RoomId } from '@fishjam-cloud/js-server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assistantAgent } from '../agents/assistant/index.js';
import { echoAgent } from '../agents/echo/index.js';
import {
  AgentHost,
  AgentSocketClosedError,
  FakeOpenAIRealtimeServer,
  defineAgent,
  initResamplers,
  openaiRealtime,
  type AgentSession,
  type FakeOpenAIRealtimeOptions,
} from '../src/agent/index.js';
import type { ShoalError } from '../src/protocol/index.js';
import { envelope } from '../src/media/pcm/index.js';
import { listeningAgent, samplesOf, type Heard } from './helpers/agents.js';
import {
  eventually,
  provideGlobalWebSocket,
  startShoal,
  type RunningShoal,
  sleep,
} from './helpers/server.js';
import { speech2Fixture, speechFixture, toBytes } from './helpers/wav.js';

provideGlobalWebSocket();

let shoal: RunningShoal;
let fishjam: FishjamClient;
beforeAll(async () => {
  await initResamplers();
  shoal = await startShoal();
  fishjam = new FishjamClient({ fishjamId: shoal.origin, managementToken: shoal.token });
});
afterAll(() => shoal.close());

function hostWith(...agents: Parameters<typeof defineAgent>[0][]): AgentHost {
  return new AgentHost({
    serverUrl: shoal.origin,
    managementToken: shoal.token,
    agents,
    reconnect: { maxAttempts: 4, initialDelayMs: 50, maxDelayMs: 400 },
  });
}

/** Where `part` (an envelope) fits best in `whole`, by correlation. */
function bestOffset(
  whole: Float64Array,
  part: Float64Array,
): { offset: number; correlation: number } {
  let best = { offset: 0, correlation: -1 };
  for (let offset = 0; offset + part.length <= whole.length; offset++) {
    const a = whole.subarray(offset, offset + part.length);
    const n = part.length;
    const ma = a.reduce((x, y) => x + y, 0) / n;
    const mb = part.reduce((x, y) => x + y, 0) / n;
    let cov = 0;
    let va = 0;
    let vb = 0;
    for (let i = 0; i < n; i++) {
      cov += (a[i]! - ma) * (part[i]! - mb);
      va += (a[i]! - ma) ** 2;
      vb += (part[i]! - mb) ** 2;
    }
    const c = va && vb ? cov / Math.sqrt(va * vb) : 0;
    if (c > best.correlation) {
      best = { offset, correlation: c };
    }
  }
  return best;
}

async function humanSays(
  roomId: string,
  samples: Int16Array,
): Promise<{ peerId: string; disconnect(): void; say(s: Int16Array): void }> {
  const human = await listeningAgent(fishjam, roomId as RoomId, 16000);
  const track = human.agent.createTrack({ encoding: 'pcm16', sampleRate: 24000, channels: 1 });
  human.agent.sendData(track.id, toBytes(samples));
  return {
    peerId: human.peerId,
    disconnect: () => human.agent.disconnect(),
    say: (s) => human.agent.sendData(track.id, toBytes(s)),
  };
}

describe('agent runtime faults', () => {
  it('the server closes the agent socket mid-utterance: it reconnects, reports the lost audio, and nothing plays twice', async () => {
    const room = await fishjam.createRoom({ roomType: 'audio_only' });
    const host = hostWith(echoAgent());
    const session = await host.join(room.id, 'echo');
    const warnings: ShoalError[] = [];
    const states: string[] = [];
    session.on('warning', (w) => warnings.push(w));
    session.on('state', (s) => states.push(s));
    const listener = await listeningAgent(fishjam, room.id, 24000);
    const fixture = speechFixture(24000);
    const human = await humanSays(room.id, fixture.samples);
    const echo = (): Heard[] => listener.heard.filter((h) => h.peerId === session.peerId);
    await eventually(() => (echo().length >= 100 ? true : undefined), 15_000);

    const droppedAt = performance.now();
    shoal.server.agents.session(session.peerId)?.close([1011, 'Internal server error']);
    await eventually(
      () =>
        session.connection.stats.reconnects >= 1 && session.connection.isOpen ? true : undefined,
      5000,
    );
    await eventually(() => (session.speaking ? undefined : true), 10_000);
    await sleep(300);

    const heard = echo();
    const before = heard.filter((h) => h.atMs <= droppedAt + 30);
    const after = heard.filter((h) => h.atMs > droppedAt + 30);
    expect(after.length).toBeGreaterThan(25);
    // After the reconnect the room hears a fresh track.
    expect(new Set(after.map((h) => h.trackId)).size).toBe(1);
    expect(after[0]!.trackId).not.toBe(before[0]!.trackId);
    // No duplicates: the part heard after the drop continues later in the utterance than the
    // part heard before it ended.
    const source = envelope(fixture.samples, 24000, 20);
    const a = bestOffset(source, envelope(samplesOf(before), 24000, 20));
    const b = bestOffset(source, envelope(samplesOf(after), 24000, 20));
    expect(a.correlation).toBeGreaterThan(0.8);
    expect(b.correlation).toBeGreaterThan(0.8);
    expect(b.offset).toBeGreaterThanOrEqual(a.offset + before.length - 3);
    expect((before.length + after.length) * 20).toBeLessThanOrEqual(
      fixture.samples.length / 24 + 100,
    );
    // Nothing lost silently: the audio the server dropped with the socket is counted and reported.
    const lostMs = session.outputTracks[0]!.stats.lostMs;
    expect(lostMs).toBeGreaterThan(0);
    expect(lostMs).toBeLessThanOrEqual(260);
    expect(warnings.some((w) => /lost/.test(w.message))).toBe(true);
    expect(states).toContain('reconnecting');
    console.log(
      JSON.stringify({
        socketDrop: {
          heardBeforeMs: before.length * 20,
          heardAfterMs: after.length * 20,
          lostMs: Math.round(lostMs),
          reconnectMs: Math.round(after[0]!.atMs - droppedAt),
        },
      }),
    );
    human.disconnect();
    listener.agent.disconnect();
    await host.close();
    await fishjam.deleteRoom(room.id);
  }, 40_000);

  it('a handler that throws ends only its own session, reported as HANDLER_FAILED; its peer is deleted', async () => {
    const room = await fishjam.createRoom({ roomType: 'audio_only' });
    const boom = defineAgent({
      name: 'boom',
      async run(session) {
        session.createOutputTrack();
        await sleep(100);
        throw new Error('kaboom');
      },
    });
    const host = hostWith(boom, echoAgent());
    const ended: [AgentSession, ShoalError | undefined][] = [];
    host.on('sessionEnded', (s, e) => ended.push([s, e]));
    const echo = await host.join(room.id, 'echo');
    const bad = await host.join(room.id, 'boom');
    await eventually(() => ended[0], 3000);
    expect(ended).toHaveLength(1);
    expect(ended[0]![0]).toBe(bad);
    expect(ended[0]![1]?.code).toBe('HANDLER_FAILED');
    expect(ended[0]![1]?.message).toMatch(/kaboom/);
    expect(echo.closed).toBe(false);
    const peers = await eventually(async () => {
      const p = (await fishjam.getRoom(room.id)).peers;
      return p.some((x) => x.id === bad.peerId) ? undefined : p;
    });
    expect(peers.map((p) => p.id)).toContain(echo.peerId);
    // The other session still works.
    const listener = await listeningAgent(fishjam, room.id, 24000);
    const human = await humanSays(room.id, speech2Fixture(24000).samples);
    await eventually(
      () => (listener.heard.some((h) => h.peerId === echo.peerId) ? true : undefined),
      10_000,
    );
    human.disconnect();
    listener.agent.disconnect();
    await host.close();
    await fishjam.deleteRoom(room.id);
  }, 20_000);

  it('the room is deleted under a running session: it ends with a typed "Room stopped" error, no reconnects', async () => {
    const room = await fishjam.createRoom({ roomType: 'audio_only' });
    const host = hostWith(echoAgent());
    const ended: (ShoalError | undefined)[] = [];
    host.on('sessionEnded', (_s, e) => ended.push(e));
    const session = await host.join(room.id, 'echo');
    await fishjam.deleteRoom(room.id);
    const error = await eventually(() => ended[0], 3000);
    expect(error).toBeInstanceOf(AgentSocketClosedError);
    expect((error as AgentSocketClosedError).kind).toBe('roomStopped');
    expect(error?.code).toBe('ROOM_NOT_FOUND');
    expect(session.closed).toBe(true);
    expect(session.connection.stats.reconnects).toBe(0);
    expect(host.sessions()).toHaveLength(0);
    await host.close();
  });

  it('a bad management token at start: the CLI says so and exits non-zero', async () => {
    const entry = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        `const { main } = await import(${JSON.stringify(entry)}); process.exitCode = await main(process.argv.slice(1));`,
        'agent',
        'echo',
        '--room',
        'some-room',
      ],
      {
        env: {
          ...process.env,
          SHOAL_SERVER_URL: shoal.prefixed,
          SHOAL_MANAGEMENT_TOKEN: 'not-the-token',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(1);
    expect(stderr).toMatch(/refused the management token \(401 Invalid token\)/);
  }, 20_000);
});

describe('provider faults (OpenAI Realtime fake)', () => {
  async function assistantIn(options: FakeOpenAIRealtimeOptions) {
    const fake = await FakeOpenAIRealtimeServer.start({ deltaIntervalMs: 50, ...options });
    const room = await fishjam.createRoom({ roomType: 'audio_only' });
    const host = new AgentHost({
      serverUrl: shoal.origin,
      managementToken: shoal.token,
      agents: [
        assistantAgent({
          realtime: openaiRealtime({
            apiKey: 'sk-test',
            baseURL: fake.baseURL,
            ws: { ca: fake.ca },
            reconnect: { maxAttempts: 3, initialDelayMs: 50, maxDelayMs: 200 },
          }),
        }),
      ],
    });
    const ended: (ShoalError | undefined)[] = [];
    host.on('sessionEnded', (_s, e) => ended.push(e));
    const session = await host.join(room.id, 'assistant');
    const warnings: ShoalError[] = [];
    session.on('warning', (w) => warnings.push(w));
    const listener = await listeningAgent(fishjam, room.id, 24000);
    const fromAgent = (): Heard[] => listener.heard.filter((h) => h.peerId === session.peerId);
    const cleanup = async (): Promise<void> => {
      listener.agent.disconnect();
      await host.close();
      await fake.close();
      await fishjam.deleteRoom(room.id).catch(() => undefined);
    };
    return { fake, room, host, session, ended, warnings, fromAgent, cleanup };
  }

  it('the provider socket drops mid-reply: it reconnects and restores the conversation', async () => {
    const t = await assistantIn({ faults: { dropAfterDeltas: 5 } });
    const human = await humanSays(t.room.id, speech2Fixture(24000).samples);
    await eventually(() => (t.fake.connections.length >= 2 ? true : undefined), 10_000);
    const restored = await eventually(
      () => t.fake.connections[1]?.events.find((e) => e.type === 'conversation.item.create'),
      3000,
    );
    expect(JSON.stringify(restored)).toContain('user turn 1');
    expect(t.session.closed).toBe(false);
    // The next turn is answered over the new connection.
    const before = t.fromAgent().length;
    human.say(speechFixture(24000).samples);
    await eventually(
      () =>
        t.fake.connections[1]!.events.some((e) => e.type === 'response.create') ? true : undefined,
      12_000,
    );
    await eventually(() => (t.fromAgent().length > before + 25 ? true : undefined), 8000);
    human.disconnect();
    await t.cleanup();
  }, 40_000);

  it('the provider cannot be reached again: the session ends with a clear PROVIDER_FAILED error', async () => {
    const t = await assistantIn({ faults: { dropAfterDeltas: 3, refuseReconnects: true } });
    const human = await humanSays(t.room.id, speech2Fixture(24000).samples);
    const error = await eventually(() => t.ended[0], 15_000);
    expect(error?.code).toBe('PROVIDER_FAILED');
    expect(error?.message).toMatch(/OpenAI Realtime connection lost and 3 reconnects failed/);
    expect(t.session.closed).toBe(true);
    const peers = await eventually(async () => {
      const p = (await fishjam.getRoom(t.room.id)).peers;
      return p.some((x) => x.id === t.session.peerId) ? undefined : p;
    });
    expect(peers.length).toBeGreaterThan(0);
    human.disconnect();
    await t.cleanup();
  }, 30_000);

  it('the provider sends garbage between valid events: it is counted and reported, the answer still plays', async () => {
    const t = await assistantIn({ faults: { garbageBeforeReply: 4 } });
    const human = await humanSays(t.room.id, speech2Fixture(24000).samples);
    // The scripted answer is ~0.9 s of audio.
    await eventually(() => (t.fromAgent().length > 30 ? true : undefined), 12_000);
    expect(
      t.warnings.some((w) => w.code === 'PROVIDER_FAILED' && /bad event/.test(w.message)),
    ).toBe(true);
    expect(t.session.closed).toBe(false);
    expect(t.fake.connections).toHaveLength(1);
    human.disconnect();
    await t.cleanup();
  }, 30_000);

  it('a provider that sends only garbage is dropped and reconnected (bounded), not trusted', async () => {
    const t = await assistantIn({ faults: { onlyGarbage: true } });
    const human = await humanSays(t.room.id, speech2Fixture(24000).samples);
    await eventually(() => (t.fake.connections.length >= 2 ? true : undefined), 12_000);
    expect(t.fromAgent()).toHaveLength(0);
    expect(t.warnings.filter((w) => /bad event/.test(w.message)).length).toBeGreaterThanOrEqual(2);
    human.disconnect();
    await t.cleanup();
  }, 30_000);
});
