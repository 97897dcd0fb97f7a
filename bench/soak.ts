/**
 * `npm run bench -- --soak`: holds `pairs` agent pairs streaming in real time for `durationMs`
 * (default 10 minutes) and samples the server every `sampleEveryMs`: RSS growth, drops, and
 * latency drift (p99 of the first window vs the last).
 */
import { closePairs, makePair, round, streamRealtime, type Pair } from './agents.js';
import { ServerProcess } from './server-process.js';

export interface SoakSample {
  atS: number;
  rssMiB: number;
  heapMiB: number;
  p50Ms: number;
  p99Ms: number;
  dropped: number;
  cpuPercentOfCore: number;
}

export interface SoakResult {
  pairs: number;
  durationS: number;
  samples: SoakSample[];
  /** RSS growth from the second sample (the first window is warm-up) to the last. */
  rssGrowthMiB: number;
  /** The same, per hour, extrapolated. */
  rssGrowthMiBPerHour: number;
  framesDropped: number;
  p99FirstMs: number;
  p99LastMs: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function runSoak(
  opts: { pairs?: number; durationMs?: number; sampleEveryMs?: number } = {},
): Promise<SoakResult> {
  const pairsCount = opts.pairs ?? 25;
  const durationMs = opts.durationMs ?? 10 * 60_000;
  const every = opts.sampleEveryMs ?? 30_000;
  const server = await ServerProcess.start();
  const pairs: Pair[] = [];
  try {
    for (let i = 0; i < pairsCount; i += 1) {
      pairs.push(await makePair(server));
    }
    const stop = streamRealtime(pairs);
    const samples: SoakSample[] = [];
    const start = performance.now();
    const baseline = (await server.sample()).agents;
    while (performance.now() - start < durationMs) {
      await server.reset();
      await sleep(Math.min(every, durationMs - (performance.now() - start)));
      const s = await server.sample();
      samples.push({
        atS: round((performance.now() - start) / 1000, 1),
        rssMiB: round(s.rssBytes / 2 ** 20, 1),
        heapMiB: round(s.heapUsedBytes / 2 ** 20, 1),
        p50Ms: round(s.agentLatency.p50Ms, 3),
        p99Ms: round(s.agentLatency.p99Ms, 3),
        dropped:
          s.agents.framesToAgentsDropped -
          baseline.framesToAgentsDropped +
          (s.agents.framesRefused - baseline.framesRefused),
        cpuPercentOfCore: round((s.cpuMs / s.wallMs) * 100, 1),
      });
    }
    stop();
    // The first window includes warm-up (JIT, pools); growth is measured from the second.
    const first = samples.length > 2 ? samples[1] : samples[0];
    const last = samples[samples.length - 1];
    const spanH = first && last && last.atS > first.atS ? (last.atS - first.atS) / 3600 : 0;
    return {
      pairs: pairsCount,
      durationS: round((performance.now() - start) / 1000, 1),
      samples,
      rssGrowthMiB: round((last?.rssMiB ?? 0) - (first?.rssMiB ?? 0), 1),
      rssGrowthMiBPerHour:
        spanH > 0 ? round(((last?.rssMiB ?? 0) - (first?.rssMiB ?? 0)) / spanH, 1) : 0,
      framesDropped: last?.dropped ?? 0,
      p99FirstMs: first?.p99Ms ?? Number.NaN,
      p99LastMs: last?.p99Ms ?? Number.NaN,
    };
  } finally {
    await closePairs(server, pairs).catch(() => {});
    await server.stop();
  }
}
