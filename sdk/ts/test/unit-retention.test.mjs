// Retention without a server: setRetention's route and body, the
// `retention_changed` event, and what a history page's `floor_seq` does: cached
// copies of expired messages go, and gap fills never ask for expired seqs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NatterClient, MemoryStore, NatterError, applyChange, isChange, isShownMessage, retentionChange } from '../dist/index.js';
import { waitFor, response, socketClass } from './helpers.mjs';

const ME = '1';
const msg = (channel, seq, sender = '9') => ({ channel, seq, message_id: `${channel}${seq}`, sender, client_msg_id: `c${seq}`, text: `t${seq}`, sent_at: 1000 + seq });
const retention = (channel, seq, max_age_secs, sender = '9') => ({ ...msg(channel, seq, sender), client_msg_id: '', text: '', system: { kind: 'retention_changed', max_age_secs } });
const hello = { type: 'hello', user_id: ME, device_id: 'd', max_text_chars: 9, max_frame_bytes: 9, protocol: 1 };
const synced = { type: 'synced', channels: 0, messages: 0 };
const summary = (id, head) => ({
  id, kind: 'group', name: `g${id}`, head_seq: head, read_seq: head, unread: 0, last_activity_at: 1,
  last_message: { seq: head, sender: '9', sent_at: 1000 + head, text: `t${head}`, system: null },
});
const login = { token: 't', user: { id: ME, username: 'u', display_name: 'U', status_text: '', created_at: 1 } };

test('setRetention: PUT /v1/groups/{id}/retention with max_age_secs; answers the group; refusals are typed', async () => {
  const calls = [];
  const group = { id: '5', kind: 'group', name: 'g', members: ['1', '7'], created_at: 1, max_age_secs: 604800 };
  const fetch = async (url, init) => {
    const path = url.replace('http://x', '');
    const body = init.body ? JSON.parse(init.body) : undefined;
    calls.push([init.method, path, body]);
    if (body?.max_age_secs === 60) return response(400, { code: 'bad_request', message: 'max_age_secs: 3600 to 10 years, or 0' });
    if (path === '/v1/groups/6/retention') return response(403, { code: 'forbidden', message: 'owner or admin' });
    return response(200, { ...group, max_age_secs: body.max_age_secs || null });
  };
  const c = new NatterClient({ baseUrl: 'http://x', fetch, token: 't' });
  assert.equal((await c.setRetention('5', 604800)).max_age_secs, 604800);
  assert.equal((await c.setRetention('5', 0)).max_age_secs, null, 'cleared');
  await assert.rejects(c.setRetention('5', 60), (e) => e instanceof NatterError && e.code === 'bad_request');
  await assert.rejects(c.setRetention('6', 3600), (e) => e instanceof NatterError && e.code === 'forbidden');
  assert.deepEqual(calls, [
    ['PUT', '/v1/groups/5/retention', { max_age_secs: 604800 }],
    ['PUT', '/v1/groups/5/retention', { max_age_secs: 0 }],
    ['PUT', '/v1/groups/5/retention', { max_age_secs: 60 }],
    ['PUT', '/v1/groups/6/retention', { max_age_secs: 3600 }],
  ]);
});

test('retention_changed: retentionChange gives the new limit; not a message to show nor a change', () => {
  const m = msg('5', 1);
  assert.equal(retentionChange(retention('5', 2, 86400)), 86400);
  assert.equal(retentionChange(retention('5', 3, 0)), 0, 'turned off');
  assert.equal(retentionChange(m), undefined);
  assert.equal(retentionChange({ system: { kind: 'renamed', name: 'x' } }), undefined);
  const e = retention('5', 2, 86400);
  assert.equal(isShownMessage(e), false);
  assert.equal(isChange(e), false);
  assert.equal(applyChange(m, e), m);
});

test('a history page with floor_seq drops the cached copies of older messages (and a preview of one)', async () => {
  // history['5']: what the server holds; floor: the first seq not expired.
  const state = { floor: 0, history: Array.from({ length: 6 }, (_, i) => msg('5', i + 1)) };
  const fetch = async (url) => {
    const path = url.replace('http://x', '').split('?')[0];
    if (path === '/v1/login') return response(200, login);
    if (path === '/v1/channels') return response(200, { channels: [summary('5', 6), summary('6', 3)], next: null });
    if (path === '/v1/channels/5/messages' || path === '/v1/channels/6/messages') {
      const ch = path.split('/')[3];
      const q = new URL(url).searchParams;
      const after = Number(q.get('after') ?? 0);
      const all = ch === '5' ? state.history : [1, 2, 3].map((s) => msg('6', s));
      const messages = all.filter((m) => m.seq > after && m.seq >= state.floor);
      return response(200, { channel: ch, has_more: false, messages, ...(state.floor && ch === '5' ? { floor_seq: state.floor } : {}) });
    }
    return response(404, { code: 'not_found', message: path });
  };
  const storage = new MemoryStore();
  const c = new NatterClient({ baseUrl: 'http://x', fetch, storage, cacheWriteDelayMs: 5 });
  await c.login('u', 'pw');
  await c.listChannels();
  await c.history('5');
  await c.history('6');
  assert.deepEqual((await c.cached()).messages['5'].map((m) => m.seq), [1, 2, 3, 4, 5, 6]);
  assert.equal(c.floorSeq('5'), 1, 'nothing expired yet');

  // The sweep removed 1–3: any page of the channel (here an older one) says so.
  state.floor = 4;
  const page = await c.history('5', { after: 2 });
  assert.equal(page.floor_seq, 4);
  assert.equal(c.floorSeq('5'), 4);
  let cached = await c.cached();
  assert.deepEqual(cached.messages['5'].map((m) => m.seq), [4, 5, 6], 'expired copies dropped');
  assert.deepEqual(cached.messages['6'].map((m) => m.seq), [1, 2, 3], 'other channels keep theirs');
  assert.equal(cached.channels.find((ch) => ch.id === '5').last_message.seq, 6, 'the preview is of a message still there');

  // Everything expired: the cached tail empties and the preview goes.
  state.floor = 7;
  await c.history('5');
  cached = await c.cached();
  assert.deepEqual(cached.messages['5'], []);
  assert.equal(cached.channels.find((ch) => ch.id === '5').last_message, null);
  assert.equal(c.floorSeq('5'), 7);

  // A lower floor (an older answer) never lowers it.
  state.floor = 2;
  await c.history('5', { after: 6 });
  assert.equal(c.floorSeq('5'), 7);

  // The trimmed cache is what a restarted client reads.
  await c.disconnect();
  const again = new NatterClient({ baseUrl: 'http://x', fetch, storage });
  const restored = await again.cached();
  assert.deepEqual(restored.messages['5'], []);
  assert.deepEqual(restored.messages['6'].map((m) => m.seq), [1, 2, 3]);
});

