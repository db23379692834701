// The web app's UI state: the channel list as it is shown, the loaded window of
// messages of each conversation (by channel and seq), sends as they show (pending,
// delivered, failed), users, presence and typing. The protocol is the SDK's
// (/sdk/index.js): its NatterClient connects, dedupes and fills gaps, acks, keeps the
// outbox and retries; this listens to its events and calls `onChange(kind, id)` so
// the UI re-renders what changed. Changes to earlier messages (edits, deletions,
// reactions, pins) are applied to the messages they target with the SDK's
// applyChange, never shown as messages. Receipts (how far the other members got)
// are kept per channel for the ticks on one's own messages, mentions of the user
// for the channel list's badge. No DOM here.

import {
  newClientMsgId, applyChange, changeTarget, isChange as isChangeToMessage, isAttachmentProcessed, isAccountDeleted, deletedAccount,
  hiddenPlaceholder, memberMute, removedMember, retentionChange,
} from '/sdk/index.js';

/** How the UI names a deleted account (its profile keeps no name). */
export const DELETED_ACCOUNT = 'Deleted account';

/** A profile's name as shown: "Deleted account" once the account is deleted. */
export const displayName = (u) => (u?.deleted ? DELETED_ACCOUNT : u?.display_name || '');

/** A change event: to a message (edit, reaction, …) or to a file (`attachment_processed`); applied, never shown. */
const isChange = (m) => isChangeToMessage(m) || isAttachmentProcessed(m);

const PAGE = 50;
const TYPING_SHOW_MS = 5000;
const MAX_WATCHED = 500;

export const isAuthError = (e) => e?.code === 'token_invalid' || e?.code === 'token_expired' || e?.code === 'token_revoked';

/** Whether a message counts as unread: change events and what the user hid do not. */
const counts = (m) => !isChange(m) && !m.hidden;

/** Whether a message shows in the timeline (change events are applied, hidden ones gone). */
export const shows = (m) => !isChange(m) && !m.hidden;

export class Store {
  /** client: a NatterClient; me: the user's profile. */
  constructor({ client, me, onChange }) {
    this.client = client;
    this.me = me;
    this.onChange = onChange || (() => {});
    /** id -> channel */
    this.channels = new Map();
    /** id -> profile (display_name, username, …) */
    this.users = new Map();
    this.userLoads = new Map();
    /** id -> the display name a deleted account had, when this page knew it. */
    this.formerNames = new Map();
    /** user id -> {online, last_seen, changed_at} */
    this.presence = new Map();
    /** channel id -> Map(user id -> expires at) */
    this.typing = new Map();
    this.channelsLoaded = false;
    this.watched = new Set();
    this.activeId = null;
    this.refreshTimer = null;
    /** Users the user blocks (ids), once loaded (`loadBlocks`). */
    this.blocked = new Set();
    this.blocksLoaded = false;
    /** Chat requests waiting for the user (id -> request), newest first once sorted (`requestList`). */
    this.requests = new Map();
    this.requestsLoaded = false;
    this.users.set(me.id, me);
    this.offs = [
      client.on('message', (m) => this._onMessage(m)),
      client.on('ack', (a) => this._onAck(a)),
      client.on('send_error', (e) => this._onSendError(e)),
      client.on('read', (r) => this._onRead(r)),
      client.on('typing', (t) => this._onTyping(t)),
      client.on('presence', (p) => this._applyPresence(p)),
      client.on('synced', () => this._onSynced()),
      client.on('hidden', (x) => this._onHidden(x)),
      client.on('receipt', (r) => this._onReceipt(r)),
      client.on('chat_request', (r) => this._onChatRequest(r)),
      // Requests made while this client was offline come from the list, not the catch-up.
      client.on('synced', () => this.loadRequests().catch((e) => !isAuthError(e) && e.code !== 'network' && console.warn('requests', e))),
      client.on('error', (e) => console.warn('server error', e.code, e.message)),
    ];
  }

  /** Stops listening to the client (sign-out). */
  detach() {
    for (const off of this.offs) off();
    clearTimeout(this.refreshTimer);
  }

  emit(kind, id) {
    this.onChange(kind, id);
  }

  // ---- the last state, before the connection ----

  /**
   * Draws from the SDK's cache (`client.cached()`) and its outbox: the channel list,
   * the conversations last opened, and the sends still waiting from before a reload.
   */
  seed(cached) {
    if (cached && cached.userId === this.me.id) {
      for (const s of cached.channels) this._mergeSummary(s);
      for (const [id, msgs] of Object.entries(cached.messages)) {
        const ch = this._channel(id);
        if (ch.history !== 'none' || msgs.length === 0) continue;
        for (const m of msgs) this._insert(ch, m);
        ch.history = 'cached'; // shown now; the latest page replaces it when opened
        ch.hasOlder = msgs[0].seq > 1;
      }
      this.watchPresence(this._interestingUsers());
    }
    for (const e of this.client.pendingSends()) {
      if (e.forward) continue; // a forward shows once stored
      const ch = this._channel(e.channel);
      const quote = e.reply_to !== undefined ? ch.msgs.get(e.reply_to) : null;
      const reply = quote ? { seq: quote.seq, sender: quote.sender, preview: [...quote.text].slice(0, 100).join('') } : undefined;
      const files = e.attachments?.map((id) => ({ id, kind: 'file', name: 'File', size: 0 }));
      if (!ch.pending.has(e.client_msg_id)) ch.pending.set(e.client_msg_id, this._pending(e.channel, e.client_msg_id, e.text, e.created_at, reply, files));
    }
    this.emit('channels');
    this.emit('message', this.activeId);
  }

  // ---- channels ----

