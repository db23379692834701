// Files in the web app (issue 21), between real users on a real `natter dev` (its
// media worker included): a PNG attached through the file input and sent with a
// caption, its thumbnail loaded on the other side (after attachment_processed) and
// opened in the viewer; a non-image file as a chip (name, size) whose link downloads
// (Content-Disposition: attachment); a file over 1 MiB sent in parts with the tray's
// progress bar going to 100%; the tray's remove button; a pasted image, a dropped
// file and a voice message recorded from Chromium's fake microphone.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startNatter } from '../lib/server.js';
import { launchBrowser, screenshot, byTestId, openChannel, message, newPair, T } from '../lib/app.js';
import { makePng } from '../lib/png.js';

let server;
let browser;
const contexts = [];

before(async () => {
  [server, browser] = await Promise.all([startNatter({ tmpPrefix: 'natter-browser-media-' }), launchBrowser()]);
});

after(async () => {
  for (const c of contexts) await c.close().catch(() => {});
  await browser?.close().catch(() => {});
  await server?.stop();
});

const pair = (a, b) => newPair(browser, server.url, contexts, a, b);

/** The tray item of a file (by name). */
const trayItem = (page, name) => page.locator(`[data-testid="tray-item"][data-name="${name}"]`);

/** Attaches files through the (hidden) file input. */
async function attach(page, files) {
  await byTestId(page, 'file-input').setInputFiles(files);
}

/** Sends what the tray holds with this caption (Enter), once every file is uploaded. */
async function sendTray(page, caption) {
  await page.locator('[data-testid="send-button"]:not([disabled])').waitFor();
  const input = byTestId(page, 'composer-input');
  await input.fill(caption);
  await input.press('Enter');
  await byTestId(page, 'file-tray').waitFor({ state: 'hidden' });
}

