/**
 * Keys and string values in one IndexedDB object store. A write resolves when its
 * transaction has committed. Throws at construction when there is no IndexedDB
 * (fall back to `MemoryStore` then).
 */
export class IndexedDbStore {
    factory;
    database;
    storeName;
    db;
    constructor(options = {}) {
        const factory = options.indexedDB ?? globalThis.indexedDB;
        if (!factory)
            throw new Error('natter: no IndexedDB here (use MemoryStore)');
        this.factory = factory;
        this.database = options.database ?? 'natter';
        this.storeName = options.store ?? 'kv';
    }
    open() {
        this.db ??= new Promise((resolve, reject) => {
            const req = this.factory.open(this.database, 1);
            req.onupgradeneeded = () => {
                if (!req.result.objectStoreNames.contains(this.storeName))
                    req.result.createObjectStore(this.storeName);
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
    async run(mode, op) {
        const db = await this.open();
        return new Promise((resolve, reject) => {
            const tx = db.transaction(this.storeName, mode);
            const req = op(tx.objectStore(this.storeName));
            tx.oncomplete = () => resolve(req.result);
            tx.onerror = () => reject(tx.error ?? req.error);
            tx.onabort = () => reject(tx.error ?? new Error('natter: IndexedDB transaction aborted'));
        });
    }
    async get(key) {
        const v = await this.run('readonly', (s) => s.get(key));
        return typeof v === 'string' ? v : null;
    }
    async set(key, value) {
        await this.run('readwrite', (s) => s.put(value, key));
    }
    async delete(key) {
        await this.run('readwrite', (s) => s.delete(key));
    }
}
