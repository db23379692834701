// Changing messages in the web app (issue 20), between real users on a real
// `natter dev`: edit, delete for everyone, reactions, replies, pins, delete for me,
// forward. Each change is made through the per-message menu and seen on the other
// side (and, for delete for me, in another tab of the same user).

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startNatter } from '../lib/server.js';
import {
  launchBrowser, uname, screenshot, newUserPage, byTestId, waitOnline, openDm, channelItem,
  openChannel, message, send, seeMessage, readTimeline, unreadBadge, apiCall, apiSignup, wsSendAll,
  newUser, newPair, createGroup, messageMenu as menu,
} from '../lib/app.js';

let server;
let browser;
const contexts = [];

before(async () => {
  [server, browser] = await Promise.all([startNatter({ tmpPrefix: 'natter-browser-msgs-' }), launchBrowser()]);
});

after(async () => {
  for (const c of contexts) await c.close().catch(() => {});
  await browser?.close().catch(() => {});
  await server?.stop();
});

const user = (prefix, display) => newUser(browser, server.url, contexts, prefix, display);
/** Two users with a DM open on both sides. */
const pair = (a, b) => newPair(browser, server.url, contexts, a, b);

const chip = (page, text, emoji) => message(page, text).locator(`[data-testid="reaction-chip"][data-emoji="${emoji}"]`);

test('edit: the other side sees the new text marked edited; the edit does not count as unread', async () => {
  const [ada, ben] = await pair(['ada', 'Ada Ames'], ['ben', 'Ben Bell']);
  await send(ada.page, 'See you at 7');
  await unreadBadge(ben.page, 'Ada Ames').filter({ hasText: '1' }).waitFor();

  await menu(ada.page, 'See you at 7', 'menu-edit');
  const input = byTestId(ada.page, 'edit-input');
  assert.equal(await input.inputValue(), 'See you at 7');
  await input.fill('See you at 8');
  await input.press('Enter');
  await message(ada.page, 'See you at 8').locator('[data-testid="edited-marker"]').waitFor();
  await byTestId(ada.page, 'edit-input').waitFor({ state: 'detached' });

  // Ben has not opened the chat: the preview tells of the edit, the badge still says 1.
  await channelItem(ben.page, 'Ada Ames').locator('[data-testid="channel-preview"]', { hasText: 'edited a message' }).waitFor();
  assert.equal(await unreadBadge(ben.page, 'Ada Ames').textContent(), '1');
  // After a reload too (the catch-up brings nothing new: the app looks at the unread seqs).
  await ben.page.reload();
  await waitOnline(ben.page);
  await ben.page.locator('[data-testid="channel-item"][data-unread="1"]').waitFor();
  assert.equal(await unreadBadge(ben.page, 'Ada Ames').textContent(), '1');
  await openChannel(ben.page, 'Ada Ames');
  await seeMessage(ben.page, 'See you at 8');
  const marker = message(ben.page, 'See you at 8').locator('[data-testid="edited-marker"]');
  await marker.waitFor();
  assert.match(await marker.getAttribute('title'), /^Edited /);
  assert.equal(await message(ben.page, 'See you at 7').count(), 0);
  // The change is applied, never shown as a message of its own.
  assert.equal((await readTimeline(ben.page)).length, 1);
  await ben.page.locator('[data-testid="channel-item"][data-unread="0"]').waitFor();

  // A live edit while Ben looks; the keyboard way: Up in the empty composer edits one's last message.
  await byTestId(ada.page, 'composer-input').press('ArrowUp');
  await byTestId(ada.page, 'edit-input').fill('See you at 8:30');
  await byTestId(ada.page, 'edit-input').press('Enter');
  await message(ben.page, 'See you at 8:30').locator('[data-testid="edited-marker"]').waitFor();
  assert.equal(ada.page.__errors ?? 0, 0);
  assert.equal(ben.page.__errors ?? 0, 0);
});

