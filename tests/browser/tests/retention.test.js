// Group retention in the web app, between browsers on a real `natter dev`: the
// owner picks "Keep messages for" in the group info (1 week), both sides see the
// `retention_changed` line, a member sees the limit as a line (no choice), the
// choice survives a reload (from the server's channel), and Forever turns it off.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startNatter } from '../lib/server.js';
import { launchBrowser, screenshot, byTestId, newUser, channelItem, openChannel, send, seeMessage, waitOnline, T } from '../lib/app.js';

let server;
let browser;
const contexts = [];

before(async () => {
  [server, browser] = await Promise.all([startNatter({ tmpPrefix: 'natter-browser-retention-' }), launchBrowser()]);
});

after(async () => {
  for (const c of contexts) await c.close().catch(() => {});
  await browser?.close().catch(() => {});
  await server?.stop();
});

const systemLine = (page, text) => page.locator('[data-testid="system-text"]', { hasText: text });

async function openInfo(page) {
  if (!(await byTestId(page, 'group-info-dialog').isVisible())) await byTestId(page, 'group-info-button').click();
  await byTestId(page, 'group-info-dialog').waitFor();
}

test('the owner keeps messages for 1 week: both sides see the line, the member sees the limit, a reload shows the choice; Forever turns it off', async () => {
  const [own, mem] = await Promise.all([
    newUser(browser, server.url, contexts, 'rta', 'Ria Owner'),
    newUser(browser, server.url, contexts, 'rtb', 'Sam Member'),
  ]);
  await byTestId(own.page, 'new-group-button').click();
  await byTestId(own.page, 'group-name').fill('Short memory');
  await byTestId(own.page, 'group-member-search').fill(mem.username);
  await own.page.locator(`[data-testid="group-candidate"][data-username="${mem.username}"]`).click();
  await own.page.locator(`[data-testid="group-chip"][data-user-id="${mem.id}"]`).waitFor();
  await byTestId(own.page, 'group-create').click();
  await own.page.locator('[data-testid="conv-name"]', { hasText: 'Short memory' }).waitFor();
  await channelItem(mem.page, 'Short memory').waitFor();
  await openChannel(mem.page, 'Short memory');
  await send(mem.page, 'hello');
  await seeMessage(own.page, 'hello');

  // The owner's info: Forever at first; 1 week chosen.
  await openInfo(own.page);
  const select = byTestId(own.page, 'retention-select');
  await select.waitFor();
  assert.equal(await select.inputValue(), '0');
  assert.deepEqual(await select.locator('option').allTextContents(), ['Forever', '1 day', '1 week', '30 days', '1 year']);
  await select.selectOption('604800');
  await systemLine(own.page, 'You set messages to be kept for 1 week').waitFor();
  await systemLine(mem.page, 'Ria Owner set messages to be kept for 1 week').waitFor();
  assert.equal(await select.inputValue(), '604800');
  assert.equal((await own.page.locator('#info-error').textContent()).trim(), '');
  await screenshot(own.page, '40-retention-owner');

  // The member has no choice, only the line saying what is kept.
  await openInfo(mem.page);
  await byTestId(mem.page, 'retention-note').filter({ hasText: 'Messages are removed after 1 week.' }).waitFor();
  assert.equal(await byTestId(mem.page, 'retention').isVisible(), false);
  await mem.page.keyboard.press('Escape');

  // A reload reads the limit from the server's channel.
  await own.page.keyboard.press('Escape');
  await own.page.reload();
  await waitOnline(own.page);
  await openChannel(own.page, 'Short memory');
  await openInfo(own.page);
  await own.page.waitForFunction(() => document.querySelector('[data-testid="retention-select"]').value === '604800', null, { timeout: T });

  // Forever: the limit is off.
  await byTestId(own.page, 'retention-select').selectOption('0');
  await systemLine(mem.page, 'Ria Owner turned off the group\'s message limit').waitFor();
  await systemLine(own.page, 'You turned off the group\'s message limit').waitFor();
  await openInfo(mem.page);
  await byTestId(mem.page, 'retention-note').waitFor({ state: 'hidden' });
});
