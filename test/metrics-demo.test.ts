import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FishjamClient } from '@fishjam-cloud/js-server-sdk';
import { describe, expect, it } from 'vitest';
import { listeningAgent } from './helpers/agents.js';
import { eventually, provideGlobalWebSocket, startShoal } from './helpers/server.js';
import { toBytes } from './helpers/wav.js';

provideGlobalWebSocket();

function metricValue(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.split(' ')[1]) : Number.NaN;
}

describe('/metrics', () => {
  it('reports rooms, peers, agent frames and latency histograms in Prometheus format', async () => {
    const shoal = await startShoal();
    try {
      const fishjam = new FishjamClient({ fishjamId: shoal.origin, managementToken: shoal.token });
      const room = await fishjam.createRoom({ roomType: 'audio_only' });
      const b = await listeningAgent(fishjam, room.id, 16000);
      const a = await listeningAgent(fishjam, room.id, 16000);
      const track = a.agent.createTrack({ encoding: 'pcm16', sampleRate: 16000, channels: 1 });
      a.agent.sendData(track.id, toBytes(new Int16Array(16000 / 2).fill(2000)));
      await eventually(() => (b.heard.length >= 20 ? true : undefined));

      const res = await fetch(`${shoal.origin}/metrics`);
      expect(res.headers.get('content-type')).toMatch(/text\/plain/);
      const text = await res.text();
      expect(metricValue(text, 'shoal_rooms')).toBe(1);
      expect(metricValue(text, 'shoal_peers')).toBe(2);
      expect(metricValue(text, 'shoal_peers_connected')).toBe(2);
      expect(metricValue(text, 'shoal_agent_sessions')).toBe(2);
      expect(metricValue(text, 'shoal_agent_frames_sent_total')).toBeGreaterThanOrEqual(20);
      expect(metricValue(text, 'shoal_agent_frames_played_total')).toBeGreaterThanOrEqual(20);
      expect(metricValue(text, 'shoal_agent_frame_latency_seconds_count')).toBeGreaterThanOrEqual(
        20,
      );
      expect(text).toMatch(/shoal_process_resident_memory_bytes \d+/);
      a.agent.disconnect();
      b.agent.disconnect();
    } finally {
      await shoal.close();
    }
  });
});

describe('demo mode', () => {
  it('is off by default: no room manager, no page, no live feed', async () => {
    const shoal = await startShoal();
    try {
      expect((await fetch(`${shoal.origin}/room-manager?roomName=a&peerName=b`)).status).toBe(404);
      expect((await fetch(`${shoal.origin}/`)).status).toBe(404);
      expect((await fetch(`${shoal.origin}/live/x/events`)).status).toBe(404);
    } finally {
      await shoal.close();
    }
  });

  it('serves the page, a sandbox-compatible room manager and the live feed', async () => {
    const webRoot = mkdtempSync(join(tmpdir(), 'shoal-web-'));
    mkdirSync(join(webRoot, 'assets'));
    writeFileSync(join(webRoot, 'index.html'), '<!doctype html><title>demo</title>');
    writeFileSync(join(webRoot, 'assets', 'app.js'), 'export {};');
    const created: { roomName: string; agent?: string }[] = [];
    const shoal = await startShoal(
      {},
      {
        demo: {
          webRoot: `${webRoot}/`,
          agents: [{ name: 'echo', label: 'Echo', available: true }],
          onPeerCreated: ({ roomName, query }) => {
            created.push({ roomName, agent: query['agent'] });
          },
        },
      },
    );
    try {
      const page = await fetch(`${shoal.origin}/`);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/text\/html/);
      expect((await fetch(`${shoal.origin}/assets/app.js`)).headers.get('content-type')).toMatch(
        /javascript/,
      );
      expect((await fetch(`${shoal.origin}/assets/..%2f..%2fetc%2fpasswd`)).status).toBe(404);
      expect(await (await fetch(`${shoal.origin}/demo/config`)).json()).toEqual({
        agents: [{ name: 'echo', label: 'Echo', available: true }],
        phrases: null,
      });

      const first = (await (
        await fetch(
          `${shoal.origin}/room-manager?roomName=lobby&peerName=ann&roomType=audio_only&agent=echo`,
        )
      ).json()) as {
        peerToken: string;
        url: string;
        room: { id: string; name: string };
        peer: { id: string; name: string };
      };
      const second = (await (
        await fetch(`${shoal.origin}/room-manager?roomName=lobby&peerName=bob&roomType=audio_only`)
      ).json()) as typeof first;
      expect(first.room).toEqual({ id: second.room.id, name: 'lobby', type: 'audio_only' });
      expect(first.peer.name).toBe('ann');
      expect(first.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+$/);
      expect(first.peerToken.length).toBeGreaterThan(20);
      expect(created).toEqual([
        { roomName: 'lobby', agent: 'echo' },
        { roomName: 'lobby', agent: undefined },
      ]);
      const bad = await fetch(`${shoal.origin}/room-manager?roomName=&peerName=x`);
      expect(bad.status).toBe(400);

      // Live feed: server-sent events for one room.
      const controller = new AbortController();
      const res = await fetch(`${shoal.origin}/live/${first.room.id}/events`, {
        signal: controller.signal,
      });
      expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
      const reader = res.body!.getReader();
      await eventually(() => (shoal.server.feed.subscriberCount === 1 ? true : undefined));
      shoal.server.feed.publish('other-room', { type: 'transcript', text: 'not for you' });
      shoal.server.feed.publish(first.room.id, {
        type: 'transcript',
        peerId: first.peer.id,
        text: 'hello',
        final: true,
      });
      let text = '';
      while (!text.includes('hello')) {
        const { value } = await reader.read();
        text += new TextDecoder().decode(value);
      }
      expect(text).toContain('event: transcript');
      expect(text).not.toContain('not for you');
      const data = JSON.parse(
        text
          .split('\n')
          .find((l) => l.startsWith('data: {"type":"transcript"'))!
          .slice(6),
      );
      expect(data).toEqual({
        type: 'transcript',
        peerId: first.peer.id,
        text: 'hello',
        final: true,
        roomId: first.room.id,
      });
      controller.abort();
    } finally {
      await shoal.close();
    }
  });
});
