// The SDK against a real `natter dev` this file starts (target/debug/natter, on a temp
// data folder and a free port) and stops at the end, pass or fail.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore, NatterError, PROTOCOL_VERSION, applyChange, isChange } from '../dist/index.js';
import { makeClient, makePng, startNatter, texts, uname, waitFor } from './helpers.mjs';

let server;
const clients = [];
function client(opts) {
  const c = makeClient(server.url, opts);
  clients.push(c);
  return c;
}
async function user(prefix, opts) {
  const c = client(opts);
  const r = await c.signup(uname(prefix), 'correct horse battery', prefix);
  return { c, id: r.user.id, name: r.user.username };
}

before(async () => {
  server = await startNatter();
});
after(async () => {
  await Promise.allSettled(clients.map((c) => c.disconnect()));
  if (server) await server.stop();
});

test('sign-up, login, profile, version and search', async () => {
  const a = client();
  const name = uname('alice');
  const r = await a.signup(name, 'correct horse battery', 'Alice');
  assert.equal(r.user.username, name);
  assert.ok(a.currentToken);
  const v = await a.checkVersion();
  assert.equal(v.protocol, PROTOCOL_VERSION);
  const me = await a.updateMe({ status_text: 'climbing' });
  assert.equal(me.status_text, 'climbing');
  assert.equal((await a.me()).display_name, 'Alice');
  const b = client();
  await b.login(name, 'correct horse battery');
  assert.equal(b.userId, r.user.id);
  const found = await b.searchUsers(name.slice(0, 12));
  assert.ok(found.users.some((u) => u.id === r.user.id));
  assert.equal((await b.getUser(r.user.id)).username, name);
});

test('DM both ways: sends resolve with their seq, each side gets every message once in order', async () => {
  const a = await user('dma');
  const b = await user('dmb');
  await Promise.all([a.c.connect(), b.c.connect()]);
  const dm = await a.c.openDm(b.id);
  assert.equal((await b.c.openDm(a.id)).id, dm.id);
  const m1 = await a.c.send(dm.id, 'hi bob');
  assert.equal(m1.seq, 1);
  const m2 = await b.c.send(dm.id, 'hi alice');
  assert.equal(m2.seq, 2);
  await a.c.send(dm.id, 'how are you?');
  for (const side of [a.c, b.c]) {
    await waitFor(() => texts(side, dm.id).length === 3, 10000, 'three messages on both sides');
    assert.deepEqual(texts(side, dm.id), ['hi bob', 'hi alice', 'how are you?']);
    assert.deepEqual(side.received.filter((m) => m.channel === dm.id).map((m) => m.seq), [1, 2, 3]);
  }
  // Coalesced cursor acks reached the server: a new connection of b's device catches up nothing.
  const page = await b.c.history(dm.id, { after: 1 });
  assert.deepEqual(page.messages.map((m) => m.text), ['hi alice', 'how are you?']);
  const list = await b.c.listChannels();
  assert.ok(list.channels.some((ch) => ch.id === dm.id && ch.head_seq === 3));
  assert.equal(a.c.pendingSends().length, 0);
});

test('receipts, mentions and notification levels: delivered then read as receipt events, receipts() agrees, the list counts the mention and keeps the level', async () => {
  const a = await user('rca');
  const b = await user('rcb');
  await a.c.connect();
  const dm = await a.c.openDm(b.id);
  const got = [];
  a.c.on('receipt', (r) => r.channel === dm.id && got.push(r));
  const m = await a.c.send(dm.id, `hi @${b.name}`);
  assert.deepEqual(m.mentions, [b.id]);
  assert.equal((await b.c.listChannels()).channels.find((ch) => ch.id === dm.id).unread_mentions, 1);
  // b's device connects: the catch-up is acked (delivered); b reads (read).
  await b.c.connect();
  await waitFor(() => got.some((r) => (r.delivered ?? 0) >= m.seq), 10000, 'a delivered receipt');
  assert.ok(b.c.markRead(dm.id, m.seq));
  await waitFor(() => got.some((r) => (r.read ?? 0) >= m.seq), 10000, 'a read receipt');
  assert.ok(got.every((r) => r.user === b.id));
  const { members } = await a.c.receipts(dm.id);
  assert.deepEqual(members.map((x) => [x.user, x.read >= m.seq, x.delivered >= m.seq]), [[b.id, true, true]]);
  await waitFor(async () => (await b.c.listChannels()).channels.find((ch) => ch.id === dm.id).unread_mentions === 0, 10000, 'the mention read');
  // Levels: set, shown in the list; mute() still maps to them.
  assert.deepEqual(await b.c.setNotifications(dm.id, 'mentions'), { level: 'mentions' });
  const level = async () => (await b.c.listChannels()).channels.find((ch) => ch.id === dm.id).notifications;
  assert.equal(await level(), 'mentions');
  await b.c.mute(dm.id, true);
  assert.equal(await level(), 'none');
  await assert.rejects(b.c.setNotifications(dm.id, 'loud'), (e) => e instanceof NatterError && e.code === 'bad_request');
  // Read receipts off on one side: no reads either way in receipts(); deliveries stay.
  await b.c.updateMe({ read_receipts: false });
  assert.equal((await b.c.me()).settings.read_receipts, false);
  const readsAndDelivered = async (c) => (await c.receipts(dm.id)).members.map((x) => [x.user, x.read, x.delivered >= m.seq]);
  assert.deepEqual(await readsAndDelivered(b.c), [[a.id, 0, true]]);
  assert.deepEqual(await readsAndDelivered(a.c), [[b.id, 0, true]]);
});