test('delete for everyone: a tombstone on both sides', async () => {
  const [cal, dee] = await pair(['cal', 'Cal Cole'], ['dee', 'Dee Dunn']);
  await send(cal.page, 'Oops, wrong chat');
  await send(cal.page, 'Anyway, hello');
  await openChannel(dee.page, 'Cal Cole');
  await seeMessage(dee.page, 'Oops, wrong chat');
  // Dee may only delete her own messages in a 1:1: no such item on Cal's.
  const m = message(dee.page, 'Oops, wrong chat');
  await m.hover();
  await m.locator('[data-testid="message-menu-button"]').click();
  await byTestId(dee.page, 'menu-delete-me').waitFor();
  assert.equal(await byTestId(dee.page, 'menu-delete-everyone').count(), 0);
  await dee.page.keyboard.press('Escape');
  await byTestId(dee.page, 'message-menu').waitFor({ state: 'hidden' });

  cal.page.once('dialog', (d) => d.accept());
  await menu(cal.page, 'Oops, wrong chat', 'menu-delete-everyone');
  for (const p of [cal.page, dee.page]) {
    const tomb = p.locator('[data-testid="message"][data-deleted="true"]');
    await tomb.waitFor();
    assert.equal(await tomb.locator('[data-testid="message-text"]').textContent(), 'This message was deleted');
    assert.equal(await message(p, 'Oops, wrong chat').count(), 0);
    await seeMessage(p, 'Anyway, hello');
  }
  await screenshot(dee.page, '13-deleted');
});

test('reactions: a chip appears on the other side, a click toggles one\'s own, the last one taken back removes it', async () => {
  const [eve, fin] = await pair(['eve', 'Eve Ellis'], ['fin', 'Fin Ford']);
  await send(eve.page, 'Summit at noon!');
  await openChannel(fin.page, 'Eve Ellis');
  await seeMessage(fin.page, 'Summit at noon!');
  // The menu: a row of emoji, then the actions (keyboard: arrows move, Escape closes).
  const m = message(fin.page, 'Summit at noon!');
  await m.hover();
  await m.locator('[data-testid="message-menu-button"]').click();
  await byTestId(fin.page, 'message-menu').waitFor();
  await fin.page.waitForFunction(() => !document.getAnimations().some((a) => a.animationName === 'pop' && a.playState === 'running'));
  await screenshot(fin.page, '14-message-menu');
  await fin.page.locator('[data-testid="menu-react"][data-emoji="👍"]').click();
  await chip(fin.page, 'Summit at noon!', '👍').and(fin.page.locator('[data-count="1"][data-mine="true"]')).waitFor();
  const onEve = chip(eve.page, 'Summit at noon!', '👍');
  await onEve.and(eve.page.locator('[data-count="1"][data-mine="false"]')).waitFor();
  // Eve adds hers by clicking the chip, then takes it back.
  await onEve.click();
  await chip(fin.page, 'Summit at noon!', '👍').and(fin.page.locator('[data-count="2"]')).waitFor();
  await onEve.and(eve.page.locator('[data-count="2"][data-mine="true"]')).waitFor();
  await screenshot(eve.page, '15-reactions');
  await onEve.click();
  await chip(fin.page, 'Summit at noon!', '👍').and(fin.page.locator('[data-count="1"][data-mine="true"]')).waitFor();
  // Fin takes his back: the chip goes on both sides.
  await chip(fin.page, 'Summit at noon!', '👍').click();
  for (const p of [eve.page, fin.page]) await chip(p, 'Summit at noon!', '👍').waitFor({ state: 'detached' });
  assert.equal(await eve.page.locator('[data-testid="reaction-chip"]').count(), 0);
});

test('reply: the quote shows on both sides, leads to the original, and turns into a tombstone once it is deleted', async () => {
  const [gil, hana] = await pair(['gil', 'Gil Gray'], ['hana', 'Hana Hill']);
  await send(gil.page, 'Which crag on Sunday?');
  for (let i = 1; i <= 3; i++) await send(gil.page, `filler ${i}`);
  await openChannel(hana.page, 'Gil Gray');
  await seeMessage(hana.page, 'filler 3');
  await menu(hana.page, 'Which crag on Sunday?', 'menu-reply');
  await byTestId(hana.page, 'reply-bar').filter({ hasText: 'Which crag on Sunday?' }).waitFor();
  await send(hana.page, 'The north face, if it is dry');
  await byTestId(hana.page, 'reply-bar').waitFor({ state: 'hidden' });
  for (const p of [gil.page, hana.page]) {
    const quote = message(p, 'The north face').locator('[data-testid="reply-quote"]');
    await quote.filter({ hasText: 'Which crag on Sunday?' }).waitFor();
    assert.equal(await quote.locator('.quote-name').textContent(), p === gil.page ? 'You' : 'Gil Gray');
  }
  // Clicking the quote brings the original into view.
  await message(gil.page, 'The north face').locator('[data-testid="reply-quote"]').click();
  await gil.page.locator('[data-testid="message"].flash', { hasText: 'Which crag on Sunday?' }).waitFor();
  await screenshot(hana.page, '16-reply');

  gil.page.once('dialog', (d) => d.accept());
  await menu(gil.page, 'Which crag on Sunday?', 'menu-delete-everyone');
  for (const p of [gil.page, hana.page]) {
    const quote = message(p, 'The north face').locator('[data-testid="reply-quote"][data-deleted="true"]');
    await quote.waitFor();
    assert.equal(await quote.locator('[data-testid="quote-text"]').textContent(), 'This message was deleted');
    assert.equal(await p.locator('[data-testid="reply-quote"]', { hasText: 'Which crag' }).count(), 0);
  }
});

