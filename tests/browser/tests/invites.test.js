// Invite links and data export in the web app, between browsers on a real `natter
// dev`: the owner makes an invite link in the group info dialog (listed with Revoke),
// a second user opens the app with the link and is in the group, a third pastes the
// code in "Join with code"; a revoked link is refused; the profile dialog's "Export my
// data" shows progress and then a download link that serves the archive.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startNatter } from '../lib/server.js';
import { launchBrowser, screenshot, byTestId, newUser, createGroup, channelItem, send, seeMessage, T } from '../lib/app.js';

let server;
let browser;
const contexts = [];

before(async () => {
  [server, browser] = await Promise.all([startNatter({ tmpPrefix: 'natter-browser-invites-' }), launchBrowser()]);
});

after(async () => {
  for (const c of contexts) await c.close().catch(() => {});
  await browser?.close().catch(() => {});
  await server?.stop();
});

const toastWith = (page, text) => page.locator('[data-testid="toasts"] .toast', { hasText: text });

test('an owner makes an invite link; one user opens it, another pastes the code: both are in the group; a revoked link is refused', async () => {
  const [owner, b, c] = await Promise.all([
    newUser(browser, server.url, contexts, 'inv_owner', 'Olive Owner'),
    newUser(browser, server.url, contexts, 'inv_b', 'Bea Bright'),
    newUser(browser, server.url, contexts, 'inv_c', 'Cy Clark'),
  ]);
  await createGroup(owner.page, 'Book club', []);
  await byTestId(owner.page, 'group-info-button').click();
  await byTestId(owner.page, 'invites').waitFor();
  await byTestId(owner.page, 'invite-minutes').selectOption('10080');
  await byTestId(owner.page, 'invite-uses').selectOption('0');
  await byTestId(owner.page, 'invite-create').click();
  const row = owner.page.locator('[data-testid="invite"]');
  await row.first().waitFor();
  assert.equal(await row.count(), 1);
  const link = await row.first().locator('[data-testid="invite-link"]').inputValue();
  const code = await row.first().getAttribute('data-code');
  assert.equal(link, `${server.url}/#join=${code}`);
  assert.match(await row.first().textContent(), /0 uses/);
  await screenshot(owner.page, 'invites-group-info');

  // b opens the app with the link: joined, the group opens.
  await b.page.goto(link);
  await b.page.locator('[data-testid="conv-name"]', { hasText: 'Book club' }).waitFor();
  await channelItem(b.page, 'Book club').waitFor();
  await send(b.page, 'joined through the link');
  await byTestId(owner.page, 'group-info-dialog').locator('[data-close]').first().click();
  await seeMessage(owner.page, 'joined through the link');

  // c pastes the code into "Join with code".
  await byTestId(c.page, 'join-code').fill(code);
  await byTestId(c.page, 'join-submit').click();
  await c.page.locator('[data-testid="conv-name"]', { hasText: 'Book club' }).waitFor();
  await channelItem(c.page, 'Book club').waitFor();
  await seeMessage(c.page, 'joined through the link');

  // The owner sees the uses and revokes it; a later join with it is refused.
  await byTestId(owner.page, 'group-info-button').click();
  await owner.page.locator('[data-testid="group-member"]').nth(2).waitFor();
  assert.equal(await owner.page.locator('[data-testid="group-member"]').count(), 3);
  await owner.page.locator('[data-testid="invite"]', { hasText: '2 uses' }).waitFor();
  await owner.page.locator('[data-testid="invite"]').first().locator('[data-testid="invite-revoke"]').click();
  await byTestId(owner.page, 'invites-status').filter({ hasText: 'No open invite links.' }).waitFor();
  assert.equal(await owner.page.locator('[data-testid="invite"]').count(), 0);
  const d = await newUser(browser, server.url, contexts, 'inv_d', 'Dee Dunn');
  await byTestId(d.page, 'join-code').fill(link);
  await byTestId(d.page, 'join-submit').click();
  await toastWith(d.page, 'expired, was used up or was revoked').waitFor();
  assert.equal(await channelItem(d.page, 'Book club').count(), 0);

  // A member sees no invite section.
  await b.page.locator('[data-testid="group-info-button"]').click();
  await byTestId(b.page, 'group-members').locator('[data-testid="group-member"]').first().waitFor();
  assert.equal(await byTestId(b.page, 'invites').isVisible(), false);
  for (const u of [owner, b, c, d]) assert.ok(!u.page.__errors, 'no page errors');
});

test('export my data: progress, then a download link that serves the natter.export.v1 archive', async () => {
  const u = await newUser(browser, server.url, contexts, 'exp_a', 'Ez Export');
  await createGroup(u.page, 'Notes to self', []);
  await send(u.page, 'remember the milk');
  await byTestId(u.page, 'me-button').click();
  await byTestId(u.page, 'export-button').click();
  const link = byTestId(u.page, 'export-link');
  await link.waitFor({ state: 'visible', timeout: 60000 });
  assert.match(await byTestId(u.page, 'export-status').textContent(), /Ready: \d+ conversation/);
  await screenshot(u.page, 'export-ready');
  const href = await link.getAttribute('href');
  assert.ok(href.startsWith(server.url + '/'), href);
  const res = await fetch(href);
  assert.equal(res.status, 200);
  const archive = await res.json();
  assert.equal(archive.schema, 'natter.export.v1');
  assert.equal(archive.profile.id, u.id);
  assert.ok(archive.channels.some((ch) => ch.messages.some((m) => m.text === 'remember the milk')));
  assert.ok(!u.page.__errors, 'no page errors');
});
