// Blocks, reports, privacy settings and group moderation without a server: the
// calls' routes and bodies, the helpers for the new group events (`member_banned`,
// `member_unbanned`, `member_muted`), and the cache after them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  NatterClient, MemoryStore, NatterError, REMOVAL_KINDS, applyChange, isChange, isShownMessage, memberMute, removedMember,
} from '../dist/index.js';
import { waitFor, response, socketClass } from './helpers.mjs';

const ME = '1';
const event = (channel, seq, sender, system) => ({ channel, seq, message_id: `${channel}${seq}`, sender, client_msg_id: '', text: '', sent_at: 1000 + seq, system });
const msg = (channel, seq, sender = '9') => ({ channel, seq, message_id: `${channel}${seq}`, sender, client_msg_id: `c${seq}`, text: `t${seq}`, sent_at: 1000 + seq });
const banned = (channel, seq, user, sender = '9') => event(channel, seq, sender, { kind: 'member_banned', user });
const unbanned = (channel, seq, user, sender = '9') => event(channel, seq, sender, { kind: 'member_unbanned', user });
const muted = (channel, seq, user, until, sender = '9') => event(channel, seq, sender, { kind: 'member_muted', user, until });

test('removedMember names who a removal, a leave or a ban takes out; memberMute gives a mute\'s member and end', () => {
  assert.deepEqual([...REMOVAL_KINDS], ['member_removed', 'member_left', 'member_banned']);
  assert.equal(removedMember(banned('5', 2, '7')), '7');
  assert.equal(removedMember(event('5', 2, '9', { kind: 'member_removed', user: '7' })), '7');
  assert.equal(removedMember(event('5', 2, '7', { kind: 'member_left', user: '7' })), '7');
  assert.equal(removedMember(unbanned('5', 2, '7')), undefined, 'lifting a ban removes nobody');
  assert.equal(removedMember(muted('5', 2, '7', 5000)), undefined);
  assert.equal(removedMember(msg('5', 1)), undefined);
  assert.deepEqual(memberMute(muted('5', 2, '7', 5000)), { user: '7', until: 5000 });
  assert.deepEqual(memberMute(muted('5', 2, '7', 0)), { user: '7', until: 0 }, 'lifted');
  assert.equal(memberMute(banned('5', 2, '7')), undefined);
  assert.equal(memberMute(msg('5', 1)), undefined);
});

test('the new group events are not messages to show nor changes: applyChange leaves messages as they are', () => {
  const m = msg('5', 1);
  for (const e of [banned('5', 2, '7'), unbanned('5', 3, '7'), muted('5', 4, '7', 9999), muted('5', 5, '7', 0)]) {
    assert.equal(isShownMessage(e), false, e.system.kind);
    assert.equal(isChange(e), false, e.system.kind);
    assert.equal(applyChange(m, e), m, e.system.kind);
  }
});

