import { Writable } from 'node:stream';
import { FishjamClient } from '@fishjam-cloud/js-server-sdk';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { echoAgent } from '../agents/echo/index.js';
import { AgentHost, initResamplers, type TurnMetrics } from '../src/agent/index.js';
import { bestLagCorrelation, envelope, rms } from '../src/media/pcm/index.js';
import { listeningAgent, samplesOf } from './helpers/agents.js';
import {
  eventually,
  provideGlobalWebSocket,
  startShoal,
  type RunningShoal,
} from './helpers/server.js';
import { speechFixture, toBytes } from './helpers/wav.js';

provideGlobalWebSocket();

let shoal: RunningShoal;
let fishjam: FishjamClient;
beforeAll(async () => {
  await initResamplers();
  shoal = await startShoal();
  fishjam = new FishjamClient({ fishjamId: shoal.origin, managementToken: shoal.token });
});
afterAll(() => shoal.close());

describe('echo agent against a running Shoal', () => {
  it("plays a speaker's utterance back only after their turn ends, and reports the waterfall", async () => {
    const room = await fishjam.createRoom({ roomType: 'audio_only' });
    const logLines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logLines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
        done();
      },
    });
    const host = new AgentHost({
      serverUrl: shoal.origin,
      managementToken: shoal.token,
      agents: [echoAgent()],
      log: pino({ level: 'info' }, sink),
    });
    const metrics: TurnMetrics[] = [];
    const session = await host.join(room.id, 'echo');
    session.on('metrics', (m) => metrics.push(m));
    const listener = await listeningAgent(fishjam, room.id, 24000);
    const human = await listeningAgent(fishjam, room.id, 16000);
    const fixture = speechFixture(24000);
    const durationMs = (fixture.samples.length / 24000) * 1000;
    const track = human.agent.createTrack({ encoding: 'pcm16', sampleRate: 24000, channels: 1 });
    human.agent.sendData(track.id, toBytes(fixture.samples));

    await eventually(() => metrics[0], durationMs * 2 + 5000);
    const heardHuman = listener.heard.filter((h) => h.peerId === human.peerId);
    const heardEcho = listener.heard.filter((h) => h.peerId === session.peerId);
    // The fixture ends in ~350 ms of silence: the speech ends at the last audible frame.
    const audible = heardHuman.filter(
      (h) => rms(new Int16Array(h.data.buffer, h.data.byteOffset, h.data.byteLength / 2)) > 300,
    );
    const humanEndMs = audible[audible.length - 1]!.atMs;
    const echoStartMs = heardEcho[0]!.atMs;
    const echoEndMs = heardEcho[heardEcho.length - 1]!.atMs;
    const m = metrics[0]!;
    console.log(
      JSON.stringify({
        waterfall: {
          endOfTurnMs: m.endOfTurnMs,
          providerMs: m.providerMs,
          responseMs: m.responseMs,
          voiceToVoiceMs: m.voiceToVoiceMs,
          playoutMs: m.playoutMs,
        },
        atListener: {
          humanEndToEchoStartMs: Math.round(echoStartMs - humanEndMs),
          echoDurationMs: Math.round(echoEndMs - echoStartMs),
          fixtureMs: Math.round(durationMs),
        },
      }),
    );
    // Only after the turn ends: the end-of-turn silence (500 ms) separates the two.
    expect(echoStartMs - humanEndMs).toBeGreaterThan(400);
    expect(echoStartMs - humanEndMs).toBeLessThan(1500);
    expect(m.speakerId).toBe(human.peerId);
    expect(m.endOfTurnMs).toBeGreaterThanOrEqual(450);
    expect(m.endOfTurnMs).toBeLessThan(800);
    expect(m.responseMs).toBeLessThan(50);
    expect(m.playoutMs).toBeGreaterThan(durationMs * 0.85);
    expect(m.interrupted).toBe(false);
    // The same waterfall as a pino line.
    expect(logLines.find((l) => l['msg'] === 'turn metrics')).toMatchObject({
      component: 'turn',
      roomId: room.id,
      peerId: session.peerId,
      speakerId: human.peerId,
      voiceToVoiceMs: m.voiceToVoiceMs,
    });
    // What the listener heard is the utterance.
    const source = envelope(fixture.samples, 24000, 20);
    const echoed = envelope(samplesOf(heardEcho), 24000, 20);
    expect(bestLagCorrelation(source, echoed, 25).correlation).toBeGreaterThan(0.85);
    expect(echoEndMs - echoStartMs).toBeGreaterThan(durationMs * 0.85);
    expect(echoEndMs - echoStartMs).toBeLessThan(durationMs + 800);

    listener.agent.disconnect();
    human.agent.disconnect();
    await host.close();
    await eventually(async () => {
      const peers = (await fishjam.getRoom(room.id)).peers;
      return peers.some((p) => p.id === session.peerId) ? undefined : true;
    });
    await fishjam.deleteRoom(room.id);
  }, 30_000);

  it.each([
    [true, 1],
    [false, 2],
  ] as const)(
    'a speaker whose microphone hears the room (no echo cancellation): echo guard %s → %i full turn(s)',
    async (echoGuard, expectedTurns) => {
      const room = await fishjam.createRoom({ roomType: 'audio_only' });
      const host = new AgentHost({
        serverUrl: shoal.origin,
        managementToken: shoal.token,
        agents: [echoAgent({ turns: { echoGuard } })],
      });
      const session = await host.join(room.id, 'echo');
      const turnsSeen: TurnMetrics[] = [];
      session.on('metrics', (m) => turnsSeen.push(m));
      // The "human": speaks once, and its open mic sends back what it hears from the agent,
      // quieter (a laptop speaker next to its microphone).
      const human = await listeningAgent(fishjam, room.id, 24000);
      const mic = human.agent.createTrack({ encoding: 'pcm16', sampleRate: 24000, channels: 1 });
      human.agent.on('trackData', (msg) => {
        if (msg.peerId !== session.peerId) {
          return;
        }
        const samples = new Int16Array(new Uint8Array(msg.data).buffer);
        human.agent.sendData(mic.id, toBytes(samples.map((v) => Math.round(v * 0.4))));
      });
      human.agent.sendData(mic.id, toBytes(speechFixture(24000).samples));
      const fixtureMs = (speechFixture(24000).samples.length / 24000) * 1000;
      if (expectedTurns === 2) {
        // Without the guard the agent takes its own voice for a new turn and echoes it again.
        await eventually(() => (turnsSeen.length >= 2 ? true : undefined), fixtureMs * 3 + 5000);
        // Worse: it interrupts itself (its own voice counts as barge-in).
        expect(turnsSeen[0]!.interrupted).toBe(true);
      } else {
        await eventually(() => (turnsSeen.length >= 1 ? true : undefined), fixtureMs * 2 + 5000);
        await new Promise((r) => setTimeout(r, 1500));
        // The agent neither interrupts itself nor takes its own reply for a new turn. The guard
        // misses a few percent of echo frames (more on a loaded machine): at most a short
        // fragment may pass as a turn, never the reply again.
        const turns = JSON.stringify(turnsSeen.map((t) => [t.playoutMs, t.interrupted]));
        expect(turnsSeen[0]!.interrupted, turns).toBe(false);
        expect(turnsSeen[0]!.playoutMs ?? 0, turns).toBeGreaterThan(fixtureMs * 0.85);
        expect(turnsSeen.length, turns).toBeLessThanOrEqual(2);
        for (const extra of turnsSeen.slice(1)) {
          expect(extra.playoutMs ?? 0, turns).toBeLessThan(fixtureMs * 0.3);
        }
      }
      human.agent.disconnect();
      await host.close();
      await fishjam.deleteRoom(room.id);
    },
    45_000,
  );
});
