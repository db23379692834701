// Changes to earlier messages without a server: the pure applyChange rules, the
// typed calls (method, path, body), sends with reply_to and forward, change ops on
// the socket with their op_id, `hidden`, and the cache kept in current state.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  NatterClient, MemoryStore, applyChange, changeTarget, isChange, isShownMessage, hiddenPlaceholder,
} from '../dist/index.js';
import { waitFor, response, socketClass } from './helpers.mjs';

const CH = '5';
const msg = (seq, extra = {}) => ({
  channel: CH, seq, message_id: String(100 + seq), sender: '9', client_msg_id: `c${seq}`, text: `t${seq}`, sent_at: 1000 + seq, ...extra,
});
/** A change event at `seq` by `sender`. */
const change = (seq, sender, system) => ({ channel: CH, seq, message_id: String(100 + seq), sender, client_msg_id: '', text: '', sent_at: 1000 + seq, system });
const edited = (seq, target, text, edit, sender = '9') => change(seq, sender, { kind: 'message_edited', seq: target, text, edit });
const deleted = (seq, target, sender = '9') => change(seq, sender, { kind: 'message_deleted', seq: target });
const reacted = (seq, target, emoji, sender, add = true) => change(seq, sender, { kind: add ? 'reaction_added' : 'reaction_removed', seq: target, emoji });
const pinned = (seq, target, sender, pin = true) => change(seq, sender, { kind: pin ? 'message_pinned' : 'message_unpinned', seq: target });

test('changeTarget / isChange / isShownMessage tell change events from messages and group events', () => {
  assert.equal(changeTarget(edited(3, 1, 'x', 1)), 1);
  assert.equal(changeTarget(msg(1)), undefined);
  assert.equal(changeTarget(change(2, '9', { kind: 'renamed', name: 'x' })), undefined);
  assert.equal(isChange(reacted(4, 2, '👍', '7')), true);
  assert.equal(isShownMessage(msg(1)), true);
  assert.equal(isShownMessage(pinned(3, 1, '9')), false);
  assert.equal(isShownMessage(hiddenPlaceholder(msg(1))), false);
});

test('applyChange: an edit sets text, edits and edited_at, unless the copy already has that edit or a later one', () => {
  const m = msg(1);
  const e1 = applyChange(m, edited(2, 1, 'hello, world', 1));
  assert.deepEqual([e1.text, e1.edits, e1.edited_at], ['hello, world', 1, 1002]);
  assert.equal(m.text, 't1', 'the input is not changed');
  const later = { ...m, text: 'third', edits: 3, edited_at: 5000 };
  assert.equal(applyChange(later, edited(2, 1, 'first edit', 1)), later, 'an older edit is skipped');
  assert.equal(applyChange(e1, edited(2, 1, 'hello, world', 1)), e1, 'the same edit twice: unchanged');
  assert.equal(applyChange(m, edited(2, 7, 'x', 1)), m, 'another target: unchanged');
  assert.equal(applyChange(m, { ...edited(2, 1, 'x', 1), channel: '6' }), m, 'another channel: unchanged');
});

test('applyChange: reactions are sets of users per emoji with counts; an emoji nobody keeps goes', () => {
  let m = msg(1);
  m = applyChange(m, reacted(2, 1, '👍', 'a'));
  m = applyChange(m, reacted(3, 1, '👍', 'b'));
  m = applyChange(m, reacted(4, 1, '🎉', 'a'));
  assert.deepEqual(m.reactions, [{ emoji: '👍', count: 2, users: ['a', 'b'] }, { emoji: '🎉', count: 1, users: ['a'] }]);
  assert.equal(applyChange(m, reacted(5, 1, '👍', 'a')), m, 'a repeat changes nothing');
  assert.equal(applyChange(m, reacted(5, 1, '😮', 'a', false)), m, 'removing what is not there changes nothing');
  m = applyChange(m, reacted(5, 1, '👍', 'a', false));
  assert.deepEqual(m.reactions, [{ emoji: '👍', count: 1, users: ['b'] }, { emoji: '🎉', count: 1, users: ['a'] }]);
  m = applyChange(m, reacted(6, 1, '👍', 'b', false));
  m = applyChange(m, reacted(7, 1, '🎉', 'a', false));
  assert.equal('reactions' in m, false, 'no reactions left: the field goes, as the server leaves it out');
});

