import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './helpers/chromium.js';
import { fixturePath } from './helpers/wav.js';

const root = fileURLToPath(new URL('..', import.meta.url));
let demo: ChildProcess | undefined;
let origin = '';
let browser: { context: BrowserContext; close(): Promise<void> } | undefined;
let output = '';
const logs: string[] = [];

beforeAll(async () => {
  // The page is served from dist/web: build it from the current sources.
  execFileSync(process.execPath, ['scripts/build-web.mjs'], { cwd: root });
  demo = spawn(process.execPath, ['--import', 'tsx', 'src/cli/run.ts', 'demo', '--port', '0'], {
    cwd: root,
    env: {
      ...process.env,
      OPENAI_API_KEY: '',
      SHOAL_LOG_LEVEL: process.env['SHOAL_TEST_LOG'] ?? 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  demo.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  demo.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const deadline = Date.now() + 30_000;
  while (!/demo at (http:\/\/127\.0\.0\.1:\d+)\//.test(output)) {
    if (Date.now() > deadline || demo.exitCode !== null) {
      throw new Error(`shoal demo did not start:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  origin = /demo at (http:\/\/127\.0\.0\.1:\d+)\//.exec(output)?.[1] ?? '';
  // The fake microphone says the fixture once, then silence: one turn.
  browser = await launchChromium(`${fixturePath('speech-48k.wav')}%noloop`);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  if (demo && demo.exitCode === null) {
    const exited = new Promise((r) => demo?.once('exit', r));
    demo.kill('SIGTERM');
    await exited;
  }
});

async function poll<T>(
  page: Page,
  expression: string,
  until: (v: T) => boolean,
  timeoutMs: number,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = (await page.evaluate(expression)) as T;
    if (until(value)) {
      return value;
    }
    if (Date.now() > deadline) {
      const errors = await page.evaluate('window.shoalDemo?.errors').catch(() => undefined);
      throw new Error(
        `${expression} stayed ${JSON.stringify(value)}; page errors ${JSON.stringify(errors)}; ` +
          `logs ${logs.slice(-10).join(' | ')}; server ${output.slice(-2000)}`,
      );
    }
    await page.waitForTimeout(100);
  }
}

describe('the demo page (npm start) in headless Chromium', () => {
  it('serves /health and the page; joins with the mic, hears the echo agent repeat the fixture, shows captions', async () => {
    expect((await fetch(`${origin}/health`)).status).toBe(200);
    const page = await browser!.context.newPage();
    page.on('pageerror', (e) => logs.push(`pageerror: ${e.message}`));
    page.on('console', (m) => logs.push(`console.${m.type()}: ${m.text()}`));
    await page.goto(`${origin}/`);
    await poll<number>(
      page,
      'document.querySelectorAll("#agent option").length',
      (n) => n >= 3,
      10_000,
    );
    expect(await page.inputValue('#agent')).toBe('echo');
    await page.fill('#room', `demo-${Date.now()}`);
    await page.fill('#name', 'tester');
    await page.click('#join-button');
    await poll<boolean>(page, 'window.shoalDemo.joined', Boolean, 15_000);
    const joinedAt = Date.now();

    // The agents appear as peers.
    await poll<number>(
      page,
      'document.querySelectorAll("#peers li").length',
      (n) => n >= 2,
      10_000,
    );

    // While the fixture (5.9 s) is being spoken, the echo agent stays quiet…
    await page.waitForTimeout(4_000);
    const duringSpeech = (await page.evaluate('window.shoalDemo.receivedAudioEnergy()')) as number;
    expect(duringSpeech).toBeLessThan(0.01);
    // …then repeats it after the turn ends (energy = Σ level² × seconds, as getStats reports it).
    const energy = await poll<number>(
      page,
      'window.shoalDemo.receivedAudioEnergy()',
      (e) => e > duringSpeech + 0.05,
      25_000,
    );
    expect(Date.now() - joinedAt).toBeGreaterThan(5_500);
    expect(energy).toBeGreaterThan(duringSpeech + 0.05);

    const states = await poll<string[]>(
      page,
      'window.shoalDemo.states',
      (s) => s.includes('speaking'),
      10_000,
    );
    expect(states).toContain('speaking');
    const captions = await poll<{ speaker: string; text: string }[]>(
      page,
      'window.shoalDemo.captions',
      (c) => c.length > 0,
      25_000,
    );
    expect(captions[0]?.text.length).toBeGreaterThan(0);
    expect(await page.textContent('#captions')).toContain(captions[0]?.text);
    expect((await page.evaluate('window.shoalDemo.errors')) as string[]).toEqual([]);
    await page.close();
  }, 90_000);
});
