import { FishjamClient } from '@fishjam-cloud/js-server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assistantAgent } from '../agents/assistant/index.js';
import {
  AgentHost,
  ScriptedLlm,
  ScriptedStt,
  ScriptedTts,
  initResamplers,
  phraseWords,
  type TranscriptEvent,
  type TurnMetrics,
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

describe('assistant: cascade and local modes', () => {
  it('local mode (pocketsphinx → template reply → espeak-ng) answers with no keys', async () => {
    const room = await fishjam.createRoom({ roomType: 'audio_only' });
    const question = fixtureText('speech2.txt');
    const host = new AgentHost({
      serverUrl: shoal.origin,
      managementToken: shoal.token,
      agents: [
        assistantAgent({ mode: 'local', phrases: [question, 'what time is it', 'good night'] }),
      ],
    });
    const session = await host.join(room.id, 'assistant');
    const transcripts: TranscriptEvent[] = [];
    const metrics: TurnMetrics[] = [];
    session.on('transcript', (t) => transcripts.push(t));
    session.on('metrics', (m) => metrics.push(m));
    const listener = await listeningAgent(fishjam, room.id, 16000);
    const human = await listeningAgent(fishjam, room.id, 16000);
    const track = human.agent.createTrack({ encoding: 'pcm16', sampleRate: 24000, channels: 1 });
    human.agent.sendData(track.id, toBytes(speech2Fixture(24000).samples));
    await eventually(() => metrics[0], 20_000);
    const words = phraseWords(question).join(' ');
    expect(transcripts.map((t) => [t.role, t.text])).toEqual([
      ['user', words],
      ['agent', `You said: ${words}.`],
    ]);
    expect(transcripts[0]!.speakerId).toBe(human.peerId);
    const heard = listener.heard.filter((h) => h.peerId === session.peerId);
    expect(heard.length * 20).toBeGreaterThan(2000);
    const m = metrics[0]!;
    console.log(
      JSON.stringify({
        localWaterfall: {
          endOfTurnMs: m.endOfTurnMs,
          providerMs: m.providerMs,
          responseMs: m.responseMs,
          voiceToVoiceMs: m.voiceToVoiceMs,
          playoutMs: m.playoutMs,
        },
      }),
    );
    expect(m.interrupted).toBe(false);
    expect(m.playoutMs).toBeGreaterThan(1500);
    listener.agent.disconnect();
    human.agent.disconnect();
    await host.close();
    await fishjam.deleteRoom(room.id);
  }, 30_000);

  it('cascade with scripted providers: a barge-in aborts the reply; the history keeps what was said', async () => {
    const room = await fishjam.createRoom({ roomType: 'audio_only' });
    const stt = new ScriptedStt(['first question', 'second question']);
    const llm = new ScriptedLlm(
      [
        'This is a long first answer. It goes on and on. And on some more. Still talking here.',
        'Short second answer.',
      ],
      { firstTokenDelayMs: 30, tokenDelayMs: 5 },
    );
    const tts = new ScriptedTts({ msPerChar: 60, firstByteDelayMs: 20 });
    const host = new AgentHost({
      serverUrl: shoal.origin,
      managementToken: shoal.token,
      agents: [assistantAgent({ mode: 'cascade', stt, llm, tts })],
    });
    const session = await host.join(room.id, 'assistant');
    const metrics: TurnMetrics[] = [];
    session.on('metrics', (m) => metrics.push(m));
    const human = await listeningAgent(fishjam, room.id, 16000);
    const track = human.agent.createTrack({ encoding: 'pcm16', sampleRate: 24000, channels: 1 });
    human.agent.sendData(track.id, toBytes(speech2Fixture(24000).samples));
    await eventually(() => (session.speaking ? true : undefined), 10_000);
    await new Promise((r) => setTimeout(r, 800));
    human.agent.sendData(track.id, toBytes(speechFixture(24000).samples));
    await eventually(() => (metrics.length >= 2 ? true : undefined), 20_000);
    expect(metrics[0]!.interrupted).toBe(true);
    expect(metrics[1]!.interrupted).toBe(false);
    expect(stt.heard).toHaveLength(2);
    const second = llm.requests[1]!;
    expect(second.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'user']);
    expect(second[2]!.content.endsWith('…')).toBe(true);
    expect(second[2]!.content.length).toBeLessThan(60);
    expect(tts.texts.slice(-1)).toEqual(['Short second answer.']);
    human.agent.disconnect();
    await host.close();
    await fishjam.deleteRoom(room.id);
  }, 40_000);
});
