// Sessions in the web app (the profile dialog), between browsers of one user on a
// real `natter dev`: the list of where one is logged in (this device marked), ending
// another browser's session (it returns to the login screen with a notice), a
// password change (this browser stays, the others are logged out, the new password
// logs in) and logging out everywhere.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startNatter } from '../lib/server.js';
import {
  launchBrowser, uname, screenshot, newUserPage, byTestId, waitOnline, logIn, openDm, send, apiSignup, newUser, T,
} from '../lib/app.js';

let server;
let browser;
const contexts = [];

before(async () => {
  [server, browser] = await Promise.all([startNatter({ tmpPrefix: 'natter-browser-sessions-' }), launchBrowser()]);
});

after(async () => {
  for (const c of contexts) await c.close().catch(() => {});
  await browser?.close().catch(() => {});
  await server?.stop();
});

/** Another browser (a context of its own) logged in as `username`. */
async function secondBrowser(username) {
  const b = await newUserPage(browser, server.url);
  contexts.push(b.context);
  await logIn(b.page, username);
  return b.page;
}

const sessionItems = (page) => page.locator('[data-testid="sessions-list"] [data-testid="session-item"]');

/** Waits until the profile dialog lists `n` sessions. */
async function seeSessions(page, n) {
  await page.waitForFunction(
    (n) => document.querySelectorAll('[data-testid="sessions-list"] [data-testid="session-item"]').length === n,
    n,
    { timeout: T },
  );
}

/** Waits until the page is back at the login screen with the "logged out" notice. */
async function loggedOut(page, notice = 'You were logged out') {
  await byTestId(page, 'auth-view').waitFor();
  await byTestId(page, 'auth-error').filter({ hasText: notice }).waitFor();
  assert.equal(await page.evaluate(() => localStorage.getItem('natter.token')), null);
}

test('two browsers of one user: both sessions listed, this one marked; ending the other sends it to the login screen', async () => {
  const a = await newUser(browser, server.url, contexts, 'sia', 'Sia Stone');
  const other = await secondBrowser(a.username);

  await byTestId(a.page, 'me-button').click();
  await seeSessions(a.page, 2);
  const mine = sessionItems(a.page).and(a.page.locator('[data-current="true"]'));
  const theirs = sessionItems(a.page).and(a.page.locator('[data-current="false"]'));
  assert.equal(await mine.locator('[data-testid="session-this-device"]').textContent(), 'This device');
  assert.equal(await mine.locator('[data-testid="session-end"]').count(), 0, 'this device is logged out with "Log out"');
  assert.match(await theirs.locator('[data-testid="session-agent"]').textContent(), /Chrome/);
  assert.match(await theirs.locator('[data-testid="session-last-used"]').textContent(), /^Last used /);
  await a.page.evaluate(() => document.querySelector('#sessions-title').scrollIntoView({ block: 'start' }));
  await screenshot(a.page, '30-sessions');

  await theirs.locator('[data-testid="session-end"]').click();
  await seeSessions(a.page, 1);
  await loggedOut(other);
  // This browser carries on.
  assert.equal(await sessionItems(a.page).getAttribute('data-current'), 'true');
  await a.page.keyboard.press('Escape');
  await waitOnline(a.page);
  assert.equal(a.page.__errors ?? 0, 0);
  assert.equal(other.__errors ?? 0, 0);
});

test('change password: this browser stays (new token, still sending), the other is logged out; the new password logs in; log out everywhere', async () => {
  const a = await newUser(browser, server.url, contexts, 'pia', 'Pia Park');
  const peer = await apiSignup(server.url, uname('pal'), 'Pal Pine');
  await openDm(a.page, peer.user.username, 'Pal Pine');
  const other = await secondBrowser(a.username);
  const oldToken = await a.page.evaluate(() => localStorage.getItem('natter.token'));

  await byTestId(a.page, 'me-button').click();
  await seeSessions(a.page, 2);
  // A wrong current password changes nothing.
  await byTestId(a.page, 'password-current').fill('not-my-password');
  await byTestId(a.page, 'password-new').fill('brand-new-pass');
  await byTestId(a.page, 'password-save').click();
  await byTestId(a.page, 'password-error').filter({ hasText: 'current password is wrong' }).waitFor();
  await seeSessions(a.page, 2);

  await byTestId(a.page, 'password-current').fill('secret-pass');
  await byTestId(a.page, 'password-new').fill('brand-new-pass');
  await byTestId(a.page, 'password-save').click();
  await byTestId(a.page, 'toasts').filter({ hasText: 'Password changed' }).waitFor();
  await loggedOut(other);
  await seeSessions(a.page, 1);
  const newToken = await a.page.evaluate(() => localStorage.getItem('natter.token'));
  assert.ok(newToken && newToken !== oldToken, 'the page keeps the new token');
  await a.page.keyboard.press('Escape');
  // The socket came back on the new token: a send is acknowledged.
  await waitOnline(a.page);
  await send(a.page, 'Still here after the change');
  // And after a reload (the stored token is the new one).
  await a.page.reload();
  await waitOnline(a.page);
  await byTestId(a.page, 'chat-view').waitFor();

  // The old password is refused, the new one logs in.
  await byTestId(other, 'auth-username').fill(a.username);
  await byTestId(other, 'auth-password').fill('secret-pass');
  await byTestId(other, 'auth-submit').click();
  await byTestId(other, 'auth-error').filter({ hasText: 'Wrong username or password' }).waitFor();
  await byTestId(other, 'auth-password').fill('brand-new-pass');
  await byTestId(other, 'auth-submit').click();
  await waitOnline(other);

  // Log out everywhere: both browsers return to the login screen.
  await byTestId(a.page, 'me-button').click();
  await seeSessions(a.page, 2);
  a.page.once('dialog', (d) => d.accept());
  await byTestId(a.page, 'logout-everywhere').click();
  await loggedOut(a.page, 'logged out everywhere');
  await loggedOut(other);
  assert.equal(a.page.__errors ?? 0, 0);
  assert.equal(other.__errors ?? 0, 0);
});
