/**
 * End to end with a real browser: Chromium (Debian's, driven by playwright-core) runs the
 * official @fishjam-cloud/ts-client 0.25.1 against Shoal, with a fake microphone playing the
 * speech fixture. Fails (never skips) when Chromium is missing.
 */
import { createServer, type Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import { FishjamClient, FishjamWSNotifier } from '@fishjam-cloud/js-server-sdk';
import { build } from 'esbuild';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listeningAgent, samplesOf } from './helpers/agents.js';
import { launchChromium } from './helpers/chromium.js';
import { fixtureCorrelation } from './helpers/audio.js';
import {
  eventually,
  provideGlobalWebSocket,
  startShoal,
  type RunningShoal,
} from './helpers/server.js';
import { fixturePath, speechFixture, toBytes } from './helpers/wav.js';

provideGlobalWebSocket();

let shoal: RunningShoal;
let fishjam: FishjamClient;
let statics: Server;
let pageUrl: string;
let browser: Awaited<ReturnType<typeof launchChromium>> | undefined;

interface InboundAudio {
  mid: string;
  packetsReceived: number;
  audioLevel: number;
  totalAudioEnergy: number;
}

interface ShoalPage {
  join(url: string, token: string, metadata: unknown): Promise<string>;
  publishMic(): Promise<string>;
  mute(): Promise<void>;
  leave(): void;
  disconnect(): void;
  events(): string[];
  remote(): Record<string, { endpointId: string; ready: boolean; metadata: unknown }>;
  remotePeers(): Record<string, { metadata: unknown; tracks: string[] }>;
  localPeer(): { id: string; metadata: unknown } | undefined;
  inboundAudio(): Promise<InboundAudio[]>;
  outboundAudio(): Promise<{ packetsSent: number }[]>;
}

declare const window: { shoal: ShoalPage };

let missingBrowser: Error | undefined;

