import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AudioFrame } from '../../../media/pcm/index.js';
import {
  createResampler,
  samplesToPcm16leBytes,
  type Resampler,
} from '../../../media/pcm/index.js';
import { ShoalError } from '../../../protocol/index.js';
import { abortReason } from '../../../sdk/index.js';
import type { ProviderCallOptions, SpeechToText, Transcript } from '../types.js';

export interface PocketsphinxOptions {
  /**
   * 'grammar' (default when phrases are given): recognises only `phrases` (a JSGF grammar) —
   * reliable for known prompts and test speech. 'free': the general en-us language model (poor on
   * synthetic speech).
   */
  mode?: 'grammar' | 'free';
  /** The phrases of grammar mode (case and punctuation are ignored). */
  phrases?: readonly string[];
  /** ARPAbet for words missing from the dictionary, e.g. `{ shoal: 'SH OW L' }`. */
  pronunciations?: Readonly<Record<string, string>>;
  /** Acoustic model directory (default /usr/share/pocketsphinx/model/en-us). */
  modelDir?: string;
  /** The CLI (default 'pocketsphinx_continuous' from Debian's pocketsphinx package). */
  command?: string;
  /** Deadline for one utterance's hypothesis (default 5 s). */
  timeoutMs?: number;
}

const RATE = 16_000;
/** Silence written after an utterance so the recogniser's own VAD closes it (its tail is 0.5 s). */
const FLUSH_SILENCE_MS = 800;
/**
 * A word of a result with `-time yes`: `word start end confidence`, times in seconds of the whole
 * stream the child has read. Times place each word in the call whose audio it came from.
 */
const WORD_LINE = /^(\S+) (\d+\.\d+) (\d+\.\d+) \S+$/;
/** Silence and noise "words" (`<s>`, `<sil>`, `[NOISE]`, `++BREATH++`). */
const FILLER = /^(<.*>|\[.*\]|\+\+.*\+\+)$/;
/** Words of a split utterance can trail the first ones by this much. */
const GRACE_MS = 120;
const MAX_RESPAWNS = 3;
/**
 * Without an utterance (silence in, nothing recognised) no end marker comes; this long without
 * any output from the child means it has consumed the audio (it decodes ~10× faster than real time).
 */
const QUIET_MS = 800;

let dictionary: Promise<Map<string, string[]>> | undefined;

function loadDictionary(path: string): Promise<Map<string, string[]>> {
  dictionary ??= readFile(path, 'utf8').then((text) => {
    const map = new Map<string, string[]>();
    for (const line of text.split('\n')) {
      const space = line.indexOf(' ');
      if (space <= 0) {
        continue;
      }
      const word = line.slice(0, space).replace(/\(\d+\)$/, '');
      const list = map.get(word) ?? [];
      list.push(line.slice(space + 1).trim());
      map.set(word, list);
    }
    return map;
  });
  return dictionary;
}