  _channel(id) {
    let ch = this.channels.get(id);
    if (!ch) {
      ch = {
        id,
        kind: 'dm',
        name: '',
        peer: null,
        head_seq: 0,
        read_seq: 0,
        last_activity_at: 0,
        last_message: null,
        members: null,
        membersLoading: null,
        msgs: new Map(),
        pending: new Map(),
        history: 'none', // none | cached | loading | loaded
        hasOlder: false,
        loadingOlder: false,
        gapFilling: null,
        /** seq -> 1 (a message) or 0 (a change event, a hidden one) for seqs after read_seq */
        kinds: new Map(),
        classifying: false,
        /** pinned messages as they now stand (latest pin first), once loaded */
        pins: null,
        pinsTimer: null,
        /** user id -> { read, delivered }: where the other members stand (receipts) */
        receipts: null,
        /** push notifications: all | mentions | none */
        notifications: 'all',
        /** unread mentions as the channel list counted them, and the list's read and head seqs */
        listMentions: 0,
        listRead: 0,
        listHead: 0,
        /** seqs of others' messages that mention the user (seen live or in history) */
        mentionSeqs: new Set(),
        left: false,
        known: false, // seen in a channel list or a channel answer
      };
      this.channels.set(id, ch);
    }
    return ch;
  }

  /**
   * Unread messages: the seqs after the read seq, less the change events (and hidden
   * messages) among them. A seq not seen yet counts (it is most likely a message)
   * until `_classify` looks.
   */
  unread(ch) {
    const raw = ch.head_seq - ch.read_seq;
    if (raw <= 0) return 0;
    let n = raw;
    for (const [s, k] of ch.kinds) if (k === 0 && s > ch.read_seq && s <= ch.head_seq) n--;
    return Math.max(0, n);
  }

  _noteKind(ch, m) {
    if (m.seq > ch.read_seq) ch.kinds.set(m.seq, counts(m) ? 1 : 0);
  }

  _pruneKinds(ch) {
    for (const s of ch.kinds.keys()) if (s <= ch.read_seq) ch.kinds.delete(s);
  }

  /**
   * Looks at the unread seqs this client has not seen (after a reload, the catch-up
   * starts at the device's cursor, not at the read seq), so change events among them
   * are not counted. One history page per channel, at most 200 seqs.
   */
  async _classify(ch) {
    if (ch.classifying || ch.left) return;
    const raw = ch.head_seq - ch.read_seq;
    if (raw <= 0) return;
    let unknown = false;
    for (let s = ch.read_seq + 1; s <= ch.head_seq && s <= ch.read_seq + 200; s++) {
      if (!ch.kinds.has(s)) {
        unknown = true;
        break;
      }
    }
    if (!unknown) return;
    ch.classifying = true;
    try {
      const page = await this.client.history(ch.id, { after: ch.read_seq, limit: Math.min(200, raw) });
      for (const m of page.messages) this._noteKind(ch, m);
      this.emit('channels');
    } catch (e) {
      if (!isAuthError(e)) console.warn('unread classification failed', e);
    } finally {
      ch.classifying = false;
    }
  }

  /** Current channels, most recently active first. */
  sortedChannels() {
    return [...this.channels.values()]
      .filter((c) => !c.left && c.known)
      .sort((a, b) => b.last_activity_at - a.last_activity_at || (a.id < b.id ? 1 : -1));
  }

  _mergeSummary(s) {
    const ch = this._channel(s.id);
    ch.known = true;
    ch.left = false;
    ch.kind = s.kind;
    if (s.name) ch.name = s.name;
    ch.peer = s.peer ?? null;
    if (s.head_seq >= ch.head_seq) {
      ch.head_seq = s.head_seq;
      if (s.last_message) ch.last_message = s.last_message;
    }
    ch.read_seq = Math.max(ch.read_seq, s.read_seq ?? 0);
    ch.last_activity_at = Math.max(ch.last_activity_at, s.last_activity_at || 0);
    if (s.notifications) ch.notifications = s.notifications;
    if (s.unread_mentions !== undefined) {
      ch.listMentions = s.unread_mentions;
      ch.listRead = s.read_seq ?? 0;
      ch.listHead = s.head_seq;
    }
    this._pruneKinds(ch);
    return ch;
  }

  /**
   * Unread messages that mention the user: the channel list's count while the read
   * seq has not moved past the list's, else the ones seen (the page shown when the
   * conversation was read holds them), plus those that came after the list.
   */
  unreadMentions(ch) {
    if (ch.read_seq >= ch.head_seq) return 0;
    let n = 0;
    if (ch.read_seq <= ch.listRead) n = ch.listMentions;
    else for (const s of ch.mentionSeqs) if (s > ch.read_seq && s <= ch.listHead) n++;
    for (const s of ch.mentionSeqs) if (s > ch.listHead && s > ch.read_seq) n++;
    return n;
  }

  _noteMention(ch, m) {
    if (m.sender !== this.me.id && (m.mentions || []).includes(this.me.id)) ch.mentionSeqs.add(m.seq);
  }

  /** Chooses which messages of a channel send the user push notifications. */
  async setNotifications(id, level) {
    const r = await this.client.setNotifications(id, level);
    this._channel(id).notifications = r.level;
    this.emit('channels');
    return r.level;
  }

  /** Loads the whole channel list and merges it (the SDK's cache keeps it too). */
  async loadChannels() {
    const list = await this.client.allChannels(10);
    const seen = new Set();
    for (const s of list) {
      this._mergeSummary(s);
      seen.add(s.id);
    }
    // Channels we are no longer a member of.
    for (const ch of this.channels.values()) {
      if (ch.known && !seen.has(ch.id)) ch.left = true;
    }
    this.channelsLoaded = true;
    this.watchPresence(this._interestingUsers());
    this.emit('channels');
    for (const ch of this.channels.values()) if (!ch.left && ch.known) this._classify(ch);
  }

