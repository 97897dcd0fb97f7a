import { FishjamClient } from '@fishjam-cloud/js-server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { transcriberAgent, type TranscriptLine } from '../agents/transcriber/index.js';
import {
  AgentHost,
  initResamplers,
  phraseWords,
  type TranscriptEvent,
} from '../src/agent/index.js';
import { listeningAgent } from './helpers/agents.js';
import {
  eventually,
  provideGlobalWebSocket,
  startShoal,
  type RunningShoal,
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
});