beforeAll(async () => {
  shoal = await startShoal();
  fishjam = new FishjamClient({ fishjamId: shoal.origin, managementToken: shoal.token });

  const bundle = await build({
    entryPoints: [fileURLToPath(new URL('./browser/page.js', import.meta.url))],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'chrome120',
    write: false,
    logLevel: 'silent',
  });
  const script = bundle.outputFiles[0]?.text ?? '';
  const html =
    '<!doctype html><html><head><meta charset="utf-8"><title>shoal</title></head>' +
    '<body><script type="module" src="/page.js"></script></body></html>';
  statics = createServer((req, res) => {
    if (req.url === '/page.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' }).end(script);
    } else if (req.url === '/') {
      res.writeHead(200, { 'content-type': 'text/html' }).end(html);
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => statics.listen(0, '127.0.0.1', resolve));
  const address = statics.address();
  pageUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/`;

  try {
    browser = await launchChromium(fixturePath('speech-48k.wav'));
  } catch (err) {
    // Every test then fails (never skips): the browser path is part of the product.
    missingBrowser = err as Error;
  }
}, 30_000);

afterAll(async () => {
  await browser?.close();
  if (statics) {
    await new Promise((resolve) => statics.close(resolve));
  }
  await shoal?.close();
});

async function openPage(): Promise<Page> {
  if (missingBrowser) {
    throw missingBrowser;
  }
  const page = await (browser as { context: BrowserContext }).context.newPage();
  await page.goto(pageUrl);
  await page.waitForFunction(() => 'shoal' in window, undefined, { timeout: 10_000 });
  return page;
}

const wsUrl = (): string => shoal.origin.replace('http', 'ws');

async function joinAs(page: Page, roomId: string, name: string): Promise<string> {
  const { peer, peerToken } = await fishjam.createPeer(roomId as never, {
    metadata: { role: 'tester' },
  });
  const peerId = await page.evaluate(([url, token, meta]) => window.shoal.join(url, token, meta), [
    wsUrl(),
    peerToken,
    { displayName: name },
  ] as const);
  expect(peerId).toBe(peer.id);
  return peerId;
}

/** Total audio energy the page has played from the server so far. */
async function receivedEnergy(page: Page): Promise<number> {
  const inbound = await page.evaluate(() => window.shoal.inboundAudio());
  return inbound.reduce((sum, s) => sum + s.totalAudioEnergy, 0);
}

describe('browser (Chromium + official ts-client 0.25.1)', () => {
  it('joins an audio_only room and publishes its mic: the agent hears the fixture from the browser; the agent reply plays in the browser', async () => {
    const room = await fishjam.createRoom({ roomType: 'audio_only' });
    const agent = await listeningAgent(fishjam, room.id, 16000);
    const page = await openPage();
    const peerId = await joinAs(page, room.id, 'alice');

    // ts-client sees the agent as a peer, and itself with {peer, server} metadata.
    const local = await page.evaluate(() => window.shoal.localPeer());
    expect(local?.metadata).toEqual({ peer: { displayName: 'alice' }, server: { role: 'tester' } });
    await eventually(async () => {
      const peers = Object.keys(await page.evaluate(() => window.shoal.remotePeers()));
      return peers.length === 1 && peers[0] === agent.peerId ? true : undefined;
    }, 3000);

    const trackId = await page.evaluate(() => window.shoal.publishMic());
    expect(trackId.startsWith(`${peerId}:`)).toBe(true);

    // 4.5 s of the browser's speech, attributed to the browser's peer and track.
    const fromBrowser = (): typeof agent.heard => agent.heard.filter((h) => h.peerId === peerId);
    await eventually(() => (fromBrowser().length >= 225 ? true : undefined), 10_000);
    expect(new Set(fromBrowser().map((h) => h.trackId))).toEqual(new Set([trackId]));
    const correlation = fixtureCorrelation(samplesOf(fromBrowser().slice(0, 225)), 16000);
    expect(correlation).toBeGreaterThanOrEqual(0.8);

    // The agent answers; the browser plays it (inbound-rtp energy rises, level is audible).
    const reply = agent.agent.createTrack({ encoding: 'pcm16', sampleRate: 16000, channels: 1 });
    await eventually(async () => {
      const remote = await page.evaluate(() => window.shoal.remote());
      return remote[reply.id]?.ready ? true : undefined;
    }, 5000);
    const energyBefore = await receivedEnergy(page);
    agent.agent.sendData(reply.id, toBytes(speechFixture(16000).samples));
    await eventually(async () => {
      const inbound = await page.evaluate(() => window.shoal.inboundAudio());
      const energy = inbound.reduce((sum, s) => sum + s.totalAudioEnergy, 0);
      const loud = inbound.some((s) => s.audioLevel > 0.02);
      return energy - energyBefore > 0.05 && loud ? true : undefined;
    }, 8000);

    await page.close();
    agent.agent.disconnect();
    await fishjam.deleteRoom(room.id);
  }, 40_000);

  it('two browsers in one room hear each other; leaving emits peerDisconnected', async () => {
    const disconnected: string[] = [];
    const notifier = new FishjamWSNotifier(
      { fishjamId: shoal.origin, managementToken: shoal.token },
      () => {},
      () => {},
    );
    notifier.on('peerDisconnected', (msg: { peerId: string }) => disconnected.push(msg.peerId));
    const room = await fishjam.createRoom({ roomType: 'audio_only' });
    const [a, b] = await Promise.all([openPage(), openPage()]);
    const aId = await joinAs(a, room.id, 'a');
    const bId = await joinAs(b, room.id, 'b');
    const [aTrack, bTrack] = await Promise.all([
      a.evaluate(() => window.shoal.publishMic()),
      b.evaluate(() => window.shoal.publishMic()),
    ]);

    for (const [page, other] of [
      [a, bTrack],
      [b, aTrack],
    ] as const) {
      await eventually(async () => {
        const remote = await page.evaluate(() => window.shoal.remote());
        return remote[other]?.ready ? true : undefined;
      }, 8000);
    }
    const energy = await Promise.all([receivedEnergy(a), receivedEnergy(b)]);
    await eventually(async () => {
      const now = await Promise.all([receivedEnergy(a), receivedEnergy(b)]);
      return now[0]! - energy[0]! > 0.05 && now[1]! - energy[1]! > 0.05 ? true : undefined;
    }, 8000);
    expect((await a.evaluate(() => window.shoal.remote()))[bTrack]?.endpointId).toBe(bId);

    await b.evaluate(() => window.shoal.leave());
    await eventually(() => (disconnected.includes(bId) ? true : undefined), 5000);
    await eventually(async () =>
      (await a.evaluate(() => window.shoal.events())).includes(`peerLeft:${bId}`)
        ? true
        : undefined,
    );
    expect(disconnected).not.toContain(aId);
    const status = (await fishjam.getRoom(room.id)).peers.find((p) => p.id === bId)?.status;
    expect(status).toBe('disconnected');

    await Promise.all([a.close(), b.close()]);
    (notifier as unknown as { client: { close(): void } }).client.close();
    await fishjam.deleteRoom(room.id);
  }, 40_000);

  it('mute (track metadata paused + no track on the sender) stops the audio the agent gets', async () => {
    const room = await fishjam.createRoom({ roomType: 'audio_only' });
    const agent = await listeningAgent(fishjam, room.id, 16000);
    const page = await openPage();
    const peerId = await joinAs(page, room.id, 'muter');
    const trackId = await page.evaluate(() => window.shoal.publishMic());
    const fromBrowser = (): typeof agent.heard => agent.heard.filter((h) => h.peerId === peerId);
    await eventually(() => (fromBrowser().length >= 25 ? true : undefined), 10_000);

    const mutedAt = performance.now();
    await page.evaluate(() => window.shoal.mute());
    await eventually(async () => {
      const track = (await fishjam.getRoom(room.id)).peers
        .find((p) => p.id === peerId)
        ?.tracks.find((t) => t.id === trackId);
      return (track?.metadata as { paused?: boolean } | undefined)?.paused === true
        ? true
        : undefined;
    }, 3000);
    await new Promise((r) => setTimeout(r, 1000));
    const late = fromBrowser().filter((h) => h.atMs > mutedAt + 300);
    expect(late).toHaveLength(0);

    await page.close();
    agent.agent.disconnect();
    await fishjam.deleteRoom(room.id);
  }, 30_000);
});
