import { initResamplers } from '../media/pcm/index.js';
import { ShoalError, TypedEmitter } from '../protocol/index.js';
import type { Notifier } from '../sdk/index.js';
import {
  NotFoundError,
  ShoalClient,
  peerTypeName,
  sleep,
  type BackoffOptions,
  type Room,
} from '../sdk/index.js';
import type { AgentDefinition } from './agent.js';
import { AgentConnection } from './connection.js';
import { AgentSocketClosedError, toShoalError } from './errors.js';
import { DispatchState, type DispatchAction, type DispatchRule } from './dispatch.js';
import { silentLogger, type Logger } from './logger.js';
import { AgentSession } from './session.js';

export interface AgentHostOptions {
  /** Shoal or Fishjam: bare origin, `…/api/v1/connect/<id>` prefix, or hosted Fishjam ID. */
  serverUrl: string;
  managementToken: string;
  agents: readonly AgentDefinition[];
  /** Sessions at once across rooms; joins beyond it fail with UNAVAILABLE (default 32). */
  maxSessions?: number;
  /** Agent socket reconnection (per session). */
  reconnect?: BackoffOptions;
  /** How long a handler may keep running after its session closed (default 2 s). */
  handlerGraceMs?: number;
  log?: Logger;
}

export interface AgentHostEvents extends Record<string, unknown[]> {
  sessionStarted: [session: AgentSession];
  /** `error` is why it ended (handler threw, room deleted, provider failed), or undefined. */
  sessionEnded: [session: AgentSession, error: ShoalError | undefined];
  /** A rule-based join or leave failed (the room is left alone). */
  dispatchError: [error: ShoalError, context: { roomId: string; agent: string }];
}

interface Entry {
  key: string;
  definition: AgentDefinition;
  session: AgentSession;
  task: Promise<void>;
}

/**
 * Puts agents in rooms: creates the agent peer, opens its socket and runs one AgentSession per
 * (agent, room), explicitly (`join`) or by rule from notifier events (`dispatch`). A handler
 * that throws ends only its own session (reported as `sessionEnded` with HANDLER_FAILED and an
 * error log line). `drain()` finishes or closes every session within a deadline.
 */
export class AgentHost extends TypedEmitter<AgentHostEvents> {
  readonly client: ShoalClient;
  readonly log: Logger;
  readonly maxSessions: number;
  readonly #rootLog: Logger;
  readonly #options: AgentHostOptions;
  readonly #definitions = new Map<string, AgentDefinition>();
  readonly #prepared = new Map<string, Promise<void>>();
  readonly #entries = new Map<string, Entry>();
  readonly #pending = new Map<string, Promise<AgentSession>>();
  readonly #rules: DispatchRule[] = [];
  readonly #dispatch = new Map<DispatchRule, DispatchState>();
  readonly #roomTypes = new Map<string, Room['config']['roomType']>();
  #notifier: Notifier | undefined;
  #started: Promise<void> | undefined;
  #draining = false;
  #closed = false;
  readonly stats = { joins: 0, joinFailures: 0, handlerFailures: 0, rejectedAtLimit: 0 };

  constructor(options: AgentHostOptions) {
    super();
    this.#options = options;
    this.client = new ShoalClient({
      serverUrl: options.serverUrl,
      managementToken: options.managementToken,
    });
    this.#rootLog = options.log ?? silentLogger();
    this.log = this.#rootLog.child({ component: 'agent-host' });
    this.maxSessions = options.maxSessions ?? 32;
    this.onListenerError = (err, event) =>
      this.log.error({ err, event: String(event) }, 'agent host listener threw');
    for (const d of options.agents) {
      if (this.#definitions.has(d.name)) {
        throw new ShoalError('BAD_REQUEST', `two agent definitions are named "${d.name}"`);
      }
      this.#definitions.set(d.name, d);
    }
  }

  get draining(): boolean {
    return this.#draining;
  }

