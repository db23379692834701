/**
 * Where the client keeps what must survive an app restart: the token, the device id,
 * the highest seq seen per channel and the outbox of unacknowledged sends.
 * Implement it over IndexedDB (browsers), AsyncStorage/MMKV (React Native) or a file
 * (Node). Values are JSON strings. Calls for one key are never concurrent.
 */
export interface KeyValueStore {
  get(key: string): Promise<string | null | undefined>;
  set(key: string, value: string): Promise<void>;
  delete(key: string): Promise<void>;
}

/** The default store: memory only (nothing survives a restart). */
export class MemoryStore implements KeyValueStore {
  readonly map = new Map<string, string>();
  async get(key: string): Promise<string | null> {
    return this.map.get(key) ?? null;
  }
  async set(key: string, value: string): Promise<void> {
    this.map.set(key, value);
  }
  async delete(key: string): Promise<void> {
    this.map.delete(key);
  }
}