  /** Refreshes the channel list soon (coalesced). */
  refreshChannelsSoon(ms = 300) {
    clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(() => {
      this.loadChannels().catch((e) => {
        if (!isAuthError(e)) console.warn('channel list refresh failed', e);
      });
    }, ms);
  }

  /** Adds a channel from a POST /v1/dm or /v1/groups answer. */
  addChannel(c, { peerProfile } = {}) {
    const ch = this._channel(c.id);
    ch.known = true;
    ch.left = false;
    ch.kind = c.kind;
    if (c.kind === 'group') ch.name = c.name || ch.name;
    if (c.kind === 'dm') {
      ch.peer = c.members.find((m) => m !== this.me.id) ?? null;
      if (peerProfile) {
        this.users.set(peerProfile.id, peerProfile);
        ch.name = peerProfile.display_name;
      }
    }
    if (!ch.last_activity_at) ch.last_activity_at = c.created_at || Date.now();
    this.watchPresence(c.members.filter((m) => m !== this.me.id));
    this.emit('channels');
    return ch;
  }

  // ---- members ----

  async ensureMembers(id, { force = false } = {}) {
    const ch = this._channel(id);
    if (ch.members && !force) return ch.members;
    if (ch.membersLoading && !force) return ch.membersLoading;
    ch.membersLoading = this.client
      .members(id)
      .then((res) => {
        ch.members = res.members;
        this.watchPresence(res.members.map((m) => m.user).filter((u) => u !== this.me.id));
        for (const m of res.members) this.ensureUser(m.user);
        this.emit('members', id);
        return ch.members;
      })
      .finally(() => {
        ch.membersLoading = null;
      });
    return ch.membersLoading;
  }

  myRole(ch) {
    return ch.members?.find((m) => m.user === this.me.id)?.role ?? 'member';
  }

  /** Whether the user may pin in a channel: either side of a 1:1, a group's owner or admins. */
  canPin(ch) {
    return ch.kind === 'dm' || ['owner', 'admin'].includes(this.myRole(ch));
  }

  /** Whether the user may delete a message for everyone: its author, a group's owner or admins. */
  canDelete(ch, m) {
    return m.sender === this.me.id || (ch.kind === 'group' && ['owner', 'admin'].includes(this.myRole(ch)));
  }

  // ---- users ----

  userName(id) {
    if (id === this.me.id) return this.me.display_name;
    const u = this.users.get(id);
    if (u) return displayName(u);
    this.ensureUser(id);
    // A DM peer's name is the channel's name.
    for (const ch of this.channels.values()) if (ch.peer === id && ch.name) return ch.name;
    return 'Someone';
  }

  ensureUser(id, { force = false } = {}) {
    if (!id) return Promise.resolve(null);
    if (!force && this.users.has(id)) return Promise.resolve(this.users.get(id));
    if (this.userLoads.has(id)) return this.userLoads.get(id);
    const p = this.client
      .getUser(id)
      .then((u) => {
        const { presence, ...profile } = u;
        this._rememberName(this.users.get(id), profile);
        this.users.set(id, profile);
        if (presence) this._applyPresence(presence);
        this.emit('user', id);
        return profile;
      })
      .catch(() => null)
      .finally(() => this.userLoads.delete(id));
    this.userLoads.set(id, p);
    return p;
  }

  rememberUsers(list) {
    for (const u of list) {
      const { presence, ...profile } = u;
      this._rememberName(this.users.get(u.id), profile);
      this.users.set(u.id, profile);
      if (presence) this._applyPresence(presence);
    }
  }

  /** Keeps the name of an account seen before its deletion (for "<name> deleted their account"). */
  _rememberName(before, after) {
    if (after?.deleted && before && !before.deleted && before.display_name) this.formerNames.set(after.id, before.display_name);
  }

  /** The name a deleted account had, when known (its profile, or a 1:1 channel's name); else null. */
  formerName(id) {
    const u = this.users.get(id);
    if (u && !u.deleted && u.display_name) return u.display_name;
    if (this.formerNames.has(id)) return this.formerNames.get(id);
    for (const ch of this.channels.values()) if (ch.peer === id && ch.name) return ch.name;
    return null;
  }

  /**
   * An `account_deleted` event: the account's profile is now that of a deleted account
   * (no name), it is no longer a member of a group, and its messages of the channel
   * are tombstones (applied with the SDK's applyChange, as a change is).
   */
  _onAccountDeleted(ch, m) {
    const user = deletedAccount(m);
    if (!user) return;
    const u = this.users.get(user);
    if (u && !u.deleted) {
      this._rememberName(u, { id: user, deleted: true });
      this.users.set(user, { ...u, deleted: true, username: '', display_name: '', status_text: '' });
      this.emit('user', user);
    }
    if (ch.members?.some((x) => x.user === user)) {
      ch.members = ch.members.filter((x) => x.user !== user);
      this.emit('members', ch.id);
    }
    this._applyChange(ch, m);
    this.ensureUser(user, { force: true });
  }

  // ---- presence (the SDK renews the subscriptions on every connection) ----

  _interestingUsers() {
    const ids = new Set();
    for (const ch of this.channels.values()) {
      if (ch.left) continue;
      if (ch.peer) ids.add(ch.peer);
      if (ch.members) for (const m of ch.members) ids.add(m.user);
    }
    ids.delete(this.me.id);
    return ids;
  }

  watchPresence(ids) {
    const fresh = [];
    for (const id of ids) {
      if (!id || id === this.me.id || this.watched.has(id)) continue;
      if (this.watched.size + fresh.length >= MAX_WATCHED) break;
      fresh.push(id);
    }
    if (fresh.length === 0) return;
    for (const id of fresh) this.watched.add(id);
    this.client.subscribePresence(fresh);
  }

