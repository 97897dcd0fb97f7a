/**
 * Where the first sentence of `text` ends: just past a `.`, `!`, `?` or `…` followed by
 * whitespace, or at a word break once the text is longer than maxChars; 0 when there is none yet.
 */
export function sentenceEnd(text: string, maxChars = 160): number {
  const match = /[.!?…]\s/.exec(text);
  if (match) {
    return match.index + 2;
  }
  if (text.length > maxChars) {
    const space = text.lastIndexOf(' ', maxChars);
    return space > 0 ? space + 1 : maxChars;
  }
  return 0;
}

/** Cuts a stream of text pieces into sentences, so speech starts after the first one. */
export async function* sentences(
  pieces: AsyncIterable<string>,
  maxChars = 160,
): AsyncIterable<string> {
  let buffer = '';
  for await (const piece of pieces) {
    buffer += piece;
    let cut: number;
    while ((cut = sentenceEnd(buffer, maxChars)) > 0) {
      const sentence = buffer.slice(0, cut).trim();
      buffer = buffer.slice(cut);
      if (sentence) {
        yield sentence;
      }
    }
  }
  const rest = buffer.trim();
  if (rest) {
    yield rest;
  }
}
