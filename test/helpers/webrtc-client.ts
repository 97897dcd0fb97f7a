/**
 * A Node WebRTC peer (werift) that speaks ts-client 0.25's signaling on the peer socket: auth,
 * connect, renegotiate_tracks → offer_data → offer (sendonly mic + recvonly slots) → answer,
 * trickled candidates. It publishes Opus from PCM in real time and records what it receives
 * (decoded per remote track). For fast integration tests and the bench.
 */
import { randomUUID } from 'node:crypto';
import {
  MediaStreamTrack,
  RTCPeerConnection,
  RTCRtpCodecParameters,
  useNACK,
  usePLI,
  useSdesMid,
  type RTCRtpTransceiver,
} from 'werift';
import { WebSocket } from 'ws';
import {
  createOpusDecoder,
  createOpusEncoder,
  type OpusDecoder,
} from '../../src/media/codec/index.js';
import { RtpSequencer } from '../../src/media/rtp/index.js';
import {
  PeerMessage,
  type IPeerMediaEvent,
  type ServerMediaEvent,
} from '../../src/protocol/index.js';

export interface ReceivedChunk {
  atMs: number;
  samples: Int16Array;
}

export interface RemoteTrackState {
  trackId: string;
  endpointId: string;
  metadataJson: string;
  mid: string | undefined;
  packets: number;
  /** Decoded 48 kHz mono PCM with arrival times (when the client decodes). */
  chunks: ReceivedChunk[];
  /** Raw Opus payloads as received (with `keepPayloads`). */
  payloads: Uint8Array[];
}

export interface WebrtcClientOptions {
  /** `http://host:port` of the server (or any prefix the peer socket is mounted under). */
  origin: string;
  token: string;
  metadata?: unknown;
  /** Decode received Opus and keep the PCM (default true; the bench turns it off). */
  decode?: boolean;
  /** How long join() waits for `connected`. */
  timeoutMs?: number;
  /** Keep every Opus payload sent and received (to prove forwarding without transcoding). */
  keepPayloads?: boolean;
}

interface LocalTrack {
  trackId: string;
  kind: 'audio' | 'video';
  track: MediaStreamTrack;
  /** Key-frame requests (PLI) the server sent for this track. */
  pli: number;
  metadata: unknown;
  transceiver: RTCRtpTransceiver | undefined;
  sequencer: RtpSequencer;
  mid: string | undefined;
}

