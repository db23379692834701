// Natter web app: wires the SDK's client (/sdk/index.js: HTTP calls, the WebSocket
// and its protocol) and the UI state (store.js) to the DOM, and tells the client what
// only the browser knows (network online/offline, the page shown again). No
// framework: render functions reconcile the DOM from the store.

import { NatterClient, IndexedDbStore, MemoryStore } from '/sdk/index.js';
import { Store, isAuthError, displayName } from './store.js';
import { pushState, enablePush, disablePush } from './push.js';
import { attachmentsEl, humanSize } from './media.js';
import {
  h, $, setText, setAttr, avatar, hueOf, formatTime, formatFull, formatListTime,
  formatDay, dayKey, formatLastSeen, charCount, formatNumber,
} from './dom.js';

let maxChars = 99999; // the server accepts fewer than 100,000 characters (hello.max_text_chars)
const COUNTER_FROM = 90000; // show the counter from here on (near the limit)
const LS = { token: 'natter.token', user: 'natter.user', device: 'natter.device' };

// ---- device id: one per browser profile, so the server's cursors persist ----

function deviceId() {
  let id = localStorage.getItem(LS.device);
  if (!id || !/^[A-Za-z0-9\-_.:]{1,64}$/.test(id)) {
    const r = crypto.getRandomValues(new Uint8Array(9));
    id = `web-${[...r].map((b) => b.toString(16).padStart(2, '0')).join('')}`;
    localStorage.setItem(LS.device, id);
  }
  return id;
}

const DEVICE = deviceId();
let session = null; // { token, user, store, client, helloSeen }

/**
 * Where the SDK keeps its outbox, seqs and cache: IndexedDB, so a send made offline
 * and the last state survive a reload. Memory when the browser refuses IndexedDB
 * (some private windows), then nothing survives, as before.
 */
function browserStorage() {
  const memory = new MemoryStore();
  let idb;
  try {
    idb = new IndexedDbStore();
  } catch {
    return memory;
  }
  let failed = false;
  const use = (op) => async (...args) => {
    if (!failed) {
      try {
        return await idb[op](...args);
      } catch (e) {
        failed = true;
        console.warn('IndexedDB unavailable, keeping state in memory', e);
      }
    }
    return memory[op](...args);
  };
  return { get: use('get'), set: use('set'), delete: use('delete') };
}
const STORAGE = browserStorage();

/** A client for this page's origin; `token` from an earlier login, if any. */
function newClient(token) {
  return new NatterClient({ baseUrl: location.origin, storage: STORAGE, deviceId: DEVICE, token });
}

// A sign-out erases the SDK's storage; a login waits for it so nothing it writes is erased.
let erasing = Promise.resolve();

// ---- small UI utilities ----

/**
 * A short notice at the bottom. `action` ({ label, testid, fn }) adds a button (the
 * notice then stays 10 s, and goes once the button is used).
 */
function toast(text, { error = false, action } = {}) {
  const el = h('div', { class: `toast ${error ? 'toast-error' : ''} ${action ? 'toast-action' : ''}`, role: error ? 'alert' : 'status' }, h('span', {}, text));
  if (action) {
    el.append(h('button', { type: 'button', class: 'toast-btn', dataset: { testid: action.testid }, onclick: () => {
      el.remove();
      action.fn();
    } }, action.label));
  }
  $('#toasts').append(el);
  const ms = action ? 10000 : 4000;
  setTimeout(() => el.classList.add('leaving'), ms - 500);
  setTimeout(() => el.remove(), ms);
}

function errorText(e) {
  if (!e) return 'Something went wrong.';
  const map = {
    invalid_credentials: 'Wrong username or password.',
    username_taken: 'That username is taken.',
    invalid_username: 'Usernames are 3–32 characters: letters, digits, "_" or ".".',
    invalid_password: 'Passwords are 8–128 characters.',
    invalid_profile: 'Display names are 1–64 characters; status up to 140.',
    rate_limited: 'Too many requests. Try again in a moment.',
    network: 'Cannot reach the server. Check your connection.',
    group_full: 'Groups have at most 100 members.',
    too_many_channels: 'Someone here is already in 1,000 conversations, the most one person may be in.',
    // The server says why (a role, or someone who accepts groups only from people
    // they share a chat with).
    forbidden: e.message || 'You are not allowed to do that in this group.',
    invalid_group_name: 'Group names are 1–64 characters.',
    not_a_member: 'You are not a member of that conversation.',
    token_revoked: 'You were logged out.',
    account_suspended: 'This account is suspended.',
  };
  return map[e.code] || e.message || 'Something went wrong.';
}

function debounce(fn, ms) {
  let t;
  return (...args) => {
    clearTimeout(t);
    t = setTimeout(() => fn(...args), ms);
  };
}

function visibleAndFocused() {
  return document.visibilityState === 'visible' && document.hasFocus();
}

function presenceDot(state) {
  return h('span', { class: 'presence-dot', dataset: { testid: 'presence-dot', state }, role: 'img', 'aria-label': state });
}

// ---- views ----

function showView(name) {
  $('#boot').hidden = true;
  $('#auth-view').hidden = name !== 'auth';
  $('#chat-view').hidden = name !== 'chat';
  document.body.dataset.view = name;
}

// ---- auth ----

function setAuthMode(mode) {
  const form = $('#auth-form');
  form.dataset.mode = mode;
  $('#tab-login').setAttribute('aria-selected', String(mode === 'login'));
  $('#tab-signup').setAttribute('aria-selected', String(mode === 'signup'));
  $('#auth-display-field').hidden = mode !== 'signup';
  $('#auth-hint').hidden = mode !== 'signup';
  $('#auth-password').autocomplete = mode === 'signup' ? 'new-password' : 'current-password';
  setText($('#auth-submit'), mode === 'signup' ? 'Create account' : 'Log in');
  setText($('#auth-error'), '');
}

function initAuth() {
  $('#tab-login').addEventListener('click', () => setAuthMode('login'));
  $('#tab-signup').addEventListener('click', () => setAuthMode('signup'));
  $('#auth-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const mode = $('#auth-form').dataset.mode;
    const username = $('#auth-username').value.trim();
    const password = $('#auth-password').value;
    const display = $('#auth-display').value.trim() || username;
    const btn = $('#auth-submit');
    setText($('#auth-error'), '');
    if (username.length < 3) return setText($('#auth-error'), 'Enter your username (at least 3 characters).');
    if (password.length < 8) return setText($('#auth-error'), 'Passwords have at least 8 characters.');
    btn.disabled = true;
    try {
      await erasing;
      const client = newClient();
      const res = mode === 'signup' ? await client.signup(username, password, display) : await client.login(username, password);
      $('#auth-password').value = '';
      startSession(client, res.token, res.user);
    } catch (e) {
      setText($('#auth-error'), errorText(e));
    } finally {
      btn.disabled = false;
    }
  });
}

async function signOut({ message, keepPush = false } = {}) {
  if (!session || session.signingOut) return;
  const s = session;
  s.signingOut = true;
  if (!keepPush) {
    // This browser should not get notifications for a user who logged out.
    try {
      await disablePush(s.client, DEVICE);
    } catch {
      /* best effort */
    }
  }
  if (session !== s) return;
  session = null;
  s.store.detach();
  s.offs.forEach((off) => off());
  // Closes the socket and erases the outbox, seqs and cache this browser kept.
  erasing = s.client.logout().catch((e) => console.warn('logout', e));
  renderConn();
  for (const d of document.querySelectorAll('dialog[open]')) d.close();
  localStorage.removeItem(LS.token);
  localStorage.removeItem(LS.user);
  resetChatDom();
  setAuthMode('login');
  setText($('#auth-error'), message || '');
  showView('auth');
  $('#auth-username').focus();
  document.title = 'Natter';
  if (location.hash) history.replaceState(null, '', location.pathname);
}

function resetChatDom() {
  stopRecording();
  for (const [id, tray] of trays) {
    for (const e of tray) e.abort.abort();
    clearTray(id);
  }
  $('#channel-list').replaceChildren();
  channelEls.clear();
  $('#requests-button').hidden = true;
  $('#requests-list').replaceChildren();
  closeConversation();
  $('#people-search').value = '';
  $('#search-panel').hidden = true;
}

// ---- session ----

async function startSession(client, token, user) {
  localStorage.setItem(LS.token, token);
  localStorage.setItem(LS.user, JSON.stringify(user));
  const store = new Store({ client, me: user, onChange: invalidate });
  const s = { token, user, store, client, helloSeen: false };
  s.offs = [
    client.on('state', (state) => {
      if (state !== 'syncing' && state !== 'live') s.helloSeen = false;
      renderConn();
    }),
    client.on('hello', (hello) => {
      s.helloSeen = true;
      if (hello.max_text_chars > 0) maxChars = hello.max_text_chars;
      updateComposer();
      renderConn();
    }),
    client.on('unauthorized', () => signOut({ message: 'Your session has ended. Please log in again.', keepPush: true })),
    // Ended from another device (or everywhere, or by a password change there): the
    // SDK has already erased what it kept and stopped.
    client.on('session_ended', () => signOut({ message: 'You were logged out.', keepPush: true })),
  ];
  session = s;
  showView('chat');
  renderMe();
  renderConn();
  invalidate('channels');
  // The last state first: the list and the open conversation show before the socket
  // is live (or while the server cannot be reached), then events bring the rest.
  const cached = await client.cached().catch(() => undefined);
  if (session !== s) return;
  store.seed(cached);
  routeFromHash();
  joinFromHash();
  client.connect().catch(() => {}); // a refused token comes as `unauthorized`
  store.loadChannels().then(
    () => routeFromHash(),
    (e) => {
      if (!isAuthError(e) && e.code !== 'network') toast(errorText(e), { error: true });
    },
  );
  store.loadRequests().catch((e) => {
    if (!isAuthError(e) && e.code !== 'network') console.warn('requests', e);
  });
  // Refresh the profile (the stored one may be stale).
  client.me().then(
    (me) => {
      if (session?.store !== store) return;
      Object.assign(session.user, me);
      store.users.set(me.id, store.me);
      localStorage.setItem(LS.user, JSON.stringify(session.user));
      renderMe();
      invalidate('user', me.id); // the settings (read receipts) decide what ticks show
    },
    () => {},
  );
}

// ---- rendering, batched per microtask ----

/** A notice for a request that came live (once its asker's name is known). */
function announceRequest(id) {
  const s = session;
  const r = s?.store.requests.get(id);
  if (!r) return;
  s.store.ensureUser(r.from).then(() => {
    if (session === s && s.store.requests.has(id) && !$('#requests-dialog').open) toast(requestText(s.store, r));
  });
}

const dirty = new Set();
let renderQueued = false;

function invalidate(kind, id) {
  // A request that just came: told once, by name.
  if (kind === 'requests' && id) announceRequest(id);
  dirty.add(kind);
  if (['message', 'typing', 'members', 'read', 'pins', 'receipts'].includes(kind)) dirty.add(`${kind}:${id}`);
  if (!renderQueued) {
    renderQueued = true;
    queueMicrotask(render);
  }
}

function render() {
  renderQueued = false;
  if (!session) {
    dirty.clear();
    return;
  }
  const d = new Set(dirty);
  dirty.clear();
  const active = activeId;
  const touchesActive = (k) => d.has(`${k}:${active}`);
  if (d.has('channels') || d.has('presence') || d.has('user') || d.has('typing') || d.has('message') || d.has('read') || d.has('synced')) {
    renderChannelList();
  }
  if (active) {
    if (touchesActive('message') || touchesActive('receipts') || touchesActive('members') || d.has('user') || d.has('synced')) renderMessages();
    if ((touchesActive('receipts') || touchesActive('members') || d.has('user')) && $('#read-by-dialog').open) renderReadBy();
    // Members or profiles that came after an "@" was typed: the suggestions follow.
    if ((touchesActive('members') || d.has('user')) && document.activeElement === $('#composer-input')) updateMentionPick();
    if (d.has('channels') || d.has('presence') || d.has('user') || touchesActive('typing') || touchesActive('members') || touchesActive('message')) renderConvHeader();
    if (touchesActive('typing') || d.has('user')) renderTyping();
    if (touchesActive('members') && $('#info-dialog').open) renderGroupInfo();
    if (touchesActive('pins') || touchesActive('members') || touchesActive('message') || d.has('user')) renderPinned();
    maybeMarkRead();
  }
  if (d.has('synced')) renderConn();
  if (d.has('requests') || (d.has('user') && session.store.requests.size)) renderRequests();
}

// ---- me ----

function renderMe() {
  const me = session.user;
  const btn = $('#me-button');
  btn.replaceChildren(avatar(me.display_name, me.id, { size: 'md' }));
  btn.title = `${me.display_name} (@${me.username})`;
}

// ---- connection state ----

let connTicker = null;

/** The client's state as shown: online from its hello, synced once it is live. */
function connView() {
  const c = session?.client;
  if (!c) return { state: 'offline', synced: false, reason: 'Signed out' };
  if (c.state === 'live') return { state: 'online', synced: true };
  if (c.state === 'syncing' && session.helloSeen) return { state: 'online', synced: false };
  if (c.state === 'connecting' || c.state === 'syncing' || c.state === 'idle') return { state: 'connecting', synced: false };
  const reason = navigator.onLine === false ? 'No network' : c.state === 'stopped' ? 'Stopped' : 'Server unreachable';
  return { state: 'offline', synced: false, reason, retryAt: c.nextRetryAt };
}

function renderConn() {
  const { state, synced, reason, retryAt } = connView();
  const el = $('#conn-state');
  el.dataset.state = state;
  el.dataset.synced = String(synced);
  const retry = $('#conn-retry');
  clearInterval(connTicker);
  const text = $('#conn-text');
  if (state !== 'offline') el.title = state === 'online' ? 'Connected' : 'Connecting';
  if (state === 'online') {
    setText(text, synced ? 'Online' : 'Online · syncing…');
    retry.hidden = true;
  } else if (state === 'connecting') {
    setText(text, 'Connecting…');
    retry.hidden = true;
  } else {
    const tick = () => {
      const secs = retryAt ? Math.max(0, Math.ceil((retryAt - Date.now()) / 1000)) : 0;
      setText(text, secs > 1 ? `Offline · retry in ${secs} s` : 'Offline');
    };
    el.title = reason ? `Offline: ${reason}` : 'Offline';
    tick();
    connTicker = setInterval(tick, 1000);
    retry.hidden = !session;
  }
}

// ---- channel list ----

const channelEls = new Map();

function previewText(store, ch) {
  const typers = store.typers(ch.id);
  if (typers.length) {
    return { text: ch.kind === 'group' ? `${store.userName(typers[0])} is typing…` : 'typing…', typing: true };
  }
  const m = ch.last_message;
  if (!m) return { text: ch.kind === 'group' ? 'New group' : 'Say hello', typing: false };
  if (m.system) return { text: systemText(store, { sender: m.sender, sent_at: m.sent_at, system: m.system }), typing: false };
  const who = m.sender === store.me.id ? 'You: ' : ch.kind === 'group' ? `${store.userName(m.sender).split(' ')[0]}: ` : '';
  const text = m.text ? m.text.replace(/\s+/g, ' ') : m.attachments?.length ? filesLabel(m.attachments.map((a) => a.kind)) : '';
  return { text: who + text, typing: false };
}

/** "a photo", "2 files", "a voice message": what a message without a caption carries. */
function filesLabel(kinds) {
  if (kinds.length > 1) return `${kinds.length} ${kinds.every((k) => k === 'image') ? 'photos' : 'files'}`;
  return kinds[0] === 'image' ? 'a photo' : kinds[0] === 'audio' ? 'a voice message' : 'a file';
}

function channelTitle(store, ch) {
  if (ch.kind === 'dm') {
    const u = ch.peer && store.users.get(ch.peer);
    return displayName(u) || ch.name || 'Conversation';
  }
  return ch.name || 'Group';
}

