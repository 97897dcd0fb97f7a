/**
 * The WebRTC voice session: N werift client peers, each in its own audio_only room, send Opus
 * speech in real time; an echo agent per room (a raw agent socket, 16 kHz) plays back what it
 * hears, so the server does per session: SRTP in, Opus decode + resample for the agent, agent
 * PCM paced + resampled + Opus encoded, SRTP out. The server runs in a child process
 * (bench/webrtc-child.ts) and reports its own CPU (process.cpuUsage over IPC) and RSS; the load
 * generator (clients, agents) runs here.
 *
 * Figures per step: server CPU per session, p50/p99 server-internal latency (RTP arrival →
 * agent frame written to the agent socket; agent frame due at the pacer → RTP written to the
 * peer), RSS, and whether the clients heard the echo at real time.
 *
 * Run alone: node --import tsx bench/webrtc.ts [sessions,...] [durationMs]   (prints JSON)
 */
import { pathToFileURL } from 'node:url';
import { WebSocket } from 'ws';
import { createOpusEncoder } from '../src/media/codec/index.js';
import { AgentRequest, AgentResponse } from '../src/protocol/index.js';
import { speechFixture } from '../test/helpers/wav.js';
import { WebrtcTestClient } from '../test/helpers/webrtc-client.js';
import { ServerProcess } from './server-process.js';

export interface WebrtcBenchStep {
  sessions: number;
  windowMs: number;
  /** Median time from opening the peer socket to the first echo packet at the client. */
  setupP50Ms: number;
  serverCpuPercentOfCore: number;
  serverCpuPercentPerSession: number;
  /** RTP from the peer arrived → agent TrackData written to the agent socket. */
  agentLatencyP50Ms: number;
  agentLatencyP99Ms: number;
  /** Agent frame due at the pacer → RTP written to the peer (werift send path included). */
  rtpOutLatencyP50Ms: number;
  rtpOutLatencyP99Ms: number;
  rssMiB: number;
  rssPerSessionMiB: number;
  /** Echo packets a client received ÷ what real time delivers (50/s), worst session. */
  worstSessionRealtimeRatio: number;
  framesToAgentsDropped: number;
  realtime: boolean;
}