test('applyChange: pin and unpin; a deletion leaves a tombstone and nothing applies to it after', () => {
  let m = applyChange(msg(1, { reactions: [{ emoji: '👍', count: 1, users: ['a'] }], edits: 1, edited_at: 7 }), pinned(2, 1, 'a'));
  assert.deepEqual(m.pinned, { by: 'a', at: 1002 });
  assert.equal('pinned' in applyChange(m, pinned(3, 1, 'b', false)), false);
  m = applyChange(m, deleted(4, 1, 'b'));
  assert.deepEqual(m, { ...msg(1), text: '', deleted: { by: 'b', at: 1004 } });
  for (const c of [edited(5, 1, 'back', 2), reacted(5, 1, '👍', 'a'), pinned(5, 1, 'a')]) assert.equal(applyChange(m, c), m);
  const hidden = hiddenPlaceholder(msg(1));
  assert.equal(applyChange(hidden, edited(5, 1, 'x', 1)), hidden, 'nothing applies to a message the user hid');
});

test('applyChange: a reply\'s quote follows the replied-to message\'s edit and deletion', () => {
  let reply = msg(3, { reply_to: { seq: 1, sender: '9', preview: 't1' } });
  reply = applyChange(reply, edited(4, 1, 'x'.repeat(150), 1));
  assert.equal(reply.reply_to.preview, 'x'.repeat(100));
  reply = applyChange(reply, deleted(5, 1));
  assert.deepEqual(reply.reply_to, { seq: 1, sender: '9', preview: '', deleted: true });
  assert.equal(reply.text, 't3', 'the reply itself is unchanged');
  assert.equal(applyChange(reply, edited(6, 1, 'again', 2)), reply);
  // The edit events' copies of the text go too, as on the server.
  assert.equal(applyChange(edited(4, 1, 'secret', 1), deleted(5, 1)).system.text, '');
  assert.equal(applyChange(edited(4, 2, 'other', 1), deleted(5, 1)).system.text, 'other');
});

test('applyChange: the events after any copy, applied in order, end in the same state (a history page is current when read)', () => {
  const events = [
    reacted(2, 1, '👍', 'a'), edited(3, 1, 'v1', 1), pinned(4, 1, 'a'), reacted(5, 1, '👍', 'b'),
    reacted(6, 1, '👍', 'a', false), edited(7, 1, 'v2', 2), pinned(8, 1, 'b', false), reacted(9, 1, '🎉', 'b'),
  ];
  const states = [msg(1)];
  for (const e of events) states.push(applyChange(states.at(-1), e));
  const final = states.at(-1);
  assert.deepEqual([final.text, final.edits, final.reactions.map((r) => r.emoji)], ['v2', 2, ['👍', '🎉']]);
  // A copy taken after event k, then the events from any j <= k + 1 on applied again.
  for (let k = 0; k < states.length; k++) {
    for (let j = 0; j <= k; j++) {
      let s = states[k];
      for (const e of events.slice(j)) s = applyChange(s, e);
      assert.deepEqual(s, final, `copy after ${k} events, replayed from ${j}`);
    }
  }
});

