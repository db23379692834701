// Browser tests of the Natter web app against a real `natter dev` (one per run).
// Each test uses fresh browser contexts (separate profiles) and fresh users.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { startNatter, repoRoot } from '../lib/server.js';
import {
  T, launchBrowser, uname, screenshot, newUserPage, byTestId, waitOnline, signUp, logIn, openDm,
  channelItem, openChannel, messages, message, send, seeMessage, readTimeline, assertOrderedOnce,
  unreadBadge, presenceDot, apiCall, apiSignup, wsSendAll, transitionsDone, newUser,
} from '../lib/app.js';

let server;
let browser;
const contexts = [];

before(async () => {
  [server, browser] = await Promise.all([startNatter(), launchBrowser()]);
});

after(async () => {
  for (const c of contexts) await c.close().catch(() => {});
  await browser?.close().catch(() => {});
  await server?.stop();
});

const user = (prefix, display, options) => newUser(browser, server.url, contexts, prefix, display, options);

test('a. two users sign up and chat both ways', async () => {
  // The login screen, before anyone signs in.
  const first = await newUserPage(browser, server.url);
  contexts.push(first.context);
  await byTestId(first.page, 'auth-form').waitFor();
  await screenshot(first.page, '01-login');

  const aliceName = uname('alice');
  const aliceMe = await signUp(first.page, aliceName, 'Alice Adams');
  const alice = { ...first, username: aliceName, display: 'Alice Adams', id: aliceMe.id };
  const bob = await user('bob', 'Bob Brown');

  await openDm(alice.page, bob.username, 'Bob Brown');
  // Pending until the server acks it, then delivered.
  const input = byTestId(alice.page, 'composer-input');
  await input.fill('Hi Bob! Are we still on for climbing tomorrow?');
  await input.press('Enter');
  await message(alice.page, 'still on for climbing').and(alice.page.locator('[data-state="delivered"]')).waitFor();
  await assert.doesNotReject(input.evaluate((el) => el.value === '' || Promise.reject(new Error('composer not cleared'))));

  // Bob gets the new conversation with an unread badge, opens it, answers.
  await unreadBadge(bob.page, 'Alice Adams').filter({ hasText: '1' }).waitFor();
  await openChannel(bob.page, 'Alice Adams');
  await seeMessage(bob.page, 'still on for climbing');
  await unreadBadge(bob.page, 'Alice Adams').waitFor({ state: 'hidden' });

  // Typing indicator on Alice's side while Bob types.
  const bobInput = byTestId(bob.page, 'composer-input');
  await bobInput.pressSequentially('Yes');
  await alice.page.locator('[data-testid="typing-indicator"]', { hasText: 'Bob is typing' }).waitFor();
  // Shift+Enter makes a new line, Enter sends.
  await bobInput.press('Shift+Enter');
  await bobInput.pressSequentially('see you at 9 at the gym');
  await bobInput.press('Enter');
  await message(bob.page, 'see you at 9').and(bob.page.locator('[data-state="delivered"]')).waitFor();
  await seeMessage(alice.page, 'see you at 9 at the gym');
  const text = await message(alice.page, 'see you at 9').locator('[data-testid="message-text"]').textContent();
  assert.equal(text, 'Yes\nsee you at 9 at the gym');
  await alice.page.locator('[data-testid="typing-indicator"]').waitFor({ state: 'hidden' });

  await send(alice.page, 'Perfect 🎉 I will bring the rope.');
  await send(bob.page, 'Great, I have the quickdraws.');
  await send(alice.page, 'See you there!');
  await seeMessage(bob.page, 'See you there!');
  // User text is text, never markup.
  const markup = '<img src=x onerror="window.__xss=1"><b>not bold</b>';
  await send(bob.page, markup);
  await seeMessage(alice.page, 'not bold');
  assert.equal(await message(alice.page, 'not bold').locator('[data-testid="message-text"]').textContent(), markup);
  assert.equal(await alice.page.locator('[data-testid="message-list"] img, [data-testid="message-list"] b').count(), 0);
  assert.equal(await alice.page.evaluate(() => window.__xss), undefined);
  await seeMessage(alice.page, 'quickdraws');

  // Both sides show the same messages in the same order, each once.
  const [ta, tb] = [await readTimeline(alice.page), await readTimeline(bob.page)];
  assertOrderedOnce(ta);
  assert.deepEqual(ta.map((m) => [m.seq, m.text]), tb.map((m) => [m.seq, m.text]));
  assert.equal(ta.length, 6);

  // The character limit: the counter shows near it, sending is off at 100,000.
  await input.fill('x'.repeat(100000));
  await alice.page.locator('[data-testid="char-counter"][data-over="true"]').waitFor();
  assert.equal(await byTestId(alice.page, 'send-button').isDisabled(), true);
  await input.press('Enter'); // nothing is sent
  await input.fill('x'.repeat(99999));
  await alice.page.locator('[data-testid="char-counter"][data-over="false"]', { hasText: '99,999' }).waitFor();
  assert.equal(await byTestId(alice.page, 'send-button').isDisabled(), false);
  await input.fill('');
  await byTestId(alice.page, 'char-counter').waitFor({ state: 'hidden' });
  assert.equal(await messages(alice.page).count(), 6);

  await screenshot(alice.page, '02-conversation');
  await screenshot(bob.page, '03-conversation-bob');
  assert.equal(alice.page.__errors ?? 0, 0);
  assert.equal(bob.page.__errors ?? 0, 0);
});

