// Sessions without a server (a fake fetch and socket stand in): logout ends the
// session on the server (best effort), logoutEverywhere, sessions(), endSession(),
// changePassword() (the new token kept, the socket reconnected with it), and a
// session ended elsewhere (`token_revoked` on a call or on the socket): everything
// erased, `session_ended` once, stopped, no reconnect loop.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NatterClient, MemoryStore } from '../dist/index.js';
import { response, waitFor } from './helpers.mjs';

const profile = { id: '1', username: 'u1', display_name: 'U1', status_text: '', created_at: 1 };
const hello = { type: 'hello', user_id: '1', device_id: 'd', max_text_chars: 9, max_frame_bytes: 9, protocol: 1 };
const synced = { type: 'synced', channels: 0, messages: 0 };
const revoked = { code: 'token_revoked', message: 'this session was ended: log in again' };

/**
 * A fake server: `state.tokens` are the valid tokens (any other is token_revoked),
 * `state.password`; records every call as `METHOD path token`.
 */
function fakeServer(state) {
  state.calls = [];
  const fetch = async (url, init = {}) => {
    const path = url.replace('http://x', '').split('?')[0];
    const token = (init.headers?.authorization ?? '').replace('Bearer ', '');
    const method = init.method ?? 'GET';
    state.calls.push(`${method} ${path} ${token}`);
    if (state.down) throw new TypeError('fetch failed');
    if (path === '/v1/login') {
      const t = `tok-${++state.n}`;
      state.tokens.add(t);
      return response(200, { token: t, user: profile });
    }
    if (!state.tokens.has(token)) return response(401, revoked);
    if (path === '/v1/logout') {
      state.tokens.delete(token);
      return response(204);
    }
    if (path === '/v1/logout/everywhere') {
      state.tokens.clear();
      return response(204);
    }
    if (path === '/v1/me/password') {
      const body = JSON.parse(init.body);
      if (body.current_password !== state.password) return response(401, { code: 'invalid_credentials', message: 'no' });
      state.password = body.new_password;
      state.tokens.clear();
      state.onPasswordChanged?.(token);
      const t = `tok-${++state.n}`;
      state.tokens.add(t);
      return response(200, { token: t, user: profile });
    }
    if (path === '/v1/sessions') return response(200, [{ id: '7', created_at: 1, last_used_at: 2, agent: 'x', current: true }]);
    if (path.startsWith('/v1/sessions/')) return response(204);
    if (path === '/v1/me') return response(200, profile);
    if (path === '/v1/discover') return response(200, { edge_id: 'e', http_url: 'http://x', ws_url: 'ws://x/v1/ws' });
    return response(404, { code: 'not_found', message: path });
  };
  return fetch;
}

