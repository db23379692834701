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
