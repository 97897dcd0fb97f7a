import type { RoomType } from '../sdk/index.js';

export type PeerKind = 'webrtc' | 'agent' | 'unknown';

/** Automatic dispatch: which rooms get an agent, and when it leaves. */
export interface DispatchRule {
  /** The agent definition's name. */
  agent: string;
  /** Room types that get the agent (default: every type). */
  roomTypes?: readonly RoomType[];
  /** Which peers count as people (default: WebRTC peers). */
  isHuman?: (peer: { peerId: string; kind: PeerKind }) => boolean;
  /** Leave (and delete the agent peer) when the last person leaves (default true). */
  leaveWhenEmpty?: boolean;
}

/** What the host should do about a room. */
export type DispatchAction = { type: 'join' | 'leave'; roomId: string };

/**
 * Who is in which room, from notifier events: a pure state machine. The first person to connect
 * in a room yields `join`; the last one leaving yields `leave`.
 */
export class DispatchState {
  readonly #humans = new Map<string, Set<string>>();
  readonly #isHuman: (peer: { peerId: string; kind: PeerKind }) => boolean;

  constructor(
    isHuman: (peer: { peerId: string; kind: PeerKind }) => boolean = (p) => p.kind === 'webrtc',
  ) {
    this.#isHuman = isHuman;
  }

  humans(roomId: string): ReadonlySet<string> {
    return this.#humans.get(roomId) ?? new Set();
  }

  connected(roomId: string, peerId: string, kind: PeerKind): DispatchAction[] {
    if (!this.#isHuman({ peerId, kind })) {
      return [];
    }
    let set = this.#humans.get(roomId);
    if (!set) {
      set = new Set();
      this.#humans.set(roomId, set);
    }
    if (set.has(peerId)) {
      return [];
    }
    set.add(peerId);
    return set.size === 1 ? [{ type: 'join', roomId }] : [];
  }

  disconnected(roomId: string, peerId: string): DispatchAction[] {
    const set = this.#humans.get(roomId);
    if (!set?.delete(peerId)) {
      return [];
    }
    if (set.size === 0) {
      this.#humans.delete(roomId);
      return [{ type: 'leave', roomId }];
    }
    return [];
  }

  roomDeleted(roomId: string): DispatchAction[] {
    return this.#humans.delete(roomId) ? [{ type: 'leave', roomId }] : [];
  }

  /** Replaces the state with a snapshot (after a notifier reconnect); returns the differences. */
  resync(
    rooms: readonly {
      roomId: string;
      peers: readonly { peerId: string; kind: PeerKind; connected: boolean }[];
    }[],
  ): DispatchAction[] {
    const actions: DispatchAction[] = [];
    const seen = new Set<string>();
    for (const room of rooms) {
      seen.add(room.roomId);
      const now = new Set(
        room.peers.filter((p) => p.connected && this.#isHuman(p)).map((p) => p.peerId),
      );
      const before = this.#humans.get(room.roomId)?.size ?? 0;
      if (now.size > 0) {
        this.#humans.set(room.roomId, now);
      } else {
        this.#humans.delete(room.roomId);
      }
      if (before === 0 && now.size > 0) {
        actions.push({ type: 'join', roomId: room.roomId });
      } else if (before > 0 && now.size === 0) {
        actions.push({ type: 'leave', roomId: room.roomId });
      }
    }
    for (const roomId of [...this.#humans.keys()]) {
      if (!seen.has(roomId)) {
        this.#humans.delete(roomId);
        actions.push({ type: 'leave', roomId });
      }
    }
    return actions;
  }
}

const ROOM_TYPES: readonly RoomType[] = [
  'conference',
  'audio_only',
  'livestream',
  'audio_only_livestream',
  'full_feature',
  'broadcaster',
];

/**
 * The CLI form of a rule: `audio_only` (rooms of that type), `audio_only,conference`, or `*`
 * (every room). The agent joins when the first person connects and leaves after the last.
 */
export function parseDispatchRule(text: string, agent: string): DispatchRule {
  const spec = text.trim();
  if (spec === '*' || spec === 'all') {
    return { agent };
  }
  const types = spec.split(',').map((t) => t.trim());
  for (const t of types) {
    if (!ROOM_TYPES.includes(t as RoomType)) {
      throw new TypeError(
        `unknown room type "${t}" in dispatch rule (use * or any of ${ROOM_TYPES.join(', ')})`,
      );
    }
  }
  return { agent, roomTypes: types as RoomType[] };
}
