import {
  defineAgent,
  type AgentDefinition,
  type TurnTakingOptions,
} from '../../src/agent/index.js';

export interface EchoAgentOptions {
  /** Rate the agent hears and plays at (default 24000). */
  sampleRateHz?: 16000 | 24000;
  /** Turn taking: VAD ('silero' default, or 'energy'), end-of-turn silence, barge-in, floor, echo guard. */
  turns?: TurnTakingOptions;
  /** Definition name (default 'echo'). */
  name?: string;
}

/**
 * Plays each speaker's utterance back after their turn ends. No keys, no providers: the smallest
 * complete agent, and the runtime's latency probe (its waterfall is pure framework overhead).
 */
export function echoAgent(options: EchoAgentOptions = {}): AgentDefinition {
  const rate = options.sampleRateHz ?? 24_000;
  return defineAgent({
    name: options.name ?? 'echo',
    inputSampleRateHz: rate,
    async run(session) {
      const track = session.createOutputTrack({
        sampleRateHz: rate,
        metadata: { type: 'agent', agent: 'echo' },
      });
      const turns = session.turnTaking(options.turns);
      for await (const turn of turns.turns()) {
        if (session.draining) {
          break;
        }
        const timer = session
          .turnTimer(turn.peerId)
          .mark('speechEnd', turn.speechEndedAtMs)
          .mark('turnDecided', turn.decidedAtMs)
          // The "provider" of an echo is the recording: its first byte is at hand.
          .mark('firstProviderByte');
        const offSent = track.once('sent', () => timer.mark('firstAudioOut'));
        const offBarge = session.on('bargeIn', () => timer.interrupted());
        try {
          if (await track.write(turn.audio, session.signal)) {
            await track.waitForPlayout(session.signal);
            if (!session.closed) {
              timer.mark('playoutDone', Math.min(performance.now(), track.playoutEndsAtMs));
            }
          }
        } finally {
          offSent();
          offBarge();
          timer.finish();
        }
      }
    },
  });
}
