// Blocks, reports, privacy settings and group moderation in the web app, between
// browsers on a real `natter dev`: blocking from a DM's header (the other's send is
// refused and the composer area says why; unblocking from the profile dialog's
// "Blocked users" lets it through), reporting a message and a user, the privacy
// selects, and an owner muting (a send refused, then allowed after Unmute) and
// banning a member (the group leaves the banned member's list).

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startNatter } from '../lib/server.js';
import {
  launchBrowser, screenshot, byTestId, openDm, send, seeMessage, newUser, newPair, messageMenu, message, channelItem, openChannel, T,
} from '../lib/app.js';

let server;
let browser;
const contexts = [];

before(async () => {
  [server, browser] = await Promise.all([startNatter({ tmpPrefix: 'natter-browser-moderation-' }), launchBrowser()]);
});

after(async () => {
  for (const c of contexts) await c.close().catch(() => {});
  await browser?.close().catch(() => {});
  await server?.stop();
});

const toastWith = (page, text) => page.locator('[data-testid="toasts"] .toast', { hasText: text });

/** Types a message and sends it with Enter, without waiting for the server. */
async function trySend(page, text) {
  const input = byTestId(page, 'composer-input');
  await input.fill(text);
  await input.press('Enter');
}

/** Opens the group info dialog and waits for this member's row. */
async function memberRow(page, userId) {
  if (!(await byTestId(page, 'group-info-dialog').isVisible())) await byTestId(page, 'group-info-button').click();
  const row = page.locator(`[data-testid="group-member"][data-user-id="${userId}"]`);
  await row.waitFor();
  return row;
}

test('block from the DM header: the other\'s send is refused with the server\'s words in the composer area; unblock from the profile dialog', async () => {
  const [ada, bo] = await newPair(browser, server.url, contexts, ['bka', 'Ada Park'], ['bkb', 'Bo Reed']);
  await openDm(bo.page, ada.username, 'Ada Park');
  await send(bo.page, 'hi Ada');
  await seeMessage(ada.page, 'hi Ada');

  // Ada blocks Bo from the DM's header menu.
  await byTestId(ada.page, 'peer-menu-button').click();
  await byTestId(ada.page, 'peer-menu').waitFor();
  ada.page.once('dialog', (d) => d.accept());
  await byTestId(ada.page, 'peer-block').click();
  await toastWith(ada.page, 'Bo Reed is blocked').waitFor();

  // Bo's next send is refused: the row says "Not sent", the composer area the server's message.
  await trySend(bo.page, 'are you there?');
  await message(bo.page, 'are you there?').and(bo.page.locator('[data-state="failed"]')).waitFor();
  const err = byTestId(bo.page, 'send-error');
  await err.waitFor();
  assert.ok((await err.textContent()).trim().length > 0, 'the server\'s message is shown');
  await screenshot(bo.page, '31-blocked-send');
  // Ada's menu now offers Unblock; the profile dialog lists Bo under "Blocked users".
  await byTestId(ada.page, 'peer-menu-button').click();
  await byTestId(ada.page, 'peer-unblock').waitFor();
  await ada.page.keyboard.press('Escape');
  await byTestId(ada.page, 'me-button').click();
  const blocked = ada.page.locator(`[data-testid="blocked-list"] [data-testid="blocked-user"][data-user-id="${bo.id}"]`);
  await blocked.waitFor();
  await blocked.locator('[data-testid="blocked-unblock"]').click();
  await blocked.waitFor({ state: 'detached' });
  await byTestId(ada.page, 'blocked-status').filter({ hasText: 'You block nobody.' }).waitFor();
  await ada.page.keyboard.press('Escape');

  // Unblocked: Bo's next send goes through and the error goes.
  await send(bo.page, 'back again');
  await byTestId(bo.page, 'send-error').waitFor({ state: 'hidden' });
  await seeMessage(ada.page, 'back again');
  assert.equal(ada.page.__errors ?? 0, 0);
  assert.equal(bo.page.__errors ?? 0, 0);
});

