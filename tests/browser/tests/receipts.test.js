// Receipts, mentions, notification levels and the edit history in the web app
// (issue 20), between real users on a real `natter dev`: ticks on one's own
// messages (sent, delivered, read) and a group's "read by N of M", the read
// receipts setting, "@" suggestions and highlighted mentions with the channel
// list's badge, the conversation's notification level, and earlier versions of an
// edited message.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startNatter } from '../lib/server.js';
import {
  launchBrowser, uname, screenshot, newUserPage, byTestId, waitOnline, logIn, openDm, channelItem, openChannel,
  message, send, seeMessage, unreadBadge, apiCall, apiSignup, newUser, newPair, createGroup, messageMenu,
} from '../lib/app.js';

let server;
let browser;
const contexts = [];

before(async () => {
  [server, browser] = await Promise.all([startNatter({ tmpPrefix: 'natter-browser-receipts-' }), launchBrowser()]);
});

after(async () => {
  for (const c of contexts) await c.close().catch(() => {});
  await browser?.close().catch(() => {});
  await server?.stop();
});

const user = (prefix, display) => newUser(browser, server.url, contexts, prefix, display);
const pair = (a, b) => newPair(browser, server.url, contexts, a, b);

/** One's own message with this text, once its receipt state is `state` (sent | delivered | read). */
const ticked = (page, text, state) => message(page, text).and(page.locator(`[data-receipt="${state}"]`));

/** Waits until no popup is still appearing (for screenshots). */
const popDone = (page) => page.waitForFunction(() => !document.getAnimations().some((a) => a.animationName === 'pop' && a.playState === 'running'));

/** Turns read receipts on or off in the profile dialog, waiting for the server's answer. */
async function setReadReceipts(page, on) {
  await byTestId(page, 'me-button').click();
  const box = byTestId(page, 'read-receipts-toggle');
  await box.waitFor();
  if ((await box.isChecked()) !== on) await box.click();
  await page.locator(`[data-testid="read-receipts-toggle"][data-state="${on ? 'on' : 'off'}"]:not([disabled])`).waitFor();
  await page.keyboard.press('Escape');
  await byTestId(page, 'profile-dialog').waitFor({ state: 'hidden' });
}

test('ticks in a 1:1: sent, delivered once the peer\'s app has it, read once they read it; the same after a reload', async () => {
  const ada = await user('ada', 'Ada Ames');
  const ben = await apiSignup(server.url, uname('ben'), 'Ben Bell');
  await openDm(ada.page, ben.user.username, 'Ben Bell');
  await send(ada.page, 'Are you up?');
  // Ben has no device online: the server has it, nobody else.
  await ticked(ada.page, 'Are you up?', 'sent').waitFor();
  const status = message(ada.page, 'Are you up?').locator('[data-testid="message-status"]');
  assert.equal(await status.getAttribute('data-state'), 'sent');

  // Ben's app opens: its catch-up brings the message and acks it, unread.
  const benApp = await newUserPage(browser, server.url);
  contexts.push(benApp.context);
  await logIn(benApp.page, ben.user.username);
  await ticked(ada.page, 'Are you up?', 'delivered').waitFor();
  assert.equal(await status.getAttribute('data-state'), 'delivered');
  await unreadBadge(benApp.page, 'Ada Ames').filter({ hasText: '1' }).waitFor();
  assert.equal(await message(ada.page, 'Are you up?').getAttribute('data-receipt'), 'delivered', 'not read while Ben has not opened it');

  // Ben reads it.
  await openChannel(benApp.page, 'Ada Ames');
  await seeMessage(benApp.page, 'Are you up?');
  await ticked(ada.page, 'Are you up?', 'read').waitFor();
  assert.equal(await status.getAttribute('data-state'), 'read');
  // While he looks, a new message is read at once; his own messages carry no ticks on Ada's side.
  await send(ada.page, 'Coffee at 10?');
  await ticked(ada.page, 'Coffee at 10?', 'read').waitFor();
  await send(benApp.page, 'Sure');
  await seeMessage(ada.page, 'Sure');
  assert.equal(await message(ada.page, 'Sure').locator('[data-testid="message-status"]').count(), 0);
  await screenshot(ada.page, '19-receipts');

  // After a reload the ticks come from GET …/receipts when the conversation opens.
  await ada.page.reload();
  await waitOnline(ada.page);
  await ticked(ada.page, 'Are you up?', 'read').waitFor();
  await ticked(ada.page, 'Coffee at 10?', 'read').waitFor();
  assert.equal(ada.page.__errors ?? 0, 0);
  assert.equal(benApp.page.__errors ?? 0, 0);
});

