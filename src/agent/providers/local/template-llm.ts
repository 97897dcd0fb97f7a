import type { ChatMessage, LanguageModel } from '../types.js';

/**
 * A key-free stand-in for a chat model in offline demos: answers the last user message with a
 * template (default "You said: <text>."). Deterministic.
 */
export function templateLlm(
  reply: (lastUserText: string) => string = (text) =>
    text ? `You said: ${text}.` : 'I did not catch that.',
): LanguageModel {
  return {
    name: 'local-template',
    async *complete(messages: readonly ChatMessage[]) {
      const last = [...messages].reverse().find((m) => m.role === 'user');
      yield reply(last?.content.trim() ?? '');
    },
  };
}
