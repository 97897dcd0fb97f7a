import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** What the metrics read at scrape time (kept as functions so no hot path pays for them). */
export interface MetricSources {
  rooms(): Promise<{ rooms: number; peers: number; connectedPeers: number }>;
  agents(): {
    sessions: number;
    framesToAgents: number;
    framesToAgentsDropped: number;
    outboundQueuedFrames: number;
    framesPlayed: number;
    framesRefused: number;
    framesInterrupted: number;
  };
  webhooks(): {
    delivered: number;
    failed: number;
    overflowDropped: number;
    retries: number;
    queued: number;
  };
  notifierSessions(): number;
  media?(): Record<string, number>;
}

/**
 * Prometheus metrics (`GET /metrics`). Gauges and monotonic totals are read from the server's
 * own counters when scraped; the latency histogram is fed by the media path.
 */
export class ServerMetrics {
  readonly registry = new Registry();
  /** Room → agent: frame due (agent pacer) or packet arrived → TrackData written. */
  readonly agentLatency: Histogram;
  /** Room → WebRTC peer: packet arrived or frame due → RTP written. */
  readonly rtpLatency: Histogram;

  constructor(sources: MetricSources) {
    const registry = this.registry;
    collectDefaultMetrics({ register: registry, prefix: 'shoal_' });
    const buckets = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25];
    this.agentLatency = new Histogram({
      name: 'shoal_agent_frame_latency_seconds',
      help: 'Server-internal latency to agents: frame due (pacer) or packet arrived → TrackData written',
      buckets,
      registers: [registry],
    });
    this.rtpLatency = new Histogram({
      name: 'shoal_rtp_out_latency_seconds',
      help: 'Server-internal latency to WebRTC peers: packet arrived or frame due → RTP written',
      buckets,
      registers: [registry],
    });
    const gauge = (name: string, help: string, read: () => number | Promise<number>): void => {
      new Gauge({
        name,
        help,
        registers: [registry],
        async collect() {
          this.set(await read());
        },
      });
    };
    const total = (name: string, help: string, read: () => number): void => {
      // Counters that mirror the server's own monotonic counts.
      let last = 0;
      new Counter({
        name,
        help,
        registers: [registry],
        collect() {
          const now = read();
          if (now > last) {
            this.inc(now - last);
            last = now;
          }
        },
      });
    };
    gauge('shoal_rooms', 'Rooms that exist', async () => (await sources.rooms()).rooms);
    gauge('shoal_peers', 'Peers in all rooms', async () => (await sources.rooms()).peers);
    gauge(
      'shoal_peers_connected',
      'Peers with a live socket',
      async () => (await sources.rooms()).connectedPeers,
    );
    gauge('shoal_agent_sessions', 'Authenticated agent sockets', () => sources.agents().sessions);
    gauge('shoal_notifier_sessions', 'Notifier sockets', () => sources.notifierSessions());
    gauge(
      'shoal_agent_outbound_queued_frames',
      'Room → agent frames waiting (all agent sockets)',
      () => sources.agents().outboundQueuedFrames,
    );
    gauge(
      'shoal_webhook_queued_events',
      'Webhook events waiting (all rooms)',
      () => sources.webhooks().queued,
    );
    total(
      'shoal_agent_frames_sent_total',
      'Room → agent 20 ms frames written to agent sockets (live sessions)',
      () => sources.agents().framesToAgents,
    );
    total(
      'shoal_agent_frames_dropped_total',
      'Room → agent frames dropped because an agent read too slowly',
      () => sources.agents().framesToAgentsDropped,
    );
    total(
      'shoal_agent_frames_played_total',
      'Agent → room 20 ms frames paced and encoded',
      () => sources.agents().framesPlayed,
    );
    total(
      'shoal_agent_frames_refused_total',
      'Agent → room frames refused by a full track buffer',
      () => sources.agents().framesRefused,
    );
    total(
      'shoal_agent_frames_interrupted_total',
      'Agent → room frames discarded by InterruptTrack',
      () => sources.agents().framesInterrupted,
    );
    total(
      'shoal_webhooks_delivered_total',
      'Webhooks delivered',
      () => sources.webhooks().delivered,
    );
    total(
      'shoal_webhooks_failed_total',
      'Webhooks given up after every retry',
      () => sources.webhooks().failed,
    );
    total(
      'shoal_webhooks_dropped_total',
      'Webhooks dropped from a full queue',
      () => sources.webhooks().overflowDropped,
    );
    total('shoal_webhook_retries_total', 'Webhook retries', () => sources.webhooks().retries);
  }

  contentType(): string {
    return this.registry.contentType;
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }
}
