// Account deletion without a server (a fake fetch and socket stand in):
// deleteAccount() sends DELETE /v1/me with the password and erases everything here
// as logout does (a wrong password keeps everything), and `account_deleted` applied
// by applyChange and by the cache: the user's messages become tombstones, their
// reactions go, others' messages stay.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NatterClient, MemoryStore, applyChange, deletedAccount, isAccountDeleted, isChange } from '../dist/index.js';
import { response, socketClass, waitFor } from './helpers.mjs';

const profile = { id: '1', username: 'u1', display_name: 'U1', status_text: '', created_at: 1 };
const hello = { type: 'hello', user_id: '1', device_id: 'd', max_text_chars: 9, max_frame_bytes: 9, protocol: 1 };
const synced = { type: 'synced', channels: 0, messages: 0 };
const revoked = { code: 'token_revoked', message: 'this session was ended: log in again' };

const CH = '5';
const GONE = '9'; // the deleted account
const msg = (seq, extra = {}) => ({
  channel: CH, seq, message_id: String(100 + seq), sender: GONE, client_msg_id: `c${seq}`, text: `t${seq}`, sent_at: 1000 + seq, ...extra,
});
const event = (seq, sender, system) => ({ channel: CH, seq, message_id: String(100 + seq), sender, client_msg_id: '', text: '', sent_at: 1000 + seq, system });
const accountDeleted = (seq, user = GONE) => event(seq, user, { kind: 'account_deleted', user });

/** A fake server: `state.tokens` are valid, `state.password`; records `METHOD path token body`. */
function fakeServer(state) {
  state.calls = [];
  return async (url, init = {}) => {
    const path = url.replace('http://x', '').split('?')[0];
    const token = (init.headers?.authorization ?? '').replace('Bearer ', '');
    const method = init.method ?? 'GET';
    state.calls.push(`${method} ${path} ${token} ${init.body ?? ''}`.trim());
    if (path === '/v1/login') {
      const t = `tok-${++state.n}`;
      state.tokens.add(t);
      return response(200, { token: t, user: profile });
    }
    if (!state.tokens.has(token)) return response(401, revoked);
    if (path === '/v1/me' && method === 'DELETE') {
      const body = JSON.parse(init.body);
      if (body.password !== state.password) return response(401, { code: 'invalid_credentials', message: 'wrong password' });
      state.tokens.clear();
      state.onDeleted?.(token);
      return response(202, { channels: 2, username_free_at: 99 });
    }
    if (path === '/v1/me') return response(200, profile);
    if (path === '/v1/discover') return response(200, { edge_id: 'e', http_url: 'http://x', ws_url: 'ws://x/v1/ws' });
    return response(404, { code: 'not_found', message: path });
  };
}

const accountKeys = (storage) => [...storage.map.keys()].filter((k) => /cache|outbox|seqs|token|user/.test(k));

test('deleteAccount sends DELETE /v1/me with the password, then erases everything here as logout does', async () => {
  const state = { n: 0, tokens: new Set(), password: 'pw' };
  const storage = new MemoryStore();
  const WS = socketClass([hello, synced]);
  // The server closes the socket (token_revoked) before its answer comes, as the real one may.
  state.onDeleted = () => {
    WS.last.onmessage?.({ data: JSON.stringify({ type: 'error', ...revoked }) });
    WS.last.close(1008, 'token_revoked');
  };
  const c = new NatterClient({ baseUrl: 'http://x', fetch: fakeServer(state), storage, WebSocket: WS, backoffInitialMs: 1, backoffMaxMs: 5 });
  await c.login('u1', 'pw');
  await c.connect();
  const ended = [];
  c.on('session_ended', (e) => ended.push(e.code));
  const r = await c.deleteAccount('pw');
  assert.deepEqual(r, { channels: 2, username_free_at: 99 });
  assert.ok(state.calls.includes('DELETE /v1/me tok-1 {"password":"pw"}'), state.calls.join('\n'));
  assert.equal(c.currentToken, undefined);
  assert.equal(c.userId, undefined);
  assert.equal(c.state, 'stopped');
  await waitFor(async () => accountKeys(storage).length === 0, 2000, 'storage erased');
  // Once the server's close (token_revoked) reached the client, nothing came of it.
  await waitFor(async () => WS.last.closeDelivered === true, 2000, 'the close delivered');
  assert.deepEqual(ended, [], 'our own deletion is no session ended elsewhere');
});

test('deleteAccount with a wrong password fails with invalid_credentials and keeps the token', async () => {
  const state = { n: 0, tokens: new Set(), password: 'pw' };
  const storage = new MemoryStore();
  const c = new NatterClient({ baseUrl: 'http://x', fetch: fakeServer(state), storage });
  await c.login('u1', 'pw');
  const events = [];
  c.on('session_ended', () => events.push('session_ended'));
  c.on('unauthorized', () => events.push('unauthorized'));
  await assert.rejects(c.deleteAccount('wrong'), (e) => e.code === 'invalid_credentials' && e.status === 401);
  assert.equal(c.currentToken, 'tok-1');
  assert.equal(c.userId, '1');
  assert.equal(await storage.get('natter:token'), 'tok-1');
  assert.deepEqual(events, []);
  assert.equal((await c.me()).id, '1', 'the session still works');
});

