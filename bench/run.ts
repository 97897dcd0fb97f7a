/**
 * `npm run bench`: every figure in one report — the codec floor, the agent → agent media path
 * (server CPU per pair against the floor, latency, drops, memory, pairs per process at real
 * time), interrupt latency and agent join time. Writes bench/results/latest.json and
 * bench/results/latest.md and prints the table. Figures come from a shared, noisy 2-core VM:
 * compare ratios within one run, not absolute numbers across runs.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { runAgentPathBench, type AgentPathResult } from './agents.js';
import { runCodecBench, type CodecBenchResult } from './codec.js';
import { runSoak } from './soak.js';
import { runWebrtcBench, type WebrtcBenchResult } from './webrtc.js';

if (process.argv.includes('--soak')) {
  const minutes = Number(process.env['SHOAL_SOAK_MINUTES'] ?? 10);
  const soak = await runSoak({ durationMs: minutes * 60_000 });
  const dir = new URL('./results/', import.meta.url);
  mkdirSync(dir, { recursive: true });
  writeFileSync(new URL('soak.json', dir), `${JSON.stringify(soak, null, 2)}\n`);
  console.log(
    `Soak: ${soak.pairs} agent pairs for ${soak.durationS} s — RSS growth ${soak.rssGrowthMiB} MiB ` +
      `(${soak.rssGrowthMiBPerHour} MiB/h), drops ${soak.framesDropped}, p99 ${soak.p99FirstMs} → ${soak.p99LastMs} ms`,
  );
  process.exit(0);
}

const started = Date.now();
const codec: CodecBenchResult = await runCodecBench({ frames: 2000 });
const agents: AgentPathResult = await runAgentPathBench();
// Voice sessions: one werift peer (browser-like) sending Opus speech + one echo agent per room.
const sessions: WebrtcBenchResult = await runWebrtcBench({
  sessions: [1, 8, 16, 32, 48, 64],
  durationMs: 5000,
  stopAtFirstMiss: true,
});
const bestSessions = [...sessions.steps].reverse().find((s) => s.realtime);

const floorPercent = codec.floor.rate16k.percentCorePerStream;
const report = {
  date: new Date().toISOString(),
  machine: { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, node: process.version },
  noise: 'shared VM: about ±30 % run to run; compare ratios within a run',
  durationS: 0,
  codec,
  agents,
  sessions,
  derived: {
    /** Largest step at real time with zero drops, and what one core of server CPU would hold at that rate. */
    sessionsRealtimeZeroDrops: bestSessions?.sessions ?? 0,
    sessionsPerCore: bestSessions
      ? Math.floor(bestSessions.sessions / (bestSessions.serverCpuPercentOfCore / 100))
      : 0,
    memoryPerSessionMiB: bestSessions?.rssPerSessionMiB ?? Number.NaN,
    /** Server CPU per voice session ÷ the codec floor (ARCHITECTURE budget: ≤ 3×). */
    cpuPerSessionOverFloor: ratio(bestSessions?.serverCpuPercentPerSession, floorPercent),
    codecFloorPercentCorePerStream: floorPercent,
    /** Server CPU per agent pair at 50 pairs ÷ the codec floor (ARCHITECTURE budget: ≤ 3×). */
    cpuPerPairOverFloorAt50: ratio(
      agents.steps.find((s) => s.pairs === 50)?.serverCpuPercentPerPair,
      floorPercent,
    ),
  },
};
report.durationS = Math.round((Date.now() - started) / 1000);

const rows: [string, string][] = [
  [
    'Codec floor per stream (decode + 48→16 + 16→48 + encode cx5)',
    `${codec.floor.rate16k.chain.medianUs} µs / 20 ms frame = ${floorPercent} % of a core`,
  ],
  [
    'Opus decode / encode cx5 (median)',
    `${codec.opus.decode.medianUs} µs / ${codec.opus.encodeCx5.medianUs} µs`,
  ],
  [
    'Resample 48→16 / 16→48 (speex, median)',
    `${codec.resamplers.speex['48k→16k'].medianUs} µs / ${codec.resamplers.speex['16k→48k'].medianUs} µs`,
  ],
  ...agents.steps.map((s): [string, string] => [
    `Agent pairs: ${s.pairs}`,
    `server ${s.serverCpuPercentPerPair} % core/pair, latency p50 ${s.latencyP50Ms} ms p99 ${s.latencyP99Ms} ms, drops ${s.framesDropped}, RSS ${s.rssMiB} MiB, ${s.realtime ? 'real time' : `NOT real time (${s.worstPairRealtimeRatio}×)`}`,
  ]),
  ['Agent pairs per process at real time, zero drops', String(agents.maxPairsRealtimeZeroDrops)],
  ...sessions.steps.map((s): [string, string] => [
    `Voice sessions (werift peer + echo agent): ${s.sessions}`,
    `server ${s.serverCpuPercentPerSession} % core/session, RTP→agent p99 ${s.agentLatencyP99Ms} ms, agent→RTP p99 ${s.rtpOutLatencyP99Ms} ms, ${s.rssPerSessionMiB} MiB/session, setup p50 ${s.setupP50Ms} ms, ${s.realtime ? 'real time' : `NOT real time (${s.worstSessionRealtimeRatio}×, drops ${s.framesToAgentsDropped})`}`,
  ]),
  [
    'Voice sessions at real time with zero drops (largest step) → per core of server CPU',
    `${report.derived.sessionsRealtimeZeroDrops} → ${report.derived.sessionsPerCore} sessions/core`,
  ],
  ['Memory per voice session', `${report.derived.memoryPerSessionMiB} MiB`],
  ['Server CPU per voice session ÷ codec floor', `${report.derived.cpuPerSessionOverFloor}×`],
  ['Server CPU per pair ÷ codec floor (50 pairs)', `${report.derived.cpuPerPairOverFloorAt50}×`],
  [
    'Interrupt: InterruptTrack → last old frame at the listener',
    `p50 ${agents.interrupt.p50Ms} ms, max ${agents.interrupt.maxMs} ms (${agents.interrupt.runs} runs)`,
  ],
  [
    'Agent join: POST agent → first audio frame',
    `p50 ${agents.agentJoin.p50Ms} ms, max ${agents.agentJoin.maxMs} ms`,
  ],
];
const markdown = [
  `Shoal bench, ${report.date} — ${report.machine.cpu}, ${report.machine.cores} cores, Node ${report.machine.node}. ${report.noise}.`,
  '',
  '| figure | value |',
  '|---|---|',
  ...rows.map(([k, v]) => `| ${k} | ${v} |`),
  '',
].join('\n');

const dir = new URL('./results/', import.meta.url);
mkdirSync(dir, { recursive: true });
writeFileSync(new URL('latest.json', dir), `${JSON.stringify(report, null, 2)}\n`);
writeFileSync(new URL('latest.md', dir), markdown);
console.log(markdown);
console.log(`(${report.durationS} s; JSON in bench/results/latest.json)`);

function ratio(value: number | undefined, floor: number): number {
  return value === undefined || floor === 0 ? Number.NaN : Math.round((value / floor) * 100) / 100;
}