export interface WebrtcBenchResult {
  cpuMeasuredIn: string;
  steps: WebrtcBenchStep[];
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const round = (x: number, digits = 2): number => Math.round(x * 10 ** digits) / 10 ** digits;
const median = (xs: number[]): number =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

/** A raw agent socket that plays back every frame it hears on its own 16 kHz track. */
async function echoAgent(server: ServerProcess, roomId: string): Promise<{ close: () => void }> {
  const { data } = await server.rest<{ data: { token: string } }>('POST', `/room/${roomId}/peer`, {
    type: 'agent',
    options: { output: { audioFormat: 'pcm16', audioSampleRate: 16000 } },
  });
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}/socket/agent/websocket`);
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  const send = (m: Parameters<typeof AgentRequest.encode>[0]): void =>
    ws.send(AgentRequest.encode(m).finish());
  const trackId = crypto.randomUUID();
  send({ authRequest: { token: data.token } });
  send({
    addTrack: {
      track: { id: trackId, type: 2, metadata: '{"type":"echo"}' },
      codecParams: { encoding: 1, sampleRate: 16000, channels: 1 },
    },
  });
  ws.on('message', (bytes: Buffer) => {
    const message = AgentResponse.decode(bytes);
    const pcm = message.trackData?.data;
    if (pcm && pcm.length > 0) {
      send({ trackData: { trackId, data: pcm } });
    }
  });
  return { close: () => ws.close() };
}

interface Session {
  client: WebrtcTestClient;
  agent: { close: () => void };
  echoTrackId: () => string | undefined;
  setupMs: number;
  stop: () => void;
}

async function openSession(server: ServerProcess, speech: readonly Uint8Array[]): Promise<Session> {
  const { data: room } = await server.rest<{ data: { room: { id: string } } }>('POST', '/room', {
    roomType: 'audio_only',
  });
  const agent = await echoAgent(server, room.room.id);
  const { data: peer } = await server.rest<{ data: { token: string } }>(
    'POST',
    `/room/${room.room.id}/peer`,
    { type: 'webrtc', options: {} },
  );
  const startedAt = performance.now();
  const client = await WebrtcTestClient.open({
    origin: server.origin,
    token: peer.token,
    decode: false,
    timeoutMs: 15_000,
  });
  const trackId = await client.addAudioTrack(undefined, 15_000);
  await client.connected(15_000);
  const { stop } = client.sendOpus(trackId, speech, { loop: true });
  const echoTrackId = (): string | undefined =>
    [...client.remoteTracks.values()].find((t) => t.mid !== undefined)?.trackId;
  await client.waitFor(
    () => (client.remoteTracks.get(echoTrackId() ?? '')?.packets ?? 0) > 0,
    15_000,
    'first echo packet',
  );
  return { client, agent, echoTrackId, setupMs: performance.now() - startedAt, stop };
}

async function runStep(
  sessions: number,
  durationMs: number,
  speech: readonly Uint8Array[],
): Promise<WebrtcBenchStep> {
  const server = await ServerProcess.start();
  const opened: Session[] = [];
  try {
    await sleep(300);
    const baseline = await server.sample();
    // A few at a time: DTLS handshakes are CPU-heavy for both sides.
    for (let i = 0; i < sessions; i += 4) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(4, sessions - i) }, () => openSession(server, speech)),
      );
      opened.push(...batch);
    }
    await sleep(1500);
    const packetsBefore = opened.map(
      (s) => s.client.remoteTracks.get(s.echoTrackId() ?? '')?.packets ?? 0,
    );
    await server.reset();
    const startedAt = performance.now();
    await sleep(durationMs);
    const sample = await server.sample();
    const windowMs = performance.now() - startedAt;
    const ratios = opened.map((s, i) => {
      const packets =
        (s.client.remoteTracks.get(s.echoTrackId() ?? '')?.packets ?? 0) - (packetsBefore[i] ?? 0);
      return packets / (windowMs / 20);
    });
    const cpuPercent = (sample.cpuMs / sample.wallMs) * 100;
    const worst = Math.min(...ratios);
    return {
      sessions,
      windowMs: Math.round(windowMs),
      setupP50Ms: Math.round(median(opened.map((s) => s.setupMs))),
      serverCpuPercentOfCore: round(cpuPercent),
      serverCpuPercentPerSession: round(cpuPercent / sessions),
      agentLatencyP50Ms: round(sample.agentLatency.p50Ms, 3),
      agentLatencyP99Ms: round(sample.agentLatency.p99Ms, 3),
      rtpOutLatencyP50Ms: round(sample.rtpLatency.p50Ms, 3),
      rtpOutLatencyP99Ms: round(sample.rtpLatency.p99Ms, 3),
      rssMiB: round(sample.rssBytes / 2 ** 20, 1),
      rssPerSessionMiB: round((sample.rssBytes - baseline.rssBytes) / 2 ** 20 / sessions, 2),
      worstSessionRealtimeRatio: round(worst, 3),
      framesToAgentsDropped: sample.agents.framesToAgentsDropped,
      realtime: worst >= 0.95 && sample.agents.framesToAgentsDropped === 0,
    };
  } finally {
    for (const session of opened) {
      session.stop();
      session.agent.close();
    }
    await Promise.all(opened.map((s) => s.client.close()));
    await server.stop();
  }
}

/** The fixture as 20 ms Opus packets, encoded once so the load generator does not encode. */
function speechPackets(): Uint8Array[] {
  const samples = speechFixture(48000).samples;
  const encoder = createOpusEncoder({ complexity: 5 });
  const packets: Uint8Array[] = [];
  for (let offset = 0; offset + 960 <= samples.length; offset += 960) {
    packets.push(encoder.encode(samples.subarray(offset, offset + 960)));
  }
  encoder.close();
  return packets;
}

export async function runWebrtcBench(opts: {
  sessions: number[];
  durationMs: number;
  /** Stop stepping up once a step misses real time or drops frames. */
  stopAtFirstMiss?: boolean;
}): Promise<WebrtcBenchResult> {
  const speech = speechPackets();
  const steps: WebrtcBenchStep[] = [];
  for (const sessions of opts.sessions) {
    const step = await runStep(sessions, opts.durationMs, speech);
    steps.push(step);
    if (opts.stopAtFirstMiss && !step.realtime) {
      break;
    }
  }
  return {
    cpuMeasuredIn:
      'server child process (process.cpuUsage over IPC); clients and echo agents run in the parent',
    steps,
  };
}

const entry = process.argv[1];
if (entry !== undefined && import.meta.url === pathToFileURL(entry).href) {
  const sessions = (process.argv[2] ?? '1,4,8,16').split(',').map(Number);
  const durationMs = Number(process.argv[3] ?? 8000);
  const result = await runWebrtcBench({ sessions, durationMs });
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}
