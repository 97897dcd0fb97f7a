/**
 * Who may take a turn when several people talk. `any`: everyone's turns count. `first-come`: the
 * first to start speaking holds the floor until their turn ends; others are ignored meanwhile.
 */
export type FloorPolicyName = 'any' | 'first-come';

/** A pure floor arbiter. */
export class FloorPolicy {
  readonly name: FloorPolicyName;
  #holder: string | undefined;

  constructor(name: FloorPolicyName = 'any') {
    this.name = name;
  }

  get holder(): string | undefined {
    return this.#holder;
  }

  /** A speaker started speaking: may they take a turn? */
  request(peerId: string): boolean {
    if (this.name === 'any') {
      return true;
    }
    if (this.#holder === undefined || this.#holder === peerId) {
      this.#holder = peerId;
      return true;
    }
    return false;
  }

  /** Whether the speaker's speech counts now. */
  allows(peerId: string): boolean {
    return this.name === 'any' || this.#holder === undefined || this.#holder === peerId;
  }

  /** The speaker's turn ended (or they left): the floor frees when they held it. */
  release(peerId: string): boolean {
    if (this.#holder === peerId) {
      this.#holder = undefined;
      return true;
    }
    return false;
  }
}
