// Chat requests without a server: the calls' routes and bodies (requestChat,
// chatRequests, acceptRequest, declineRequest), the `chat_request` event from the
// socket, acceptRequest adding the channel to the cached list as joinByInvite does,
// and which refusals are retried.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NatterClient, MemoryStore, NatterError } from '../dist/index.js';
import { waitFor, response, socketClass } from './helpers.mjs';

const ME = '1';
const dmReq = { id: '40', from: '7', to: ME, created_at: 1000, expires_at: 2000 };
const groupReq = { id: '41', from: '8', to: ME, group: '5', group_name: 'club', created_at: 1001, expires_at: 2001 };
const login = { token: 't', user: { id: ME, username: 'a', display_name: 'A', status_text: '', created_at: 1 } };
const hello = { type: 'hello', user_id: ME, device_id: 'd', max_text_chars: 9, max_frame_bytes: 9, protocol: 1 };
const synced = { type: 'synced', channels: 0, messages: 0 };

test('the calls: requestChat (a chat, a group), chatRequests, acceptRequest, declineRequest', async () => {
  const calls = [];
  const dm = { id: '9', kind: 'dm', members: [ME, '7'], created_at: 1 };
  const fetch = async (url, init) => {
    const path = url.replace('http://x', '');
    calls.push([init.method, path, init.body ? JSON.parse(init.body) : undefined]);
    if (path === '/v1/requests' && init.method === 'POST') {
      const b = JSON.parse(init.body);
      return response(201, b.group ? { ...groupReq, to: b.user } : { ...dmReq, to: b.user, group: null, group_name: null });
    }
    if (path === '/v1/requests') return response(200, [{ ...groupReq }, { ...dmReq, group: null, group_name: null }]);
    if (path === '/v1/requests/40/accept') return response(200, dm);
    if (path === '/v1/requests/41') return response(204);
    throw new Error(`unexpected ${init.method} ${path}`);
  };
  const c = new NatterClient({ baseUrl: 'http://x', fetch, token: 't', cache: false });
  // The server's nulls are left out: a request to chat has no `group` at all.
  assert.deepEqual(await c.requestChat('7'), { ...dmReq, to: '7' });
  assert.deepEqual(await c.requestChat('8', '5'), { ...groupReq, to: '8' });
  assert.deepEqual(await c.chatRequests(), [groupReq, dmReq]);
  assert.equal('group' in (await c.chatRequests())[1], false);
  assert.deepEqual(await c.acceptRequest('40'), dm);
  assert.equal(await c.declineRequest('41'), undefined);
  assert.deepEqual(calls, [
    ['POST', '/v1/requests', { user: '7' }],
    ['POST', '/v1/requests', { user: '8', group: '5' }],
    ['GET', '/v1/requests', undefined],
    ['GET', '/v1/requests', undefined],
    ['POST', '/v1/requests/40/accept', undefined],
    ['DELETE', '/v1/requests/41', undefined],
  ]);
});

test('refusals are typed errors; accept and decline are not retried on unavailable, a request is', async () => {
  const n = { post: 0, accept: 0, decline: 0 };
  const fetch = async (url, init) => {
    const path = url.replace('http://x', '');
    if (path === '/v1/requests' && init.method === 'POST') {
      n.post++;
      if (JSON.parse(init.body).user === '6') return response(403, { code: 'forbidden', message: 'user 6 does not accept this from you' });
      return n.post === 1 ? response(503, { code: 'unavailable', message: 'later', retry_after_ms: 1 }) : response(201, dmReq);
    }
    if (path.endsWith('/accept')) {
      n.accept++;
      return response(503, { code: 'unavailable', message: 'later' });
    }
    if (init.method === 'DELETE') {
      n.decline++;
      return n.decline === 1 ? response(503, { code: 'unavailable', message: 'later' }) : response(404, { code: 'not_found', message: 'no such request' });
    }
    throw new Error(`unexpected ${init.method} ${path}`);
  };
  const c = new NatterClient({ baseUrl: 'http://x', fetch, token: 't', cache: false, maxRetryWaitMs: 50 });
  assert.deepEqual(await c.requestChat('7'), dmReq, 'asking again answers the same request: retried');
  assert.equal(n.post, 2);
  await assert.rejects(c.requestChat('6'), (e) => e instanceof NatterError && e.code === 'forbidden' && e.status === 403);
  await assert.rejects(c.acceptRequest('40'), (e) => e instanceof NatterError && e.code === 'unavailable');
  assert.equal(n.accept, 1);
  await assert.rejects(c.declineRequest('40'), (e) => e instanceof NatterError && e.code === 'unavailable');
  await assert.rejects(c.declineRequest('40'), (e) => e instanceof NatterError && e.code === 'not_found');
  assert.equal(n.decline, 2);
});

test('acceptRequest: the new channel joins the cached channel list (as after joinByInvite); one already listed asks nothing more', async () => {
  const calls = [];
  const group = { id: '5', kind: 'group', name: 'club', members: [ME, '8'], created_at: 1 };
  const summary = { id: '5', kind: 'group', name: 'club', head_seq: 2, read_seq: 0, unread: 2, last_activity_at: 5, last_message: null, notifications: 'all' };
  const fetch = async (url, init) => {
    const path = url.replace('http://x', '');
    calls.push([init.method, path.split('?')[0]]);
    if (path === '/v1/login') return response(200, login);
    if (path === '/v1/requests/41/accept') return response(200, group);
    if (path.startsWith('/v1/channels')) return response(200, { channels: [summary], next: null });
    throw new Error(`unexpected ${init.method} ${path}`);
  };
  const c = new NatterClient({ baseUrl: 'http://x', fetch, storage: new MemoryStore() });
  await c.login('a', 'pw');
  assert.deepEqual(await c.acceptRequest('41'), group);
  assert.deepEqual((await c.cached()).channels.map((ch) => ch.id), ['5'], 'the group is in the cached list');
  assert.deepEqual(await c.acceptRequest('41'), group);
  assert.deepEqual(calls.slice(1), [
    ['POST', '/v1/requests/41/accept'],
    ['GET', '/v1/channels'],
    ['POST', '/v1/requests/41/accept'],
  ]);
});

test('the chat_request event: a frame gives the request (without its type), as a listener and as an async iterator', async () => {
  const WS = socketClass([hello, synced]);
  const fetch = async (url) => {
    if (url.endsWith('/v1/discover')) return response(200, { edge_id: 'e', http_url: 'http://x', ws_url: 'ws://x/v1/ws' });
    return response(404, { code: 'not_found', message: url });
  };
  const c = new NatterClient({ baseUrl: 'http://x', fetch, WebSocket: WS, token: 't', cache: false });
  const got = [];
  c.on('chat_request', (r) => got.push(r));
  const it = c.events('chat_request');
  const messages = [];
  c.on('message', (m) => messages.push(m));
  await c.connect();
  WS.last.frame({ type: 'chat_request', ...dmReq });
  WS.last.frame({ type: 'chat_request', ...groupReq });
  await waitFor(() => got.length === 2, 2000, 'both requests given to the app');
  assert.deepEqual(got, [dmReq, groupReq]);
  assert.deepEqual((await it.next()).value, dmReq);
  assert.deepEqual((await it.next()).value, groupReq);
  await it.return();
  assert.equal(messages.length, 0, 'a request is not a message');
  await c.disconnect();
});