test('the calls: block, unblock, blocks, report (a message or a user), privacy settings, ban, unban, muteMember, unmuteMember', async () => {
  const calls = [];
  const group = { id: '5', kind: 'group', name: 'g', members: ['1', '7'], created_at: 1 };
  const fetch = async (url, init) => {
    const path = url.replace('http://x', '');
    calls.push([init.method, path, init.body ? JSON.parse(init.body) : undefined]);
    if (path.startsWith('/v1/blocks/')) return response(204);
    if (path === '/v1/blocks') return response(200, [{ id: '7', username: 'carol', display_name: 'Carol', status_text: '', created_at: 1 }]);
    if (path === '/v1/reports') return response(201, { id: '42' });
    if (path === '/v1/me') return response(200, { id: ME, username: 'a', display_name: 'A', status_text: '', created_at: 1, settings: { read_receipts: true, ...JSON.parse(init.body) } });
    return response(200, group);
  };
  const c = new NatterClient({ baseUrl: 'http://x', fetch, token: 't' });
  assert.equal(await c.block('7'), undefined);
  assert.equal(await c.unblock('7'), undefined);
  assert.deepEqual((await c.blocks()).map((p) => p.username), ['carol']);
  assert.deepEqual(await c.report({ channel: '5', seq: 3 }, 'harassment', 'again'), { id: '42' });
  assert.deepEqual(await c.report({ user: '7' }, 'spam'), { id: '42' });
  const me = await c.updateMe({ who_can_message: 'contacts', who_can_add: 'nobody', who_sees_presence: 'everyone' });
  assert.deepEqual(me.settings, { read_receipts: true, who_can_message: 'contacts', who_can_add: 'nobody', who_sees_presence: 'everyone' });
  assert.deepEqual(await c.ban('5', '7'), group);
  await c.unban('5', '7');
  await c.muteMember('5', '7', 60);
  await c.unmuteMember('5', '7');
  assert.deepEqual(calls, [
    ['PUT', '/v1/blocks/7', undefined],
    ['DELETE', '/v1/blocks/7', undefined],
    ['GET', '/v1/blocks', undefined],
    ['POST', '/v1/reports', { channel: '5', seq: 3, reason: 'harassment', note: 'again' }],
    ['POST', '/v1/reports', { user: '7', reason: 'spam' }],
    ['PATCH', '/v1/me', { who_can_message: 'contacts', who_can_add: 'nobody', who_sees_presence: 'everyone' }],
    ['PUT', '/v1/groups/5/bans/7', undefined],
    ['DELETE', '/v1/groups/5/bans/7', undefined],
    ['PUT', '/v1/groups/5/members/7/mute', { minutes: 60 }],
    ['DELETE', '/v1/groups/5/members/7/mute', undefined],
  ]);
});

test('a report is not retried on unavailable (a repeat would file it twice); a refusal is a typed error', async () => {
  let n = 0;
  const fetch = async () => {
    n++;
    return response(503, { code: 'unavailable', message: 'later' });
  };
  const c = new NatterClient({ baseUrl: 'http://x', fetch, token: 't', maxRetryWaitMs: 50 });
  await assert.rejects(c.report({ user: '7' }, 'spam'), (e) => e instanceof NatterError && e.code === 'unavailable');
  assert.equal(n, 1);
  await assert.rejects(c.muteMember('5', '7', 60), (e) => e instanceof NatterError && e.code === 'unavailable');
  assert.equal(n, 2);
});

const hello = { type: 'hello', user_id: ME, device_id: 'd', max_text_chars: 9, max_frame_bytes: 9, protocol: 1 };
const synced = { type: 'synced', channels: 0, messages: 0 };
const summary = (id, head) => ({ id, kind: 'group', name: `g${id}`, head_seq: head, read_seq: head, unread: 0, last_activity_at: 1, last_message: null });

test('the cache: a ban of the user drops the channel as a removal does; others\' bans, unbans and mutes only move the head', async () => {
  const WS = socketClass([hello, synced]);
  const fetch = async (url) => {
    if (url.endsWith('/v1/discover')) return response(200, { edge_id: 'e', http_url: 'http://x', ws_url: 'ws://x/v1/ws' });
    if (url.endsWith('/v1/channels')) return response(200, { channels: [summary('5', 1), summary('6', 1)], next: null });
    if (/\/v1\/channels\/[56]\/messages/.test(url)) {
      const ch = url.match(/channels\/(\d)/)[1];
      return response(200, { channel: ch, head_seq: 1, has_more: false, messages: [{ ...msg(ch, 1), system: null }] });
    }
    if (url.endsWith('/v1/login')) return response(200, { token: 't', user: { id: ME, username: 'u', display_name: 'U', status_text: '', created_at: 1 } });
    return response(404, { code: 'not_found', message: url });
  };
  const c = new NatterClient({ baseUrl: 'http://x', fetch, WebSocket: WS, storage: new MemoryStore(), cacheWriteDelayMs: 5 });
  const got = [];
  c.on('message', (m) => got.push(m));
  await c.login('u', 'pw');
  await c.listChannels();
  await c.connect();
  await c.history('5');
  await c.history('6');
  for (const ch of ['5', '6']) WS.last.frame({ type: 'message', ...msg(ch, 1) });
  const events = [muted('5', 2, '7', 99999), banned('5', 3, '8'), unbanned('5', 4, '8'), muted('5', 5, '7', 0), banned('6', 2, ME)];
  for (const e of events) WS.last.frame({ type: 'message', ...e });
  await waitFor(() => got.length === 7, 2000, 'every event given to the app');
  await waitFor(async () => (await c.cached()).channels.length === 1, 2000, 'the banned channel dropped');
  const cached = await c.cached();
  assert.deepEqual(cached.channels.map((ch) => [ch.id, ch.head_seq, ch.last_message?.system?.kind]), [['5', 5, 'member_muted']]);
  assert.deepEqual(cached.messages['5'].map((m) => m.system?.kind ?? 'message'), ['message', 'member_muted', 'member_banned', 'member_unbanned', 'member_muted']);
  assert.equal(cached.messages['6'], undefined, 'the banned channel\'s messages go too');
  await c.disconnect();
});