test('isAccountDeleted / deletedAccount tell the event apart; it is no change to one message', () => {
  assert.equal(isAccountDeleted(accountDeleted(9)), true);
  assert.equal(deletedAccount(accountDeleted(9)), GONE);
  assert.equal(isAccountDeleted(msg(1)), false);
  assert.equal(deletedAccount(event(2, '3', { kind: 'member_left', user: '3' })), undefined);
  assert.equal(isChange(accountDeleted(9)), false);
});

test('applyChange of account_deleted: the user\'s messages become tombstones, their reactions go, others\' messages stay', () => {
  const ev = accountDeleted(20);
  const full = msg(1, {
    attachments: [{ id: '44', kind: 'file', name: 'a.txt', size: 3, mime: 'text/plain' }],
    reactions: [{ emoji: '👍', count: 2, users: [GONE, '1'] }],
    edits: 1, edited_at: 7, pinned: { by: '1', at: 8 }, mentions: ['1'],
  });
  assert.deepEqual(applyChange(full, ev), { ...msg(1), text: '', deleted: { by: GONE, at: 1020 } });
  assert.equal(full.text, 't1', 'the input is not changed');
  // Another user's message: only the deleted user's reactions go.
  const other = msg(2, { sender: '1', reactions: [{ emoji: '👍', count: 2, users: [GONE, '1'] }, { emoji: '🎉', count: 1, users: [GONE] }] });
  assert.deepEqual(applyChange(other, ev), { ...msg(2, { sender: '1' }), reactions: [{ emoji: '👍', count: 1, users: ['1'] }] });
  const plain = msg(3, { sender: '1' });
  assert.equal(applyChange(plain, ev), plain, 'nothing of theirs: unchanged');
  assert.equal(applyChange(msg(4), { ...ev, channel: '6' }).text, 't4', 'another channel: unchanged');
  // Their edit events lose their text; a reply to one of their messages quotes a deleted one.
  const edit = event(5, GONE, { kind: 'message_edited', seq: 1, text: 'secret', edit: 1 });
  assert.equal(applyChange(edit, ev).system.text, '');
  const reply = msg(6, { sender: '1', reply_to: { seq: 1, sender: GONE, preview: 't1' } });
  assert.deepEqual(applyChange(reply, ev).reply_to, { seq: 1, sender: GONE, preview: '', deleted: true });
  // An already deleted message keeps its deletion; applying twice changes nothing more.
  const tomb = msg(7, { text: '', deleted: { by: '1', at: 5 } });
  assert.equal(applyChange(tomb, ev), tomb);
  const once = applyChange(full, ev);
  assert.equal(applyChange(once, ev), once);
});

test('the cache applies account_deleted to every cached message of the channel', async () => {
  const WS = socketClass([hello, synced]);
  const page = [
    msg(1),
    msg(2, { sender: '1', reactions: [{ emoji: '👍', count: 1, users: [GONE] }] }),
    msg(3, { attachments: [{ id: '44', kind: 'file', name: 'a.txt', size: 3, mime: 'text/plain' }] }),
  ];
  const fetch = async (url) => {
    if (url.endsWith('/v1/discover')) return response(200, { edge_id: 'e', http_url: 'http://x', ws_url: 'ws://x/v1/ws' });
    if (url.includes('/v1/channels/5/messages')) return response(200, { channel: CH, head_seq: 3, has_more: false, messages: page.map((m) => ({ ...m, system: null })) });
    return response(404, { code: 'not_found', message: url });
  };
  const c = new NatterClient({ baseUrl: 'http://x', fetch, WebSocket: WS, token: 't', storage: new MemoryStore(), cacheWriteDelayMs: 5 });
  await c.connect();
  const seen = [];
  c.on('message', (m) => seen.push(m.seq));
  await c.history(CH);
  for (const m of page) WS.last.frame({ type: 'message', ...m });
  WS.last.frame({ type: 'message', ...accountDeleted(4) });
  await waitFor(() => seen.includes(4), 2000, 'the account_deleted event');
  const cached = (await c.cached()).messages[CH];
  assert.deepEqual(cached.map((m) => m.seq), [1, 2, 3, 4]);
  assert.deepEqual(cached[0], { ...msg(1), text: '', deleted: { by: GONE, at: 1004 } });
  assert.deepEqual(cached[1], msg(2, { sender: '1' }), 'their reaction gone, the message stays');
  assert.deepEqual(cached[2], { ...msg(3), text: '', deleted: { by: GONE, at: 1004 } }, 'files gone');
  assert.equal(cached[3].system.kind, 'account_deleted');
  await c.disconnect();
});
