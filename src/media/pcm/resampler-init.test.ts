import { describe, expect, it } from 'vitest';
import { isShoalError } from '../../protocol/errors.js';
import { createResampler, initResamplers, resamplersReady } from './resampler.js';

describe('resampler initialisation', { timeout: 10_000 }, () => {
  it('refuses the speex engine before initResamplers(), works after', async () => {
    expect(resamplersReady()).toBe(false);
    let caught: unknown;
    try {
      createResampler(48_000, 16_000);
    } catch (err) {
      caught = err;
    }
    expect(isShoalError(caught, 'INVALID_STATE')).toBe(true);
    // The FIR engine and the passthrough need no initialisation.
    expect(
      createResampler(48_000, 16_000, { engine: 'fir' }).process(new Int16Array(960)),
    ).toHaveLength(320);
    expect(createResampler(16_000, 16_000).process(new Int16Array(5))).toHaveLength(5);

    await Promise.all([initResamplers(), initResamplers()]);
    expect(resamplersReady()).toBe(true);
    expect(createResampler(48_000, 16_000).process(new Int16Array(960))).toHaveLength(320);
  });
});
