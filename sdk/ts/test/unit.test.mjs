// Tests that need no server: HTTP error mapping and rate_limited retries, the
// protocol-version check, seq dedupe. A fake fetch and a fake WebSocket stand in.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NatterClient, NatterError, ProtocolVersionError, MemoryStore, IndexedDbStore, usableWsUrl } from '../dist/index.js';
import { waitFor } from './helpers.mjs';

function response(status, body, headers = {}) {
  const h = new Map(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  return { status, ok: status >= 200 && status < 300, headers: { get: (k) => h.get(k.toLowerCase()) ?? null }, text: async () => (body === undefined ? '' : JSON.stringify(body)) };
}

test('rate_limited is retried after retry_after_ms, then succeeds', async () => {
  const calls = [];
  const fetch = async (url, init) => {
    calls.push({ url, at: Date.now(), init });
    if (calls.length === 1) return response(429, { code: 'rate_limited', message: 'slow down', retry_after_ms: 150 }, { 'x-request-id': 'r1' });
    return response(200, { id: '1', username: 'a', display_name: 'A', status_text: '', created_at: 1 });
  };
  const c = new NatterClient({ baseUrl: 'http://x', fetch, token: 't' });
  const me = await c.me();
  assert.equal(me.username, 'a');
  assert.equal(calls.length, 2);
  assert.ok(calls[1].at - calls[0].at >= 140, `waited ${calls[1].at - calls[0].at} ms`);
  assert.equal(calls[0].init.headers.authorization, 'Bearer t');
});

test('an error body becomes a typed NatterError; rate_limited beyond the retries keeps retryAfterMs', async () => {
  let n = 0;
  const fetch = async () => {
    n++;
    return response(429, { code: 'rate_limited', message: 'slow down', retry_after_ms: 5 }, { 'x-request-id': 'abc' });
  };
  const c = new NatterClient({ baseUrl: 'http://x', fetch, token: 't', maxRetries: 2 });
  const err = await c.me().catch((e) => e);
  assert.ok(err instanceof NatterError);
  assert.equal(err.code, 'rate_limited');
  assert.equal(err.retryAfterMs, 5);
  assert.equal(err.status, 429);
  assert.equal(err.requestId, 'abc');
  assert.equal(n, 3);
});

test('unavailable is retried for reads but not for a group creation', async () => {
  let n = 0;
  const fetch = async () => {
    n++;
    return response(503, { code: 'unavailable', message: 'later' });
  };
  const c = new NatterClient({ baseUrl: 'http://x', fetch, token: 't', maxRetries: 1 });
  await assert.rejects(c.createGroup('g', []), (e) => e.code === 'unavailable');
  assert.equal(n, 1);
  n = 0;
  await assert.rejects(c.listChannels(), (e) => e.code === 'unavailable');
  assert.equal(n, 2);
});

test('a server without GET /v1/version speaks protocol 1; another version fails typed', async () => {
  let version = null;
  const fetch = async () => (version === null ? response(404, { code: 'not_found', message: 'no route' }) : response(200, version));
  const c = new NatterClient({ baseUrl: 'http://x', fetch });
  assert.deepEqual((await c.checkVersion()).protocol, 1);
  version = { protocol: 2, server: '9.0.0' };
  const err = await c.checkVersion().catch((e) => e);
  assert.ok(err instanceof ProtocolVersionError);
  assert.equal(err.code, 'protocol_mismatch');
  assert.equal(err.serverProtocol, 2);
});

/** A fake socket driven by the test: `frames` are sent to the client on open. */
function fakeSocketClass(script) {
  return class FakeWS {
    constructor(url) {
      this.url = url;
      this.readyState = 0;
      this.sent = [];
      FakeWS.last = this;
      setTimeout(() => {
        this.readyState = 1;
        this.onopen?.({});
        for (const f of script(this)) this.onmessage?.({ data: JSON.stringify(f) });
      }, 1);
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

const discoverFetch = async (url) => {
  if (url.endsWith('/v1/discover')) return response(200, { edge_id: 'e', http_url: 'http://x', ws_url: 'ws://x/v1/ws' });
  if (url.includes('/messages')) return response(200, { channel: '5', head_seq: 4, has_more: false, messages: [2, 3].map((s) => msg(s)) });
  return response(404, { code: 'not_found', message: 'no' });
};
const msg = (seq) => ({ channel: '5', seq, message_id: String(100 + seq), sender: '9', client_msg_id: `c${seq}`, text: `t${seq}`, sent_at: seq });

test('hello with another protocol version stops the client with ProtocolVersionError', async () => {
  const WS = fakeSocketClass(() => [{ type: 'hello', user_id: '1', device_id: 'd', max_text_chars: 9, max_frame_bytes: 9, protocol: 2 }]);
  const c = new NatterClient({ baseUrl: 'http://x', fetch: discoverFetch, WebSocket: WS, token: 't' });
  const errors = [];
  c.on('error', (e) => errors.push(e));
  const err = await c.connect().catch((e) => e);
  assert.ok(err instanceof ProtocolVersionError, String(err));
  assert.equal(c.state, 'stopped');
  assert.equal(errors.length, 1);
});

test('hello without a protocol field is version 1; duplicates are dropped, gaps filled from history, acks coalesced', async () => {
  const WS = fakeSocketClass(() => [
    { type: 'hello', user_id: '1', device_id: 'dev-1', max_text_chars: 9, max_frame_bytes: 9 },
    { type: 'message', ...msg(1) },
    { type: 'message', ...msg(1) }, // duplicate
    { type: 'message', ...msg(4) }, // gap: 2 and 3 come from history
    { type: 'synced', channels: 1, messages: 3 },
  ]);
  const storage = new MemoryStore();
  const c = new NatterClient({ baseUrl: 'http://x', fetch: discoverFetch, WebSocket: WS, token: 't', storage, ackDelayMs: 10 });
  const got = [];
  const dups = [];
  c.on('message', (m) => got.push(m.seq));
  c.on('duplicate', (m) => dups.push(m.seq));
  await c.connect();
  assert.deepEqual(got, [1, 2, 3, 4]);
  assert.deepEqual(dups, [1]);
  assert.equal(c.deviceId, 'dev-1');
  assert.equal(WS.last.url, 'ws://x/v1/ws?token=t');
  // One ack for the channel, with its highest seq (flushed at synced).
  await waitFor(() => WS.last.sent.some((o) => o.op === 'ack'), 2000, 'an ack');
  assert.deepEqual(WS.last.sent.filter((o) => o.op === 'ack'), [{ op: 'ack', channel: '5', seq: 4 }]);
  assert.equal(await storage.get('natter:device'), 'dev-1');
  await waitFor(async () => (await storage.get('natter:seqs')) === '{"5":4}', 2000, 'seqs persisted');
  await c.disconnect();
  assert.equal(c.state, 'stopped');
});

test('events() is an async iterator of one event kind', async () => {
  const WS = fakeSocketClass(() => [
    { type: 'hello', user_id: '1', device_id: 'd', max_text_chars: 9, max_frame_bytes: 9, protocol: 1 },
    { type: 'message', ...msg(1) },
    { type: 'message', ...msg(2) },
    { type: 'synced', channels: 1, messages: 2 },
  ]);
  const c = new NatterClient({ baseUrl: 'http://x', fetch: discoverFetch, WebSocket: WS, token: 't' });
  const it = c.events('message');
  await c.connect();
  const seqs = [];
  for await (const m of it) {
    seqs.push(m.seq);
    if (seqs.length === 2) break;
  }
  assert.deepEqual(seqs, [1, 2]);
  await c.disconnect();
});

test('a send made before hello is written once (by the hello), and one after it at once', async () => {
  const WS = fakeSocketClass(() => []);
  const c = new NatterClient({ baseUrl: 'http://x', fetch: discoverFetch, WebSocket: WS, token: 't', storage: new MemoryStore() });
  const connecting = c.connect();
  await waitFor(() => WS.last?.readyState === 1, 2000, 'the socket open');
  void c.send('5', 'early');
  await waitFor(() => c.pendingSends().length === 1, 2000, 'the send in the outbox');
  assert.equal(WS.last.sent.filter((o) => o.op === 'send').length, 0, 'nothing written before hello');
  const frame = (f) => WS.last.onmessage({ data: JSON.stringify(f) });
  frame({ type: 'hello', user_id: '1', device_id: 'd', max_text_chars: 9, max_frame_bytes: 9, protocol: 1 });
  frame({ type: 'synced', channels: 0, messages: 0 });
  await connecting;
  const sends = () => WS.last.sent.filter((o) => o.op === 'send').map((o) => o.text);
  assert.deepEqual(sends(), ['early']);
  void c.send('5', 'later');
  await waitFor(() => sends().length === 2, 2000, 'the later send written');
  assert.deepEqual(sends(), ['early', 'later']);
  await c.disconnect();
});

test('the discovered socket URL is made usable from the base URL (wildcard host, https page)', () => {
  assert.equal(usableWsUrl('ws://0.0.0.0:8080/v1/ws', 'http://chat.lan:8080'), 'ws://chat.lan:8080/v1/ws');
  assert.equal(usableWsUrl('ws://[::]:8080/v1/ws', 'http://[::1]:8080'), 'ws://[::1]:8080/v1/ws');
  assert.equal(usableWsUrl('ws://edge-2.example:8080/v1/ws', 'https://chat.example'), 'wss://edge-2.example:8080/v1/ws');
  assert.equal(usableWsUrl('wss://edge-2.example/v1/ws', 'http://127.0.0.1:8080'), 'wss://edge-2.example/v1/ws');
});

test('a refused token emits unauthorized (HTTP call, and connect, which then stops)', async () => {
  const fetch = async () => response(401, { code: 'token_expired', message: 'expired' });
  const c = new NatterClient({ baseUrl: 'http://x', fetch, token: 't', WebSocket: fakeSocketClass(() => []) });
  const seen = [];
  c.on('unauthorized', (e) => seen.push(e.code));
  await assert.rejects(c.me(), (e) => e.code === 'token_expired');
  await assert.rejects(c.connect(), (e) => e.code === 'token_expired');
  assert.deepEqual(seen, ['token_expired', 'token_expired']);
  assert.equal(c.state, 'stopped');
  // Not for calls without a token (a wrong password is no ended session).
  const d = new NatterClient({ baseUrl: 'http://x', fetch: async () => response(401, { code: 'token_invalid', message: 'no' }) });
  d.on('unauthorized', (e) => seen.push(e.code));
  await assert.rejects(d.serverVersion());
  assert.equal(seen.length, 2);
});

test('dropConnection goes offline at once; nextRetryAt says when; retryNow skips the wait', async () => {
  let sockets = 0;
  const WS = fakeSocketClass(() => {
    sockets++;
    return [{ type: 'hello', user_id: '1', device_id: 'd', max_text_chars: 9, max_frame_bytes: 9, protocol: 1 }, { type: 'synced', channels: 0, messages: 0 }];
  });
  // A socket whose close never completes (the network is gone): the client must not wait for it.
  const close = WS.prototype.close;
  WS.prototype.close = function () {
    this.readyState = 2;
  };
  const c = new NatterClient({ baseUrl: 'http://x', fetch: discoverFetch, WebSocket: WS, token: 't', backoffInitialMs: 60000, backoffMaxMs: 60000 });
  await c.connect();
  assert.equal(c.nextRetryAt, undefined);
  const t0 = Date.now();
  c.dropConnection();
  await waitFor(() => c.state === 'offline', 1000, 'offline');
  assert.ok(c.nextRetryAt >= t0 + 30000, 'a backoff of 30-60 s');
  c.retryNow();
  await waitFor(() => c.state === 'live' && sockets === 2, 1000, 'live again at once');
  assert.equal(c.nextRetryAt, undefined);
  c.retryNow(); // live: nothing happens
  assert.equal(sockets, 2);
  WS.prototype.close = close;
  await c.disconnect();
});

test('a send ends the typing throttle of its channel', async () => {
  const WS = fakeSocketClass(() => [{ type: 'hello', user_id: '1', device_id: 'd', max_text_chars: 9, max_frame_bytes: 9, protocol: 1 }, { type: 'synced', channels: 0, messages: 0 }]);
  const c = new NatterClient({ baseUrl: 'http://x', fetch: discoverFetch, WebSocket: WS, token: 't' });
  await c.connect();
  assert.equal(c.typing('5'), true);
  assert.equal(c.typing('5'), false);
  void c.send('5', 'hi').catch(() => {});
  await waitFor(() => WS.last.sent.some((o) => o.op === 'send'), 1000, 'the send');
  assert.equal(c.typing('5'), true);
  await c.disconnect();
});

/** An in-memory IndexedDB with the asynchronous request/transaction shape of the real one. */
function fakeIndexedDB() {
  const dbs = new Map();
  const later = (fn) => setTimeout(fn, 0);
  const request = () => ({ result: undefined, error: null, onsuccess: null, onerror: null });
  return {
    dbs,
    open(name) {
      const req = { ...request(), onupgradeneeded: null, onblocked: null };
      later(() => {
        let stores = dbs.get(name);
        const fresh = !stores;
        if (fresh) dbs.set(name, (stores = new Map()));
        const db = {
          objectStoreNames: { contains: (n) => stores.has(n) },
          createObjectStore: (n) => stores.set(n, new Map()),
          close() {},
          onversionchange: null,
          transaction(n, mode) {
            const data = stores.get(n);
            const tx = { oncomplete: null, onerror: null, onabort: null, error: null };
            tx.objectStore = () => {
              const op = (fn) => {
                const r = request();
                later(() => {
                  r.result = fn();
                  later(() => tx.oncomplete?.({}));
                });
                return r;
              };
              return {
                get: (k) => op(() => data.get(k)),
                put: (v, k) => op(() => {
                  assert.equal(mode, 'readwrite');
                  data.set(k, v);
                }),
                delete: (k) => op(() => {
                  assert.equal(mode, 'readwrite');
                  data.delete(k);
                }),
              };
            };
            return tx;
          },
        };
        req.result = db;
        if (fresh) req.onupgradeneeded?.({});
        req.onsuccess?.({});
      });
      return req;
    },
  };
}

test('IndexedDbStore: get, set, delete; a second instance (a reloaded page) reads what the first wrote', async () => {
  assert.throws(() => new IndexedDbStore(), /no IndexedDB/, 'Node has none: fails at construction, not at import');
  const idb = fakeIndexedDB();
  const a = new IndexedDbStore({ indexedDB: idb });
  assert.equal(await a.get('a'), null);
  await a.set('a', '[1]');
  await a.set('b', '{}');
  await a.delete('b');
  const b = new IndexedDbStore({ indexedDB: idb });
  assert.equal(await b.get('a'), '[1]');
  assert.equal(await b.get('b'), null);
  assert.deepEqual([...idb.dbs.get('natter').keys()], ['kv']);
  // The client runs on it: the outbox survives a new client.
  const c = new NatterClient({ baseUrl: 'http://x', fetch: discoverFetch, token: 't', storage: a });
  void c.send('5', 'later', { clientMsgId: 'k1' });
  await waitFor(async () => (await b.get('natter:outbox'))?.includes('k1'), 2000, 'the outbox written');
  const d = new NatterClient({ baseUrl: 'http://x', fetch: discoverFetch, token: 't', storage: b });
  await d.restore();
  assert.deepEqual(d.pendingSends().map((e) => e.client_msg_id), ['k1']);
});