test('the typed calls: method, path (emoji percent-encoded), body; answers with nulls dropped', async () => {
  const calls = [];
  const fetch = async (url, init) => {
    calls.push([init.method, url.replace('http://x', ''), init.body ? JSON.parse(init.body) : undefined]);
    if (url.endsWith('/hidden')) return response(204);
    if (url.endsWith('/pins')) return response(200, { pins: [{ ...msg(1), pinned: { by: '9', at: 3 }, system: null, deleted: null }] });
    if (url.endsWith('/edits')) return response(200, { message: { ...msg(1), system: null }, versions: [{ text: 't1', at: 1001 }] });
    return response(200, { ...msg(1), system: null, reply_to: null });
  };
  const c = new NatterClient({ baseUrl: 'http://x', fetch, token: 't' });
  const m = await c.editMessage(CH, 1, 'new');
  assert.deepEqual(m, msg(1), 'null optional fields are left out, as on the socket');
  await c.deleteMessage(CH, 1);
  await c.react(CH, 1, '👍');
  await c.react(CH, 1, '👍', false);
  await c.pin(CH, 1);
  await c.pin(CH, 1, false);
  assert.deepEqual((await c.pins(CH)).pins, [{ ...msg(1), pinned: { by: '9', at: 3 } }]);
  await c.message(CH, 1);
  assert.deepEqual(await c.messageEdits(CH, 1), { message: msg(1), versions: [{ text: 't1', at: 1001 }] });
  assert.equal(await c.hide(CH, 1), undefined);
  assert.deepEqual(calls, [
    ['PATCH', '/v1/channels/5/messages/1', { text: 'new' }],
    ['DELETE', '/v1/channels/5/messages/1', undefined],
    ['PUT', '/v1/channels/5/messages/1/reactions/%F0%9F%91%8D', undefined],
    ['DELETE', '/v1/channels/5/messages/1/reactions/%F0%9F%91%8D', undefined],
    ['PUT', '/v1/channels/5/pins/1', undefined],
    ['DELETE', '/v1/channels/5/pins/1', undefined],
    ['GET', '/v1/channels/5/pins', undefined],
    ['GET', '/v1/channels/5/messages/1', undefined],
    ['GET', '/v1/channels/5/messages/1/edits', undefined],
    ['PUT', '/v1/channels/5/messages/1/hidden', undefined],
  ]);
});

const hello = { type: 'hello', user_id: '1', device_id: 'd', max_text_chars: 9, max_frame_bytes: 9, protocol: 1 };
const synced = { type: 'synced', channels: 0, messages: 0 };

async function connected(extra = {}) {
  const WS = socketClass([hello, synced]);
  const fetch = async (url) => {
    if (url.endsWith('/v1/discover')) return response(200, { edge_id: 'e', http_url: 'http://x', ws_url: 'ws://x/v1/ws' });
    if (url.includes('/v1/channels/5/messages')) return response(200, { channel: CH, head_seq: 3, has_more: false, messages: [1, 2, 3].map((s) => ({ ...msg(s), system: null })) });
    return response(404, { code: 'not_found', message: url });
  };
  const storage = new MemoryStore();
  const c = new NatterClient({ baseUrl: 'http://x', fetch, WebSocket: WS, token: 't', storage, cacheWriteDelayMs: 5, ...extra });
  await c.connect();
  return { c, WS, storage };
}

test('send with replyTo writes reply_to; forward writes forward and an empty text; both wait in the outbox with them', async () => {
  const { c, WS } = await connected();
  const reply = c.send(CH, 'agreed', { replyTo: 2, clientMsgId: 'r1' });
  const fwd = c.forward('6', CH, 2, { clientMsgId: 'f1' });
  await waitFor(() => WS.last.sent.filter((o) => o.op === 'send').length === 2, 2000, 'two sends');
  assert.deepEqual(WS.last.sent.filter((o) => o.op === 'send'), [
    { op: 'send', channel: CH, client_msg_id: 'r1', text: 'agreed', reply_to: 2 },
    { op: 'send', channel: '6', client_msg_id: 'f1', text: '', forward: { channel: CH, seq: 2 } },
  ]);
  assert.deepEqual(c.pendingSends().map((e) => [e.reply_to, e.forward]), [[2, undefined], [undefined, { channel: CH, seq: 2 }]]);
  WS.last.frame({ type: 'message', ...msg(4, { sender: '1', client_msg_id: 'r1', text: 'agreed', reply_to: { seq: 2, sender: '9', preview: 't2' } }) });
  WS.last.frame({ type: 'message', ...msg(1, { channel: '6', sender: '1', client_msg_id: 'f1', text: 't2', forwarded: true }) });
  assert.equal((await reply).reply_to.seq, 2);
  assert.equal((await fwd).forwarded, true);
  await c.disconnect();
});

