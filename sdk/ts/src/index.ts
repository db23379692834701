export { NatterClient, PROTOCOL_VERSION, newClientMsgId, usableWsUrl } from './client.js';
export type {
  ConnectionState,
  NatterClientOptions,
  NatterEvents,
  OutboxEntry,
  SendOptions,
  WebSocketConstructor,
  WebSocketLike,
} from './client.js';
export {
  CHANGE_KINDS,
  REMOVAL_KINDS,
  applyChange,
  changeTarget,
  deletedAccount,
  hiddenPlaceholder,
  isAccountDeleted,
  isAttachmentProcessed,
  isChange,
  isShownMessage,
  memberMute,
  removedMember,
  retentionChange,
} from './changes.js';
export type { ChangeKind } from './changes.js';
export { NatterError, ProtocolVersionError } from './errors.js';
export type { ClientErrorCode, NatterErrorCode, ServerErrorCode } from './errors.js';
export { Emitter } from './emitter.js';
export { MemoryStore } from './storage.js';
export { IndexedDbStore } from './indexeddb.js';
export type { IdbFactoryLike, IndexedDbStoreOptions } from './indexeddb.js';
export { CACHE_KEY, DEFAULT_CACHE_LIMITS, cacheMessagesKey } from './cache.js';
export type { CachedState, CacheLimits } from './cache.js';
export type { KeyValueStore } from './storage.js';
export { Http } from './http.js';
export { DEFAULT_PART_BYTES } from './files.js';
export type { BlobLike, FileData, UploadOptions, UploadProgress } from './files.js';
export type { FetchLike, ResponseLike, RequestOptions } from './http.js';
export * from './types.js';
