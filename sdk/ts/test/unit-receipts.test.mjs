// Receipts, notification levels and mentions without a server: the `receipt` event
// from its frame, the typed calls (method, path, body), and the cache's
// `notifications` and `unread_mentions` kept current.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NatterClient, MemoryStore } from '../dist/index.js';
import { waitFor, response, socketClass } from './helpers.mjs';

const ME = '1';
const PEER = '9';
const hello = { type: 'hello', user_id: ME, device_id: 'd', max_text_chars: 9, max_frame_bytes: 9, protocol: 1 };
const synced = { type: 'synced', channels: 0, messages: 0 };
const msg = (seq, extra = {}) => ({
  channel: '5', seq, message_id: String(100 + seq), sender: PEER, client_msg_id: `c${seq}`, text: `t${seq}`, sent_at: 1000 + seq, ...extra,
});
const summary = (id, head, read, extra = {}) => ({
  id, kind: 'dm', name: 'p', peer: PEER, head_seq: head, read_seq: read, unread: head - read, unread_mentions: 0,
  notifications: 'all', last_activity_at: 1, last_message: null, ...extra,
});

/** A logged-in, connected client on a fake server; `calls` holds [method, path, body]. */
async function connected(channels) {
  const calls = [];
  const WS = socketClass([hello, synced]);
  const fetch = async (url, init = {}) => {
    const path = url.replace('http://x', '');
    calls.push([init.method ?? 'GET', path, init.body ? JSON.parse(init.body) : undefined]);
    if (path === '/v1/discover') return response(200, { edge_id: 'e', http_url: 'http://x', ws_url: 'ws://x/v1/ws' });
    if (path === '/v1/login') return response(200, { token: 't', user: { id: ME, username: 'u', display_name: 'U', status_text: '', created_at: 1 } });
    if (path === '/v1/channels' || path.startsWith('/v1/channels?')) return response(200, { channels, next: null });
    if (path.endsWith('/receipts')) return response(200, { members: [{ user: PEER, read: 3, delivered: 4 }] });
    if (path.endsWith('/notifications')) return response(200, JSON.parse(init.body));
    if (path.endsWith('/mute')) return response(200, JSON.parse(init.body));
    return response(404, { code: 'not_found', message: path });
  };
  const c = new NatterClient({ baseUrl: 'http://x', fetch, WebSocket: WS, storage: new MemoryStore(), cacheWriteDelayMs: 5 });
  await c.login('u', 'pw');
  await c.listChannels();
  calls.length = 0;
  await c.connect();
  return { c, WS, calls };
}

const cachedSummary = async (c, id) => (await c.cached()).channels.find((ch) => ch.id === id);

test('a receipt frame becomes a typed `receipt` event (delivered and read apart), in frame order', async () => {
  const { c, WS } = await connected([summary('5', 4, 4)]);
  const got = [];
  c.on('receipt', (r) => got.push(r));
  WS.last.frame({ type: 'receipt', channel: '5', user: PEER, delivered: 4 });
  WS.last.frame({ type: 'receipt', channel: '5', user: PEER, read: 4 });
  WS.last.frame({ type: 'receipt', channel: '5', user: PEER, read: 6, delivered: 6 });
  await waitFor(() => got.length === 3, 2000, 'three receipts');
  assert.deepEqual(got, [
    { channel: '5', user: PEER, delivered: 4 },
    { channel: '5', user: PEER, read: 4 },
    { channel: '5', user: PEER, read: 6, delivered: 6 },
  ]);
  // Not an `error` nor a message: nothing else was emitted for it, and nothing was acked.
  assert.equal(WS.last.sent.filter((o) => o.op === 'ack').length, 0);
  await c.disconnect();
});

test('receipts() and setNotifications(): method, path, body; the level reaches the cache, and so does mute()', async () => {
  const { c, calls } = await connected([summary('5', 4, 4), summary('6', 2, 2)]);
  assert.deepEqual(await c.receipts('5'), { members: [{ user: PEER, read: 3, delivered: 4 }] });
  assert.deepEqual(await c.setNotifications('5', 'mentions'), { level: 'mentions' });
  assert.deepEqual(await c.mute('6', true), { muted: true });
  assert.deepEqual(calls.filter(([, p]) => p.startsWith('/v1/channels/')), [
    ['GET', '/v1/channels/5/receipts', undefined],
    ['PUT', '/v1/channels/5/notifications', { level: 'mentions' }],
    ['PUT', '/v1/channels/6/mute', { muted: true }],
  ]);
  await waitFor(async () => (await cachedSummary(c, '5')).notifications === 'mentions', 2000, 'the level cached');
  assert.equal((await cachedSummary(c, '6')).notifications, 'none', 'muted is level none');
  await c.mute('6', false);
  await waitFor(async () => (await cachedSummary(c, '6')).notifications === 'all', 2000, 'unmuted is level all');
  await c.disconnect();
});

test('the cached unread_mentions: a new message mentioning the user counts once, others and one\'s own do not, a read to the end clears it', async () => {
  const { c, WS } = await connected([summary('5', 2, 2)]);
  WS.last.frame({ type: 'message', ...msg(3, { mentions: [ME] }) });
  WS.last.frame({ type: 'message', ...msg(4, { mentions: ['7'] }) });
  WS.last.frame({ type: 'message', ...msg(5) });
  WS.last.frame({ type: 'message', ...msg(6, { sender: ME, client_msg_id: 'own', mentions: [ME] }) });
  await waitFor(async () => (await cachedSummary(c, '5')).head_seq === 6, 2000, 'head at 6');
  // One's own message read the channel up to it: nothing is unread.
  assert.deepEqual(await cachedSummary(c, '5').then((s) => [s.unread, s.unread_mentions]), [0, 0]);
  WS.last.frame({ type: 'message', ...msg(7, { mentions: [ME] }) });
  WS.last.frame({ type: 'message', ...msg(8, { mentions: [ME, '7'] }) });
  await waitFor(async () => (await cachedSummary(c, '5')).head_seq === 8, 2000, 'head at 8');
  assert.deepEqual(await cachedSummary(c, '5').then((s) => [s.unread, s.unread_mentions]), [2, 2]);
  WS.last.frame({ type: 'read', channel: '5', seq: 7 });
  await waitFor(async () => (await cachedSummary(c, '5')).read_seq === 7, 2000, 'read at 7');
  WS.last.frame({ type: 'read', channel: '5', seq: 8 });
  await waitFor(async () => (await cachedSummary(c, '5')).unread_mentions === 0, 2000, 'mentions cleared by the read to the end');
  await c.disconnect();
});