test('pin: the pinned bar shows on the other side; an unpin there takes it away', async () => {
  const [ian, jay] = await pair(['ian', 'Ian Iles'], ['jay', 'Jay Judd']);
  await send(ian.page, 'Gate code is 4711');
  await send(ian.page, 'and bring a headlamp');
  await openChannel(jay.page, 'Ian Iles');
  await seeMessage(jay.page, 'and bring a headlamp');
  await menu(ian.page, 'Gate code is 4711', 'menu-pin');
  const bar = byTestId(jay.page, 'pinned-bar');
  await bar.filter({ hasText: 'Gate code is 4711' }).waitFor();
  await message(jay.page, 'Gate code is 4711').locator('[data-testid="pinned-marker"]').waitFor();
  await byTestId(ian.page, 'pinned-bar').filter({ hasText: 'Gate code is 4711' }).waitFor();
  await screenshot(jay.page, '17-pinned');
  // Either side of a 1:1 may unpin.
  await byTestId(jay.page, 'pinned-unpin').click();
  for (const p of [ian.page, jay.page]) await byTestId(p, 'pinned-bar').waitFor({ state: 'hidden' });
  assert.equal(await message(ian.page, 'Gate code is 4711').locator('[data-testid="pinned-marker"]').count(), 0);
});

test('delete for me: gone in the user\'s other tab, still there for the other user', async () => {
  const [kai, lou] = await pair(['kai', 'Kai Kerr'], ['lou', 'Lou Lane']);
  await send(kai.page, 'Keep this one');
  await send(kai.page, 'Embarrassing typo');
  await openChannel(lou.page, 'Kai Kerr');
  await seeMessage(lou.page, 'Embarrassing typo');
  // Lou's second tab: same browser profile, same device id.
  const lou2 = await lou.context.newPage();
  await lou2.goto('/');
  await waitOnline(lou2);
  await openChannel(lou2, 'Kai Kerr');
  await seeMessage(lou2, 'Embarrassing typo');

  await menu(lou.page, 'Embarrassing typo', 'menu-delete-me');
  for (const p of [lou.page, lou2]) {
    await message(p, 'Embarrassing typo').waitFor({ state: 'detached' });
    await seeMessage(p, 'Keep this one');
  }
  // Kai, and Lou after a reload (history keeps the seq as a placeholder), as before/after.
  await seeMessage(kai.page, 'Embarrassing typo');
  await lou2.reload();
  await openChannel(lou2, 'Kai Kerr');
  await seeMessage(lou2, 'Keep this one');
  assert.equal(await message(lou2, 'Embarrassing typo').count(), 0);
  await send(kai.page, 'still here?');
  await seeMessage(lou.page, 'still here?');
  assert.deepEqual((await readTimeline(kai.page)).map((m) => m.text), ['Keep this one', 'Embarrassing typo', 'still here?']);
  assert.deepEqual((await readTimeline(lou.page)).map((m) => m.text), ['Keep this one', 'still here?']);
});

test('forward: the copy lands in the other conversation, marked forwarded', async () => {
  const [max, ned] = await pair(['max', 'Max Moss'], ['ned', 'Ned Nash']);
  const ola = await user('ola', 'Ola Orr');
  await openDm(max.page, ola.username, 'Ola Orr');
  await send(max.page, 'hi Ola');
  await openChannel(max.page, 'Ned Nash');
  await send(max.page, 'got the topo?');
  await openChannel(ned.page, 'Max Moss');
  await send(ned.page, 'Route topo: 3 pitches, 6a max');
  await seeMessage(max.page, 'Route topo');
  await menu(max.page, 'Route topo', 'menu-forward');
  await byTestId(max.page, 'forward-dialog').waitFor();
  await byTestId(max.page, 'forward-search').fill('Ola');
  await max.page.locator('[data-testid="forward-target"]', { hasText: 'Ola Orr' }).click();
  await byTestId(max.page, 'toasts').filter({ hasText: 'Forwarded to Ola Orr' }).waitFor();

  await openChannel(ola.page, 'Max Moss');
  const copy = message(ola.page, 'Route topo: 3 pitches, 6a max');
  await copy.and(ola.page.locator('[data-forwarded="true"][data-seq]')).waitFor();
  await copy.locator('[data-testid="forwarded-label"]', { hasText: 'Forwarded' }).waitFor();
  assert.equal(await copy.getAttribute('data-sender'), max.id, 'the copy is the forwarder\'s own message');
  await openChannel(max.page, 'Ola Orr');
  await message(max.page, 'Route topo').locator('[data-testid="forwarded-label"]').waitFor();
  // The original stays where it was, unmarked.
  await openChannel(max.page, 'Ned Nash');
  assert.equal(await message(max.page, 'Route topo').getAttribute('data-forwarded'), null);
  await screenshot(ola.page, '18-forwarded');
});