test('in a group: "read by N of M" under one\'s latest message, and who read it', async () => {
  const [ann, bo, cy] = await Promise.all([user('ann', 'Ann Abel'), user('bo', 'Bo Berg'), user('cy', 'Cy Cole')]);
  await createGroup(ann.page, 'Ridge walk', [bo.username, cy.username]);
  await send(ann.page, 'Sunday 9:00 at the station?');
  const mine = message(ann.page, 'Sunday 9:00');
  await mine.and(ann.page.locator('[data-read-by="0"][data-read-of="2"]')).waitFor();
  assert.equal(await mine.locator('[data-testid="read-by"]').count(), 0, 'no label while nobody has read it');

  await openChannel(bo.page, 'Ridge walk');
  await seeMessage(bo.page, 'Sunday 9:00');
  const label = mine.locator('[data-testid="read-by"]');
  await label.and(ann.page.locator('[data-count="1"][data-of="2"]')).filter({ hasText: 'Read by 1 of 2' }).waitFor();
  assert.equal(await mine.getAttribute('data-receipt'), 'sent', 'not read by everyone yet');

  // Who read it: Bo; Cy not yet. The list follows while it is open.
  await label.click();
  const dialog = byTestId(ann.page, 'read-by-dialog');
  await dialog.waitFor();
  await dialog.locator(`[data-testid="read-by-member"][data-user-id="${bo.id}"]`, { hasText: 'Bo Berg' }).waitFor();
  await dialog.locator(`[data-testid="unread-by-member"][data-user-id="${cy.id}"]`, { hasText: 'Cy Cole' }).waitFor();
  await openChannel(cy.page, 'Ridge walk');
  await seeMessage(cy.page, 'Sunday 9:00');
  await dialog.locator(`[data-testid="read-by-member"][data-user-id="${cy.id}"]`).waitFor();
  assert.equal(await dialog.locator('[data-testid="unread-by-member"]').count(), 0);
  await screenshot(ann.page, '20-read-by');
  await ann.page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'hidden' });
  await mine.and(ann.page.locator('[data-receipt="read"][data-read-by="2"]')).waitFor();
  await label.filter({ hasText: 'Read by all 2' }).waitFor();

  // The label moves to the latest own message; the ticks stay on the earlier one.
  await send(ann.page, 'Bring water');
  await label.waitFor({ state: 'detached' });
  await message(ann.page, 'Bring water').and(ann.page.locator('[data-read-by="2"]')).locator('[data-testid="read-by"]').waitFor();
  assert.equal(await mine.getAttribute('data-receipt'), 'read');
  // The status icon of any own message opens the list too.
  await mine.locator('[data-testid="message-status"]').click();
  await dialog.locator('[data-testid="read-by-member"]').nth(1).waitFor();
});

test('read receipts off: no read ticks either way (delivered ones stay); on again, the reads show', async () => {
  const [eli, fay] = await pair(['eli', 'Eli Eng'], ['fay', 'Fay Fox']);
  await setReadReceipts(eli.page, false);
  await send(eli.page, 'from Eli');
  await ticked(eli.page, 'from Eli', 'delivered').waitFor(); // Fay's app is open
  await openChannel(fay.page, 'Eli Eng');
  await seeMessage(fay.page, 'from Eli');
  await send(fay.page, 'from Fay'); // Eli's conversation is open: he reads it
  await seeMessage(eli.page, 'from Fay');
  await ticked(fay.page, 'from Fay', 'delivered').waitFor();
  // One more message each way: a receipt for the reads before them would have come first.
  await send(eli.page, 'still there?');
  await seeMessage(fay.page, 'still there?');
  await send(fay.page, 'yes');
  await seeMessage(eli.page, 'yes');
  assert.equal(await message(eli.page, 'from Eli').getAttribute('data-receipt'), 'delivered');
  assert.equal(await message(fay.page, 'from Fay').getAttribute('data-receipt'), 'delivered');
  assert.equal(await message(fay.page, 'still there?').count(), 1);

  // On again: where Fay got comes from the server.
  await setReadReceipts(eli.page, true);
  await ticked(eli.page, 'from Eli', 'read').waitFor();
  await ticked(eli.page, 'still there?', 'read').waitFor();
});

