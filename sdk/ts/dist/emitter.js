export class Emitter {
    listeners = new Map();
    /** Calls `fn` for every `event`; returns a function that removes it. */
    on(event, fn) {
        let set = this.listeners.get(event);
        if (!set)
            this.listeners.set(event, (set = new Set()));
        set.add(fn);
        return () => this.off(event, fn);
    }
    /** Calls `fn` for the next `event` only. */
    once(event, fn) {
        const off = this.on(event, (v) => {
            off();
            fn(v);
        });
        return off;
    }
    off(event, fn) {
        this.listeners.get(event)?.delete(fn);
    }
    emit(event, value) {
        const set = this.listeners.get(event);
        if (!set)
            return;
        for (const fn of [...set]) {
            try {
                fn(value);
            }
            catch (e) {
                console.warn(`natter: a '${String(event)}' listener threw`, e);
            }
        }
    }
    /**
     * The events of one kind as an async iterator (`for await (const m of client.events('message'))`).
     * Events are buffered between reads; `return()` (a `break`) stops listening.
     */
    events(event) {
        const queue = [];
        const waiting = [];
        let done = false;
        const off = this.on(event, (v) => {
            const w = waiting.shift();
            if (w)
                w({ value: v, done: false });
            else
                queue.push(v);
        });
        const finish = () => {
            done = true;
            off();
            for (const w of waiting.splice(0))
                w({ value: undefined, done: true });
            return { value: undefined, done: true };
        };
        const it = {
            next: () => {
                if (queue.length)
                    return Promise.resolve({ value: queue.shift(), done: false });
                if (done)
                    return Promise.resolve({ value: undefined, done: true });
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