test('b. a group of three: create, everyone sees every message', async () => {
  const [ann, ben, cat] = await Promise.all([
    user('ann', 'Ann Archer'),
    user('ben', 'Ben Baker'),
    user('cat', 'Cat Cooper'),
  ]);
  // Ann creates the group with Ben and Cat through the dialog.
  await byTestId(ann.page, 'new-group-button').click();
  await byTestId(ann.page, 'group-name').fill('Weekend climbers');
  for (const u of [ben, cat]) {
    await byTestId(ann.page, 'group-member-search').fill(u.username);
    await ann.page.locator(`[data-testid="group-candidate"][data-username="${u.username}"]`).click();
    await ann.page.locator(`[data-testid="group-chip"][data-user-id="${u.id}"]`).waitFor();
  }
  await byTestId(ann.page, 'group-create').click();
  await ann.page.locator('[data-testid="conv-name"]', { hasText: 'Weekend climbers' }).waitFor();
  await ann.page.locator('[data-testid="system-text"]', { hasText: 'You created the group' }).waitFor();

  // Ben and Cat see the group appear and open it.
  for (const u of [ben, cat]) {
    await channelItem(u.page, 'Weekend climbers').waitFor();
    await openChannel(u.page, 'Weekend climbers');
    await u.page.locator('[data-testid="system-text"]', { hasText: 'Ann Archer created the group' }).waitFor();
  }
  await send(ann.page, 'Who is in for Saturday?');
  await send(ben.page, 'Me! 🙋');
  await send(cat.page, 'Count me in, I can drive.');
  for (const u of [ann, ben, cat]) {
    for (const t of ['Who is in for Saturday?', 'Me! 🙋', 'Count me in, I can drive.']) await seeMessage(u.page, t);
  }
  const timelines = await Promise.all([ann, ben, cat].map((u) => readTimeline(u.page)));
  for (const tl of timelines) {
    assertOrderedOnce(tl);
    assert.deepEqual(tl.map((m) => m.seq), timelines[0].map((m) => m.seq));
  }
  // Sender names show in groups.
  await ann.page.locator('[data-testid="message"]', { hasText: 'Count me in' }).locator('.msg-sender', { hasText: 'Cat Cooper' }).waitFor();
  await screenshot(ben.page, '04-group');

  // Members: Ann (owner) sees all three, removes Cat; Cat is told, Ben sees it.
  await byTestId(ann.page, 'group-info-button').click();
  await ann.page.locator('[data-testid="group-member"]').nth(2).waitFor();
  assert.equal(await ann.page.locator('[data-testid="group-member"]').count(), 3);
  await screenshot(ann.page, '05-group-info');
  await ann.page.locator(`[data-testid="group-member"][data-user-id="${cat.id}"] [data-testid="member-remove"]`).click();
  await ann.page.locator(`[data-testid="group-member"][data-user-id="${cat.id}"]`).waitFor({ state: 'detached' });
  // …and adds her back.
  await byTestId(ann.page, 'add-member-search').fill(cat.username);
  await ann.page.locator(`[data-testid="add-candidate"][data-username="${cat.username}"]`).click();
  await ann.page.locator(`[data-testid="group-member"][data-user-id="${cat.id}"]`).waitFor();
  await ann.page.keyboard.press('Escape');
  await ben.page.locator('[data-testid="system-text"]', { hasText: 'Ann Archer removed Cat Cooper' }).waitFor();
  await ben.page.locator('[data-testid="system-text"]', { hasText: 'Ann Archer added Cat Cooper' }).waitFor();

  // Ben leaves: the group goes from his list, the others see "Ben Baker left".
  await byTestId(ben.page, 'group-info-button').click();
  ben.page.once('dialog', (d) => d.accept());
  await byTestId(ben.page, 'leave-group').click();
  await channelItem(ben.page, 'Weekend climbers').waitFor({ state: 'detached' });
  await ann.page.locator('[data-testid="system-text"]', { hasText: 'Ben Baker left' }).waitFor();
  await send(cat.page, 'Back in 😅');
  await seeMessage(ann.page, 'Back in');
});

