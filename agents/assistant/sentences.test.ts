import { describe, expect, it } from 'vitest';
import { sentenceEnd, sentences } from './sentences.js';

async function* pieces(...parts: string[]): AsyncIterable<string> {
  yield* parts;
}

describe('sentences', () => {
  it('cuts streamed text at sentence ends, waiting for the whitespace after the stop', async () => {
    const out: string[] = [];
    for await (const s of sentences(pieces('Hello the', 're. How a', 're you? Fine', '.'))) {
      out.push(s);
    }
    expect(out).toEqual(['Hello there.', 'How are you?', 'Fine.']);
  });

  it('cuts overlong text at a word break', () => {
    expect(sentenceEnd('aaa bbb ccc', 5)).toBe(4);
    expect(sentenceEnd('no end yet', 100)).toBe(0);
    expect(sentenceEnd('3.5 is a number. ok', 100)).toBe(17);
  });
});