/** Sockets that say hello and synced, then stay open; `revoke(ws)` ends one as the server does. */
function socketClass() {
  class FakeWS {
    constructor(url) {
      this.url = url;
      this.readyState = 0;
      this.sent = [];
      FakeWS.all.push(this);
      setTimeout(() => {
        this.readyState = 1;
        this.onopen?.({});
        for (const f of [hello, synced]) this.frame(f);
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
      setTimeout(() => this.onclose?.({ code, reason }), 1);
    }
    /** The server ends the socket's session: an error, then a close 1008. */
    revoke() {
      this.frame({ type: 'error', ...revoked });
      this.close(1008, 'token_revoked');
    }
    get token() {
      return new URL(this.url).searchParams.get('token');
    }
  }
  FakeWS.all = [];
  return FakeWS;
}

const accountKeys = (storage) => [...storage.map.keys()].filter((k) => /cache|outbox|seqs|token|user/.test(k));

test('logout ends the session on the server with its token, and erases everything here', async () => {
  const state = { n: 0, tokens: new Set(), password: 'pw' };
  const storage = new MemoryStore();
  const c = new NatterClient({ baseUrl: 'http://x', fetch: fakeServer(state), storage, WebSocket: socketClass() });
  await c.login('u1', 'pw');
  await c.connect();
  const ended = [];
  c.on('session_ended', (e) => ended.push(e));
  await c.logout();
  assert.ok(state.calls.includes('POST /v1/logout tok-1'), state.calls.join('\n'));
  assert.equal(state.tokens.size, 0);
  assert.equal(c.currentToken, undefined);
  assert.equal(c.state, 'stopped');
  assert.deepEqual(accountKeys(storage), []);
  assert.deepEqual(ended, [], 'a logout of ours is no session ended elsewhere');
});

test('logout is best effort: a server out of reach, or a session already ended, still erases everything here', async () => {
  for (const how of ['down', 'revoked']) {
    const state = { n: 0, tokens: new Set(), password: 'pw' };
    const storage = new MemoryStore();
    const c = new NatterClient({ baseUrl: 'http://x', fetch: fakeServer(state), storage });
    await c.login('u1', 'pw');
    const events = [];
    c.on('session_ended', () => events.push('session_ended'));
    c.on('unauthorized', () => events.push('unauthorized'));
    if (how === 'down') state.down = true;
    else state.tokens.clear();
    await c.logout();
    assert.ok(state.calls.includes('POST /v1/logout tok-1'), how);
    assert.equal(c.currentToken, undefined, how);
    assert.deepEqual(accountKeys(storage), [], how);
    assert.deepEqual(events, [], how);
  }
  // Nothing to end: no call.
  const state = { n: 0, tokens: new Set(), password: 'pw' };
  const c = new NatterClient({ baseUrl: 'http://x', fetch: fakeServer(state) });
  await c.logout();
  assert.deepEqual(state.calls, []);
});

test('a call refused with token_revoked: erased, session_ended once, stopped, no reconnect', async () => {
  const state = { n: 0, tokens: new Set(), password: 'pw' };
  const storage = new MemoryStore();
  const WS = socketClass();
  const c = new NatterClient({ baseUrl: 'http://x', fetch: fakeServer(state), storage, WebSocket: WS, backoffInitialMs: 1, backoffMaxMs: 5 });
  await c.login('u1', 'pw');
  await c.connect();
  const ended = [];
  const unauthorized = [];
  c.on('session_ended', (e) => ended.push(e.code));
  c.on('unauthorized', (e) => unauthorized.push(e.code));
  state.tokens.clear(); // ended on another device
  const results = await Promise.allSettled([c.me(), c.me(), c.sessions()]);
  assert.ok(results.every((r) => r.status === 'rejected' && r.reason.code === 'token_revoked'));
  await waitFor(() => ended.length === 1, 2000, 'session_ended');
  await waitFor(async () => accountKeys(storage).length === 0, 2000, 'storage erased');
  assert.equal(c.state, 'stopped');
  assert.equal(c.currentToken, undefined);
  assert.equal(c.userId, undefined);
  assert.deepEqual(unauthorized, []);
  assert.equal(WS.all.length, 1, 'no reconnect');
  assert.deepEqual(ended, ['token_revoked'], 'once');
  await assert.rejects(c.connect(), (e) => e.code === 'token_invalid', 'log in first');
});

test('the socket closed with token_revoked: erased, session_ended, stopped, no reconnect; pending sends rejected', async () => {
  const state = { n: 0, tokens: new Set(), password: 'pw' };
  const storage = new MemoryStore();
  const WS = socketClass();
  const c = new NatterClient({ baseUrl: 'http://x', fetch: fakeServer(state), storage, WebSocket: WS, backoffInitialMs: 1, backoffMaxMs: 5 });
  await c.login('u1', 'pw');
  await c.connect();
  const events = [];
  c.on('session_ended', (e) => events.push(`session_ended ${e.code}`));
  c.on('error', (e) => events.push(`error ${e.code}`));
  WS.all[0].send = () => {}; // the send is never answered
  const sending = c.send('5', 'never').catch((e) => e);
  state.tokens.clear();
  WS.all[0].revoke();
  await waitFor(() => events.length === 1, 2000, 'session_ended');
  assert.deepEqual(events, ['session_ended token_revoked'], 'no error event for the revoked frame');
  assert.equal((await sending).code, 'token_revoked');
  await waitFor(async () => accountKeys(storage).length === 0, 2000, 'storage erased');
  assert.equal(c.state, 'stopped');
  assert.equal(c.currentToken, undefined);
  assert.equal(WS.all.length, 1, 'no reconnect');
  // A close with only the reason (no error frame) is the same.
  state.tokens = new Set();
  const d = new NatterClient({ baseUrl: 'http://x', fetch: fakeServer(state), WebSocket: WS });
  await d.login('u1', 'pw');
  await d.connect();
  let n = 0;
  d.on('session_ended', () => n++);
  state.tokens.clear();
  WS.all.at(-1).close(1008, 'token_revoked');
  await waitFor(() => n === 1 && d.state === 'stopped', 2000, 'session_ended');
});

test('changePassword keeps the new token and reconnects with it; the old socket\'s token_revoked is no session end', async () => {
  const state = { n: 0, tokens: new Set(), password: 'pw' };
  const storage = new MemoryStore();
  const WS = socketClass();
  // The server closes the old socket before the password call answers (as the real one may).
  state.onPasswordChanged = (old) => {
    for (const ws of WS.all) if (ws.token === old && ws.readyState === 1) ws.revoke();
  };
  const c = new NatterClient({ baseUrl: 'http://x', fetch: fakeServer(state), storage, WebSocket: WS, backoffInitialMs: 60000, backoffMaxMs: 60000 });
  await c.login('u1', 'pw');
  await c.connect();
  const events = [];
  c.on('session_ended', () => events.push('session_ended'));
  c.on('unauthorized', () => events.push('unauthorized'));
  await assert.rejects(c.changePassword('wrong', 'new password'), (e) => e.code === 'invalid_credentials');
  assert.equal(c.currentToken, 'tok-1');
  const r = await c.changePassword('pw', 'new password');
  assert.equal(r.token, 'tok-2');
  assert.equal(c.currentToken, 'tok-2');
  assert.equal(await storage.get('natter:token'), 'tok-2');
  // Reconnected at once (the backoff is a minute) with the new token.
  await waitFor(() => c.state === 'live' && WS.all.length === 2, 2000, 'live on a new socket');
  assert.equal(WS.all[1].token, 'tok-2');
  assert.equal((await c.me()).id, '1');
  assert.deepEqual(events, []);
  // Without the server closing the old socket first: replaced all the same.
  state.onPasswordChanged = undefined;
  await c.changePassword('new password', 'newer password');
  await waitFor(() => c.state === 'live' && WS.all.length === 3, 2000, 'live on a third socket');
  assert.equal(WS.all[2].token, 'tok-3');
  assert.equal(WS.all[1].readyState, 3, 'the old socket closed');
  assert.deepEqual(events, []);
  await c.disconnect();
});

test('logoutEverywhere, sessions and endSession call their routes', async () => {
  const state = { n: 0, tokens: new Set(), password: 'pw' };
  const storage = new MemoryStore();
  const WS = socketClass();
  const c = new NatterClient({ baseUrl: 'http://x', fetch: fakeServer(state), storage, WebSocket: WS });
  await c.login('u1', 'pw');
  await c.connect();
  const list = await c.sessions();
  assert.deepEqual(list.map((s) => [s.id, s.current]), [['7', true]]);
  await c.endSession('8');
  assert.ok(state.calls.includes('DELETE /v1/sessions/8 tok-1'));
  const ended = [];
  c.on('session_ended', () => ended.push(1));
  // The server ends the socket too, before its answer comes.
  const old = WS.all[0];
  const everywhere = c.logoutEverywhere();
  old.revoke();
  await everywhere;
  assert.ok(state.calls.includes('POST /v1/logout/everywhere tok-1'));
  assert.equal(c.currentToken, undefined);
  assert.equal(c.state, 'stopped');
  assert.deepEqual(accountKeys(storage), []);
  assert.deepEqual(ended, []);
  assert.equal(WS.all.length, 1, 'no reconnect');
  // Refused by an unreachable server: nothing forgotten.
  await c.login('u1', 'pw');
  state.down = true;
  await assert.rejects(c.logoutEverywhere(), (e) => e.code === 'network');
  assert.equal(c.currentToken, 'tok-2');
});