function createChannelEl(ch) {
  const btn = h('button', { type: 'button', class: 'channel-item', dataset: { testid: 'channel-item', channelId: ch.id } });
  const av = h('span', { class: 'avatar-wrap' });
  const name = h('span', { class: 'ch-name', dataset: { testid: 'channel-name' } });
  const time = h('time', { class: 'ch-time' });
  const preview = h('span', { class: 'ch-preview', dataset: { testid: 'channel-preview' } });
  const badge = h('span', { class: 'unread-badge', dataset: { testid: 'unread-badge' }, hidden: true });
  const mention = h('span', { class: 'mention-badge', dataset: { testid: 'mention-badge' }, role: 'img', hidden: true }, '@');
  const level = h('span', { class: 'ch-level', dataset: { testid: 'channel-level' }, hidden: true });
  btn.append(av, h('span', { class: 'ch-body' }, h('span', { class: 'ch-row' }, name, level, time), h('span', { class: 'ch-row' }, preview, mention, badge)));
  btn.addEventListener('click', () => navigateTo(ch.id));
  const li = h('li', { class: 'channel-li' }, btn);
  li._parts = { btn, av, name, time, preview, badge, mention, level, avKey: '', levelKey: 'all' };
  return li;
}

function renderChannelList() {
  const store = session.store;
  const list = $('#channel-list');
  const channels = store.sortedChannels();
  const wanted = new Set();
  let cursor = list.firstChild;
  let totalUnread = 0;
  for (const ch of channels) {
    wanted.add(ch.id);
    let li = channelEls.get(ch.id);
    if (!li) {
      li = createChannelEl(ch);
      channelEls.set(ch.id, li);
    }
    const p = li._parts;
    const title = channelTitle(store, ch);
    const unread = store.unread(ch);
    totalUnread += unread;
    setText(p.name, title);
    const t = ch.last_message?.sent_at || ch.last_activity_at;
    setText(p.time, formatListTime(t));
    if (t) setAttr(p.time, 'datetime', new Date(t).toISOString());
    const pv = previewText(store, ch);
    setText(p.preview, pv.text);
    p.preview.classList.toggle('is-typing', pv.typing);
    p.badge.hidden = unread === 0;
    setText(p.badge, unread > 999 ? '999+' : String(unread));
    setAttr(p.badge, 'aria-label', `${unread} unread`);
    p.btn.dataset.unread = String(unread);
    const mentions = store.unreadMentions(ch);
    p.mention.hidden = mentions === 0;
    p.mention.dataset.count = String(mentions);
    setAttr(p.mention, 'aria-label', `${mentions} unread mention${mentions === 1 ? '' : 's'}`);
    p.btn.dataset.mentions = String(mentions);
    if (p.levelKey !== ch.notifications) {
      p.levelKey = ch.notifications;
      const lv = LEVELS[ch.notifications] || LEVELS.all;
      p.level.replaceChildren(svgIcon(lv.icon, 'ch-level-icon'));
      p.level.hidden = ch.notifications === 'all';
      p.level.dataset.level = ch.notifications;
      p.level.title = `Notifications: ${lv.label.toLowerCase()}`;
    }
    p.btn.classList.toggle('has-unread', unread > 0);
    p.btn.dataset.kind = ch.kind;
    setAttr(p.btn, 'aria-current', ch.id === activeId ? 'true' : null);
    const online = ch.kind === 'dm' && ch.peer ? store.isOnline(ch.peer) : null;
    const avKey = `${ch.kind}|${title}|${online}`;
    if (p.avKey !== avKey) {
      p.avKey = avKey;
      p.av.replaceChildren(avatar(title, ch.kind === 'dm' ? ch.peer || ch.id : ch.id, { kind: ch.kind === 'group' ? 'group' : 'user' }));
      if (ch.kind === 'dm') p.av.append(presenceDot(online ? 'online' : 'offline'));
    }
    setAttr(p.btn, 'aria-label', `${title}${online ? ', online' : ''}${unread ? `, ${unread} unread` : ''}${mentions ? `, mentioned ${mentions === 1 ? 'once' : `${mentions} times`}` : ''}. ${pv.text}`);
    if (li !== cursor) list.insertBefore(li, cursor);
    else cursor = cursor.nextSibling;
  }
  for (const [id, li] of channelEls) {
    if (!wanted.has(id)) {
      li.remove();
      channelEls.delete(id);
    }
  }
  $('#channels-empty').hidden = !(store.channelsLoaded && channels.length === 0);
  document.title = totalUnread ? `(${totalUnread}) Natter` : 'Natter';
}

// ---- people search (sidebar) ----

async function searchPeople(q) {
  const res = await session.client.searchUsers(q.toLowerCase(), 20);
  session?.store.rememberUsers(res.users);
  return res.users.filter((u) => u.id !== session?.user.id);
}

function personRow(u, { action, label, testid = 'person-result' }) {
  const store = session.store;
  const online = store.presence.has(u.id) ? store.isOnline(u.id) : null;
  const btn = h(
    'button',
    { type: 'button', class: 'person', dataset: { testid, userId: u.id, username: u.username } },
    h('span', { class: 'avatar-wrap' }, avatar(displayName(u), u.id, { size: 'sm' }), online === null ? null : presenceDot(online ? 'online' : 'offline')),
    h('span', { class: 'person-body' }, h('span', { class: 'person-name' }, displayName(u)), h('span', { class: 'person-sub' }, u.deleted ? '' : `@${u.username}`)),
    label ? h('span', { class: 'person-action' }, label) : null,
  );
  btn.addEventListener('click', () => action(u, btn));
  return h('li', {}, btn);
}

function initPeopleSearch() {
  const input = $('#people-search');
  let seq = 0;
  const run = debounce(async () => {
    const q = input.value.trim();
    const my = ++seq;
    if (!q) {
      $('#search-panel').hidden = true;
      return;
    }
    try {
      const users = await searchPeople(q);
      if (my !== seq || !session) return;
      const list = $('#search-results');
      list.replaceChildren(...users.map((u) => personRow(u, { action: startDm, label: 'Chat' })));
      $('#search-empty').hidden = users.length > 0;
      $('#search-panel').hidden = false;
    } catch (e) {
      if (!isAuthError(e)) toast(errorText(e), { error: true });
    }
  }, 200);
  input.addEventListener('input', run);
  input.addEventListener('keydown', (ev) => {
    if (ev.key === 'Escape') {
      input.value = '';
      $('#search-panel').hidden = true;
    } else if (ev.key === 'ArrowDown') {
      const first = $('#search-results button');
      if (first) {
        ev.preventDefault();
        first.focus();
      }
    }
  });
}

async function startDm(u, btn) {
  if (btn) btn.disabled = true;
  try {
    const c = await session.client.openDm(u.id);
    session.store.addChannel(c, { peerProfile: u });
    $('#people-search').value = '';
    $('#search-panel').hidden = true;
    navigateTo(c.id);
  } catch (e) {
    if (e.code === 'forbidden') {
      // Their privacy settings refuse a new chat from the user: a request may still go.
      toast(`${displayName(u)} does not accept new chats from you.`, {
        error: true,
        action: { label: 'Send a request', testid: 'request-send', fn: () => sendRequest(u) },
      });
    } else toast(errorText(e), { error: true });
  } finally {
    if (btn) btn.disabled = false;
  }
}

// ---- chat requests ----

/** The text of a refused request. */
function requestErrorText(e, u) {
  if (e.code === 'forbidden') return `${displayName(u)} does not accept requests from you.`;
  return errorText(e);
}

/** Asks `u` to chat (no `group`) or to join `group`; a notice confirms. */
async function sendRequest(u, group) {
  try {
    await session.store.requestChat(u.id, group);
    toast('Request sent');
    return true;
  } catch (e) {
    if (!isAuthError(e)) toast(requestErrorText(e, u), { error: true });
    return false;
  }
}

/** "Sam wants to chat", "Mallory invites you to join club". */
function requestText(store, r) {
  const who = store.userName(r.from);
  return r.group ? `${who} invites you to join ${r.group_name || 'a group'}` : `${who} wants to chat`;
}

/** The sidebar's "Requests (N)" entry, and the requests dialog while it is open. */
function renderRequests() {
  const store = session.store;
  const list = store.requestList();
  const btn = $('#requests-button');
  btn.hidden = list.length === 0;
  btn.dataset.count = String(list.length);
  setText($('#requests-label'), `Requests (${list.length})`);
  setAttr(btn, 'aria-label', `${list.length} chat request${list.length === 1 ? '' : 's'}`);
  if (!$('#requests-dialog').open) return;
  setText($('#requests-status'), list.length ? '' : store.requestsLoaded ? 'No requests are waiting.' : 'Loading…');
  $('#requests-list').replaceChildren(
    ...list.map((r) => {
      const u = store.users.get(r.from);
      const accept = h('button', { type: 'button', class: 'btn btn-primary btn-small', dataset: { testid: 'request-accept' } }, 'Accept');
      const decline = h('button', { type: 'button', class: 'btn btn-small', dataset: { testid: 'request-decline' } }, 'Decline');
      accept.addEventListener('click', () => answerRequest(r, true, [accept, decline]));
      decline.addEventListener('click', () => answerRequest(r, false, [accept, decline]));
      const text = requestText(store, r);
      setAttr(accept, 'aria-label', `Accept: ${text}`);
      setAttr(decline, 'aria-label', `Decline: ${text}`);
      const time = h('time', { datetime: new Date(r.created_at).toISOString() }, formatListTime(r.created_at));
      return h('li', { class: 'member', dataset: { testid: 'chat-request', requestId: r.id, kind: r.group ? 'group' : 'dm', from: r.from } },
        h('span', { class: 'avatar-wrap' }, avatar(store.userName(r.from), r.from, { size: 'sm' })),
        h('span', { class: 'person-body' },
          h('span', { class: 'person-name', dataset: { testid: 'request-text' } }, text),
          h('span', { class: 'person-sub' }, u && !u.deleted ? `@${u.username} · ` : '', time)),
        h('span', { class: 'member-actions' }, accept, decline));
    }),
  );
}

async function answerRequest(r, accept, buttons) {
  const store = session.store;
  const text = requestText(store, r);
  setText($('#requests-error'), '');
  for (const b of buttons) b.disabled = true;
  try {
    if (accept) {
      const c = await store.acceptRequest(r.id);
      $('#requests-dialog').close();
      navigateTo(c.id);
      toast(c.kind === 'group' ? `You joined “${c.name}”` : `You can now chat with ${store.userName(r.from)}`);
    } else {
      await store.declineRequest(r.id);
      toast('Request declined');
    }
  } catch (e) {
    for (const b of buttons) b.disabled = false;
    if (isAuthError(e)) return;
    setText($('#requests-error'), e.code === 'not_found' ? `This request is no longer waiting (${text}).` : errorText(e));
  }
}

function initRequests() {
  $('#requests-button').addEventListener('click', () => {
    setText($('#requests-error'), '');
    openDialog($('#requests-dialog'));
    renderRequests();
    const s = session;
    s.store.loadRequests().catch((e) => session === s && !isAuthError(e) && setText($('#requests-error'), errorText(e)));
  });
}

// ---- joining with an invite: #join=<code> links, the "Join with code" field ----

const JOIN_KEY = 'natter.join';

/** An invite code from a pasted code or link (`…#join=<code>`). */
function inviteCode(text) {
  const t = text.trim();
  const m = /#join=([^&\s]+)/.exec(t);
  return m ? decodeURIComponent(m[1]) : t;
}

/** Keeps a `#join=` code until a session can use it (it survives logging in). */
function takeJoinHash() {
  if (!location.hash.startsWith('#join=')) return;
  sessionStorage.setItem(JOIN_KEY, inviteCode(location.hash));
  history.replaceState(null, '', location.pathname);
}

function joinFromHash() {
  takeJoinHash();
  const code = sessionStorage.getItem(JOIN_KEY);
  if (!code || !session) return;
  sessionStorage.removeItem(JOIN_KEY);
  joinWithCode(code);
}

async function joinWithCode(code, btn) {
  if (!code) return;
  if (btn) btn.disabled = true;
  try {
    const g = await session.client.joinByInvite(code);
    session.store.addChannel(g);
    $('#join-code').value = '';
    navigateTo(g.id);
    toast(`You joined “${g.name}”`);
  } catch (e) {
    toast(e.code === 'not_found' ? 'This invite has expired, was used up or was revoked.' : errorText(e), { error: true });
  } finally {
    if (btn) btn.disabled = false;
  }
}

function initJoin() {
  $('#join-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    if (session) joinWithCode(inviteCode($('#join-code').value), $('[data-testid="join-submit"]'));
  });
}

// ---- routing: #/c/<channel id> ----

let activeId = null;

function navigateTo(id) {
  const hash = `#/c/${id}`;
  if (location.hash !== hash) {
    // From the list, push (so the phone's back button returns to it).
    if (location.hash.startsWith('#/c/')) history.replaceState(null, '', hash);
    else {
      history.pushState(null, '', hash);
      pushedFromList = true;
    }
  }
  routeFromHash();
}

function routeFromHash() {
  if (!session) return;
  const m = /^#\/c\/(\d+)$/.exec(location.hash);
  if (m) openConversation(m[1]);
  else {
    pushedFromList = false;
    closeConversation();
  }
}

let pushedFromList = false;

function goBack() {
  if (pushedFromList) {
    pushedFromList = false;
    history.back(); // popstate routes back to the list
  } else {
    history.replaceState(null, '', location.pathname);
    routeFromHash();
  }
}

// ---- conversation ----

const msgEls = new Map();
let lastRenderedChannel = null;
const drafts = new Map();

function openConversation(id) {
  const store = session.store;
  if (activeId === id) return;
  if (activeId) drafts.set(activeId, $('#composer-input').value);
  activeId = id;
  store.activeId = id;
  $('#chat-view').dataset.pane = 'conversation';
  $('#conv-empty').hidden = true;
  $('#conv-header').hidden = false;
  $('#messages').hidden = false;
  $('#message-list').replaceChildren();
  msgEls.clear();
  lastRenderedChannel = null;
  closeMenu();
  closeNotifyMenu();
  closePeerMenu();
  closeMentionPick();
  editing = null;
  pinIndex = 0;
  const input = $('#composer-input');
  input.value = drafts.get(id) || '';
  autosize();
  updateComposer();
  renderConvHeader();
  renderMessages();
  renderTyping();
  renderReplyBar();
  renderPinned();
  renderTray();
  renderChannelList();
  store.openChannel(id).then(
    () => {
      if (activeId === id) fillViewport();
    },
    (e) => {
      // Offline: what the cache had stays shown; the load runs again once synced.
      if (isAuthError(e) || e.code === 'network') return;
      if (e.code === 'not_a_member') {
        toast('That conversation is not available.', { error: true });
        goBack();
      } else toast(errorText(e), { error: true });
    },
  );
  if (!matchMedia('(pointer: coarse)').matches) input.focus({ preventScroll: true });
}

function closeConversation() {
  if (activeId) drafts.set(activeId, $('#composer-input').value);
  activeId = null;
  if (session) session.store.activeId = null;
  $('#chat-view').dataset.pane = 'list';
  $('#conv-empty').hidden = false;
  $('#conv-header').hidden = true;
  $('#messages').hidden = true;
  $('#composer').hidden = true;
  $('#typing').hidden = true;
  $('#left-notice').hidden = true;
  $('#reply-bar').hidden = true;
  $('#pinned-bar').hidden = true;
  $('#file-tray').hidden = true;
  $('#send-error').hidden = true;
  closeMenu();
  closeNotifyMenu();
  closePeerMenu();
  closeMentionPick();
  editing = null;
  $('#message-list').replaceChildren();
  msgEls.clear();
  if (session) renderChannelList();
}

