// Tests that need no server: HTTP error mapping and rate_limited retries, the
// protocol-version check, seq dedupe. A fake fetch and a fake WebSocket stand in.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NatterClient, NatterError, ProtocolVersionError, MemoryStore } from '../dist/index.js';
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
