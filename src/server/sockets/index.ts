export { SocketRouter, canonicalPath } from './upgrade.js';
export type { SocketRoute } from './upgrade.js';
export { NotifierSockets, NotifierClose, toBytes } from './notifier.js';
export { closeReason, keepAlive } from './keepalive.js';
