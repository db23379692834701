// Deleting one's account in the web app (the profile dialog), on a real `natter dev`:
// a wrong password is refused (the error shows, nothing changes), the right one
// returns to the login screen with a notice and the account no longer logs in; the
// other side of a 1:1 chat, with the page open, sees the account's message become a
// tombstone, its reaction go, "Deleted account" as the chat's name and the
// "deleted their account" notice — and the same after a reload.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startNatter } from '../lib/server.js';
import {
  launchBrowser, screenshot, byTestId, waitOnline, openChannel, message, send, seeMessage, newPair, messageMenu as menu, T,
} from '../lib/app.js';

let server;
let browser;
const contexts = [];

before(async () => {
  [server, browser] = await Promise.all([startNatter({ tmpPrefix: 'natter-browser-account-' }), launchBrowser()]);
});

after(async () => {
  for (const c of contexts) await c.close().catch(() => {});
  await browser?.close().catch(() => {});
  await server?.stop();
});

const chip = (page, text, emoji) => message(page, text).locator(`[data-testid="reaction-chip"][data-emoji="${emoji}"]`);

/** Fills the profile dialog's "Delete account" with `password`, confirms, and submits. */
async function deleteAccount(page, password) {
  await byTestId(page, 'delete-account-password').fill(password);
  page.once('dialog', (d) => d.accept());
  await byTestId(page, 'delete-account-button').click();
}

test('delete account: a wrong password is refused; the right one logs out; the other side sees tombstones and "Deleted account"', async () => {
  const [ali, bob] = await newPair(browser, server.url, contexts, ['ali', 'Alice Ash'], ['bob', 'Bob Birch']);
  await send(ali.page, 'A secret from Alice');
  await openChannel(bob.page, 'Alice Ash');
  await seeMessage(bob.page, 'A secret from Alice');
  await send(bob.page, 'Noted, thanks');
  await seeMessage(ali.page, 'Noted, thanks');
  // Alice reacts to Bob's message: her reaction goes with her account.
  await menu(ali.page, 'Noted, thanks', 'menu-react');
  await chip(bob.page, 'Noted, thanks', '👍').and(bob.page.locator('[data-count="1"]')).waitFor();

  // A wrong password: the error shows, Alice stays logged in.
  await byTestId(ali.page, 'me-button').click();
  await byTestId(ali.page, 'delete-account-form').scrollIntoViewIfNeeded();
  await deleteAccount(ali.page, 'not-my-password');
  await byTestId(ali.page, 'delete-account-error').filter({ hasText: 'password is wrong' }).waitFor();
  assert.ok(await ali.page.evaluate(() => localStorage.getItem('natter.token')), 'still logged in');
  assert.equal(await byTestId(ali.page, 'chat-view').isVisible(), true);
  await screenshot(ali.page, '40-delete-account');

  // The right one: back to the login screen with a notice.
  await deleteAccount(ali.page, 'secret-pass');
  await byTestId(ali.page, 'auth-view').waitFor();
  await byTestId(ali.page, 'auth-error').filter({ hasText: 'Your account was deleted' }).waitFor();
  assert.equal(await ali.page.evaluate(() => localStorage.getItem('natter.token')), null);

  // Bob's open page: Alice's message is a tombstone, her reaction gone, her name "Deleted account".
  const tomb = bob.page.locator('[data-testid="message-list"] [data-testid="message"][data-deleted="true"]');
  await tomb.waitFor();
  assert.equal(await tomb.locator('[data-testid="message-text"]').textContent(), 'This message was deleted');
  assert.equal(await message(bob.page, 'A secret from Alice').count(), 0);
  await chip(bob.page, 'Noted, thanks', '👍').waitFor({ state: 'detached' });
  await seeMessage(bob.page, 'Noted, thanks');
  await bob.page.locator('[data-testid="system-text"]', { hasText: 'Alice Ash deleted their account' }).waitFor();
  await byTestId(bob.page, 'conv-name').filter({ hasText: 'Deleted account' }).waitFor();
  await bob.page.locator('[data-testid="channel-item"] [data-testid="channel-name"]', { hasText: 'Deleted account' }).waitFor();
  await screenshot(bob.page, '41-deleted-account');

  // After a reload: history already shows the tombstone; the profile is a deleted account's.
  await bob.page.reload();
  await waitOnline(bob.page);
  await bob.page.locator('[data-testid="channel-item"] [data-testid="channel-name"]', { hasText: 'Deleted account' }).click();
  await byTestId(bob.page, 'conv-name').filter({ hasText: 'Deleted account' }).waitFor();
  await bob.page.locator('[data-testid="message-list"] [data-testid="message"][data-deleted="true"]').waitFor();
  await bob.page.locator('[data-testid="system-text"]', { hasText: 'deleted their account' }).waitFor();
  assert.equal(await message(bob.page, 'A secret from Alice').count(), 0);
  assert.equal(await bob.page.locator('[data-testid="reaction-chip"]').count(), 0);
  await seeMessage(bob.page, 'Noted, thanks');

  // The account no longer logs in.
  await byTestId(ali.page, 'auth-username').fill(ali.username);
  await byTestId(ali.page, 'auth-password').fill('secret-pass');
  await byTestId(ali.page, 'auth-submit').click();
  await byTestId(ali.page, 'auth-error').filter({ hasText: 'Wrong username or password' }).waitFor({ timeout: T });
  assert.equal(ali.page.__errors ?? 0, 0);
  assert.equal(bob.page.__errors ?? 0, 0);
});