test('c. the peer’s presence dot turns offline when the peer closes the app', async () => {
  const [dana, eli] = await Promise.all([user('dana', 'Dana Diaz'), user('eli', 'Eli Evans')]);
  await openDm(dana.page, eli.username, 'Eli Evans');
  await send(dana.page, 'ping');
  await channelItem(eli.page, 'Dana Diaz').waitFor();
  await presenceDot(dana.page, 'Eli Evans').and(dana.page.locator('[data-state="online"]')).waitFor();
  await dana.page.locator('[data-testid="conv-sub"]', { hasText: 'online' }).waitFor();
  await presenceDot(eli.page, 'Dana Diaz').and(eli.page.locator('[data-state="online"]')).waitFor();

  // Eli closes the app (a clean close deletes the presence at once; the TTL is 30 s).
  const started = Date.now();
  await eli.context.close();
  await presenceDot(dana.page, 'Eli Evans').and(dana.page.locator('[data-state="offline"]')).waitFor({ timeout: 15000 });
  await dana.page.locator('[data-testid="conv-sub"]', { hasText: 'last seen' }).waitFor();
  assert.ok(Date.now() - started < 15000);
});

test('d. offline, then back: missed messages show in order, exactly once', async () => {
  const [fay, gus] = await Promise.all([user('fay', 'Fay Fox'), user('gus', 'Gus Grant')]);
  await openDm(fay.page, gus.username, 'Gus Grant');
  await send(fay.page, 'before 1');
  await send(fay.page, 'before 2');
  await openChannel(gus.page, 'Fay Fox');
  await seeMessage(gus.page, 'before 2');

  await gus.context.setOffline(true);
  await gus.page.locator('[data-testid="conn-state"][data-state="offline"]').waitFor();
  const missed = Array.from({ length: 6 }, (_, i) => `while offline ${i + 1}`);
  for (const t of missed) await send(fay.page, t);
  // Gus also writes while offline: pending until he is back.
  const gusInput = byTestId(gus.page, 'composer-input');
  await gusInput.fill('sent from the tunnel');
  await gusInput.press('Enter');
  await message(gus.page, 'sent from the tunnel').and(gus.page.locator('[data-state="pending"]')).waitFor();
  await screenshot(gus.page, '06-offline');

  await gus.context.setOffline(false);
  await waitOnline(gus.page);
  for (const t of missed) await seeMessage(gus.page, t);
  await message(gus.page, 'sent from the tunnel').and(gus.page.locator('[data-state="delivered"][data-seq]')).waitFor();
  await seeMessage(fay.page, 'sent from the tunnel');

  const tl = (await readTimeline(gus.page)).filter((m) => m.kind === 'text');
  assertOrderedOnce(tl);
  const texts = tl.map((m) => m.text);
  assert.deepEqual(texts, ['before 1', 'before 2', ...missed, 'sent from the tunnel']);
  assert.deepEqual(tl.map((m) => m.seq), [1, 2, 3, 4, 5, 6, 7, 8, 9]);
  const ft = await readTimeline(fay.page);
  assert.deepEqual(ft.map((m) => [m.seq, m.text]), tl.map((m) => [m.seq, m.text]));
});

test('e. reading in one tab clears the unread badge in the other tab', async () => {
  const [hal, ivy] = await Promise.all([user('hal', 'Hal Hughes'), user('ivy', 'Ivy Irwin')]);
  // Ivy's second tab: same browser profile, same device id, same session.
  const ivy2 = await ivy.context.newPage();
  await ivy2.goto('/');
  await waitOnline(ivy2);

  await openDm(hal.page, ivy.username, 'Ivy Irwin');
  await send(hal.page, 'Did you see the new route?');
  await send(hal.page, 'It is a 6b+');
  for (const p of [ivy.page, ivy2]) await unreadBadge(p, 'Hal Hughes').filter({ hasText: '2' }).waitFor();
  await screenshot(ivy2, '07-unread');

  await openChannel(ivy.page, 'Hal Hughes');
  await seeMessage(ivy.page, 'It is a 6b+');
  await unreadBadge(ivy.page, 'Hal Hughes').waitFor({ state: 'hidden' });
  await unreadBadge(ivy2, 'Hal Hughes').waitFor({ state: 'hidden' });

  // A new message comes to both tabs; reading it in the second clears the first.
  await openChannel(ivy.page, 'Hal Hughes');
  await ivy.page.evaluate(() => {
    location.hash = '';
  });
  await byTestId(ivy.page, 'conv-empty').waitFor();
  await send(hal.page, 'Want to try it tonight?');
  for (const p of [ivy.page, ivy2]) await unreadBadge(p, 'Hal Hughes').filter({ hasText: '1' }).waitFor();
  await openChannel(ivy2, 'Hal Hughes');
  await unreadBadge(ivy.page, 'Hal Hughes').waitFor({ state: 'hidden' });
});

