import { chmod, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fixtureText, speech2Fixture, speechFixture } from '../../../../test/helpers/wav.js';
import { AudioFrame, initResamplers } from '../../../media/pcm/index.js';
import { PocketsphinxStt, phraseWords } from './pocketsphinx.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const words = (text: string): string => phraseWords(text).join(' ');

/** Command lines of live processes that mention `text` (Linux /proc). */
async function processesMentioning(text: string): Promise<string[]> {
  const found: string[] = [];
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid)) {
      continue;
    }
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(text)) {
      found.push(cmdline.replace(/\0/g, ' '));
    }
  }
  return found;
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) {
    await c();
  }
});

async function scratchDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'shoal-sphinx-test-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

beforeAll(() => initResamplers());

describe('PocketsphinxStt (local child process)', () => {
  it('a call never returns the late words of an aborted call before it', async () => {
    const textA = fixtureText('speech.txt');
    const textB = fixtureText('speech2.txt');
    const stt = new PocketsphinxStt({
      phrases: [textA, textB, 'what time is it'],
      pronunciations: { shoal: 'SH OW L' },
    });
    cleanups.push(() => stt.close());
    await stt.warmUp();
    const a = speechFixture(16000).samples;
    const b = speech2Fixture(16000).samples;
    // A is given up on long before the recogniser answers; its words come out during B's call.
    const abort = new AbortController();
    const first = stt.transcribe(new AudioFrame(a, 16000), { signal: abort.signal });
    setTimeout(() => abort.abort(new Error('gave up')), 30);
    await expect(first).rejects.toThrow('gave up');
    const second = await stt.transcribe(new AudioFrame(b, 16000));
    expect(second.text).toBe(words(textB));
    // And the recogniser is still in step afterwards.
    const third = await stt.transcribe(new AudioFrame(a, 16000));
    expect(third.text).toBe(words(textA));
  }, 20_000);

  it('close() while the child is starting leaves no process and no temp directory', async () => {
    const dir = await scratchDir();
    const before = process.env['TMPDIR'];
    process.env['TMPDIR'] = dir;
    cleanups.push(async () => {
      if (before === undefined) {
        delete process.env['TMPDIR'];
      } else {
        process.env['TMPDIR'] = before;
      }
    });
    for (const delayMs of [0, 1, 5, 20, 300]) {
      const stt = new PocketsphinxStt({ phrases: ['what time is it'] });
      const warming = stt.warmUp().then(
        () => 'started',
        (err: unknown) => (err as { code?: string }).code,
      );
      if (delayMs > 0) {
        await sleep(delayMs);
      }
      await stt.close();
      expect(['started', 'CLOSED']).toContain(await warming);
    }
    const deadline = performance.now() + 2000;
    while ((await processesMentioning(dir)).length > 0 && performance.now() < deadline) {
      await sleep(20);
    }
    expect(await processesMentioning(dir)).toEqual([]);
    expect(await readdir(dir)).toEqual([]);
  }, 20_000);

  it('a recogniser that exits between successful calls is restarted every time', async () => {
    const dir = await scratchDir();
    // Answers one utterance, then (after the call has taken its words) ends the `sh -c` wrapper
    // it runs under, as a crashing recogniser would.
    const command = join(dir, 'fake-sphinx.sh');
    await writeFile(
      command,
      '#!/bin/sh\nhead -c 16000 >/dev/null\necho "hello 0.100 0.500 1.000000"\nsleep 0.2\nkill $PPID\n',
    );
    await chmod(command, 0o755);
    const stt = new PocketsphinxStt({ mode: 'free', command });
    cleanups.push(() => stt.close());
    const results: string[] = [];
    for (let i = 0; i < 5; i++) {
      results.push((await stt.transcribe(AudioFrame.silence(500, 16000))).text);
      await sleep(400);
    }
    expect(results).toEqual(['hello', 'hello', 'hello', 'hello', 'hello']);
  }, 20_000);
});