test('invites and export: routes and bodies; joinByInvite refreshes the cached channel list with the group', async () => {
  const calls = [];
  const group = { id: '5', kind: 'group', name: 'g', members: ['1', '7'], created_at: 1 };
  const invite = { code: '5-abc', group: '5', created_by: '7', expires_at: 9e12, max_uses: 3, uses: 0 };
  const status = { id: '8', state: 'running', channels_done: 1, channels_total: 4, bytes: 10, started_at: 1, updated_at: 2 };
  const fetch = async (url, init) => {
    const path = url.replace('http://x', '');
    calls.push([init.method, path, init.body ? JSON.parse(init.body) : undefined]);
    if (path === '/v1/login') return response(200, { token: 't', user: { id: ME, username: 'a', display_name: 'A', status_text: '', created_at: 1 } });
    if (path === '/v1/groups/5/invites' && init.method === 'POST') return response(201, invite);
    if (path === '/v1/groups/5/invites') return response(200, [invite]);
    if (path.startsWith('/v1/groups/5/invites/')) return response(204);
    if (path === '/v1/invites/5-abc/join') return response(200, group);
    if (path.startsWith('/v1/channels')) return response(200, { channels: [{ ...group, last_seq: 2, last_activity: 5, unread: 0, read_seq: 0, muted: false, notifications: 'all', mentions: 0 }] });
    if (path === '/v1/me/export') return response(init.method === 'POST' ? 202 : 200, status);
    throw new Error(`unexpected ${init.method} ${path}`);
  };
  const c = new NatterClient({ baseUrl: 'http://x', fetch, storage: new MemoryStore() });
  await c.login('a', 'pw');
  assert.deepEqual(await c.createInvite('5', 1440, 3), invite);
  assert.deepEqual(await c.invites('5'), [invite]);
  assert.equal(await c.revokeInvite('5', '5-abc'), undefined);
  assert.deepEqual(await c.joinByInvite('5-abc'), group);
  assert.ok((await c.cached()).channels.some((ch) => ch.id === '5'), 'the group is in the cached list');
  assert.deepEqual(await c.startExport(), status);
  assert.deepEqual(await c.exportStatus(), status);
  assert.deepEqual(calls.filter(([, p]) => p !== '/v1/login').map(([m, p, b]) => [m, p.split('?')[0], b]), [
    ['POST', '/v1/groups/5/invites', { minutes: 1440, max_uses: 3 }],
    ['GET', '/v1/groups/5/invites', undefined],
    ['DELETE', '/v1/groups/5/invites/5-abc', undefined],
    ['POST', '/v1/invites/5-abc/join', undefined],
    ['GET', '/v1/channels', undefined],
    ['POST', '/v1/me/export', undefined],
    ['GET', '/v1/me/export', undefined],
  ]);
});