test('a group: create, add, rename, roles, members, leave; system events arrive as messages', async () => {
  const a = await user('ga');
  const b = await user('gb');
  const c = await user('gc');
  await Promise.all([a.c.connect(), b.c.connect(), c.c.connect()]);
  const g = await a.c.createGroup('Climbing', [b.id]);
  assert.equal(g.kind, 'group');
  await a.c.addMembers(g.id, [c.id]);
  await a.c.renameGroup(g.id, 'Climbing club');
  await a.c.setRole(g.id, b.id, 'admin');
  const members = await b.c.members(g.id);
  assert.deepEqual(Object.fromEntries(members.members.map((m) => [m.user, m.role])), { [a.id]: 'owner', [b.id]: 'admin', [c.id]: 'member' });
  await b.c.send(g.id, 'hello group');
  await waitFor(() => texts(c.c, g.id).includes('hello group'), 10000, 'c gets the group message');
  const kinds = c.c.received.filter((m) => m.channel === g.id && m.system).map((m) => m.system.kind);
  assert.deepEqual(kinds, ['group_created', 'members_added', 'renamed', 'role_changed']);
  await c.c.leaveGroup(g.id);
  await waitFor(() => a.c.received.some((m) => m.channel === g.id && m.system?.kind === 'member_left'), 10000, 'member_left');
  assert.equal((await a.c.getChannel(g.id)).name, 'Climbing club');
});

test('blocks and privacy: a blocked user\'s DM send is refused with forbidden, blocks() lists them, unblock lets it through; who_can_message', async () => {
  const a = await user('bla');
  const b = await user('blb');
  await Promise.all([a.c.connect(), b.c.connect()]);
  const dm = await a.c.openDm(b.id);
  await b.c.send(dm.id, 'before');
  await a.c.block(b.id);
  await a.c.block(b.id); // again: nothing changes
  assert.deepEqual((await a.c.blocks()).map((p) => p.id), [b.id]);
  const err = await b.c.send(dm.id, 'can you hear me').catch((e) => e);
  assert.ok(err instanceof NatterError && err.code === 'forbidden', String(err));
  const err2 = await a.c.send(dm.id, 'nor me').catch((e) => e);
  assert.equal(err2.code, 'forbidden', 'nothing goes either way');
  await assert.rejects(a.c.block(a.id), (e) => e instanceof NatterError && e.code === 'bad_request');
  await a.c.unblock(b.id);
  assert.deepEqual(await a.c.blocks(), []);
  assert.equal((await b.c.send(dm.id, 'after')).text, 'after');
  // Privacy settings through updateMe, shown in me().settings; a stranger cannot start a chat.
  const me = await a.c.updateMe({ who_can_message: 'nobody', who_can_add: 'contacts', who_sees_presence: 'nobody' });
  assert.equal(me.settings.who_can_message, 'nobody');
  const s = (await a.c.me()).settings;
  assert.deepEqual([s.who_can_message, s.who_can_add, s.who_sees_presence], ['nobody', 'contacts', 'nobody']);
  const x = await user('blx');
  await assert.rejects(x.c.openDm(a.id), (e) => e instanceof NatterError && e.code === 'forbidden');
});

test('reports: a message and a user, each answered with an id; one\'s own message is bad_request', async () => {
  const a = await user('rpa');
  const b = await user('rpb');
  await b.c.connect();
  const dm = await b.c.openDm(a.id);
  const m = await b.c.send(dm.id, 'buy cheap watches');
  const r1 = await a.c.report({ channel: dm.id, seq: m.seq }, 'spam', 'unsolicited');
  assert.match(r1.id, /^\d+$/);
  const r2 = await a.c.report({ user: b.id }, 'harassment');
  assert.match(r2.id, /^\d+$/);
  assert.notEqual(r1.id, r2.id);
  await assert.rejects(b.c.report({ channel: dm.id, seq: m.seq }, 'other'), (e) => e instanceof NatterError && e.code === 'bad_request');
});