test('a photo with a caption: the other side sees its thumbnail load and opens it in the viewer', async () => {
  const [ana, bo] = await pair(['ana', 'Ana Alves'], ['bo', 'Bo Berg']);
  const png = makePng(64, 48);
  await attach(ana.page, { name: 'gradient.png', mimeType: 'image/png', buffer: png });
  const item = trayItem(ana.page, 'gradient.png');
  await item.waitFor();
  assert.ok(await item.locator('img.tray-thumb').count(), 'a preview of the pending image');
  await ana.page.locator('[data-testid="tray-item"][data-name="gradient.png"][data-state="ready"]').waitFor();
  await sendTray(ana.page, 'Look at this');
  await message(ana.page, 'Look at this').and(ana.page.locator('[data-state="delivered"]')).waitFor();

  await openChannel(bo.page, 'Ana Alves');
  const msg = message(bo.page, 'Look at this');
  await msg.waitFor();
  // The thumbnail comes once the media worker processed the image (attachment_processed).
  await bo.page.waitForFunction(() => {
    const img = document.querySelector('[data-testid="message"] [data-testid="attachment-thumb"]');
    return img && img.complete && img.naturalWidth > 0;
  }, null, { timeout: 30000 });
  const box = msg.locator('[data-testid="attachment"][data-kind="image"]');
  assert.equal(await box.getAttribute('data-processed'), 'true');
  // The BlurHash placeholder behind it (decoded into a data: PNG).
  assert.match(await box.evaluate((el) => el.style.backgroundImage), /^url\("data:image\/png;base64,/);
  // Its box has the image's shape (64×48 scaled, 4:3).
  const bb = await box.boundingBox();
  assert.ok(Math.abs(bb.width / bb.height - 4 / 3) < 0.05, `aspect ${bb.width}x${bb.height}`);
  await screenshot(bo.page, '25-photo');

  await box.click();
  const viewer = byTestId(bo.page, 'image-viewer');
  await viewer.waitFor();
  await bo.page.waitForFunction(() => {
    const img = document.querySelector('[data-testid="viewer-image"]');
    return img && img.complete && img.naturalWidth === 64 && img.naturalHeight === 48;
  }, null, { timeout: T });
  await screenshot(bo.page, '26-viewer');
  await bo.page.keyboard.press('Escape');
  await viewer.waitFor({ state: 'hidden' });
  await box.click();
  await viewer.waitFor();
  await byTestId(bo.page, 'viewer-close').click();
  await viewer.waitFor({ state: 'hidden' });

  // Ana's own copy fills in too.
  await ana.page.waitForFunction(() => {
    const img = document.querySelector('[data-testid="message"] [data-testid="attachment-thumb"]');
    return img && img.complete && img.naturalWidth > 0;
  }, null, { timeout: 30000 });
  for (const p of [ana.page, bo.page]) assert.equal(p.__errors || 0, 0, 'no page errors');
});

test('a document shows as a chip with its name and size, and its link downloads; a file over 1 MiB goes in parts to 100%', async () => {
  const [cy, di] = await pair(['cy', 'Cy Cole'], ['di', 'Di Dunn']);
  const text = Buffer.from('Meeting notes\n'.repeat(110)); // 1540 bytes
  await attach(cy.page, { name: 'notes.txt', mimeType: 'text/plain', buffer: text });
  await cy.page.locator('[data-testid="tray-item"][data-name="notes.txt"][data-state="ready"]').waitFor();
  await sendTray(cy.page, 'The notes');
  await message(cy.page, 'The notes').and(cy.page.locator('[data-state="delivered"]')).waitFor();

  await openChannel(di.page, 'Cy Cole');
  const chip = message(di.page, 'The notes').locator('[data-testid="attachment"][data-kind="file"]');
  await chip.waitFor();
  assert.equal(await chip.locator('[data-testid="attachment-name"]').textContent(), 'notes.txt');
  assert.equal(await chip.locator('[data-testid="attachment-size"]').textContent(), '1.5 KB');
  await di.page.waitForFunction(() => /\/v1\/media\//.test(document.querySelector('[data-testid="attachment"][data-kind="file"]')?.href || ''), null, { timeout: T });
  const href = await chip.getAttribute('href');
  const got = await di.page.evaluate(async (u) => {
    const r = await fetch(u);
    return { status: r.status, disposition: r.headers.get('content-disposition'), size: (await r.arrayBuffer()).byteLength };
  }, href);
  assert.equal(got.status, 200);
  assert.match(got.disposition, /^attachment/);
  assert.equal(got.size, text.length);
  // A click downloads it.
  const [download] = await Promise.all([di.page.waitForEvent('download', { timeout: T }), chip.click()]);
  assert.equal(download.suggestedFilename(), 'notes.txt');

  // The remove button takes a file out of the tray.
  await attach(cy.page, { name: 'oops.txt', mimeType: 'text/plain', buffer: Buffer.from('not this one') });
  await trayItem(cy.page, 'oops.txt').waitFor();
  await trayItem(cy.page, 'oops.txt').locator('[data-testid="tray-remove"]').click();
  await byTestId(cy.page, 'file-tray').waitFor({ state: 'hidden' });
  assert.equal(await cy.page.locator('[data-testid="send-button"]').isDisabled(), true, 'nothing to send');

  // A file over the part size (1 MiB): in parts, the bar moving through them to 100%.
  await cy.page.evaluate(() => {
    window.__percents = new Set();
    new MutationObserver(() => {
      for (const el of document.querySelectorAll('[data-testid="tray-item"][data-name="big.bin"]')) window.__percents.add(Number(el.dataset.percent));
    }).observe(document.getElementById('file-tray'), { subtree: true, childList: true, attributes: true });
  });
  const big = Buffer.alloc(2_500_000);
  for (let i = 0; i < big.length; i++) big[i] = (i * 7919) % 251;
  await attach(cy.page, { name: 'big.bin', mimeType: 'application/octet-stream', buffer: big });
  await cy.page.locator('[data-testid="tray-item"][data-name="big.bin"][data-state="ready"][data-percent="100"]').waitFor({ timeout: 30000 });
  assert.equal(await trayItem(cy.page, 'big.bin').locator('[data-testid="upload-progress"]').getAttribute('value'), '100');
  await screenshot(cy.page, '27-upload-tray');
  const percents = await cy.page.evaluate(() => [...window.__percents].sort((a, b) => a - b));
  assert.ok(percents.some((p) => p > 0 && p < 100), `progress between parts: ${percents}`);
  await sendTray(cy.page, ''); // no caption
  const bigMsg = di.page.locator('[data-testid="message-list"] [data-testid="message"][data-seq]').filter({
    has: di.page.locator('[data-testid="attachment-name"]', { hasText: 'big.bin' }),
  });
  await bigMsg.waitFor();
  assert.equal(await bigMsg.locator('[data-testid="attachment-size"]').textContent(), '2.5 MB');
  assert.equal(await bigMsg.locator('[data-testid="message-text"]').count(), 0, 'no caption, no empty text');
  await screenshot(di.page, '28-files');
  for (const p of [cy.page, di.page]) assert.equal(p.__errors || 0, 0, 'no page errors');
});

test('a pasted image and a dropped file join the tray; a voice message records (fake microphone) and plays on the other side', async () => {
  const [ed, flo] = await pair(['ed', 'Ed Erwin'], ['flo', 'Flo Fox']);
  const png = makePng(40, 40).toString('base64');
  // Paste: an image on the clipboard, into the composer.
  await byTestId(ed.page, 'composer-input').evaluate((input, b64) => {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const dt = new DataTransfer();
    dt.items.add(new File([bytes], 'pasted.png', { type: 'image/png' }));
    input.dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true }));
  }, png);
  await ed.page.locator('[data-testid="tray-item"][data-name="pasted.png"][data-state="ready"]').waitFor();
  // Drop: a file dragged onto the conversation.
  await ed.page.locator('#conversation').evaluate((conv) => {
    const dt = new DataTransfer();
    dt.items.add(new File(['dropped text'], 'dropped.txt', { type: 'text/plain' }));
    for (const type of ['dragenter', 'dragover', 'drop']) conv.dispatchEvent(new DragEvent(type, { dataTransfer: dt, bubbles: true, cancelable: true }));
  });
  await ed.page.locator('[data-testid="tray-item"][data-name="dropped.txt"][data-state="ready"]').waitFor();
  await sendTray(ed.page, 'Two files');
  await openChannel(flo.page, 'Ed Erwin');
  const two = message(flo.page, 'Two files');
  await two.locator('[data-testid="attachment"][data-kind="image"]').waitFor();
  await two.locator('[data-testid="attachment-name"]', { hasText: 'dropped.txt' }).waitFor();

  // A voice message: record, stop after a second or so, send.
  const rec = byTestId(ed.page, 'record-button');
  await rec.waitFor();
  await rec.click();
  await ed.page.locator('[data-testid="record-status"]:not([hidden])').waitFor();
  await ed.page.waitForFunction(() => /0:0[1-9]/.test(document.querySelector('[data-testid="record-status"]').textContent), null, { timeout: T });
  await rec.click(); // stop
  const voice = ed.page.locator('[data-testid="tray-item"][data-name^="voice-"]');
  await voice.and(ed.page.locator('[data-state="ready"]')).waitFor();
  await sendTray(ed.page, 'Listen');
  const audio = message(flo.page, 'Listen').locator('[data-testid="attachment"][data-kind="audio"] audio');
  await audio.waitFor();
  await flo.page.waitForFunction(() => /\/v1\/media\//.test(document.querySelector('[data-kind="audio"] audio')?.src || ''), null, { timeout: T });
  await screenshot(flo.page, '29-voice');
  for (const p of [ed.page, flo.page]) assert.equal(p.__errors || 0, 0, 'no page errors');
});
