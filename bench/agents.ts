/**
 * The agent → agent media path: M agent pairs in M rooms; agent A streams speech in real time
 * (PCM16 24 kHz, 20 ms chunks), agent B (16 kHz) receives. The server runs in a child process,
 * so its CPU and RSS are its own. Figures per step: server CPU per pair, p50/p99
 * server-internal latency (frame due at the pacer → frame written to B's socket), frames
 * dropped, RSS, and whether B heard real time. Plus interrupt latency, measured at B.
 *
 * Run alone: node --import tsx bench/agents.ts   (prints JSON)
 */
import { pathToFileURL } from 'node:url';
import { WebSocket } from 'ws';
import { Pacer } from '../src/media/rtp/index.js';
import { AgentRequest, AgentResponse } from '../src/protocol/index.js';
import { speechFixture } from '../test/helpers/wav.js';
import { ServerProcess, type ServerSample } from './server-process.js';

export interface AgentPathStep {
  pairs: number;
  windowMs: number;
  serverCpuPercentOfCore: number;
  serverCpuPercentPerPair: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  latencyMaxMs: number;
  framesDropped: number;
  /** Frames B received ÷ frames real time would deliver, worst pair. */
  worstPairRealtimeRatio: number;
  rssMiB: number;
  realtime: boolean;
}

export interface AgentPathResult {
  steps: AgentPathStep[];
  /** Largest step that held real time with zero drops. */
  maxPairsRealtimeZeroDrops: number;
  /** InterruptTrack sent by A → last frame of the old audio received by B (0: none after it). */
  interrupt: { runs: number; p50Ms: number; maxMs: number; minFramesHeardBefore: number };
  /** POST agent → first audio frame at that agent (the other agent already speaking). */
  agentJoin: { runs: number; p50Ms: number; maxMs: number };
}

const FRAME_MS = 20;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface RawAgent {
  ws: WebSocket;
  frames: number;
  arrivals: number[];
  keepArrivals: boolean;
  firstFrameAt: number | undefined;
  send(m: Parameters<typeof AgentRequest.encode>[0]): void;
}