  _applyPresence(p) {
    const prev = this.presence.get(p.user);
    // Of two states for one user, keep the later one.
    if (prev && prev.changed_at > p.changed_at) return;
    this.presence.set(p.user, { online: p.online, last_seen: p.last_seen, changed_at: p.changed_at });
    this.emit('presence', p.user);
  }

  isOnline(uid) {
    return !!this.presence.get(uid)?.online;
  }

  /** Catch-up is over: reconcile with the server's channel list and the open windows. */
  async _onSynced() {
    try {
      await this.loadChannels();
    } catch (e) {
      if (!isAuthError(e)) console.warn('channel list failed', e);
    }
    for (const ch of this.channels.values()) {
      if (ch.history === 'loaded') this._fillGap(ch);
    }
    // The open conversation shown from the cache (or whose load failed offline).
    const active = this.activeId && this.channels.get(this.activeId);
    if (active && (active.history === 'cached' || active.history === 'none')) this.openChannel(active.id).catch(() => {});
    // Receipts are not caught up: what moved while away comes from the server again.
    else if (active) this.loadReceipts(active.id);
    this.emit('synced');
  }

  // ---- messages (each arrives once, in seq order per channel: the SDK sees to it) ----

  /** Highest seq such that every seq from the lowest loaded one up to it is loaded. */
  contiguousTop(ch) {
    if (ch.msgs.size === 0) return 0;
    let s = this.lowestSeq(ch);
    while (ch.msgs.has(s + 1)) s++;
    return s;
  }

  lowestSeq(ch) {
    let low = 0;
    for (const s of ch.msgs.keys()) if (low === 0 || s < low) low = s;
    return low;
  }

  highestSeq(ch) {
    let high = 0;
    for (const s of ch.msgs.keys()) if (s > high) high = s;
    return high;
  }

  /**
   * Messages in seq order (change events and what the user hid left out), then the
   * pending ones in the order they were sent.
   */
  timeline(ch) {
    const list = [...ch.msgs.values()].filter(shows).sort((a, b) => a.seq - b.seq);
    return { list, pending: [...ch.pending.values()].filter((p) => !p.seq) };
  }

  _insert(ch, m) {
    if (ch.msgs.has(m.seq)) return false; // a page and a live message may overlap
    ch.msgs.set(m.seq, m);
    return true;
  }

  _onMessage(m) {
    let ch = this.channels.get(m.channel);
    const isNew = !ch || !ch.known;
    ch = this._channel(m.channel);
    const mine = m.sender === this.me.id;
    const fresh = m.seq > ch.head_seq;
    const change = isChange(m);
    const readToEnd = ch.read_seq >= ch.head_seq;

    if (fresh) {
      ch.head_seq = m.seq;
      // A file processed is not news: the preview stays on the message that carried it.
      if (!isAttachmentProcessed(m)) {
        ch.last_message = { seq: m.seq, sender: m.sender, text: (m.text || '').slice(0, 100), sent_at: m.sent_at, system: m.system, attachments: m.attachments };
        ch.last_activity_at = Math.max(ch.last_activity_at, m.sent_at);
      }
    }
    // One's own message (or group change) reads the channel up to it; one's own change
    // to a message keeps a channel read to the end read (as the server does).
    if (mine && (!change || readToEnd)) ch.read_seq = Math.max(ch.read_seq, m.seq);
    this._noteKind(ch, m);
    this._noteMention(ch, m);

    if (mine && m.client_msg_id) ch.pending.delete(m.client_msg_id);
    if (ch.history !== 'none') {
      const added = this._insert(ch, m);
      // The window shown must stay whole (another tab may have moved the shared cursor).
      if (added && ch.history === 'loaded' && m.seq > this.contiguousTop(ch) + 1) this._fillGap(ch);
    }
    if (change) this._applyChange(ch, m);
    else if (isAccountDeleted(m)) this._onAccountDeleted(ch, m);
    else if (m.system) this._onSystem(ch, m);
    if (change) this.ensureUser(m.sender);
    const t = !change && this.typing.get(ch.id);
    if (t && t.delete(m.sender)) this.emit('typing', ch.id);
    if (isNew && !ch.left) {
      // A channel we did not know (someone opened a DM or added us): get its name.
      this.refreshChannelsSoon(100);
    }
    this.emit('message', ch.id);
    if (fresh || mine) this.emit('channels');
  }

  _onSystem(ch, m) {
    const s = m.system;
    ch.kind = 'group';
    switch (s.kind) {
      case 'renamed':
        if (m.seq >= ch.head_seq) ch.name = s.name;
        break;
      case 'group_created':
        if (!ch.name) ch.name = s.name;
        break;
      case 'members_added':
        if ((s.users || []).includes(this.me.id) && m.seq >= ch.head_seq) ch.left = false;
        break;
      case 'retention_changed':
        this._noteRetention(ch, retentionChange(m), m.seq);
        break;
      case 'member_removed':
      case 'member_left':
      case 'member_banned':
        if (s.user === this.me.id && m.seq >= ch.head_seq) {
          ch.left = true;
          ch.members = null;
        }
        break;
      default:
        break;
    }
    this._noteMute(ch, m);
    if (['group_created', 'members_added', 'member_removed', 'member_left', 'member_banned', 'role_changed'].includes(s.kind)) {
      if (!ch.left && (ch.members || ch.id === this.activeId)) this.ensureMembers(ch.id, { force: true }).catch(() => {});
      for (const u of [...(s.users || s.members || []), s.user].filter(Boolean)) this.ensureUser(u);
    }
    this.ensureUser(m.sender);
  }