  /**
   * Checks the management token (UnauthorizedError) and loads resamplers. Each agent's
   * `prepare()` runs at its first join, so one agent that cannot start never blocks the others.
   */
  start(): Promise<void> {
    this.#started ??= (async () => {
      await this.client.checkCredentials();
      await initResamplers();
      this.log.info({ agents: [...this.#definitions.keys()] }, 'agent host started');
    })();
    return this.#started;
  }

  /** Runs a definition's `prepare()` once; a failure is retried at the next join. */
  #prepare(definition: AgentDefinition): Promise<void> {
    let prepared = this.#prepared.get(definition.name);
    if (!prepared) {
      prepared = Promise.resolve(definition.prepare?.());
      this.#prepared.set(definition.name, prepared);
      prepared.catch(() => this.#prepared.delete(definition.name));
    }
    return prepared;
  }

  /** Live sessions. */
  sessions(): AgentSession[] {
    return [...this.#entries.values()].map((e) => e.session);
  }

  session(roomId: string, agentName: string): AgentSession | undefined {
    return this.#entries.get(key(roomId, agentName))?.session;
  }

  /** Puts an agent in a room now; resolves with its running session. */
  async join(roomId: string, agentName: string): Promise<AgentSession> {
    this.#assertAccepting();
    const definition = this.#definitions.get(agentName);
    if (!definition) {
      throw new ShoalError('NOT_FOUND', `no agent named "${agentName}" in this host`);
    }
    const k = key(roomId, agentName);
    const existing = this.#entries.get(k)?.session ?? (await this.#pending.get(k));
    if (existing && !existing.closed) {
      throw new ShoalError('CONFLICT', `agent "${agentName}" is already in room ${roomId}`);
    }
    if (this.#entries.size + this.#pending.size >= this.maxSessions) {
      this.stats.rejectedAtLimit += 1;
      throw new ShoalError(
        'UNAVAILABLE',
        `agent host is at its limit of ${this.maxSessions} sessions; room ${roomId} not joined`,
      );
    }
    const starting = this.#start(roomId, definition);
    this.#pending.set(k, starting);
    try {
      return await starting;
    } finally {
      this.#pending.delete(k);
    }
  }

  /** Takes an agent out of a room (its peer is deleted). */
  async leave(roomId: string, agentName: string): Promise<void> {
    const k = key(roomId, agentName);
    await this.#pending.get(k)?.catch(() => undefined);
    const entry = this.#entries.get(k);
    if (!entry) {
      return;
    }
    await entry.session.close();
    await entry.task;
  }

  /**
   * Rule-based dispatch from notifier events: rooms matching the rule get the agent when their
   * first person connects; it leaves when the last one leaves.
   */
  async dispatch(rule: DispatchRule): Promise<void> {
    this.#assertAccepting();
    if (!this.#definitions.has(rule.agent)) {
      throw new ShoalError('NOT_FOUND', `no agent named "${rule.agent}" in this host`);
    }
    this.#rules.push(rule);
    this.#dispatch.set(rule, new DispatchState(rule.isHuman));
    if (!this.#notifier) {
      const notifier = this.client.notifier({ reconnect: this.#options.reconnect });
      this.#notifier = notifier;
      this.#wireNotifier(notifier);
      await notifier.connect();
    }
    await this.#resync();
  }

  /**
   * Stops taking new sessions, lets sessions that are speaking finish their playout, and closes
   * every session by the deadline. Resolves when all handlers have returned.
   */
  async drain(deadlineMs = 10_000): Promise<void> {
    this.#draining = true;
    this.#notifier?.close();
    const entries = [...this.#entries.values()];
    this.log.info({ sessions: entries.length, deadlineMs }, 'draining');
    for (const e of entries) {
      e.session.startDraining();
    }
    const deadline = performance.now() + deadlineMs;
    await Promise.all(
      entries.map(async (e) => {
        while (e.session.speaking && performance.now() < deadline && !e.session.closed) {
          await sleep(50);
        }
        await e.session.close();
        await e.task;
      }),
    );
  }

  /** Idempotent: closes every session now and the notifier. */
  async close(): Promise<void> {
    if (this.#closed) {
      return;
    }
    this.#closed = true;
    this.#draining = true;
    this.#notifier?.close();
    await Promise.allSettled([...this.#pending.values()]);
    const entries = [...this.#entries.values()];
    await Promise.all(entries.map((e) => e.session.close()));
    await Promise.all(entries.map((e) => e.task));
    this.removeAllListeners();
  }

  #assertAccepting(): void {
    if (this.#closed || this.#draining) {
      throw new ShoalError('UNAVAILABLE', 'the agent host is draining; no new sessions');
    }
  }

  async #start(roomId: string, definition: AgentDefinition): Promise<AgentSession> {
    await this.start();
    await this.#prepare(definition);
    const inputSampleRateHz = definition.inputSampleRateHz ?? 16000;
    const { peer, token } = await this.client.createAgentPeer(roomId, {
      output: { audioFormat: 'pcm16', audioSampleRate: inputSampleRateHz },
      ...(definition.subscribeMode ? { subscribeMode: definition.subscribeMode } : {}),
    });
    const connection = new AgentConnection({
      serverUrl: this.#options.serverUrl,
      token,
      log: this.#rootLog.child({ agent: definition.name, roomId, peerId: peer.id }),
      ...(this.#options.reconnect ? { reconnect: this.#options.reconnect } : {}),
    });
    try {
      await connection.connect();
    } catch (err) {
      this.stats.joinFailures += 1;
      connection.close();
      await this.#deletePeer(roomId, peer.id);
      throw err;
    }
    const session = new AgentSession({
      connection,
      roomId,
      peerId: peer.id,
      agentName: definition.name,
      inputSampleRateHz,
      log: this.#rootLog,
    });
    const entry: Entry = {
      key: key(roomId, definition.name),
      definition,
      session,
      task: Promise.resolve(),
    };
    this.#entries.set(entry.key, entry);
    this.stats.joins += 1;
    entry.task = this.#run(entry);
    session.log.info('agent joined');
    this.emit('sessionStarted', session);
    return session;
  }

  /** The session's owner task: runs the handler, then cleans up and reports. */
  async #run(entry: Entry): Promise<void> {
    const { session, definition } = entry;
    const grace = this.#options.handlerGraceMs ?? 2000;
    let handlerError: ShoalError | undefined;
    type Outcome = { state: 'returned' } | { state: 'threw'; err: unknown } | { state: 'stuck' };
    const handler: Promise<Outcome> = Promise.resolve()
      .then(() => definition.run(session))
      .then(
        (): Outcome => ({ state: 'returned' }),
        (err: unknown): Outcome => ({ state: 'threw', err }),
      );
    // The handler ends the session by returning; a closed session gives it `grace` to notice.
    const outcome = await Promise.race([
      handler,
      session.done.then(() => sleep(grace)).then((): Outcome => ({ state: 'stuck' })),
    ]);
    if (outcome.state === 'stuck') {
      session.log.warn({ graceMs: grace }, 'handler did not return after its session closed');
    }
    if (outcome.state === 'threw' && !session.closed) {
      this.stats.handlerFailures += 1;
      // A coded error (a provider gave up, a bad key) keeps its code; anything else is a bug.
      handlerError =
        outcome.err instanceof ShoalError
          ? outcome.err
          : new ShoalError(
              'HANDLER_FAILED',
              `agent "${definition.name}" failed in room ${session.roomId}: ${toShoalError(outcome.err).message}`,
              { cause: outcome.err },
            );
      session.log.error({ err: handlerError }, 'agent handler failed; ending its session');
    }
    await session.close(handlerError);
    const ended = await session.done;
    this.#entries.delete(entry.key);
    const gone =
      ended instanceof AgentSocketClosedError &&
      (ended.kind === 'roomStopped' || ended.kind === 'peerRemoved');
    if (!gone) {
      await this.#deletePeer(session.roomId, session.peerId);
    }
    session.log.info({ err: ended }, 'agent left');
    this.emit('sessionEnded', session, ended);
  }

  async #deletePeer(roomId: string, peerId: string): Promise<void> {
    try {
      await this.client.deletePeer(roomId, peerId);
    } catch (err) {
      if (!(err instanceof NotFoundError)) {
        this.log.warn({ err, roomId, peerId }, 'could not delete the agent peer');
      }
    }
  }

  #wireNotifier(notifier: Notifier): void {
    notifier.on('peerConnected', (m) =>
      this.#apply((s) => s.connected(m.roomId, m.peerId, peerTypeName(m.peerType))),
    );
    const gone = (m: { roomId: string; peerId: string }): void => {
      for (const e of this.#entries.values()) {
        if (e.session.roomId === m.roomId) {
          e.session.endSpeaker(m.peerId);
        }
      }
      this.#apply((s) => s.disconnected(m.roomId, m.peerId));
    };
    notifier.on('peerDisconnected', gone);
    notifier.on('peerDeleted', gone);
    notifier.on('roomDeleted', (m) => {
      this.#roomTypes.delete(m.roomId);
      this.#apply((s) => s.roomDeleted(m.roomId));
    });
    notifier.on('connected', (reconnected) => {
      if (reconnected) {
        void this.#resync();
      }
    });
    notifier.on('closed', (err) => {
      if (err) {
        this.log.error({ err }, 'notifier closed; rule-based dispatch stopped');
      }
    });
  }

  #apply(step: (state: DispatchState) => DispatchAction[]): void {
    for (const rule of this.#rules) {
      const state = this.#dispatch.get(rule) as DispatchState;
      for (const action of step(state)) {
        void this.#act(rule, action);
      }
    }
  }

  async #act(rule: DispatchRule, action: DispatchAction): Promise<void> {
    try {
      if (action.type === 'leave') {
        if (rule.leaveWhenEmpty !== false) {
          await this.leave(action.roomId, rule.agent);
        }
        return;
      }
      if (this.#draining || this.session(action.roomId, rule.agent)) {
        return;
      }
      if (rule.roomTypes) {
        let type = this.#roomTypes.get(action.roomId);
        if (!type) {
          type = (await this.client.getRoom(action.roomId)).config.roomType;
          this.#roomTypes.set(action.roomId, type);
        }
        if (!rule.roomTypes.includes(type)) {
          return;
        }
      }
      await this.join(action.roomId, rule.agent);
    } catch (err) {
      const error = toShoalError(err);
      if (error.code === 'CONFLICT') {
        return;
      }
      this.log.warn({ err: error, roomId: action.roomId, agent: rule.agent }, 'dispatch failed');
      this.emit('dispatchError', error, { roomId: action.roomId, agent: rule.agent });
    }
  }

  async #resync(): Promise<void> {
    try {
      const rooms = await this.client.getAllRooms();
      for (const r of rooms) {
        this.#roomTypes.set(r.id, r.config.roomType);
      }
      const snapshot = rooms.map((r) => ({
        roomId: r.id,
        peers: r.peers.map((p) => ({
          peerId: p.id,
          kind: p.type,
          connected: p.status === 'connected',
        })),
      }));
      this.#apply((s) => s.resync(snapshot));
    } catch (err) {
      this.log.warn({ err }, 'could not list rooms to resynchronise dispatch');
    }
  }
}

function key(roomId: string, agentName: string): string {
  return `${roomId}\u0000${agentName}`;
}
