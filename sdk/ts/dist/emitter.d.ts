/** A small typed event emitter with async iteration (no DOM or Node dependency). */
export type Listener<T> = (value: T) => void;
export declare class Emitter<Events extends {
    [K in keyof Events]: unknown;
}> {
    private listeners;
    /** Calls `fn` for every `event`; returns a function that removes it. */
    on<K extends keyof Events>(event: K, fn: Listener<Events[K]>): () => void;
    /** Calls `fn` for the next `event` only. */
    once<K extends keyof Events>(event: K, fn: Listener<Events[K]>): () => void;
    off<K extends keyof Events>(event: K, fn: Listener<Events[K]>): void;
    protected emit<K extends keyof Events>(event: K, value: Events[K]): void;
    /**
     * The events of one kind as an async iterator (`for await (const m of client.events('message'))`).
     * Events are buffered between reads; `return()` (a `break`) stops listening.
     */
    events<K extends keyof Events>(event: K): AsyncIterableIterator<Events[K]>;
}