  /**
   * A `member_muted` event: until when the member may not send (0: lifted), kept per
   * channel (`ch.mutes`: user -> {until, seq}; the latest event wins). The server's
   * member list does not carry mutes: the app knows those whose events it saw.
   */
  _noteMute(ch, m) {
    const mute = memberMute(m);
    if (!mute) return;
    ch.mutes ??= new Map();
    const had = ch.mutes.get(mute.user);
    if (had && had.seq > m.seq) return;
    ch.mutes.set(mute.user, { until: mute.until, seq: m.seq });
    this.emit('members', ch.id);
  }

  /**
   * How long a group keeps its messages (`ch.max_age_secs`, seconds; 0: as long as
   * the server does): from `getChannel` when its info opens, from `setRetention`'s
   * answer, and from `retention_changed` events (the latest seq wins; a fetch
   * answered after an event is older than it).
   */
  _noteRetention(ch, secs, seq) {
    if (seq !== undefined) {
      if (seq < (ch.retentionSeq ?? 0)) return;
      ch.retentionSeq = seq;
    }
    const v = secs || 0;
    if (ch.max_age_secs === v) return;
    ch.max_age_secs = v;
    this.emit('members', ch.id);
  }

  /** Asks the server for a group's message limit (`ch.max_age_secs`). */
  async loadRetention(id) {
    const ch = this._channel(id);
    const seen = ch.retentionSeq ?? 0;
    const c = await this.client.getChannel(id);
    if ((ch.retentionSeq ?? 0) !== seen) return; // an event came meanwhile: it is newer
    this._noteRetention(ch, c.max_age_secs);
  }

  /** Sets a group's message limit (owner, admins); the group gets `retention_changed`. */
  async setRetention(id, secs) {
    const c = await this.client.setRetention(id, secs);
    this._noteRetention(this._channel(id), c.max_age_secs);
  }

  /**
   * A history page's `floor_seq`: the messages before it expired (no event tells):
   * the copies held go, and nothing below it is asked for again (else every new
   * message would see the hole as a gap to fill).
   */
  _expire(ch, page) {
    const floor = page.floor_seq || 0;
    if (floor <= (ch.floor ?? 0)) return;
    ch.floor = floor;
    let dropped = false;
    for (const s of [...ch.msgs.keys()]) {
      if (s < floor) {
        ch.msgs.delete(s);
        dropped = true;
      }
    }
    if (this.lowestSeq(ch) <= floor) ch.hasOlder = false;
    if (dropped) this.emit('message', ch.id);
  }

  /** Until when a member is muted in a channel (ms), or 0 when not (as far as the app saw). */
  mutedUntil(ch, user) {
    const until = ch.mutes?.get(user)?.until ?? 0;
    return until > Date.now() ? until : 0;
  }

  /** Loads the latest page of a channel (once; again when it was drawn from the cache). */
  async openChannel(id) {
    const ch = this._channel(id);
    this.activeId = id;
    if (ch.kind === 'group') this.ensureMembers(id).catch(() => {});
    else if (ch.peer) this.ensureUser(ch.peer);
    if (!ch.pins) this.loadPins(id);
    this.loadReceipts(id);
    if (ch.history !== 'none' && ch.history !== 'cached') return;
    const before = ch.history;
    ch.history = 'loading';
    this.emit('message', id);
    try {
      const page = await this.client.history(id, { limit: PAGE });
      for (const m of page.messages) this._insertFromHistory(ch, m);
      if (page.messages.length) {
        const low = page.messages[0].seq;
        this._replay(ch, low);
        // Messages from before this page (live or cached) are not contiguous with
        // it: drop them, scrolling up loads them again.
        for (const s of [...ch.msgs.keys()]) if (s < low) ch.msgs.delete(s);
        ch.hasOlder = page.has_more || low > Math.max(1, page.floor_seq || 0);
      } else {
        ch.hasOlder = false;
      }
      this._expire(ch, page);
      if (page.head_seq > ch.head_seq) ch.head_seq = page.head_seq;
      ch.history = 'loaded';
      this._fillGap(ch);
    } catch (e) {
      ch.history = before; // what the cache showed stays
      this.emit('message', id);
      throw e;
    }
    this.emit('message', id);
  }

  /**
   * A message of a history page: as it stood when the page was read, so it replaces
   * the copy held (call `_replay` after the page: changes that came meanwhile).
   */
  _insertFromHistory(ch, m) {
    const mine = m.sender === this.me.id;
    if (mine && m.client_msg_id) ch.pending.delete(m.client_msg_id);
    for (const u of [m.sender, ...(m.system?.users || m.system?.members || []), m.system?.user, m.reply_to?.sender].filter(Boolean)) {
      if (!this.users.has(u)) this.ensureUser(u);
    }
    if (m.seq > ch.head_seq) {
      ch.head_seq = m.seq;
      ch.last_message = { seq: m.seq, sender: m.sender, text: (m.text || '').slice(0, 100), sent_at: m.sent_at, system: m.system };
      ch.last_activity_at = Math.max(ch.last_activity_at, m.sent_at);
    }
    this._noteKind(ch, m);
    this._noteMention(ch, m);
    this._noteMute(ch, m);
    const had = ch.msgs.has(m.seq);
    ch.msgs.set(m.seq, m);
    return !had;
  }

  /**
   * Applies again, in seq order, the change events held from `from` on. A page shows
   * messages as they stood when read, which may be before changes that came live;
   * since each change sets a value, applying the events again to a copy that already
   * has them changes nothing (the SDK's applyChange).
   */
  _replay(ch, from) {
    const events = [...ch.msgs.values()].filter((m) => m.seq >= from && (isChange(m) || isAccountDeleted(m))).sort((a, b) => a.seq - b.seq);
    for (const e of events) this._applyChange(ch, e, { quiet: true });
  }