function renderConvHeader() {
  const store = session.store;
  const ch = store.channels.get(activeId);
  if (!ch) return;
  const title = channelTitle(store, ch);
  setText($('#conv-name'), title);
  const avSlot = $('#conv-avatar');
  const online = ch.kind === 'dm' && ch.peer ? store.isOnline(ch.peer) : null;
  const key = `${ch.kind}|${title}|${online}|${ch.id}`;
  if (avSlot.dataset.key !== key) {
    avSlot.dataset.key = key;
    avSlot.replaceChildren(avatar(title, ch.kind === 'dm' ? ch.peer || ch.id : ch.id, { kind: ch.kind === 'group' ? 'group' : 'user' }));
    if (ch.kind === 'dm') avSlot.append(presenceDot(online ? 'online' : 'offline'));
  }
  const sub = $('#conv-sub');
  const typers = store.typers(ch.id);
  let text;
  let state = '';
  if (typers.length) {
    text = ch.kind === 'group' ? `${typers.map((u) => store.userName(u).split(' ')[0]).join(', ')} typing…` : 'typing…';
    state = 'typing';
  } else if (ch.kind === 'dm') {
    const p = ch.peer && store.presence.get(ch.peer);
    const u = ch.peer && store.users.get(ch.peer);
    if (u?.deleted) text = ''; // no presence, username or status any more
    else if (p?.online) {
      text = 'online';
      state = 'online';
    } else if (p) {
      text = formatLastSeen(p.last_seen);
      state = 'offline';
    } else text = u ? `@${u.username}` : '';
    if (u?.status_text && !p?.online) text = text ? `${text} · ${u.status_text}` : u.status_text;
    else if (u?.status_text) text = `online · ${u.status_text}`;
  } else {
    const members = ch.members || [];
    const onlineCount = members.filter((m) => m.user !== store.me.id && store.isOnline(m.user)).length;
    text = members.length ? `${members.length} members${onlineCount ? `, ${onlineCount} online` : ''}` : 'Group';
  }
  setText(sub, text);
  sub.dataset.state = state;
  $('#info-button').hidden = ch.kind !== 'group' || ch.left;
  $('#peer-button').hidden = ch.kind !== 'dm' || !ch.peer || ch.left;
  renderNotifyButton(ch);
  const left = ch.left;
  $('#left-notice').hidden = !left;
  $('#composer').hidden = left;
  $('#file-tray').hidden = left || !(trays.get(activeId) || []).length;
  $('#reply-bar').hidden = left || !replying.get(ch.id);
  renderSendError(ch);
}

/** A send refused for who the user is there (blocked, muted): the server's words above the composer. */
function renderSendError(ch) {
  const el = $('#send-error');
  const text = !ch.left && ch.sendError ? ch.sendError : '';
  el.hidden = !text;
  setText(el, text);
}

function systemText(store, m) {
  const s = m.system;
  const actor = m.sender === store.me.id ? 'You' : store.userName(m.sender);
  const name = (u) => (u === store.me.id ? 'you' : store.userName(u));
  const list = (us) => {
    const names = us.map(name);
    return names.length <= 2 ? names.join(' and ') : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
  };
  switch (s.kind) {
    case 'group_created':
      return `${actor} created the group “${s.name}”`;
    case 'members_added':
      return `${actor} added ${list(s.users || [])}`;
    case 'member_removed':
      return `${actor} removed ${name(s.user)}`;
    case 'member_left':
      return `${s.user === store.me.id ? 'You' : store.userName(s.user)} left`;
    case 'account_deleted':
      // The name it had (a deleted account's profile keeps none), when this page knew it.
      return `${s.user === store.me.id ? 'You' : store.formerName(s.user) ?? 'Someone'} deleted their account`;
    case 'renamed':
      return `${actor} renamed the group to “${s.name}”`;
    case 'role_changed':
      return `${actor} made ${name(s.user)} ${s.role === 'admin' ? 'an admin' : 'a member'}`;
    case 'member_banned':
      return `${actor} banned ${name(s.user)}`;
    case 'member_unbanned':
      return `${actor} unbanned ${name(s.user)}`;
    case 'retention_changed':
      return s.max_age_secs ? `${actor} set messages to be kept for ${retentionLength(s.max_age_secs)}` : `${actor} turned off the group's message limit`;
    case 'member_muted':
      if (!s.until) return `${actor} unmuted ${name(s.user)}`;
      return m.sent_at ? `${actor} muted ${name(s.user)} for ${muteLength(s.until - m.sent_at)}` : `${actor} muted ${name(s.user)}`;
    // Changes to messages show only in the channel list's preview (the timeline applies them).
    case 'message_edited':
      return `${actor} edited a message`;
    case 'message_deleted':
      return `${actor} deleted a message`;
    case 'reaction_added':
      return `${actor} reacted ${s.emoji}`;
    case 'reaction_removed':
      return `${actor} took back a reaction`;
    case 'message_pinned':
      return `${actor} pinned a message`;
    case 'message_unpinned':
      return `${actor} unpinned a message`;
    case 'attachment_processed':
      return `${actor} sent ${filesLabel([s.attachment?.kind])}`;
    default:
      return `${actor} changed the group`;
  }
}

/** How long a group keeps messages: "1 day", "1 week", "30 days", "1 year", "2 hours". */
function retentionLength(secs) {
  const plural = (n, unit) => `${n} ${unit}${n === 1 ? '' : 's'}`;
  if (secs % 31536000 === 0) return plural(secs / 31536000, 'year');
  if (secs % 604800 === 0) return plural(secs / 604800, 'week');
  if (secs % 86400 === 0) return plural(secs / 86400, 'day');
  if (secs % 3600 === 0) return plural(secs / 3600, 'hour');
  return plural(Math.max(1, Math.round(secs / 60)), 'minute');
}

/** What the group info's "Keep messages for" offers (label, seconds; 0: no limit). */
const RETENTION_CHOICES = [['Forever', 0], ['1 day', 86400], ['1 week', 604800], ['30 days', 2592000], ['1 year', 31536000]];

/** How long a mute lasts, as the menu offers it: "1 h", "24 h", "1 week", "3 days", "15 min". */
function muteLength(ms) {
  const min = Math.max(1, Math.round(ms / 60000));
  if (min % 10080 === 0) return min === 10080 ? '1 week' : `${min / 10080} weeks`;
  if (min % 60 === 0 && min <= 48 * 60) return `${min / 60} h`;
  if (min % 1440 === 0) return `${min / 1440} days`;
  return min < 60 ? `${min} min` : `${Math.round(min / 60)} h`;
}

/** One message row; its parts are kept on the element for cheap updates. */
function createMsgEl() {
  const li = h('li', { class: 'msg', dataset: { testid: 'message' } });
  li._sig = '';
  return li;
}

function fillMsgEl(li, item, prev, ch) {
  const store = session.store;
  const m = item.m || item.p;
  const mine = m.sender === store.me.id;
  const state = item.p ? item.p.state : 'delivered';
  const firstOfDay = !prev || dayKey(prev.sent_at) !== dayKey(m.sent_at);
  const firstOfRun = firstOfDay || !prev || prev.sender !== m.sender || !!prev.system || !!m.system || m.sent_at - prev.sent_at > 5 * 60000;
  const names = ch.kind === 'group' || m.system ? `${store.userName(m.sender)}|${m.system ? JSON.stringify(m.system) + systemText(store, m) : ''}` : '';
  const isEditing = !!(editing && editing.channel === ch.id && editing.seq === m.seq && m.seq);
  // One's own message: how far the others got (ticks; "read by N of M" under the latest in a group).
  const rc = mine && item.m && !m.system && !m.deleted ? store.receiptOf(ch, m) : null;
  const tick = !mine || m.system ? '' : item.p ? (state === 'delivered' ? 'sent' : state) : rc ? rc.state : 'sent';
  const readByLabel = !!(rc && ch.kind === 'group' && item.lastOwn && rc.readBy > 0);
  const mentionsMe = !mine && !m.deleted && (m.mentions || []).includes(store.me.id);
  // What the message shows besides its text: every change to it re-renders it.
  const shown = m.system
    ? ''
    : JSON.stringify([m.text, m.attachments, m.edits, m.edited_at, m.deleted, m.reactions, m.pinned, m.forwarded, m.reply_to,
      m.reply_to ? store.userName(m.reply_to.sender) : '', (m.reactions || []).flatMap((r) => r.users.map((u) => store.userName(u))),
      (m.mentions || []).map((u) => store.users.get(u)?.username ?? ''), tick, rc?.readBy, rc?.of, readByLabel]);
  const sig = [m.seq ?? '', state, firstOfDay, firstOfRun, names, item.p?.error ?? '', dayKey(m.sent_at) === dayKey(Date.now()), shown, isEditing].join('|');
  if (li._sig === sig) return;
  li._sig = sig;

  li.className = `msg${mine ? ' mine' : ''}${m.system ? ' system' : ''}${firstOfRun ? ' first' : ''}${isEditing ? ' editing' : ''}${mentionsMe ? ' mentions-me' : ''}`;
  if (m.seq) li.dataset.seq = String(m.seq);
  else delete li.dataset.seq;
  li.dataset.state = state;
  li.dataset.kind = m.system ? 'system' : 'text';
  li.dataset.sender = m.sender;
  if (item.p) li.dataset.clientMsgId = item.p.client_msg_id;
  else if (m.client_msg_id) li.dataset.clientMsgId = m.client_msg_id;
  const files = !m.system && !m.deleted ? m.attachments || [] : [];
  if (files.length) li.dataset.files = String(files.length);
  else delete li.dataset.files;
  for (const [k, on] of [['deleted', !!m.deleted], ['edited', !!m.edits && !m.deleted], ['pinned', !!m.pinned], ['forwarded', !!m.forwarded], ['reply', !!m.reply_to], ['mentionsMe', mentionsMe]]) {
    if (on) li.dataset[k] = 'true';
    else delete li.dataset[k];
  }
  // sent | delivered | read, once the server has it (pending and failed say so in data-state).
  if (['sent', 'delivered', 'read'].includes(tick)) li.dataset.receipt = tick;
  else delete li.dataset.receipt;
  if (rc && ch.kind === 'group') {
    li.dataset.readBy = String(rc.readBy);
    li.dataset.readOf = String(rc.of);
  } else {
    delete li.dataset.readBy;
    delete li.dataset.readOf;
  }

  const parts = [];
  if (firstOfDay) parts.push(h('div', { class: 'day-divider', role: 'separator' }, h('span', {}, formatDay(m.sent_at))));
  if (m.system) {
    parts.push(h('div', { class: 'system-text', dataset: { testid: 'system-text' } }, systemText(store, m)));
  } else {
    if (ch.kind === 'group' && !mine && firstOfRun) {
      const nameEl = h('div', { class: 'msg-sender' }, store.userName(m.sender));
      nameEl.style.setProperty('--hue', String(hueOf(m.sender)));
      parts.push(nameEl);
    }
    const status = mine ? statusIcon(tick, rc && ch.kind === 'group' ? `Read by ${rc.readBy} of ${rc.of}` : null) : null;
    const body = [];
    if (m.forwarded && !m.deleted) {
      body.push(h('div', { class: 'msg-forwarded', dataset: { testid: 'forwarded-label' } }, svgIcon('i-forward', 'msg-small-icon'), 'Forwarded'));
    }
    if (m.reply_to && !m.deleted) body.push(quoteEl(store, m.reply_to));
    if (files.length) {
      const stored = !!(item.m && m.seq);
      body.push(attachmentsEl(m, {
        link: stored ? (a, o) => store.attachmentUrl(ch.id, m.seq, a.id, o) : null,
        onView: (a) => openViewer(ch.id, m.seq, a, m.text),
      }));
    }
    if (isEditing) {
      body.push(editing.form);
    } else if (m.deleted) {
      body.push(h('p', { class: 'msg-text msg-tombstone', dataset: { testid: 'message-text' } }, 'This message was deleted'));
    } else if (m.text || !files.length) {
      body.push(h('p', { class: 'msg-text', dataset: { testid: 'message-text' } }, textWithMentions(store, m)));
    }
    const time = h('time', { class: 'msg-time', datetime: new Date(m.sent_at).toISOString(), title: formatFull(m.sent_at) }, formatTime(m.sent_at));
    const edited = m.edits && !m.deleted
      ? h('button', { type: 'button', class: 'msg-edited', dataset: { action: 'edits', testid: 'edited-marker' }, title: `Edited ${formatFull(m.edited_at || m.sent_at)}: show the earlier versions` }, 'edited')
      : null;
    const pin = m.pinned ? h('span', { class: 'msg-pin', dataset: { testid: 'pinned-marker' }, role: 'img', 'aria-label': 'Pinned', title: 'Pinned' }, svgIcon('i-pin', 'msg-small-icon')) : null;
    const bubble = h('div', { class: 'bubble' }, body, h('span', { class: 'msg-meta' }, pin, edited, time, status));
    // The actions of a stored message (not while pending or edited).
    const more = m.seq && !item.p && !isEditing
      ? h('button', { type: 'button', class: 'msg-more', dataset: { action: 'menu', testid: 'message-menu-button' }, 'aria-label': 'Message actions', 'aria-haspopup': 'menu', title: 'More' }, svgIcon('i-more', 'icon'))
      : null;
    parts.push(h('div', { class: 'msg-row' }, bubble, more));
    if (m.reactions?.length && !m.deleted) parts.push(reactionsEl(store, m));
    if (readByLabel) {
      parts.push(h('button', { type: 'button', class: 'read-by', dataset: { action: 'read-by', testid: 'read-by', count: String(rc.readBy), of: String(rc.of) }, title: 'Who read it' },
        rc.readBy === rc.of ? `Read by all ${rc.of}` : `Read by ${rc.readBy} of ${rc.of}`));
    }
    if (state === 'failed') {
      const retry = h('button', { type: 'button', class: 'link-btn', onclick: () => store.retry(ch.id, item.p.client_msg_id) }, 'Retry');
      const drop = h('button', { type: 'button', class: 'link-btn', onclick: () => store.discard(ch.id, item.p.client_msg_id) }, 'Delete');
      parts.push(h('div', { class: 'msg-error', role: 'alert' }, `Not sent: ${item.p.error} `, retry, ' · ', drop));
    }
  }
  li.replaceChildren(...parts);
}

/**
 * A message's text with the `@username` mentions it carries highlighted: only names
 * the server resolved (`mentions`), the user's own more strongly. Text nodes only.
 */
function textWithMentions(store, m) {
  const byName = new Map();
  for (const id of m.mentions || []) {
    const u = store.users.get(id);
    if (u?.username) byName.set(u.username.toLowerCase(), id);
    else store.ensureUser(id); // re-rendered once known
  }
  if (!byName.size) return [m.text];
  const out = [];
  let last = 0;
  for (const x of m.text.matchAll(/(^|[^A-Za-z0-9_.@])@([A-Za-z0-9_.]+)/g)) {
    let name = x[2];
    // "@bob." at the end of a sentence: the dot is not part of the name.
    while (name.endsWith('.') && !byName.has(name.toLowerCase())) name = name.slice(0, -1);
    const id = byName.get(name.toLowerCase());
    if (!id) continue;
    const at = x.index + x[1].length;
    const me = id === store.me.id;
    out.push(m.text.slice(last, at));
    out.push(h('span', { class: `mention${me ? ' mention-me' : ''}`, dataset: { testid: 'mention', userId: id, ...(me ? { me: 'true' } : {}) }, title: store.userName(id) }, `@${name}`));
    last = at + 1 + name.length;
  }
  out.push(m.text.slice(last));
  return out;
}

/** A reply's quote of the message it answers (a tombstone once that one is deleted); a click shows it. */
function quoteEl(store, q) {
  const who = q.sender === store.me.id ? 'You' : store.userName(q.sender);
  const el = h('button', { type: 'button', class: `msg-quote${q.deleted ? ' deleted' : ''}`, dataset: { action: 'quote', testid: 'reply-quote', seq: String(q.seq), ...(q.deleted ? { deleted: 'true' } : {}) }, title: 'Show the message' },
    h('span', { class: 'quote-name' }, who),
    h('span', { class: 'quote-text', dataset: { testid: 'quote-text' } }, q.deleted ? 'This message was deleted' : q.preview));
  el.style.setProperty('--hue', String(hueOf(q.sender)));
  return el;
}