test('mentions: "@" suggests the group\'s members (keys and mouse); the mentioned see it highlighted and an @ badge until they read it', async () => {
  const [gus, hal, ivy] = await Promise.all([user('gus', 'Gus Gill'), user('hal', 'Hal Hart'), user('ivy', 'Ivy Isles')]);
  await createGroup(gus.page, 'Boulder gang', [hal.username, ivy.username]);
  const input = byTestId(gus.page, 'composer-input');
  const list = byTestId(gus.page, 'mention-suggestions');
  const options = list.locator('[data-testid="mention-option"]');
  const selected = (name) => options.filter({ hasText: name }).and(gus.page.locator('[aria-selected="true"]'));

  // "@" lists the other members by username; Escape closes the list and keeps the text.
  await input.pressSequentially('@');
  await options.nth(1).waitFor();
  assert.deepEqual(await options.evaluateAll((els) => els.map((e) => e.dataset.username)), [hal.username, ivy.username]);
  await input.press('Escape');
  await list.waitFor({ state: 'hidden' });
  assert.equal(await input.inputValue(), '@');
  await input.fill('');

  // Typing narrows it, Tab picks; arrows move (and wrap), Enter picks without sending.
  await input.pressSequentially('Lunch @iv');
  await selected('Ivy Isles').waitFor();
  assert.equal(await options.count(), 1);
  await input.press('Tab');
  await input.pressSequentially('and @');
  await selected('Hal Hart').waitFor();
  await popDone(gus.page);
  await screenshot(gus.page, '21-mention-suggestions');
  await input.press('ArrowDown');
  await selected('Ivy Isles').waitFor();
  await input.press('ArrowDown');
  await selected('Hal Hart').waitFor();
  await input.press('Enter');
  await list.waitFor({ state: 'hidden' });
  assert.equal(await input.inputValue(), `Lunch @${ivy.username} and @${hal.username} `);
  assert.equal(await message(gus.page, 'Lunch').count(), 0, 'Enter picked, it did not send');
  await input.pressSequentially('at noon?');
  await input.press('Enter');
  await seeMessage(gus.page, 'at noon?');
  // The mouse: a click on a suggestion.
  await input.pressSequentially('Thanks @');
  await options.filter({ hasText: 'Ivy Isles' }).click();
  assert.equal(await input.inputValue(), `Thanks @${ivy.username} `);
  await input.pressSequentially('for the tip');
  await input.press('Enter');
  await seeMessage(gus.page, 'for the tip');
  await send(gus.page, 'ping @nobody_here');

  // The sender sees the names highlighted, none as his own.
  const sent = message(gus.page, 'at noon?');
  assert.equal(await sent.locator('[data-testid="message-text"]').textContent(), `Lunch @${ivy.username} and @${hal.username} at noon?`);
  await sent.locator(`[data-testid="mention"][data-user-id="${ivy.id}"]`, { hasText: `@${ivy.username}` }).waitFor();
  await sent.locator(`[data-testid="mention"][data-user-id="${hal.id}"]`).waitFor();
  assert.equal(await gus.page.locator('[data-testid="mention"][data-me]').count(), 0);

  // Hal and Ivy: an @ badge on the group, gone once read.
  await channelItem(hal.page, 'Boulder gang').locator('[data-testid="mention-badge"][data-count="1"]').waitFor();
  await channelItem(ivy.page, 'Boulder gang').locator('[data-testid="mention-badge"][data-count="2"]').waitFor();
  await openChannel(hal.page, 'Boulder gang');
  const onHal = message(hal.page, 'at noon?');
  await onHal.and(hal.page.locator('[data-mentions-me="true"]')).waitFor();
  await onHal.locator(`[data-testid="mention"][data-me="true"][data-user-id="${hal.id}"]`, { hasText: `@${hal.username}` }).waitFor();
  await onHal.locator(`[data-testid="mention"][data-user-id="${ivy.id}"]:not([data-me])`).waitFor();
  assert.equal(await message(hal.page, 'for the tip').getAttribute('data-mentions-me'), null);
  // A name that is no member's is no mention.
  await seeMessage(hal.page, 'ping @nobody_here');
  assert.equal(await message(hal.page, 'ping @nobody_here').locator('[data-testid="mention"]').count(), 0);
  await channelItem(hal.page, 'Boulder gang').locator('[data-testid="mention-badge"]').waitFor({ state: 'hidden' });
  await screenshot(hal.page, '22-mentions');

  // After a reload, from the server's list: Hal's is read, Ivy's two are still unread.
  await hal.page.reload();
  await waitOnline(hal.page);
  await ivy.page.reload();
  await waitOnline(ivy.page);
  await channelItem(ivy.page, 'Boulder gang').locator('[data-testid="mention-badge"][data-count="2"]').waitFor();
  await channelItem(hal.page, 'Boulder gang').and(hal.page.locator('[data-mentions="0"]')).waitFor();
  assert.equal(await channelItem(hal.page, 'Boulder gang').locator('[data-testid="mention-badge"]').isVisible(), false);
  await openChannel(ivy.page, 'Boulder gang');
  await seeMessage(ivy.page, 'for the tip');
  await channelItem(ivy.page, 'Boulder gang').locator('[data-testid="mention-badge"]').waitFor({ state: 'hidden' });
  for (const u of [gus, hal, ivy]) assert.equal(u.page.__errors ?? 0, 0);
});

