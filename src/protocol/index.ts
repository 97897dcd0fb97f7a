/** The protocol layer: coded errors, the typed emitter, and Fishjam's protobuf wire formats. */
export * from './errors.js';
export * from './emitter.js';
export * from './messages.js';
export * from './codec.js';
export * from './notifications.js';
