import type { AgentHost, AgentSession } from '../agent/index.js';
import type { Logger } from '../server/index.js';

/** What the demo needs of the room server (its own process, so direct calls are fine). */
export interface DemoRoomSource {
  getRoom(roomId: string): Promise<{ peers: { type: string; status: string }[] }>;
  deleteRoom(roomId: string): Promise<void>;
}

/**
 * The demo's rooms: which agents each room asked for, and who is in it. Agents join when a
 * person connects (not when a peer is merely created) and leave after the last person leaves.
 * A room nobody has been connected to for `idleMs` is deleted, so abandoned tabs and stray
 * room-manager calls do not accumulate rooms, peers or agent sessions.
 */
export class DemoRooms {
  readonly #host: AgentHost;
  readonly #rooms: DemoRoomSource;
  readonly #log: Logger;
  readonly #idleMs: number;
  readonly #wanted = new Map<string, readonly string[]>();
  readonly #sessions = new Map<string, Map<string, AgentSession>>();
  readonly #idleSince = new Map<string, number>();
  readonly #sweeper: NodeJS.Timeout;

  constructor(options: { host: AgentHost; rooms: DemoRoomSource; log: Logger; idleMs?: number }) {
    this.#host = options.host;
    this.#rooms = options.rooms;
    this.#log = options.log.child({ component: 'demo' });
    this.#idleMs = options.idleMs ?? 60_000;
    this.#sweeper = setInterval(() => void this.sweep(), Math.min(this.#idleMs, 30_000));
    this.#sweeper.unref();
    options.host.on('sessionEnded', (session) => this.#ended(session));
  }

  /** The room manager created a peer in `roomId` that asked for these agents. */
  want(roomId: string, agents: readonly string[], nowMs = Date.now()): void {
    this.#wanted.set(roomId, agents);
    if (!this.#idleSince.has(roomId)) {
      this.#idleSince.set(roomId, nowMs);
    }
  }

  /** A person (WebRTC peer) connected: bring the room's agents in. */
  async personConnected(roomId: string): Promise<void> {
    const wanted = this.#wanted.get(roomId);
    if (!wanted) {
      return;
    }
    this.#idleSince.delete(roomId);
    const sessions = this.#sessions.get(roomId) ?? new Map<string, AgentSession>();
    this.#sessions.set(roomId, sessions);
    for (const agent of wanted) {
      if (sessions.has(agent)) {
        continue;
      }
      try {
        sessions.set(agent, await this.#host.join(roomId, agent));
      } catch (err) {
        this.#log.warn({ err, roomId, agent }, 'could not put the agent in the room');
      }
    }
  }

  /** Someone left: when no person is connected any more, the agents leave. */
  async personLeft(roomId: string, nowMs = Date.now()): Promise<void> {
    if (!this.#wanted.has(roomId) || (await this.#peopleIn(roomId)) > 0) {
      return;
    }
    this.#idleSince.set(roomId, nowMs);
    const sessions = this.#sessions.get(roomId);
    this.#sessions.delete(roomId);
    for (const agent of sessions?.keys() ?? []) {
      await this.#host.leave(roomId, agent).catch(() => undefined);
    }
  }

  roomDeleted(roomId: string): void {
    this.#wanted.delete(roomId);
    this.#sessions.delete(roomId);
    this.#idleSince.delete(roomId);
  }

  /** Deletes rooms that have had nobody connected for `idleMs`. */
  async sweep(nowMs = Date.now()): Promise<void> {
    for (const [roomId, since] of [...this.#idleSince]) {
      if (nowMs - since < this.#idleMs || (await this.#peopleIn(roomId)) > 0) {
        continue;
      }
      await this.#rooms.deleteRoom(roomId).catch(() => undefined);
      this.roomDeleted(roomId);
    }
  }

  get roomCount(): number {
    return this.#wanted.size;
  }

  close(): void {
    clearInterval(this.#sweeper);
  }

  async #peopleIn(roomId: string): Promise<number> {
    try {
      const room = await this.#rooms.getRoom(roomId);
      return room.peers.filter((p) => p.type === 'webrtc' && p.status === 'connected').length;
    } catch {
      this.roomDeleted(roomId);
      return 0;
    }
  }

  #ended(session: AgentSession): void {
    const sessions = this.#sessions.get(session.roomId);
    if (sessions?.get(session.agentName) === session) {
      sessions.delete(session.agentName);
    }
  }
}