  /** A change event: applied to its target and to replies quoting it, and to the pinned list. */
  _applyChange(ch, e, { quiet = false } = {}) {
    for (const [s, m] of ch.msgs) {
      const next = applyChange(m, e);
      if (next !== m) ch.msgs.set(s, next);
    }
    for (const p of ch.pending.values()) {
      if (p.reply_to) p.reply_to = applyChange({ channel: ch.id, seq: 0, reply_to: p.reply_to }, e).reply_to;
    }
    if (quiet || !ch.pins) return;
    const kind = e.system.kind;
    const target = changeTarget(e);
    if (kind === 'message_pinned' || kind === 'message_unpinned') this.loadPinsSoon(ch.id);
    else if (kind === 'message_deleted') ch.pins = ch.pins.filter((p) => p.seq !== target);
    else if (kind === 'account_deleted') ch.pins = ch.pins.filter((p) => p.sender !== e.system.user).map((p) => applyChange(p, e));
    else ch.pins = ch.pins.map((p) => applyChange(p, e));
    this.emit('pins', ch.id);
  }

  /** The user deleted a message for themselves (on this device or another). */
  _onHidden({ channel, seq }) {
    const ch = this.channels.get(channel);
    if (!ch) return;
    const m = ch.msgs.get(seq);
    if (m && !m.hidden) ch.msgs.set(seq, hiddenPlaceholder(m));
    if (seq > ch.read_seq) ch.kinds.set(seq, 0);
    if (ch.pins) ch.pins = ch.pins.filter((p) => p.seq !== seq);
    this.emit('message', channel);
    this.emit('pins', channel);
    this.emit('channels');
  }

  // ---- receipts: how far the other members got (ticks, "read by N of M") ----

  /** Whether the user shares read receipts (and so sees others'). */
  readReceiptsOn() {
    return this.me.settings?.read_receipts !== false;
  }

  _onReceipt({ channel, user, read, delivered }) {
    const ch = this._channel(channel);
    ch.receipts ??= new Map();
    const r = ch.receipts.get(user) || { read: 0, delivered: 0 };
    // Positions only grow (a late answer of receipts() must not take one back).
    ch.receipts.set(user, { read: Math.max(r.read, read ?? 0), delivered: Math.max(r.delivered, delivered ?? 0, read ?? 0) });
    this.emit('receipts', channel);
  }

  /** Every other member's positions once (then `receipt` events keep them current). */
  async loadReceipts(id) {
    try {
      const { members } = await this.client.receipts(id);
      for (const m of members) this._onReceipt({ channel: id, user: m.user, read: m.read, delivered: m.delivered });
      this._channel(id).receipts ??= new Map();
      this.emit('receipts', id);
    } catch (e) {
      if (!isAuthError(e) && e.code !== 'network' && e.code !== 'not_a_member') console.warn('receipts', e);
    }
  }

  /** The other members of a channel (the DM peer, or the group's members but the user). */
  others(ch) {
    if (ch.kind === 'dm') return ch.peer ? [ch.peer] : [];
    return (ch.members || []).map((m) => m.user).filter((u) => u !== this.me.id);
  }

  /**
   * Where one's own stored message stands: `sent` (the server has it), `delivered`
   * (a device of the peer has it; 1:1 only) or `read` (by the peer; in a group, by
   * every other member), with `readBy` of `of` other members.
   */
  receiptOf(ch, m) {
    const others = this.others(ch);
    const readOn = this.readReceiptsOn();
    let readBy = 0;
    let delivered = 0;
    for (const u of others) {
      const r = ch.receipts?.get(u);
      if (!r) continue;
      if (readOn && r.read >= m.seq) readBy++;
      if (r.delivered >= m.seq) delivered++;
    }
    const of = others.length;
    let state = 'sent';
    if (of > 0 && readBy === of) state = 'read';
    else if (ch.kind === 'dm' && of > 0 && delivered === of) state = 'delivered';
    return { state, readBy, of };
  }

  /** Who of the other members has read the message at `seq`: { read: [ids], unread: [ids] }. */
  readers(ch, seq) {
    const read = [];
    const unread = [];
    for (const u of this.others(ch)) {
      if (this.readReceiptsOn() && (ch.receipts?.get(u)?.read ?? 0) >= seq) read.push(u);
      else unread.push(u);
    }
    return { read, unread };
  }

  /** Turns the user's read receipts on or off (PATCH /v1/me). */
  /** Changes privacy settings (`who_can_message`, `who_can_add`, `who_sees_presence`). */
  async setPrivacy(patch) {
    const me = await this.client.updateMe(patch);
    Object.assign(this.me, me);
    return me;
  }

  // ---- blocks, reports, group moderation ----

  /** The users the user blocks (profiles); keeps their ids in `blocked`. */
  async loadBlocks() {
    const list = await this.client.blocks();
    this.blocked = new Set(list.map((u) => u.id));
    this.blocksLoaded = true;
    for (const u of list) if (!this.users.has(u.id)) this.users.set(u.id, u);
    this.emit('channels');
    return list;
  }

  async block(user) {
    await this.client.block(user);
    this.blocked.add(user);
    this.emit('channels');
  }

  async unblock(user) {
    await this.client.unblock(user);
    this.blocked.delete(user);
    for (const ch of this.channels.values()) if (ch.kind === 'dm' && ch.peer === user) ch.sendError = null;
    this.emit('channels');
  }

  /** Reports a message (`{channel, seq}`) or a user (`{user}`); resolves with the report's id. */
  report(target, reason, note) {
    return this.client.report(target, reason, note || undefined);
  }