test('group moderation: a ban removes the member (their event, their list loses the group, no re-adding until unbanned); a mute refuses sends until lifted', async () => {
  const a = await user('moa');
  const b = await user('mob');
  const c = await user('moc');
  await Promise.all([a.c.connect(), b.c.connect(), c.c.connect()]);
  const g = await a.c.createGroup('Moderated', [b.id, c.id]);
  await waitFor(async () => (await c.c.listChannels()).channels.some((ch) => ch.id === g.id), 10000, 'c lists the group');
  assert.ok((await c.c.cached()).channels.some((ch) => ch.id === g.id));
  // Mute: b's send refused with forbidden, everyone sees member_muted with its end; then lifted.
  const before = Date.now();
  await a.c.muteMember(g.id, b.id, 60);
  const mutedEv = await waitFor(() => b.c.received.find((m) => m.channel === g.id && m.system?.kind === 'member_muted'), 10000, 'member_muted');
  assert.equal(mutedEv.system.user, b.id);
  assert.ok(mutedEv.system.until >= before + 59 * 60000, `until ${mutedEv.system.until}`);
  const refused = await b.c.send(g.id, 'let me speak').catch((e) => e);
  assert.ok(refused instanceof NatterError && refused.code === 'forbidden', String(refused));
  await a.c.unmuteMember(g.id, b.id);
  await waitFor(() => b.c.received.some((m) => m.channel === g.id && m.system?.kind === 'member_muted' && m.system.until === 0), 10000, 'the mute lifted');
  assert.equal((await b.c.send(g.id, 'thanks')).text, 'thanks');
  // Ban: c gets member_banned, the group leaves c's cached list as for a removal, and the server's.
  await a.c.ban(g.id, c.id);
  await waitFor(() => c.c.received.some((m) => m.channel === g.id && m.system?.kind === 'member_banned' && m.system.user === c.id), 10000, 'c gets member_banned');
  await waitFor(async () => !(await c.c.cached()).channels.some((ch) => ch.id === g.id), 10000, 'the group leaves c\'s cached list');
  assert.ok(!(await c.c.listChannels()).channels.some((ch) => ch.id === g.id));
  await assert.rejects(c.c.send(g.id, 'still here?'), (e) => e instanceof NatterError && e.code === 'not_a_member');
  await assert.rejects(a.c.addMembers(g.id, [c.id]), (e) => e instanceof NatterError && e.code === 'forbidden');
  await a.c.unban(g.id, c.id);
  await waitFor(() => a.c.received.some((m) => m.channel === g.id && m.system?.kind === 'member_unbanned'), 10000, 'member_unbanned');
  await a.c.addMembers(g.id, [c.id]);
  assert.ok((await c.c.listChannels()).channels.some((ch) => ch.id === g.id), 'added again after the unban');
});

test('invites: the owner makes one, another user joins with the code and is a member (the group in their cached list); revoked or used up: not_found', async () => {
  const a = await user('ia');
  const b = await user('ib');
  const c = await user('ic');
  await Promise.all([a.c.connect(), b.c.connect(), c.c.connect()]);
  const g = await a.c.createGroup('Open door', []);
  const inv = await a.c.createInvite(g.id, 60, 1);
  assert.equal(inv.group, g.id);
  assert.equal(inv.created_by, a.id);
  assert.equal(inv.max_uses, 1);
  assert.equal(inv.uses, 0);
  assert.ok(inv.expires_at > Date.now() + 59 * 60000, `expires_at ${inv.expires_at}`);
  assert.deepEqual((await a.c.invites(g.id)).map((i) => i.code), [inv.code]);
  await assert.rejects(b.c.invites(g.id), (e) => e instanceof NatterError && e.code === 'not_a_member'); // not yet a member
  const joined = await b.c.joinByInvite(inv.code);
  assert.equal(joined.id, g.id);
  assert.ok(joined.members.includes(b.id));
  assert.ok((await b.c.cached()).channels.some((ch) => ch.id === g.id), 'the group is in b\'s cached list');
  const members = await a.c.members(g.id);
  assert.equal(members.members.find((m) => m.user === b.id)?.role, 'member');
  await waitFor(() => a.c.received.some((m) => m.channel === g.id && m.system?.kind === 'members_added'), 10000, 'a sees b join');
  await b.c.send(g.id, 'in via the link');
  await waitFor(() => texts(a.c, g.id).includes('in via the link'), 10000, 'a gets b\'s message');
  // Used up (max 1): c is refused; a revoked one is refused too and leaves the list.
  await assert.rejects(c.c.joinByInvite(inv.code), (e) => e instanceof NatterError && e.code === 'not_found');
  const inv2 = await a.c.createInvite(g.id, 1440);
  assert.equal(inv2.max_uses, 0);
  await a.c.revokeInvite(g.id, inv2.code);
  assert.deepEqual(await a.c.invites(g.id), []);
  await assert.rejects(c.c.joinByInvite(inv2.code), (e) => e instanceof NatterError && e.code === 'not_found');
});