test('report a message and a user: the dialog takes a reason and a note, a notice confirms; privacy settings are kept', async () => {
  const [cy, di] = await newPair(browser, server.url, contexts, ['rpa', 'Cy Hart'], ['rpb', 'Di Moss']);
  await openDm(di.page, cy.username, 'Cy Hart');
  await send(di.page, 'buy cheap watches now');
  await seeMessage(cy.page, 'buy cheap watches now');

  await messageMenu(cy.page, 'buy cheap watches now', 'menu-report');
  const dialog = byTestId(cy.page, 'report-dialog');
  await dialog.waitFor();
  assert.match(await byTestId(cy.page, 'report-preview').textContent(), /buy cheap watches now/);
  await byTestId(cy.page, 'report-reason').selectOption('spam');
  await byTestId(cy.page, 'report-note').fill('unsolicited advertising');
  await screenshot(cy.page, '32-report');
  await byTestId(cy.page, 'report-submit').click();
  await dialog.waitFor({ state: 'hidden' });
  await toastWith(cy.page, 'your report was sent').waitFor();

  // One's own messages offer no Report.
  await send(cy.page, 'no thanks');
  await message(cy.page, 'no thanks').hover();
  await message(cy.page, 'no thanks').locator('[data-testid="message-menu-button"]').click();
  await byTestId(cy.page, 'message-menu').waitFor();
  assert.equal(await byTestId(cy.page, 'message-menu').locator('[data-testid="menu-report"]').count(), 0);
  await cy.page.keyboard.press('Escape');

  // A user, from the DM's header.
  await byTestId(cy.page, 'peer-menu-button').click();
  await byTestId(cy.page, 'peer-report').click();
  await dialog.waitFor();
  assert.equal(await cy.page.locator('#report-title').textContent(), 'Report user');
  await byTestId(cy.page, 'report-reason').selectOption('harassment');
  await byTestId(cy.page, 'report-submit').click();
  await dialog.waitFor({ state: 'hidden' });
  await toastWith(cy.page, 'your report was sent').nth(0).waitFor();

  // Privacy: the three selects show the defaults, a change is saved and shown again.
  await byTestId(cy.page, 'me-button').click();
  assert.deepEqual(
    await Promise.all(['privacy-message', 'privacy-add', 'privacy-presence'].map((id) => byTestId(cy.page, id).inputValue())),
    ['everyone', 'contacts', 'contacts'],
  );
  await byTestId(cy.page, 'privacy-message').selectOption('nobody');
  await toastWith(cy.page, 'Privacy setting saved').waitFor();
  await cy.page.keyboard.press('Escape');
  await byTestId(cy.page, 'me-button').click();
  assert.equal(await byTestId(cy.page, 'privacy-message').inputValue(), 'nobody');
  await cy.page.keyboard.press('Escape');
  // A stranger cannot start a chat with Cy now.
  const ed = await newUser(browser, server.url, contexts, 'rpc', 'Ed Stone');
  await byTestId(ed.page, 'people-search').fill(cy.username);
  await ed.page.locator(`[data-testid="person-result"][data-username="${cy.username}"]`).click();
  await ed.page.locator('[data-testid="toasts"] .toast-error').first().waitFor();
  assert.equal(cy.page.__errors ?? 0, 0);
  assert.equal(di.page.__errors ?? 0, 0);
});

test('group moderation: the owner mutes a member (their send shows the error, allowed after Unmute) and bans another (the group leaves their list)', async () => {
  const [own, mem, ban] = await Promise.all([
    newUser(browser, server.url, contexts, 'moa', 'Fay Owner'),
    newUser(browser, server.url, contexts, 'mob', 'Gus Member'),
    newUser(browser, server.url, contexts, 'moc', 'Hal Banned'),
  ]);
  await byTestId(own.page, 'new-group-button').click();
  await byTestId(own.page, 'group-name').fill('Moderated club');
  for (const u of [mem, ban]) {
    await byTestId(own.page, 'group-member-search').fill(u.username);
    await own.page.locator(`[data-testid="group-candidate"][data-username="${u.username}"]`).click();
    await own.page.locator(`[data-testid="group-chip"][data-user-id="${u.id}"]`).waitFor();
  }
  await byTestId(own.page, 'group-create').click();
  await own.page.locator('[data-testid="conv-name"]', { hasText: 'Moderated club' }).waitFor();
  for (const u of [mem, ban]) {
    await channelItem(u.page, 'Moderated club').waitFor();
    await openChannel(u.page, 'Moderated club');
  }
  await send(mem.page, 'hello all');

  // Mute Gus for 8 h from the member list.
  let row = await memberRow(own.page, mem.id);
  await row.locator('[data-testid="member-mute"]').selectOption('480');
  await own.page.locator(`[data-testid="group-member"][data-user-id="${mem.id}"][data-muted="true"]`).waitFor();
  await screenshot(own.page, '33-member-muted');
  await own.page.keyboard.press('Escape');
  await own.page.locator('[data-testid="system-text"]', { hasText: 'You muted Gus Member for 8 h' }).waitFor();
  await mem.page.locator('[data-testid="system-text"]', { hasText: 'Fay Owner muted you for 8 h' }).waitFor();
  await trySend(mem.page, 'let me talk');
  await message(mem.page, 'let me talk').and(mem.page.locator('[data-state="failed"]')).waitFor();
  const err = byTestId(mem.page, 'send-error');
  await err.waitFor();
  assert.ok((await err.textContent()).trim().length > 0);

  // Unmute: Gus sends again.
  row = await memberRow(own.page, mem.id);
  await row.locator('[data-testid="member-unmute"]').click();
  await own.page.locator(`[data-testid="group-member"][data-user-id="${mem.id}"][data-muted="false"]`).waitFor();
  await own.page.keyboard.press('Escape');
  await mem.page.locator('[data-testid="system-text"]', { hasText: 'Fay Owner unmuted you' }).waitFor();
  await send(mem.page, 'thank you');
  await byTestId(mem.page, 'send-error').waitFor({ state: 'hidden' });

  // Ban Hal: the others see the line, Hal's list loses the group.
  row = await memberRow(own.page, ban.id);
  own.page.once('dialog', (d) => d.accept());
  await row.locator('[data-testid="member-ban"]').click();
  await row.waitFor({ state: 'detached' });
  await own.page.keyboard.press('Escape');
  await own.page.locator('[data-testid="system-text"]', { hasText: 'You banned Hal Banned' }).waitFor();
  await mem.page.locator('[data-testid="system-text"]', { hasText: 'Fay Owner banned Hal Banned' }).waitFor();
  await channelItem(ban.page, 'Moderated club').waitFor({ state: 'detached', timeout: T });
  await byTestId(ban.page, 'left-notice').waitFor();
  for (const p of [own.page, mem.page, ban.page]) assert.equal(p.__errors ?? 0, 0);
});
