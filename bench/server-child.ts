/**
 * The server under test, in its own process so its CPU and memory are measured apart from the
 * load generator. Talks to the parent over IPC: sends {port, token} when listening, answers
 * 'sample' with CPU time, memory, latency percentiles and agent totals; 'reset' starts a window.
 */
import { pino } from 'pino';
import { buildServer, defaultConfig } from '../src/server/index.js';

const token = 'bench-management-token';
const server = buildServer(defaultConfig({ host: '127.0.0.1', port: 0, managementToken: token }), {
  log: pino({ level: 'warn' }),
});
const { port } = await server.listen();

let cpuStart = process.cpuUsage();
let wallStart = performance.now();

process.on('message', (msg: { type: string }) => {
  if (msg.type === 'reset') {
    server.latency.reset();
    cpuStart = process.cpuUsage();
    wallStart = performance.now();
    process.send?.({ type: 'reset-done' });
  } else if (msg.type === 'sample') {
    const cpu = process.cpuUsage(cpuStart);
    const wallMs = performance.now() - wallStart;
    const mem = process.memoryUsage();
    process.send?.({
      type: 'sample',
      cpuMs: (cpu.user + cpu.system) / 1000,
      wallMs,
      rssBytes: mem.rss,
      heapUsedBytes: mem.heapUsed,
      latency: {
        count: server.latency.total,
        p50Ms: server.latency.percentile(50),
        p99Ms: server.latency.percentile(99),
        maxMs: server.latency.percentile(100),
      },
      agents: server.agents.totals(),
      pacer: server.clock.pacer.stats,
    });
  } else if (msg.type === 'stop') {
    void server.close().then(() => process.exit(0));
  }
});

process.send?.({ type: 'ready', port, token });
