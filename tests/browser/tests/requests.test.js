// Chat requests in the web app, between browsers on a real `natter dev`: a user whose
// "Who can message you" is "People you chat with" refuses a stranger's new chat; the
// stranger sends a request from the refusal's notice, the recipient sees it live in
// the sidebar's "Requests (N)" and accepts it (the chat opens on both sides and both
// write); a group owner whose addition is refused asks from the group info dialog,
// the recipient accepts and is in the group; a declined request goes.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startNatter } from '../lib/server.js';
import {
  launchBrowser, screenshot, byTestId, send, seeMessage, newUser, createGroup, channelItem, openChannel, T,
} from '../lib/app.js';

let server;
let browser;
const contexts = [];

before(async () => {
  [server, browser] = await Promise.all([startNatter({ tmpPrefix: 'natter-browser-requests-' }), launchBrowser()]);
});

after(async () => {
  for (const c of contexts) await c.close().catch(() => {});
  await browser?.close().catch(() => {});
  await server?.stop();
});

const toastWith = (page, text) => page.locator('[data-testid="toasts"] .toast', { hasText: text });
const requestRow = (page, from) => page.locator(`[data-testid="requests-list"] [data-testid="chat-request"][data-from="${from}"]`);

/** Chooses privacy settings in the profile dialog ({ select's testid: value }), each saved in turn. */
async function setPrivacy(page, settings) {
  await byTestId(page, 'me-button').click();
  let i = 0;
  for (const [testid, value] of Object.entries(settings)) {
    await byTestId(page, testid).selectOption(value);
    await toastWith(page, 'Privacy setting saved').nth(i++).waitFor();
  }
  await page.keyboard.press('Escape');
  await byTestId(page, 'profile-dialog').waitFor({ state: 'hidden' });
}

/** Tries to open a chat from the sidebar's search (without waiting for it to open). */
async function tryChat(page, username) {
  await byTestId(page, 'people-search').fill(username);
  await page.locator(`[data-testid="person-result"][data-username="${username}"]`).click();
}

test('a refused chat becomes a request: sent from the notice, seen live by the recipient, accepted; both then chat', async () => {
  const [pat, sam] = await Promise.all([
    newUser(browser, server.url, contexts, 'rqp', 'Pat Quinn'),
    newUser(browser, server.url, contexts, 'rqs', 'Sam Lee'),
  ]);
  await setPrivacy(pat.page, { 'privacy-message': 'contacts' });
  assert.equal(await byTestId(pat.page, 'requests-button').isVisible(), false, 'no requests yet');

  // Sam's chat is refused: the notice offers a request.
  await tryChat(sam.page, pat.username);
  const refusal = toastWith(sam.page, 'Pat Quinn does not accept new chats from you');
  await refusal.waitFor();
  await screenshot(sam.page, '40-chat-refused');
  await refusal.locator('[data-testid="request-send"]').click();
  await toastWith(sam.page, 'Request sent').waitFor();
  assert.equal(await channelItem(sam.page, 'Pat Quinn').count(), 0, 'no chat yet');

  // Pat sees it at once, without a reload.
  await toastWith(pat.page, 'Sam Lee wants to chat').waitFor();
  const entry = byTestId(pat.page, 'requests-button');
  await entry.waitFor();
  assert.equal((await byTestId(pat.page, 'requests-label').textContent()).trim(), 'Requests (1)');
  await entry.click();
  const row = requestRow(pat.page, sam.id);
  await row.waitFor();
  assert.equal((await row.locator('[data-testid="request-text"]').textContent()).trim(), 'Sam Lee wants to chat');
  assert.equal(await row.getAttribute('data-kind'), 'dm');
  await screenshot(pat.page, '41-chat-request');
  await row.locator('[data-testid="request-accept"]').click();
  await byTestId(pat.page, 'requests-dialog').waitFor({ state: 'hidden' });
  await pat.page.locator('[data-testid="conv-name"]', { hasText: 'Sam Lee' }).waitFor();
  await entry.waitFor({ state: 'hidden' });

  // Both write.
  await send(pat.page, 'hi Sam, welcome');
  await channelItem(sam.page, 'Pat Quinn').waitFor({ timeout: T });
  await openChannel(sam.page, 'Pat Quinn');
  await seeMessage(sam.page, 'hi Sam, welcome');
  await send(sam.page, 'thanks for accepting');
  await seeMessage(pat.page, 'thanks for accepting');
  for (const p of [pat.page, sam.page]) assert.equal(p.__errors ?? 0, 0);
});