test('data export: started, polled until ready, the link serves the natter.export.v1 archive without a token', async () => {
  const a = await user('xa');
  const b = await user('xb');
  await a.c.connect();
  const dm = await a.c.openDm(b.id);
  await a.c.send(dm.id, 'to be exported');
  const started = await a.c.startExport();
  assert.ok(['running', 'ready'].includes(started.state), started.state);
  const ready = await waitFor(async () => {
    const s = await a.c.exportStatus();
    assert.notEqual(s.state, 'failed');
    return s.state === 'ready' ? s : undefined;
  }, 60000, 'the export to be ready');
  assert.equal(ready.channels_done, ready.channels_total);
  assert.ok(ready.channels_total >= 1);
  assert.ok(ready.url, 'a url');
  assert.ok(ready.expires_at > Date.now());
  const res = await fetch(new URL(ready.url, server.url)); // no Authorization header
  assert.equal(res.status, 200);
  const archive = await res.json();
  assert.equal(archive.schema, 'natter.export.v1');
  assert.equal(archive.profile.id, a.id);
  const ch = archive.channels.find((x) => x.channel.id === dm.id);
  assert.ok(ch?.messages.some((m) => m.text === 'to be exported'), 'the DM message is in the archive');
  // Asking again within the hour answers the same export.
  assert.equal((await a.c.startExport()).id, ready.id);
});

test('typed errors: a send to a stranger\'s channel, HTTP errors with code and status', async () => {
  const a = await user('ea');
  const b = await user('eb');
  const s = await user('es');
  const dm = await b.c.openDm(s.id); // a is not a member
  await a.c.connect();
  const sendErrors = [];
  a.c.on('send_error', (e) => sendErrors.push(e));
  const err = await a.c.send(dm.id, 'let me in').catch((e) => e);
  assert.ok(err instanceof NatterError, String(err));
  assert.equal(err.code, 'not_a_member');
  assert.ok(err.clientMsgId);
  assert.equal(sendErrors.length, 1);
  assert.equal(a.c.pendingSends().length, 0, 'a refused send leaves the outbox');
  const httpErr = await a.c.history(dm.id).catch((e) => e);
  assert.equal(httpErr.code, 'not_a_member');
  assert.equal(httpErr.status, 403);
  assert.ok(httpErr.requestId);
  const bad = client();
  await assert.rejects(bad.login(a.name, 'wrong password!'), (e) => e instanceof NatterError && e.code === 'invalid_credentials' && e.status === 401);
  await assert.rejects(bad.signup(a.name, 'correct horse battery'), (e) => e.code === 'username_taken');
  await assert.rejects(a.c.openDm(a.id), (e) => e.code === 'cannot_dm_self');
  const tooLong = await a.c.send(dm.id, 'x'.repeat(100000)).catch((e) => e);
  assert.equal(tooLong.code, 'message_too_long');
});

test('sessions: two logins listed; ending the other ends it (its calls and socket refused, session_ended, data erased)', async () => {
  const a = await user('sa'); // the sign-up opened a session
  const b = client();
  await b.login(a.name, 'correct horse battery');
  const idle = client(); // a third login that only makes calls (no socket)
  await idle.login(a.name, 'correct horse battery');
  await Promise.all([a.c.connect(), b.connect()]);
  const list = await a.c.sessions();
  assert.equal(list.length, 3);
  assert.equal(list.filter((s) => s.current).length, 1);
  assert.equal(new Set(list.map((s) => s.id)).size, 3);
  assert.ok(list.every((s) => s.created_at > 0 && s.last_used_at >= s.created_at - 60000 && typeof s.agent === 'string'));
  const mine = list.find((s) => s.current).id;
  const bId = (await b.sessions()).find((s) => s.current).id;
  const idleId = (await idle.sessions()).find((s) => s.current).id;
  assert.deepEqual(new Set([mine, bId, idleId]), new Set(list.map((s) => s.id)));

  const ended = { b: [], idle: [] };
  b.on('session_ended', (e) => ended.b.push(e.code));
  idle.on('session_ended', (e) => ended.idle.push(e.code));
  const bToken = b.currentToken;
  await a.c.endSession(bId);
  await a.c.endSession(idleId);
  // The connected one: its socket is closed with token_revoked.
  await waitFor(() => ended.b.length === 1, 10000, 'b told its session ended');
  assert.deepEqual(ended.b, ['token_revoked']);
  assert.equal(b.state, 'stopped');
  assert.equal(b.currentToken, undefined);
  assert.equal(b.userId, undefined);
  assert.equal(await b.cached(), undefined);
  // The other one: its next call is refused.
  const err = await idle.me().catch((e) => e);
  assert.equal(err.code, 'token_revoked');
  await waitFor(() => ended.idle.length === 1, 5000, 'idle told its session ended');
  assert.equal(idle.currentToken, undefined);
  // The ended token stays refused; a's session goes on; the list has a's alone.
  const again = client({ token: bToken });
  await assert.rejects(again.me(), (e) => e.code === 'token_revoked');
  await assert.rejects(a.c.endSession(bId), (e) => e.code === 'not_found');
  assert.deepEqual((await a.c.sessions()).map((s) => s.id), [mine]);
  assert.equal(a.c.state, 'live');
  assert.deepEqual(ended.b, ['token_revoked'], 'told once');
  assert.equal(b.state, 'stopped', 'no reconnect');
});