/** Reaction chips under a message: a click on one toggles the user's own. */
function reactionsEl(store, m) {
  return h('div', { class: 'reactions', dataset: { testid: 'reactions' } },
    m.reactions.map((r) => {
      const mine = r.users.includes(store.me.id);
      const who = r.users.map((u) => (u === store.me.id ? 'You' : store.userName(u))).join(', ');
      return h('button', {
        type: 'button', class: 'reaction-chip', 'aria-pressed': String(mine), title: `${who} reacted ${r.emoji}`,
        'aria-label': `${r.emoji} ${r.count}${mine ? ', yours: remove it' : ''}`,
        dataset: { action: 'react', testid: 'reaction-chip', emoji: r.emoji, mine: String(mine), count: String(r.count) },
      }, h('span', { class: 'reaction-emoji' }, r.emoji), h('span', { class: 'reaction-count' }, String(r.count)));
    }));
}

/** An icon from the page's sprite. */
function svgIcon(id, cls) {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('class', cls);
  svg.setAttribute('aria-hidden', 'true');
  const use = document.createElementNS(ns, 'use');
  use.setAttribute('href', `#${id}`);
  svg.append(use);
  return svg;
}

const TICK = 'M9 16.2 4.8 12l-1.4 1.4L9 19 21 7l-1.4-1.4Z';
const TICKS = 'M18 7l-1.41-1.41-6.34 6.34 1.41 1.41L18 7zm4.24-1.41L11.66 16.17 7.48 12l-1.41 1.41L11.66 19l12-12-1.42-1.41zM.41 13.41 6 19l1.41-1.41L1.83 12 .41 13.41z';
const STATUS = {
  pending: ['Sending…', 'M12 2a10 10 0 1 0 10 10A10 10 0 0 0 12 2Zm0 18a8 8 0 1 1 8-8 8 8 0 0 1-8 8Zm.5-13H11v6l5.2 3.2.8-1.3-4.5-2.7Z'],
  // The server has it (✓), a device of the peer has it (✓✓), read (✓✓, coloured).
  sent: ['Sent', TICK],
  delivered: ['Delivered', TICKS],
  read: ['Read', TICKS],
  failed: ['Not sent', 'M11 15h2v2h-2zm0-8h2v6h-2zm1-5a10 10 0 1 0 10 10A10 10 0 0 0 12 2Zm0 18a8 8 0 1 1 8-8 8 8 0 0 1-8 8Z'],
};

/**
 * A small status icon for one's own message (SVG: no emoji font needed). In a group,
 * `readBy` ("Read by 1 of 3") labels it, and a click shows who read it.
 */
function statusIcon(state, readBy) {
  const [stateLabel, d] = STATUS[state] || STATUS.sent;
  const label = readBy && (state === 'sent' || state === 'read') ? readBy : stateLabel;
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('class', 'msg-status-icon');
  svg.setAttribute('aria-hidden', 'true');
  const path = document.createElementNS(ns, 'path');
  path.setAttribute('d', d);
  path.setAttribute('fill', 'currentColor');
  svg.append(path);
  if (readBy && (state === 'sent' || state === 'read')) {
    return h('button', { type: 'button', class: 'msg-status msg-status-btn', 'aria-label': `${label}: who read it`, title: label, dataset: { action: 'read-by', testid: 'message-status', state } }, svg);
  }
  return h('span', { class: 'msg-status', role: 'img', 'aria-label': label, title: label, dataset: { testid: 'message-status', state } }, svg);
}

function atBottom(scroller) {
  return scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 80;
}

function renderMessages() {
  const store = session.store;
  const ch = store.channels.get(activeId);
  if (!ch) return;
  const scroller = $('#messages');
  const list = $('#message-list');
  const first = lastRenderedChannel !== ch.id;
  const wasBottom = first || atBottom(scroller);
  // Keep what the reader looks at in place when older messages come in above.
  let anchor = null;
  let anchorTop = 0;
  if (!wasBottom) {
    const top = scroller.getBoundingClientRect().top;
    for (const el of list.children) {
      const r = el.getBoundingClientRect();
      if (r.bottom > top) {
        anchor = el;
        anchorTop = r.top;
        break;
      }
    }
  }
  const { list: msgs, pending } = store.timeline(ch);
  const items = [];
  for (const m of msgs) {
    const key = m.sender === store.me.id && m.client_msg_id ? `c:${m.client_msg_id}` : `s:${m.seq}`;
    items.push({ key, m });
  }
  for (const p of pending) items.push({ key: `c:${p.client_msg_id}`, p });
  const lastOwn = items.findLast((it) => it.m && it.m.sender === store.me.id && !it.m.system && !it.m.deleted);
  if (lastOwn) lastOwn.lastOwn = true;
  const wanted = new Set();
  let cursor = list.firstChild;
  let prev = null;
  let ownPendingAdded = false;
  for (const it of items) {
    if (wanted.has(it.key)) continue;
    wanted.add(it.key);
    let el = msgEls.get(it.key);
    if (!el) {
      el = createMsgEl();
      msgEls.set(it.key, el);
      if (it.p) ownPendingAdded = true;
    }
    fillMsgEl(el, it, prev, ch);
    if (el !== cursor) list.insertBefore(el, cursor);
    else cursor = cursor.nextSibling;
    prev = it.m || it.p;
  }
  for (const [key, el] of msgEls) {
    if (!wanted.has(key)) {
      el.remove();
      msgEls.delete(key);
    }
  }
  lastRenderedChannel = ch.id;
  const older = $('#older-status');
  if (ch.history === 'loading' || ch.loadingOlder) setText(older, 'Loading…');
  else if (ch.history === 'loaded' && !ch.hasOlder) setText(older, items.length ? 'This is the beginning of the conversation.' : 'No messages yet. Say hello!');
  else setText(older, '');
  older.dataset.state = ch.history === 'loaded' && !ch.hasOlder ? 'start' : ch.loadingOlder ? 'loading' : '';
  if (wasBottom || ownPendingAdded) scroller.scrollTop = scroller.scrollHeight;
  else if (anchor && anchor.isConnected) scroller.scrollTop += anchor.getBoundingClientRect().top - anchorTop;
}

/** Loads older pages until the view is filled (or history starts). */
async function fillViewport() {
  const store = session?.store;
  const id = activeId;
  for (let i = 0; i < 10 && store && activeId === id; i++) {
    const scroller = $('#messages');
    if (scroller.scrollHeight > scroller.clientHeight + 200) break;
    if (!(await store.loadOlder(id))) break;
  }
}

function renderTyping() {
  const store = session.store;
  const el = $('#typing');
  const ch = store.channels.get(activeId);
  const typers = ch ? store.typers(ch.id) : [];
  if (!typers.length) {
    el.hidden = true;
    setText(el, '');
    return;
  }
  const names = typers.map((u) => store.userName(u).split(' ')[0]);
  const text = names.length === 1 ? `${names[0]} is typing` : names.length === 2 ? `${names[0]} and ${names[1]} are typing` : 'Several people are typing';
  el.replaceChildren(h('span', { class: 'typing-dots', 'aria-hidden': 'true' }, h('i'), h('i'), h('i')), h('span', {}, text));
  el.hidden = false;
}

function maybeMarkRead() {
  if (!session || !activeId || !visibleAndFocused()) return;
  session.store.markRead(activeId);
}

// ---- changing messages: the per-message menu, edit in place, replies, forward, pins ----

/** The emoji the picker offers (any emoji can be a reaction; these are one click away). */
const QUICK_REACTIONS = ['👍', '❤️', '😂', '😮', '😢', '🙏'];
/** Emoji compare without the variation selector (the server keeps one canonical form). */
const sameEmoji = (a, b) => a.replace(/\uFE0F/g, '') === b.replace(/\uFE0F/g, '');

/** The message being edited in place: { channel, seq, form, input }. */
let editing = null;
/** channel id -> the message the composer replies to. */
const replying = new Map();
/** Which pin the pinned bar shows (0: the latest). */
let pinIndex = 0;
/** The open menu: { channel, seq, anchor }. */
let menu = null;

function activeMessage(seq) {
  const ch = session?.store.channels.get(activeId);
  const m = ch?.msgs.get(Number(seq));
  return ch && m ? { ch, m } : null;
}

function initMessageActions() {
  const list = $('#message-list');
  list.addEventListener('click', (ev) => {
    const el = ev.target.closest('[data-action]');
    const li = ev.target.closest('[data-testid="message"][data-seq]');
    if (!el || !li || !session) return;
    const found = activeMessage(li.dataset.seq);
    if (!found) return;
    const { ch, m } = found;
    if (el.dataset.action === 'menu') {
      if (menu && menu.channel === ch.id && menu.seq === m.seq) closeMenu();
      else openMenu(ch, m, el);
    }
    else if (el.dataset.action === 'react') toggleReaction(ch, m, el.dataset.emoji, el.dataset.mine !== 'true');
    else if (el.dataset.action === 'quote') scrollToSeq(Number(el.dataset.seq));
    else if (el.dataset.action === 'edits') openEdits(ch, m);
    else if (el.dataset.action === 'read-by') openReadBy(ch, m);
  });
  // Right click, or a long press on a touch screen, opens the menu too.
  list.addEventListener('contextmenu', (ev) => {
    const li = ev.target.closest('[data-testid="message"][data-seq][data-kind="text"]');
    if (!li || !session || li.classList.contains('editing')) return;
    const found = activeMessage(li.dataset.seq);
    if (!found) return;
    ev.preventDefault();
    openMenu(found.ch, found.m, li.querySelector('.bubble') || li);
  });
  let press = null;
  list.addEventListener('touchstart', (ev) => {
    const li = ev.target.closest('[data-testid="message"][data-seq][data-kind="text"]');
    if (!li || ev.touches.length !== 1 || ev.target.closest('[data-action]')) return;
    clearTimeout(press);
    press = setTimeout(() => {
      const found = activeMessage(li.dataset.seq);
      if (found) openMenu(found.ch, found.m, li.querySelector('.bubble') || li);
    }, 500);
  }, { passive: true });
  for (const t of ['touchend', 'touchmove', 'touchcancel']) list.addEventListener(t, () => clearTimeout(press), { passive: true });

  $('#msg-menu').addEventListener('keydown', (ev) => menuKeys(ev, $('#msg-menu'), closeMenu));
  document.addEventListener('pointerdown', (ev) => {
    if (menu && !ev.target.closest('#msg-menu') && !ev.target.closest('[data-action="menu"]')) closeMenu();
    if (notifyOpen && !ev.target.closest('#notify-menu') && !ev.target.closest('#notify-button')) closeNotifyMenu();
    if (peerOpen && !ev.target.closest('#peer-menu') && !ev.target.closest('#peer-button')) closePeerMenu();
  });
  $('#messages').addEventListener('scroll', () => menu && closeMenu(), { passive: true });
  window.addEventListener('resize', () => {
    if (menu) closeMenu();
    closeNotifyMenu();
    closePeerMenu();
  });

  $('#reply-cancel').addEventListener('click', cancelReply);
  $('#pinned-open').addEventListener('click', () => {
    const pins = currentPins();
    if (!pins.length) return;
    const pin = pins[pinIndex % pins.length];
    scrollToSeq(pin.seq);
    // The next click shows the next (older) pin, as the bar then says.
    pinIndex = (pinIndex + 1) % pins.length;
    renderPinned();
  });
  $('#pinned-unpin').addEventListener('click', () => {
    const pins = currentPins();
    const pin = pins[pinIndex % pins.length];
    if (pin) changeAction(() => session.store.pin(activeId, pin.seq, false));
  });
  $('#forward-search').addEventListener('input', () => renderForwardList());
}

/** A menu's keyboard: arrows move between its items, Escape closes it (focus back), Tab leaves it. */
function menuKeys(ev, el, close) {
  const items = [...el.querySelectorAll('[role^="menuitem"]')];
  const i = items.indexOf(document.activeElement);
  if (ev.key === 'Escape') {
    ev.preventDefault();
    close({ focusBack: true });
  } else if (ev.key === 'ArrowDown' || ev.key === 'ArrowRight') {
    ev.preventDefault();
    items[(i + 1) % items.length]?.focus();
  } else if (ev.key === 'ArrowUp' || ev.key === 'ArrowLeft') {
    ev.preventDefault();
    items[(i - 1 + items.length) % items.length]?.focus();
  } else if (ev.key === 'Tab') close();
}

/** Runs a change call; its effect shows when the channel's event comes. Errors are told. */
async function changeAction(fn, done) {
  try {
    const r = await fn();
    done?.(r);
    return r;
  } catch (e) {
    if (!isAuthError(e)) toast(changeErrorText(e), { error: true });
    return undefined;
  }
}

function changeErrorText(e) {
  const map = {
    not_author: 'Only the author can edit a message.',
    message_deleted: 'That message was deleted.',
    message_not_found: 'That message is not available.',
    forbidden: e.message || 'You are not allowed to do that here.',
    too_many_reactions: 'A message can carry at most 20 different reactions.',
    too_many_edits: 'A message can be edited at most 100 times.',
    too_many_pins: 'A conversation can have at most 50 pinned messages.',
    reaction_invalid: 'A reaction is one emoji.',
    message_empty: 'A message cannot be empty: delete it instead.',
    message_too_long: 'That text is too long.',
  };
  return map[e.code] || errorText(e);
}

function menuItem(label, testid, icon, fn, { danger = false } = {}) {
  return h('button', { type: 'button', role: 'menuitem', class: `menu-item${danger ? ' danger' : ''}`, dataset: { testid }, onclick: () => { closeMenu(); fn(); } },
    icon ? svgIcon(icon, 'menu-icon') : h('span', { class: 'menu-icon' }), label);
}

function openMenu(ch, m, anchor) {
  closeMenu();
  const store = session.store;
  const mine = m.sender === store.me.id;
  const live = !m.deleted && !ch.left;
  const items = [];
  if (live) {
    const mineReaction = (e) => (m.reactions || []).find((r) => sameEmoji(r.emoji, e) && r.users.includes(store.me.id));
    items.push(h('div', { class: 'menu-emoji', role: 'group', 'aria-label': 'React' },
      QUICK_REACTIONS.map((e) => {
        const had = mineReaction(e);
        return h('button', {
          type: 'button', role: 'menuitem', class: 'menu-emoji-btn', 'aria-pressed': String(!!had), 'aria-label': had ? `Remove ${e}` : `React ${e}`,
          dataset: { testid: 'menu-react', emoji: e },
          onclick: () => { closeMenu(); toggleReaction(ch, m, had ? had.emoji : e, !had); },
        }, e);
      })));
    items.push(menuItem('Reply', 'menu-reply', 'i-reply', () => startReply(ch, m)));
    if (mine) items.push(menuItem('Edit', 'menu-edit', null, () => startEdit(ch, m)));
    items.push(menuItem('Forward', 'menu-forward', 'i-forward', () => openForward(ch, m)));
    if (store.canPin(ch)) items.push(menuItem(m.pinned ? 'Unpin' : 'Pin', 'menu-pin', 'i-pin', () => changeAction(() => store.pin(ch.id, m.seq, !m.pinned))));
    if (store.canDelete(ch, m)) {
      items.push(menuItem('Delete for everyone', 'menu-delete-everyone', null, () => {
        if (confirm('Delete this message for everyone?')) changeAction(() => store.deleteForEveryone(ch.id, m.seq));
      }, { danger: true }));
    }
  }
  if (!mine && !m.deleted && m.seq) {
    items.push(menuItem('Report', 'menu-report', null, () => openReport({ channel: ch.id, seq: m.seq }, `${store.userName(m.sender)}: ${m.text || filesLabel((m.attachments || []).map((a) => a.kind))}`)));
  }
  items.push(menuItem('Delete for me', 'menu-delete-me', null, () => changeAction(() => store.hide(ch.id, m.seq)), { danger: true }));
  const el = $('#msg-menu');
  el.replaceChildren(...items);
  el.dataset.seq = String(m.seq);
  el.hidden = false;
  menu = { channel: ch.id, seq: m.seq, anchor };
  anchor.setAttribute?.('aria-expanded', 'true');
  // Below the anchor, or above it when there is no room; inside the window.
  const r = anchor.getBoundingClientRect();
  const w = el.offsetWidth;
  const hgt = el.offsetHeight;
  const left = Math.max(8, Math.min(window.innerWidth - w - 8, m.sender === store.me.id ? r.right - w : r.left));
  const top = r.bottom + 4 + hgt < window.innerHeight ? r.bottom + 4 : Math.max(8, r.top - hgt - 4);
  el.style.left = `${left}px`;
  el.style.top = `${top}px`;
  el.querySelector('[role="menuitem"]')?.focus({ preventScroll: true });
}

