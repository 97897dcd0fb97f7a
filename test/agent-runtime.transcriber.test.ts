import { FishjamClient } from '@fishjam-cloud/js-server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { transcriberAgent, type TranscriptLine } from '../agents/transcriber/index.js';
import {
  AgentHost,
  initResamplers,
  phraseWords,
  type SpeechToText,
  type TranscriptEvent,
} from '../src/agent/index.js';
import { listeningAgent } from './helpers/agents.js';
import {
  eventually,
  provideGlobalWebSocket,
  startShoal,
  type RunningShoal,
  sleep,
} from './helpers/server.js';
import { fixtureText, speech2Fixture, speechFixture, toBytes } from './helpers/wav.js';

provideGlobalWebSocket();

let shoal: RunningShoal;
let fishjam: FishjamClient;
beforeAll(async () => {
  await initResamplers();
  shoal = await startShoal();
  fishjam = new FishjamClient({ fishjamId: shoal.origin, managementToken: shoal.token });
});
afterAll(() => shoal.close());

const words = (text: string): string => phraseWords(text).join(' ');

describe('transcriber agent (pocketsphinx grammar mode, key-free)', () => {
  it('transcribes two overlapping speakers separately, with the right speaker ids and times', async () => {
    const room = await fishjam.createRoom({ roomType: 'audio_only' });
    const textA = fixtureText('speech.txt');
    const textB = fixtureText('speech2.txt');
    const lines: TranscriptLine[] = [];
    const host = new AgentHost({
      serverUrl: shoal.origin,
      managementToken: shoal.token,
      agents: [
        transcriberAgent({
          stt: 'pocketsphinx',
          // Decoys too: grammar mode snaps to the nearest phrase, so a wrong speaker would show.
          phrases: [
            textA,
            textB,
            'good night everyone',
            'the lazy fox jumps over the brown dog',
            'what time is it',
          ],
          pronunciations: { shoal: 'SH OW L' },
          output: (line) => lines.push(JSON.parse(line) as TranscriptLine),
        }),
      ],
    });
    await host.start();
    const session = await host.join(room.id, 'transcriber');
    const events: TranscriptEvent[] = [];
    session.on('transcript', (t) => events.push(t));
    const a = await listeningAgent(fishjam, room.id, 16000);
    const b = await listeningAgent(fishjam, room.id, 16000);
    const trackA = a.agent.createTrack({ encoding: 'pcm16', sampleRate: 16000, channels: 1 });
    const trackB = b.agent.createTrack({ encoding: 'pcm16', sampleRate: 24000, channels: 1 });
    const startedAt = performance.now();
    a.agent.sendData(trackA.id, toBytes(speechFixture(16000).samples));
    await new Promise((r) => setTimeout(r, 1000));
    b.agent.sendData(trackB.id, toBytes(speech2Fixture(24000).samples));

    await eventually(() => (lines.length >= 2 ? true : undefined), 15_000);
    const byA = lines.filter((l) => l.speakerId === a.peerId);
    const byB = lines.filter((l) => l.speakerId === b.peerId);
    expect(byA.map((l) => l.text)).toEqual([words(textA)]);
    expect(byB.map((l) => l.text)).toEqual([words(textB)]);
    console.log(
      JSON.stringify({
        transcriptLatencyMs: lines.map((l) => [l.speakerId.slice(0, 8), l.latencyMs]),
      }),
    );
    for (const line of lines) {
      expect(line.roomId).toBe(room.id);
      const start = Date.parse(line.start);
      const end = Date.parse(line.end);
      expect(end).toBeGreaterThan(start);
      expect(line.latencyMs).toBeLessThan(3000);
    }
    // The speeches overlap in time (B started 1 s into A) and the times say so.
    const [la, lb] = [byA[0]!, byB[0]!];
    expect(Date.parse(lb.start)).toBeLessThan(Date.parse(la.end));
    expect(Date.parse(la.end) - Date.parse(la.start)).toBeGreaterThan(4500);
    expect(Date.parse(lb.end) - Date.parse(lb.start)).toBeGreaterThan(2500);
    expect(Date.parse(la.start) - (performance.timeOrigin + startedAt)).toBeLessThan(1000);
    expect(events.map((e) => [e.speakerId, e.role, e.final])).toEqual(
      expect.arrayContaining([
        [a.peerId, 'user', true],
        [b.peerId, 'user', true],
      ]),
    );
    a.agent.disconnect();
    b.agent.disconnect();
    await host.close();
    await fishjam.deleteRoom(room.id);
  }, 30_000);

  it('closes the recogniser of every speaker who leaves, one cut off mid-turn too', async () => {
    const room = await fishjam.createRoom({ roomType: 'audio_only' });
    const made: { closed: boolean }[] = [];
    const fakeStt = (): SpeechToText => {
      const state = { closed: false };
      made.push(state);
      return {
        name: 'fake',
        transcribe: async () => {
          await sleep(20);
          return { text: 'hello' };
        },
        close: () => {
          state.closed = true;
        },
      };
    };
    const lines: TranscriptLine[] = [];
    const host = new AgentHost({
      serverUrl: shoal.origin,
      managementToken: shoal.token,
      agents: [
        transcriberAgent({
          stt: fakeStt,
          turns: { vad: 'energy' },
          output: (line) => lines.push(JSON.parse(line) as TranscriptLine),
        }),
      ],
    });
    const session = await host.join(room.id, 'transcriber');
    const a = await listeningAgent(fishjam, room.id, 16000);
    const b = await listeningAgent(fishjam, room.id, 16000);
    const trackA = a.agent.createTrack({ encoding: 'pcm16', sampleRate: 16000, channels: 1 });
    const trackB = b.agent.createTrack({ encoding: 'pcm16', sampleRate: 16000, channels: 1 });
    a.agent.sendData(trackA.id, toBytes(speech2Fixture(16000).samples));
    await eventually(
      () => (lines.some((l) => l.speakerId === a.peerId) ? true : undefined),
      10_000,
    );
    // A finished a turn and leaves; B leaves in the middle of its first turn.
    b.agent.sendData(trackB.id, toBytes(speechFixture(16000).samples));
    await fishjam.deletePeer(room.id, a.peerId as never);
    await sleep(1500);
    await fishjam.deletePeer(room.id, b.peerId as never);
    await eventually(() => (lines.some((l) => l.speakerId === b.peerId) ? true : undefined), 3000);
    await eventually(() => (made.every((m) => m.closed) ? true : undefined), 2000);
    expect(made.length).toBeGreaterThanOrEqual(2);
    expect(session.closed).toBe(false);
    await host.close();
    await fishjam.deleteRoom(room.id);
  }, 30_000);
});