test('changePassword: this client keeps working on the new token, every other session ends', async () => {
  const a = await user('pa');
  const peer = await user('pb');
  const other = client();
  await other.login(a.name, 'correct horse battery');
  await Promise.all([a.c.connect(), other.connect()]);
  const dm = await a.c.openDm(peer.id);
  const events = [];
  a.c.on('session_ended', () => events.push('a ended'));
  a.c.on('unauthorized', () => events.push('a unauthorized'));
  other.on('session_ended', (e) => events.push(`other ${e.code}`));
  await assert.rejects(a.c.changePassword('wrong password!', 'battery staple horse'), (e) => e.code === 'invalid_credentials');
  const oldToken = a.c.currentToken;
  const r = await a.c.changePassword('correct horse battery', 'battery staple horse');
  assert.equal(a.c.currentToken, r.token);
  assert.notEqual(r.token, oldToken);
  await waitFor(() => events.includes('other token_revoked'), 10000, 'the other session ended');
  assert.equal(other.currentToken, undefined);
  // This one: calls and the socket work on the new token.
  await a.c.waitSynced();
  const m = await a.c.send(dm.id, 'after the change');
  assert.equal(m.text, 'after the change');
  assert.equal((await a.c.me()).id, a.id);
  const list = await a.c.sessions();
  assert.equal(list.length, 1);
  assert.ok(list[0].current);
  assert.deepEqual(events, ['other token_revoked']);
  // The old token is refused; the old password too; the new one logs in.
  await assert.rejects(client({ token: oldToken }).me(), (e) => e.code === 'token_revoked');
  await assert.rejects(client().login(a.name, 'correct horse battery'), (e) => e.code === 'invalid_credentials');
  await client().login(a.name, 'battery staple horse');
});

test('logout ends the session on the server: the old token is refused', async () => {
  const a = await user('lo');
  await a.c.connect();
  const token = a.c.currentToken;
  await a.c.logout();
  assert.equal(a.c.currentToken, undefined);
  await assert.rejects(client({ token }).me(), (e) => e.code === 'token_revoked');
  // Logging out everywhere ends every session, this one's too.
  const b = client();
  await b.login(a.name, 'correct horse battery');
  const c = client();
  await c.login(a.name, 'correct horse battery');
  const [bt, ct] = [b.currentToken, c.currentToken];
  await c.logoutEverywhere();
  assert.equal(c.currentToken, undefined);
  for (const t of [bt, ct]) await assert.rejects(client({ token: t }).me(), (e) => e.code === 'token_revoked');
});

test('presence and typing', async () => {
  const a = await user('pa');
  const b = await user('pb');
  await Promise.all([a.c.connect(), b.c.connect()]);
  const dm = await a.c.openDm(b.id);
  const presence = [];
  a.c.on('presence', (p) => presence.push(p));
  a.c.subscribePresence([b.id]);
  await waitFor(() => presence.some((p) => p.user === b.id && p.online), 10000, 'b online');
  const typing = [];
  b.c.on('typing', (t) => typing.push(t));
  assert.equal(a.c.typing(dm.id), true);
  assert.equal(a.c.typing(dm.id), false, 'throttled');
  await waitFor(() => typing.some((t) => t.channel === dm.id && t.user === a.id), 10000, 'typing at b');
  await b.c.disconnect();
  await waitFor(() => presence.some((p) => p.user === b.id && !p.online), 10000, 'b offline after a clean close');
});

test('outbox replay after a simulated app restart: a new client on the same storage sends once', async () => {
  const b = await user('ob');
  const storage = new MemoryStore();
  const a1 = client({ storage });
  const r = await a1.signup(uname('oa'), 'correct horse battery', 'oa');
  await b.c.connect();
  const dm = await b.c.openDm(r.user.id);
  await a1.connect();
  const first = await a1.send(dm.id, 'before the restart', { clientMsgId: 'oa-1' });
  await a1.disconnect();
  // Offline: these wait in the persisted outbox; the app then dies before reconnecting.
  void a1.send(dm.id, 'queued 1', { clientMsgId: 'oa-2' });
  void a1.send(dm.id, 'queued 2', { clientMsgId: 'oa-3' });
  await waitFor(async () => JSON.parse((await storage.get('natter:outbox')) ?? '[]').length === 2, 5000, 'the outbox persisted');
  // An already-delivered send also left in the outbox (its ack was lost): never a duplicate.
  const outbox = JSON.parse(await storage.get('natter:outbox'));
  outbox.unshift({ channel: dm.id, client_msg_id: 'oa-1', text: 'before the restart', created_at: first.sent_at });
  await storage.set('natter:outbox', JSON.stringify(outbox));

  const a2 = client({ storage }); // the app restarted: token, device, seqs and outbox from storage
  await a2.connect();
  assert.equal(a2.userId, r.user.id);
  await waitFor(() => texts(b.c, dm.id).length >= 3 && a2.pendingSends().length === 0, 15000, 'the outbox drained');
  assert.deepEqual(texts(b.c, dm.id), ['before the restart', 'queued 1', 'queued 2']);
  const page = await b.c.history(dm.id);
  assert.deepEqual(page.messages.map((m) => m.text), ['before the restart', 'queued 1', 'queued 2']);
  assert.deepEqual(page.messages.map((m) => m.seq), [1, 2, 3]);
  // a2 did not re-deliver what a1 had already seen (seqs came from storage).
  assert.deepEqual(texts(a2, dm.id), ['queued 1', 'queued 2']);
});