function closeMenu({ focusBack = false } = {}) {
  if (!menu) return;
  const { anchor } = menu;
  menu = null;
  const el = $('#msg-menu');
  el.hidden = true;
  el.replaceChildren();
  anchor.setAttribute?.('aria-expanded', 'false');
  if (focusBack && anchor.isConnected) anchor.focus?.();
}

function toggleReaction(ch, m, emoji, add) {
  changeAction(() => session.store.react(ch.id, m.seq, emoji, add));
}

// -- edit in place --

function startEdit(ch, m) {
  if (editing) cancelEdit();
  const input = h('textarea', { class: 'edit-input', rows: '1', 'aria-label': 'Edit message', dataset: { testid: 'edit-input' } });
  input.value = m.text;
  const save = h('button', { type: 'submit', class: 'btn btn-small btn-primary', dataset: { testid: 'edit-save' } }, 'Save');
  const cancel = h('button', { type: 'button', class: 'btn btn-small', dataset: { testid: 'edit-cancel' }, onclick: () => cancelEdit() }, 'Cancel');
  const form = h('form', { class: 'msg-edit', dataset: { testid: 'edit-form' } }, input,
    h('div', { class: 'edit-actions' }, h('span', { class: 'edit-hint' }, 'Enter to save · Esc to cancel'), cancel, save));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    saveEdit();
  });
  input.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing) {
      ev.preventDefault();
      saveEdit();
    } else if (ev.key === 'Escape') {
      ev.preventDefault();
      cancelEdit();
    }
  });
  const grow = () => {
    input.style.height = 'auto';
    input.style.height = `${Math.min(input.scrollHeight, 300)}px`;
  };
  input.addEventListener('input', grow);
  editing = { channel: ch.id, seq: m.seq, form, input, save };
  renderMessages();
  grow();
  input.focus();
  input.setSelectionRange(input.value.length, input.value.length);
}

function cancelEdit({ focusComposer = true } = {}) {
  if (!editing) return;
  editing = null;
  renderMessages();
  if (focusComposer) $('#composer-input').focus({ preventScroll: true });
}

async function saveEdit() {
  if (!editing) return;
  const ed = editing;
  const m = session.store.channels.get(ed.channel)?.msgs.get(ed.seq);
  const text = ed.input.value;
  if (!m || text === m.text) return cancelEdit();
  if (text.trim() === '') return toast('A message cannot be empty: delete it instead.', { error: true });
  if (charCount(text) > maxChars) return toast('That text is too long.', { error: true });
  ed.save.disabled = true;
  const ok = await changeAction(() => session.store.edit(ed.channel, ed.seq, text));
  ed.save.disabled = false;
  if (ok && editing === ed) cancelEdit();
}

// -- replies --

function startReply(ch, m) {
  replying.set(ch.id, { seq: m.seq, sender: m.sender, text: m.text });
  renderReplyBar();
  $('#composer-input').focus();
}

function cancelReply() {
  replying.delete(activeId);
  renderReplyBar();
  $('#composer-input').focus({ preventScroll: true });
}

function renderReplyBar() {
  const bar = $('#reply-bar');
  const ch = session?.store.channels.get(activeId);
  const r = ch && !ch.left && replying.get(ch.id);
  if (!r) {
    bar.hidden = true;
    return;
  }
  const held = ch.msgs.get(r.seq);
  const store = session.store;
  setText($('#reply-bar-name'), `Replying to ${r.sender === store.me.id ? 'yourself' : store.userName(r.sender)}`);
  setText($('#reply-bar-text'), held?.deleted ? 'This message was deleted' : (held?.text ?? r.text));
  bar.hidden = false;
}

// -- forward --

let forwarding = null; // { channel, seq }

function openForward(ch, m) {
  forwarding = { channel: ch.id, seq: m.seq };
  setText($('#forward-preview'), m.text);
  $('#forward-search').value = '';
  renderForwardList();
  openDialog($('#forward-dialog'));
  $('#forward-search').focus();
}

function renderForwardList() {
  const store = session.store;
  const q = $('#forward-search').value.trim().toLowerCase();
  const rows = store.sortedChannels()
    .map((c) => ({ c, title: channelTitle(store, c) }))
    .filter(({ title }) => !q || title.toLowerCase().includes(q))
    .map(({ c, title }) => {
      const btn = h('button', { type: 'button', class: 'person', dataset: { testid: 'forward-target', channelId: c.id } },
        avatar(title, c.kind === 'dm' ? c.peer || c.id : c.id, { kind: c.kind === 'group' ? 'group' : 'user', size: 'sm' }),
        h('span', { class: 'person-body' }, h('span', { class: 'person-name' }, title), h('span', { class: 'person-sub' }, c.kind === 'group' ? 'Group' : 'Direct message')),
        h('span', { class: 'person-action' }, 'Send'));
      btn.addEventListener('click', () => forwardTo(c, title));
      return h('li', {}, btn);
    });
  $('#forward-list').replaceChildren(...rows);
}

function forwardTo(c, title) {
  const f = forwarding;
  if (!f) return;
  forwarding = null;
  $('#forward-dialog').close();
  // Through the SDK's outbox: sent when connected, once.
  changeAction(() => session.store.forward(c.id, f.channel, f.seq), () => toast(`Forwarded to ${title}`));
}

// -- the pinned bar --

function currentPins() {
  const ch = session?.store.channels.get(activeId);
  return ch?.pins || [];
}

function renderPinned() {
  const bar = $('#pinned-bar');
  const ch = session?.store.channels.get(activeId);
  const pins = currentPins();
  if (!ch || !pins.length) {
    bar.hidden = true;
    return;
  }
  const store = session.store;
  const i = pinIndex % pins.length;
  const pin = ch.msgs.get(pins[i].seq) || pins[i];
  setText($('#pinned-label'), pins.length > 1 ? `Pinned message ${i + 1} of ${pins.length}` : 'Pinned message');
  const who = pin.sender === store.me.id ? 'You' : store.userName(pin.sender);
  setText($('#pinned-text'), `${who}: ${pin.text}`);
  bar.dataset.seq = String(pin.seq);
  $('#pinned-unpin').hidden = ch.left || !store.canPin(ch);
  bar.hidden = false;
}

/** Scrolls to a message of the open conversation (loading older pages up to it) and flashes it. */
async function scrollToSeq(seq) {
  const store = session.store;
  const id = activeId;
  const ch = store.channels.get(id);
  if (!ch) return;
  for (let i = 0; i < 40 && activeId === id && ch.msgs.size && store.lowestSeq(ch) > seq && ch.hasOlder; i++) {
    if (!(await store.loadOlder(id).catch(() => false))) break;
  }
  await new Promise((res) => requestAnimationFrame(res));
  const el = $(`#message-list [data-testid="message"][data-seq="${seq}"]`);
  if (!el) {
    toast('That message is not available.', { error: true });
    return;
  }
  el.scrollIntoView({ block: 'center' });
  el.classList.remove('flash');
  void el.offsetWidth; // restart the animation
  el.classList.add('flash');
  setTimeout(() => el.classList.remove('flash'), 1600);
}

// -- who read it (groups) --

/** The message whose readers the dialog shows: { channel, seq }. */
let readByOf = null;

function openReadBy(ch, m) {
  const store = session.store;
  readByOf = { channel: ch.id, seq: m.seq };
  setText($('#read-by-preview'), m.text);
  renderReadBy();
  openDialog($('#read-by-dialog'));
  // Asked for: where everyone stands now (the events only cover the latest messages).
  store.loadReceipts(ch.id);
  if (ch.kind === 'group') store.ensureMembers(ch.id).catch(() => {});
}

function renderReadBy() {
  const store = session?.store;
  const ch = readByOf && store?.channels.get(readByOf.channel);
  if (!ch) return;
  const { read, unread } = store.readers(ch, readByOf.seq);
  const off = !store.readReceiptsOn();
  $('#read-by-off').hidden = !off;
  const row = (u, testid) => {
    const who = store.users.get(u);
    return h('li', { class: 'member', dataset: { testid, userId: u } },
      h('span', { class: 'avatar-wrap' }, avatar(store.userName(u), u, { size: 'sm' })),
      h('span', { class: 'person-body' }, h('span', { class: 'person-name' }, store.userName(u)), h('span', { class: 'person-sub' }, who && !who.deleted ? `@${who.username}` : '')));
  };
  setText($('#read-by-read-title'), `Read by ${read.length} of ${read.length + unread.length}`);
  $('#read-by-read').replaceChildren(...read.map((u) => row(u, 'read-by-member')));
  $('#read-by-unread-title').hidden = unread.length === 0;
  $('#read-by-unread').replaceChildren(...unread.map((u) => row(u, 'unread-by-member')));
}

// -- edit history --

/** The message whose versions the dialog shows (a later open replaces it). */
let editsOf = null;

async function openEdits(ch, m) {
  const list = $('#edits-list');
  const status = $('#edits-status');
  const mine = { channel: ch.id, seq: m.seq };
  editsOf = mine;
  list.replaceChildren();
  status.hidden = false;
  setText(status, 'Loading…');
  openDialog($('#edits-dialog'));
  try {
    const { versions } = await session.client.messageEdits(ch.id, m.seq);
    if (editsOf !== mine) return;
    if (!versions.length) {
      setText(status, 'This message was deleted: its versions are gone.');
      return;
    }
    setText(status, `${versions.length} versions, the original first.`);
    const last = versions.length - 1;
    list.replaceChildren(...versions.map((v, i) => h('li', { class: 'edit-version', dataset: { testid: 'edit-version', current: String(i === last) } },
      h('span', { class: 'edit-version-meta' }, i === last ? 'Current' : i === 0 ? 'Original' : `Edit ${i}`, ' · ',
        h('time', { datetime: new Date(v.at).toISOString() }, formatFull(v.at))),
      h('p', { class: 'edit-version-text', dataset: { testid: 'edit-version-text' } }, v.text))));
  } catch (e) {
    if (editsOf === mine && !isAuthError(e)) setText(status, changeErrorText(e));
  }
}

// -- notification level (the header's bell) --

const LEVELS = {
  all: { label: 'All messages', icon: 'i-bell' },
  mentions: { label: 'Mentions only', icon: 'i-at' },
  none: { label: 'Nothing (muted)', icon: 'i-bell-off' },
};
let notifyOpen = false;

function renderNotifyButton(ch) {
  const btn = $('#notify-button');
  btn.hidden = ch.left;
  const level = LEVELS[ch.notifications] ? ch.notifications : 'all';
  if (btn.dataset.level !== level) {
    btn.dataset.level = level;
    btn.replaceChildren(svgIcon(LEVELS[level].icon, 'icon'));
  }
  const label = `Notifications: ${LEVELS[level].label.toLowerCase()}`;
  btn.title = label;
  setAttr(btn, 'aria-label', label);
}

function openNotifyMenu() {
  const ch = session?.store.channels.get(activeId);
  if (!ch) return;
  closeMenu();
  const el = $('#notify-menu');
  const level = ch.notifications || 'all';
  el.replaceChildren(
    h('div', { class: 'menu-title' }, 'Notify me of'),
    ...Object.entries(LEVELS).map(([lv, { label, icon }]) => h('button', {
      type: 'button', role: 'menuitemradio', class: 'menu-item', 'aria-checked': String(lv === level),
      dataset: { testid: 'notify-option', level: lv }, onclick: () => chooseLevel(ch.id, lv),
    }, svgIcon(icon, 'menu-icon'), h('span', { class: 'grow' }, label), lv === level ? h('span', { class: 'menu-check', 'aria-hidden': 'true' }, '✓') : null)),
  );
  el.hidden = false;
  notifyOpen = true;
  const btn = $('#notify-button');
  btn.setAttribute('aria-expanded', 'true');
  const r = btn.getBoundingClientRect();
  el.style.left = `${Math.max(8, Math.min(window.innerWidth - el.offsetWidth - 8, r.right - el.offsetWidth))}px`;
  el.style.top = `${r.bottom + 4}px`;
  el.querySelector('[aria-checked="true"]')?.focus({ preventScroll: true });
}

function closeNotifyMenu({ focusBack = false } = {}) {
  if (!notifyOpen) return;
  notifyOpen = false;
  const el = $('#notify-menu');
  el.hidden = true;
  el.replaceChildren();
  $('#notify-button').setAttribute('aria-expanded', 'false');
  if (focusBack) $('#notify-button').focus();
}

function chooseLevel(id, level) {
  closeNotifyMenu({ focusBack: true });
  const ch = session.store.channels.get(id);
  if (!ch || ch.notifications === level) return;
  const told = { all: 'You get notified of every message', mentions: 'You get notified only when mentioned', none: 'Conversation muted' };
  changeAction(() => session.store.setNotifications(id, level), () => toast(told[level]));
}

function initNotifyMenu() {
  $('#notify-button').addEventListener('click', () => (notifyOpen ? closeNotifyMenu() : openNotifyMenu()));
  $('#notify-menu').addEventListener('keydown', (ev) => menuKeys(ev, $('#notify-menu'), closeNotifyMenu));
}

// -- a DM's header menu: block or unblock the other person, report them --

let peerOpen = false;

async function openPeerMenu() {
  const store = session?.store;
  const ch = store?.channels.get(activeId);
  if (!ch?.peer) return;
  closeMenu();
  closeNotifyMenu();
  if (!store.blocksLoaded) await store.loadBlocks().catch(() => {});
  const peer = ch.peer;
  const name = store.userName(peer);
  const blocked = store.blocked.has(peer);
  const item = (label, testid, fn, danger) => h('button', {
    type: 'button', role: 'menuitem', class: `menu-item${danger ? ' danger' : ''}`, dataset: { testid },
    onclick: () => { closePeerMenu({ focusBack: true }); fn(); },
  }, h('span', { class: 'menu-icon' }), label);
  const el = $('#peer-menu');
  el.replaceChildren(
    h('div', { class: 'menu-title' }, name),
    blocked
      ? item(`Unblock ${name}`, 'peer-unblock', () => changeAction(() => store.unblock(peer), () => toast(`${name} is unblocked`)))
      : item(`Block ${name}`, 'peer-block', () => {
        if (confirm(`Block ${name}? Neither of you can send messages here until you unblock them. They are not told.`)) {
          changeAction(() => store.block(peer), () => toast(`${name} is blocked`));
        }
      }, true),
    item(`Report ${name}`, 'peer-report', () => openReport({ user: peer }, `${name} (@${store.users.get(peer)?.username ?? ''})`), true),
  );
  el.hidden = false;
  peerOpen = true;
  const btn = $('#peer-button');
  btn.setAttribute('aria-expanded', 'true');
  const r = btn.getBoundingClientRect();
  el.style.left = `${Math.max(8, Math.min(window.innerWidth - el.offsetWidth - 8, r.right - el.offsetWidth))}px`;
  el.style.top = `${r.bottom + 4}px`;
  el.querySelector('[role="menuitem"]')?.focus({ preventScroll: true });
}

function closePeerMenu({ focusBack = false } = {}) {
  if (!peerOpen) return;
  peerOpen = false;
  const el = $('#peer-menu');
  el.hidden = true;
  el.replaceChildren();
  $('#peer-button').setAttribute('aria-expanded', 'false');
  if (focusBack) $('#peer-button').focus();
}

function initPeerMenu() {
  $('#peer-button').addEventListener('click', () => (peerOpen ? closePeerMenu() : openPeerMenu()));
  $('#peer-menu').addEventListener('keydown', (ev) => menuKeys(ev, $('#peer-menu'), closePeerMenu));
}

