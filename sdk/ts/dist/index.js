export { NatterClient, PROTOCOL_VERSION } from './client.js';
export { NatterError, ProtocolVersionError } from './errors.js';
export { Emitter } from './emitter.js';
export { MemoryStore } from './storage.js';
export { Http } from './http.js';
export * from './types.js';