test('cache: a restarted client shows the last state before connecting, then converges to the server', async () => {
  const b = await user('cb');
  const storage = new MemoryStore();
  const a1 = client({ storage });
  const r = await a1.signup(uname('ca'), 'correct horse battery', 'Cached Alice');
  const dm = await a1.openDm(b.id);
  const g = await b.c.createGroup('Cache club', [r.user.id]);
  await Promise.all([a1.connect(), b.c.connect()]);
  await a1.send(dm.id, 'one');
  await b.c.send(dm.id, 'two');
  await waitFor(() => texts(a1, dm.id).length === 2, 10000, 'a1 has both');
  await a1.allChannels();
  await a1.history(dm.id); // the app opened the DM
  await a1.disconnect();

  // Away: b writes three more and renames the group.
  for (const t of ['three', 'four', 'five']) await b.c.send(dm.id, t);
  await b.c.renameGroup(g.id, 'Cache club 2');

  // The app restarts: before any network, the last state.
  let calls = 0;
  const counted = (url, init) => {
    calls++;
    return fetch(url, init);
  };
  const a2 = client({ storage, fetch: counted });
  const before = await a2.cached();
  assert.equal(calls, 0, 'no network');
  assert.equal(before.profile.display_name, 'Cached Alice');
  const dmBefore = before.channels.find((c) => c.id === dm.id);
  assert.deepEqual([dmBefore.head_seq, dmBefore.unread, dmBefore.last_message.text], [2, 1, 'two']); // 'two' not read yet
  assert.equal(before.channels.find((c) => c.id === g.id).name, 'Cache club');
  assert.deepEqual(before.messages[dm.id].map((m) => m.text), ['one', 'two']);

  // Connected: the catch-up brings the cache to what the server says.
  await a2.connect();
  await waitFor(() => texts(a2, dm.id).length === 3, 10000, 'the three missed messages');
  await waitFor(() => a2.received.some((m) => m.system?.kind === 'renamed'), 10000, 'the rename');
  const live = await a2.cached(); // from the catch-up alone
  const server = (await a2.listChannels()).channels;
  const pick = (c) => [c.id, c.name, c.head_seq, c.read_seq, c.unread, c.last_message?.seq];
  assert.deepEqual(live.channels.map(pick).sort(), server.map(pick).sort());
  assert.deepEqual(live.messages[dm.id].map((m) => m.text), ['one', 'two', 'three', 'four', 'five']);
  assert.deepEqual(live.messages[dm.id].map((m) => m.seq), [1, 2, 3, 4, 5]);
  await a2.logout();
  assert.equal(await a2.cached(), undefined);
  assert.deepEqual([...storage.map.keys()].filter((k) => k.includes('cache')), []);
});

/** The messages `c` received in `channel`, each in its current state: change events applied. */
function copies(c, channel) {
  const out = new Map();
  for (const m of c.received.filter((x) => x.channel === channel)) {
    if (isChange(m)) for (const [s, x] of out) out.set(s, applyChange(x, m));
    else out.set(m.seq, m);
  }
  return out;
}