// -- reports: a message or a user, to the operators --

/** What the report dialog reports: {channel, seq} or {user}. */
let reporting = null;

function openReport(target, preview) {
  reporting = target;
  setText($('#report-title'), 'user' in target ? 'Report user' : 'Report message');
  setText($('#report-preview'), preview || '');
  $('#report-reason').value = 'spam';
  $('#report-note').value = '';
  setText($('#report-error'), '');
  $('#report-submit').disabled = false;
  openDialog($('#report-dialog'));
  $('#report-reason').focus();
}

function initReport() {
  const dialog = $('#report-dialog');
  dialog.addEventListener('close', () => {
    reporting = null;
  });
  $('#report-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (!reporting) return;
    const btn = $('#report-submit');
    btn.disabled = true;
    setText($('#report-error'), '');
    try {
      await session.store.report(reporting, $('#report-reason').value, $('#report-note').value.trim());
      dialog.close();
      toast('Thanks: your report was sent to the operators');
    } catch (e) {
      if (!isAuthError(e)) setText($('#report-error'), e.code === 'rate_limited' ? 'You have sent many reports: try again in a minute.' : errorText(e));
    } finally {
      btn.disabled = false;
    }
  });
}

// -- mentions: "@" in the composer suggests the conversation's members --

/** The open suggestion list: { start (of the "@"), end (the caret), users, index }. */
let mentionPick = null;

/** Who may be mentioned here (a group's other members, the DM peer), matching `q`, by username. */
function mentionCandidates(ch, q) {
  const store = session.store;
  if (ch.kind === 'group' && !ch.members) store.ensureMembers(ch.id).catch(() => {});
  const out = [];
  for (const id of store.others(ch)) {
    const u = store.users.get(id);
    if (!u) {
      store.ensureUser(id); // suggested once known
      continue;
    }
    if (u.deleted) continue; // a deleted account has no name to mention
    const words = u.display_name.toLowerCase().split(/\s+/);
    if (!q || u.username.toLowerCase().startsWith(q) || words.some((w) => w.startsWith(q))) out.push(u);
  }
  return out.sort((a, b) => a.username.localeCompare(b.username)).slice(0, 8);
}

/** Opens, updates or closes the list from the word before the caret ("@" and the start of a name). */
function updateMentionPick() {
  const input = $('#composer-input');
  const ch = activeId && session?.store.channels.get(activeId);
  const caret = input.selectionStart;
  const word = ch && !ch.left && caret === input.selectionEnd
    ? /(^|[^A-Za-z0-9_.@])@([A-Za-z0-9_.]{0,32})$/.exec(input.value.slice(0, caret))
    : null;
  const users = word ? mentionCandidates(ch, word[2].toLowerCase()) : [];
  if (!users.length) return closeMentionPick();
  const start = word.index + word[1].length;
  // The highlighted one stays highlighted while the list narrows.
  const kept = mentionPick?.start === start ? users.findIndex((u) => u.id === mentionPick.users[mentionPick.index]?.id) : -1;
  mentionPick = { start, end: caret, users, index: Math.max(0, kept) };
  renderMentionPick();
}

function renderMentionPick() {
  const list = $('#mention-list');
  const input = $('#composer-input');
  const { users, index } = mentionPick;
  list.replaceChildren(...users.map((u, i) => h('li', {
    id: `mention-opt-${i}`, role: 'option', class: 'mention-option', 'aria-selected': String(i === index),
    dataset: { testid: 'mention-option', username: u.username, userId: u.id },
    onmousedown: (ev) => ev.preventDefault(), // the composer keeps the focus
    onclick: () => chooseMention(i),
  }, avatar(u.display_name, u.id, { size: 'xs' }), h('span', { class: 'mention-name' }, u.display_name), h('span', { class: 'mention-username' }, `@${u.username}`))));
  list.hidden = false;
  input.setAttribute('aria-expanded', 'true');
  input.setAttribute('aria-activedescendant', `mention-opt-${index}`);
  list.children[index]?.scrollIntoView({ block: 'nearest' });
}

function closeMentionPick() {
  if (!mentionPick) return;
  mentionPick = null;
  const list = $('#mention-list');
  list.hidden = true;
  list.replaceChildren();
  const input = $('#composer-input');
  input.setAttribute('aria-expanded', 'false');
  input.removeAttribute('aria-activedescendant');
}

/** Puts "@username " in place of what was typed after the "@". */
function chooseMention(i) {
  const p = mentionPick;
  const u = p?.users[i];
  if (!u) return;
  const input = $('#composer-input');
  const insert = `@${u.username} `;
  const rest = input.value.slice(p.end).replace(/^ /, '');
  input.value = input.value.slice(0, p.start) + insert + rest;
  const caret = p.start + insert.length;
  input.setSelectionRange(caret, caret);
  closeMentionPick();
  autosize();
  updateComposer();
  input.focus();
}

/** The list's keys, before the composer's own (Enter picks rather than sends); true when handled. */
function mentionKeys(ev) {
  if (!mentionPick || ev.isComposing) return false;
  const n = mentionPick.users.length;
  if (ev.key === 'ArrowDown' || ev.key === 'ArrowUp') {
    mentionPick.index = (mentionPick.index + (ev.key === 'ArrowDown' ? 1 : n - 1)) % n;
    renderMentionPick();
  } else if ((ev.key === 'Enter' || ev.key === 'Tab') && !ev.shiftKey) {
    chooseMention(mentionPick.index);
  } else if (ev.key === 'Escape') {
    closeMentionPick();
  } else {
    return false;
  }
  ev.preventDefault();
  return true;
}

// ---- composer ----

function autosize() {
  const t = $('#composer-input');
  t.style.height = 'auto';
  t.style.height = `${Math.min(t.scrollHeight, 200)}px`;
}

function updateComposer() {
  const t = $('#composer-input');
  const n = charCount(t.value);
  const counter = $('#char-counter');
  const over = n > maxChars;
  if (n >= COUNTER_FROM) {
    counter.hidden = false;
    setText(counter, over ? `${formatNumber(n)} / ${formatNumber(maxChars)} · too long` : `${formatNumber(n)} / ${formatNumber(maxChars)}`);
  } else {
    counter.hidden = true;
    setText(counter, '');
  }
  counter.dataset.over = String(over);
  t.setAttribute('aria-invalid', String(over));
  const tray = activeId ? trays.get(activeId) || [] : [];
  const busy = tray.some((e) => !e.att); // uploading, or failed (retry or remove it)
  $('#send-button').disabled = over || busy || (t.value.trim() === '' && !tray.length);
  return { n, over, tray, busy };
}

function initComposer() {
  const form = $('#composer');
  const input = $('#composer-input');
  input.addEventListener('input', () => {
    autosize();
    updateComposer();
    updateMentionPick();
    if (input.value.trim() && activeId) session.store.userTyping(activeId);
  });
  // The caret moved without typing: the word before it may be another.
  input.addEventListener('click', () => updateMentionPick());
  input.addEventListener('keyup', (ev) => {
    if (['ArrowLeft', 'ArrowRight', 'Home', 'End'].includes(ev.key)) updateMentionPick();
  });
  input.addEventListener('blur', () => closeMentionPick());
  // Images (or files) pasted from the clipboard join the tray.
  input.addEventListener('paste', (ev) => {
    const files = [...(ev.clipboardData?.files || [])];
    if (!files.length) return;
    ev.preventDefault();
    addFiles(files);
  });
  input.addEventListener('keydown', (ev) => {
    if (mentionKeys(ev)) return;
    if (ev.key === 'Enter' && !ev.shiftKey && !ev.altKey && !ev.ctrlKey && !ev.metaKey && !ev.isComposing) {
      ev.preventDefault();
      form.requestSubmit();
    } else if (ev.key === 'Escape' && activeId && replying.has(activeId)) {
      ev.preventDefault();
      cancelReply();
    } else if (ev.key === 'ArrowUp' && input.value === '' && activeId) {
      // Up in an empty composer edits one's last message.
      const ch = session.store.channels.get(activeId);
      const last = ch && session.store.timeline(ch).list.filter((m) => m.sender === session.user.id && !m.system && !m.deleted).at(-1);
      if (last) {
        ev.preventDefault();
        startEdit(ch, last);
      }
    }
  });
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    if (!activeId) return;
    const { over, tray, busy } = updateComposer();
    const text = input.value;
    if (over || busy || (text.trim() === '' && !tray.length)) return;
    const attachments = tray.map((e) => e.att);
    session.store.send(activeId, text.trim() === '' ? '' : text, { replyTo: replying.get(activeId), attachments });
    clearTray(activeId);
    closeMentionPick();
    replying.delete(activeId);
    renderReplyBar();
    input.value = '';
    drafts.delete(activeId);
    autosize();
    updateComposer();
    input.focus();
  });
}

// ---- files: the tray above the composer, uploads, the viewer, voice messages ----

const MAX_FILES = 10; // per message (the server's limit)
/** Channel id → the files waiting to be sent: {key, file, name, size, sent, att, error, abort, preview}. */
const trays = new Map();
let trayKeys = 0;

/** Adds files to the open conversation's tray and starts uploading them at once. */
function addFiles(files) {
  if (!activeId || !session || $('#composer').hidden) return;
  const id = activeId;
  const tray = trays.get(id) || [];
  trays.set(id, tray);
  for (const file of files) {
    if (tray.length >= MAX_FILES) {
      toast(`Up to ${MAX_FILES} files per message.`, { error: true });
      break;
    }
    if (!file.size) {
      toast(`“${file.name}” is empty.`, { error: true });
      continue;
    }
    const e = { key: ++trayKeys, file, name: file.name || 'file', size: file.size, sent: 0, att: null, error: null, abort: new AbortController() };
    if ((file.type || '').startsWith('image/')) e.preview = URL.createObjectURL(file);
    tray.push(e);
    upload(id, e);
  }
  renderTray();
  updateComposer();
}

function upload(id, e) {
  e.error = null;
  session.store
    .upload(id, e.file, {
      signal: e.abort.signal,
      onProgress: ({ sent }) => {
        e.sent = sent;
        if (activeId === id) renderTray();
      },
    })
    .then(
      (att) => {
        e.att = att;
        e.sent = e.size;
      },
      (err) => {
        if (err?.code !== 'aborted') e.error = errorText(err);
      },
    )
    .finally(() => {
      if (activeId === id) {
        renderTray();
        updateComposer();
      }
    });
}

function removeFromTray(id, key) {
  const tray = trays.get(id) || [];
  const i = tray.findIndex((e) => e.key === key);
  if (i < 0) return;
  const [e] = tray.splice(i, 1);
  e.abort.abort();
  if (e.preview) URL.revokeObjectURL(e.preview);
  renderTray();
  updateComposer();
}

function clearTray(id) {
  for (const e of trays.get(id) || []) if (e.preview) URL.revokeObjectURL(e.preview);
  trays.delete(id);
  renderTray();
}

function renderTray() {
  const el = $('#file-tray');
  const tray = (activeId && trays.get(activeId)) || [];
  el.hidden = !tray.length || $('#composer').hidden;
  const id = activeId;
  el.replaceChildren(...tray.map((e) => {
    const pct = e.att ? 100 : Math.floor((100 * e.sent) / e.size);
    const state = e.att ? 'ready' : e.error ? 'failed' : 'uploading';
    const thumb = e.preview
      ? h('img', { class: 'tray-thumb', src: e.preview, alt: '' })
      : h('span', { class: 'tray-thumb tray-ext', 'aria-hidden': 'true' }, (/\.([a-z0-9]{1,4})$/i.exec(e.name)?.[1] || 'file').toUpperCase());
    const progress = h('progress', { class: 'tray-progress', max: '100', value: String(pct), dataset: { testid: 'upload-progress' }, 'aria-label': `${e.name}: ${pct}% sent` });
    const retry = e.error ? h('button', { type: 'button', class: 'link-btn', dataset: { testid: 'tray-retry' }, onclick: () => { upload(id, e); renderTray(); updateComposer(); } }, 'Retry') : null;
    return h('li', { class: 'tray-item', dataset: { testid: 'tray-item', state, percent: String(pct), name: e.name }, title: e.error || e.name },
      thumb,
      h('span', { class: 'tray-text' },
        h('span', { class: 'tray-name' }, e.name),
        h('span', { class: 'tray-size' }, e.error ? `Failed: ${e.error}` : humanSize(e.size)),
        progress, retry),
      h('button', { type: 'button', class: 'icon-btn tray-remove', dataset: { testid: 'tray-remove' }, 'aria-label': `Remove ${e.name}`, title: 'Remove', onclick: () => removeFromTray(id, e.key) },
        svgIcon('i-close', 'icon')));
  }));
}

/** The full image of a message in the viewer (its link; Escape or the button closes it). */
function openViewer(channel, seq, a, caption) {
  const d = $('#image-viewer');
  const img = $('#viewer-image');
  img.removeAttribute('src');
  img.alt = a.name;
  setText($('#viewer-caption'), caption || a.name);
  d.dataset.id = a.id;
  openDialog(d);
  session.store.attachmentUrl(channel, seq, a.id).then(
    (u) => {
      if (d.open && d.dataset.id === a.id) img.src = u;
    },
    (e) => toast(errorText(e), { error: true }),
  );
}

let recorder = null; // { rec, stream, chunks, started, timer }

/** Voice messages where the browser records (MediaRecorder): attached as a file, `audio/webm`. */
function initRecorder() {
  const btn = $('#record-button');
  const can = typeof window.MediaRecorder === 'function' && !!navigator.mediaDevices?.getUserMedia;
  btn.hidden = !can;
  if (!can) return;
  btn.addEventListener('click', () => (recorder ? stopRecording() : startRecording()));
}

async function startRecording() {
  const btn = $('#record-button');
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ audio: true });
  } catch (e) {
    toast(e?.name === 'NotAllowedError' ? 'The microphone is not allowed for this site.' : 'No microphone to record with.', { error: true });
    return;
  }
  const type = MediaRecorder.isTypeSupported?.('audio/webm;codecs=opus') ? 'audio/webm;codecs=opus' : MediaRecorder.isTypeSupported?.('audio/webm') ? 'audio/webm' : '';
  const rec = new MediaRecorder(stream, type ? { mimeType: type } : undefined);
  const r = { rec, stream, chunks: [], started: Date.now(), channel: activeId };
  recorder = r;
  rec.addEventListener('dataavailable', (ev) => {
    if (ev.data?.size) r.chunks.push(ev.data);
  });
  rec.addEventListener('stop', () => {
    for (const t of stream.getTracks()) t.stop();
    const blob = new Blob(r.chunks, { type: 'audio/webm' });
    const stamp = new Date(r.started).toISOString().slice(0, 19).replace(/[T:]/g, '-');
    if (blob.size && activeId === r.channel) addFiles([new File([blob], `voice-${stamp}.webm`, { type: 'audio/webm' })]);
  });
  rec.start(1000);
  btn.classList.add('recording');
  btn.setAttribute('aria-label', 'Stop recording');
  btn.title = 'Stop recording';
  btn.querySelector('use').setAttribute('href', '#i-stop');
  const status = $('#record-status');
  status.hidden = false;
  const tick = () => setText(status, `● ${Math.floor((Date.now() - r.started) / 60000)}:${String(Math.floor((Date.now() - r.started) / 1000) % 60).padStart(2, '0')}`);
  tick();
  r.timer = setInterval(tick, 500);
}

function stopRecording() {
  const r = recorder;
  if (!r) return;
  recorder = null;
  clearInterval(r.timer);
  if (r.rec.state !== 'inactive') r.rec.stop();
  const btn = $('#record-button');
  btn.classList.remove('recording');
  btn.setAttribute('aria-label', 'Record a voice message');
  btn.title = 'Record a voice message';
  btn.querySelector('use').setAttribute('href', '#i-mic');
  $('#record-status').hidden = true;
}

