// The local cache behind client.cached(), without a server: a fake fetch and socket
// stand in. What a restarted client reads before connecting, how events keep it
// current, its bounds, and that logout and another account erase it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NatterClient, MemoryStore, CACHE_KEY, cacheMessagesKey } from '../dist/index.js';
import { waitFor } from './helpers.mjs';

function response(status, body) {
  return { status, ok: status >= 200 && status < 300, headers: { get: () => null }, text: async () => (body === undefined ? '' : JSON.stringify(body)) };
}

const ME = '1';
const PEER = '9';
const profile = (id, name) => ({ id, username: name, display_name: name, status_text: '', created_at: 1 });
const msg = (seq, sender = PEER, channel = '5', text = `t${seq}`) => ({
  channel, seq, message_id: String(100 + seq), sender, client_msg_id: `c${seq}`, text, sent_at: 1000 + seq,
});
const summary = (id, head, read, at) => ({
  id, kind: 'dm', name: `peer of ${id}`, peer: PEER, head_seq: head, read_seq: read, unread: head - read, last_activity_at: at,
  last_message: head ? { seq: head, sender: PEER, sent_at: at, text: `t${head}`, system: null } : null,
});

/** A fake server: `state.channels`, `state.history[channel]`; counts every call. */
function fakeServer(state) {
  const calls = [];
  const fetch = async (url, init = {}) => {
    calls.push(`${init.method ?? 'GET'} ${url.replace('http://x', '')}`);
    const path = url.replace('http://x', '').split('?')[0];
    if (path === '/v1/login') return response(200, { token: `tok-${state.user}`, user: profile(state.user, `u${state.user}`) });
    if (path === '/v1/me') return response(200, profile(state.user, `u${state.user}`));
    if (path === '/v1/channels') return response(200, { channels: state.channels, next: null });
    if (path === '/v1/discover') return response(200, { edge_id: 'e', http_url: 'http://x', ws_url: 'ws://x/v1/ws' });
    const m = /^\/v1\/channels\/(\w+)\/messages$/.exec(path);
    if (m) {
      const all = state.history[m[1]] ?? [];
      const after = Number(new URL(url).searchParams.get('after') ?? 0);
      const msgs = all.filter((x) => x.seq > after).slice(-50).map((x) => ({ ...x, system: null }));
      return response(200, { channel: m[1], head_seq: all.length, has_more: false, messages: msgs });
    }
    return response(404, { code: 'not_found', message: path });
  };
  return { fetch, calls };
}

