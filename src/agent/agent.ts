import type { AgentSession } from './session.js';

/** A kind of agent the host can put in rooms. */
export interface AgentDefinition {
  readonly name: string;
  /** The rate the agent hears the room at (the agent peer's `output.audioSampleRate`; default 16000). */
  readonly inputSampleRateHz?: 16000 | 24000;
  readonly subscribeMode?: 'auto' | 'manual';
  /** Once per host, before any session (load models, check keys). */
  prepare?(): Promise<void>;
  /**
   * Runs the agent in one room. The session ends when this returns or throws; a throw ends only
   * this session and is reported. Watch `session.signal` (aborted when the session closes).
   */
  run(session: AgentSession): Promise<void>;
}

/** Identity helper that types an agent definition. */
export function defineAgent(definition: AgentDefinition): AgentDefinition {
  return definition;
}