test('phone layout, profile, log out and log in again', async () => {
  const phone = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };
  const [jo, kim] = await Promise.all([user('jo', 'Jo Jones', phone), user('kim', 'Kim King')]);
  await openDm(kim.page, jo.username, 'Jo Jones');
  await send(kim.page, 'Hey Jo, how was the trip?');
  await send(kim.page, 'Send pictures!');
  await unreadBadge(jo.page, 'Kim King').filter({ hasText: '2' }).waitFor();
  await screenshot(jo.page, '08-phone-list');
  await openChannel(jo.page, 'Kim King');
  // On a phone the list gives way to the conversation.
  await byTestId(jo.page, 'channel-list').waitFor({ state: 'hidden' });
  await send(jo.page, 'Amazing! Photos tonight 📸');
  await screenshot(jo.page, '09-phone-conversation');
  await byTestId(jo.page, 'back-button').click();
  await byTestId(jo.page, 'channel-list').waitFor();

  // Profile: a new display name shows on the other side after a reload.
  await byTestId(jo.page, 'me-button').click();
  await byTestId(jo.page, 'profile-display-name').fill('Jo J.');
  await byTestId(jo.page, 'profile-save').click();
  await byTestId(jo.page, 'profile-dialog').waitFor({ state: 'hidden' });
  await kim.page.reload();
  await channelItem(kim.page, 'Jo J.').waitFor();

  // Log out, log in again: the conversation is still there.
  await byTestId(jo.page, 'me-button').click();
  await byTestId(jo.page, 'logout-button').click();
  await byTestId(jo.page, 'auth-form').waitFor();
  assert.equal(await jo.page.evaluate(() => localStorage.getItem('natter.token')), null);
  await logIn(jo.page, jo.username);
  await channelItem(jo.page, 'Kim King').waitFor();

  // A token the server rejects sends the app back to the login screen.
  await jo.page.evaluate(() => localStorage.setItem('natter.token', 'not-a-token'));
  await jo.page.reload();
  await byTestId(jo.page, 'auth-error').filter({ hasText: 'log in again' }).waitFor({ timeout: T });
});