  async setReadReceipts(on) {
    const me = await this.client.updateMe({ read_receipts: on });
    Object.assign(this.me, me);
    // Off: reads are no longer shown (the delivered positions stay). On: where the
    // others now stand comes from the server (no read receipts came meanwhile).
    if (on && this.activeId) await this.loadReceipts(this.activeId);
    this.emit('receipts', this.activeId);
    return me;
  }

  // ---- chat requests: asking someone whose settings refuse a chat or a group addition ----

  /** The waiting requests, newest first. */
  requestList() {
    return [...this.requests.values()].sort((a, b) => b.created_at - a.created_at || (a.id < b.id ? 1 : -1));
  }

  /** Loads the requests waiting for the user (replacing what was known). */
  async loadRequests() {
    const list = await this.client.chatRequests();
    this.requests = new Map(list.map((r) => [r.id, r]));
    this.requestsLoaded = true;
    for (const r of list) this.ensureUser(r.from);
    this.emit('requests');
    return list;
  }

  /** A `chat_request` event: a new request, or one asked again (the same id). */
  _onChatRequest(r) {
    if (r.to !== this.me.id) return;
    const fresh = !this.requests.has(r.id);
    this.requests.set(r.id, r);
    this.ensureUser(r.from);
    this.emit('requests', fresh ? r.id : undefined);
  }

  /** Asks `user` to chat (no `group`) or to join `group`; resolves with the request. */
  requestChat(user, group) {
    return this.client.requestChat(user, group);
  }

  /** Accepts a request: resolves with the channel (the chat, or the group joined), now in the list. */
  async acceptRequest(id) {
    const r = this.requests.get(id);
    try {
      const c = await this.client.acceptRequest(id);
      this.requests.delete(id);
      const peerProfile = c.kind === 'dm' && r ? this.users.get(r.from) : undefined;
      this.addChannel(c, { peerProfile });
      this.refreshChannelsSoon();
      this.emit('requests');
      return c;
    } catch (e) {
      if (e.code === 'not_found') this._dropRequest(id); // lapsed, or answered on another device
      throw e;
    }
  }

  /** Declines a request (the asker is not told). */
  async declineRequest(id) {
    try {
      await this.client.declineRequest(id);
    } catch (e) {
      if (e.code !== 'not_found') throw e; // gone already: nothing left to decline
    }
    this._dropRequest(id);
  }

  _dropRequest(id) {
    if (this.requests.delete(id)) this.emit('requests');
  }

  // ---- pins ----

  /** Loads the channel's pinned messages (the pinned bar). */
  async loadPins(id) {
    const ch = this._channel(id);
    try {
      const { pins } = await this.client.pins(id);
      // What the user deleted for themselves stays out of sight.
      ch.pins = pins.filter((p) => !ch.msgs.get(p.seq)?.hidden);
      this.emit('pins', id);
    } catch (e) {
      if (!isAuthError(e) && e.code !== 'network') console.warn('pins', e);
    }
  }

  loadPinsSoon(id, ms = 50) {
    const ch = this._channel(id);
    clearTimeout(ch.pinsTimer);
    ch.pinsTimer = setTimeout(() => this.loadPins(id), ms);
  }

  /** Older messages for scrolling up. */
  async loadOlder(id) {
    const ch = this._channel(id);
    if (ch.history !== 'loaded' || !ch.hasOlder || ch.loadingOlder) return false;
    ch.loadingOlder = true;
    this.emit('message', id);
    try {
      const before = this.lowestSeq(ch);
      const page = await this.client.history(id, { before, limit: PAGE });
      for (const m of page.messages) this._insertFromHistory(ch, m);
      if (page.messages.length) this._replay(ch, page.messages[0].seq);
      ch.hasOlder = page.has_more && page.messages.length > 0;
      this._expire(ch, page);
      return page.messages.length > 0;
    } finally {
      ch.loadingOlder = false;
      this.emit('message', id);
    }
  }

  /** Fetches whatever is missing between the loaded window and the channel's head. */
  _fillGap(ch) {
    if (ch.gapFilling) {
      ch.gapAgain = true;
      return ch.gapFilling;
    }
    ch.gapFilling = (async () => {
      try {
        for (let i = 0; i < 50; i++) {
          ch.gapAgain = false;
          const top = this.contiguousTop(ch);
          const want = Math.max(ch.head_seq, this.highestSeq(ch));
          if (top >= want && !ch.gapAgain) break;
          const page = await this.client.history(ch.id, { after: top, limit: 200 });
          let added = 0;
          for (const m of page.messages) if (this._insertFromHistory(ch, m)) added++;
          if (page.messages.length) this._replay(ch, page.messages[0].seq);
          this._expire(ch, page);
          if (page.head_seq > ch.head_seq) ch.head_seq = page.head_seq;
          this.emit('message', ch.id);
          this.emit('channels');
          if (!page.has_more && added === 0 && !ch.gapAgain) break;
        }
      } catch (e) {
        if (!isAuthError(e)) console.warn('gap fill failed', e);
      } finally {
        ch.gapFilling = null;
      }
    })();
    return ch.gapFilling;
  }

  // ---- read state ----

  _onRead(f) {
    const ch = this._channel(f.channel);
    if (f.seq > ch.read_seq) {
      ch.read_seq = f.seq;
      this._pruneKinds(ch);
      this.emit('channels');
      this.emit('read', ch.id);
    }
  }

  /** The user has seen the channel up to what is shown: tell every device. */
  markRead(id) {
    const ch = this.channels.get(id);
    if (!ch || ch.left || ch.history !== 'loaded') return;
    const upTo = Math.min(this.contiguousTop(ch) || 0, ch.head_seq);
    const seq = Math.max(upTo, this.highestSeq(ch));
    if (seq <= ch.read_seq) return;
    if (this.client.markRead(id, seq)) {
      ch.read_seq = seq; // the server's `read` event confirms it on every device
      this._pruneKinds(ch);
      this.emit('channels');
    }
  }

