import type { FishjamClient } from '@fishjam-cloud/js-server-sdk';
import {
  type FishjamAgent,
  type IncomingTrackData,
  type RoomId,
} from '@fishjam-cloud/js-server-sdk';
import { WebSocket } from 'ws';
import { AgentRequest, AgentResponse } from '../../src/protocol/index.js';

export interface Heard {
  atMs: number;
  peerId: string;
  trackId: string | undefined;
  data: Uint8Array;
}

/** An official FishjamAgent plus everything it hears, with arrival times. */
export async function listeningAgent(
  fishjam: FishjamClient,
  roomId: RoomId,
  sampleRateHz: 16000 | 24000,
): Promise<{
  agent: FishjamAgent;
  peerId: string;
  heard: Heard[];
  close: { code?: number; reason?: string };
}> {
  const close: { code?: number; reason?: string } = {};
  const { agent, peer } = await fishjam.createAgent(
    roomId,
    { output: { audioFormat: 'pcm16', audioSampleRate: sampleRateHz } },
    {
      onClose: (code, reason) => {
        close.code = code;
        close.reason = reason;
      },
    },
  );
  const heard: Heard[] = [];
  agent.on('trackData', (msg: IncomingTrackData) =>
    heard.push({
      atMs: performance.now(),
      peerId: msg.peerId,
      trackId: msg.track?.id,
      data: new Uint8Array(msg.data),
    }),
  );
  return { agent, peerId: peer.id, heard, close };
}

export function samplesOf(heard: Heard[]): Int16Array {
  const total = heard.reduce((n, h) => n + h.data.length, 0);
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const h of heard) {
    bytes.set(h.data, offset);
    offset += h.data.length;
  }
  return new Int16Array(bytes.buffer, 0, Math.floor(total / 2));
}

/** A hand-driven agent socket for bad-input tests: raw frames in, decoded frames and close out. */
export async function rawAgent(url: string): Promise<{
  ws: WebSocket;
  replies: AgentResponse[];
  send(message: Parameters<typeof AgentRequest.encode>[0]): void;
  closed: Promise<{ code: number; reason: string }>;
}> {
  const ws = new WebSocket(url);
  const replies: AgentResponse[] = [];
  ws.on('message', (data) => replies.push(AgentResponse.decode(data as Buffer)));
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  return {
    ws,
    replies,
    send: (message) => ws.send(AgentRequest.encode(message).finish()),
    closed,
  };
}

export async function agentToken(
  origin: string,
  managementToken: string,
  roomId: string,
  options: object = {},
): Promise<{ token: string; peerId: string }> {
  const res = await fetch(`${origin}/room/${roomId}/peer`, {
    method: 'POST',
    headers: { authorization: `Bearer ${managementToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ type: 'agent', options }),
  });
  const body = (await res.json()) as { data: { token: string; peer: { id: string } } };
  return { token: body.data.token, peerId: body.data.peer.id };
}
