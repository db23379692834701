import type { ChannelSummary, Id, Message, NotifyLevel, Profile } from './types.js';
/** What `client.cached()` returns: the last state this client saw, as it saw it. */
export interface CachedState {
    /** The account the state belongs to. */
    userId: Id;
    /** The user's own profile (from login, `me()`, `updateMe()`). */
    profile?: Profile;
    /**
     * Channel summaries, most recently active first (unread = head_seq - read_seq;
     * `unread_mentions` counts the unread messages that mention the user).
     */
    channels: ChannelSummary[];
    /**
     * The latest messages of the channels whose latest history page was read most
     * recently, in seq order and without gaps (the newest of each channel last), in
     * their current state: the change events that came since are applied to them
     * (and kept, at their seqs), and what the user deleted for themselves is a
     * placeholder (`hidden`).
     */
    messages: Record<Id, Message[]>;
    /** When the state was last written (ms since the epoch). */
    savedAt: number;
}
/** How much the cache keeps (it is rewritten as events arrive, so it stays small). */
export interface CacheLimits {
    /** Channel summaries kept (the most recently active; default 500). */
    channels: number;
    /** Channels whose latest messages are kept (the most recently read; default 10). */
    conversations: number;
    /** Messages kept per such channel (default 50). */
    messages: number;
    /** Characters of text kept per such channel; older messages go first (default 100,000). */
    chars: number;
}
export declare const DEFAULT_CACHE_LIMITS: CacheLimits;
/** Storage keys (under the client's prefix): the index, and one per cached conversation. */
export declare const CACHE_KEY = "cache";
export declare const cacheMessagesKey: (channel: Id) => string;
/**
 * The cached state of one account and the rules that keep it current. Every change
 * marks what must be written: `dirtyIndex` (the `cache` key) and `dirtyChannels`
 * (their `cache:<id>` keys; a channel no longer cached is written as a deletion).
 */
export declare class Snapshot {
    readonly limits: CacheLimits;
    user: Id | undefined;
    profile: Profile | undefined;
    private channels;
    /** Channel → its cached tail; Map order is recency (most recently read last). */
    private conversations;
    savedAt: number;
    dirtyIndex: boolean;
    readonly dirtyChannels: Set<string>;
    constructor(limits: CacheLimits);
    /** Reads the stored keys (`index`: the `cache` key, `load(id)`: a `cache:<id>` key). */
    static load(limits: CacheLimits, index: string | null | undefined, load: (channel: Id) => Promise<string | null | undefined>): Promise<Snapshot>;
    hasChannel(id: Id): boolean;
    /** The channels with a `cache:<id>` key. */
    get recent(): Id[];
    /** Everything goes (logout, another account); the keys to delete are marked. */
    clear(user?: Id): void;
    /** Makes the snapshot that of `user` (cleared if it held another account's). */
    own(user: Id): void;
    setProfile(p: Profile): void;
    /** Channel summaries from the server; `complete`: the whole list (others are gone). */
    mergeChannels(list: ChannelSummary[], complete: boolean): void;
    /** The latest history page of a channel (what an app shows when it opens it). */
    latestPage(channel: Id, messages: Message[]): void;
    /** A message delivered to the app (once, in seq order per channel). */
    onMessage(m: Message): void;
    /**
     * The messages of a channel before `floor` expired (a history page's `floor_seq`):
     * its cached copies of them go, and a preview of one. Whether anything changed.
     */
    expire(channel: Id, floor: number): boolean;
    /** The user deleted the message at `seq` for themselves (on any device). */
    onHidden(channel: Id, seq: number): void;
    /** The user read a channel up to `seq` (on any device). */
    onRead(channel: Id, seq: number): void;
    /** The user chose a channel's notification level; whether the channel is cached. */
    setNotifications(channel: Id, level: NotifyLevel): boolean;
    /** A copy of the state (callers may change it freely). */
    state(): CachedState | undefined;
    /** The `cache` key's value, or undefined when there is nothing to keep. */
    indexJson(now: number): string | undefined;
    /** A `cache:<id>` key's value, or undefined when it is to be deleted. */
    messagesJson(channel: Id): string | undefined;
    private summarize;
    private dropChannel;
    private trimChannels;
    private trimConversation;
}