test('screenshots: a lived-in conversation (README), dark mode', async () => {
  // Set the scene through the API: Maya has 1:1 chats with Leo, Sofia and Noah and
  // a group with all of them; Leo's is the latest.
  const base = server.url;
  const mk = (p, name) => apiSignup(base, uname(p), name);
  const [maya, leo, sofia, noah] = await Promise.all([
    mk('maya', 'Maya Patel'), mk('leo', 'Leo Martins'), mk('sofia', 'Sofia Rossi'), mk('noah', 'Noah Kim'),
  ]);
  const dm = (a, b) => apiCall(base, 'POST', '/v1/dm', { peer: b.user.id }, a.token);
  const [withNoah, withSofia, withLeo] = [await dm(maya, noah), await dm(maya, sofia), await dm(maya, leo)];
  const crew = await apiCall(base, 'POST', '/v1/groups', { name: 'Climbing crew', members: [leo.user.id, sofia.user.id, noah.user.id] }, maya.token);

  const scratch = await newUserPage(browser, base);
  contexts.push(scratch.context);
  await wsSendAll(scratch.page, noah.token, [{ channel: withNoah.id, text: 'Thanks for the belay lesson!' }]);
  await wsSendAll(scratch.page, maya.token, [{ channel: withNoah.id, text: 'Any time, you were great.' }]);
  await wsSendAll(scratch.page, sofia.token, [
    { channel: withSofia.id, text: 'Are you coming to the bouldering night?' },
    { channel: withSofia.id, text: 'We could carpool' },
  ]);
  await wsSendAll(scratch.page, noah.token, [{ channel: crew.id, text: 'Forecast says sunny all weekend' }]);
  await wsSendAll(scratch.page, sofia.token, [{ channel: crew.id, text: 'Then Saturday at the crag?' }]);
  await wsSendAll(scratch.page, leo.token, [{ channel: crew.id, text: 'I am in. Bringing the new rope' }]);
  const talk = [
    [maya, 'Hey! Still up for Saturday?'],
    [leo, 'Absolutely. Weather looks perfect'],
    [leo, 'Morning! Did you get the guidebook?'],
    [maya, 'Yes, picked it up yesterday'],
    [leo, 'The 6a on the left pillar is supposed to be a classic'],
    [maya, 'Let us warm up on that one.\nThen maybe try the 6b+ next to it?', 5], // a reply to seq 5
    [leo, `Deal @${maya.user.username}! I will bring snacks and the spare harness`], // a mention of Maya
  ];
  for (const [who, text, reply_to] of talk) await wsSendAll(scratch.page, who.token, [{ channel: withLeo.id, text, reply_to }]);
  // An edited message and reactions, then the last message.
  const msgPath = (seq) => `/v1/channels/${withLeo.id}/messages/${seq}`;
  await apiCall(base, 'PATCH', msgPath(4), { text: 'Yes, picked it up yesterday. The north face routes look amazing' }, maya.token);
  await apiCall(base, 'PUT', `${msgPath(6)}/reactions/${encodeURIComponent('🔥')}`, undefined, leo.token);
  await apiCall(base, 'PUT', `${msgPath(7)}/reactions/${encodeURIComponent('👍')}`, undefined, maya.token);
  await wsSendAll(scratch.page, maya.token, [{ channel: withLeo.id, text: 'Perfect, see you at 8 at the parking lot' }]);
  // Maya read everything with Leo and the group except the last three.
  await scratch.context.close();

  // Leo is online (his app is open) and starts typing.
  const leoApp = await newUserPage(browser, base);
  contexts.push(leoApp.context);
  await logIn(leoApp.page, leo.user.username);
  const mayaApp = await newUserPage(browser, base, { viewport: { width: 1280, height: 800 } });
  contexts.push(mayaApp.context);
  await logIn(mayaApp.page, maya.user.username);
  await openChannel(mayaApp.page, 'Leo Martins');
  await seeMessage(mayaApp.page, 'see you at 8');
  await message(mayaApp.page, 'north face routes').locator('[data-testid="edited-marker"]').waitFor();
  await message(mayaApp.page, 'warm up on that one').locator('[data-testid="reply-quote"]', { hasText: 'left pillar' }).waitFor();
  await message(mayaApp.page, 'spare harness').locator('[data-testid="reaction-chip"][data-emoji="👍"]').waitFor();
  await unreadBadge(mayaApp.page, 'Sofia Rossi').filter({ hasText: '2' }).waitFor();
  await presenceDot(mayaApp.page, 'Leo Martins').and(mayaApp.page.locator('[data-state="online"]')).waitFor();
  await openChannel(leoApp.page, 'Maya Patel');
  await byTestId(leoApp.page, 'composer-input').pressSequentially('On my');
  await mayaApp.page.locator('[data-testid="typing-indicator"]', { hasText: 'Leo is typing' }).waitFor();
  // Leo has read it all: Maya's messages show read ticks; his mention of her stands out.
  await message(mayaApp.page, 'see you at 8').and(mayaApp.page.locator('[data-receipt="read"]')).waitFor();
  await message(mayaApp.page, 'spare harness').locator('[data-testid="mention"][data-me="true"]').waitFor();
  await mayaApp.page.mouse.move(0, 0);
  const path = await screenshot(mayaApp.page, '00-readme');
  // The README's picture: written when missing or asked for (UPDATE_DOCS_SCREENSHOT=1),
  // so ordinary runs leave the committed file alone.
  const docsShot = join(repoRoot, 'docs', 'img', 'web-app.png');
  if (process.env.UPDATE_DOCS_SCREENSHOT === '1' || !existsSync(docsShot)) {
    await mkdir(dirname(docsShot), { recursive: true });
    await copyFile(path, docsShot);
  }

  await mayaApp.page.emulateMedia({ colorScheme: 'dark' });
  await transitionsDone(mayaApp.page);
  await screenshot(mayaApp.page, '10-dark');
  await mayaApp.page.emulateMedia({ colorScheme: 'light' });
});

