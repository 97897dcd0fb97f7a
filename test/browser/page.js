/* global window, document, navigator */
/**
 * The browser side of test/browser.test.ts: the official @fishjam-cloud/ts-client 0.25.1,
 * bundled by esbuild, driven by Playwright through `window.shoal`.
 */
import { FishjamClient } from '@fishjam-cloud/ts-client';

const state = {
  client: undefined,
  micTrackId: undefined,
  micTrack: undefined,
  events: [],
  remote: {},
  errors: [],
};

function record(name, detail) {
  state.events.push({ name, detail, atMs: performance.now() });
}

function attach(ctx) {
  const entry = state.remote[ctx.trackId] ?? { endpointId: ctx.endpoint.id, ready: false };
  state.remote[ctx.trackId] = entry;
  entry.metadata = ctx.metadata;
  if (ctx.stream && !entry.ready) {
    entry.ready = true;
    const audio = document.createElement('audio');
    audio.autoplay = true;
    audio.srcObject = ctx.stream;
    document.body.appendChild(audio);
    audio.play().catch((err) => state.errors.push(`play: ${err}`));
  }
}

window.shoal = {
  async join(url, token, peerMetadata) {
    const client = new FishjamClient({ reconnect: false });
    state.client = client;
    for (const name of [
      'authSuccess',
      'authError',
      'joinError',
      'socketClose',
      'disconnected',
      'peerJoined',
      'peerLeft',
      'peerUpdated',
      'trackAdded',
      'trackRemoved',
      'trackUpdated',
      'connectionError',
    ]) {
      client.on(name, (arg) => {
        let detail = '';
        if (name === 'socketClose') {
          detail = `${arg.code} ${arg.reason}`;
        } else if (typeof arg === 'string') {
          detail = arg;
        } else if (arg && typeof arg === 'object' && 'message' in arg) {
          detail = String(arg.message);
        } else if (arg && typeof arg === 'object' && 'id' in arg) {
          detail = arg.id;
        } else if (arg && typeof arg === 'object' && 'trackId' in arg) {
          detail = arg.trackId;
        }
        record(name, detail);
      });
    }
    client.on('trackAdded', (ctx) => attach(ctx));
    client.on('trackReady', (ctx) => {
      record('trackReady', ctx.trackId);
      attach(ctx);
    });
    client.on('trackRemoved', (ctx) => {
      delete state.remote[ctx.trackId];
    });
    await client.connect({ url, token, peerMetadata });
    const peers = client.getRemotePeers();
    for (const peer of Object.values(peers)) {
      for (const ctx of peer.tracks.values()) {
        attach(ctx);
      }
    }
    return client.getLocalPeer()?.id;
  },

  async publishMic() {
    const stream = await navigator.mediaDevices.getUserMedia({
      audio: { echoCancellation: false, noiseSuppression: false, autoGainControl: false },
    });
    const track = stream.getAudioTracks()[0];
    state.micTrack = track;
    state.micTrackId = await state.client.addTrack(track, { type: 'microphone', paused: false });
    return state.micTrackId;
  },

  /** What react-client does on mute: metadata `paused`, then no track on the sender. */
  async mute() {
    state.client.updateTrackMetadata(state.micTrackId, { type: 'microphone', paused: true });
    await state.client.replaceTrack(state.micTrackId, null);
  },

  leave() {
    state.client.leave();
  },

  disconnect() {
    state.client.disconnect();
  },

  localPeer() {
    const peer = state.client?.getLocalPeer();
    return peer ? { id: peer.id, metadata: peer.metadata } : undefined;
  },

  remotePeers() {
    const out = {};
    for (const [id, peer] of Object.entries(state.client?.getRemotePeers() ?? {})) {
      out[id] = { metadata: peer.metadata, tracks: [...peer.tracks.keys()] };
    }
    return out;
  },

  events() {
    return state.events.map((e) => `${e.name}:${e.detail}`);
  },

  remote() {
    return state.remote;
  },

  errors() {
    return state.errors;
  },

  /** inbound-rtp audio of the peer connection (what the browser receives and plays). */
  async inboundAudio() {
    const report = await state.client.getStatistics();
    const out = [];
    report.forEach((s) => {
      if (s.type === 'inbound-rtp' && s.kind === 'audio') {
        out.push({
          mid: s.mid,
          packetsReceived: s.packetsReceived ?? 0,
          audioLevel: s.audioLevel ?? 0,
          totalAudioEnergy: s.totalAudioEnergy ?? 0,
          totalSamplesDuration: s.totalSamplesDuration ?? 0,
        });
      }
    });
    return out;
  },

  async outboundAudio() {
    const report = await state.client.getStatistics();
    const out = [];
    report.forEach((s) => {
      if (s.type === 'outbound-rtp' && s.kind === 'audio') {
        out.push({ mid: s.mid, packetsSent: s.packetsSent ?? 0 });
      }
    });
    return out;
  },
};
