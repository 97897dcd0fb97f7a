import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { generateSpeechLike } from '../../media/pcm/index.js';
import { selfSignedCertificate } from './tls.js';

export interface FakeRealtimeReply {
  transcript: string;
  /** PCM16 24 kHz (default: speech-like, 60 ms per transcript character). */
  audio?: Int16Array;
}

export interface FakeRealtimeFaults {
  /** The first connection is cut abruptly after this many audio deltas of its first reply. */
  dropAfterDeltas?: number;
  /** Garbage frames sent before each reply's audio (non-JSON, JSON without a type, bad base64). */
  garbageBeforeReply?: number;
  /** Only garbage, forever, instead of replies. */
  onlyGarbage?: boolean;
  /** Connections after the first are refused (closed before session.created). */
  refuseReconnects?: boolean;
}

export interface FakeOpenAIRealtimeOptions {
  /** Reply n (0-based); default: "Reply number n+1." with speech-like audio. */
  reply?: (n: number) => FakeRealtimeReply;
  /** Transcript of the user's turn n (default: "user turn n+1"). */
  userTranscript?: (n: number) => string;
  /** Audio per delta event (default 100 ms). */
  deltaMs?: number;
  /** Pause between deltas (default 0: as fast as possible, like the real API). */
  deltaIntervalMs?: number;
  faults?: FakeRealtimeFaults;
  /** TLS key and certificate (default: a fresh self-signed one). */
  tls?: { key: string; cert: string };
}

export interface FakeRealtimeConnection {
  index: number;
  url: string;
  authorization: string | undefined;
  /** Every client event, parsed, in order. */
  events: { type: string; [key: string]: unknown }[];
  socket: WebSocket;
}

/**
 * A local fake of the OpenAI Realtime WebSocket protocol (GA event names), over TLS because the
 * `openai` package always dials wss. Point `openaiRealtime({ baseURL: fake.baseURL, ws: { ca:
 * fake.ca } })` at it. Scripted replies are streamed as `response.output_audio.delta` events;
 * `response.cancel` stops them; faults simulate drops and garbage.
 */
export class FakeOpenAIRealtimeServer {
  readonly connections: FakeRealtimeConnection[] = [];
  readonly baseURL: string;
  /** The certificate to trust (pass as `ws: { ca }`). */
  readonly ca: string;
  readonly #server: Server;
  readonly #wss: WebSocketServer;
  readonly #options: FakeOpenAIRealtimeOptions;
  #replies = 0;
  #commits = 0;
  #ids = 0;

  private constructor(
    server: Server,
    wss: WebSocketServer,
    ca: string,
    options: FakeOpenAIRealtimeOptions,
  ) {
    this.#server = server;
    this.#wss = wss;
    this.ca = ca;
    this.#options = options;
    const { port } = server.address() as AddressInfo;
    this.baseURL = `https://127.0.0.1:${port}/v1`;
    wss.on('connection', (ws, request) =>
      this.#accept(ws, request.url ?? '', request.headers.authorization),
    );
  }

  static async start(options: FakeOpenAIRealtimeOptions = {}): Promise<FakeOpenAIRealtimeServer> {
    const tls = options.tls ?? (await selfSignedCertificate());
    const server = createServer({ key: tls.key, cert: tls.cert });
    const wss = new WebSocketServer({ server, path: '/v1/realtime' });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return new FakeOpenAIRealtimeServer(server, wss, tls.cert, options);
  }

  /** Client events of a type, across connections. */
  received(type: string): { type: string; [key: string]: unknown }[] {
    return this.connections.flatMap((c) => c.events.filter((e) => e.type === type));
  }

