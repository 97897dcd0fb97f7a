import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { TypedEmitter } from '../protocol/index.js';
import type { AgentHost, AgentSession } from '../agent/index.js';
import { DemoRooms } from './demo-rooms.js';

function fakes() {
  const people = new Map<string, number>();
  const deleted: string[] = [];
  const calls: string[] = [];
  const emitter = new TypedEmitter<{ sessionEnded: [AgentSession, undefined] }>();
  const host = Object.assign(emitter, {
    join: async (roomId: string, agent: string) => {
      calls.push(`join ${roomId} ${agent}`);
      return { roomId, agentName: agent } as AgentSession;
    },
    leave: async (roomId: string, agent: string) => {
      calls.push(`leave ${roomId} ${agent}`);
    },
  }) as unknown as AgentHost;
  const rooms = {
    getRoom: async (roomId: string) => {
      if (deleted.includes(roomId)) {
        throw new Error('gone');
      }
      return {
        peers: Array.from({ length: people.get(roomId) ?? 0 }, () => ({
          type: 'webrtc',
          status: 'connected',
        })),
      };
    },
    deleteRoom: async (roomId: string) => {
      deleted.push(roomId);
    },
  };
  return { people, deleted, calls, host, emitter, rooms };
}

describe('DemoRooms', () => {
  it('joins agents when a person connects, not when a peer is created; leaves after the last person', async () => {
    const f = fakes();
    const demo = new DemoRooms({
      host: f.host,
      rooms: f.rooms,
      log: pino({ level: 'silent' }),
      idleMs: 1000,
    });
    demo.want('r', ['echo', 'captions'], 0);
    expect(f.calls).toEqual([]);
    f.people.set('r', 1);
    await demo.personConnected('r');
    await demo.personConnected('r');
    expect(f.calls).toEqual(['join r echo', 'join r captions']);
    await demo.personLeft('r', 10);
    expect(f.calls).toHaveLength(2); // still someone there
    f.people.set('r', 0);
    await demo.personLeft('r', 20);
    expect(f.calls.slice(2)).toEqual(['leave r echo', 'leave r captions']);
    demo.close();
  });

  it('deletes rooms nobody has been connected to for idleMs', async () => {
    const f = fakes();
    const demo = new DemoRooms({
      host: f.host,
      rooms: f.rooms,
      log: pino({ level: 'silent' }),
      idleMs: 1000,
    });
    demo.want('never-joined', ['echo'], 0);
    demo.want('busy', ['echo'], 0);
    f.people.set('busy', 1);
    await demo.personConnected('busy');
    await demo.sweep(500);
    expect(f.deleted).toEqual([]);
    await demo.sweep(1500);
    expect(f.deleted).toEqual(['never-joined']);
    expect(demo.roomCount).toBe(1);
    demo.close();
  });

  it('forgets only the session that ended, not a newer one of the same agent', async () => {
    const f = fakes();
    const demo = new DemoRooms({
      host: f.host,
      rooms: f.rooms,
      log: pino({ level: 'silent' }),
      idleMs: 1000,
    });
    demo.want('r', ['echo'], 0);
    f.people.set('r', 1);
    await demo.personConnected('r');
    f.emitter.emit('sessionEnded', { roomId: 'r', agentName: 'echo' } as AgentSession, undefined);
    // A different session object ended: the live one stays tracked, so no second join happens.
    await demo.personConnected('r');
    expect(f.calls).toEqual(['join r echo']);
    demo.close();
  });
});