type Waiter = { check: () => boolean; resolve: () => void };

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class WebrtcTestClient {
  readonly ws: WebSocket;
  peerId = '';
  roomType = 0;
  /** Every server media event, in order. */
  readonly events: ServerMediaEvent[] = [];
  /** `error` media events' messages. */
  readonly errors: string[] = [];
  /** Local offer/answer failures (werift errors), for diagnosis. */
  readonly negotiationErrors: string[] = [];
  readonly endpoints = new Map<string, { metadataJson: string; tracks: Set<string> }>();
  readonly remoteTracks = new Map<string, RemoteTrackState>();
  /** Opus payloads sent per local track (with `keepPayloads`). */
  readonly sentPayloads = new Map<string, Uint8Array[]>();
  closeInfo: { code: number; reason: string } | undefined;
  pc: RTCPeerConnection | undefined;
  readonly #options: WebrtcClientOptions;
  readonly #local = new Map<string, LocalTrack>();
  readonly #decoders = new Map<string, OpusDecoder>();
  /** remote mid → remote track id, from the answers. */
  readonly #midToRemote = new Map<string, string>();
  readonly #waiters = new Set<Waiter>();
  #answers = 0;
  #offerChain: Promise<void> = Promise.resolve();
  #senders = new Set<{ stop: () => void }>();
  #closed = false;

  private constructor(options: WebrtcClientOptions) {
    this.#options = options;
    const url = `${options.origin.replace(/^http/, 'ws').replace(/\/$/, '')}/socket/peer/websocket`;
    this.ws = new WebSocket(url);
    this.ws.binaryType = 'nodebuffer';
    this.ws.on('message', (data) => this.#onMessage(data as Buffer));
    this.ws.on('close', (code, reason) => {
      this.closeInfo = { code, reason: reason.toString() };
      this.#notify();
    });
    this.ws.on('error', () => {});
  }

  /**
   * Opens the peer socket. `stage`: 'open' sends nothing; 'authenticated' sends the AuthRequest
   * and waits for Authenticated; 'joined' (default) also sends `connect` and waits for `connected`.
   */
  static async open(
    options: WebrtcClientOptions,
    stage: 'open' | 'authenticated' | 'joined' = 'joined',
  ): Promise<WebrtcTestClient> {
    const client = new WebrtcTestClient(options);
    await new Promise<void>((resolve, reject) => {
      client.ws.once('open', () => resolve());
      client.ws.once('error', reject);
    });
    const timeoutMs = options.timeoutMs ?? 5000;
    if (stage === 'open') {
      return client;
    }
    client.sendPeerMessage({ authRequest: { token: options.token, sdkVersion: 'web-0.25.1' } });
    await client.waitFor(() => client.roomType !== 0, timeoutMs, 'authenticated');
    if (stage === 'joined') {
      client.sendMediaEvent({ connect: { metadataJson: JSON.stringify(options.metadata ?? {}) } });
      await client.waitFor(() => client.peerId !== '', timeoutMs, 'connected');
    }
    return client;
  }

  /** Resolves with the close code and reason once the server closes the socket. */
  async closed(timeoutMs = 3000): Promise<{ code: number; reason: string }> {
    await this.waitFor(() => this.closeInfo !== undefined, timeoutMs, 'socket closed');
    return this.closeInfo as { code: number; reason: string };
  }

  get answers(): number {
    return this.#answers;
  }

  get connectionState(): string {
    return this.pc?.connectionState ?? 'new';
  }

  sendPeerMessage(message: Parameters<typeof PeerMessage.encode>[0]): void {
    if (this.ws.readyState === WebSocket.OPEN) {
      this.ws.send(PeerMessage.encode(message).finish());
    }
  }

  sendMediaEvent(event: IPeerMediaEvent): void {
    this.sendPeerMessage({ peerMediaEvent: event });
  }

  sendRaw(bytes: Uint8Array | string): void {
    this.ws.send(bytes);
  }

  /** Resolves when `check()` holds; rejects after `timeoutMs`. */
  waitFor(check: () => boolean, timeoutMs: number, what = 'condition'): Promise<void> {
    if (check()) {
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        check,
        resolve: () => {
          clearTimeout(timer);
          clearInterval(poll);
          this.#waiters.delete(waiter);
          resolve();
        },
      };
      const timer = setTimeout(() => {
        clearInterval(poll);
        this.#waiters.delete(waiter);
        reject(new Error(`${what} not reached within ${timeoutMs} ms`));
      }, timeoutMs);
      // Events re-check at once; the poll covers state that changes without one (RTP, PC state).
      const poll = setInterval(() => {
        if (check()) {
          waiter.resolve();
        }
      }, 20);
      this.#waiters.add(waiter);
    });
  }

  /** Adds a microphone-like Opus track (renegotiate_tracks); resolves once it is negotiated. */
  async addAudioTrack(
    metadata: unknown = { type: 'microphone', paused: false },
    timeoutMs = 5000,
  ): Promise<string> {
    const trackId = `${this.peerId}:${randomUUID()}`;
    this.#local.set(trackId, {
      trackId,
      kind: 'audio',
      pli: 0,
      track: new MediaStreamTrack({ kind: 'audio' }),
      metadata,
      transceiver: undefined,
      sequencer: new RtpSequencer({ payloadType: 111 }),
      mid: undefined,
    });
    const answersBefore = this.#answers;
    this.sendMediaEvent({ renegotiateTracks: {} });
    await this.waitFor(
      () => this.#answers > answersBefore && this.#local.get(trackId)?.mid !== undefined,
      timeoutMs,
      'track negotiated',
    );
    return trackId;
  }

  /**
   * Adds a sendonly VP8 video track (renegotiate_tracks) and resolves once the answer to its offer
   * arrived: with the track's mid mapped when the server took it, unmapped when it refused it.
   */
  async addVideoTrack(metadata: unknown = { type: 'camera', paused: false }): Promise<string> {
    const trackId = `${this.peerId}:${randomUUID()}`;
    this.#local.set(trackId, {
      trackId,
      kind: 'video',
      pli: 0,
      track: new MediaStreamTrack({ kind: 'video' }),
      metadata,
      transceiver: undefined,
      sequencer: new RtpSequencer({ payloadType: 96, clockRateHz: 90_000 }),
      mid: undefined,
    });
    const answersBefore = this.#answers;
    this.sendMediaEvent({ renegotiateTracks: {} });
    await this.waitFor(() => this.#answers > answersBefore, 5000, 'video negotiated');
    return trackId;
  }

  /** The mid the server mapped a local track to in its last answer (undefined: refused). */
  localMid(trackId: string): string | undefined {
    return this.#local.get(trackId)?.mid;
  }

  /** Key-frame requests (RTCP PLI) received for a local track. */
  pliCount(trackId: string): number {
    return this.#local.get(trackId)?.pli ?? 0;
  }

  /** Sends `count` fake video packets (opaque payloads; the server forwards, never decodes). */
  async sendVideo(trackId: string, count: number): Promise<Uint8Array[]> {
    const local = this.#local.get(trackId);
    if (!local) {
      throw new Error(`unknown local track ${trackId}`);
    }
    const sent: Uint8Array[] = [];
    for (let i = 0; i < count; i += 1) {
      const payload = new Uint8Array(200).map((_, j) => (i * 7 + j) & 0xff);
      sent.push(payload);
      const packet = local.sequencer.packetize(payload, { durationMs: 20, marker: true });
      local.track.writeRtp(Buffer.from(packet.buffer, packet.byteOffset, packet.byteLength));
      await sleep(10);
    }
    return sent;
  }

  /** Waits for the WebRTC connection (DTLS) to be up. */
  async connected(timeoutMs = 5000): Promise<void> {
    await this.waitFor(() => this.connectionState === 'connected', timeoutMs, 'PC connected');
  }

  /**
   * Sends 48 kHz mono PCM on a local track as Opus, one 20 ms packet per 20 ms of wall time
   * (drift-corrected). Resolves when everything is sent or `stop()` was called.
   */
  sendPcm(
    trackId: string,
    samples48k: Int16Array,
    options: { loop?: boolean } = {},
  ): { done: Promise<void>; stop: () => void } {
    const encoder = createOpusEncoder({ complexity: 5 });
    const frames = Math.floor(samples48k.length / 960);
    return this.#sendLoop(
      trackId,
      (n) => {
        if (!options.loop && n >= frames) {
          return undefined;
        }
        const offset = (n % frames) * 960;
        return encoder.encode(samples48k.subarray(offset, offset + 960));
      },
      () => encoder.close(),
    );
  }

  /** Sends ready-made 20 ms Opus packets in real time (the bench: no encoding cost here). */
  sendOpus(
    trackId: string,
    payloads: readonly Uint8Array[],
    options: { loop?: boolean } = {},
  ): { done: Promise<void>; stop: () => void } {
    return this.#sendLoop(trackId, (n) =>
      !options.loop && n >= payloads.length ? undefined : payloads[n % payloads.length],
    );
  }

  #sendLoop(
    trackId: string,
    next: (n: number) => Uint8Array | undefined,
    cleanup: () => void = () => {},
  ): { done: Promise<void>; stop: () => void } {
    const local = this.#local.get(trackId);
    if (!local) {
      throw new Error(`unknown local track ${trackId}`);
    }
    let stopped = false;
    const handle = {
      stop: () => {
        stopped = true;
      },
    };
    this.#senders.add(handle);
    const done = (async () => {
      const start = performance.now();
      let n = 0;
      try {
        while (!stopped && !this.#closed) {
          const due = start + n * 20;
          const wait = due - performance.now();
          if (wait > 1) {
            await sleep(wait);
            continue;
          }
          const payload = next(n);
          if (!payload) {
            return;
          }
          if (this.#options.keepPayloads) {
            const sent = this.sentPayloads.get(trackId) ?? [];
            sent.push(payload.slice());
            this.sentPayloads.set(trackId, sent);
          }
          const packet = local.sequencer.packetize(payload, { marker: n === 0 });
          local.track.writeRtp(Buffer.from(packet.buffer, packet.byteOffset, packet.byteLength));
          n += 1;
        }
      } finally {
        cleanup();
        this.#senders.delete(handle);
      }
    })();
    return { done, stop: handle.stop };
  }

  updateTrackMetadata(trackId: string, metadata: unknown): void {
    const local = this.#local.get(trackId);
    if (local) {
      local.metadata = metadata;
    }
    this.sendMediaEvent({
      updateTrackMetadata: { trackId, metadataJson: JSON.stringify(metadata) },
    });
  }

  updatePeerMetadata(metadata: unknown): void {
    this.sendMediaEvent({ updateEndpointMetadata: { metadataJson: JSON.stringify(metadata) } });
  }

  /** Decoded PCM of one remote track, concatenated. */
  receivedPcm(trackId: string): Int16Array {
    const chunks = this.remoteTracks.get(trackId)?.chunks ?? [];
    const out = new Int16Array(chunks.reduce((n, c) => n + c.samples.length, 0));
    let offset = 0;
    for (const chunk of chunks) {
      out.set(chunk.samples, offset);
      offset += chunk.samples.length;
    }
    return out;
  }

  /** ts-client's leave(): a `disconnect` media event, the connection closed, the socket kept. */
  leave(): void {
    this.sendMediaEvent({ disconnect: {} });
    this.#stopMedia();
  }

  /** Closes everything (socket included). Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) {
      return;
    }
    this.#closed = true;
    this.#stopMedia();
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) {
      this.ws.close();
    }
    for (const decoder of this.#decoders.values()) {
      decoder.close();
    }
    this.#decoders.clear();
  }

  /** Goes silent on the network without closing anything: no STUN, DTLS, RTP or RTCP leaves. */
  vanish(): void {
    for (const sender of [...this.#senders]) {
      sender.stop();
    }
    for (const transport of this.pc?.iceTransports ?? []) {
      const connection = transport.connection as unknown as {
        protocols: { transport?: { send: (...args: unknown[]) => Promise<void> } }[];
      };
      for (const protocol of connection.protocols) {
        if (protocol.transport) {
          protocol.transport.send = async () => {};
        }
      }
    }
  }

  #stopMedia(): void {
    for (const sender of [...this.#senders]) {
      sender.stop();
    }
    const pc = this.pc;
    this.pc = undefined;
    pc?.close().catch(() => {});
  }

  #notify(): void {
    for (const waiter of [...this.#waiters]) {
      if (waiter.check()) {
        waiter.resolve();
      }
    }
  }

  #onMessage(data: Buffer): void {
    let message: PeerMessage;
    try {
      message = PeerMessage.decode(data);
    } catch {
      return;
    }
    if (message.authenticated) {
      this.roomType = message.authenticated.roomType || -1;
    }
    const event = message.serverMediaEvent as ServerMediaEvent | null | undefined;
    if (event) {
      this.events.push(event);
      this.#onMediaEvent(event);
    }
    this.#notify();
  }

  #onMediaEvent(event: ServerMediaEvent): void {
    if (event.connected) {
      this.peerId = event.connected.endpointId ?? '';
      for (const [id, endpoint] of Object.entries(event.connected.endpointIdToEndpoint ?? {})) {
        this.endpoints.set(id, { metadataJson: endpoint.metadataJson ?? '', tracks: new Set() });
        if (id !== this.peerId) {
          this.#addRemoteTracks(id, endpoint.trackIdToTrack ?? {});
        }
      }
    } else if (event.endpointAdded) {
      const endpointId = event.endpointAdded.endpointId ?? '';
      if (this.endpoints.has(endpointId)) {
        throw new Error(`endpoint_added for known endpoint ${endpointId}`);
      }
      this.endpoints.set(endpointId, {
        metadataJson: event.endpointAdded.metadataJson ?? '',
        tracks: new Set(),
      });
    } else if (event.endpointRemoved) {
      const endpointId = event.endpointRemoved.endpointId ?? '';
      const endpoint = this.endpoints.get(endpointId);
      if (!endpoint) {
        throw new Error(`endpoint_removed for unknown endpoint ${endpointId}`);
      }
      for (const trackId of endpoint.tracks) {
        this.remoteTracks.delete(trackId);
      }
      this.endpoints.delete(endpointId);
    } else if (event.endpointUpdated) {
      const endpoint = this.endpoints.get(event.endpointUpdated.endpointId ?? '');
      if (endpoint) {
        endpoint.metadataJson = event.endpointUpdated.metadataJson ?? '';
      }
    } else if (event.tracksAdded) {
      this.#addRemoteTracks(
        event.tracksAdded.endpointId ?? '',
        event.tracksAdded.trackIdToTrack ?? {},
      );
    } else if (event.tracksRemoved) {
      const endpointId = event.tracksRemoved.endpointId ?? '';
      for (const trackId of event.tracksRemoved.trackIds ?? []) {
        if (!this.remoteTracks.has(trackId)) {
          throw new Error(`tracks_removed for unknown track ${trackId}`);
        }
        this.remoteTracks.delete(trackId);
        this.endpoints.get(endpointId)?.tracks.delete(trackId);
      }
    } else if (event.trackUpdated) {
      const track = this.remoteTracks.get(event.trackUpdated.trackId ?? '');
      if (track) {
        track.metadataJson = event.trackUpdated.metadataJson ?? '';
      }
    } else if (event.offerData) {
      const audio = event.offerData.tracksTypes?.audio ?? 0;
      const video = event.offerData.tracksTypes?.video ?? 0;
      this.#offerChain = this.#offerChain
        .then(() => this.#offer(audio, video))
        .catch((err: unknown) => this.#failed(err));
    } else if (event.sdpAnswer) {
      const sdp = event.sdpAnswer.sdp ?? '';
      const midToTrackId = event.sdpAnswer.midToTrackId ?? {};
      this.#offerChain = this.#offerChain
        .then(() => this.#answer(sdp, midToTrackId))
        .catch((err: unknown) => this.#failed(err));
    } else if (event.error) {
      this.errors.push(event.error.message ?? '');
    }
  }

  #failed(err: unknown): void {
    this.negotiationErrors.push(err instanceof Error ? err.message : String(err));
    this.#notify();
  }

  #addRemoteTracks(endpointId: string, tracks: Record<string, ServerMediaEvent.ITrack>): void {
    const endpoint = this.endpoints.get(endpointId);
    if (!endpoint) {
      throw new Error(`tracks_added for unknown endpoint ${endpointId}`);
    }
    for (const [trackId, track] of Object.entries(tracks)) {
      if (track.metadataJson) {
        JSON.parse(track.metadataJson);
      }
      endpoint.tracks.add(trackId);
      this.remoteTracks.set(trackId, {
        trackId,
        endpointId,
        metadataJson: track.metadataJson ?? '',
        mid: undefined,
        packets: 0,
        chunks: [],
        payloads: [],
      });
    }
  }

  #createConnection(): RTCPeerConnection {
    const pc = new RTCPeerConnection({
      iceServers: [],
      bundlePolicy: 'max-bundle',
      iceAdditionalHostAddresses: ['127.0.0.1'],
      iceInterfaceAddresses: { udp4: '127.0.0.1' },
      iceUseIpv4: false,
      iceUseIpv6: false,
      codecs: {
        audio: [
          new RTCRtpCodecParameters({
            mimeType: 'audio/opus',
            clockRate: 48000,
            channels: 2,
            payloadType: 111,
            parameters: 'minptime=10;useinbandfec=1',
          }),
        ],
        video: [
          new RTCRtpCodecParameters({
            mimeType: 'video/VP8',
            clockRate: 90000,
            payloadType: 96,
            rtcpFeedback: [useNACK(), usePLI()],
          }),
        ],
      },
      headerExtensions: { audio: [useSdesMid()], video: [useSdesMid()] },
    });
    pc.onIceCandidate.subscribe((candidate) => {
      if (!candidate) {
        return;
      }
      const json = candidate.toJSON();
      this.sendMediaEvent({
        candidate: {
          candidate: json.candidate ?? '',
          sdpMLineIndex: json.sdpMLineIndex ?? 0,
          sdpMid: json.sdpMid ?? '',
          usernameFragment: json.usernameFragment ?? '',
        },
      });
    });
    pc.connectionStateChange.subscribe(() => this.#notify());
    return pc;
  }

  async #offer(audio: number, video: number): Promise<void> {
    if (this.#closed) {
      return;
    }
    const pc = (this.pc ??= this.#createConnection());
    // werift fails a second answer applied while its first connection attempt runs.
    if (pc.connectionState === 'connecting') {
      await this.waitFor(() => pc.connectionState !== 'connecting', 10_000, 'connection settled');
    }
    for (const local of this.#local.values()) {
      if (!local.transceiver) {
        local.transceiver = pc.addTransceiver(local.track, { direction: 'sendonly' });
        local.transceiver.sender.onPictureLossIndication.subscribe(() => {
          local.pli += 1;
        });
      }
    }
    const recv = pc.getTransceivers().filter((t) => t.direction === 'recvonly');
    // Like a browser, never recycle an m-line answered inactive for a new transceiver (werift
    // would); Fishjam's slots are never reused.
    for (const transceiver of pc.getTransceivers()) {
      transceiver.usedForSender = true;
    }
    for (const [kind, wanted] of [
      ['audio', audio],
      ['video', video],
    ] as const) {
      const have = recv.filter((t) => t.kind === kind).length;
      for (let i = have; i < wanted; i += 1) {
        const transceiver = pc.addTransceiver(kind, { direction: 'recvonly' });
        transceiver.onTrack.subscribe((track) =>
          track.onReceiveRtp.subscribe((rtp) => this.#onRemoteRtp(transceiver, rtp.payload)),
        );
      }
    }
    const offer = await pc.createOffer();
    await pc.setLocalDescription(offer);
    const midToTrackId: Record<string, string> = {};
    const trackIdToMetadataJson: Record<string, string> = {};
    for (const local of this.#local.values()) {
      if (local.transceiver?.mid) {
        midToTrackId[local.transceiver.mid] = local.trackId;
      }
      trackIdToMetadataJson[local.trackId] = JSON.stringify(local.metadata);
    }
    this.sendMediaEvent({
      sdpOffer: {
        sdp: pc.localDescription?.sdp ?? offer.sdp,
        midToTrackId,
        trackIdToMetadataJson,
        trackIdToBitrates: {},
      },
    });
  }

  async #answer(sdp: string, midToTrackId: Record<string, string>): Promise<void> {
    const pc = this.pc;
    if (!pc || this.#closed) {
      return;
    }
    for (const local of this.#local.values()) {
      local.mid = undefined;
    }
    for (const [mid, trackId] of Object.entries(midToTrackId)) {
      const local = this.#local.get(trackId);
      if (local) {
        local.mid = mid;
        continue;
      }
      this.#midToRemote.set(mid, trackId);
      const remote = this.remoteTracks.get(trackId);
      if (remote) {
        remote.mid = mid;
      }
    }
    await pc.setRemoteDescription({ type: 'answer', sdp });
    this.#answers += 1;
    this.#notify();
  }

  #onRemoteRtp(transceiver: RTCRtpTransceiver, payload: Buffer): void {
    const trackId = transceiver.mid ? this.#midToRemote.get(transceiver.mid) : undefined;
    const remote = trackId ? this.remoteTracks.get(trackId) : undefined;
    if (!trackId || !remote) {
      return;
    }
    remote.packets += 1;
    if (this.#options.keepPayloads) {
      remote.payloads.push(new Uint8Array(payload));
    }
    if (this.#options.decode === false || transceiver.kind !== 'audio') {
      return;
    }
    let decoder = this.#decoders.get(trackId);
    if (!decoder) {
      decoder = createOpusDecoder();
      this.#decoders.set(trackId, decoder);
    }
    try {
      remote.chunks.push({ atMs: performance.now(), samples: decoder.decode(payload) });
    } catch {
      // A corrupt packet: the test sees the gap.
    }
  }
}
