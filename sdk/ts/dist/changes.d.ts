import type { Id, Message, Seq } from './types.js';
/** The `system.kind`s that change an earlier message (each names its `seq`). */
export declare const CHANGE_KINDS: readonly ["message_edited", "message_deleted", "reaction_added", "reaction_removed", "message_pinned", "message_unpinned"];
export type ChangeKind = (typeof CHANGE_KINDS)[number];
/** The seq a change event targets, or undefined for a message or a group event. */
export declare function changeTarget(m: Pick<Message, 'system'>): Seq | undefined;
/** Whether `m` is a change to an earlier message (shown by applying it, not as a message). */
export declare function isChange(m: Pick<Message, 'system'>): boolean;
/**
 * Whether `m` is an `attachment_processed` event: the media worker finished a file
 * (an image's size, thumbnail and placeholder; an audio's duration). `applyChange`
 * replaces the attachment with its id in every message of the channel carrying it.
 */
export declare function isAttachmentProcessed(m: Pick<Message, 'system'>): boolean;
/**
 * Whether `m` is an `account_deleted` event: its `user` (the sender) deleted their
 * account. `applyChange` turns each of their messages of the channel into a
 * tombstone and drops their reactions; in a group they are no longer a member.
 */
export declare function isAccountDeleted(m: Pick<Message, 'system'>): boolean;
/** The user an `account_deleted` event names, or undefined for any other message. */
export declare function deletedAccount(m: Pick<Message, 'system'>): Id | undefined;
/** The group events that take a member out of a group (the user: the group leaves their list). */
export declare const REMOVAL_KINDS: readonly ["member_removed", "member_left", "member_banned"];
/**
 * The member a group event takes out of the group — `member_removed`, `member_left`
 * or `member_banned` (a ban removes the member as a removal does; the banned user
 * gets the event and nothing after it) — or undefined for any other message.
 */
export declare function removedMember(m: Pick<Message, 'system'>): Id | undefined;
/**
 * A `member_muted` event's member and the end of their mute (`until`, ms since the
 * epoch; 0 when the mute was lifted), or undefined for any other message. Until
 * then the member's sends to the group are refused (`forbidden`).
 */
export declare function memberMute(m: Pick<Message, 'system'>): {
    user: Id;
    until: number;
} | undefined;
/**
 * A `retention_changed` event's new limit: how many seconds the group now keeps
 * its messages (0: as long as the server keeps them), or undefined for any other
 * message. Its sender is who set it. Nothing comes when messages expire: history
 * pages carry `floor_seq` instead (the client drops what lies below it).
 */
export declare function retentionChange(m: Pick<Message, 'system'>): number | undefined;
/**
 * Whether a message is one to show as a message: not a change event, a group event
 * or a placeholder for something the user deleted for themselves. Unread counts
 * count these.
 */
export declare function isShownMessage(m: Pick<Message, 'system' | 'hidden'>): boolean;
/**
 * Applies a change event to a message an app holds, and returns the message as it
 * now stands — a new object, or `message` itself when nothing applies:
 *
 * - to the message the change targets (same channel, `seq` = the event's target):
 *   `message_edited` sets the text, `edits` and `edited_at`, unless the copy's `edits`
 *   is already the event's `edit` or more (a history page may show a later edit);
 *   `message_deleted` leaves a tombstone (`deleted: {by, at}`, no text, reactions,
 *   edits or pin); `reaction_added`/`reaction_removed` add or remove the event's
 *   sender in that emoji's users (counts follow; an emoji nobody has left goes);
 *   `message_pinned`/`message_unpinned` set or clear `pinned`.
 * - to a reply to it: its `reply_to` quote follows an edit (the new text's start)
 *   and a deletion (no text, `deleted: true`).
 * - to an earlier `message_edited` event of it: a deletion erases its text, as the
 *   server erases every copy.
 *
 * - `attachment_processed` (no seq: it names a file): to every message of the channel
 *   carrying that file, the attachment as it now stands.
 * - `account_deleted` (no seq: it names a user): to every earlier message of the
 *   channel — the user's messages become tombstones (`deleted: {by: user, at}`, no
 *   text, files, reactions, edits, mentions or pin) and their edit events lose their
 *   text; the user's reactions to other messages go; a reply to one of the user's
 *   messages quotes a deleted message.
 *
 * Nothing applies to a deleted message, nor to a hidden one (deleted for the user).
 * Applying the events of a channel in seq order to copies taken at any point of it
 * (a history page shows messages as they stood when it was read) ends in the same
 * state: each event sets a value (a user's reaction, the pin, the text of edit N).
 */
export declare function applyChange(message: Message, change: Message): Message;
/**
 * The placeholder a message becomes once the user deleted it for themselves (a
 * `hidden` event): its seq keeps its place, nothing of it is shown.
 */
export declare function hiddenPlaceholder(m: Message): Message;