function initFiles() {
  const input = $('#file-input');
  $('#attach-button').addEventListener('click', () => input.click());
  input.addEventListener('change', () => {
    addFiles([...input.files]);
    input.value = '';
  });
  // Files dropped onto the conversation.
  const conv = $('#conversation');
  let depth = 0;
  const hasFiles = (ev) => [...(ev.dataTransfer?.types || [])].includes('Files');
  conv.addEventListener('dragenter', (ev) => {
    if (!hasFiles(ev) || !activeId) return;
    depth++;
    conv.classList.add('dropping');
  });
  conv.addEventListener('dragleave', () => {
    depth = Math.max(0, depth - 1);
    if (!depth) conv.classList.remove('dropping');
  });
  conv.addEventListener('dragover', (ev) => {
    if (hasFiles(ev) && activeId) ev.preventDefault();
  });
  conv.addEventListener('drop', (ev) => {
    depth = 0;
    conv.classList.remove('dropping');
    if (!hasFiles(ev) || !activeId) return;
    ev.preventDefault();
    addFiles([...ev.dataTransfer.files]);
  });
  $('#image-viewer').addEventListener('close', () => $('#viewer-image').removeAttribute('src'));
  initRecorder();
}

// ---- scroll: load older ----

function initScroll() {
  const scroller = $('#messages');
  scroller.addEventListener(
    'scroll',
    () => {
      if (!session || !activeId) return;
      if (scroller.scrollTop < 300) {
        session.store.loadOlder(activeId).catch((e) => !isAuthError(e) && toast(errorText(e), { error: true }));
      }
    },
    { passive: true },
  );
}

// ---- profile dialog ----

function openDialog(d) {
  if (!d.open) d.showModal();
}

function initDialogs() {
  for (const d of document.querySelectorAll('dialog')) {
    d.addEventListener('click', (ev) => {
      if (ev.target.closest('[data-close]')) d.close();
      else if (ev.target === d) d.close(); // backdrop
    });
  }
  $('#read-by-dialog').addEventListener('close', () => {
    readByOf = null;
  });
  $('#edits-dialog').addEventListener('close', () => {
    editsOf = null;
  });
}

async function renderPushStatus() {
  const status = $('#push-status');
  const btn = $('#push-button');
  const s = await pushState(session.client, DEVICE);
  status.dataset.state = s.state;
  btn.dataset.state = s.state;
  btn.disabled = ['unsupported', 'denied', 'unconfigured'].includes(s.state);
  setText(status, s.text);
  setText(btn, s.state === 'on' ? 'Turn off notifications' : 'Enable notifications');
}

function initProfile() {
  const dialog = $('#profile-dialog');
  $('#me-button').addEventListener('click', () => {
    const me = session.user;
    $('#profile-avatar').replaceChildren(avatar(me.display_name, me.id, { size: 'lg' }));
    setText($('#profile-name'), me.display_name);
    setText($('#profile-username'), me.username);
    $('#profile-display').value = me.display_name;
    $('#profile-status').value = me.status_text || '';
    setText($('#profile-error'), '');
    setText($('#device-id'), DEVICE);
    const receipts = $('#read-receipts');
    receipts.checked = session.user.settings?.read_receipts !== false;
    receipts.dataset.state = receipts.checked ? 'on' : 'off';
    renderPrivacy();
    openDialog(dialog);
    renderBlocked().catch(() => {});
    renderPushStatus().catch(() => {});
    renderExport(false).catch(() => {});
  });
  $('#export-button').addEventListener('click', () => renderExport(true).catch(() => {}));
  $('#profile-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const display_name = $('#profile-display').value.trim();
    const status_text = $('#profile-status').value.trim();
    if (!display_name) return setText($('#profile-error'), 'Enter a display name.');
    try {
      const me = await session.client.updateMe({ display_name, status_text });
      Object.assign(session.user, me);
      localStorage.setItem(LS.user, JSON.stringify(session.user));
      renderMe();
      invalidate('user', me.id);
      dialog.close();
      toast('Profile saved');
    } catch (e) {
      setText($('#profile-error'), errorText(e));
    }
  });
  $('#push-button').addEventListener('click', async () => {
    const btn = $('#push-button');
    btn.disabled = true;
    try {
      if (btn.dataset.state === 'on') {
        await disablePush(session.client, DEVICE);
        toast('Notifications turned off');
      } else {
        await enablePush(session.client, DEVICE);
        toast('Notifications are on for this browser');
      }
    } catch (e) {
      toast(e.message || 'Could not change notifications', { error: true });
    } finally {
      await renderPushStatus().catch(() => {});
    }
  });
  $('#read-receipts').addEventListener('change', async () => {
    const box = $('#read-receipts');
    const on = box.checked;
    box.disabled = true;
    setText($('#profile-error'), '');
    try {
      const me = await session.store.setReadReceipts(on);
      Object.assign(session.user, me);
      localStorage.setItem(LS.user, JSON.stringify(session.user));
      box.dataset.state = on ? 'on' : 'off';
      toast(on ? 'Read receipts on' : 'Read receipts off');
    } catch (e) {
      box.checked = !on;
      if (!isAuthError(e)) setText($('#profile-error'), errorText(e));
    } finally {
      box.disabled = false;
    }
  });
  for (const sel of document.querySelectorAll('#profile-dialog select[data-setting]')) {
    sel.addEventListener('change', async () => {
      const setting = sel.dataset.setting;
      sel.disabled = true;
      setText($('#profile-error'), '');
      try {
        const me = await session.store.setPrivacy({ [setting]: sel.value });
        Object.assign(session.user, me);
        localStorage.setItem(LS.user, JSON.stringify(session.user));
        toast('Privacy setting saved');
      } catch (e) {
        if (!isAuthError(e)) setText($('#profile-error'), errorText(e));
      } finally {
        sel.disabled = false;
        renderPrivacy();
      }
    });
  }
  $('#logout-button').addEventListener('click', () => signOut());
  initSessions();
  initDeleteAccount();
}

/** The privacy selects, from the profile's settings (absent: the server's defaults). */
const PRIVACY_DEFAULTS = { who_can_message: 'everyone', who_can_add: 'contacts', who_sees_presence: 'contacts' };
function renderPrivacy() {
  const settings = session.user.settings || {};
  for (const sel of document.querySelectorAll('#profile-dialog select[data-setting]')) {
    sel.value = settings[sel.dataset.setting] || PRIVACY_DEFAULTS[sel.dataset.setting];
  }
}

/** The profile dialog's "Blocked users", each with Unblock. */
async function renderBlocked() {
  const s = session;
  const status = $('#blocked-status');
  let list;
  try {
    list = await s.store.loadBlocks();
  } catch (e) {
    if (session === s && !isAuthError(e)) setText(status, errorText(e));
    return;
  }
  if (session !== s) return;
  setText(status, list.length ? '' : 'You block nobody.');
  $('#blocked-list').replaceChildren(
    ...list.map((u) => h('li', { class: 'member', dataset: { testid: 'blocked-user', userId: u.id, username: u.username } },
      h('span', { class: 'avatar-wrap' }, avatar(displayName(u), u.id, { size: 'sm' })),
      h('span', { class: 'person-body' },
        h('span', { class: 'person-name' }, displayName(u)),
        h('span', { class: 'person-sub' }, u.deleted ? '' : `@${u.username}`)),
      h('span', { class: 'member-actions' },
        h('button', { type: 'button', class: 'btn btn-small', dataset: { testid: 'blocked-unblock' }, 'aria-label': `Unblock ${displayName(u)}`,
          onclick: () => changeAction(() => s.store.unblock(u.id), () => {
            toast(`${displayName(u)} is unblocked`);
            renderBlocked().catch(() => {});
          }) }, 'Unblock')))),
  );
}

/**
 * The profile dialog's "Your data": `start` asks for an export; then (or when the
 * dialog opens on one made earlier) its progress, polled until ready (a download
 * link) or failed, while the dialog is open.
 */
let exportPoll = null;
async function renderExport(start) {
  const s = session;
  const status = $('#export-status');
  const link = $('#export-link');
  const btn = $('#export-button');
  clearTimeout(exportPoll);
  let st;
  try {
    if (start) {
      btn.disabled = true;
      st = await s.client.startExport();
    } else {
      st = await s.client.exportStatus();
    }
  } catch (e) {
    if (session !== s) return;
    btn.disabled = false;
    link.hidden = true;
    if (!start && e.code === 'not_found') setText(status, '');
    else if (!isAuthError(e)) setText(status, errorText(e));
    return;
  }
  if (session !== s) return;
  status.dataset.state = st.state;
  if (st.state === 'ready' && st.url) {
    link.href = new URL(st.url, location.href).href;
    link.hidden = false;
    btn.hidden = true;
    setText(status, `Ready: ${st.channels_total} conversation${st.channels_total === 1 ? '' : 's'}, ${humanSize(st.bytes)}`);
  } else if (st.state === 'failed') {
    link.hidden = true;
    btn.hidden = false;
    btn.disabled = false;
    setText(status, 'The export stopped. Try again.');
  } else {
    link.hidden = true;
    btn.hidden = false;
    btn.disabled = true;
    setText(status, `Exporting… ${st.channels_done} of ${st.channels_total} conversations`);
    if ($('#profile-dialog').open) exportPoll = setTimeout(() => renderExport(false).catch(() => {}), 1000);
  }
}

// ---- sessions and password (in the profile dialog) ----

/** "Chrome on Linux" from a User-Agent; other agents (an SDK, a CLI) as they are. */
function agentLabel(ua) {
  if (!ua) return 'Unknown device';
  const browser = /Edg\//.test(ua) ? 'Edge' : /OPR\//.test(ua) ? 'Opera' : /Firefox\//.test(ua) ? 'Firefox'
    : /Chrom(e|ium)\//.test(ua) ? 'Chrome' : /Safari\//.test(ua) ? 'Safari' : null;
  const os = /Android/.test(ua) ? 'Android' : /iPhone|iPad|iPod/.test(ua) ? 'iOS' : /Windows/.test(ua) ? 'Windows'
    : /Mac OS X|Macintosh/.test(ua) ? 'macOS' : /CrOS/.test(ua) ? 'ChromeOS' : /Linux/.test(ua) ? 'Linux' : null;
  if (browser) return os ? `${browser} on ${os}` : browser;
  return ua.length > 60 ? `${ua.slice(0, 57)}…` : ua;
}

async function renderSessions() {
  const s = session;
  if (!s) return;
  const status = $('#sessions-status');
  if (!$('#sessions-list').children.length) setText(status, 'Loading…');
  let list;
  try {
    list = await s.client.sessions();
  } catch (e) {
    if (session === s && !isAuthError(e)) setText(status, errorText(e));
    return;
  }
  if (session !== s) return;
  setText(status, list.length ? '' : 'No sessions.');
  // This device first, then the others as the server orders them (newest first).
  list.sort((a, b) => Number(b.current) - Number(a.current));
  $('#sessions-list').replaceChildren(
    ...list.map((x) => {
      const label = agentLabel(x.agent);
      const sub = x.current ? 'Active now' : formatLastSeen(x.last_used_at, 'Last used');
      return h('li', { class: 'member', dataset: { testid: 'session-item', sessionId: x.id, current: String(x.current) } },
        h('span', { class: 'session-icon', 'aria-hidden': 'true' }, svgIcon('i-device', 'icon')),
        h('span', { class: 'person-body' },
          h('span', { class: 'person-name', title: x.agent || '' },
            h('span', { dataset: { testid: 'session-agent' } }, label),
            x.current ? h('span', { class: 'role-tag', dataset: { testid: 'session-this-device' } }, 'This device') : null),
          h('span', { class: 'person-sub', dataset: { testid: 'session-last-used' } }, sub)),
        x.current ? null : h('span', { class: 'member-actions' },
          h('button', { type: 'button', class: 'btn btn-small btn-danger-ghost', dataset: { testid: 'session-end' },
            'aria-label': `End the session on ${label}`, onclick: (ev) => endSession(x.id, ev.currentTarget) }, 'End')));
    }),
  );
}

async function endSession(id, btn) {
  btn.disabled = true;
  try {
    await session.client.endSession(id);
    toast('Session ended');
  } catch (e) {
    // Already gone (ended elsewhere, expired): the list shows what is left.
    if (e.code !== 'not_found' && !isAuthError(e)) toast(errorText(e), { error: true });
  }
  await renderSessions();
}

function initSessions() {
  $('#me-button').addEventListener('click', () => {
    $('#sessions-list').replaceChildren();
    $('#password-current').value = '';
    $('#password-new').value = '';
    $('#password-username').value = session.user.username;
    setText($('#password-error'), '');
    $('#delete-account-password').value = '';
    $('#delete-account-username').value = session.user.username;
    setText($('#delete-account-error'), '');
    renderSessions();
  });
  $('#logout-everywhere').addEventListener('click', async () => {
    if (!confirm('Log out everywhere? Every device, this one included, will need to log in again.')) return;
    const s = session;
    const btn = $('#logout-everywhere');
    btn.disabled = true;
    try {
      await disablePush(s.client, DEVICE).catch(() => {});
      await s.client.logoutEverywhere();
      await signOut({ message: 'You were logged out everywhere.', keepPush: true });
    } catch (e) {
      if (!isAuthError(e)) toast(errorText(e), { error: true });
    } finally {
      btn.disabled = false;
    }
  });
  $('#password-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const current = $('#password-current').value;
    const next = $('#password-new').value;
    const error = $('#password-error');
    setText(error, '');
    if (!current) return setText(error, 'Enter your current password.');
    if (next.length < 8) return setText(error, 'Passwords have at least 8 characters.');
    const s = session;
    const btn = $('#password-save');
    btn.disabled = true;
    try {
      const r = await s.client.changePassword(current, next);
      if (session !== s) return;
      // The new token: the SDK keeps it (and reconnects with it); so does this page.
      s.token = r.token;
      localStorage.setItem(LS.token, r.token);
      $('#password-current').value = '';
      $('#password-new').value = '';
      toast('Password changed. Your other devices were logged out.');
      renderSessions();
    } catch (e) {
      if (e.code === 'invalid_credentials') setText(error, 'The current password is wrong.');
      else if (!isAuthError(e)) setText(error, errorText(e));
    } finally {
      btn.disabled = false;
    }
  });
}

/** The profile dialog's "Delete account": the password again, a confirmation, then the login screen. */
function initDeleteAccount() {
  $('#delete-account-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const password = $('#delete-account-password').value;
    const error = $('#delete-account-error');
    setText(error, '');
    if (!password) return setText(error, 'Enter your password.');
    if (!confirm('Delete your account? Your profile and every message you sent are erased for everyone, and every device is logged out. This cannot be undone.')) return;
    const s = session;
    const btn = $('#delete-account-button');
    btn.disabled = true;
    try {
      // Every session ends (the SDK forgets this one's token and what it kept).
      await s.client.deleteAccount(password);
      $('#delete-account-password').value = '';
      // The account's push registrations went with it; signOut drops this browser's subscription.
      await signOut({ message: 'Your account was deleted.' });
    } catch (e) {
      if (session !== s) return;
      if (e.code === 'invalid_credentials') setText(error, 'The password is wrong.');
      else if (!isAuthError(e)) setText(error, errorText(e));
    } finally {
      btn.disabled = false;
    }
  });
}

// ---- new group dialog ----

