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
 * error log line). `drain()` finishes or closes every session within a deadline. A notifier,
 * connected with the first session or rule (and again after it gives up), ends the speakers of
 * peers that leave in any session's room.
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
  /** Dispatch actions in flight, one chain per (agent, room): a leave waits for its join. */
  readonly #actions = new Map<string, Promise<void>>();
  /** Owned background work (session tasks, notifier connects, dispatch actions); close() awaits it. */
  readonly #tasks = new Set<Promise<unknown>>();
  /** One notifier for dispatch rules and departed speakers, connected at the first need. */
  #notifier: Notifier | undefined;
  #notifierReady: Promise<void> | undefined;
  #watchTimer: NodeJS.Timeout | undefined;
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
    // Checked and claimed with no await in between: two concurrent joins cannot both pass.
    const existing = this.#entries.get(k)?.session;
    if (this.#pending.has(k) || (existing && !existing.closed)) {
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
    try {
      await this.#watch();
    } catch (err) {
      this.#rules.splice(this.#rules.indexOf(rule), 1);
      this.#dispatch.delete(rule);
      throw err;
    }
    await this.#resync();
  }

  /**
   * Stops taking new sessions, lets sessions that are speaking finish their playout, and closes
   * every session by the deadline. Resolves when all handlers have returned.
   */
  async drain(deadlineMs = 10_000): Promise<void> {
    this.#draining = true;
    await Promise.allSettled([...this.#pending.values()]);
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
    this.#stopWatching();
  }

  /** Idempotent: closes every session now and the notifier. */
  async close(): Promise<void> {
    if (this.#closed) {
      return;
    }
    this.#closed = true;
    this.#draining = true;
    this.#stopWatching();
    await Promise.allSettled([...this.#pending.values()]);
    const entries = [...this.#entries.values()];
    await Promise.all(entries.map((e) => e.session.close()));
    await Promise.allSettled([...this.#tasks]);
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
    entry.task = this.#own(this.#run(entry));
    this.#watchSoon(false);
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
    // A newer session for the same (room, agent) may have taken the key already.
    if (this.#entries.get(entry.key) === entry) {
      this.#entries.delete(entry.key);
    }
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

  /**
   * Connects the shared notifier once (dispatch rules and departed speakers need it). A failed
   * connect is forgotten, so the next call tries again.
   */
  #watch(): Promise<void> {
    if (this.#closed) {
      return Promise.reject(new ShoalError('CLOSED', 'the agent host is closed'));
    }
    if (!this.#notifierReady) {
      const notifier = this.client.notifier({ reconnect: this.#options.reconnect });
      this.#notifier = notifier;
      this.#wireNotifier(notifier);
      this.#notifierReady = notifier.connect().catch((err: unknown) => {
        this.#forgetNotifier(notifier);
        notifier.close();
        throw err;
      });
    }
    return this.#notifierReady;
  }

  /** Sessions need the notifier to hear of departed speakers: connect it in the background. */
  #watchSoon(resync: boolean): void {
    if (this.#notifierReady || this.#closed) {
      return;
    }
    this.#own(
      this.#watch().then(
        () => (resync ? this.#resync() : undefined),
        (err: unknown) => {
          if (this.#draining) {
            return;
          }
          this.log.warn({ err }, 'notifier unavailable; departed speakers are not ended');
          this.#watchLater();
        },
      ),
    );
  }

  /** Reconnects a notifier that gave up, while sessions or rules need it. */
  #watchLater(): void {
    if (this.#watchTimer || this.#draining || (this.#entries.size === 0 && !this.#rules.length)) {
      return;
    }
    this.#watchTimer = setTimeout(() => {
      this.#watchTimer = undefined;
      this.#watchSoon(true);
    }, NOTIFIER_RETRY_MS);
    this.#watchTimer.unref();
  }

  #forgetNotifier(notifier: Notifier): void {
    if (this.#notifier === notifier) {
      this.#notifier = undefined;
      this.#notifierReady = undefined;
    }
  }

  #stopWatching(): void {
    clearTimeout(this.#watchTimer);
    this.#watchTimer = undefined;
    const notifier = this.#notifier;
    if (notifier) {
      this.#forgetNotifier(notifier);
      notifier.close();
    }
  }

  /** Keeps a background promise until it settles; close() awaits what is left. */
  #own<T>(task: Promise<T>): Promise<T> {
    this.#tasks.add(task);
    void task.finally(() => this.#tasks.delete(task)).catch(() => undefined);
    return task;
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
        this.#own(this.#resync());
      }
    });
    notifier.on('closed', (err) => {
      if (err) {
        this.log.error({ err }, 'notifier closed; reconnecting later');
        this.#forgetNotifier(notifier);
        this.#watchLater();
      }
    });
  }

  #apply(step: (state: DispatchState) => DispatchAction[]): void {
    for (const rule of this.#rules) {
      const state = this.#dispatch.get(rule) as DispatchState;
      for (const action of step(state)) {
        // Actions for one (agent, room) run in order: a leave never overtakes its join.
        const k = key(action.roomId, rule.agent);
        const chain = (this.#actions.get(k) ?? Promise.resolve()).then(() =>
          this.#act(rule, action),
        );
        this.#actions.set(k, chain);
        void this.#own(chain).then(() => {
          if (this.#actions.get(k) === chain) {
            this.#actions.delete(k);
          }
        });
      }
    }
  }

  /** Whether the rule still wants its agent in the room (someone is there, not draining). */
  #wanted(rule: DispatchRule, roomId: string): boolean {
    return !this.#draining && (this.#dispatch.get(rule)?.humans(roomId).size ?? 0) > 0;
  }

  async #act(rule: DispatchRule, action: DispatchAction): Promise<void> {
    try {
      if (action.type === 'leave') {
        if (rule.leaveWhenEmpty !== false) {
          await this.leave(action.roomId, rule.agent);
        }
        return;
      }
      const existing = this.session(action.roomId, rule.agent);
      if (!this.#wanted(rule, action.roomId) || (existing && !existing.closed)) {
        return;
      }
      if (rule.roomTypes) {
        let type = this.#roomTypes.get(action.roomId);
        if (!type) {
          type = (await this.client.getRoom(action.roomId)).config.roomType;
          this.#roomTypes.set(action.roomId, type);
        }
        // Everyone may have left while the room type was looked up.
        if (!rule.roomTypes.includes(type) || !this.#wanted(rule, action.roomId)) {
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

  /** After missed notifications: room types, departed speakers, and dispatch state again. */
  async #resync(): Promise<void> {
    try {
      const askedAtMs = performance.now();
      const rooms = await this.client.getAllRooms();
      for (const r of rooms) {
        this.#roomTypes.set(r.id, r.config.roomType);
        const connected = new Set(r.peers.filter((p) => p.status === 'connected').map((p) => p.id));
        for (const e of this.#entries.values()) {
          if (e.session.roomId !== r.id) {
            continue;
          }
          for (const s of e.session.currentSpeakers) {
            // Heard since the snapshot was asked for: still here, whatever the snapshot says.
            if (!connected.has(s.peerId) && s.lastHeardAtMs < askedAtMs) {
              e.session.endSpeaker(s.peerId);
            }
          }
        }
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

/** How long to wait before reconnecting a notifier that gave up. */
const NOTIFIER_RETRY_MS = 5000;

function key(roomId: string, agentName: string): string {
  return `${roomId}\u0000${agentName}`;
}
