export { SocketRouter, canonicalPath } from './upgrade.js';
export type { SocketRoute } from './upgrade.js';
export { NotifierSockets, NotifierClose } from './notifier.js';
export { keepAlive } from './keepalive.js';
export { closeReason, toBytes } from './frames.js';