function initNewGroup() {
  const dialog = $('#group-dialog');
  let picked = new Map();
  const renderChips = () => {
    $('#group-chips').replaceChildren(
      ...[...picked.values()].map((u) =>
        h('li', { class: 'chip', dataset: { testid: 'group-chip', userId: u.id } },
          avatar(u.display_name, u.id, { size: 'xs' }),
          h('span', {}, u.display_name),
          h('button', { type: 'button', class: 'chip-x', 'aria-label': `Remove ${u.display_name}`, onclick: () => { picked.delete(u.id); renderChips(); } }, '×'))),
    );
  };
  $('#new-group-button').addEventListener('click', () => {
    picked = new Map();
    $('#group-name').value = '';
    $('#group-search').value = '';
    $('#group-results').replaceChildren();
    setText($('#group-error'), '');
    renderChips();
    openDialog(dialog);
    $('#group-name').focus();
  });
  let seq = 0;
  $('#group-search').addEventListener(
    'input',
    debounce(async () => {
      const q = $('#group-search').value.trim();
      const my = ++seq;
      if (!q) return $('#group-results').replaceChildren();
      try {
        const users = await searchPeople(q);
        if (my !== seq) return;
        $('#group-results').replaceChildren(
          ...users.map((u) =>
            personRow(u, {
              testid: 'group-candidate',
              label: picked.has(u.id) ? 'Added' : 'Add',
              action: () => {
                picked.set(u.id, u);
                renderChips();
                $('#group-search').value = '';
                $('#group-results').replaceChildren();
                $('#group-search').focus();
              },
            }),
          ),
        );
      } catch (e) {
        setText($('#group-error'), errorText(e));
      }
    }, 200),
  );
  $('#group-search').addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter') {
      ev.preventDefault(); // Enter picks the first result rather than submitting
      $('#group-results button')?.click();
    }
  });
  $('#group-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const name = $('#group-name').value.trim();
    if (!name) return setText($('#group-error'), 'Give the group a name.');
    const btn = $('[data-testid="group-create"]');
    btn.disabled = true;
    try {
      const g = await session.client.createGroup(name, [...picked.keys()]);
      session.store.addChannel(g);
      dialog.close();
      navigateTo(g.id);
    } catch (e) {
      setText($('#group-error'), errorText(e));
    } finally {
      btn.disabled = false;
    }
  });
}

// ---- group info dialog ----

function renderGroupInfo() {
  const store = session.store;
  const ch = store.channels.get(activeId);
  if (!ch) return;
  const role = store.myRole(ch);
  const canManage = role === 'owner' || role === 'admin';
  setText($('#info-title'), ch.name || 'Group');
  $('#rename-form').hidden = !canManage;
  $('#add-members').hidden = !canManage;
  $('#invites').hidden = !canManage;
  renderRetention(ch, canManage);
  const members = [...(ch.members || [])].sort((a, b) => {
    const rank = { owner: 0, admin: 1, member: 2 };
    return rank[a.role] - rank[b.role] || store.userName(a.user).localeCompare(store.userName(b.user));
  });
  setText($('#info-members-title'), `${members.length} member${members.length === 1 ? '' : 's'}`);
  $('#info-members').replaceChildren(
    ...members.map((m) => {
      const u = store.users.get(m.user);
      const name = m.user === store.me.id ? `${store.me.display_name} (you)` : store.userName(m.user);
      const p = store.presence.get(m.user);
      const online = m.user === store.me.id || !!p?.online;
      const sub = m.user === store.me.id ? 'online' : p?.online ? 'online' : p ? formatLastSeen(p.last_seen) : u && !u.deleted ? `@${u.username}` : '';
      const actions = [];
      const mayRemove = m.user !== store.me.id && m.role !== 'owner' && (role === 'owner' || (role === 'admin' && m.role === 'member'));
      if (role === 'owner' && m.user !== store.me.id) {
        actions.push(
          h('button', { type: 'button', class: 'btn btn-small', dataset: { testid: 'member-role' },
            onclick: () => groupAction(() => session.client.setRole(ch.id, m.user, m.role === 'admin' ? 'member' : 'admin')) },
          m.role === 'admin' ? 'Make member' : 'Make admin'),
        );
      }
      const mutedUntil = store.mutedUntil(ch, m.user);
      if (mayRemove) {
        // Moderation follows the removal rules: the owner acts on anyone else, admins on members.
        if (mutedUntil) {
          actions.push(h('button', { type: 'button', class: 'btn btn-small', dataset: { testid: 'member-unmute' }, 'aria-label': `Unmute ${name}`,
            onclick: () => groupAction(() => session.client.unmuteMember(ch.id, m.user)) }, 'Unmute'));
        } else {
          actions.push(h('select', { class: 'member-mute', dataset: { testid: 'member-mute' }, 'aria-label': `Mute ${name}`,
            onchange: (ev) => {
              const minutes = Number(ev.target.value);
              ev.target.value = '';
              if (minutes) groupAction(() => session.client.muteMember(ch.id, m.user, minutes));
            } },
          h('option', { value: '' }, 'Mute…'),
          ...MUTE_CHOICES.map(([label, minutes]) => h('option', { value: String(minutes) }, label))));
        }
        actions.push(
          h('button', { type: 'button', class: 'btn btn-small btn-danger-ghost', dataset: { testid: 'member-remove' }, 'aria-label': `Remove ${name}`,
            onclick: () => groupAction(() => session.client.removeMember(ch.id, m.user)) }, 'Remove'),
          h('button', { type: 'button', class: 'btn btn-small btn-danger-ghost', dataset: { testid: 'member-ban' }, 'aria-label': `Ban ${name}`,
            onclick: () => {
              if (confirm(`Ban ${name}? They are removed and nobody can add them again.`)) groupAction(() => session.client.ban(ch.id, m.user));
            } }, 'Ban'),
        );
      }
      return h('li', { class: 'member', dataset: { testid: 'group-member', userId: m.user, role: m.role, muted: String(!!mutedUntil) } },
        h('span', { class: 'avatar-wrap' }, avatar(displayName(u) || name, m.user, { size: 'sm' }), presenceDot(online ? 'online' : 'offline')),
        h('span', { class: 'person-body' },
          h('span', { class: 'person-name' }, name, m.role !== 'member' ? h('span', { class: 'role-tag' }, m.role) : null,
            mutedUntil ? h('span', { class: 'muted-tag', title: `Muted until ${new Date(mutedUntil).toLocaleString()}` }, 'muted') : null),
          h('span', { class: 'person-sub' }, sub)),
        h('span', { class: 'member-actions' }, actions));
    }),
  );
}

/**
 * The group info's "Keep messages for": a choice for the owner and admins (a limit
 * set elsewhere that the menu does not offer shows as one more choice), a line for
 * members when a limit is set.
 */
function renderRetention(ch, canManage) {
  const secs = ch.max_age_secs || 0;
  const select = $('#retention-select');
  $('#retention').hidden = !canManage;
  if (canManage && !select.disabled) {
    const choices = RETENTION_CHOICES.some(([, v]) => v === secs) ? RETENTION_CHOICES : [...RETENTION_CHOICES, [retentionLength(secs), secs]];
    select.replaceChildren(...choices.map(([label, v]) => h('option', { value: String(v) }, label)));
    select.value = String(secs);
  }
  const note = $('#retention-note');
  note.hidden = canManage || !secs;
  setText(note, secs ? `Messages are removed after ${retentionLength(secs)}.` : '');
}

/** The link that opens the app and joins with an invite's code. */
function inviteLink(code) {
  return `${location.origin}${location.pathname}#join=${code}`;
}

async function copyText(text, done) {
  try {
    await navigator.clipboard.writeText(text);
    toast(done);
  } catch {
    /* no clipboard (http, permissions): the link is shown to copy by hand */
  }
}

/** The group info's open invite links, each with Copy and Revoke. */
async function renderInvites() {
  const s = session;
  const group = activeId;
  const status = $('#invites-status');
  let list;
  try {
    list = await s.client.invites(group);
  } catch (e) {
    if (session === s && !isAuthError(e)) setText(status, errorText(e));
    return;
  }
  if (session !== s || activeId !== group) return;
  setText(status, list.length ? '' : 'No open invite links.');
  $('#invite-list').replaceChildren(
    ...list.map((inv) => {
      const link = inviteLink(inv.code);
      const uses = inv.max_uses ? `${inv.uses} of ${inv.max_uses} uses` : `${inv.uses} use${inv.uses === 1 ? '' : 's'}`;
      return h('li', { class: 'member', dataset: { testid: 'invite', code: inv.code } },
        h('span', { class: 'person-body' },
          h('input', { class: 'invite-code', readonly: '', value: link, 'aria-label': 'Invite link', dataset: { testid: 'invite-link' },
            onfocus: (ev) => ev.target.select() }),
          h('span', { class: 'person-sub' }, `${uses} · until ${new Date(inv.expires_at).toLocaleString()}`)),
        h('span', { class: 'member-actions' },
          h('button', { type: 'button', class: 'btn btn-small', dataset: { testid: 'invite-copy' }, onclick: () => copyText(link, 'Invite link copied') }, 'Copy'),
          h('button', { type: 'button', class: 'btn btn-small btn-danger-ghost', dataset: { testid: 'invite-revoke' },
            onclick: async () => {
              try {
                await s.client.revokeInvite(group, inv.code);
                toast('Invite link revoked');
              } catch (e) {
                setText($('#info-error'), errorText(e));
              }
              renderInvites().catch(() => {});
            } }, 'Revoke')));
    }),
  );
}

/** What the member list's Mute offers (label, minutes). */
const MUTE_CHOICES = [['1 h', 60], ['8 h', 480], ['24 h', 1440], ['1 week', 10080]];

/** Runs a group change, then shows the members again; `refused(e)` may show a refusal its own way (true). */
async function groupAction(fn, { refused } = {}) {
  setText($('#info-error'), '');
  $('#info-request').hidden = true;
  try {
    await fn();
    await session.store.ensureMembers(activeId, { force: true });
    renderGroupInfo();
  } catch (e) {
    if (!refused?.(e)) setText($('#info-error'), errorText(e));
  }
}

/** The group info dialog's "Send a request" for someone whose settings refused the addition. */
let groupRequestFor = null;
function offerGroupRequest(u, group) {
  groupRequestFor = { u, group };
  setText($('#info-request-text'), `${displayName(u)} does not accept group additions from you. Ask them to join?`);
  const btn = $('#info-request-send');
  btn.hidden = false;
  btn.disabled = false;
  $('#info-request').hidden = false;
  return true;
}

function initGroupInfo() {
  const dialog = $('#info-dialog');
  $('#info-button').addEventListener('click', async () => {
    const ch = session.store.channels.get(activeId);
    if (!ch) return;
    $('#rename-input').value = ch.name || '';
    $('#add-search').value = '';
    $('#add-results').replaceChildren();
    setText($('#info-error'), '');
    $('#info-request').hidden = true;
    groupRequestFor = null;
    $('#invite-list').replaceChildren();
    setText($('#invites-status'), '');
    renderGroupInfo();
    openDialog(dialog);
    session.store.loadRetention(ch.id).catch((e) => !isAuthError(e) && setText($('#info-error'), errorText(e)));
    try {
      await session.store.ensureMembers(activeId, { force: true });
      renderGroupInfo();
    } catch (e) {
      setText($('#info-error'), errorText(e));
    }
    if (!$('#invites').hidden) renderInvites().catch(() => {});
  });
  $('#invite-create').addEventListener('click', async () => {
    const btn = $('#invite-create');
    const group = activeId;
    btn.disabled = true;
    setText($('#info-error'), '');
    try {
      const inv = await session.client.createInvite(group, Number($('#invite-minutes').value), Number($('#invite-uses').value));
      await copyText(inviteLink(inv.code), 'Invite link copied');
      await renderInvites();
    } catch (e) {
      setText($('#info-error'), errorText(e));
    } finally {
      btn.disabled = false;
    }
  });
  $('#retention-select').addEventListener('change', async (ev) => {
    const select = ev.target;
    const secs = Number(select.value);
    select.disabled = true;
    try {
      await groupAction(() => session.store.setRetention(activeId, secs));
    } finally {
      select.disabled = false;
      renderGroupInfo(); // a refusal puts the choice back
    }
  });
  $('#rename-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const name = $('#rename-input').value.trim();
    if (!name) return;
    await groupAction(async () => {
      const g = await session.client.renameGroup(activeId, name);
      const ch = session.store.channels.get(activeId);
      if (ch) ch.name = g.name;
      invalidate('channels');
    });
  });
  let seq = 0;
  $('#add-search').addEventListener(
    'input',
    debounce(async () => {
      const q = $('#add-search').value.trim();
      const my = ++seq;
      if (!q) return $('#add-results').replaceChildren();
      try {
        const users = await searchPeople(q);
        if (my !== seq) return;
        const ch = session.store.channels.get(activeId);
        const inGroup = new Set((ch?.members || []).map((m) => m.user));
        $('#add-results').replaceChildren(
          ...users.filter((u) => !inGroup.has(u.id)).map((u) =>
            personRow(u, {
              testid: 'add-candidate',
              label: 'Add',
              action: async () => {
                const group = activeId;
                await groupAction(() => session.client.addMembers(group, [u.id]), {
                  // Their privacy settings refuse the addition: offer a request to join.
                  refused: (e) => e.code === 'forbidden' && offerGroupRequest(u, group),
                });
                $('#add-search').value = '';
                $('#add-results').replaceChildren();
              },
            }),
          ),
        );
      } catch (e) {
        setText($('#info-error'), errorText(e));
      }
    }, 200),
  );
  $('#info-request-send').addEventListener('click', async () => {
    const offer = groupRequestFor;
    if (!offer) return;
    const btn = $('#info-request-send');
    btn.disabled = true;
    try {
      await session.store.requestChat(offer.u.id, offer.group);
      if (groupRequestFor !== offer) return;
      setText($('#info-request-text'), `Request sent: ${displayName(offer.u)} can accept it to join.`);
      btn.hidden = true;
    } catch (e) {
      btn.disabled = false;
      if (!isAuthError(e) && groupRequestFor === offer) setText($('#info-request-text'), requestErrorText(e, offer.u));
    }
  });
  $('#leave-button').addEventListener('click', async () => {
    const ch = session.store.channels.get(activeId);
    if (!ch || !confirm(`Leave “${ch.name}”? You will stop getting its messages.`)) return;
    try {
      await session.client.leaveGroup(ch.id);
      ch.left = true;
      dialog.close();
      invalidate('channels');
      goBack();
      toast(`You left “${ch.name}”`);
    } catch (e) {
      setText($('#info-error'), errorText(e));
    }
  });
}

// ---- service worker ----

function initServiceWorker() {
  if (!('serviceWorker' in navigator)) return;
  navigator.serviceWorker.register('sw.js', { scope: './' }).catch((e) => console.warn('service worker', e));
  navigator.serviceWorker.addEventListener('message', (ev) => {
    if (ev.data?.type === 'open-channel' && ev.data.channel && session) navigateTo(String(ev.data.channel));
  });
}

// ---- boot ----

function init() {
  initAuth();
  initPeopleSearch();
  initComposer();
  initScroll();
  initDialogs();
  initProfile();
  initNewGroup();
  initGroupInfo();
  initJoin();
  initRequests();
  initServiceWorker();
  initMessageActions();
  initNotifyMenu();
  initPeerMenu();
  initReport();
  initFiles();
  $('#back-button').addEventListener('click', goBack);
  $('#conn-retry').addEventListener('click', () => session?.client.retryNow());
  // What only the browser knows, told to the client: the network is back (connect
  // now, not after the backoff), gone (drop the socket now, not after the heartbeat
  // misses three pings), or the page is shown again.
  window.addEventListener('online', () => session?.client.retryNow());
  window.addEventListener('offline', () => {
    session?.client.dropConnection();
    if (session) renderConn();
  });
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') session?.client.retryNow();
  });
  window.addEventListener('popstate', () => routeFromHash());
  window.addEventListener('hashchange', () => {
    if (location.hash.startsWith('#join=')) joinFromHash();
    else routeFromHash();
  });
  window.addEventListener('focus', maybeMarkRead);
  document.addEventListener('visibilitychange', maybeMarkRead);
  // A clean close on leaving tells the server at once that this device is gone.
  window.addEventListener('pagehide', () => session?.client.disconnect());
  window.addEventListener('pageshow', (ev) => {
    if (ev.persisted && session) session.client.connect().catch(() => {});
  });
  // Relative times ("last seen 5 min ago") age.
  setInterval(() => session && activeId && renderConvHeader(), 30000);

  takeJoinHash(); // kept through the login page
  const token = localStorage.getItem(LS.token);
  let user = null;
  try {
    user = JSON.parse(localStorage.getItem(LS.user) || 'null');
  } catch {
    user = null;
  }
  if (token && user?.id) {
    startSession(newClient(token), token, user);
  } else {
    setAuthMode('login');
    showView('auth');
  }
}

init();