test('notification level: chosen in the conversation\'s header, shown in the list, kept (a reload shows it)', async () => {
  const [jo, kit] = await pair(['jo', 'Jo Jones'], ['kit', 'Kit Kent']);
  await send(jo.page, 'Muting this, too chatty'); // the DM is in Kit's list from its first message
  const bell = byTestId(jo.page, 'notify-button');
  const menu = byTestId(jo.page, 'notify-menu');
  const level = async () => {
    const token = await jo.page.evaluate(() => localStorage.getItem('natter.token'));
    const { channels } = await apiCall(server.url, 'GET', '/v1/channels', undefined, token);
    return channels.find((c) => c.name === 'Kit Kent').notifications;
  };
  await bell.and(jo.page.locator('[data-level="all"]')).waitFor();
  await bell.click();
  await menu.locator('[data-testid="notify-option"][data-level="all"][aria-checked="true"]').waitFor();
  await popDone(jo.page);
  await screenshot(jo.page, '23-notify-menu');
  await menu.locator('[data-testid="notify-option"][data-level="mentions"]').click();
  await bell.and(jo.page.locator('[data-level="mentions"]')).waitFor();
  await menu.waitFor({ state: 'hidden' });
  await channelItem(jo.page, 'Kit Kent').locator('[data-testid="channel-level"][data-level="mentions"]').waitFor();
  assert.equal(await level(), 'mentions');
  await jo.page.reload();
  await waitOnline(jo.page);
  await bell.and(jo.page.locator('[data-level="mentions"]')).waitFor();

  // The keyboard: the menu opens on the current level, arrows move, Enter chooses.
  await bell.click();
  await menu.locator('[data-level="mentions"][aria-checked="true"]').waitFor();
  await jo.page.keyboard.press('ArrowDown');
  await jo.page.keyboard.press('Enter');
  await bell.and(jo.page.locator('[data-level="none"]')).waitFor();
  assert.equal(await level(), 'none');
  await jo.page.reload();
  await waitOnline(jo.page);
  await bell.and(jo.page.locator('[data-level="none"]')).waitFor();
  await channelItem(jo.page, 'Kit Kent').locator('[data-testid="channel-level"][data-level="none"]').waitFor();
  // Kit's level is his own.
  await openChannel(kit.page, 'Jo Jones');
  await byTestId(kit.page, 'notify-button').and(kit.page.locator('[data-level="all"]')).waitFor();
});

test('edit history: a click on "edited" lists every version, the original first', async () => {
  const [lee, mo] = await pair(['lee', 'Lee Lund'], ['mo', 'Mo Mann']);
  await send(lee.page, 'Meet at 6');
  for (const text of ['Meet at 7', 'Meet at 7 at the gym']) {
    await messageMenu(lee.page, 'Meet at', 'menu-edit');
    await byTestId(lee.page, 'edit-input').fill(text);
    await byTestId(lee.page, 'edit-input').press('Enter');
    await byTestId(lee.page, 'edit-input').waitFor({ state: 'detached' });
    await message(lee.page, text).locator('[data-testid="edited-marker"]').waitFor();
  }
  await openChannel(mo.page, 'Lee Lund');
  await message(mo.page, 'Meet at 7 at the gym').locator('[data-testid="edited-marker"]').click();
  const panel = byTestId(mo.page, 'edit-history');
  const versions = panel.locator('[data-testid="edit-version"]');
  await versions.nth(2).waitFor();
  assert.deepEqual(await panel.locator('[data-testid="edit-version-text"]').allTextContents(), ['Meet at 6', 'Meet at 7', 'Meet at 7 at the gym']);
  assert.deepEqual(await versions.evaluateAll((els) => els.map((e) => e.dataset.current)), ['false', 'false', 'true']);
  await screenshot(mo.page, '24-edit-history');
  await mo.page.keyboard.press('Escape');
  await panel.waitFor({ state: 'hidden' });
  // The author sees the same.
  await message(lee.page, 'Meet at 7 at the gym').locator('[data-testid="edited-marker"]').click();
  await byTestId(lee.page, 'edit-history').locator('[data-testid="edit-version-text"]', { hasText: 'Meet at 6' }).waitFor();
});
