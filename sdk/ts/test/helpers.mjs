import WebSocket from 'ws';
import zlib from 'node:zlib';
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
    close(code = 1000, reason = '') {
      if (this.readyState === 3) return;
      this.readyState = 3;
      setTimeout(() => {
        this.onclose?.({ code, reason });
        this.closeDelivered = true;
      }, 1);
    }
  };
}

/** A valid RGB PNG of `w`×`h` pixels (a colour gradient), made here: no fixture file. */
export function makePng(w = 64, h = 48) {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (buf) => {
    let c = 0xffffffff;
    for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const c = Buffer.alloc(4);
    c.writeUInt32BE(crc(td));
    return Buffer.concat([len, td, c]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  const raw = Buffer.alloc((w * 3 + 1) * h);
  for (let y = 0; y < h; y++) {
    raw[y * (w * 3 + 1)] = 0;
    for (let x = 0; x < w; x++) {
      const o = y * (w * 3 + 1) + 1 + x * 3;
      raw[o] = (x * 255) / w;
      raw[o + 1] = (y * 255) / h;
      raw[o + 2] = 160;
    }
  }
  return new Uint8Array(Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]));
}