test('edit, react, reply, pin, delete, forward, hide: copies follow the events, the HTTP answers and the cache agree', async () => {
  const a = await user('xa');
  const b = await user('xb');
  await Promise.all([a.c.connect(), b.c.connect()]);
  const dm = await a.c.openDm(b.id);
  const first = await a.c.send(dm.id, 'first');
  await a.c.history(dm.id); // a opened the DM: its cache keeps it
  const reply = await b.c.send(dm.id, 'a reply', { replyTo: first.seq });
  assert.deepEqual(reply.reply_to, { seq: first.seq, sender: a.id, preview: 'first' });

  // Edit (the author only), reactions from both, a pin.
  const edited = await a.c.editMessage(dm.id, first.seq, 'first, edited');
  assert.deepEqual([edited.text, edited.edits], ['first, edited', 1]);
  await assert.rejects(a.c.editMessage(dm.id, reply.seq, 'not mine'), (e) => e instanceof NatterError && e.code === 'not_author' && e.status === 403);
  await b.c.react(dm.id, first.seq, '👍');
  const reacted = await a.c.react(dm.id, first.seq, '👍');
  assert.deepEqual(reacted.reactions, [{ emoji: '👍', count: 2, users: [b.id, a.id] }]);
  assert.equal((await a.c.react(dm.id, first.seq, '👍', false)).reactions[0].count, 1);
  const pinned = await b.c.pin(dm.id, first.seq);
  assert.equal(pinned.pinned.by, b.id);
  assert.deepEqual((await a.c.pins(dm.id)).pins.map((m) => m.seq), [first.seq]);
  const versions = await a.c.messageEdits(dm.id, first.seq);
  assert.deepEqual(versions.versions.map((v) => v.text), ['first', 'first, edited']);

  // Each side's copies, with the events applied, are the server's current state.
  const now = await a.c.message(dm.id, first.seq);
  await waitFor(() => [a.c, b.c].every((side) => copies(side, dm.id).get(first.seq)?.pinned), 10000, 'the pin on both sides');
  for (const side of [a.c, b.c]) {
    assert.deepEqual(copies(side, dm.id).get(first.seq), now);
    assert.equal(copies(side, dm.id).get(reply.seq).reply_to.preview, 'first, edited');
  }
  // A refused op over the socket comes back with its op_id.
  const errors = [];
  b.c.on('error', (e) => errors.push(e));
  const opId = b.c.sendChangeOp({ op: 'edit', channel: dm.id, seq: first.seq, text: 'hijack' });
  await waitFor(() => errors.some((e) => e.opId === opId), 10000, 'the op error');
  assert.equal(errors.find((e) => e.opId === opId).code, 'not_author');

  // Forward to a group, then delete the original for everyone: the copy lives on.
  const g = await a.c.createGroup('Forwards', [b.id]);
  const fwd = await a.c.forward(g.id, dm.id, first.seq);
  assert.deepEqual([fwd.text, fwd.forwarded, fwd.channel], ['first, edited', true, g.id]);
  const tomb = await a.c.deleteMessage(dm.id, first.seq);
  assert.deepEqual([tomb.text, tomb.deleted.by, tomb.reactions, tomb.pinned], ['', a.id, undefined, undefined]);
  await assert.rejects(b.c.react(dm.id, first.seq, '🎉'), (e) => e.code === 'message_deleted');
  assert.deepEqual((await a.c.pins(dm.id)).pins, [], 'a deletion unpins');
  await waitFor(() => copies(b.c, dm.id).get(first.seq)?.deleted, 10000, 'the tombstone at b');
  for (const side of [a.c, b.c]) {
    assert.deepEqual(copies(side, dm.id).get(first.seq), await side.message(dm.id, first.seq));
    assert.deepEqual(copies(side, dm.id).get(reply.seq).reply_to, { seq: first.seq, sender: a.id, preview: '', deleted: true });
  }
  assert.equal((await b.c.message(g.id, fwd.seq)).text, 'first, edited');

  // a's cache holds the DM as the server's latest page shows it.
  const latest = (await b.c.history(dm.id)).messages.map((m) => Object.fromEntries(Object.entries(m).filter(([, v]) => v !== null)));
  await waitFor(async () => (await a.c.cached()).messages[dm.id]?.length === latest.length, 5000, 'the cache has every seq');
  assert.deepEqual((await a.c.cached()).messages[dm.id], latest);

  // Delete for me: every device of b hears it, a does not; b's history keeps the seq as a placeholder.
  const b2 = client();
  await b2.login(b.name, 'correct horse battery');
  const hidden = [];
  await b2.connect();
  for (const [who, c] of [['b', b.c], ['b2', b2], ['a', a.c]]) c.on('hidden', (h) => hidden.push([who, h.channel, h.seq]));
  await b.c.hide(dm.id, reply.seq);
  await waitFor(() => hidden.length >= 2, 10000, 'hidden on both of b\'s devices');
  assert.deepEqual(hidden.sort(), [['b', dm.id, reply.seq], ['b2', dm.id, reply.seq]]);
  const mine = (await b.c.history(dm.id)).messages.find((m) => m.seq === reply.seq);
  assert.deepEqual([mine.hidden, mine.text], [true, '']);
  assert.equal((await a.c.message(dm.id, reply.seq)).text, 'a reply');
  assert.deepEqual(hidden.filter(([who]) => who === 'a'), []);
});

