// The local cache behind `client.cached()`: what an app needs to draw its first
// screen before (or without) a connection. Pure rules over plain data; the client
// reads and writes the storage keys this module names.
import { applyChange, changeTarget, hiddenPlaceholder, isAccountDeleted, isAttachmentProcessed, removedMember } from './changes.js';
export const DEFAULT_CACHE_LIMITS = { channels: 500, conversations: 10, messages: 50, chars: 100_000 };
/** Storage keys (under the client's prefix): the index, and one per cached conversation. */
export const CACHE_KEY = 'cache';
export const cacheMessagesKey = (channel) => `cache:${channel}`;
/** The server's preview: the first 100 characters of the text. */
function preview(m) {
    const text = m.text.length > 100 ? Array.from(m.text).slice(0, 100).join('') : m.text;
    return { seq: m.seq, sender: m.sender, sent_at: m.sent_at, text, system: m.system ?? null };
}
const byActivity = (a, b) => b.last_activity_at - a.last_activity_at || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
/**
 * The cached state of one account and the rules that keep it current. Every change
 * marks what must be written: `dirtyIndex` (the `cache` key) and `dirtyChannels`
 * (their `cache:<id>` keys; a channel no longer cached is written as a deletion).
 */
export class Snapshot {
    limits;
    user;
    profile;
    channels = new Map();
    /** Channel → its cached tail; Map order is recency (most recently read last). */
    conversations = new Map();
    savedAt = 0;
    dirtyIndex = false;
    dirtyChannels = new Set();
    constructor(limits) {
        this.limits = limits;
    }
    /** Reads the stored keys (`index`: the `cache` key, `load(id)`: a `cache:<id>` key). */
    static async load(limits, index, load) {
        const s = new Snapshot(limits);
        if (!index)
            return s;
        try {
            const ix = JSON.parse(index);
            if (ix.v !== 1)
                return s;
            s.user = ix.user;
            s.profile = ix.profile;
            s.savedAt = ix.saved_at;
            for (const c of ix.channels)
                s.channels.set(c.id, c);
            const recent = ix.recent.slice(0, limits.conversations);
            const stored = await Promise.all(recent.map((id) => load(id)));
            // Oldest first, so the Map's order is recency.
            for (let i = recent.length - 1; i >= 0; i--) {
                const raw = stored[i];
                if (raw)
                    s.conversations.set(recent[i], JSON.parse(raw));
            }
        }
        catch {
            return new Snapshot(limits); // unreadable: start over
        }
        return s;
    }
    hasChannel(id) {
        return this.channels.has(id);
    }
    /** The channels with a `cache:<id>` key. */
    get recent() {
        return [...this.conversations.keys()].reverse();
    }
    /** Everything goes (logout, another account); the keys to delete are marked. */
    clear(user) {
        for (const id of this.conversations.keys())
            this.dirtyChannels.add(id);
        this.conversations.clear();
        this.channels.clear();
        this.profile = undefined;
        this.user = user;
        this.dirtyIndex = true;
    }
    /** Makes the snapshot that of `user` (cleared if it held another account's). */
    own(user) {
        if (this.user === user)
            return;
        if (this.user !== undefined || this.channels.size || this.conversations.size)
            this.clear(user);
        this.user = user;
        this.dirtyIndex = true;
    }
    setProfile(p) {
        this.profile = p;
        this.dirtyIndex = true;
    }
    /** Channel summaries from the server; `complete`: the whole list (others are gone). */
    mergeChannels(list, complete) {
        const seen = new Set();
        for (const c of list) {
            seen.add(c.id);
            this.channels.set(c.id, { ...c });
        }
        if (complete)
            for (const id of [...this.channels.keys()])
                if (!seen.has(id))
                    this.dropChannel(id);
        this.trimChannels();
        this.dirtyIndex = true;
    }
    /** The latest history page of a channel (what an app shows when it opens it). */
    latestPage(channel, messages) {
        const tail = messages.slice(-this.limits.messages);
        this.conversations.delete(channel);
        this.conversations.set(channel, tail);
        this.trimConversation(channel);
        this.dirtyChannels.add(channel);
        const last = tail[tail.length - 1];
        if (last)
            this.summarize(last);
        while (this.conversations.size > this.limits.conversations) {
            const oldest = this.conversations.keys().next().value;
            this.conversations.delete(oldest);
            this.dirtyChannels.add(oldest);
            this.dirtyIndex = true;
        }
        this.dirtyIndex = true;
    }
    /** A message delivered to the app (once, in seq order per channel). */
    onMessage(m) {
        const s = m.system;
        // Removed, left or banned: the channel leaves the list (a banned user gets nothing after it).
        if (s && removedMember(m) === this.user && this.user !== undefined) {
            if (this.channels.has(m.channel) || this.conversations.has(m.channel))
                this.dropChannel(m.channel);
            return;
        }
        this.summarize(m);
        const tail = this.conversations.get(m.channel);
        if (!tail)
            return;
        const top = tail.length ? tail[tail.length - 1].seq : 0;
        if (m.seq <= top)
            return;
        // The tail stays without gaps: after one, it starts again from this message.
        if (tail.length && m.seq !== top + 1)
            tail.length = 0;
        // A change to a message (or a reply's quote) of the tail: kept in its current state.
        if (changeTarget(m) !== undefined || isAttachmentProcessed(m) || isAccountDeleted(m))
            for (let i = 0; i < tail.length; i++)
                tail[i] = applyChange(tail[i], m);
        tail.push(m);
        this.trimConversation(m.channel);
        this.dirtyChannels.add(m.channel);
    }
    /**
     * The messages of a channel before `floor` expired (a history page's `floor_seq`):
     * its cached copies of them go, and a preview of one. Whether anything changed.
     */
    expire(channel, floor) {
        let changed = false;
        const tail = this.conversations.get(channel);
        if (tail && tail.length && tail[0].seq < floor) {
            const keep = tail.filter((m) => m.seq >= floor);
            tail.length = 0;
            tail.push(...keep);
            this.dirtyChannels.add(channel);
            changed = true;
        }
        const c = this.channels.get(channel);
        if (c?.last_message && c.last_message.seq < floor) {
            c.last_message = null;
            this.dirtyIndex = true;
            changed = true;
        }
        return changed;
    }
    /** The user deleted the message at `seq` for themselves (on any device). */
    onHidden(channel, seq) {
        const tail = this.conversations.get(channel);
        const i = tail ? tail.findIndex((m) => m.seq === seq) : -1;
        if (!tail || i < 0 || tail[i].hidden)
            return;
        tail[i] = hiddenPlaceholder(tail[i]);
        this.dirtyChannels.add(channel);
    }
    /** The user read a channel up to `seq` (on any device). */
    onRead(channel, seq) {
        const c = this.channels.get(channel);
        if (!c || seq <= c.read_seq)
            return;
        c.read_seq = seq;
        c.unread = Math.max(0, c.head_seq - c.read_seq);
        // Read to the end: no mention is unread (a partial read leaves the count to the next list).
        if (c.read_seq >= c.head_seq && c.unread_mentions)
            c.unread_mentions = 0;
        this.dirtyIndex = true;
    }
    /** The user chose a channel's notification level; whether the channel is cached. */
    setNotifications(channel, level) {
        const c = this.channels.get(channel);
        if (!c || c.notifications === level)
            return false;
        c.notifications = level;
        this.dirtyIndex = true;
        return true;
    }
    /** A copy of the state (callers may change it freely). */
    state() {
        if (this.user === undefined)
            return undefined;
        const messages = {};
        for (const [id, tail] of this.conversations)
            messages[id] = tail.map((m) => ({ ...m }));
        return {
            userId: this.user,
            profile: this.profile ? { ...this.profile } : undefined,
            channels: [...this.channels.values()].sort(byActivity).map((c) => ({ ...c })),
            messages,
            savedAt: this.savedAt,
        };
    }
    /** The `cache` key's value, or undefined when there is nothing to keep. */
    indexJson(now) {
        if (this.user === undefined)
            return undefined;
        this.savedAt = now;
        const ix = {
            v: 1,
            user: this.user,
            profile: this.profile,
            channels: [...this.channels.values()].sort(byActivity),
            recent: this.recent,
            saved_at: now,
        };
        return JSON.stringify(ix);
    }
    /** A `cache:<id>` key's value, or undefined when it is to be deleted. */
    messagesJson(channel) {
        const tail = this.conversations.get(channel);
        return tail ? JSON.stringify(tail) : undefined;
    }
    summarize(m) {
        const c = this.channels.get(m.channel);
        if (!c)
            return; // not in a list yet: the next listChannels() brings it
        const readToEnd = c.read_seq >= c.head_seq;
        const fresh = m.seq > c.head_seq;
        if (fresh) {
            c.head_seq = m.seq;
            c.last_message = preview(m);
            c.last_activity_at = Math.max(c.last_activity_at, m.sent_at);
            if (m.system?.kind === 'renamed')
                c.name = m.system.name;
        }
        // Sending (or changing the group) reads the channel up to it; changing a message
        // keeps a channel read to the end read, as the server does.
        if (m.sender === this.user && m.seq > c.read_seq && (readToEnd || (changeTarget(m) === undefined && !isAttachmentProcessed(m) && !isAccountDeleted(m))))
            c.read_seq = m.seq;
        c.unread = Math.max(0, c.head_seq - c.read_seq);
        if (c.read_seq >= c.head_seq) {
            if (c.unread_mentions)
                c.unread_mentions = 0;
        }
        else if (fresh && m.seq > c.read_seq && m.sender !== this.user && this.user !== undefined && m.mentions?.includes(this.user)) {
            c.unread_mentions = (c.unread_mentions ?? 0) + 1;
        }
        this.dirtyIndex = true;
    }
    dropChannel(id) {
        this.channels.delete(id);
        if (this.conversations.delete(id))
            this.dirtyChannels.add(id);
        this.dirtyIndex = true;
    }
    trimChannels() {
        if (this.channels.size <= this.limits.channels)
            return;
        const keep = [...this.channels.values()].sort(byActivity).slice(0, this.limits.channels);
        this.channels = new Map(keep.map((c) => [c.id, c]));
    }
    trimConversation(channel) {
        const tail = this.conversations.get(channel);
        if (!tail)
            return;
        if (tail.length > this.limits.messages)
            tail.splice(0, tail.length - this.limits.messages);
        let chars = tail.reduce((n, m) => n + m.text.length, 0);
        while (tail.length > 1 && chars > this.limits.chars)
            chars -= tail.shift().text.length;
    }
}