test('a refused group addition becomes a request from the group info dialog; accepted, the recipient is in the group; a declined one goes', async () => {
  const [mo, kim, lou] = await Promise.all([
    newUser(browser, server.url, contexts, 'rqm', 'Mo Grant'),
    newUser(browser, server.url, contexts, 'rqk', 'Kim Ash'),
    newUser(browser, server.url, contexts, 'rql', 'Lou Park'),
  ]);
  await setPrivacy(kim.page, { 'privacy-message': 'contacts', 'privacy-add': 'contacts' });
  // Mo's group; Kim (who shares no chat with Mo) is refused.
  await createGroup(mo.page, 'club', []);
  await byTestId(mo.page, 'group-info-button').click();
  await byTestId(mo.page, 'add-member-search').fill(kim.username);
  await mo.page.locator(`[data-testid="add-candidate"][data-username="${kim.username}"]`).click();
  const offer = byTestId(mo.page, 'info-request');
  await offer.waitFor();
  assert.match(await offer.textContent(), /Kim Ash does not accept group additions from you/);
  await byTestId(mo.page, 'info-request-send').click();
  await byTestId(mo.page, 'info-request').filter({ hasText: 'Request sent' }).waitFor();
  await mo.page.keyboard.press('Escape');

  // Lou asks Kim to chat too; Kim sees both, newest first.
  await tryChat(lou.page, kim.username);
  await toastWith(lou.page, 'does not accept new chats from you').locator('[data-testid="request-send"]').click();
  await toastWith(lou.page, 'Request sent').waitFor();
  await byTestId(kim.page, 'requests-label').filter({ hasText: 'Requests (2)' }).waitFor();
  await byTestId(kim.page, 'requests-button').click();
  const groupRow = requestRow(kim.page, mo.id);
  await groupRow.waitFor();
  assert.equal((await groupRow.locator('[data-testid="request-text"]').textContent()).trim(), 'Mo Grant invites you to join club');
  assert.equal(await groupRow.getAttribute('data-kind'), 'group');
  const texts = await kim.page.locator('[data-testid="requests-list"] [data-testid="request-text"]').allTextContents();
  assert.deepEqual(texts.map((t) => t.trim()), ['Lou Park wants to chat', 'Mo Grant invites you to join club']);

  // Decline Lou's: the row goes, the count follows.
  await requestRow(kim.page, lou.id).locator('[data-testid="request-decline"]').click();
  await requestRow(kim.page, lou.id).waitFor({ state: 'detached' });
  await byTestId(kim.page, 'requests-label').filter({ hasText: 'Requests (1)' }).waitFor();

  // Accept Mo's: Kim is in the group, everyone sees the addition, and they talk.
  await groupRow.locator('[data-testid="request-accept"]').click();
  await kim.page.locator('[data-testid="conv-name"]', { hasText: 'club' }).waitFor();
  await toastWith(kim.page, 'You joined “club”').waitFor();
  await byTestId(kim.page, 'requests-button').waitFor({ state: 'hidden' });
  await send(kim.page, 'glad to join');
  await seeMessage(mo.page, 'glad to join');
  await send(mo.page, 'welcome Kim');
  await seeMessage(kim.page, 'welcome Kim');
  // The declined request is gone after a reload too.
  await kim.page.reload();
  await kim.page.locator('[data-testid="conn-state"][data-synced="true"]').waitFor();
  await channelItem(kim.page, 'club').waitFor();
  assert.equal(await byTestId(kim.page, 'requests-button').isVisible(), false);
  for (const p of [mo.page, kim.page, lou.page]) assert.equal(p.__errors ?? 0, 0);
});