async function connectAgent(
  server: ServerProcess,
  roomId: string,
  rateHz: number,
): Promise<RawAgent> {
  const { data } = await server.rest<{ data: { token: string } }>('POST', `/room/${roomId}/peer`, {
    type: 'agent',
    options: { output: { audioFormat: 'pcm16', audioSampleRate: rateHz } },
  });
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}/socket/agent/websocket`);
  const agent: RawAgent = {
    ws,
    frames: 0,
    arrivals: [],
    keepArrivals: false,
    firstFrameAt: undefined,
    send: (m) => ws.send(AgentRequest.encode(m).finish()),
  };
  ws.on('message', (raw: Buffer) => {
    const msg = AgentResponse.decode(raw);
    if (msg.trackData) {
      const now = performance.now();
      agent.frames += 1;
      agent.firstFrameAt ??= now;
      if (agent.keepArrivals) {
        agent.arrivals.push(now);
      }
    }
  });
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  agent.send({ authRequest: { token: data.token } });
  return agent;
}

export interface Pair {
  roomId: string;
  a: RawAgent;
  b: RawAgent;
  trackId: string;
}

export async function makePair(server: ServerProcess): Promise<Pair> {
  const { data } = await server.rest<{ data: { room: { id: string } } }>('POST', '/room', {
    roomType: 'audio_only',
  });
  const roomId = data.room.id;
  const b = await connectAgent(server, roomId, 16000);
  const a = await connectAgent(server, roomId, 16000);
  const trackId = crypto.randomUUID();
  a.send({
    addTrack: {
      track: { id: trackId, type: 2, metadata: '{}' },
      codecParams: { encoding: 1, sampleRate: 24000, channels: 1 },
    },
  });
  return { roomId, a, b, trackId };
}

/** Streams the speech fixture in a loop, 20 ms per tick, for every pair. */
export function streamRealtime(pairs: Pair[]): () => void {
  const speech = speechFixture(24000).samples;
  const chunk = 480;
  let offset = 0;
  const pacer = new Pacer({
    intervalMs: FRAME_MS,
    onTick: () => {
      if (offset + chunk > speech.length) {
        offset = 0;
      }
      const piece = speech.subarray(offset, offset + chunk);
      offset += chunk;
      const data = new Uint8Array(piece.buffer, piece.byteOffset, piece.byteLength);
      for (const pair of pairs) {
        pair.a.send({ trackData: { trackId: pair.trackId, data } });
      }
    },
  });
  pacer.start();
  return () => pacer.close();
}

export async function closePairs(server: ServerProcess, pairs: Pair[]): Promise<void> {
  for (const pair of pairs) {
    pair.a.ws.close();
    pair.b.ws.close();
    await server.rest('DELETE', `/room/${pair.roomId}`);
  }
}

async function runStep(
  server: ServerProcess,
  count: number,
  windowMs: number,
): Promise<AgentPathStep> {
  const pairs: Pair[] = [];
  for (let i = 0; i < count; i += 1) {
    pairs.push(await makePair(server));
  }
  const stop = streamRealtime(pairs);
  await sleep(1500);
  const before = pairs.map((p) => p.b.frames);
  const droppedBefore = (await server.sample()).agents;
  await server.reset();
  await sleep(windowMs);
  const sample: ServerSample = await server.sample();
  const ratios = pairs.map((p, i) => ((p.b.frames - (before[i] ?? 0)) * FRAME_MS) / sample.wallMs);
  stop();
  await closePairs(server, pairs);
  const dropped =
    sample.agents.framesToAgentsDropped -
    droppedBefore.framesToAgentsDropped +
    (sample.agents.framesRefused - droppedBefore.framesRefused);
  const cpuPercent = (sample.cpuMs / sample.wallMs) * 100;
  const worst = Math.min(...ratios);
  return {
    pairs: count,
    windowMs: Math.round(sample.wallMs),
    serverCpuPercentOfCore: round(cpuPercent),
    serverCpuPercentPerPair: round(cpuPercent / count),
    latencyP50Ms: round(sample.agentLatency.p50Ms, 3),
    latencyP99Ms: round(sample.agentLatency.p99Ms, 3),
    latencyMaxMs: round(sample.agentLatency.maxMs, 3),
    framesDropped: dropped,
    worstPairRealtimeRatio: round(worst, 3),
    rssMiB: round(sample.rssBytes / 2 ** 20, 1),
    realtime: worst >= 0.97 && dropped === 0,
  };
}

async function measureInterrupt(
  server: ServerProcess,
  runs: number,
): Promise<{ latencies: number[]; minFramesHeardBefore: number }> {
  const pair = await makePair(server);
  const burst = speechFixture(24000).samples;
  const bytes = new Uint8Array(burst.buffer, burst.byteOffset, burst.byteLength);
  const results: number[] = [];
  let minFramesHeardBefore = Infinity;
  pair.b.keepArrivals = true;
  for (let i = 0; i < runs; i += 1) {
    pair.a.send({ trackData: { trackId: pair.trackId, data: bytes } });
    await sleep(400 + Math.random() * 100);
    const sentAt = performance.now();
    minFramesHeardBefore = Math.min(minFramesHeardBefore, pair.b.arrivals.length);
    pair.a.send({ interruptTrack: { trackId: pair.trackId } });
    await sleep(300);
    const last = Math.max(sentAt, ...pair.b.arrivals.filter((t) => t >= sentAt));
    results.push(last - sentAt);
    pair.b.arrivals = [];
  }
  await closePairs(server, [pair]);
  return { latencies: results, minFramesHeardBefore };
}

async function measureJoin(server: ServerProcess, runs: number): Promise<number[]> {
  const pair = await makePair(server);
  const stop = streamRealtime([pair]);
  await sleep(300);
  const results: number[] = [];
  for (let i = 0; i < runs; i += 1) {
    const started = performance.now();
    const listener = await connectAgent(server, pair.roomId, 16000);
    while (listener.firstFrameAt === undefined && performance.now() - started < 3000) {
      await sleep(1);
    }
    results.push((listener.firstFrameAt ?? Number.NaN) - started);
    listener.ws.close();
  }
  stop();
  await closePairs(server, [pair]);
  return results;
}

export async function runAgentPathBench(
  opts: { steps?: number[]; windowMs?: number } = {},
): Promise<AgentPathResult> {
  const server = await ServerProcess.start();
  try {
    const steps: AgentPathStep[] = [];
    for (const count of opts.steps ?? [1, 10, 25, 50, 75, 100, 150]) {
      const step = await runStep(server, count, opts.windowMs ?? 5000);
      steps.push(step);
      if (!step.realtime) {
        break;
      }
    }
    const interrupts = await measureInterrupt(server, 10);
    const joins = await measureJoin(server, 10);
    return {
      steps,
      maxPairsRealtimeZeroDrops: Math.max(
        0,
        ...steps.filter((s) => s.realtime).map((s) => s.pairs),
      ),
      interrupt: {
        ...summary(interrupts.latencies),
        minFramesHeardBefore: interrupts.minFramesHeardBefore,
      },
      agentJoin: summary(joins),
    };
  } finally {
    await server.stop();
  }
}

function summary(values: number[]): { runs: number; p50Ms: number; maxMs: number } {
  const sorted = [...values].sort((x, y) => x - y);
  return {
    runs: values.length,
    p50Ms: round(sorted[Math.floor((sorted.length - 1) / 2)] ?? Number.NaN, 2),
    maxMs: round(sorted[sorted.length - 1] ?? Number.NaN, 2),
  };
}

export function round(value: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(JSON.stringify(await runAgentPathBench(), null, 2));
}
