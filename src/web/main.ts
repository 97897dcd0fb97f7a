/**
 * The demo page: joins a room through the sandbox-compatible room manager with the official
 * @fishjam-cloud/ts-client, publishes the microphone, plays what the room sends, shows who is
 * speaking, and shows live captions and the agent's state from the room's event feed.
 */
import { FishjamClient } from '@fishjam-cloud/ts-client';

interface AgentChoice {
  name: string;
  label: string;
  available: boolean;
  reason?: string;
}

interface PeerView {
  id: string;
  name: string;
  level: number;
  element: HTMLLIElement;
}

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const form = $<HTMLFormElement>('join');
const statusLine = $<HTMLParagraphElement>('status');
const peersList = $<HTMLUListElement>('peers');
const captions = $<HTMLOListElement>('captions');
const agentState = $<HTMLParagraphElement>('agent-state');
const joinButton = $<HTMLButtonElement>('join-button');
const leaveButton = $<HTMLButtonElement>('leave-button');
const agentSelect = $<HTMLSelectElement>('agent');

/** State the end-to-end test reads (and a curious developer can inspect). */
const demo = {
  joined: false,
  roomId: '',
  peerId: '',
  /** Sum of RMS levels heard from remote tracks, sampled every 50 ms (drives the speaking marks). */
  remoteEnergy: 0,
  /** What the browser received and played: inbound-rtp totalAudioEnergy over every remote track. */
  async receivedAudioEnergy(): Promise<number> {
    let total = 0;
    const report = await client?.getStatistics();
    report?.forEach((s: { type?: string; kind?: string; totalAudioEnergy?: number }) => {
      if (s.type === 'inbound-rtp' && s.kind === 'audio') {
        total += s.totalAudioEnergy ?? 0;
      }
    });
    return total;
  },
  captions: [] as { speaker: string; text: string }[],
  states: [] as string[],
  errors: [] as string[],
};
(window as unknown as { shoalDemo: typeof demo }).shoalDemo = demo;

const peers = new Map<string, PeerView>();
let client: FishjamClient | undefined;
let feed: EventSource | undefined;
let audioContext: AudioContext | undefined;
const meters: { analyser: AnalyserNode; peerId: string; remote: boolean }[] = [];

function setStatus(text: string): void {
  statusLine.textContent = text;
}

function peerName(metadata: unknown, fallback: string): string {
  const m = metadata as { peer?: { displayName?: string }; server?: { name?: string } } | undefined;
  return m?.peer?.displayName ?? m?.server?.name ?? fallback;
}

function showPeer(id: string, name: string): PeerView {
  let view = peers.get(id);
  if (!view) {
    const element = document.createElement('li');
    peersList.appendChild(element);
    view = { id, name, level: 0, element };
    peers.set(id, view);
  }
  view.name = name;
  view.element.textContent = name;
  return view;
}

function forgetPeer(id: string): void {
  peers.get(id)?.element.remove();
  peers.delete(id);
}

function meter(stream: MediaStream, peerId: string, remote: boolean): void {
  audioContext ??= new AudioContext();
  const analyser = audioContext.createAnalyser();
  analyser.fftSize = 1024;
  audioContext.createMediaStreamSource(stream).connect(analyser);
  meters.push({ analyser, peerId, remote });
}

const samples = new Float32Array(1024);
setInterval(() => {
  for (const m of meters) {
    m.analyser.getFloatTimeDomainData(samples);
    let sum = 0;
    for (const v of samples) {
      sum += v * v;
    }
    const level = Math.sqrt(sum / samples.length);
    if (m.remote) {
      demo.remoteEnergy += level;
    }
    const view = peers.get(m.peerId);
    if (view) {
      view.level = level;
      view.element.classList.toggle('speaking', level > 0.01);
    }
  }
}, 50);

function playRemote(stream: MediaStream, peerId: string): void {
  const audio = document.createElement('audio');
  audio.autoplay = true;
  audio.srcObject = stream;
  $('audio').appendChild(audio);
  audio.play().catch((err: unknown) => demo.errors.push(`play: ${String(err)}`));
  meter(stream, peerId, true);
}

function addCaption(speaker: string, text: string): void {
  demo.captions.push({ speaker, text });
  const item = document.createElement('li');
  const who = document.createElement('span');
  who.className = 'who';
  who.textContent = `${speaker}:`;
  item.append(who, document.createTextNode(text));
  captions.appendChild(item);
  item.scrollIntoView({ block: 'end' });
}

