// A KeyValueStore over the browser's IndexedDB, so the outbox, seqs and cache survive
// a page reload. It touches `globalThis.indexedDB` only when constructed: importing
// the package stays free of any DOM dependency.
import type { KeyValueStore } from './storage.js';

// The few IndexedDB shapes used here (the package compiles without the DOM library).
interface IdbRequest<T = unknown> {
  result: T;
  error: unknown;
  onsuccess: ((ev: unknown) => void) | null;
  onerror: ((ev: unknown) => void) | null;
}
interface IdbOpenRequest extends IdbRequest<IdbDatabase> {
  onupgradeneeded: ((ev: unknown) => void) | null;
  onblocked: ((ev: unknown) => void) | null;
}
interface IdbObjectStore {
  get(key: string): IdbRequest<unknown>;
  put(value: unknown, key: string): IdbRequest;
  delete(key: string): IdbRequest;
}
interface IdbTransaction {
  objectStore(name: string): IdbObjectStore;
  oncomplete: ((ev: unknown) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  onabort: ((ev: unknown) => void) | null;
  error: unknown;
}
interface IdbDatabase {
  objectStoreNames: { contains(name: string): boolean };
  createObjectStore(name: string): unknown;
  transaction(name: string, mode: 'readonly' | 'readwrite'): IdbTransaction;
  close(): void;
  onversionchange: ((ev: unknown) => void) | null;
}
/** The part of `indexedDB` (an IDBFactory) this store uses. */
export interface IdbFactoryLike {
  open(name: string, version?: number): IdbOpenRequest;
}

export interface IndexedDbStoreOptions {
  /** Database name (default `natter`). */
  database?: string;
  /** Object store name (default `kv`). */
  store?: string;
  /** Default: `globalThis.indexedDB`. */
  indexedDB?: IdbFactoryLike;
}

/**
 * Keys and string values in one IndexedDB object store. A write resolves when its
 * transaction has committed. Throws at construction when there is no IndexedDB
 * (fall back to `MemoryStore` then).
 */
export class IndexedDbStore implements KeyValueStore {
  private readonly factory: IdbFactoryLike;
  private readonly database: string;
  private readonly storeName: string;
  private db: Promise<IdbDatabase> | undefined;

  constructor(options: IndexedDbStoreOptions = {}) {
    const factory = options.indexedDB ?? (globalThis as { indexedDB?: IdbFactoryLike }).indexedDB;
    if (!factory) throw new Error('natter: no IndexedDB here (use MemoryStore)');
    this.factory = factory;
    this.database = options.database ?? 'natter';
    this.storeName = options.store ?? 'kv';
  }

  private open(): Promise<IdbDatabase> {
    this.db ??= new Promise<IdbDatabase>((resolve, reject) => {
      const req = this.factory.open(this.database, 1);
      req.onupgradeneeded = () => {
        if (!req.result.objectStoreNames.contains(this.storeName)) req.result.createObjectStore(this.storeName);
      };
      req.onsuccess = () => {
        const db = req.result;
        // Another tab upgrades the database: let it, and open again on the next call.
        db.onversionchange = () => {
          db.close();
          this.db = undefined;
        };
        resolve(db);
      };
      req.onerror = () => {
        this.db = undefined;
        reject(req.error);
      };
      req.onblocked = () => {
        this.db = undefined;
        reject(new Error('natter: IndexedDB is blocked by another tab'));
      };
    });
    return this.db;
  }

  private async run<T>(mode: 'readonly' | 'readwrite', op: (s: IdbObjectStore) => IdbRequest<T>): Promise<T> {
    const db = await this.open();
    return new Promise<T>((resolve, reject) => {
      const tx = db.transaction(this.storeName, mode);
      const req = op(tx.objectStore(this.storeName));
      tx.oncomplete = () => resolve(req.result);
      tx.onerror = () => reject(tx.error ?? req.error);
      tx.onabort = () => reject(tx.error ?? new Error('natter: IndexedDB transaction aborted'));
    });
  }

  async get(key: string): Promise<string | null> {
    const v = await this.run('readonly', (s) => s.get(key));
    return typeof v === 'string' ? v : null;
  }

  async set(key: string, value: string): Promise<void> {
    await this.run('readwrite', (s) => s.put(value, key));
  }

  async delete(key: string): Promise<void> {
    await this.run('readwrite', (s) => s.delete(key));
  }
}
