import { FishjamClient } from '@fishjam-cloud/js-server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assistantAgent } from '../agents/assistant/index.js';
import {
  AgentHost,
  FakeOpenAIRealtimeServer,
  initResamplers,
  openaiRealtime,
  type BargeInEvent,
  type TurnMetrics,
} from '../src/agent/index.js';
import { bestLagCorrelation, envelope, generateSpeechLike } from '../src/media/pcm/index.js';
import { listeningAgent, samplesOf } from './helpers/agents.js';
import {
  eventually,
  provideGlobalWebSocket,
  startShoal,
  type RunningShoal,
} from './helpers/server.js';
import { speech2Fixture, speechFixture, toBytes } from './helpers/wav.js';

provideGlobalWebSocket();

let shoal: RunningShoal;
let fishjam: FishjamClient;
let fake: FakeOpenAIRealtimeServer;
const replyAudio = generateSpeechLike({ sampleRateHz: 24_000, durationMs: 6000, seed: 3 });

beforeAll(async () => {
  await initResamplers();
  shoal = await startShoal();
  fishjam = new FishjamClient({ fishjamId: shoal.origin, managementToken: shoal.token });
  fake = await FakeOpenAIRealtimeServer.start({
    // Twice real time, like the real API: the reply is still being generated at the barge-in.
    deltaIntervalMs: 50,
    reply: (n) => ({
      transcript: `Reply number ${n + 1}.`,
      audio: n === 0 ? replyAudio : undefined,
    }),
  });
});
afterAll(async () => {
  await fake.close();
  await shoal.close();
});

describe('assistant agent with OpenAI Realtime (local fake of the protocol, real openai client)', () => {
  it('answers a turn, and a barge-in stops its audio in the room within 100 ms and truncates the reply', async () => {
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
          }),
        }),
      ],
    });
    await host.start();
    const session = await host.join(room.id, 'assistant');
    const bargeIns: BargeInEvent[] = [];
    const metrics: TurnMetrics[] = [];
    session.on('bargeIn', (e) => bargeIns.push(e));
    session.on('metrics', (m) => metrics.push(m));
    const listener = await listeningAgent(fishjam, room.id, 24000);
    const human = await listeningAgent(fishjam, room.id, 16000);
    const track = human.agent.createTrack({ encoding: 'pcm16', sampleRate: 24000, channels: 1 });
    const fromAgent = (): typeof listener.heard =>
      listener.heard.filter((h) => h.peerId === session.peerId);

    // Turn 1: a question; the answer (6 s) starts playing in the room.
    human.agent.sendData(track.id, toBytes(speech2Fixture(24000).samples));
    await eventually(() => (fromAgent().length >= 75 ? true : undefined), 10_000);
    const answered = fromAgent();
    const answer = envelope(samplesOf(answered), 24000, 20);
    expect(
      bestLagCorrelation(envelope(replyAudio, 24000, 20).subarray(0, answer.length), answer, 10)
        .correlation,
    ).toBeGreaterThan(0.8);

    // Turn 2: the person talks over the answer → barge-in.
    human.agent.sendData(track.id, toBytes(speechFixture(24000).samples));
    const barge = await eventually(() => bargeIns[0], 5000);
    await new Promise((r) => setTimeout(r, 600));
    const agentFrames = fromAgent();
    const lastBefore = agentFrames.filter((h) => h.atMs <= barge.decidedAtMs + 1000);
    const stopMs = lastBefore[lastBefore.length - 1]!.atMs - barge.decidedAtMs;
    const heardAnswerMs = lastBefore.length * 20;
    console.log(
      JSON.stringify({
        bargeIn: {
          stopMs: Math.round(stopMs),
          heardAnswerMs,
          droppedMs: barge.cleared.map((c) => Math.round(c.droppedMs)),
        },
      }),
    );
    expect(barge.peerId).toBe(human.peerId);
    expect(stopMs).toBeLessThanOrEqual(100);

    // The provider was told: cancel, and truncate to what the room actually heard.
    const truncate = await eventually(() => fake.received('conversation.item.truncate')[0], 2000);
    expect(fake.received('response.cancel').length).toBeGreaterThanOrEqual(1);
    expect(Math.abs((truncate['audio_end_ms'] as number) - heardAnswerMs)).toBeLessThan(150);

    // The interrupting turn gets its own answer.
    await eventually(
      () => (fake.received('response.create').length >= 2 ? true : undefined),
      12_000,
    );
    await eventually(
      () => (fromAgent().some((h) => h.atMs > barge.decidedAtMs + 1000) ? true : undefined),
      5000,
    );

    // What the runtime sent to the provider.
    const conn = fake.connections[0]!;
    expect(conn.url).toContain('/v1/realtime?model=gpt-realtime');
    expect(conn.authorization).toBe('Bearer sk-test');
    const update = fake.received('session.update')[0] as unknown as {
      session: { audio: { input: { turn_detection: unknown; format: unknown } } };
    };
    expect(update.session.audio.input.turn_detection).toBeNull();
    expect(update.session.audio.input.format).toEqual({ type: 'audio/pcm', rate: 24000 });
    expect(fake.received('input_audio_buffer.append').length).toBeGreaterThan(20);
    expect(fake.received('input_audio_buffer.commit').length).toBe(2);
    const first = metrics[0]!;
    expect(first.interrupted).toBe(true);
    expect(first.providerMs).toBeDefined();
    console.log(
      JSON.stringify({
        realtimeWaterfall: {
          endOfTurnMs: first.endOfTurnMs,
          providerMs: first.providerMs,
          responseMs: first.responseMs,
          voiceToVoiceMs: first.voiceToVoiceMs,
        },
      }),
    );

    listener.agent.disconnect();
    human.agent.disconnect();
    await host.close();
    await fishjam.deleteRoom(room.id);
  }, 40_000);
});
