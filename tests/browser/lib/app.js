// Browser setup and app-level helpers for the tests. Every wait is on a condition
// (Playwright locators auto-wait, or page.waitForFunction) with a deadline.

import { chromium } from 'playwright-core';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';

const here = dirname(fileURLToPath(import.meta.url));
export const screenshotDir = join(here, '..', 'screenshots');

export const T = 15000; // default deadline for one condition

export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    // Without the background-networking flags Chromium's own connections are
    // refused by this machine's closed network.
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      // A fake microphone (a tone), allowed without a prompt: voice messages record.
      '--use-fake-device-for-media-stream',
      '--use-fake-ui-for-media-stream',
    ],
  });
}

let counter = 0;
/** A unique username (3–32 of a-z 0-9 _ .). */
export function uname(prefix) {
  counter++;
  return `${prefix}_${Date.now().toString(36).slice(-5)}${counter}`;
}

export async function screenshot(page, name) {
  await mkdir(screenshotDir, { recursive: true });
  const path = join(screenshotDir, `${name}.png`);
  await page.screenshot({ path });
  return path;
}

/** A new browser context (a separate browser profile) with one page on the app. */
export async function newUserPage(browser, baseURL, options = {}, { initScript, permissions } = {}) {
  const context = await browser.newContext({ baseURL, viewport: { width: 1180, height: 760 }, ...options });
  context.setDefaultTimeout(T);
  if (permissions) await context.grantPermissions(permissions, { origin: baseURL });
  if (initScript) await context.addInitScript(initScript);
  const page = await context.newPage();
  watchErrors(page);
  await page.goto('/');
  return { context, page };
}

/** Fails the test on uncaught page errors. */
export function watchErrors(page) {
  page.on('pageerror', (e) => {
    console.error(`[page error] ${e.message}`);
    page.__errors = (page.__errors || 0) + 1;
  });
}

export const byTestId = (page, id) => page.locator(`[data-testid="${id}"]`);

export async function waitOnline(page) {
  await page.locator('[data-testid="conn-state"][data-state="online"]').waitFor({ timeout: T });
}

export async function signUp(page, username, displayName) {
  await byTestId(page, 'tab-signup').click();
  await byTestId(page, 'auth-username').fill(username);
  await byTestId(page, 'auth-display-name').fill(displayName);
  await byTestId(page, 'auth-password').fill('secret-pass');
  await byTestId(page, 'auth-submit').click();
  await byTestId(page, 'chat-view').waitFor();
  await waitOnline(page);
  return page.evaluate(() => JSON.parse(localStorage.getItem('natter.user')));
}

export async function logIn(page, username) {
  await byTestId(page, 'tab-login').click();
  await byTestId(page, 'auth-username').fill(username);
  await byTestId(page, 'auth-password').fill('secret-pass');
  await byTestId(page, 'auth-submit').click();
  await waitOnline(page);
}

/**
 * A fresh user signed up in a browser context of their own (pushed to `contexts`, for
 * the test file to close): { context, page, username, display, id }.
 */
export async function newUser(browser, baseURL, contexts, prefix, display, options) {
  const u = await newUserPage(browser, baseURL, options);
  contexts.push(u.context);
  const username = uname(prefix);
  const me = await signUp(u.page, username, display);
  return { ...u, username, display, id: me.id };
}

/** Two fresh users (`a`, `b`: [prefix, display name]) with their DM open on the first one's side. */
export async function newPair(browser, baseURL, contexts, a, b) {
  const [x, y] = await Promise.all([newUser(browser, baseURL, contexts, ...a), newUser(browser, baseURL, contexts, ...b)]);
  await openDm(x.page, y.username, y.display);
  return [x, y];
}

/** Creates a group through the new-group dialog with these users (by username) and opens it. */
export async function createGroup(page, name, usernames) {
  await byTestId(page, 'new-group-button').click();
  await byTestId(page, 'group-name').fill(name);
  for (const u of usernames) {
    await byTestId(page, 'group-member-search').fill(u);
    await page.locator(`[data-testid="group-candidate"][data-username="${u}"]`).click();
  }
  await byTestId(page, 'group-create').click();
  await page.locator('[data-testid="conv-name"]', { hasText: name }).waitFor();
}

/** Opens the per-message menu of the message with this text and picks an item. */
export async function messageMenu(page, text, item) {
  const msg = message(page, text);
  await msg.hover();
  await msg.locator('[data-testid="message-menu-button"]').click();
  await byTestId(page, 'message-menu').waitFor();
  await byTestId(page, 'message-menu').locator(`[data-testid="${item}"]`).first().click();
}