function listen(roomId: string): void {
  feed = new EventSource(`/live/${encodeURIComponent(roomId)}/events`);
  feed.addEventListener('transcript', (e) => {
    const data = JSON.parse((e as MessageEvent<string>).data) as {
      peerId: string;
      text: string;
      final?: boolean;
    };
    if (data.final !== false && data.text.trim()) {
      addCaption(peers.get(data.peerId)?.name ?? data.peerId.slice(0, 8), data.text);
    }
  });
  feed.addEventListener('state', (e) => {
    const data = JSON.parse((e as MessageEvent<string>).data) as { agent: string; state: string };
    demo.states.push(data.state);
    agentState.textContent = `${data.agent}: ${data.state}`;
  });
}

async function join(): Promise<void> {
  const roomName = $<HTMLInputElement>('room').value.trim();
  const peerName_ = $<HTMLInputElement>('name').value.trim();
  const agent = agentSelect.value;
  joinButton.disabled = true;
  setStatus('Joining…');
  const query = new URLSearchParams({
    roomName,
    peerName: peerName_,
    roomType: 'audio_only',
    agent,
  });
  const res = await fetch(`/room-manager?${query.toString()}`);
  const body = (await res.json()) as {
    peerToken: string;
    url: string;
    room: { id: string };
    errors?: string;
  };
  if (!res.ok) {
    throw new Error(body.errors ?? `room manager answered ${res.status}`);
  }
  demo.roomId = body.room.id;
  listen(body.room.id);

  const c = new FishjamClient({ reconnect: false });
  client = c;
  c.on('peerJoined', (peer) => showPeer(peer.id, peerName(peer.metadata, peer.id.slice(0, 8))));
  c.on('peerLeft', (peer) => forgetPeer(peer.id));
  c.on('trackReady', (ctx) => {
    if (ctx.stream) {
      playRemote(ctx.stream, ctx.endpoint.id);
    }
  });
  c.on('disconnected', () => setStatus('Disconnected.'));
  c.on('joinError', (e) => demo.errors.push(`joinError: ${JSON.stringify(e)}`));
  await c.connect({
    url: body.url,
    token: body.peerToken,
    peerMetadata: { displayName: peerName_ },
  });
  const local = c.getLocalPeer();
  demo.peerId = local?.id ?? '';
  showPeer(demo.peerId, `${peerName_} (you)`);
  for (const peer of Object.values(c.getRemotePeers())) {
    showPeer(peer.id, peerName(peer.metadata, peer.id.slice(0, 8)));
  }

  const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
  const track = stream.getAudioTracks()[0];
  if (!track) {
    throw new Error('no microphone');
  }
  await c.addTrack(track, { type: 'microphone', paused: false });
  meter(stream, demo.peerId, false);
  demo.joined = true;
  leaveButton.disabled = false;
  setStatus(`In room "${roomName}" with ${agent}. Say something, then pause.`);
}

function leave(): void {
  client?.leave();
  client?.disconnect();
  client = undefined;
  feed?.close();
  for (const id of [...peers.keys()]) {
    forgetPeer(id);
  }
  meters.length = 0;
  $('audio').replaceChildren();
  demo.joined = false;
  joinButton.disabled = false;
  leaveButton.disabled = true;
  setStatus('Left the room.');
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  join().catch((err: unknown) => {
    demo.errors.push(String(err));
    setStatus(`Could not join: ${String(err)}`);
    joinButton.disabled = false;
  });
});
leaveButton.addEventListener('click', leave);

void fetch('/demo/config')
  .then((res) => res.json() as Promise<{ agents: AgentChoice[]; phrases: string[] | null }>)
  .then(({ agents, phrases }) => {
    if (phrases) {
      const hint = $<HTMLParagraphElement>('phrases');
      hint.textContent = `Offline speech recognition (no OPENAI_API_KEY) knows these phrases: ${phrases.map((p) => `“${p}”`).join(', ')}.`;
      hint.hidden = false;
    }
    for (const a of agents) {
      const option = document.createElement('option');
      option.value = a.name;
      option.textContent = a.available ? a.label : `${a.label} (${a.reason ?? 'unavailable'})`;
      option.disabled = !a.available;
      agentSelect.appendChild(option);
    }
  })
  .catch((err: unknown) => demo.errors.push(`config: ${String(err)}`));