test('sendChangeOp writes the op with an op_id; a refusal comes as an error event with that opId', async () => {
  const { c, WS } = await connected();
  const errors = [];
  c.on('error', (e) => errors.push(e));
  const id = c.sendChangeOp({ op: 'edit', channel: CH, seq: 1, text: 'x' });
  assert.ok(id);
  assert.equal(c.sendChangeOp({ op: 'react', channel: CH, seq: 1, emoji: '👍', add: true, op_id: 'r-1' }), 'r-1');
  assert.deepEqual(WS.last.sent.filter((o) => o.op_id), [
    { op: 'edit', channel: CH, seq: 1, text: 'x', op_id: id },
    { op: 'react', channel: CH, seq: 1, emoji: '👍', add: true, op_id: 'r-1' },
  ]);
  WS.last.frame({ type: 'error', code: 'not_author', message: 'only the author edits a message', op_id: id });
  await waitFor(() => errors.length === 1, 2000, 'the error');
  assert.equal(errors[0].code, 'not_author');
  assert.equal(errors[0].opId, id);
  await c.disconnect();
  assert.equal(c.sendChangeOp({ op: 'hide', channel: CH, seq: 1 }), undefined, 'not connected: nothing written');
});

test('the cache keeps messages in their current state as change events and hidden arrive', async () => {
  const { c, WS } = await connected();
  const hiddenEvents = [];
  c.on('hidden', (h) => hiddenEvents.push(h));
  await c.history(CH); // the app opened the channel: seqs 1-3 cached
  for (const s of [1, 2, 3]) WS.last.frame({ type: 'message', ...msg(s) }); // the catch-up
  const events = [
    edited(4, 1, 'edited', 1), reacted(5, 2, '👍', '1'), pinned(6, 2, '9'),
    { ...msg(7), reply_to: { seq: 3, sender: '9', preview: 't3' } }, edited(8, 3, 'secret', 1), deleted(9, 3),
  ];
  for (const e of events) WS.last.frame({ type: 'message', ...e });
  WS.last.frame({ type: 'hidden', channel: CH, seq: 1 });
  await waitFor(() => hiddenEvents.length === 1, 2000, 'the hidden event');
  assert.deepEqual(hiddenEvents, [{ channel: CH, seq: 1 }]);
  const cached = (await c.cached()).messages[CH];
  assert.deepEqual(cached.map((m) => m.seq), [1, 2, 3, 4, 5, 6, 7, 8, 9], 'change events keep their seqs: no gaps');
  assert.deepEqual(cached[0], hiddenPlaceholder(msg(1)));
  assert.deepEqual(cached[1].reactions, [{ emoji: '👍', count: 1, users: ['1'] }]);
  assert.deepEqual(cached[1].pinned, { by: '9', at: 1006 });
  assert.deepEqual(cached[2].deleted, { by: '9', at: 1009 });
  assert.equal(cached[2].text, '');
  assert.equal(cached[7].system.text, '', 'a deletion erases the text of the edit events kept');
  assert.deepEqual(cached[6].reply_to, { seq: 3, sender: '9', preview: '', deleted: true });
  await c.disconnect();
});

test('the cached unread count: one\'s own change keeps a channel read to the end read, and leaves an unread one unread', async () => {
  const summary = (id, head, read) => ({ id, kind: 'dm', name: 'p', peer: '9', head_seq: head, read_seq: read, unread: head - read, last_activity_at: 1, last_message: null });
  const WS = socketClass([hello, synced]);
  const fetch = async (url) => {
    if (url.endsWith('/v1/discover')) return response(200, { edge_id: 'e', http_url: 'http://x', ws_url: 'ws://x/v1/ws' });
    if (url.endsWith('/v1/channels')) return response(200, { channels: [summary('5', 3, 3), summary('6', 3, 1)], next: null });
    if (url.endsWith('/v1/login')) return response(200, { token: 't', user: { id: '1', username: 'u', display_name: 'U', status_text: '', created_at: 1 } });
    return response(404, { code: 'not_found', message: url });
  };
  const c = new NatterClient({ baseUrl: 'http://x', fetch, WebSocket: WS, storage: new MemoryStore(), cacheWriteDelayMs: 5 });
  await c.login('u', 'pw');
  await c.listChannels();
  await c.connect();
  WS.last.frame({ type: 'message', ...reacted(4, 2, '👍', '1') });
  WS.last.frame({ type: 'message', ...{ ...reacted(4, 2, '👍', '1'), channel: '6' } });
  await waitFor(async () => (await c.cached()).channels.every((ch) => ch.head_seq === 4), 2000, 'both heads at 4');
  const by = Object.fromEntries((await c.cached()).channels.map((ch) => [ch.id, [ch.read_seq, ch.unread]]));
  assert.deepEqual(by, { 5: [4, 0], 6: [1, 3] });
  await c.disconnect();
});