// Last: it kills the server.
test('reconnect after natter dev is killed and restarted on the same data: nothing lost or duplicated', async () => {
  const a = await user('ra');
  const b = await user('rb');
  await Promise.all([a.c.connect(), b.c.connect()]);
  const dm = await a.c.openDm(b.id);
  for (let i = 1; i <= 5; i++) await a.c.send(dm.id, `m${i}`);
  await waitFor(() => texts(b.c, dm.id).length === 5, 10000, 'b has the first five');
  const states = [];
  b.c.on('state', (s) => states.push(s));

  await server.crash(); // SIGKILL natter dev and its nats-server
  await waitFor(() => a.c.state !== 'live' && b.c.state !== 'live', 10000, 'both clients notice');
  // While the server is down: sends wait in the outbox.
  const later = [6, 7, 8, 9, 10].map((i) => a.c.send(dm.id, `m${i}`));
  await waitFor(() => a.c.pendingSends().length === 5, 5000, 'five sends in the outbox');

  await server.restart();
  const sent = await Promise.all(later);
  assert.deepEqual(sent.map((m) => m.seq), [6, 7, 8, 9, 10]);
  await waitFor(() => texts(b.c, dm.id).length === 10, 20000, 'b has all ten after the restart');
  await waitFor(() => b.c.state === 'live' && a.c.state === 'live', 20000, 'both live again');
  const want = Array.from({ length: 10 }, (_, i) => `m${i + 1}`);
  assert.deepEqual(texts(b.c, dm.id), want);
  assert.deepEqual(texts(a.c, dm.id), want);
  assert.deepEqual(b.c.received.filter((m) => m.channel === dm.id).map((m) => m.seq), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  assert.ok(states.includes('offline') && states.includes('live'), `states: ${states.join(',')}`);
  const page = await a.c.history(dm.id);
  assert.deepEqual(page.messages.map((m) => m.text), want, 'stored once each');
});

test('files: a PNG sent with a caption is processed (attachment_processed), its thumbnail link serves a JPEG', async () => {
  const a = await user('fa');
  const b = await user('fb');
  await Promise.all([a.c.connect(), b.c.connect()]);
  const dm = await a.c.openDm(b.id);
  const png = makePng(64, 48);
  const progress = [];
  const att = await a.c.uploadFile(dm.id, png, { name: 'gradient.png', contentType: 'image/png', onProgress: (p) => progress.push(p.sent) });
  assert.equal(att.kind, 'image');
  assert.equal(att.size, png.byteLength);
  assert.deepEqual(progress, [0, png.byteLength], 'one request: 0 then all');
  const sent = await a.c.send(dm.id, 'look', { attachments: [att.id] });
  assert.equal(sent.attachments[0].id, att.id);
  const got = await waitFor(() => b.c.received.find((m) => m.channel === dm.id && m.seq === sent.seq), 10000, 'the message on b');
  assert.equal(got.text, 'look');
  const event = await waitFor(
    () => b.c.received.find((m) => m.channel === dm.id && m.system?.kind === 'attachment_processed' && m.system.attachment.id === att.id),
    30000,
    'attachment_processed',
  );
  const now = applyChange(got, event).attachments[0];
  assert.equal(now.processed, true);
  assert.equal(now.width, 64);
  assert.equal(now.height, 48);
  assert.equal(now.thumbnail, true);
  assert.ok(now.placeholder, 'a BlurHash');
  const url = await b.c.attachmentUrl(dm.id, sent.seq, att.id, { thumbnail: true });
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/v1\/media\//);
  const res = await fetch(url);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'image/jpeg');
  const full = await fetch(await b.c.attachmentUrl(dm.id, sent.seq, att.id));
  assert.equal(full.status, 200);
  assert.equal(full.headers.get('content-type'), 'image/png');
});

test('files: ~2.5 MB goes in parts; an interrupted part is resumed (only missing parts sent); the other side downloads the same bytes', async () => {
  let broke = false;
  const puts = [];
  const flaky = async (url, init) => {
    const part = /\/v1\/uploads\/\d+\/parts\/(\d+)$/.exec(url);
    if (part) {
      puts.push(Number(part[1]));
      if (part[1] === '1' && !broke) {
        broke = true;
        throw new TypeError('fetch failed: connection reset');
      }
    }
    return fetch(url, init);
  };
  const a = await user('pa', { fetch: flaky });
  const b = await user('pb');
  await Promise.all([a.c.connect(), b.c.connect()]);
  const dm = await a.c.openDm(b.id);
  const data = new Uint8Array(2_500_000);
  for (let i = 0; i < data.length; i++) data[i] = (i * 7919) % 251;
  const progress = [];
  const att = await a.c.uploadFile(dm.id, new Blob([data]), { name: 'data.bin', onProgress: (p) => progress.push(p) });
  assert.equal(att.kind, 'file');
  assert.equal(att.size, data.length);
  assert.ok(broke, 'a part was interrupted');
  assert.deepEqual(puts, [0, 1, 1, 2], 'part 1 sent again, nothing else twice');
  assert.deepEqual(progress.at(-1), { sent: data.length, total: data.length });
  const sent = await a.c.send(dm.id, '', { attachments: [att.id] });
  assert.equal(sent.text, '');
  await waitFor(() => b.c.received.some((m) => m.channel === dm.id && m.seq === sent.seq), 10000, 'the message on b');
  const res = await fetch(await b.c.attachmentUrl(dm.id, sent.seq, att.id));
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-disposition') ?? '', /^attachment/);
  assert.deepEqual(new Uint8Array(await res.arrayBuffer()), data);
});
