import { type CacheLimits, type CachedState } from './cache.js';
import { Emitter } from './emitter.js';
import { NatterError } from './errors.js';
import { type FileData, type UploadOptions } from './files.js';
import { Http, type FetchLike } from './http.js';
import { type KeyValueStore } from './storage.js';
import type { AccountDeletion, Attachment, AttachmentLink, AuthResponse, Channel, ChangeOp, ChannelList, ChannelReceipts, ChannelSummary, ChatRequest, DeviceInfo, DeviceList, DiscoverResponse, ExportStatus, HelloFrame, HistoryPage, Id, Invite, MemberList, Message, MessageEdits, NotifyLevel, PinList, Presence, Profile, ReadFrame, ReceiptFrame, RegisterPushRequest, ReportReason, ReportReceipt, ReportTarget, SessionInfo, SyncedFrame, TypingFrame, UpdateProfileRequest, UserList, VersionResponse } from './types.js';
/** The protocol version this SDK speaks (`hello.protocol`, `GET /v1/version`). */
export declare const PROTOCOL_VERSION = 1;
/** The part of a WebSocket the SDK uses: the browser's, React Native's and `ws`'s all fit. */
export interface WebSocketLike {
    readonly readyState: number;
    send(data: string): void;
    close(code?: number, reason?: string): void;
    onopen: ((ev: any) => void) | null;
    onmessage: ((ev: {
        data: any;
    }) => void) | null;
    onclose: ((ev: {
        code?: number;
        reason?: string;
    }) => void) | null;
    onerror: ((ev: any) => void) | null;
}
export type WebSocketConstructor = new (url: string) => WebSocketLike;
export type ConnectionState = 'idle' | 'connecting' | 'syncing' | 'live' | 'offline' | 'stopped';
/** A send waiting for the server's `ack` (kept in the persistent outbox). */
export interface OutboxEntry {
    channel: Id;
    client_msg_id: string;
    /** Empty for a forward. */
    text: string;
    created_at: number;
    /** A reply: the seq of the replied-to message in the same channel. */
    reply_to?: number;
    /** A forward: the message copied. */
    forward?: {
        channel: Id;
        seq: number;
    };
    /** Ids of uploaded files the message carries (`text` is then their caption, maybe ''). */
    attachments?: Id[];
}
export interface NatterClientOptions {
    /** The edge's HTTP origin, e.g. `https://chat.example` or `http://127.0.0.1:8080`. */
    baseUrl: string;
    /** Default: `globalThis.fetch`. */
    fetch?: FetchLike;
    /** Default: `globalThis.WebSocket` (Node 20 has none: pass the `ws` package's). */
    WebSocket?: WebSocketConstructor;
    /** Where token, device id, seqs and the outbox persist. Default: memory only. */
    storage?: KeyValueStore;
    /** Key prefix in `storage` (default `natter:`): one per account if an app keeps several. */
    storagePrefix?: string;
    /** This installation's device id; default: the stored one, else the server assigns one. */
    deviceId?: string;
    /** A token from an earlier login (else the stored one). */
    token?: string;
    /** Reconnect backoff: first delay and cap (default 100 ms and 5 s), times a random 0.5–1. */
    backoffInitialMs?: number;
    backoffMaxMs?: number;
    /** Cursor acks are coalesced and sent at most this often per channel (default 200 ms). */
    ackDelayMs?: number;
    /** Heartbeat (`ping`) interval (default 10 s); a socket silent for 3 intervals is dropped. */
    heartbeatMs?: number;
    /** HTTP: retries of `rate_limited` (and `unavailable` for reads), default 3. */
    maxRetries?: number;
    /** HTTP: never wait longer than this for one retry (default 10 s). */
    maxRetryWaitMs?: number;
    /**
     * Called before each connect: return a fresh token, or undefined to keep the current
     * one. The server has no refresh tokens (yet): a fresh token comes from a new login.
     */
    refreshToken?: () => Promise<string | undefined>;
    /**
     * The local cache behind `cached()` (on by default): `false` keeps none, an object
     * changes its limits (see CacheLimits).
     */
    cache?: boolean | Partial<CacheLimits>;
    /** Cache writes are coalesced over this long (default 300 ms); `disconnect()` flushes them. */
    cacheWriteDelayMs?: number;
}
export interface NatterEvents {
    /** Every new message of the user's channels (own included), once, in seq order per channel. */
    message: Message;
    /** A send is durable on the server. */
    ack: {
        channel: Id;
        client_msg_id: string;
        message_id: Id;
    };
    /** A send failed for good (not retried): removed from the outbox. */
    send_error: NatterError;
    read: Omit<ReadFrame, 'type'>;
    typing: Omit<TypingFrame, 'type'>;
    presence: Presence;
    hello: HelloFrame;
    synced: Omit<SyncedFrame, 'type'>;
    state: ConnectionState;
    /**
     * An error frame not tied to a send (a refused `sendChangeOp` carries its `opId`),
     * or a fatal error (then state is `stopped`).
     */
    error: NatterError;
    /**
     * The user deleted a message for themselves (on this device or another): show
     * nothing of it (`hiddenPlaceholder` gives what to keep), and drop the change
     * events that still come for it.
     */
    hidden: {
        channel: Id;
        seq: number;
    };
    /**
     * How far another member got with a channel, told to the authors of the messages
     * it covers: `delivered` (a device of theirs has everything up to that seq; 1:1
     * channels) and/or `read` (their read seq moved there; only when both sides share
     * read receipts). Positions only grow: keep the highest per member. `receipts()`
     * gives every member's positions once, when a conversation opens.
     */
    receipt: Omit<ReceiptFrame, 'type'>;
    /**
     * Someone asks the user to chat (no `group`) or to join a group (`group`,
     * `group_name`), because the user's privacy settings did not let them do it
     * directly: show it with Accept (`acceptRequest(id)`) and Decline
     * (`declineRequest(id)`). Asking again while one waits gives the same `id`
     * (replace, do not add). `chatRequests()` lists those waiting (after a reconnect).
     */
    chat_request: ChatRequest;
    /** A message dropped because its seq was already seen (duplicate from a catch-up). */
    duplicate: Message;
    /**
     * The server refused the token (`token_invalid`, `token_expired`) on any call or
     * connect: the session is over, log in again. (An ended session comes as
     * `session_ended` instead.)
     */
    unauthorized: NatterError;
    /**
     * This client's session was ended elsewhere (another device ended it or logged out
     * everywhere, the password changed on another device, an operator suspended the
     * account): a call was refused with `token_revoked`, or the socket was closed with
     * it. Everything kept for the account is already erased, as by `logout()`, and the
     * client is `stopped` (it does not reconnect): show the login screen. Carries the
     * `token_revoked` error.
     */
    session_ended: NatterError;
}
export interface SendOptions {
    /** Your own id for the send (default: a random one). Resending it never duplicates. */
    clientMsgId?: string;
    /**
     * Makes the send a reply to the message at this seq of the same channel (kept only
     * if that seq holds a message). The stored message carries `reply_to`, its quote.
     */
    replyTo?: number;
    /** Ids of files uploaded to this channel (`uploadFile`); `text` may then be '' (no caption). */
    attachments?: Id[];
}
/** A fresh client_msg_id (what `send()` uses when given none). */
export declare function newClientMsgId(): string;
/**
 * The socket URL discovery gave, made usable from `baseUrl`: an edge listening on a
 * wildcard address (0.0.0.0, [::]) advertises it, so the host `baseUrl` reached is
 * used; a page served over https cannot open a ws: socket, so it becomes wss:.
 */
