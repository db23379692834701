import type { KeyValueStore } from './storage.js';
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
    objectStoreNames: {
        contains(name: string): boolean;
    };
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
export declare class IndexedDbStore implements KeyValueStore {
    private readonly factory;
    private readonly database;
    private readonly storeName;
    private db;
    constructor(options?: IndexedDbStoreOptions);
    private open;
    private run;
    get(key: string): Promise<string | null>;
    set(key: string, value: string): Promise<void>;
    delete(key: string): Promise<void>;
}
export {};
