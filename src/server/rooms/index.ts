export * from './model.js';
export { MemoryRoomStore } from './store.js';
export type { AddPeerResult, RoomStore } from './store.js';
export { RoomService, peerNotFound, peerTypeNumber, roomNotFound } from './service.js';
export type { NewPeer, RoomServiceOptions } from './service.js';