  async close(): Promise<void> {
    for (const c of this.connections) {
      c.socket.terminate();
    }
    await new Promise<void>((resolve) => this.#wss.close(() => resolve()));
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #id(prefix: string): string {
    this.#ids += 1;
    return `${prefix}_${this.#ids}`;
  }

  #accept(ws: WebSocket, url: string, authorization: string | undefined): void {
    const connection: FakeRealtimeConnection = {
      index: this.connections.length,
      url,
      authorization,
      events: [],
      socket: ws,
    };
    this.connections.push(connection);
    const faults = this.#options.faults ?? {};
    if (faults.refuseReconnects && connection.index > 0) {
      ws.close(1011, 'refused by the fake');
      return;
    }
    const send = (event: Record<string, unknown>): void => {
      if (ws.readyState === ws.OPEN) {
        ws.send(JSON.stringify({ event_id: this.#id('event'), ...event }));
      }
    };
    let streaming: { cancelled: boolean } | undefined;
    send({ type: 'session.created', session: { type: 'realtime', id: this.#id('sess') } });
    ws.on('message', (data) => {
      let event: { type: string; [key: string]: unknown };
      try {
        event = JSON.parse(data.toString()) as typeof event;
      } catch {
        return;
      }
      connection.events.push(event);
      switch (event.type) {
        case 'session.update':
          send({ type: 'session.updated', session: event['session'] });
          break;
        case 'input_audio_buffer.commit': {
          const itemId = this.#id('item');
          const n = this.#commits++;
          send({ type: 'input_audio_buffer.committed', item_id: itemId });
          send({
            type: 'conversation.item.input_audio_transcription.completed',
            item_id: itemId,
            content_index: 0,
            transcript: this.#options.userTranscript?.(n) ?? `user turn ${n + 1}`,
          });
          break;
        }
        case 'input_audio_buffer.clear':
          send({ type: 'input_audio_buffer.cleared' });
          break;
        case 'conversation.item.create':
          send({ type: 'conversation.item.created', item: { id: this.#id('item') } });
          break;
        case 'conversation.item.truncate':
          send({
            type: 'conversation.item.truncated',
            item_id: event['item_id'],
            content_index: 0,
            audio_end_ms: event['audio_end_ms'],
          });
          break;
        case 'response.cancel':
          if (streaming) {
            streaming.cancelled = true;
          }
          break;
        case 'response.create': {
          const state = { cancelled: false };
          streaming = state;
          void this.#reply(connection, send, state);
          break;
        }
        default:
          break;
      }
    });
  }

  async #reply(
    connection: FakeRealtimeConnection,
    send: (event: Record<string, unknown>) => void,
    state: { cancelled: boolean },
  ): Promise<void> {
    const faults = this.#options.faults ?? {};
    const ws = connection.socket;
    const n = this.#replies++;
    const responseId = this.#id('resp');
    const itemId = this.#id('item');
    const reply = this.#options.reply?.(n) ?? { transcript: `Reply number ${n + 1}.` };
    send({ type: 'response.created', response: { id: responseId, status: 'in_progress' } });
    send({
      type: 'response.output_item.added',
      response_id: responseId,
      output_index: 0,
      item: { id: itemId, type: 'message', role: 'assistant' },
    });
    const garbage = [
      'this is not json {',
      '42',
      '{"no_type": true}',
      JSON.stringify({
        type: 'response.output_audio.delta',
        item_id: itemId,
        delta: '!!not base64!!',
      }),
    ];
    if (faults.onlyGarbage) {
      for (let i = 0; ws.readyState === ws.OPEN && !state.cancelled && i < 1000; i++) {
        ws.send(garbage[i % garbage.length] as string);
        await new Promise((r) => setTimeout(r, 5));
      }
      return;
    }
    for (let i = 0; i < (faults.garbageBeforeReply ?? 0); i++) {
      ws.send(garbage[i % garbage.length] as string);
    }
    const audio =
      reply.audio ??
      generateSpeechLike({
        sampleRateHz: 24_000,
        durationMs: Math.max(300, reply.transcript.length * 60),
        seed: n + 7,
      });
    const step = (24_000 * (this.#options.deltaMs ?? 100)) / 1000;
    let deltas = 0;
    for (let offset = 0; offset < audio.length; offset += step) {
      if (state.cancelled || ws.readyState !== ws.OPEN) {
        break;
      }
      const piece = audio.subarray(offset, offset + step);
      send({
        type: 'response.output_audio.delta',
        response_id: responseId,
        item_id: itemId,
        output_index: 0,
        content_index: 0,
        delta: Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength).toString('base64'),
      });
      deltas += 1;
      if (
        faults.dropAfterDeltas !== undefined &&
        connection.index === 0 &&
        n === 0 &&
        deltas >= faults.dropAfterDeltas
      ) {
        ws.terminate();
        return;
      }
      await new Promise((r) => setTimeout(r, this.#options.deltaIntervalMs ?? 0));
    }
    if (ws.readyState !== ws.OPEN) {
      return;
    }
    send({ type: 'response.output_audio.done', response_id: responseId, item_id: itemId });
    if (!state.cancelled) {
      send({
        type: 'response.output_audio_transcript.done',
        response_id: responseId,
        item_id: itemId,
        transcript: reply.transcript,
      });
    }
    send({
      type: 'response.done',
      response: { id: responseId, status: state.cancelled ? 'cancelled' : 'completed' },
    });
  }
}