test('history: older messages load on scroll, in order, each once', async () => {
  const base = server.url;
  const [olga, pete] = await Promise.all([apiSignup(base, uname('olga'), 'Olga Olsen'), apiSignup(base, uname('pete'), 'Pete Park')]);
  const dm = await apiCall(base, 'POST', '/v1/dm', { peer: pete.user.id }, olga.token);
  const app = await newUserPage(browser, base);
  contexts.push(app.context);
  const total = 130;
  await wsSendAll(app.page, olga.token, Array.from({ length: total }, (_, i) => ({ channel: dm.id, text: `history message ${i + 1}.` })));
  await logIn(app.page, pete.user.username);
  await unreadBadge(app.page, 'Olga Olsen').filter({ hasText: String(total) }).waitFor();
  await openChannel(app.page, 'Olga Olsen');
  await seeMessage(app.page, `history message ${total}.`);
  // The latest page only, until the reader scrolls up.
  let tl = await readTimeline(app.page);
  assert.equal(tl[0].seq, total - 49);
  assert.equal(tl.length, 50);
  const scroller = byTestId(app.page, 'messages');
  for (const seq of [total - 99, 1]) {
    const firstSeq = (await readTimeline(app.page))[0].seq;
    await scroller.evaluate((el) => {
      el.scrollTop = 0;
    });
    await app.page.locator(`[data-testid="message"][data-seq="${seq}"]`).waitFor();
    // The message that was at the top stays in view: the page does not jump.
    const [box, view] = await Promise.all([
      app.page.locator(`[data-testid="message"][data-seq="${firstSeq}"]`).boundingBox(),
      scroller.boundingBox(),
    ]);
    assert.ok(box.y >= view.y - 1 && box.y < view.y + view.height, `seq ${firstSeq} scrolled out of view`);
  }
  await app.page.locator('[data-testid="older-status"][data-state="start"]').waitFor();
  tl = await readTimeline(app.page);
  assertOrderedOnce(tl);
  assert.deepEqual(tl.map((m) => m.seq), Array.from({ length: total }, (_, i) => i + 1));
  assert.deepEqual(tl.map((m) => m.text), Array.from({ length: total }, (_, i) => `history message ${i + 1}.`));
});

