import { CACHE_KEY, cacheMessagesKey, DEFAULT_CACHE_LIMITS, Snapshot } from './cache.js';
import { Emitter } from './emitter.js';
import { NatterError, ProtocolVersionError } from './errors.js';
import { Files } from './files.js';
import { Http } from './http.js';
import { MemoryStore } from './storage.js';
/** The protocol version this SDK speaks (`hello.protocol`, `GET /v1/version`). */
export const PROTOCOL_VERSION = 1;
const sleep = (ms) => new Promise((res) => setTimeout(res, ms));
/** A fresh client_msg_id (what `send()` uses when given none). */
export function newClientMsgId() {
    const c = globalThis.crypto;
    if (c?.randomUUID)
        return c.randomUUID();
    let s = '';
    for (let i = 0; i < 4; i++)
        s += Math.floor(Math.random() * 0x100000000).toString(36);
    return `${Date.now().toString(36)}-${s}`;
}
/**
 * The socket URL discovery gave, made usable from `baseUrl`: an edge listening on a
 * wildcard address (0.0.0.0, [::]) advertises it, so the host `baseUrl` reached is
 * used; a page served over https cannot open a ws: socket, so it becomes wss:.
 */
export function usableWsUrl(wsUrl, baseUrl) {
    const ws = /^(wss?):\/\/(\[[^\]]*\]|[^/:?#]*)(.*)$/i.exec(wsUrl);
    const base = /^(https?):\/\/(\[[^\]]*\]|[^/:?#]*)/i.exec(baseUrl);
    if (!ws || !base)
        return wsUrl;
    let [, scheme, host, rest] = ws;
    if (['0.0.0.0', '[::]', '[::0]', '[0:0:0:0:0:0:0:0]'].includes(host))
        host = base[2];
    if (base[1].toLowerCase() === 'https')
        scheme = 'wss';
    return `${scheme}://${host}${rest}`;
}
/**
 * A history message in the WebSocket's shape: the OpenAPI types allow `null` for
 * every absent optional field (`system`, `deleted`, `pinned`, …), which the server
 * leaves out; drop any that come.
 */
function fromHistory(x) {
    const out = {};
    for (const [k, v] of Object.entries(x))
        if (v !== null)
            out[k] = v;
    return out;
}
/** An answer's object without its `null` fields (the server leaves absent ones out). */
function withoutNulls(x) {
    const out = {};
    for (const [k, v] of Object.entries(x))
        if (v !== null)
            out[k] = v;
    return out;
}
const messagePath = (channel, seq) => `/v1/channels/${encodeURIComponent(channel)}/messages/${seq}`;
/**
 * A Natter client: the HTTP API as typed calls, and one WebSocket kept connected
 * (discovery, catch-up, seq dedupe and gap fill, cursor acks, reconnect, outbox).
 */
export class NatterClient extends Emitter {
    http;
    files;
    o;
    store;
    prefix;
    WS;
    cacheOn;
    cacheLimits;
    snapshot;
    cacheTimer;
    listTimer;
    /** Channels whose messages came before they were in the cached list (looked up once). */
    unlisted = new Set();
    token;
    _deviceId;
    _userId;
    _state = 'idle';
    loaded;
    seqs = new Map();
    /** Per channel, the highest `floor_seq` a history page reported: seqs below it expired. */
    floors = new Map();
    outbox = new Map();
    pending = new Map();
    pendingAcks = new Map();
    ackTimer;
    presenceWatch = new Set();
    lastTyping = new Map();
    ws;
    /** Whether the current socket's `hello` was handled (sends wait for it). */
    helloed = false;
    /** client_msg_ids written on the current socket: each goes once per socket. */
    written = new Set();
    running = false;
    attempt = 0;
    reconnectTimer;
    heartbeat;
    lastFrameAt = 0;
    inbox = Promise.resolve();
    persistChain = Promise.resolve();
    syncedWaiters = [];
    wake;
    retryAt;
    /** Ends the current socket's life at once (its close event may come much later). */
    abandonSocket;
    /** Set by `reconnect()`: the next connection attempt starts without a backoff. */
    reconnectNow = false;
    /**
     * A call that changes or ends this client's token (password change, logout, logout
     * everywhere) in flight: a `token_revoked` seen meanwhile is judged after it.
     */
    tokenChanges = new Set();
    /** The erasing after this session was ended elsewhere (once). */
    ending;
    constructor(options) {
        super();
        this.o = {
            backoffInitialMs: 100,
            backoffMaxMs: 5000,
            ackDelayMs: 200,
            heartbeatMs: 10000,
            ...options,
        };
        const f = options.fetch ?? globalThis.fetch;
        if (!f)
            throw new Error('natter: no fetch: pass options.fetch');
        const boundFetch = (url, init) => f(url, init);
        this.WS = options.WebSocket ?? globalThis.WebSocket;
        this.store = options.storage ?? new MemoryStore();
        this.prefix = options.storagePrefix ?? 'natter:';
        this.token = options.token;
        this._deviceId = options.deviceId;
        this.cacheOn = options.cache !== false;
        this.cacheLimits = { ...DEFAULT_CACHE_LIMITS, ...(typeof options.cache === 'object' ? options.cache : {}) };
        this.snapshot = new Snapshot(this.cacheLimits);
        this.http = new Http({
            baseUrl: options.baseUrl.replace(/\/$/, ''),
            fetch: boundFetch,
            getToken: () => this.token,
            maxRetries: options.maxRetries ?? 3,
            maxRetryWaitMs: options.maxRetryWaitMs ?? 10000,
            sleep,
            onAuthError: (e, token) => {
                if (e.code === 'token_revoked')
                    void this.onRevoked(e, token);
                else
                    this.emit('unauthorized', e);
            },
        });
        this.files = new Files(this.http, sleep);
    }
    // ---------------------------------------------------------------- state
    get state() {
        return this._state;
    }
    get userId() {
        return this._userId;
    }
    get deviceId() {
        return this._deviceId;
    }
    /** The current token (persisted in storage). */
    get currentToken() {
        return this.token;
    }
    /** The highest seq this client has per channel. */
    lastSeq(channel) {
        return this.seqs.get(channel) ?? 0;
    }
    /**
     * The lowest seq of a channel that may still exist, as the latest history page
     * told (`floor_seq`; 1 when none expired or none was read yet): the messages
     * before it expired (retention) and are gone. Never page history below it.
     */
    floorSeq(channel) {
        return Math.max(1, this.floors.get(channel) ?? 0);
    }
    /** The sends not yet acknowledged by the server, oldest first. */
    pendingSends() {
        return [...this.outbox.values()];
    }
    /** While `offline`: when the next connection attempt starts (ms since the epoch). */
    get nextRetryAt() {
        return this._state === 'offline' ? this.retryAt : undefined;
    }
    setState(s) {
        if (this._state === s)
            return;
        this._state = s;
        this.emit('state', s);
    }
    /** Loads token, device id, seqs, outbox and cache from storage (once; every call awaits it). */
    restore() {
        this.loaded ??= (async () => {
            const [token, device, user, seqs, outbox, cache] = await Promise.all(['token', 'device', 'user', 'seqs', 'outbox', CACHE_KEY].map((k) => this.store.get(this.prefix + k)));
            if (this.token === undefined && token)
                this.token = token;
            if (this._deviceId === undefined && device)
                this._deviceId = device;
            if (user)
                this._userId = user;
            if (seqs)
                for (const [k, v] of Object.entries(JSON.parse(seqs)))
                    this.seqs.set(k, v);
            if (outbox)
                for (const e of JSON.parse(outbox))
                    this.outbox.set(e.client_msg_id, e);
            if (this.cacheOn && cache) {
                const snap = await Snapshot.load(this.cacheLimits, cache, (id) => this.store.get(this.prefix + cacheMessagesKey(id)));
                // Another account's cache (or one without an owner) is not shown.
                if (snap.user !== undefined && snap.user === this._userId)
                    this.snapshot = snap;
            }
        })();
        return this.loaded;
    }
    /**
     * The last state this client saw (channel list with last messages and unread
     * counts, the latest messages of recently opened channels, the user's profile),
     * read from storage: no network, no connection needed. Undefined when nothing is
     * cached for the stored account. Draw it at once, then let events and calls
     * bring the rest: the cache follows them.
     */
    async cached() {
        await this.restore();
        if (!this.cacheOn || this.snapshot.user === undefined || this.snapshot.user !== this._userId)
            return undefined;
        return this.snapshot.state();
    }
    /** Writes what changed in the cache, coalesced over `cacheWriteDelayMs`. */
    cacheChanged() {
        if (!this.cacheOn || this.cacheTimer !== undefined)
            return;
        this.cacheTimer = setTimeout(() => void this.flushCache(), this.o.cacheWriteDelayMs ?? 300);
    }
    flushCache() {
        if (this.cacheTimer !== undefined)
            clearTimeout(this.cacheTimer);
        this.cacheTimer = undefined;
        const snap = this.snapshot;
        if (!this.cacheOn) {
            snap.dirtyChannels.clear();
            snap.dirtyIndex = false;
            return Promise.resolve();
        }
        const writes = [];
        for (const id of snap.dirtyChannels)
            writes.push(this.persist(cacheMessagesKey(id), snap.messagesJson(id)));
        snap.dirtyChannels.clear();
        if (snap.dirtyIndex) {
            snap.dirtyIndex = false;
            writes.push(this.persist(CACHE_KEY, snap.indexJson(Date.now())));
        }
        return Promise.all(writes).then(() => undefined);
    }
    /** Forgets what belongs to the previous account (its sends must never go out as another). */
    async forgetAccount(user, reason) {
        this.seqs.clear();
        this.floors.clear();
        this.outbox.clear();
        this.pendingAcks.clear();
        if (this.ackTimer !== undefined)
            clearTimeout(this.ackTimer);
        this.ackTimer = undefined;
        const gone = reason ?? new NatterError('closed', 'another account logged in on this client');
        for (const p of this.pending.values())
            p.reject(gone);
        this.pending.clear();
        this.snapshot.clear(user);
        await Promise.all([this.persistSeqs(), this.persistOutbox(), this.flushCache()]);
    }
    persist(key, value) {
        this.persistChain = this.persistChain
            .then(() => (value === undefined ? this.store.delete(this.prefix + key) : this.store.set(this.prefix + key, value)))
            .catch((e) => console.warn('natter: storage write failed', e));
        return this.persistChain;
    }
    // With no token (after logout) these erase: a writer that was already scheduled
    // (an ack timer, a frame handled late) must not bring the key back.
    persistOutbox() {
        return this.persist('outbox', this.token === undefined ? undefined : JSON.stringify([...this.outbox.values()]));
    }
    persistSeqs() {
        return this.persist('seqs', this.token === undefined ? undefined : JSON.stringify(Object.fromEntries(this.seqs)));
    }
    // ---------------------------------------------------------------- accounts
    /** Creates an account and keeps its token. */
    async signup(username, password, displayName) {
        await this.restore();
        const r = await this.http.request('POST', '/v1/signup', {
            auth: false,
            body: { username, password, display_name: displayName ?? username },
        });
        await this.adopt(r);
        return r;
    }
    /** Logs in and keeps the token. */
    async login(username, password) {
        await this.restore();
        const r = await this.http.request('POST', '/v1/login', { auth: false, body: { username, password } });
        await this.adopt(r);
        return r;
    }
    async adopt(r) {
        // Another account: what was kept for the previous one does not apply.
        if (this._userId !== undefined && this._userId !== r.user.id)
            await this.forgetAccount(r.user.id);
        this.token = r.token;
        this._userId = r.user.id;
        this.snapshot.own(r.user.id);
        this.snapshot.setProfile(r.user);
        this.cacheChanged();
        await Promise.all([this.persist('token', r.token), this.persist('user', r.user.id)]);
    }
    /**
     * Logs out: disconnects, forgets the token, user, seqs, outbox and cache (in storage
     * too), and ends the session on the server (`POST /v1/logout`: the token stops
     * working everywhere). The server part is best effort: when it cannot be reached
     * (or the session had already ended) everything is still forgotten here.
     */
    async logout() {
        await this.restore();
        const token = this.token;
        await this.changingToken(async () => {
            await this.disconnect();
            await this.forgetLocally();
            if (token)
                await this.endOnServer(token);
        });
    }
    /** `POST /v1/logout` with `token`, waited for at most `ms`; failures are ignored. */
    async endOnServer(token, ms = 5000) {
        let timer;
        const call = this.http
            .request('POST', '/v1/logout', { token, authEvents: false, idempotent: true })
            .then(() => undefined, () => undefined);
        const late = new Promise((res) => (timer = setTimeout(res, ms)));
        await Promise.race([call, late]);
        clearTimeout(timer);
    }
    /** Forgets the account here (token, user, seqs, outbox, cache; storage too). */
    async forgetLocally(reason) {
        this.token = undefined;
        this._userId = undefined;
        await this.forgetAccount(undefined, reason);
        for (const k of ['token', 'user', 'seqs', 'outbox', CACHE_KEY])
            await this.persist(k, undefined);
    }
    /** Runs `op`, a call that changes or ends the token, listed in `tokenChanges` meanwhile. */
    async changingToken(op) {
        let done;
        const change = new Promise((res) => (done = res));
        this.tokenChanges.add(change);
        try {
            return await op();
        }
        finally {
            this.tokenChanges.delete(change);
            done();
        }
    }
    /**
     * A call or socket with `token` was refused with `token_revoked`. After any token
     * change in flight (a password change ends the old token and gives a new one):
     * when `token` is still this client's, its session was ended elsewhere.
     */
    async onRevoked(err, token) {
        while (this.tokenChanges.size)
            await Promise.all(this.tokenChanges);
        if (token === undefined || token !== this.token)
            return;
        this.ending ??= (async () => {
            for (const w of this.syncedWaiters.splice(0))
                w.reject(err);
            await this.disconnect();
            await this.forgetLocally(err);
            this.emit('session_ended', err);
        })().finally(() => {
            this.ending = undefined;
        });
        return this.ending;
    }
    /**
     * Ends every session of the user, this one included (`POST /v1/logout/everywhere`),
     * then forgets everything here as `logout()` does. Fails (and keeps everything)
     * when the server did not end them (`unavailable`, `network`: retry); an already
     * ended session counts as done.
     */
    async logoutEverywhere() {
        await this.restore();
        const token = this.token;
        await this.changingToken(async () => {
            try {
                await this.http.request('POST', '/v1/logout/everywhere', { token, authEvents: false, idempotent: true });
            }
            catch (e) {
                if (!(e instanceof NatterError && e.code === 'token_revoked'))
                    throw e;
            }
            await this.disconnect();
            await this.forgetLocally();
        });
    }
    /** The user's sessions (logins not ended or expired), newest first; `current` marks this one. */
    sessions() {
        return this.http.request('GET', '/v1/sessions', { idempotent: true });
    }
    /**
     * Ends one of the user's sessions (another device's: its token stops working and
     * its sockets close). Ending this client's own session is a logout: prefer `logout()`.
     */
    async endSession(id) {
        await this.http.request('DELETE', `/v1/sessions/${encodeURIComponent(id)}`, { idempotent: true });
    }
    /**
     * Changes the password (`current` is the password now). Every session of the user
     * ends, this one's old token included: the new token the server gives is kept (as
     * a login's is) and, when connected, the socket reconnects at once with it.
     * Fails with `invalid_credentials` when `current` is wrong, `invalid_password`,
     * `rate_limited`, …
     */
    async changePassword(current, next) {
        await this.restore();
        return this.changingToken(async () => {
            const r = await this.http.request('POST', '/v1/me/password', {
                body: { current_password: current, new_password: next },
            });
            await this.adopt(r);
            this.reconnect();
            return r;
        });
    }
    /**
     * Deletes the account (`DELETE /v1/me`; `password` is the password now). Every
     * session of the account ends and login fails from then on; its messages become
     * tombstones in every channel (within seconds: `account_deleted`). Then forgets
     * everything here as `logout()` does. Fails (and keeps everything) with
     * `invalid_credentials` when the password is wrong, `rate_limited`, `unavailable`, …
     */
    async deleteAccount(password) {
        await this.restore();
        return this.changingToken(async () => {
            const r = await this.http.request('DELETE', '/v1/me', { body: { password } });
            await this.disconnect();
            await this.forgetLocally();
            return r;
        });
    }
    // ---------------------------------------------------------------- HTTP routes
    /** `GET /v1/version`; a server without it speaks protocol 1. */
    async serverVersion() {
        try {
            return await this.http.request('GET', '/v1/version', { auth: false, idempotent: true });
        }
        catch (e) {
            if (e instanceof NatterError && e.code === 'not_found')
                return { protocol: 1, server: 'unknown' };
            throw e;
        }
    }
    /** Fails with ProtocolVersionError if the server speaks another protocol version. */
    async checkVersion() {
        const v = await this.serverVersion();
        if ((v.protocol ?? 1) !== PROTOCOL_VERSION)
            throw new ProtocolVersionError(v.protocol, PROTOCOL_VERSION);
        return v;
    }
    async me() {
        return this.cacheProfile(await this.http.request('GET', '/v1/me', { idempotent: true }));
    }
    async updateMe(patch) {
        return this.cacheProfile(await this.http.request('PATCH', '/v1/me', { body: patch, idempotent: true }));
    }
    cacheProfile(p) {
        if (p.id === this._userId && this.snapshot.user === p.id) {
            this.snapshot.setProfile(p);
            this.cacheChanged();
        }
        return p;
    }
    getUser(id) {
        return this.http.request('GET', `/v1/users/${encodeURIComponent(id)}`, { idempotent: true });
    }
    searchUsers(q, limit) {
        return this.http.request('GET', '/v1/users', { query: { q, limit }, idempotent: true });
    }
    discover() {
        return this.http.request('GET', '/v1/discover', { idempotent: true });
    }
    /** The one 1:1 channel with `peer` (created on first call). */
    openDm(peer) {
        return this.http.request('POST', '/v1/dm', { body: { peer }, idempotent: true });
    }
    /** One page of the user's channels, most recently active first (kept in the cache). */
    async listChannels(opts = {}) {
        const r = await this.http.request('GET', '/v1/channels', { query: opts, idempotent: true });
        this.cacheChannels(r.channels, !opts.before && !r.next);
        return r;
    }
    /** Every channel of the user (pages of 200, at most `maxPages`), most recently active first. */
    async allChannels(maxPages = 25) {
        const all = [];
        let before;
        for (let page = 0; page < maxPages; page++) {
            const r = await this.http.request('GET', '/v1/channels', { query: { limit: 200, before }, idempotent: true });
            all.push(...r.channels);
            if (!r.next) {
                this.cacheChannels(all, true);
                return all;
            }
            before = r.next;
        }
        this.cacheChannels(all, false);
        return all;
    }
    cacheChannels(list, complete) {
        if (this._userId === undefined || this.snapshot.user !== this._userId)
            return;
        this.snapshot.mergeChannels(list, complete);
        this.cacheChanged();
    }
    getChannel(id) {
        return this.http.request('GET', `/v1/channels/${encodeURIComponent(id)}`, { idempotent: true });
    }
    members(id) {
        return this.http.request('GET', `/v1/channels/${encodeURIComponent(id)}/members`, { idempotent: true });
    }
    /**
     * A page of a channel's messages, in seq order. The latest page (neither `after`
     * nor `before`) is what an app shows when it opens a channel: the cache keeps it
     * (and then the channel's new messages) for `cached()`.
     */
    async history(id, opts = {}) {
        const page = await this.http.request('GET', `/v1/channels/${encodeURIComponent(id)}/messages`, {
            query: opts,
            idempotent: true,
        });
        if (opts.after === undefined && opts.before === undefined && this.snapshot.user === this._userId && this._userId !== undefined) {
            this.snapshot.latestPage(id, page.messages.map(fromHistory));
            this.cacheChanged();
        }
        if (page.floor_seq)
            this.onFloor(id, page.floor_seq);
        return page;
    }
    /**
     * A history page's `floor_seq`: the messages before it expired. Gap fills never
     * ask for them again, and the cache drops its copies of them.
     */
    onFloor(channel, floor) {
        if (floor <= (this.floors.get(channel) ?? 0))
            return;
        this.floors.set(channel, floor);
        if (this._userId !== undefined && this.snapshot.user === this._userId && this.snapshot.expire(channel, floor))
            this.cacheChanged();
    }
    /** One message as it now stands (edited text, tombstone, reactions, pin, quote). */
    async message(channel, seq) {
        return fromHistory(await this.http.request('GET', messagePath(channel, seq), { idempotent: true }));
    }
    /** A message's versions: the original text first, the current one last (none once deleted). */
    async messageEdits(channel, seq) {
        const r = await this.http.request('GET', `${messagePath(channel, seq)}/edits`, { idempotent: true });
        return { ...r, message: fromHistory(r.message) };
    }
    /**
     * Edits one's own message (`not_author`, `message_deleted`, `too_many_edits`, …);
     * resolves with it as it now stands. Every member gets a `message_edited` event.
     */
    async editMessage(channel, seq, text) {
        return fromHistory(await this.http.request('PATCH', messagePath(channel, seq), { body: { text }, idempotent: true }));
    }
    /**
     * Deletes a message for everyone (its author, or a group's owner or admin:
     * `forbidden` otherwise); resolves with the tombstone (`deleted`, no text).
     */
    async deleteMessage(channel, seq) {
        return fromHistory(await this.http.request('DELETE', messagePath(channel, seq), { idempotent: true }));
    }
    /** Adds (`add`, the default) or takes back the user's reaction with one emoji; resolves with the message as it now stands. */
    async react(channel, seq, emoji, add = true) {
        const path = `${messagePath(channel, seq)}/reactions/${encodeURIComponent(emoji)}`;
        return fromHistory(await this.http.request(add ? 'PUT' : 'DELETE', path, { idempotent: true }));
    }
    /**
     * Pins (`pin`, the default) or unpins a message (a group's owner or admins, or
     * either side of a 1:1 channel); resolves with it as it now stands.
     */
    async pin(channel, seq, pin = true) {
        const path = `/v1/channels/${encodeURIComponent(channel)}/pins/${seq}`;
        return fromHistory(await this.http.request(pin ? 'PUT' : 'DELETE', path, { idempotent: true }));
    }
    /** A channel's pinned messages as they now stand, the latest pin first. */
    async pins(channel) {
        const r = await this.http.request('GET', `/v1/channels/${encodeURIComponent(channel)}/pins`, { idempotent: true });
        return { pins: r.pins.map(fromHistory) };
    }
    /**
     * Deletes a message for the user only: every device of theirs gets a `hidden`
     * event (this one too); nobody else sees a difference.
     */
    async hide(channel, seq) {
        await this.http.request('PUT', `${messagePath(channel, seq)}/hidden`, { idempotent: true });
    }
    /**
     * Mutes (level `none`) or unmutes (level `all`) a channel's push notifications;
     * kept for apps written before levels: `setNotifications` chooses among all three.
     */
    async mute(id, muted) {
        const r = await this.http.request('PUT', `/v1/channels/${encodeURIComponent(id)}/mute`, {
            body: { muted },
            idempotent: true,
        });
        this.cacheNotifications(id, r.muted ? 'none' : 'all');
        return r;
    }
    /**
     * Which messages of a channel send the user push notifications: `all`, `mentions`
     * (only those that mention the user) or `none` (muted; messages still arrive on
     * connected devices). The channel list's `notifications` shows it (the cache too).
     */
    async setNotifications(id, level) {
        const r = await this.http.request('PUT', `/v1/channels/${encodeURIComponent(id)}/notifications`, {
            body: { level },
            idempotent: true,
        });
        this.cacheNotifications(id, r.level);
        return r;
    }
    cacheNotifications(id, level) {
        if (this._userId === undefined || this.snapshot.user !== this._userId)
            return;
        if (this.snapshot.setNotifications(id, level))
            this.cacheChanged();
    }
    /**
     * Where the channel's other members stand (`read` and `delivered` seqs), for
     * ticks and "read by N of M": only members who share read receipts, and none
     * when the user does not. `receipt` events keep it current.
     */
    receipts(id) {
        return this.http.request('GET', `/v1/channels/${encodeURIComponent(id)}/receipts`, { idempotent: true });
    }
    /**
     * Creates a group. Not retried on `unavailable` (the creation may have been recorded:
     * look at the channel list before retrying, or a second group is made).
     */
    createGroup(name, members) {
        return this.http.request('POST', '/v1/groups', { body: { name, members } });
    }
    renameGroup(id, name) {
        return this.http.request('PATCH', `/v1/groups/${encodeURIComponent(id)}`, { body: { name }, idempotent: true });
    }
    /**
     * How long a group keeps its messages (owner or admins: `forbidden` otherwise):
     * older ones are removed for everyone, for good. `maxAgeSecs` from 3,600 (an hour)
     * to ten years (`bad_request` otherwise; `not_a_group` for a 1:1 channel), or 0 to
     * keep them as long as the server does. The group sees `retention_changed`;
     * answers the group (`max_age_secs`).
     */
    setRetention(id, maxAgeSecs) {
        return this.http.request('PUT', `/v1/groups/${encodeURIComponent(id)}/retention`, {
            body: { max_age_secs: maxAgeSecs },
            idempotent: true,
        });
    }
    addMembers(id, users) {
        return this.http.request('POST', `/v1/groups/${encodeURIComponent(id)}/members`, { body: { users }, idempotent: true });
    }
    removeMember(id, user) {
        return this.http.request('DELETE', `/v1/groups/${encodeURIComponent(id)}/members/${encodeURIComponent(user)}`, {
            idempotent: true,
        });
    }
    leaveGroup(id) {
        return this.http.request('POST', `/v1/groups/${encodeURIComponent(id)}/leave`, { body: {}, idempotent: true });
    }
    setRole(id, user, role) {
        return this.http.request('PUT', `/v1/groups/${encodeURIComponent(id)}/members/${encodeURIComponent(user)}/role`, {
            body: { role },
            idempotent: true,
        });
    }
    /**
     * Bans a user from a group (owner: anyone but themselves; admins: members and
     * non-members): a member is removed (they get `member_banned` and nothing after
     * it) and nobody can add them again (`forbidden`) until `unban`. Answers the group.
     */
    ban(id, user) {
        return this.http.request('PUT', `/v1/groups/${encodeURIComponent(id)}/bans/${encodeURIComponent(user)}`, { idempotent: true });
    }
    /** Lifts a user's ban from a group (`member_unbanned`): they may be added again. */
    unban(id, user) {
        return this.http.request('DELETE', `/v1/groups/${encodeURIComponent(id)}/bans/${encodeURIComponent(user)}`, { idempotent: true });
    }
    /**
     * Mutes a group member for `minutes` (1 to 525,600): until then their sends,
     * typing, edits, reactions and pins there are refused with `forbidden`. The group
     * sees `member_muted` with `until`. Owner mutes anyone else, admins mute members.
     * Not retried on `unavailable`: a repeat would move the end.
     */
    muteMember(id, user, minutes) {
        return this.http.request('PUT', `/v1/groups/${encodeURIComponent(id)}/members/${encodeURIComponent(user)}/mute`, {
            body: { minutes },
        });
    }
    /** Lifts a member's mute (`member_muted` with `until: 0`). */
    unmuteMember(id, user) {
        return this.http.request('DELETE', `/v1/groups/${encodeURIComponent(id)}/members/${encodeURIComponent(user)}/mute`, {
            idempotent: true,
        });
    }
    /**
     * Blocks a user: nothing goes either way in the 1:1 channel (`forbidden`), no new
     * 1:1 channel, no group additions by them, no presence for them, no notifications
     * of their messages. They are not told. Blocking again changes nothing.
     */
    async block(user) {
        await this.http.request('PUT', `/v1/blocks/${encodeURIComponent(user)}`, { idempotent: true });
    }
    /** Unblocks a user (someone not blocked: nothing changes). */
    async unblock(user) {
        await this.http.request('DELETE', `/v1/blocks/${encodeURIComponent(user)}`, { idempotent: true });
    }
    /** The users the user blocks (their profiles). */
    blocks() {
        return this.http.request('GET', '/v1/blocks', { idempotent: true });
    }
    /**
     * Reports a message the user can see (`{channel, seq}`) or a user (`{user}`) to the
     * operators, with a reason and an optional note (at most 1,000 characters);
     * resolves with the report's id. `rate_limited` after 10 (then 2 a minute).
     * Not retried on `unavailable` (a repeat would file a second report).
     */
    report(target, reason, note) {
        const body = 'user' in target ? { user: target.user, reason } : { channel: target.channel, seq: target.seq, reason };
        if (note)
            body.note = note;
        return this.http.request('POST', '/v1/reports', { body });
    }
    /**
     * Makes an invite link to a group (owners and admins: `forbidden` otherwise): it
     * works for `minutes` (1 to 43,200) and for `maxUses` joins (0, the default: no
     * limit). Share `code`; `joinByInvite(code)` joins. Not retried on `unavailable`
     * (a repeat would make a second invite).
     */
    createInvite(group, minutes, maxUses = 0) {
        return this.http.request('POST', `/v1/groups/${encodeURIComponent(group)}/invites`, {
            body: { minutes, max_uses: maxUses },
        });
    }
    /** A group's open invites (not expired, used up or revoked): owners and admins. */
    invites(group) {
        return this.http.request('GET', `/v1/groups/${encodeURIComponent(group)}/invites`, { idempotent: true });
    }
    /** Revokes an invite: joining with its code fails with `not_found` from then on. */
    async revokeInvite(group, code) {
        await this.http.request('DELETE', `/v1/groups/${encodeURIComponent(group)}/invites/${encodeURIComponent(code)}`, {
            idempotent: true,
        });
    }
    /**
     * Joins a group with an invite code; resolves with the group (joining again
     * changes nothing). The group joins the cached channel list as one the user was
     * added to does. `not_found` (no such invite, or it expired, was used up or
     * revoked), `forbidden` (banned), `group_full`, `too_many_channels`.
     */
    async joinByInvite(code) {
        const ch = await this.http.request('POST', `/v1/invites/${encodeURIComponent(code)}/join`, { idempotent: true });
        if (this.cacheOn && this._userId !== undefined && this.snapshot.user === this._userId && !this.snapshot.hasChannel(ch.id)) {
            await this.listChannels({ limit: 50 }).catch(() => undefined);
        }
        return ch;
    }
    /**
     * Asks `user` to chat (no `group`) or to join `group` (one the user owns or
     * administers), for when their privacy settings refused it directly (`openDm` or
     * `addMembers` failed with `forbidden`). They get a `chat_request` event at once;
     * the request waits 30 days for them to accept or decline. Asking again while one
     * waits answers the same request. Fails with `forbidden` (they accept nothing from
     * the user: a block, their setting is `nobody`; they have 100 waiting; the user's
     * role), `bad_request` (oneself, already a member), `not_a_member`, `user_not_found`.
     */
    async requestChat(user, group) {
        const body = { user };
        if (group !== undefined)
            body.group = group;
        return withoutNulls(await this.http.request('POST', '/v1/requests', { body, idempotent: true }));
    }
    /** The requests waiting for the user (to chat, to join a group), newest first. */
    async chatRequests() {
        const list = await this.http.request('GET', '/v1/requests', { idempotent: true });
        return list.map((r) => withoutNulls(r));
    }
    /**
     * Accepts a request waiting for the user; resolves with the channel: the 1:1 chat
     * with the asker (the one `openDm` gives), or the group, which the user joins as if
     * the asker added them (the group sees `members_added`). The channel joins the
     * cached channel list as after `joinByInvite`. `not_found` (no such request
     * waiting), `forbidden`, `group_full`, `too_many_channels`. Not retried on
     * `unavailable` (a repeat after it was applied would answer `not_found`).
     */
    async acceptRequest(id) {
        const ch = await this.http.request('POST', `/v1/requests/${encodeURIComponent(id)}/accept`);
        if (this.cacheOn && this._userId !== undefined && this.snapshot.user === this._userId && !this.snapshot.hasChannel(ch.id)) {
            await this.listChannels({ limit: 50 }).catch(() => undefined);
        }
        return ch;
    }
    /**
     * Declines a request waiting for the user (the asker is not told); `not_found` if
     * none waits. Not retried on `unavailable` (a repeat would answer `not_found`).
     */
    async declineRequest(id) {
        await this.http.request('DELETE', `/v1/requests/${encodeURIComponent(id)}`);
    }
    /**
     * Starts an export of the user's data (profile, channels, visible messages) or
     * answers the one running or made within the hour. Poll `exportStatus()` until
     * `state` is `ready` (then `url`, relative to `baseUrl`, downloads the JSON archive
     * without a token until `expires_at`) or `failed` (start again).
     */
    startExport() {
        return this.http.request('POST', '/v1/me/export', { idempotent: true });
    }
    /** Where the user's latest export stands (`not_found`: none in the last day). */
    exportStatus() {
        return this.http.request('GET', '/v1/me/export', { idempotent: true });
    }
    listDevices() {
        return this.http.request('GET', '/v1/devices', { idempotent: true });
    }
    registerPush(req) {
        return this.http.request('POST', '/v1/devices', { body: req, idempotent: true });
    }
    unregisterPush(deviceId) {
        return this.http.request('DELETE', `/v1/devices/${encodeURIComponent(deviceId)}`, { idempotent: true });
    }
    /** The edge's VAPID public key for Web Push (`not_found` when it has none). */
    webpushKey() {
        return this.http.request('GET', '/v1/push/webpush-key', { auth: false, idempotent: true });
    }
    // ---------------------------------------------------------------- connection
    /**
     * Connects (discovery, socket, catch-up) and keeps reconnecting until `disconnect()`.
     * Resolves at the first `synced`; rejects on a fatal error (token refused, other
     * protocol version), after which the client is `stopped`.
     */
    async connect() {
        await this.restore();
        if (!this.token)
            throw new NatterError('token_invalid', 'log in (or pass a token) before connecting');
        if (!this.WS)
            throw new Error('natter: no WebSocket: pass options.WebSocket (e.g. the `ws` package in Node)');
        const synced = this.waitSynced();
        if (!this.running) {
            this.running = true;
            void this.loop();
        }
        return synced;
    }
    /** Resolves at the next `synced` (at once while live). */
    waitSynced() {
        if (this._state === 'live')
            return Promise.resolve();
        return new Promise((resolve, reject) => this.syncedWaiters.push({ resolve, reject }));
    }
    /** Closes the socket cleanly (acks written first by the server) and stops reconnecting. */
    async disconnect() {
        this.running = false;
        if (this.reconnectTimer !== undefined)
            clearTimeout(this.reconnectTimer);
        this.wake?.();
        this.flushAcks();
        const ws = this.ws;
        // Detached first: a frame that arrives while the socket closes is not handled (not
        // acked either, so the next connect's catch-up brings it again).
        this.ws = undefined;
        if (ws && ws.readyState <= 1) {
            const closed = new Promise((res) => {
                const prev = ws.onclose;
                const timer = setTimeout(res, 3000);
                ws.onclose = (ev) => {
                    clearTimeout(timer);
                    prev?.(ev);
                    res();
                };
            });
            ws.close(1000, 'bye');
            await closed;
        }
        // A close that never completed (the network is gone) must not keep the heartbeat.
        this.abandonSocket?.();
        if (this.listTimer !== undefined)
            clearTimeout(this.listTimer);
        this.listTimer = undefined;
        this.ws = undefined;
        await this.flushCache();
        await this.persistChain;
        this.setState('stopped');
        for (const w of this.syncedWaiters.splice(0))
            w.reject(new NatterError('closed', 'the client was disconnected'));
    }
    fatal(err) {
        this.running = false;
        this.emit('error', err);
        for (const w of this.syncedWaiters.splice(0))
            w.reject(err);
        try {
            this.ws?.close(1000, 'fatal');
        }
        catch {
            /* closed */
        }
        this.setState('stopped');
    }
    async loop() {
        while (this.running) {
            this.setState('connecting');
            let closed;
            const token = this.token;
            try {
                if (this.o.refreshToken) {
                    const t = await this.o.refreshToken();
                    if (t) {
                        this.token = t;
                        await this.persist('token', t);
                    }
                }
                const d = await this.discover();
                if (!this.running)
                    break;
                closed = this.open(usableWsUrl(d.ws_url, this.http.baseUrl));
            }
            catch (e) {
                const err = e instanceof NatterError ? e : new NatterError('network', String(e?.message ?? e), { cause: e });
                if (err.code === 'token_invalid' || err.code === 'token_expired' || err.code === 'protocol_mismatch') {
                    this.fatal(err);
                    return;
                }
                if (err.code === 'token_revoked') {
                    // Ended here (stopped, erased) unless a password change replaced the token.
                    await this.onRevoked(err, token);
                    if (!this.running)
                        break;
                    if (this.token !== token)
                        this.reconnectNow = true;
                }
            }
            const end = closed ? await closed : { reachedSync: false, revoked: false, token };
            if (end.revoked) {
                await this.onRevoked(new NatterError('token_revoked', 'this session was ended: log in again'), end.token);
                if (!this.running)
                    break;
                if (this.token !== end.token)
                    this.reconnectNow = true;
            }
            if (!this.running)
                break;
            if (end.reachedSync)
                this.attempt = 0;
            if (this.reconnectNow) {
                // A new token (password change): connect with it now.
                this.reconnectNow = false;
                this.attempt = 0;
                continue;
            }
            const delay = Math.min(this.o.backoffMaxMs, this.o.backoffInitialMs * 2 ** this.attempt) * (0.5 + Math.random() * 0.5);
            this.attempt = Math.min(this.attempt + 1, 30);
            this.retryAt = Date.now() + delay;
            this.setState('offline');
            await new Promise((res) => {
                this.wake = res;
                this.reconnectTimer = setTimeout(res, delay);
            });
            this.wake = undefined;
            this.retryAt = undefined;
        }
    }
    /**
     * Skips the wait before the next connection attempt and resets the backoff (the
     * platform says the network is back, or the app came to the foreground). Does
     * nothing unless the client is `offline` between attempts.
     */
    retryNow() {
        if (!this.running || !this.wake)
            return;
        if (this.reconnectTimer !== undefined)
            clearTimeout(this.reconnectTimer);
        this.attempt = 0;
        this.wake();
    }
    /** Replaces the socket at once (a new token): no backoff. Nothing when not running. */
    reconnect() {
        if (!this.running)
            return;
        this.reconnectNow = true;
        if (this.wake) {
            if (this.reconnectTimer !== undefined)
                clearTimeout(this.reconnectTimer);
            this.wake();
            return;
        }
        const ws = this.ws;
        const abandon = this.abandonSocket;
        if (!ws)
            return; // connecting: the attempt under way ends and the next starts at once
        try {
            ws.close(1000, 'new token');
        }
        catch {
            /* closed */
        }
        abandon?.();
    }
    /**
     * Drops the current socket at once without stopping: the client goes `offline` and
     * reconnects with backoff. For when the platform says the network is gone (the
     * heartbeat alone notices a dead socket only after three silent intervals).
     */
    dropConnection() {
        const ws = this.ws;
        const abandon = this.abandonSocket;
        if (!ws)
            return;
        try {
            ws.close(4001, 'network lost');
        }
        catch {
            /* closed */
        }
        abandon?.();
    }
    /**
     * Opens one socket; resolves when it closes, with whether it reached `synced` and
     * whether the server ended it for its token's session (`token_revoked`).
     */
    open(wsUrl) {
        return new Promise((resolveClosed) => {
            const WS = this.WS;
            const token = this.token;
            let url = `${wsUrl}${wsUrl.includes('?') ? '&' : '?'}token=${encodeURIComponent(token ?? '')}`;
            if (this._deviceId)
                url += `&device=${encodeURIComponent(this._deviceId)}`;
            let reachedSync = false;
            let revoked = false;
            let done = false;
            this.reconnectNow = false; // this socket has the newest token
            const ws = new WS(url);
            this.ws = ws;
            this.inbox = Promise.resolve();
            const finish = () => {
                if (done)
                    return;
                done = true;
                if (this.heartbeat !== undefined)
                    clearInterval(this.heartbeat);
                this.heartbeat = undefined;
                if (this.ws === ws)
                    this.ws = undefined;
                if (this.abandonSocket === finish)
                    this.abandonSocket = undefined;
                resolveClosed({ reachedSync, revoked, token });
            };
            this.abandonSocket = finish;
            ws.onopen = () => {
                this.helloed = false;
                this.written.clear();
                this.setState('syncing');
                this.lastFrameAt = Date.now();
                this.heartbeat = setInterval(() => {
                    if (Date.now() - this.lastFrameAt > 3 * this.o.heartbeatMs) {
                        try {
                            ws.close(4000, 'heartbeat timeout');
                        }
                        catch {
                            /* closed */
                        }
                        finish();
                        return;
                    }
                    this.sendOp({ op: 'ping' });
                }, this.o.heartbeatMs);
            };
            ws.onmessage = (ev) => {
                this.lastFrameAt = Date.now();
                let frame;
                try {
                    const data = typeof ev.data === 'string' ? ev.data : new TextDecoder().decode(ev.data);
                    frame = JSON.parse(data);
                }
                catch {
                    this.emit('error', new NatterError('bad_response', 'a frame that is not JSON'));
                    return;
                }
                if (frame.type === 'error' && frame.code === 'token_revoked' && !frame.client_msg_id && !frame.op_id) {
                    // The session ended: the server closes the socket next (1008, token_revoked).
                    revoked = true;
                    return;
                }
                if (frame.type === 'synced') {
                    // `synced` resolves after every frame before it was handled (gap fills included).
                    this.inbox = this.inbox.then(() => {
                        if (this.ws !== ws)
                            return;
                        reachedSync = true;
                        this.onSynced(frame);
                    });
                    return;
                }
                this.inbox = this.inbox.then(() => (this.ws === ws ? this.onFrame(frame, ws) : undefined)).catch((e) => {
                    this.emit('error', e instanceof NatterError ? e : new NatterError('bad_response', String(e)));
                });
            };
            ws.onerror = () => {
                /* onclose follows */
            };
            ws.onclose = (ev) => {
                if (ev?.reason === 'token_revoked')
                    revoked = true;
                finish();
            };
        });
    }
    /**
     * Writes a send on the current socket once: not before its `hello` (whose handler
     * writes the whole outbox), and not twice on one socket (a send queued while the
     * hello was handled would otherwise go out from both places).
     */
    writeSend(e) {
        if (!this.helloed || this.written.has(e.client_msg_id))
            return;
        const op = e.forward
            ? { op: 'send', channel: e.channel, client_msg_id: e.client_msg_id, text: '', forward: e.forward }
            : {
                op: 'send',
                channel: e.channel,
                client_msg_id: e.client_msg_id,
                text: e.text,
                ...(e.reply_to !== undefined ? { reply_to: e.reply_to } : {}),
                ...(e.attachments?.length ? { attachments: e.attachments } : {}),
            };
        if (this.sendOp(op)) {
            this.written.add(e.client_msg_id);
        }
    }
    sendOp(op) {
        const ws = this.ws;
        if (!ws || ws.readyState !== 1)
            return false;
        try {
            ws.send(JSON.stringify(op));
            return true;
        }
        catch {
            return false;
        }
    }
    onSynced(f) {
        this.flushAcks();
        this.setState('live');
        this.emit('synced', { channels: f.channels, messages: f.messages });
        for (const w of this.syncedWaiters.splice(0))
            w.resolve();
    }
    async onFrame(frame, ws) {
        switch (frame.type) {
            case 'hello': {
                const protocol = frame.protocol ?? 1;
                if (protocol !== PROTOCOL_VERSION) {
                    this.fatal(new ProtocolVersionError(protocol, PROTOCOL_VERSION));
                    return;
                }
                // A token of another account than the stored one: nothing kept applies.
                if (this._userId !== undefined && this._userId !== frame.user_id)
                    await this.forgetAccount(frame.user_id);
                this._userId = frame.user_id;
                this.snapshot.own(frame.user_id);
                if (this._deviceId !== frame.device_id) {
                    this._deviceId = frame.device_id;
                    await this.persist('device', frame.device_id);
                }
                this.emit('hello', frame);
                if (this.presenceWatch.size)
                    this.sendOp({ op: 'presence_subscribe', users: [...this.presenceWatch] });
                // Resend every unacknowledged send with its own client_msg_id: never a duplicate.
                this.helloed = true;
                for (const e of this.outbox.values())
                    this.writeSend(e);
                return;
            }
            case 'message': {
                const { type: _t, ...m } = frame;
                await this.onMessage(m, ws);
                return;
            }
            case 'ack': {
                if (this.outbox.delete(frame.client_msg_id))
                    await this.persistOutbox();
                this.emit('ack', { channel: frame.channel, client_msg_id: frame.client_msg_id, message_id: frame.message_id });
                return;
            }
            case 'error':
                await this.onErrorFrame(frame);
                return;
            case 'read':
                this.snapshot.onRead(frame.channel, frame.seq);
                this.cacheChanged();
                this.emit('read', { channel: frame.channel, seq: frame.seq });
                return;
            case 'typing':
                this.emit('typing', { channel: frame.channel, user: frame.user });
                return;
            case 'presence': {
                const { type: _t, ...p } = frame;
                this.emit('presence', p);
                return;
            }
            case 'reconnect':
                // The edge drains: reconnect (through discovery) now.
                try {
                    ws.close(1000, 'reconnect');
                }
                catch {
                    /* closed */
                }
                return;
            case 'hidden':
                this.snapshot.onHidden(frame.channel, frame.seq);
                this.cacheChanged();
                this.emit('hidden', { channel: frame.channel, seq: frame.seq });
                return;
            case 'receipt': {
                const { type: _t, ...r } = frame;
                this.emit('receipt', r);
                return;
            }
            case 'chat_request': {
                const { type: _t, ...r } = frame;
                this.emit('chat_request', withoutNulls(r));
                return;
            }
            case 'pong':
                return;
            default:
                return; // A newer server's event this SDK does not know: ignored.
        }
    }
    async onMessage(m, ws) {
        const last = this.seqs.get(m.channel);
        if (last !== undefined && m.seq <= last) {
            this.emit('duplicate', m);
            return;
        }
        if (last !== undefined && m.seq > last + 1) {
            // A gap (e.g. the server's cursor was ahead of what this client kept): fill it
            // from history. Seqs below the channel's floor expired: they count as filled.
            let after = Math.max(last, (this.floors.get(m.channel) ?? 0) - 1);
            while (after < m.seq - 1) {
                const page = await this.history(m.channel, { after, limit: Math.min(200, m.seq - 1 - after) });
                if (this.ws !== ws)
                    return; // reconnected meanwhile: the catch-up resends
                const msgs = page.messages.filter((x) => x.seq > after && x.seq < m.seq);
                for (const x of msgs)
                    this.deliver(fromHistory(x));
                if (msgs.length)
                    after = msgs[msgs.length - 1].seq;
                // What the page says expired is never asked for: the fill stops at the floor.
                after = Math.max(after, (page.floor_seq ?? 0) - 1);
                if (msgs.length === 0 || !page.has_more)
                    break;
            }
        }
        this.deliver(m);
    }
    deliver(m) {
        this.seqs.set(m.channel, m.seq);
        const own = m.sender === this._userId && m.client_msg_id !== '';
        if (own && this.outbox.delete(m.client_msg_id))
            void this.persistOutbox();
        if (this.token !== undefined && this.snapshot.user === this._userId) {
            this.snapshot.onMessage(m);
            this.cacheChanged();
            // A channel new to the cached list (a new DM, a group one was added to): its
            // summary (name, kind, peer) comes from the list's first page, once.
            if (this.cacheOn && !this.snapshot.hasChannel(m.channel) && !this.unlisted.has(m.channel)) {
                this.unlisted.add(m.channel);
                this.listTimer ??= setTimeout(() => {
                    this.listTimer = undefined;
                    if (this.running)
                        this.listChannels({ limit: 50 }).catch(() => undefined);
                }, 1000);
            }
        }
        this.emit('message', m);
        if (own) {
            const p = this.pending.get(m.client_msg_id);
            if (p) {
                this.pending.delete(m.client_msg_id);
                p.resolve(m);
            }
        }
        this.pendingAcks.set(m.channel, m.seq);
        if (this.ackTimer === undefined)
            this.ackTimer = setTimeout(() => this.flushAcks(), this.o.ackDelayMs);
    }
    /** Sends the coalesced cursor acks (one per channel) and persists the seqs. */
    flushAcks() {
        if (this.ackTimer !== undefined)
            clearTimeout(this.ackTimer);
        this.ackTimer = undefined;
        if (this.pendingAcks.size === 0)
            return;
        for (const [channel, seq] of this.pendingAcks) {
            if (!this.sendOp({ op: 'ack', channel, seq }))
                break; // the next catch-up repeats; seqs dedupe
            this.pendingAcks.delete(channel);
        }
        void this.persistSeqs();
    }
    async onErrorFrame(f) {
        const err = new NatterError(f.code, f.message, { retryAfterMs: f.retry_after_ms, clientMsgId: f.client_msg_id, opId: f.op_id });
        const id = f.client_msg_id;
        const entry = id ? this.outbox.get(id) : undefined;
        if (!id || (!entry && !this.pending.has(id))) {
            this.emit('error', err);
            return;
        }
        if (entry && (f.code === 'rate_limited' || f.code === 'unavailable')) {
            // Kept in the outbox: retried after the wait, or at the next connect.
            const wait = f.retry_after_ms ?? 1000;
            setTimeout(() => {
                if (this.outbox.has(entry.client_msg_id)) {
                    this.written.delete(entry.client_msg_id);
                    this.writeSend(entry);
                }
            }, wait);
            return;
        }
        if (entry) {
            this.outbox.delete(id);
            await this.persistOutbox();
        }
        const p = this.pending.get(id);
        this.pending.delete(id);
        if (p)
            p.reject(err);
        this.emit('send_error', err);
    }
    // ---------------------------------------------------------------- ops
    /**
     * Sends a text message. It goes to the outbox first (persisted), is sent now if
     * connected and again after every reconnect with the same client_msg_id until the
     * server acks it. Resolves with the stored message (its seq) once it comes back;
     * rejects with a NatterError the server gave for it (`not_a_member`, …).
     */
    async send(channel, text, opts = {}) {
        const entry = { channel, client_msg_id: opts.clientMsgId ?? newClientMsgId(), text, created_at: Date.now() };
        if (opts.replyTo !== undefined)
            entry.reply_to = opts.replyTo;
        if (opts.attachments?.length)
            entry.attachments = [...opts.attachments];
        return this.enqueue(entry);
    }
    // ---------------------------------------------------------------- files
    /**
     * Uploads a file for a send to `channel` (then `send(channel, caption, {attachments:
     * [a.id]})`). Up to the part size (1 MiB by default; learnt from the server's first
     * upload in parts) it goes whole in one request; a larger file goes in parts, each
     * retried with backoff on network errors and `unavailable`, resumed from the parts
     * the server has. `onProgress` is called per part (fetch gives no finer upload
     * progress). A failure of an upload in parts carries `uploadId` (pass it back in
     * `opts.uploadId` to resume later).
     */
    uploadFile(channel, data, opts) {
        return this.files.upload(channel, data, opts);
    }
    /**
     * An absolute URL (and its expiry) to a file of the message at `seq`, or with
     * `thumbnail` to its thumbnail: for an `<img src>`, a download, a player. Links
     * are kept until shortly before they expire; an image not processed yet is waited
     * for (`unavailable` with `retry_after_ms`), a bounded number of times.
     */
    attachmentLink(channel, seq, attachment, opts = {}) {
        return this.files.link(channel, seq, attachment, opts);
    }
    /** `attachmentLink(…).url`: an absolute URL to the file (or its thumbnail). */
    async attachmentUrl(channel, seq, attachment, opts = {}) {
        return (await this.files.link(channel, seq, attachment, opts)).url;
    }
    /**
     * Forwards a copy of the message at `seq` of `fromChannel` to `channel` (the user
     * must be a member of both). Through the outbox like `send()`; resolves with the
     * stored copy (`forwarded: true`, the source's text), or rejects with
     * `message_not_found`, `message_deleted`, `not_a_member`, …
     */
    forward(channel, fromChannel, seq, opts = {}) {
        return this.enqueue({
            channel,
            client_msg_id: opts.clientMsgId ?? newClientMsgId(),
            text: '',
            created_at: Date.now(),
            forward: { channel: fromChannel, seq },
        });
    }
    async enqueue(entry) {
        await this.restore();
        this.outbox.set(entry.client_msg_id, entry);
        this.lastTyping.delete(entry.channel); // the message ends the typing: the next keystroke tells again
        await this.persistOutbox();
        const result = new Promise((resolve, reject) => this.pending.set(entry.client_msg_id, { resolve, reject }));
        this.writeSend(entry);
        return result;
    }
    /**
     * Waits for a send made before an app restart (still in `pendingSends()`) to come
     * back as a message, or rejects with its error. Call it only for a pending send: one
     * that already came back is not delivered again, so the promise would not settle.
     */
    waitForSend(clientMsgId) {
        return new Promise((resolve, reject) => this.pending.set(clientMsgId, { resolve, reject }));
    }
    /** Marks a channel read up to `seq` (every device of the user gets `read`). */
    markRead(channel, seq) {
        return this.sendOp({ op: 'read', channel, seq });
    }
    /** Tells the channel's other members the user is typing (at most every 3 s per channel). */
    typing(channel) {
        const now = Date.now();
        if (now - (this.lastTyping.get(channel) ?? 0) < 3000)
            return false;
        this.lastTyping.set(channel, now);
        return this.sendOp({ op: 'typing', channel });
    }
    /** Watches users' presence (kept across reconnects): `presence` events. */
    subscribePresence(users) {
        for (const u of users)
            this.presenceWatch.add(u);
        this.sendOp({ op: 'presence_subscribe', users });
    }
    unsubscribePresence(users) {
        for (const u of users)
            this.presenceWatch.delete(u);
        this.sendOp({ op: 'presence_unsubscribe', users });
    }
    /**
     * Writes a change op (`edit`, `delete`, `react`, `pin`, `hide`) on the socket, with
     * an `op_id` (the given one, or a fresh one). Returns the op_id, or undefined when
     * not connected (nothing was written: ops are not queued). Success shows as the
     * channel's change event (`hide`: a `hidden` event); a refusal as an `error` event
     * whose `opId` is this one. The HTTP methods (`editMessage`, …) answer with the
     * message as it now stands instead: prefer them when the caller waits for the outcome.
     */
    sendChangeOp(op) {
        const withId = { ...op, op_id: op.op_id ?? newClientMsgId() };
        if (!this.helloed)
            return undefined;
        return this.sendOp(withId) ? withId.op_id : undefined;
    }
}
