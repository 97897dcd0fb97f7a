/** WebRTC peers: ts-client signaling on the peer socket, werift connections, RTP forwarding. */
export { PeerSockets } from './peer-sockets.js';
export type { PeerSocketTotals, PeerSocketsOptions } from './peer-sockets.js';
export { PeerClose, PeerSession } from './peer-session.js';
export type { RoomEvent } from './peer-session.js';
export { advertisedAddress } from './ice.js';
export type { IceOptions } from './ice.js';