test('a gap below the floor asks no history: the fill stops at the floor and never loops', async () => {
  const WS = socketClass([hello, synced]);
  const state = { floor: 0 };
  const historyCalls = [];
  const fetch = async (url, init = {}) => {
    const path = url.replace('http://x', '').split('?')[0];
    if (path === '/v1/login') return response(200, login);
    if (path === '/v1/discover') return response(200, { edge_id: 'e', http_url: 'http://x', ws_url: 'ws://x/v1/ws' });
    if (path === '/v1/channels') return response(200, { channels: [summary('5', 2)], next: null });
    if (path === '/v1/channels/5/messages') {
      const q = new URL(url).searchParams;
      historyCalls.push(Object.fromEntries(q));
      const after = Number(q.get('after') ?? 0);
      const limit = Number(q.get('limit') ?? 50);
      // The server holds 1–2, then (after the sweep) nothing below the floor; it keeps 30–40.
      const held = [1, 2, ...Array.from({ length: 11 }, (_, i) => 30 + i)].filter((s) => s >= state.floor);
      const messages = held.filter((s) => s > after).slice(0, limit).map((s) => msg('5', s));
      const has_more = held.filter((s) => s > after).length > limit;
      return response(200, { channel: '5', has_more, messages, ...(state.floor ? { floor_seq: state.floor } : {}) });
    }
    return response(404, { code: 'not_found', message: `${init.method} ${path}` });
  };
  const c = new NatterClient({ baseUrl: 'http://x', fetch, WebSocket: WS, storage: new MemoryStore(), cacheWriteDelayMs: 5 });
  const got = [];
  c.on('message', (m) => got.push(m.seq));
  await c.login('u', 'pw');
  await c.listChannels();
  await c.connect();
  WS.last.frame({ type: 'message', ...msg('5', 1) });
  WS.last.frame({ type: 'message', ...msg('5', 2) });
  await waitFor(() => got.length === 2, 2000, 'the first messages');

  // 3–29 expired while this client was away; 30 comes live. The fill asks once
  // (from 2), learns the floor from the page, and delivers nothing below it.
  state.floor = 30;
  WS.last.frame({ type: 'message', ...msg('5', 31) });
  await waitFor(() => got.length === 4, 2000, '30 (filled) and 31');
  assert.deepEqual(got, [1, 2, 30, 31]);
  assert.equal(historyCalls.length, 1, `one history request: ${JSON.stringify(historyCalls)}`);
  assert.equal(historyCalls[0].after, '2');
  assert.equal(c.floorSeq('5'), 30);

  // A client whose seq lies below a known floor: a gap that lies wholly below it asks nothing.
  const c2 = new NatterClient({ baseUrl: 'http://x', fetch, WebSocket: WS, storage: new MemoryStore(), cacheWriteDelayMs: 5 });
  const got2 = [];
  c2.on('message', (m) => got2.push(m.seq));
  await c2.login('u', 'pw');
  await c2.connect();
  await c2.history('5', { after: 0, limit: 1 }); // learns floor 30 (and its page: 30)
  historyCalls.length = 0;
  WS.last.frame({ type: 'message', ...msg('5', 2) });
  WS.last.frame({ type: 'message', ...msg('5', 30) }); // 3–29 lie below the floor: filled
  WS.last.frame({ type: 'message', ...msg('5', 31) });
  await waitFor(() => got2.length === 3, 2000, 'the live messages');
  assert.deepEqual(got2, [2, 30, 31]);
  assert.equal(historyCalls.length, 0, `no history request: ${JSON.stringify(historyCalls)}`);

  // A gap partly above the floor: one request, from the floor on, for what is missing.
  WS.last.frame({ type: 'message', ...msg('5', 34) });
  await waitFor(() => got2.length === 6, 2000, '32 and 33 filled, then 34');
  assert.deepEqual(got2, [2, 30, 31, 32, 33, 34]);
  assert.deepEqual(historyCalls.map((q) => [q.after, q.limit]), [['31', '2']]);

  // Gone entirely (the floor passed the live message's own seq meanwhile): one request, no loop.
  state.floor = 41;
  historyCalls.length = 0;
  WS.last.frame({ type: 'message', ...msg('5', 41) });
  await waitFor(() => got2.length === 7, 2000, '41');
  assert.deepEqual(got2.slice(-1), [41]);
  assert.equal(historyCalls.length, 1, `one history request: ${JSON.stringify(historyCalls)}`);
  await c.disconnect();
  await c2.disconnect();
});
