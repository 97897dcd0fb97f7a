import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'agents/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: 'forks',
    // Real-time media tests on a shared 2-core VM: one retry in CI absorbs a scheduling hiccup;
    // a test that fails twice fails the run.
    retry: process.env['CI'] ? 1 : 0,
    reporters: process.env['CI'] ? ['default', 'json'] : ['default'],
    outputFile: process.env['CI'] ? { json: '.vitest-results.json' } : undefined,
  },
});