test('PWA and Web Push: manifest, icons, service worker, push registration', async () => {
  const base = server.url;
  const { public_key: vapid } = await apiCall(base, 'GET', '/v1/push/webpush-key');
  // No push service is reachable from here: PushManager is replaced by a fake
  // subscription (RFC 8291's example keys) so the app's registration path runs.
  const fakePush = () => {
    let current = null;
    PushManager.prototype.subscribe = async function (options) {
      window.__subscribeOptions = options;
      current = {
        endpoint: 'http://127.0.0.1:9/push/browser-test',
        options,
        toJSON() {
          return {
            endpoint: this.endpoint,
            keys: {
              p256dh: 'BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4',
              auth: 'BTBZMqHH6r4Tts7J_aSIgg',
            },
          };
        },
        async unsubscribe() {
          current = null;
          return true;
        },
      };
      return current;
    };
    PushManager.prototype.getSubscription = async function () {
      return current;
    };
  };
  const { context, page } = await newUserPage(browser, base, {}, { initScript: fakePush, permissions: ['notifications'] });
  contexts.push(context);
  const username = uname('quinn');
  await signUp(page, username, 'Quinn Quist');
  const token = await page.evaluate(() => localStorage.getItem('natter.token'));
  const device = await page.evaluate(() => localStorage.getItem('natter.device'));
  assert.match(device, /^[A-Za-z0-9\-_.:]{1,64}$/);

  // Installable: a manifest with 192 and 512 PNG icons that exist, a service worker.
  const manifest = await page.evaluate(async () => (await fetch(document.querySelector('link[rel=manifest]').href)).json());
  assert.equal(manifest.display, 'standalone');
  for (const size of [192, 512]) {
    const icon = manifest.icons.find((i) => i.sizes === `${size}x${size}` && i.type === 'image/png');
    assert.ok(icon, `no ${size} icon`);
    const dims = await page.evaluate(async (src) => {
      const r = await fetch(src);
      const b = new DataView(await r.arrayBuffer());
      return [r.headers.get('content-type'), b.getUint32(16), b.getUint32(20)];
    }, icon.src);
    assert.deepEqual(dims, ['image/png', size, size]);
  }
  const sw = await page.evaluate(async () => (await navigator.serviceWorker.ready).active?.scriptURL);
  assert.match(sw, /\/sw\.js$/);

  // The button subscribes with the server's VAPID key and registers this device.
  await byTestId(page, 'me-button').click();
  await page.locator('[data-testid="push-status"][data-state="off"]').waitFor();
  await byTestId(page, 'push-button').click();
  await page.locator('[data-testid="push-status"][data-state="on"]').waitFor();
  const key = await page.evaluate(() => btoa(String.fromCharCode(...new Uint8Array(window.__subscribeOptions.applicationServerKey))));
  assert.equal(key.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, ''), vapid);
  let { devices } = await apiCall(base, 'GET', '/v1/devices', undefined, token);
  const mine = devices.find((d) => d.device_id === device);
  assert.equal(mine?.push?.platform, 'webpush');
  assert.equal(mine.push.token, 'http://127.0.0.1:9/push/browser-test');

  // The service worker shows a notification for a push (delivered through CDP, as
  // the push service would).
  const cdp = await context.newCDPSession(page);
  const registration = new Promise((res) => {
    cdp.on('ServiceWorker.workerRegistrationUpdated', (e) => {
      const r = e.registrations.find((x) => x.scopeURL.startsWith(base) && !x.isDeleted);
      if (r) res(r);
    });
  });
  await cdp.send('ServiceWorker.enable');
  const { registrationId } = await registration;
  const payload = { title: 'Rae Ruiz', body: 'Lunch at noon?', channel: '4242', seq: 7, collapse_key: 'ch-4242' };
  await cdp.send('ServiceWorker.deliverPushMessage', { origin: base, registrationId, data: JSON.stringify(payload) });
  // Polled from here: waitForFunction would take the async predicate's promise as truthy.
  let shown = null;
  const until = Date.now() + T;
  while (!shown) {
    shown = await page.evaluate(async () => {
      const list = await (await navigator.serviceWorker.ready).getNotifications();
      return list.length ? list.map((n) => ({ title: n.title, body: n.body, tag: n.tag, data: n.data })) : null;
    });
    if (!shown) {
      assert.ok(Date.now() < until, 'no notification shown');
      await new Promise((res) => setTimeout(res, 100));
    }
  }
  assert.deepEqual(shown, [{ title: 'Rae Ruiz', body: 'Lunch at noon?', tag: 'ch-4242', data: { channel: '4242', seq: 7 } }]);
  await cdp.detach();

  // Logging out removes this browser's push target, and ends the session: its token
  // is refused, so the devices are read with a new login's.
  const loggedOut = page.waitForResponse((r) => r.url().endsWith('/v1/logout') && r.request().method() === 'POST', { timeout: T });
  await byTestId(page, 'logout-button').click();
  await byTestId(page, 'auth-form').waitFor();
  assert.equal((await loggedOut).status(), 204);
  await assert.rejects(apiCall(base, 'GET', '/v1/devices', undefined, token), /token_revoked/);
  const again = await apiCall(base, 'POST', '/v1/login', { username, password: 'secret-pass' });
  ({ devices } = await apiCall(base, 'GET', '/v1/devices', undefined, again.token));
  assert.equal(devices.find((d) => d.device_id === device)?.push ?? null, null);
});

test('reload with the server out of reach: the last state shows from the cache, a send survives reloads and goes once', async () => {
  // No service worker here: Playwright's routing does not see requests it handles.
  const noSw = { serviceWorkers: 'block' };
  const [rae, sam] = await Promise.all([user('rae', 'Rae Ruiz', noSw), user('sam', 'Sam Stone')]);
  await openDm(rae.page, sam.username, 'Sam Stone');
  await send(rae.page, 'first');
  await openChannel(sam.page, 'Rae Ruiz');
  await send(sam.page, 'second');
  await seeMessage(rae.page, 'second');
  await waitForIdb(rae.page, 'natter:cache', (v) => v?.includes('"second"'));

  // The server is out of reach: every /v1/ call fails, so no socket either.
  await rae.context.route('**/v1/**', (r) => r.abort());
  await rae.page.reload();
  await rae.page.locator('[data-testid="conn-state"][data-state="offline"]').waitFor();
  // The list and the open conversation, from the cache alone.
  await channelItem(rae.page, 'Sam Stone').locator('[data-testid="channel-preview"]', { hasText: 'second' }).waitFor();
  await rae.page.locator('[data-testid="conv-name"]', { hasText: 'Sam Stone' }).waitFor();
  await seeMessage(rae.page, 'first');
  await seeMessage(rae.page, 'second');
  await screenshot(rae.page, '11-cached-offline');
  // A send waits in the outbox (IndexedDB), and is still there after another reload.
  const input = byTestId(rae.page, 'composer-input');
  await input.fill('written while away');
  await input.press('Enter');
  await message(rae.page, 'written while away').and(rae.page.locator('[data-state="pending"]')).waitFor();
  await waitForIdb(rae.page, 'natter:outbox', (v) => v?.includes('written while away'));
  await rae.page.reload();
  await message(rae.page, 'written while away').and(rae.page.locator('[data-state="pending"]')).waitFor();
  await send(sam.page, 'are you there?');

  // Back: the outbox goes once, the catch-up brings what was missed, in order.
  await rae.context.unrouteAll();
  await message(rae.page, 'written while away').and(rae.page.locator('[data-state="delivered"][data-seq]')).waitFor();
  await seeMessage(rae.page, 'are you there?');
  await seeMessage(sam.page, 'written while away');
  const want = [[1, 'first'], [2, 'second'], [3, 'are you there?'], [4, 'written while away']];
  for (const p of [rae.page, sam.page]) {
    const tl = (await readTimeline(p)).filter((m) => m.kind === 'text');
    assertOrderedOnce(tl);
    assert.deepEqual(tl.map((m) => [m.seq, m.text]), want);
  }
  await waitForIdb(rae.page, 'natter:outbox', (v) => v === '[]');

  // Logging out erases what this browser kept.
  await byTestId(rae.page, 'me-button').click();
  await byTestId(rae.page, 'logout-button').click();
  await byTestId(rae.page, 'auth-form').waitFor();
  await waitForIdb(rae.page, 'natter:cache', (v) => v === null);
  assert.deepEqual((await idbKeys(rae.page)).filter((k) => /cache|outbox|seqs|token/.test(k)), []);
  assert.equal(rae.page.__errors ?? 0, 0);
});