  // ---- typing ----

  _onTyping(f) {
    if (f.user === this.me.id) return;
    let t = this.typing.get(f.channel);
    if (!t) this.typing.set(f.channel, (t = new Map()));
    t.set(f.user, Date.now() + TYPING_SHOW_MS);
    this.ensureUser(f.user);
    this.emit('typing', f.channel);
    setTimeout(() => {
      if ((t.get(f.user) ?? 0) <= Date.now()) {
        t.delete(f.user);
        this.emit('typing', f.channel);
      }
    }, TYPING_SHOW_MS + 50);
  }

  typers(id) {
    const t = this.typing.get(id);
    if (!t) return [];
    const now = Date.now();
    return [...t].filter(([, exp]) => exp > now).map(([u]) => u);
  }

  /** Called on every keystroke; the SDK sends at most one `typing` op every 3 s. */
  userTyping(id) {
    this.client.typing(id);
  }

  // ---- sending: the SDK's outbox sends (and resends) it; this shows it ----

  _pending(channel, cmid, text, sentAt = Date.now(), reply_to, attachments) {
    const p = { client_msg_id: cmid, channel, sender: this.me.id, text, state: 'pending', sent_at: sentAt, error: null };
    if (reply_to) p.reply_to = reply_to;
    if (attachments?.length) p.attachments = attachments;
    return p;
  }

  /**
   * Sends a text; `replyTo`: the message it answers (shown as a quote, also while
   * pending); `attachments`: uploaded files (`uploadFile`'s answers), `text` their caption.
   */
  send(id, text, { replyTo, attachments } = {}) {
    const ch = this._channel(id);
    ch.sendError = null;
    const quote = replyTo && { seq: replyTo.seq, sender: replyTo.sender, preview: [...(replyTo.text || '')].slice(0, 100).join('') };
    const p = this._pending(id, newClientMsgId(), text, Date.now(), quote, attachments);
    ch.pending.set(p.client_msg_id, p);
    this._transmit(p);
    this.emit('message', id);
    return p;
  }

  _transmit(p) {
    // The outcome comes as events (ack, message, send_error).
    const attachments = p.attachments?.map((a) => a.id);
    this.client.send(p.channel, p.text, { clientMsgId: p.client_msg_id, replyTo: p.reply_to?.seq, attachments }).catch(() => {});
  }

  // ---- files ----

  /** Uploads a file for a send to channel `id` (whole or in parts, by the SDK); resolves with the attachment. */
  upload(id, file, { onProgress, signal } = {}) {
    return this.client.uploadFile(id, file, { name: file.name || 'file', contentType: file.type || undefined, onProgress, signal });
  }

  /** An absolute link to a file of a message (or its thumbnail), kept by the SDK until near expiry. */
  attachmentUrl(id, seq, att, { thumbnail = false } = {}) {
    return this.client.attachmentUrl(id, seq, att, { thumbnail });
  }

  // ---- changing messages: the change shows when its event comes (to every device) ----

  /**
   * Shows an edit's or a deletion's answer at once when the copy held does not have
   * it yet: then no later event has come either (they come in order), and those that
   * come apply on top of it.
   */
  _adopt(m) {
    const ch = this.channels.get(m.channel);
    const held = ch?.msgs.get(m.seq);
    if (held && !held.hidden && !held.deleted && (m.deleted || (m.edits ?? 0) > (held.edits ?? 0))) {
      ch.msgs.set(m.seq, m);
      this.emit('message', m.channel);
    }
    return m;
  }

  async edit(id, seq, text) {
    return this._adopt(await this.client.editMessage(id, seq, text));
  }

  async deleteForEveryone(id, seq) {
    return this._adopt(await this.client.deleteMessage(id, seq));
  }

  react(id, seq, emoji, add) {
    return this.client.react(id, seq, emoji, add);
  }

  pin(id, seq, on) {
    return this.client.pin(id, seq, on);
  }

  async hide(id, seq) {
    await this.client.hide(id, seq);
    this._onHidden({ channel: id, seq }); // the `hidden` event says it again to every device
  }

  /** Forwards a message to another channel; resolves with the stored copy. */
  forward(to, from, seq) {
    return this.client.forward(to, from, seq);
  }

  /** Sends a failed message again (same client_msg_id: the server never stores it twice). */
  retry(id, cmid) {
    const p = this.channels.get(id)?.pending.get(cmid);
    if (!p) return;
    p.state = 'pending';
    p.error = null;
    this._transmit(p);
    this.emit('message', id);
  }

  discard(id, cmid) {
    this.channels.get(id)?.pending.delete(cmid);
    this.emit('message', id);
  }

  _findPending(cmid) {
    for (const ch of this.channels.values()) {
      const p = ch.pending.get(cmid);
      if (p) return p;
    }
    return null;
  }

  _onAck(f) {
    const p = this._findPending(f.client_msg_id);
    if (!p) return;
    if (p.state !== 'failed') p.state = 'delivered';
    this.emit('message', p.channel);
  }

  _onSendError(e) {
    const p = e.clientMsgId && this._findPending(e.clientMsgId);
    if (!p) return;
    p.state = 'failed';
    p.error = e.message || e.code;
    // Refused for who the user is here (blocked, muted): the server's words show in the composer area.
    if (e.code === 'forbidden') {
      const ch = this.channels.get(p.channel);
      if (ch) ch.sendError = e.message || 'You cannot send messages here.';
    }
    this.emit('message', p.channel);
  }
}