/** A socket class that plays `frames()` on open, then stays open until closed. */
function socketClass(frames) {
  return class FakeWS {
    constructor(url) {
      this.url = url;
      this.readyState = 0;
      this.sent = [];
      FakeWS.last = this;
      setTimeout(() => {
        this.readyState = 1;
        this.onopen?.({});
        for (const f of frames()) this.onmessage?.({ data: JSON.stringify(f) });
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
const hello = (user = ME) => ({ type: 'hello', user_id: user, device_id: 'd', max_text_chars: 9, max_frame_bytes: 9, protocol: 1 });

test('a restarted client reads the cache before connecting (no network), then events bring it to the server state', async () => {
  const storage = new MemoryStore();
  const state = { user: ME, channels: [summary('5', 3, 3, 1003), summary('6', 1, 0, 900)], history: { 5: [1, 2, 3].map((s) => msg(s)) } };
  const server = fakeServer(state);
  const a = new NatterClient({ baseUrl: 'http://x', fetch: server.fetch, storage, cacheWriteDelayMs: 5 });
  await a.login('u1', 'pw');
  await a.allChannels();
  await a.history('5'); // the app opened channel 5
  await a.disconnect(); // flushes the cache

  // The app restarts while the peer sends 4 and 5 and reads nothing.
  state.history[5].push(msg(4), msg(5));
  state.channels[0] = summary('5', 5, 3, 1005);
  const restarted = fakeServer(state);
  const WS = socketClass(() => [hello(), { type: 'message', ...msg(4) }, { type: 'message', ...msg(5) }, { type: 'synced', channels: 1, messages: 2 }]);
  const b = new NatterClient({ baseUrl: 'http://x', fetch: restarted.fetch, WebSocket: WS, storage, cacheWriteDelayMs: 5 });
  const before = await b.cached();
  assert.deepEqual(restarted.calls, [], 'cached() makes no call');
  assert.equal(before.userId, ME);
  assert.equal(before.profile.username, 'u1');
  assert.deepEqual(before.channels.map((c) => [c.id, c.head_seq, c.unread]), [['5', 3, 0], ['6', 1, 1]]);
  assert.deepEqual(before.messages['5'].map((m) => m.seq), [1, 2, 3]);

  await b.connect();
  const after = await b.cached();
  assert.deepEqual(after.channels.map((c) => [c.id, c.head_seq, c.read_seq, c.unread, c.last_message.seq]), [['5', 5, 3, 2, 5], ['6', 1, 0, 1, 1]]);
  assert.deepEqual(after.messages['5'].map((m) => m.seq), [1, 2, 3, 4, 5]);
  // A read on another device, a rename; then the stored copy matches what memory has.
  const frame = (f) => WS.last.onmessage({ data: JSON.stringify(f) });
  frame({ type: 'read', channel: '5', seq: 5 });
  await waitFor(async () => JSON.parse(await storage.get(`natter:${CACHE_KEY}`)).channels[0].unread === 0, 2000, 'the read written');
  await b.disconnect();
  const c = new NatterClient({ baseUrl: 'http://x', fetch: restarted.fetch, storage });
  assert.deepEqual(await c.cached(), await b.cached());
});

test('bounds: messages per conversation, conversations, characters; a gap restarts the tail', async () => {
  const storage = new MemoryStore();
  const many = Array.from({ length: 80 }, (_, i) => msg(i + 1));
  const state = { user: ME, channels: [], history: { 5: many, 6: [msg(1, PEER, '6')], 7: [msg(1, PEER, '7')] } };
  const server = fakeServer(state);
  const a = new NatterClient({ baseUrl: 'http://x', fetch: server.fetch, storage, cache: { messages: 20, conversations: 2, chars: 100 } });
  await a.login('u1', 'pw');
  await a.history('5');
  let s = await a.cached();
  assert.deepEqual(s.messages['5'].map((m) => m.seq), Array.from({ length: 20 }, (_, i) => 61 + i));
  await a.history('6');
  await a.history('7'); // three opened, two kept: 5 (read longest ago) goes
  s = await a.cached();
  assert.deepEqual(Object.keys(s.messages).sort(), ['6', '7']);
  await a.disconnect();
  assert.equal(await storage.get(`natter:${cacheMessagesKey('5')}`), null, 'its key is deleted');
  assert.ok(await storage.get(`natter:${cacheMessagesKey('7')}`));

  // Live messages: appended while contiguous, a gap starts the tail again; long texts
  // push older ones out (the newest always stays).
  const WS = socketClass(() => [
    hello(),
    { type: 'message', ...msg(2, PEER, '7', 'x'.repeat(60)) },
    { type: 'message', ...msg(3, PEER, '7', 'y'.repeat(60)) },
    { type: 'message', ...msg(2, PEER, '6') },
    { type: 'message', ...msg(9, PEER, '6') }, // 3..8 come from history (fake: none): the tail restarts
    { type: 'synced', channels: 2, messages: 4 },
  ]);
  const b = new NatterClient({ baseUrl: 'http://x', fetch: server.fetch, WebSocket: WS, storage, cache: { messages: 20, conversations: 2, chars: 100 } });
  await b.connect();
  s = await b.cached();
  assert.deepEqual(s.messages['7'].map((m) => m.seq), [3], 'over 100 characters: only the newest');
  assert.deepEqual(s.messages['6'].map((m) => m.seq), [9]);
  await b.disconnect();
});

test('logout erases the cache; another account never sees it, nor sends the previous outbox', async () => {
  const storage = new MemoryStore();
  const state = { user: ME, channels: [summary('5', 3, 3, 1003)], history: { 5: [1, 2, 3].map((s) => msg(s)) } };
  const server = fakeServer(state);
  const a = new NatterClient({ baseUrl: 'http://x', fetch: server.fetch, storage });
  await a.login('u1', 'pw');
  await a.allChannels();
  await a.history('5');
  await a.disconnect();
  assert.ok((await new NatterClient({ baseUrl: 'http://x', fetch: server.fetch, storage }).cached()).channels.length);

  await a.logout();
  assert.equal(await a.cached(), undefined);
  assert.deepEqual([...storage.map.keys()].filter((k) => k.includes('cache')), [], 'no cache key left');

  // User 1 again, with a send waiting; then user 2 logs in on the same storage.
  await a.login('u1', 'pw');
  await a.allChannels();
  void a.send('5', 'from user 1').catch(() => {});
  await waitFor(async () => (await storage.get('natter:outbox'))?.includes('from user 1'), 2000, 'the outbox');
  await a.disconnect();
  state.user = '2';
  const b = new NatterClient({ baseUrl: 'http://x', fetch: server.fetch, storage });
  await b.login('u2', 'pw');
  const s = await b.cached();
  assert.equal(s.userId, '2');
  assert.deepEqual(s.channels, []);
  assert.deepEqual(b.pendingSends(), [], 'user 1\'s send is not user 2\'s');
  // A token of another account than the stored one (no login): dropped at hello.
  state.user = ME;
  const c = new NatterClient({ baseUrl: 'http://x', fetch: server.fetch, storage, token: 'tok-1', WebSocket: socketClass(() => [hello(ME), { type: 'synced', channels: 0, messages: 0 }]) });
  assert.equal((await c.cached()).userId, '2', 'before hello: the stored account');
  await c.connect();
  assert.equal((await c.cached()).userId, ME);
  assert.deepEqual((await c.cached()).channels, []);
  await c.disconnect();
});

test('a message of a channel not in the cached list brings its summary, with one list call', async () => {
  const state = { user: ME, channels: [], history: {} };
  const server = fakeServer(state);
  const WS = socketClass(() => [hello(), { type: 'message', ...msg(1, PEER, '8') }, { type: 'message', ...msg(2, PEER, '8') }, { type: 'synced', channels: 1, messages: 2 }]);
  const a = new NatterClient({ baseUrl: 'http://x', fetch: server.fetch, WebSocket: WS, storage: new MemoryStore() });
  await a.login('u1', 'pw');
  await a.allChannels(); // empty: then someone opens a DM with the user
  state.channels = [summary('8', 2, 0, 1002)];
  await a.connect();
  await waitFor(async () => (await a.cached()).channels.length === 1, 3000, 'the new channel in the cache');
  const s = await a.cached();
  assert.deepEqual(s.channels.map((c) => [c.id, c.name, c.head_seq, c.unread]), [['8', 'peer of 8', 2, 2]]);
  assert.equal(server.calls.filter((c) => c.startsWith('GET /v1/channels?')).length, 2, 'allChannels, then one lookup');
  await a.disconnect();
});

test('cache: false keeps nothing', async () => {
  const storage = new MemoryStore();
  const server = fakeServer({ user: ME, channels: [summary('5', 1, 1, 1)], history: { 5: [msg(1)] } });
  const a = new NatterClient({ baseUrl: 'http://x', fetch: server.fetch, storage, cache: false });
  await a.login('u1', 'pw');
  await a.allChannels();
  await a.history('5');
  await a.disconnect();
  assert.equal(await a.cached(), undefined);
  assert.deepEqual([...storage.map.keys()].filter((k) => k.includes('cache')), []);
});

test('logout leaves nothing behind when a frame arrives while the socket closes', async () => {
  const storage = new MemoryStore();
  const state = { user: ME, channels: [summary('5', 3, 3, 1003)], history: { 5: [1, 2, 3].map((s) => msg(s)) } };
  const server = fakeServer(state);
  const WS = socketClass(() => [hello(), { type: 'synced', channels: 0, messages: 0 }]);
  const a = new NatterClient({ baseUrl: 'http://x', fetch: server.fetch, storage, WebSocket: WS, ackDelayMs: 10, cacheWriteDelayMs: 5 });
  await a.login('u1', 'pw');
  await a.connect();
  // The server's last message crosses the client's close: it must not write seqs or
  // the cache again after logout erased them (seen in the browser as a stray key).
  const ws = WS.last;
  const close = ws.close.bind(ws);
  ws.close = () => {
    ws.onmessage?.({ data: JSON.stringify({ type: 'message', ...msg(4) }) });
    close();
  };
  await a.logout();
  const timerFired = new Promise((res) => setTimeout(res, 100)); // 10× the ack delay: any ack timer has run
  await timerFired;
  await a.disconnect(); // waits for storage writes in flight
  assert.deepEqual([...storage.map.keys()].filter((k) => /cache|outbox|seqs|token|user/.test(k)), []);
});