/** The SDK's storage in the page: IndexedDB `natter`, object store `kv`. */
function idbRun(page, fn, arg) {
  return page.evaluate(
    async ({ fn, arg }) => {
      const db = await new Promise((res, rej) => {
        const r = indexedDB.open('natter');
        r.onsuccess = () => res(r.result);
        r.onerror = () => rej(r.error);
      });
      try {
        if (!db.objectStoreNames.contains('kv')) return fn === 'keys' ? [] : null;
        const store = db.transaction('kv', 'readonly').objectStore('kv');
        const req = fn === 'keys' ? store.getAllKeys() : store.get(arg);
        return await new Promise((res, rej) => {
          req.onsuccess = () => res(req.result ?? null);
          req.onerror = () => rej(req.error);
        });
      } finally {
        db.close();
      }
    },
    { fn, arg },
  );
}
const idbKeys = (page) => idbRun(page, 'keys');

async function waitForIdb(page, key, cond) {
  const until = Date.now() + T;
  for (;;) {
    const v = await idbRun(page, 'get', key);
    if (cond(v)) return v;
    assert.ok(Date.now() < until, `IndexedDB ${key}: ${String(v).slice(0, 200)}`);
    await new Promise((res) => setTimeout(res, 100));
  }
}

test('the SDK’s single-file example (/sdk/examples/chat.html): sign up, open a DM, messages both ways', async () => {
  const base = server.url;
  const bob = await apiSignup(base, uname('bob'), 'Bob Example');
  // Any inline script or style its CSP did not allow would show here.
  const watchCsp = () => {
    window.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
  };
  const { context, page } = await newUserPage(browser, base, {}, { initScript: watchCsp });
  contexts.push(context);
  await page.goto('/sdk/examples/chat.html');
  await page.locator('#username').fill(uname('eve'));
  await page.locator('#password').fill('secret-pass');
  await page.locator('#login button[value="signup"]').click();
  await page.locator('#state', { hasText: 'live' }).waitFor();
  await page.locator('#peer').fill(bob.user.username);
  await page.locator('#dm button').click();
  await page.locator('#channels button.open', { hasText: 'Bob Example' }).waitFor();
  await page.locator('#text').fill('hello from one HTML file');
  await page.locator('#text').press('Enter');
  await page.locator('#messages li[data-seq="1"]', { hasText: 'You: hello from one HTML file' }).waitFor();

  // Bob reads it from the server, and answers over a socket of his own.
  const [dm] = (await apiCall(base, 'GET', '/v1/channels', undefined, bob.token)).channels;
  const history = await apiCall(base, 'GET', `/v1/channels/${dm.id}/messages`, undefined, bob.token);
  assert.deepEqual(history.messages.map((m) => m.text), ['hello from one HTML file']);
  await wsSendAll(page, bob.token, [{ channel: dm.id, text: 'hi, example' }]);
  await page.locator('#messages li[data-seq="2"]', { hasText: 'Bob Example: hi, example' }).waitFor();
  assert.equal(await page.locator('#messages li').count(), 2);
  await screenshot(page, '12-sdk-example');
  assert.deepEqual(await page.evaluate(() => window.__csp), []);
  assert.equal(page.__errors ?? 0, 0);
});
