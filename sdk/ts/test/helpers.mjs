import WebSocket from 'ws';
import { NatterClient, MemoryStore } from '../dist/index.js';
export { startNatter } from '../scripts/natter-dev.mjs';

/** Waits until `cond()` is truthy (polled every 20 ms), failing after `ms` with `what`. */
export async function waitFor(cond, ms, what) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await cond();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

let n = 0;
/** A unique username (3–32 of a-z 0-9 _ .). */
export function uname(prefix) {
  return `${prefix}_${process.pid}_${Date.now().toString(36)}_${n++}`.slice(0, 32);
}

/** A client for `url` that records every message it is given and every duplicate it dropped. */
export function makeClient(url, opts = {}) {
  const c = new NatterClient({ baseUrl: url, WebSocket, storage: new MemoryStore(), backoffMaxMs: 1000, ...opts });
  c.received = [];
  c.duplicates = [];
  c.on('message', (m) => c.received.push(m));
  c.on('duplicate', (m) => c.duplicates.push(m));
  return c;
}

/** The texts a client received in a channel, in order. */
export function texts(c, channel) {
  return c.received.filter((m) => m.channel === channel && !m.system).map((m) => m.text);
}

/** A fake fetch's answer: `status` and a JSON `body` (none when undefined). */
export function response(status, body) {
  return { status, ok: status >= 200 && status < 300, headers: { get: () => null }, text: async () => (body === undefined ? '' : JSON.stringify(body)) };
}

/** A socket the test drives: `frame(f)` plays a server frame, `sent` holds the client's ops. */
export function socketClass(first) {
  return class FakeWS {
    constructor(url) {
      this.url = url;
      this.readyState = 0;
      this.sent = [];
      FakeWS.last = this;
      setTimeout(() => {
        this.readyState = 1;
        this.onopen?.({});
        for (const f of first) this.frame(f);
      }, 1);
    }
    frame(f) {
      this.onmessage?.({ data: JSON.stringify(f) });
    }
    send(d) {
      this.sent.push(JSON.parse(d));
    }
    close() {
      if (this.readyState === 3) return;
      this.readyState = 3;
      setTimeout(() => this.onclose?.({ code: 1000, reason: '' }), 1);
    }
  };
}
