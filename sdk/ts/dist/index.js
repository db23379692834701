export { NatterClient, PROTOCOL_VERSION, newClientMsgId, usableWsUrl } from './client.js';
export { CHANGE_KINDS, applyChange, changeTarget, hiddenPlaceholder, isChange, isShownMessage } from './changes.js';
export { NatterError, ProtocolVersionError } from './errors.js';
export { Emitter } from './emitter.js';
export { MemoryStore } from './storage.js';
export { IndexedDbStore } from './indexeddb.js';
export { CACHE_KEY, DEFAULT_CACHE_LIMITS, cacheMessagesKey } from './cache.js';
export { Http } from './http.js';
export * from './types.js';