export declare function usableWsUrl(wsUrl: string, baseUrl: string): string;
/**
 * A Natter client: the HTTP API as typed calls, and one WebSocket kept connected
 * (discovery, catch-up, seq dedupe and gap fill, cursor acks, reconnect, outbox).
 */
export declare class NatterClient extends Emitter<NatterEvents> {
    readonly http: Http;
    private readonly files;
    private readonly o;
    private readonly store;
    private readonly prefix;
    private readonly WS;
    private readonly cacheOn;
    private readonly cacheLimits;
    private snapshot;
    private cacheTimer;
    private listTimer;
    /** Channels whose messages came before they were in the cached list (looked up once). */
    private unlisted;
    private token;
    private _deviceId;
    private _userId;
    private _state;
    private loaded;
    private seqs;
    /** Per channel, the highest `floor_seq` a history page reported: seqs below it expired. */
    private floors;
    private outbox;
    private pending;
    private pendingAcks;
    private ackTimer;
    private presenceWatch;
    private lastTyping;
    private ws;
    /** Whether the current socket's `hello` was handled (sends wait for it). */
    private helloed;
    /** client_msg_ids written on the current socket: each goes once per socket. */
    private written;
    private running;
    private attempt;
    private reconnectTimer;
    private heartbeat;
    private lastFrameAt;
    private inbox;
    private persistChain;
    private syncedWaiters;
    private wake;
    private retryAt;
    /** Ends the current socket's life at once (its close event may come much later). */
    private abandonSocket;
    /** Set by `reconnect()`: the next connection attempt starts without a backoff. */
    private reconnectNow;
    /**
     * A call that changes or ends this client's token (password change, logout, logout
     * everywhere) in flight: a `token_revoked` seen meanwhile is judged after it.
     */
    private tokenChanges;
    /** The erasing after this session was ended elsewhere (once). */
    private ending;
    constructor(options: NatterClientOptions);
    get state(): ConnectionState;
    get userId(): Id | undefined;
    get deviceId(): string | undefined;
    /** The current token (persisted in storage). */
    get currentToken(): string | undefined;
    /** The highest seq this client has per channel. */
    lastSeq(channel: Id): number;
    /**
     * The lowest seq of a channel that may still exist, as the latest history page
     * told (`floor_seq`; 1 when none expired or none was read yet): the messages
     * before it expired (retention) and are gone. Never page history below it.
     */
    floorSeq(channel: Id): number;
    /** The sends not yet acknowledged by the server, oldest first. */
    pendingSends(): OutboxEntry[];
    /** While `offline`: when the next connection attempt starts (ms since the epoch). */
    get nextRetryAt(): number | undefined;
    private setState;
    /** Loads token, device id, seqs, outbox and cache from storage (once; every call awaits it). */
    restore(): Promise<void>;
    /**
     * The last state this client saw (channel list with last messages and unread
     * counts, the latest messages of recently opened channels, the user's profile),
     * read from storage: no network, no connection needed. Undefined when nothing is
     * cached for the stored account. Draw it at once, then let events and calls
     * bring the rest: the cache follows them.
     */
    cached(): Promise<CachedState | undefined>;
    /** Writes what changed in the cache, coalesced over `cacheWriteDelayMs`. */
    private cacheChanged;
    private flushCache;
    /** Forgets what belongs to the previous account (its sends must never go out as another). */
    private forgetAccount;
    private persist;
    private persistOutbox;
    private persistSeqs;
    /** Creates an account and keeps its token. */
    signup(username: string, password: string, displayName?: string): Promise<AuthResponse>;
    /** Logs in and keeps the token. */
    login(username: string, password: string): Promise<AuthResponse>;
    private adopt;
    /**
     * Logs out: disconnects, forgets the token, user, seqs, outbox and cache (in storage
     * too), and ends the session on the server (`POST /v1/logout`: the token stops
     * working everywhere). The server part is best effort: when it cannot be reached
     * (or the session had already ended) everything is still forgotten here.
     */
    logout(): Promise<void>;
    /** `POST /v1/logout` with `token`, waited for at most `ms`; failures are ignored. */
    private endOnServer;
    /** Forgets the account here (token, user, seqs, outbox, cache; storage too). */
    private forgetLocally;
    /** Runs `op`, a call that changes or ends the token, listed in `tokenChanges` meanwhile. */
    private changingToken;
    /**
     * A call or socket with `token` was refused with `token_revoked`. After any token
     * change in flight (a password change ends the old token and gives a new one):
     * when `token` is still this client's, its session was ended elsewhere.
     */
    private onRevoked;
    /**
     * Ends every session of the user, this one included (`POST /v1/logout/everywhere`),
     * then forgets everything here as `logout()` does. Fails (and keeps everything)
     * when the server did not end them (`unavailable`, `network`: retry); an already
     * ended session counts as done.
     */
    logoutEverywhere(): Promise<void>;
    /** The user's sessions (logins not ended or expired), newest first; `current` marks this one. */
    sessions(): Promise<SessionInfo[]>;
    /**
     * Ends one of the user's sessions (another device's: its token stops working and
     * its sockets close). Ending this client's own session is a logout: prefer `logout()`.
     */
    endSession(id: Id): Promise<void>;
    /**
     * Changes the password (`current` is the password now). Every session of the user
     * ends, this one's old token included: the new token the server gives is kept (as
     * a login's is) and, when connected, the socket reconnects at once with it.
     * Fails with `invalid_credentials` when `current` is wrong, `invalid_password`,
     * `rate_limited`, …
     */
    changePassword(current: string, next: string): Promise<AuthResponse>;
    /**
     * Deletes the account (`DELETE /v1/me`; `password` is the password now). Every
     * session of the account ends and login fails from then on; its messages become
     * tombstones in every channel (within seconds: `account_deleted`). Then forgets
     * everything here as `logout()` does. Fails (and keeps everything) with
     * `invalid_credentials` when the password is wrong, `rate_limited`, `unavailable`, …
     */
    deleteAccount(password: string): Promise<AccountDeletion>;
    /** `GET /v1/version`; a server without it speaks protocol 1. */
    serverVersion(): Promise<VersionResponse>;
    /** Fails with ProtocolVersionError if the server speaks another protocol version. */
    checkVersion(): Promise<VersionResponse>;
    me(): Promise<Profile>;
    updateMe(patch: UpdateProfileRequest): Promise<Profile>;
    private cacheProfile;
    getUser(id: Id): Promise<Profile>;
    searchUsers(q: string, limit?: number): Promise<UserList>;
    discover(): Promise<DiscoverResponse>;
    /** The one 1:1 channel with `peer` (created on first call). */
    openDm(peer: Id): Promise<Channel>;
    /** One page of the user's channels, most recently active first (kept in the cache). */
    listChannels(opts?: {
        limit?: number;
        before?: string;
    }): Promise<ChannelList>;
    /** Every channel of the user (pages of 200, at most `maxPages`), most recently active first. */
    allChannels(maxPages?: number): Promise<ChannelSummary[]>;
    private cacheChannels;
    getChannel(id: Id): Promise<Channel>;
    members(id: Id): Promise<MemberList>;
    /**
     * A page of a channel's messages, in seq order. The latest page (neither `after`
     * nor `before`) is what an app shows when it opens a channel: the cache keeps it
     * (and then the channel's new messages) for `cached()`.
     */
    history(id: Id, opts?: {
        after?: number;
        before?: number;
        limit?: number;
    }): Promise<HistoryPage>;
    /**
     * A history page's `floor_seq`: the messages before it expired. Gap fills never
     * ask for them again, and the cache drops its copies of them.
     */
    private onFloor;
    /** One message as it now stands (edited text, tombstone, reactions, pin, quote). */
    message(channel: Id, seq: number): Promise<Message>;
    /** A message's versions: the original text first, the current one last (none once deleted). */
    messageEdits(channel: Id, seq: number): Promise<MessageEdits>;
    /**
     * Edits one's own message (`not_author`, `message_deleted`, `too_many_edits`, …);
     * resolves with it as it now stands. Every member gets a `message_edited` event.
     */
    editMessage(channel: Id, seq: number, text: string): Promise<Message>;
    /**
     * Deletes a message for everyone (its author, or a group's owner or admin:
     * `forbidden` otherwise); resolves with the tombstone (`deleted`, no text).
     */
    deleteMessage(channel: Id, seq: number): Promise<Message>;
    /** Adds (`add`, the default) or takes back the user's reaction with one emoji; resolves with the message as it now stands. */
    react(channel: Id, seq: number, emoji: string, add?: boolean): Promise<Message>;
    /**
     * Pins (`pin`, the default) or unpins a message (a group's owner or admins, or
     * either side of a 1:1 channel); resolves with it as it now stands.
     */
    pin(channel: Id, seq: number, pin?: boolean): Promise<Message>;
    /** A channel's pinned messages as they now stand, the latest pin first. */
    pins(channel: Id): Promise<PinList>;
    /**
     * Deletes a message for the user only: every device of theirs gets a `hidden`
     * event (this one too); nobody else sees a difference.
     */
    hide(channel: Id, seq: number): Promise<void>;
    /**
     * Mutes (level `none`) or unmutes (level `all`) a channel's push notifications;
     * kept for apps written before levels: `setNotifications` chooses among all three.
     */
    mute(id: Id, muted: boolean): Promise<{
        muted: boolean;
    }>;
    /**
     * Which messages of a channel send the user push notifications: `all`, `mentions`
     * (only those that mention the user) or `none` (muted; messages still arrive on
     * connected devices). The channel list's `notifications` shows it (the cache too).
     */
    setNotifications(id: Id, level: NotifyLevel): Promise<{
        level: NotifyLevel;
    }>;
    private cacheNotifications;
    /**
     * Where the channel's other members stand (`read` and `delivered` seqs), for
     * ticks and "read by N of M": only members who share read receipts, and none
     * when the user does not. `receipt` events keep it current.
     */
    receipts(id: Id): Promise<ChannelReceipts>;
    /**
     * Creates a group. Not retried on `unavailable` (the creation may have been recorded:
     * look at the channel list before retrying, or a second group is made).
     */
    createGroup(name: string, members: Id[]): Promise<Channel>;
    renameGroup(id: Id, name: string): Promise<Channel>;
    /**
     * How long a group keeps its messages (owner or admins: `forbidden` otherwise):
     * older ones are removed for everyone, for good. `maxAgeSecs` from 3,600 (an hour)
     * to ten years (`bad_request` otherwise; `not_a_group` for a 1:1 channel), or 0 to
     * keep them as long as the server does. The group sees `retention_changed`;
     * answers the group (`max_age_secs`).
     */
    setRetention(id: Id, maxAgeSecs: number): Promise<Channel>;
    addMembers(id: Id, users: Id[]): Promise<Channel>;
    removeMember(id: Id, user: Id): Promise<Channel>;
    leaveGroup(id: Id): Promise<Channel>;
    setRole(id: Id, user: Id, role: 'admin' | 'member'): Promise<Channel>;
    /**
     * Bans a user from a group (owner: anyone but themselves; admins: members and
     * non-members): a member is removed (they get `member_banned` and nothing after
     * it) and nobody can add them again (`forbidden`) until `unban`. Answers the group.
     */
    ban(id: Id, user: Id): Promise<Channel>;
    /** Lifts a user's ban from a group (`member_unbanned`): they may be added again. */
    unban(id: Id, user: Id): Promise<Channel>;
    /**
     * Mutes a group member for `minutes` (1 to 525,600): until then their sends,
     * typing, edits, reactions and pins there are refused with `forbidden`. The group
     * sees `member_muted` with `until`. Owner mutes anyone else, admins mute members.
     * Not retried on `unavailable`: a repeat would move the end.
     */
    muteMember(id: Id, user: Id, minutes: number): Promise<Channel>;
    /** Lifts a member's mute (`member_muted` with `until: 0`). */
    unmuteMember(id: Id, user: Id): Promise<Channel>;
    /**
     * Blocks a user: nothing goes either way in the 1:1 channel (`forbidden`), no new
     * 1:1 channel, no group additions by them, no presence for them, no notifications
     * of their messages. They are not told. Blocking again changes nothing.
     */
    block(user: Id): Promise<void>;
    /** Unblocks a user (someone not blocked: nothing changes). */
    unblock(user: Id): Promise<void>;
    /** The users the user blocks (their profiles). */
    blocks(): Promise<Profile[]>;
    /**
     * Reports a message the user can see (`{channel, seq}`) or a user (`{user}`) to the
     * operators, with a reason and an optional note (at most 1,000 characters);
     * resolves with the report's id. `rate_limited` after 10 (then 2 a minute).
     * Not retried on `unavailable` (a repeat would file a second report).
     */
    report(target: ReportTarget, reason: ReportReason, note?: string): Promise<ReportReceipt>;
    /**
     * Makes an invite link to a group (owners and admins: `forbidden` otherwise): it
     * works for `minutes` (1 to 43,200) and for `maxUses` joins (0, the default: no
     * limit). Share `code`; `joinByInvite(code)` joins. Not retried on `unavailable`
     * (a repeat would make a second invite).
     */
    createInvite(group: Id, minutes: number, maxUses?: number): Promise<Invite>;
    /** A group's open invites (not expired, used up or revoked): owners and admins. */
    invites(group: Id): Promise<Invite[]>;
    /** Revokes an invite: joining with its code fails with `not_found` from then on. */
    revokeInvite(group: Id, code: string): Promise<void>;
    /**
     * Joins a group with an invite code; resolves with the group (joining again
     * changes nothing). The group joins the cached channel list as one the user was
     * added to does. `not_found` (no such invite, or it expired, was used up or
     * revoked), `forbidden` (banned), `group_full`, `too_many_channels`.
     */
    joinByInvite(code: string): Promise<Channel>;
    /**
     * Asks `user` to chat (no `group`) or to join `group` (one the user owns or
     * administers), for when their privacy settings refused it directly (`openDm` or
     * `addMembers` failed with `forbidden`). They get a `chat_request` event at once;
     * the request waits 30 days for them to accept or decline. Asking again while one
     * waits answers the same request. Fails with `forbidden` (they accept nothing from
     * the user: a block, their setting is `nobody`; they have 100 waiting; the user's
     * role), `bad_request` (oneself, already a member), `not_a_member`, `user_not_found`.
     */
    requestChat(user: Id, group?: Id): Promise<ChatRequest>;
    /** The requests waiting for the user (to chat, to join a group), newest first. */
    chatRequests(): Promise<ChatRequest[]>;
    /**
     * Accepts a request waiting for the user; resolves with the channel: the 1:1 chat
     * with the asker (the one `openDm` gives), or the group, which the user joins as if
     * the asker added them (the group sees `members_added`). The channel joins the
     * cached channel list as after `joinByInvite`. `not_found` (no such request
     * waiting), `forbidden`, `group_full`, `too_many_channels`. Not retried on
     * `unavailable` (a repeat after it was applied would answer `not_found`).
     */
    acceptRequest(id: Id): Promise<Channel>;
    /**
     * Declines a request waiting for the user (the asker is not told); `not_found` if
     * none waits. Not retried on `unavailable` (a repeat would answer `not_found`).
     */
    declineRequest(id: Id): Promise<void>;
    /**
     * Starts an export of the user's data (profile, channels, visible messages) or
     * answers the one running or made within the hour. Poll `exportStatus()` until
     * `state` is `ready` (then `url`, relative to `baseUrl`, downloads the JSON archive
     * without a token until `expires_at`) or `failed` (start again).
     */
    startExport(): Promise<ExportStatus>;
    /** Where the user's latest export stands (`not_found`: none in the last day). */
    exportStatus(): Promise<ExportStatus>;
    listDevices(): Promise<DeviceList>;
    registerPush(req: RegisterPushRequest): Promise<DeviceInfo>;
    unregisterPush(deviceId: string): Promise<DeviceInfo>;
    /** The edge's VAPID public key for Web Push (`not_found` when it has none). */
    webpushKey(): Promise<{
        public_key: string;
    }>;
    /**
     * Connects (discovery, socket, catch-up) and keeps reconnecting until `disconnect()`.
     * Resolves at the first `synced`; rejects on a fatal error (token refused, other
     * protocol version), after which the client is `stopped`.
     */
    connect(): Promise<void>;
    /** Resolves at the next `synced` (at once while live). */
    waitSynced(): Promise<void>;
    /** Closes the socket cleanly (acks written first by the server) and stops reconnecting. */
    disconnect(): Promise<void>;
    private fatal;
    private loop;
    /**
     * Skips the wait before the next connection attempt and resets the backoff (the
     * platform says the network is back, or the app came to the foreground). Does
     * nothing unless the client is `offline` between attempts.
     */
    retryNow(): void;
    /** Replaces the socket at once (a new token): no backoff. Nothing when not running. */
    private reconnect;
    /**
     * Drops the current socket at once without stopping: the client goes `offline` and
     * reconnects with backoff. For when the platform says the network is gone (the
     * heartbeat alone notices a dead socket only after three silent intervals).
     */
    dropConnection(): void;
    /**
     * Opens one socket; resolves when it closes, with whether it reached `synced` and
     * whether the server ended it for its token's session (`token_revoked`).
     */
    private open;
    /**
     * Writes a send on the current socket once: not before its `hello` (whose handler
     * writes the whole outbox), and not twice on one socket (a send queued while the
     * hello was handled would otherwise go out from both places).
     */
    private writeSend;
    private sendOp;
    private onSynced;
    private onFrame;
    private onMessage;
    private deliver;
    /** Sends the coalesced cursor acks (one per channel) and persists the seqs. */
    private flushAcks;
    private onErrorFrame;
    /**
     * Sends a text message. It goes to the outbox first (persisted), is sent now if
     * connected and again after every reconnect with the same client_msg_id until the
     * server acks it. Resolves with the stored message (its seq) once it comes back;
     * rejects with a NatterError the server gave for it (`not_a_member`, …).
     */
    send(channel: Id, text: string, opts?: SendOptions): Promise<Message>;
    /**
     * Uploads a file for a send to `channel` (then `send(channel, caption, {attachments:
     * [a.id]})`). Up to the part size (1 MiB by default; learnt from the server's first
     * upload in parts) it goes whole in one request; a larger file goes in parts, each
     * retried with backoff on network errors and `unavailable`, resumed from the parts
     * the server has. `onProgress` is called per part (fetch gives no finer upload
     * progress). A failure of an upload in parts carries `uploadId` (pass it back in
     * `opts.uploadId` to resume later).
     */
    uploadFile(channel: Id, data: FileData, opts: UploadOptions): Promise<Attachment>;
    /**
     * An absolute URL (and its expiry) to a file of the message at `seq`, or with
     * `thumbnail` to its thumbnail: for an `<img src>`, a download, a player. Links
     * are kept until shortly before they expire; an image not processed yet is waited
     * for (`unavailable` with `retry_after_ms`), a bounded number of times.
     */
    attachmentLink(channel: Id, seq: number, attachment: Id, opts?: {
        thumbnail?: boolean;
        attempts?: number;
    }): Promise<AttachmentLink>;
    /** `attachmentLink(…).url`: an absolute URL to the file (or its thumbnail). */
    attachmentUrl(channel: Id, seq: number, attachment: Id, opts?: {
        thumbnail?: boolean;
        attempts?: number;
    }): Promise<string>;
    /**
     * Forwards a copy of the message at `seq` of `fromChannel` to `channel` (the user
     * must be a member of both). Through the outbox like `send()`; resolves with the
     * stored copy (`forwarded: true`, the source's text), or rejects with
     * `message_not_found`, `message_deleted`, `not_a_member`, …
     */
    forward(channel: Id, fromChannel: Id, seq: number, opts?: Pick<SendOptions, 'clientMsgId'>): Promise<Message>;
    private enqueue;
    /**
     * Waits for a send made before an app restart (still in `pendingSends()`) to come
     * back as a message, or rejects with its error. Call it only for a pending send: one
     * that already came back is not delivered again, so the promise would not settle.
     */
    waitForSend(clientMsgId: string): Promise<Message>;
    /** Marks a channel read up to `seq` (every device of the user gets `read`). */
    markRead(channel: Id, seq: number): boolean;
    /** Tells the channel's other members the user is typing (at most every 3 s per channel). */
    typing(channel: Id): boolean;
    /** Watches users' presence (kept across reconnects): `presence` events. */
    subscribePresence(users: Id[]): void;
    unsubscribePresence(users: Id[]): void;
    /**
     * Writes a change op (`edit`, `delete`, `react`, `pin`, `hide`) on the socket, with
     * an `op_id` (the given one, or a fresh one). Returns the op_id, or undefined when
     * not connected (nothing was written: ops are not queued). Success shows as the
     * channel's change event (`hide`: a `hidden` event); a refusal as an `error` event
     * whose `opId` is this one. The HTTP methods (`editMessage`, …) answer with the
     * message as it now stands instead: prefer them when the caller waits for the outcome.
     */
    sendChangeOp(op: ChangeOp): string | undefined;
}