/** Lowercase words of a phrase, without punctuation. */
export function phraseWords(phrase: string): string[] {
  return phrase.toLowerCase().match(/[a-z][a-z']*/g) ?? [];
}

/**
 * Local, key-free speech recognition with Debian's pocketsphinx_continuous, run as one
 * long-running child process per instance (`sh -c 'cat | exec pocketsphinx_continuous -infile
 * /dev/stdin …'`: Node's stdio pipes are socketpairs, which -infile cannot open). Each utterance
 * is written followed by silence; its words come back on stdout with their times in the stream,
 * so a call only takes words from its own audio (never late ones of a call that timed out or was
 * aborted). Calls are serialised.
 */
export class PocketsphinxStt implements SpeechToText {
  readonly name: string;
  readonly #options: PocketsphinxOptions;
  readonly #mode: 'grammar' | 'free';
  #child: ChildProcessWithoutNullStreams | undefined;
  #dir: string | undefined;
  #starting: Promise<ChildProcessWithoutNullStreams> | undefined;
  #chain: Promise<unknown> = Promise.resolve();
  /** Samples written to the current child: where the next call's audio starts in its stream. */
  #writtenSamples = 0;
  /** The running call: words from its audio (a previous call's late words are older). */
  #call: { fromSec: number; words: string[]; heard: boolean } | undefined;
  #onOutput: (() => void) | undefined;
  #resamplers = new Map<number, Resampler>();
  #respawns = 0;
  #stderrTail = '';
  #closed = false;

  constructor(options: PocketsphinxOptions = {}) {
    this.#options = options;
    this.#mode = options.mode ?? (options.phrases?.length ? 'grammar' : 'free');
    if (this.#mode === 'grammar' && !options.phrases?.length) {
      throw new ShoalError('BAD_REQUEST', 'pocketsphinx grammar mode needs phrases');
    }
    this.name = `pocketsphinx:${this.#mode}`;
  }

  transcribe(audio: AudioFrame, call: ProviderCallOptions = {}): Promise<Transcript> {
    const run = this.#chain.then(() => this.#transcribe(audio, call));
    this.#chain = run.catch(() => undefined);
    return run;
  }

  /** Starts the child now (otherwise on the first utterance); fails fast on a bad setup. */
  async warmUp(): Promise<void> {
    await this.#ensureChild();
  }

  async close(): Promise<void> {
    if (this.#closed) {
      return;
    }
    this.#closed = true;
    this.#child?.kill('SIGTERM');
    this.#child = undefined;
    for (const r of this.#resamplers.values()) {
      r.close();
    }
    if (this.#dir) {
      await rm(this.#dir, { recursive: true, force: true });
    }
  }

  async #transcribe(audio: AudioFrame, call: ProviderCallOptions): Promise<Transcript> {
    this.#assertOpen();
    if (call.signal?.aborted) {
      throw abortReason(call.signal);
    }
    const child = await this.#ensureChild();
    // Words starting before this call's audio (less half the flush silence, for timing slop)
    // are late output of an earlier call: ignored.
    const current = {
      fromSec: (this.#writtenSamples - (RATE * FLUSH_SILENCE_MS) / 2000) / RATE,
      words: [] as string[],
      heard: false,
    };
    this.#call = current;
    const samples = this.#to16k(audio);
    const silence = new Int16Array((RATE * FLUSH_SILENCE_MS) / 1000);
    this.#writtenSamples += samples.length + silence.length;
    child.stdin.write(Buffer.from(samplesToPcm16leBytes(samples)));
    child.stdin.write(Buffer.from(samplesToPcm16leBytes(silence)));
    const timeoutMs = this.#options.timeoutMs ?? 5000;
    await new Promise<void>((resolve, reject) => {
      let grace: NodeJS.Timeout | undefined;
      let quiet = setTimeout(() => finish(), QUIET_MS);
      const finish = (err?: ShoalError): void => {
        clearTimeout(timer);
        clearTimeout(grace);
        clearTimeout(quiet);
        this.#onOutput = undefined;
        this.#call = undefined;
        call.signal?.removeEventListener('abort', onAbort);
        if (err) {
          reject(err);
        } else {
          resolve();
        }
      };
      const onAbort = (): void => finish(abortReason(call.signal as AbortSignal));
      const timer = setTimeout(() => finish(), timeoutMs);
      this.#onOutput = () => {
        clearTimeout(quiet);
        if (!grace) {
          quiet = setTimeout(() => finish(), QUIET_MS);
        }
        if (this.#child !== child) {
          finish(
            new ShoalError(
              'PROVIDER_FAILED',
              `pocketsphinx exited: ${this.#stderrTail.trim().slice(-300)}`,
            ),
          );
          return;
        }
        if (current.heard && !grace) {
          grace = setTimeout(() => finish(), GRACE_MS);
        }
      };
      call.signal?.addEventListener('abort', onAbort, { once: true });
    });
    if (this.#child === child) {
      this.#respawns = 0;
    }
    return { text: current.words.join(' ') };
  }

  #to16k(frame: AudioFrame): Int16Array {
    if (frame.sampleRateHz === RATE) {
      return frame.data;
    }
    let r = this.#resamplers.get(frame.sampleRateHz);
    if (!r) {
      r = createResampler(frame.sampleRateHz, RATE);
      this.#resamplers.set(frame.sampleRateHz, r);
    }
    return r.process(frame.data);
  }

  #ensureChild(): Promise<ChildProcessWithoutNullStreams> {
    if (this.#child) {
      return Promise.resolve(this.#child);
    }
    this.#starting ??= this.#spawn().finally(() => {
      this.#starting = undefined;
    });
    return this.#starting;
  }

  async #spawn(): Promise<ChildProcessWithoutNullStreams> {
    if (this.#respawns >= MAX_RESPAWNS) {
      throw new ShoalError(
        'PROVIDER_FAILED',
        `pocketsphinx keeps exiting (${this.#respawns} restarts)`,
      );
    }
    const modelDir = this.#options.modelDir ?? '/usr/share/pocketsphinx/model/en-us';
    const args = ['-infile', '/dev/stdin', '-time', 'yes', '-hmm', join(modelDir, 'en-us')];
    if (this.#mode === 'grammar') {
      const { jsgf, dict } = await this.#grammarFiles(modelDir).catch((err: unknown) => {
        this.#assertOpen(); // close() removed the directory under it
        throw err;
      });
      this.#assertOpen();
      args.push('-jsgf', jsgf, '-dict', dict);
    } else {
      args.push(
        '-lm',
        join(modelDir, 'en-us.lm.bin'),
        '-dict',
        join(modelDir, 'cmudict-en-us.dict'),
      );
    }
    const command = this.#options.command ?? 'pocketsphinx_continuous';
    const script = `cat | exec ${shellQuote(command)} ${args.map(shellQuote).join(' ')}`;
    const child = spawn('sh', ['-c', script], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.#child = child;
    this.#writtenSamples = 0;
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      if (this.#child !== child) {
        return;
      }
      out += chunk;
      let nl: number;
      while ((nl = out.indexOf('\n')) >= 0) {
        this.#onLine(out.slice(0, nl).trim());
        out = out.slice(nl + 1);
      }
      this.#onOutput?.();
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      this.#stderrTail = (this.#stderrTail + chunk).slice(-4000);
      this.#onOutput?.();
    });
    child.stdin.on('error', () => {
      // EPIPE when the child died; the exit handler reports it.
    });
    child.on('exit', () => {
      if (this.#child === child) {
        this.#child = undefined;
        this.#respawns += 1;
        this.#onOutput?.();
      }
    });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', (err) =>
        reject(
          new ShoalError('UNAVAILABLE', `cannot start pocketsphinx: ${err.message}`, {
            cause: err,
          }),
        ),
      );
    });
    if (this.#closed) {
      // close() ran while it started (and killed it if it was already #child).
      child.kill('SIGTERM');
      this.#assertOpen();
    }
    return child;
  }

  /** A hypothesis line (ignored: the words carry it) or a timed word of the running call. */
  #onLine(line: string): void {
    const word = WORD_LINE.exec(line);
    const call = this.#call;
    if (!word || !call || Number(word[2]) < call.fromSec) {
      return;
    }
    call.heard = true;
    const text = (word[1] as string).replace(/\(\d+\)$/, '');
    if (!FILLER.test(text)) {
      call.words.push(text);
    }
  }

  #assertOpen(): void {
    if (this.#closed) {
      throw new ShoalError('CLOSED', 'pocketsphinx is closed');
    }
  }

  async #grammarFiles(modelDir: string): Promise<{ jsgf: string; dict: string }> {
    if (!this.#dir) {
      const dir = await mkdtemp(join(tmpdir(), 'shoal-sphinx-'));
      if (this.#closed) {
        // close() found no directory to remove.
        await rm(dir, { recursive: true, force: true });
        this.#assertOpen();
      }
      this.#dir = dir;
    }
    const dict = await loadDictionary(join(modelDir, 'cmudict-en-us.dict'));
    const extra = new Map(
      Object.entries(this.#options.pronunciations ?? {}).map(([w, p]) => [w.toLowerCase(), p]),
    );
    const phrases = (this.#options.phrases ?? []).map(phraseWords).filter((w) => w.length > 0);
    const words = new Set(phrases.flat());
    const missing: string[] = [];
    const lines: string[] = [];
    for (const word of [...words].sort()) {
      const given = extra.get(word);
      const known = dict.get(word);
      if (given) {
        lines.push(`${word} ${given}`);
      } else if (known) {
        known.forEach((p, i) => lines.push(`${word}${i === 0 ? '' : `(${i + 1})`} ${p}`));
      } else {
        missing.push(word);
      }
    }
    if (missing.length > 0) {
      throw new ShoalError(
        'BAD_REQUEST',
        `pocketsphinx: no pronunciation for ${missing.map((w) => `"${w}"`).join(', ')}; pass ` +
          `pronunciations (ARPAbet), e.g. { ${missing[0]}: 'SH OW L' }`,
      );
    }
    const grammar = `#JSGF V1.0;\ngrammar shoal;\npublic <utterance> = ${phrases
      .map((w) => w.join(' '))
      .join(' | ')};\n`;
    const jsgf = join(this.#dir, 'grammar.jsgf');
    const dictPath = join(this.#dir, 'grammar.dict');
    await writeFile(jsgf, grammar);
    await writeFile(dictPath, `${lines.join('\n')}\n`);
    return { jsgf, dict: dictPath };
  }
}

function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_./=:-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

export function pocketsphinxStt(options: PocketsphinxOptions = {}): PocketsphinxStt {
  return new PocketsphinxStt(options);
}
