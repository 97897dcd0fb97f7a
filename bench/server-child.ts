/**
 * The server under test for the benches, in its own process so its CPU and memory are its
 * own. IPC: sends {port, token} when listening; 'reset' starts a measurement window; 'sample'
 * answers CPU time, memory, both latency recorders and the WebRTC/agent totals; 'stop' exits.
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

const percentiles = (recorder: typeof server.latency): object => ({
  count: recorder.total,
  p50Ms: recorder.percentile(50),
  p99Ms: recorder.percentile(99),
  maxMs: recorder.percentile(100),
});

process.on('message', (msg: { type: string }) => {
  if (msg.type === 'reset') {
    server.latency.reset();
    server.rtpLatency.reset();
    cpuStart = process.cpuUsage();
    wallStart = performance.now();
    process.send?.({ type: 'reset-done' });
  } else if (msg.type === 'sample') {
    const cpu = process.cpuUsage(cpuStart);
    const mem = process.memoryUsage();
    process.send?.({
      type: 'sample',
      cpuMs: (cpu.user + cpu.system) / 1000,
      wallMs: performance.now() - wallStart,
      rssBytes: mem.rss,
      heapUsedBytes: mem.heapUsed,
      agentLatency: percentiles(server.latency),
      rtpLatency: percentiles(server.rtpLatency),
      peers: server.peers.totals(),
      agents: server.agents.totals(),
    });
  } else if (msg.type === 'stop') {
    void server.close().then(() => process.exit(0));
  }
});

process.send?.({ type: 'ready', port, token });