test('in a group: the owner deletes anyone\'s message and pins; a member neither pins nor deletes others\' messages', async () => {
  const [pam, quin] = await Promise.all([user('pam', 'Pam Price'), user('quin', 'Quin Quade')]);
  await createGroup(pam.page, 'Crag crew', [quin.username]);
  await channelItem(quin.page, 'Crag crew').waitFor();
  await openChannel(quin.page, 'Crag crew');
  await send(quin.page, 'spam spam spam');
  await send(pam.page, 'Rules: no spam');
  await seeMessage(quin.page, 'Rules: no spam');

  // Quin, a member: reactions, reply, forward and delete for me on Pam's message; no pin, no delete for everyone.
  const theirs = message(quin.page, 'Rules: no spam');
  await theirs.hover();
  await theirs.locator('[data-testid="message-menu-button"]').click();
  await byTestId(quin.page, 'menu-reply').waitFor();
  for (const item of ['menu-pin', 'menu-delete-everyone', 'menu-edit']) assert.equal(await byTestId(quin.page, item).count(), 0, item);
  await quin.page.keyboard.press('Escape');

  // Pam, the owner, pins her rule and deletes Quin's spam for everyone.
  await menu(pam.page, 'Rules: no spam', 'menu-pin');
  await byTestId(quin.page, 'pinned-bar').filter({ hasText: 'Rules: no spam' }).waitFor();
  assert.equal(await byTestId(quin.page, 'pinned-unpin').isVisible(), false, 'a member cannot unpin');
  pam.page.once('dialog', (d) => d.accept());
  await menu(pam.page, 'spam spam spam', 'menu-delete-everyone');
  for (const p of [pam.page, quin.page]) await p.locator('[data-testid="message"][data-deleted="true"]').waitFor();
  assert.equal(await message(quin.page, 'spam spam spam').count(), 0);
});

test('the SDK\'s single-file example applies edits, reactions and deletions with applyChange', async () => {
  const base = server.url;
  const bob = await apiSignup(base, uname('bob'), 'Bob Example');
  const { context, page } = await newUserPage(browser, base);
  contexts.push(context);
  await page.goto('/sdk/examples/chat.html');
  await page.locator('#username').fill(uname('eve'));
  await page.locator('#password').fill('secret-pass');
  await page.locator('#login button[value="signup"]').click();
  await page.locator('#state', { hasText: 'live' }).waitFor();
  await page.locator('#peer').fill(bob.user.username);
  await page.locator('#dm button').click();
  await page.locator('#channels button.open', { hasText: 'Bob Example' }).waitFor();
  const [dm] = (await apiCall(base, 'GET', '/v1/channels', undefined, bob.token)).channels;
  await wsSendAll(page, bob.token, [{ channel: dm.id, text: 'first draft' }, { channel: dm.id, text: 'to be deleted' }]);
  await page.locator('#messages li[data-seq="2"]').waitFor();
  await apiCall(base, 'PATCH', `/v1/channels/${dm.id}/messages/1`, { text: 'final text' }, bob.token);
  await apiCall(base, 'PUT', `/v1/channels/${dm.id}/messages/1/reactions/${encodeURIComponent('👍')}`, undefined, bob.token);
  await apiCall(base, 'DELETE', `/v1/channels/${dm.id}/messages/2`, undefined, bob.token);
  await page.locator('#messages li[data-seq="1"]', { hasText: 'Bob Example: final text (edited) 👍1' }).waitFor();
  await page.locator('#messages li[data-seq="2"]', { hasText: '(deleted)' }).waitFor();
  assert.equal(await page.locator('#messages li').count(), 2, 'the change events are not shown as messages');
});
