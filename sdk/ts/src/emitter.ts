/** A small typed event emitter with async iteration (no DOM or Node dependency). */
export type Listener<T> = (value: T) => void;

export class Emitter<Events extends { [K in keyof Events]: unknown }> {
  private listeners = new Map<keyof Events, Set<Listener<never>>>();

  /** Calls `fn` for every `event`; returns a function that removes it. */
  on<K extends keyof Events>(event: K, fn: Listener<Events[K]>): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(fn as Listener<never>);
    return () => this.off(event, fn);
  }

  /** Calls `fn` for the next `event` only. */
  once<K extends keyof Events>(event: K, fn: Listener<Events[K]>): () => void {
    const off = this.on(event, (v) => {
      off();
      fn(v);
    });
    return off;
  }

  off<K extends keyof Events>(event: K, fn: Listener<Events[K]>): void {
    this.listeners.get(event)?.delete(fn as Listener<never>);
  }

  protected emit<K extends keyof Events>(event: K, value: Events[K]): void {
    const set = this.listeners.get(event);
    if (!set) return;
    for (const fn of [...set]) {
      try {
        (fn as Listener<Events[K]>)(value);
      } catch (e) {
        console.warn(`natter: a '${String(event)}' listener threw`, e);
      }
    }
  }

  /**
   * The events of one kind as an async iterator (`for await (const m of client.events('message'))`).
   * Events are buffered between reads; `return()` (a `break`) stops listening.
   */
  events<K extends keyof Events>(event: K): AsyncIterableIterator<Events[K]> {
    const queue: Events[K][] = [];
    const waiting: ((r: IteratorResult<Events[K]>) => void)[] = [];
    let done = false;
    const off = this.on(event, (v) => {
      const w = waiting.shift();
      if (w) w({ value: v, done: false });
      else queue.push(v);
    });
    const finish = (): IteratorResult<Events[K]> => {
      done = true;
      off();
      for (const w of waiting.splice(0)) w({ value: undefined, done: true });
      return { value: undefined, done: true };
    };
    const it: AsyncIterableIterator<Events[K]> = {
      next: () => {
        if (queue.length) return Promise.resolve({ value: queue.shift() as Events[K], done: false });
        if (done) return Promise.resolve({ value: undefined, done: true });
        return new Promise((res) => waiting.push(res));
      },
      return: () => Promise.resolve(finish()),
      [Symbol.asyncIterator]() {
        return it;
      },
    };
    return it;
  }
}
