import { describe, expect, it } from 'vitest';
import { isShoalError } from '../../protocol/errors.js';
import { Pacer } from './pacer.js';
import type { PacerClock } from './pacer.js';

/** A manual clock: time moves only when the test says so; timers fire in due order. */
class FakeClock implements PacerClock {
  nowMs = 1000;
  #timers = new Map<number, { at: number; callback: () => void }>();
  #nextId = 1;

  now(): number {
    return this.nowMs;
  }

  setTimeout(callback: () => void, delayMs: number): unknown {
    const id = this.#nextId++;
    this.#timers.set(id, { at: this.nowMs + delayMs, callback });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.#timers.delete(handle as number);
  }

  get pendingTimers(): number {
    return this.#timers.size;
  }

  /** Moves time forward to `untilMs`, firing timers as their time comes. */
  advanceTo(untilMs: number): void {
    for (;;) {
      let soonest: [number, { at: number; callback: () => void }] | undefined;
      for (const entry of this.#timers) {
        if (entry[1].at <= untilMs && (soonest === undefined || entry[1].at < soonest[1].at)) {
          soonest = entry;
        }
      }
      if (soonest === undefined) {
        break;
      }
      this.#timers.delete(soonest[0]);
      this.nowMs = Math.max(this.nowMs, soonest[1].at);
      soonest[1].callback();
    }
    this.nowMs = untilMs;
  }

  /** A stall: time jumps without any timer running. */
  stall(ms: number): void {
    this.nowMs += ms;
  }
}

describe('Pacer (fake clock)', { timeout: 5_000 }, () => {
  it('ticks at start + n × interval', () => {
    const clock = new FakeClock();
    const ticks: [number, number][] = [];
    const pacer = new Pacer({ clock, onTick: (i, due) => ticks.push([i, due]) });
    pacer.start();
    expect(ticks).toEqual([]); // never synchronously inside start()
    clock.advanceTo(1100);
    expect(ticks).toEqual([0, 1, 2, 3, 4, 5].map((i) => [i, 1000 + i * 20]));
    expect(pacer.stats).toMatchObject({ ticks: 6, skippedTicks: 0, maxLatenessMs: 0 });
    pacer.close();
  });

  it('catches up a short stall tick by tick, skips ahead after a long one', () => {
    const clock = new FakeClock();
    const ticks: number[] = [];
    const pacer = new Pacer({ clock, maxLagMs: 200, onTick: (i) => ticks.push(i) });
    pacer.start();
    clock.advanceTo(1100); // ticks 0…5
    // 150 ms stall (< maxLag): the missed ticks all run when the timer finally fires.
    clock.stall(150 + 20); // now 1270; tick 6 was due at 1120
    clock.advanceTo(1270);
    expect(ticks.slice(6)).toEqual([6, 7, 8, 9, 10, 11, 12, 13]);
    expect(pacer.stats.skippedTicks).toBe(0);
    // 500 ms stall (> maxLag): jump to the latest due tick, count the rest as skipped.
    clock.stall(500); // now 1770; next due tick 14 at 1280
    clock.advanceTo(1770);
    expect(ticks.slice(14)).toEqual([38]); // due 1760
    expect(pacer.stats).toMatchObject({ skippedTicks: 38 - 14, skips: 1 });
    // And on from there at the original grid.
    const dues: number[] = [];
    const grid = new Pacer({ clock, onTick: (_i, due) => dues.push(due) });
    grid.start();
    clock.advanceTo(1830);
    expect(ticks.slice(15)).toEqual([39, 40, 41]);
    expect(dues).toEqual([1770, 1790, 1810, 1830]);
    pacer.close();
    grid.close();
  });

  it('re-arms without ticking when a timer fires early', () => {
    const clock = new FakeClock();
    const ticks: number[] = [];
    const pacer = new Pacer({ clock, onTick: (i) => ticks.push(i) });
    pacer.start();
    clock.advanceTo(1000);
    expect(ticks).toEqual([0]);
    // Make the next timer fire 0.5 ms early by moving time under it.
    clock.advanceTo(1019.5);
    expect(ticks).toEqual([0]);
    clock.advanceTo(1020);
    expect(ticks).toEqual([0, 1]);
    pacer.close();
  });

  it('survives a throwing onTick (counted and reported)', () => {
    const clock = new FakeClock();
    const errors: unknown[] = [];
    let calls = 0;
    const pacer = new Pacer({
      clock,
      onTick: () => {
        calls++;
        throw new Error('boom');
      },
      onError: (err) => errors.push(err),
    });
    pacer.start();
    clock.advanceTo(1060);
    expect(calls).toBe(4);
    expect(errors).toHaveLength(4);
    expect(pacer.stats.errors).toBe(4);
    pacer.close();
  });

  it('stop() inside onTick ends the run; start() restarts at tick 0; close() is final and idempotent', () => {
    const clock = new FakeClock();
    const ticks: number[] = [];
    const pacer = new Pacer({
      clock,
      onTick: (i) => {
        ticks.push(i);
        if (i === 2) {
          pacer.stop();
        }
      },
    });
    pacer.start();
    pacer.start(); // no-op while running
    clock.advanceTo(1200);
    expect(ticks).toEqual([0, 1, 2]);
    expect(pacer.running).toBe(false);
    expect(clock.pendingTimers).toBe(0);
    pacer.start();
    expect(pacer.startTimeMs).toBe(1200);
    clock.advanceTo(1220);
    expect(ticks).toEqual([0, 1, 2, 0, 1]);
    pacer.close();
    pacer.close();
    expect(pacer.closed).toBe(true);
    expect(clock.pendingTimers).toBe(0);
    clock.advanceTo(2000);
    expect(ticks).toHaveLength(5);
    let caught: unknown;
    try {
      pacer.start();
    } catch (err) {
      caught = err;
    }
    expect(isShoalError(caught, 'CLOSED')).toBe(true);
  });

  it('rejects a bad interval or lag bound', () => {
    expect(() => new Pacer({ onTick: () => {}, intervalMs: 0 })).toThrow(/interval/);
    expect(() => new Pacer({ onTick: () => {}, intervalMs: 20, maxLagMs: 10 })).toThrow(/maxLagMs/);
  });
});

describe('Pacer (real clock)', () => {
  it('does not drift over 2 s: due times exact, lateness small', { timeout: 10_000 }, async () => {
    const ticks: { index: number; dueMs: number; actualMs: number }[] = [];
    const pacer = new Pacer({
      onTick: (index, dueMs) => ticks.push({ index, dueMs, actualMs: performance.now() }),
    });
    pacer.start();
    await new Promise((resolve) => setTimeout(resolve, 2_010));
    pacer.close();
    const count = ticks.length;
    expect(count).toBeGreaterThanOrEqual(95);
    expect(count).toBeLessThanOrEqual(102);
    ticks.forEach((tick, k) => {
      expect(tick.index).toBe(k);
      expect(tick.dueMs).toBe(pacer.startTimeMs + k * 20);
    });
    const lateness = ticks.map((t) => t.actualMs - t.dueMs).sort((a, b) => a - b);
    expect(lateness[0]).toBeGreaterThanOrEqual(0);
    expect(lateness[Math.floor(count / 2)]).toBeLessThan(5);
    // No accumulation: the last ticks are as punctual as the first (a setInterval-style
    // pacer would be ~1 ms later per tick, i.e. ~100 ms by now).
    const last = ticks[count - 1];
    expect(last === undefined ? Infinity : last.actualMs - last.dueMs).toBeLessThan(25);
    expect(pacer.stats.skippedTicks).toBe(0);
  });
});