/** Finds a user by username in the sidebar and opens the 1:1 chat. */
export async function openDm(page, username, displayName) {
  await byTestId(page, 'people-search').fill(username);
  await page.locator(`[data-testid="person-result"][data-username="${username}"]`).click();
  await page.locator('[data-testid="conv-name"]', { hasText: displayName }).waitFor();
}

export function channelItem(page, name) {
  return page.locator('[data-testid="channel-item"]').filter({
    has: page.locator('[data-testid="channel-name"]', { hasText: name }),
  });
}

export async function openChannel(page, name) {
  await channelItem(page, name).click();
  await page.locator('[data-testid="conv-name"]', { hasText: name }).waitFor();
}

export function messages(page) {
  return page.locator('[data-testid="message-list"] [data-testid="message"]');
}

export function message(page, text) {
  return page.locator('[data-testid="message-list"] [data-testid="message"][data-kind="text"]').filter({
    has: page.locator('[data-testid="message-text"]', { hasText: text }),
  });
}

/** Types a message, sends it with Enter, waits until the server acked it. */
export async function send(page, text) {
  const input = byTestId(page, 'composer-input');
  await input.fill(text);
  await input.press('Enter');
  await message(page, text).and(page.locator('[data-state="delivered"]')).waitFor();
}

/** Waits for a message with this text to be shown (once it has a seq). */
export async function seeMessage(page, text) {
  await message(page, text).and(page.locator('[data-seq]')).waitFor();
}

/** [{seq, text, state}] of the open conversation, in DOM order. */
export async function readTimeline(page) {
  return page.$$eval('[data-testid="message-list"] [data-testid="message"]', (els) =>
    els.map((el) => ({
      seq: el.dataset.seq ? Number(el.dataset.seq) : null,
      kind: el.dataset.kind,
      state: el.dataset.state,
      text: el.querySelector('[data-testid="message-text"]')?.textContent ?? el.textContent,
    })),
  );
}

export function assertOrderedOnce(timeline) {
  const seqs = timeline.map((m) => m.seq).filter((s) => s !== null);
  for (let i = 1; i < seqs.length; i++) {
    assert.ok(seqs[i] > seqs[i - 1], `seqs not strictly increasing: ${seqs.join(',')}`);
  }
  assert.equal(new Set(seqs).size, seqs.length, `duplicate seqs: ${seqs.join(',')}`);
}

export function unreadBadge(page, name) {
  return channelItem(page, name).locator('[data-testid="unread-badge"]');
}

export function presenceDot(page, name) {
  return channelItem(page, name).locator('[data-testid="presence-dot"]');
}

// ---- setting a scene through the API (for the README screenshot) ----

export async function apiCall(baseURL, method, path, body, token) {
  const res = await fetch(baseURL + path, {
    method,
    headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await res.json();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(data)}`);
  return data;
}

export async function apiSignup(baseURL, username, display_name) {
  return apiCall(baseURL, 'POST', '/v1/signup', { username, password: 'secret-pass', display_name });
}

/**
 * Sends messages as a user over a WebSocket opened inside `page` (any page on the
 * app's origin), in order, waiting for each ack; closes cleanly after.
 * `items`: [{ channel, text, reply_to? }].
 */
export async function wsSendAll(page, token, items) {
  return page.evaluate(
    async ({ token, items }) => {
      const url = `${location.origin.replace(/^http/, 'ws')}/v1/ws?token=${encodeURIComponent(token)}&device=scene-${Math.random().toString(36).slice(2)}`;
      const ws = new WebSocket(url);
      await new Promise((res, rej) => {
        ws.onmessage = (e) => JSON.parse(e.data).type === 'hello' && res();
        ws.onerror = () => rej(new Error('socket error'));
      });
      // Pipelined: sends from one socket are stored in the order they were sent.
      const ids = items.map((_, i) => `scene-${Date.now()}-${i}`);
      const waiting = new Set(ids);
      const done = new Promise((res, rej) => {
        ws.onmessage = (e) => {
          const f = JSON.parse(e.data);
          if (f.type === 'ack') waiting.delete(f.client_msg_id);
          if (f.type === 'error') rej(new Error(`${f.code}: ${f.message}`));
          if (waiting.size === 0) res();
        };
      });
      items.forEach((it, i) =>
        ws.send(JSON.stringify({ op: 'send', channel: it.channel, client_msg_id: ids[i], text: it.text, ...(it.reply_to ? { reply_to: it.reply_to } : {}) })),
      );
      await done;
      await new Promise((res) => {
        ws.onclose = res;
        ws.close(1000);
      });
    },
    { token, items },
  );
}

/** Waits until no CSS transition is running (e.g. after a colour-scheme switch). */
export async function transitionsDone(page) {
  await page.waitForFunction(() => document.getAnimations().every((a) => !(a instanceof CSSTransition)), null, { timeout: T });
}
