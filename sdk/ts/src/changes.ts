// Changes to earlier messages (edit, delete for everyone, reactions, pins) arrive as
// seq'd `message` events whose `system` names the target's seq. These pure functions
// apply one to a copy an app holds, by the rules of docs/protocol.md ("Changing
// messages"), so every app (and the SDK's own cache) applies them the same way.
import type { Id, Message, Seq } from './types.js';

/** The `system.kind`s that change an earlier message (each names its `seq`). */
export const CHANGE_KINDS = [
  'message_edited',
  'message_deleted',
  'reaction_added',
  'reaction_removed',
  'message_pinned',
  'message_unpinned',
] as const;
export type ChangeKind = (typeof CHANGE_KINDS)[number];

/** How many characters of the replied-to text a quote carries (as the server). */
const QUOTE_CHARS = 100;

/** The seq a change event targets, or undefined for a message or a group event. */
export function changeTarget(m: Pick<Message, 'system'>): Seq | undefined {
  const s = m.system as { kind?: string; seq?: number } | undefined;
  if (!s || !(CHANGE_KINDS as readonly string[]).includes(s.kind ?? '')) return undefined;
  return typeof s.seq === 'number' ? s.seq : undefined;
}

/** Whether `m` is a change to an earlier message (shown by applying it, not as a message). */
export function isChange(m: Pick<Message, 'system'>): boolean {
  return changeTarget(m) !== undefined;
}

/**
 * Whether `m` is an `attachment_processed` event: the media worker finished a file
 * (an image's size, thumbnail and placeholder; an audio's duration). `applyChange`
 * replaces the attachment with its id in every message of the channel carrying it.
 */
export function isAttachmentProcessed(m: Pick<Message, 'system'>): boolean {
  return (m.system as { kind?: string } | undefined)?.kind === 'attachment_processed';
}

/**
 * Whether `m` is an `account_deleted` event: its `user` (the sender) deleted their
 * account. `applyChange` turns each of their messages of the channel into a
 * tombstone and drops their reactions; in a group they are no longer a member.
 */
export function isAccountDeleted(m: Pick<Message, 'system'>): boolean {
  return (m.system as { kind?: string } | undefined)?.kind === 'account_deleted';
}

/** The user an `account_deleted` event names, or undefined for any other message. */
export function deletedAccount(m: Pick<Message, 'system'>): Id | undefined {
  const s = m.system as { kind?: string; user?: Id } | undefined;
  if (s?.kind !== 'account_deleted' || typeof s.user !== 'string') return undefined;
  return s.user;
}

/**
 * An `account_deleted` event applied to a message of its channel, as the server
 * erases the account: the user's message becomes a tombstone (no text, files,
 * reactions, edits, mentions or pin; `deleted` by the user), their edit events lose
 * their text, their reactions to others' messages go, and a reply to one of their
 * messages quotes a deleted message.
 */
function applyAccountDeleted(m: Message, change: Message): Message {
  const user = deletedAccount(change);
  if (user === undefined || change.channel !== m.channel || m.hidden) return m;
  let next = m;
  if (m.sender === user && m.seq < change.seq) {
    const own = m.system as { kind?: string; text?: string } | undefined;
    if (!own) {
      if (!m.deleted || m.text || m.attachments || m.reactions || m.pinned || m.mentions) {
        const { reactions: _r, edits: _e, edited_at: _a, pinned: _p, attachments: _f, mentions: _m, ...rest } = m;
        next = { ...rest, text: '', deleted: m.deleted ?? { by: user, at: change.sent_at } };
      }
    } else if (own.kind === 'message_edited' && own.text) {
      next = { ...m, system: { ...(m.system as object), text: '' } as Message['system'] };
    }
  }
  if (next.reactions?.some((r) => r.users.includes(user))) {
    const reactions = next.reactions.map((r) => withUsers(r, r.users.filter((u) => u !== user))).filter((r) => r.count > 0);
    if (reactions.length) next = { ...next, reactions };
    else {
      const { reactions: _r, ...rest } = next;
      next = rest;
    }
  }
  if (next.reply_to && next.reply_to.sender === user && !next.reply_to.deleted) {
    next = { ...next, reply_to: { seq: next.reply_to.seq, sender: user, preview: '', deleted: true } };
  }
  return next;
}

function applyProcessed(m: Message, change: Message): Message {
  const att = (change.system as { attachment?: NonNullable<Message['attachments']>[number] }).attachment;
  if (!att || change.channel !== m.channel || !m.attachments?.some((a) => a.id === att.id)) return m;
  return { ...m, attachments: m.attachments.map((a) => (a.id === att.id ? att : a)) };
}

/** The group events that take a member out of a group (the user: the group leaves their list). */
export const REMOVAL_KINDS = ['member_removed', 'member_left', 'member_banned'] as const;

/**
 * The member a group event takes out of the group — `member_removed`, `member_left`
 * or `member_banned` (a ban removes the member as a removal does; the banned user
 * gets the event and nothing after it) — or undefined for any other message.
 */
export function removedMember(m: Pick<Message, 'system'>): Id | undefined {
  const s = m.system as { kind?: string; user?: Id } | undefined;
  if (!s || !(REMOVAL_KINDS as readonly string[]).includes(s.kind ?? '')) return undefined;
  return typeof s.user === 'string' ? s.user : undefined;
}

/**
 * A `member_muted` event's member and the end of their mute (`until`, ms since the
 * epoch; 0 when the mute was lifted), or undefined for any other message. Until
 * then the member's sends to the group are refused (`forbidden`).
 */
export function memberMute(m: Pick<Message, 'system'>): { user: Id; until: number } | undefined {
  const s = m.system as { kind?: string; user?: Id; until?: number } | undefined;
  if (s?.kind !== 'member_muted' || typeof s.user !== 'string') return undefined;
  return { user: s.user, until: typeof s.until === 'number' ? s.until : 0 };
}

/**
 * A `retention_changed` event's new limit: how many seconds the group now keeps
 * its messages (0: as long as the server keeps them), or undefined for any other
 * message. Its sender is who set it. Nothing comes when messages expire: history
 * pages carry `floor_seq` instead (the client drops what lies below it).
 */
export function retentionChange(m: Pick<Message, 'system'>): number | undefined {
  const s = m.system as { kind?: string; max_age_secs?: number } | undefined;
  if (s?.kind !== 'retention_changed') return undefined;
  return typeof s.max_age_secs === 'number' ? s.max_age_secs : 0;
}

/**
 * Whether a message is one to show as a message: not a change event, a group event
 * or a placeholder for something the user deleted for themselves. Unread counts
 * count these.
 */
export function isShownMessage(m: Pick<Message, 'system' | 'hidden'>): boolean {
  return !m.system && !m.hidden;
}

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
export function applyChange(message: Message, change: Message): Message {
  if (isAttachmentProcessed(change)) return applyProcessed(message, change);
  if (isAccountDeleted(change)) return applyAccountDeleted(message, change);
  const target = changeTarget(change);
  if (target === undefined || change.channel !== message.channel || message.hidden) return message;
  if (message.seq === target) return applyToTarget(message, change);
  const own = message.system as { kind?: string; seq?: number; text?: string } | undefined;
  if (own?.kind === 'message_edited' && own.seq === target && own.text && (change.system as { kind: string }).kind === 'message_deleted') {
    return { ...message, system: { ...(message.system as object), text: '' } as Message['system'] };
  }
  if (message.reply_to && message.reply_to.seq === target && !message.reply_to.deleted) {
    const s = change.system as { kind: string; text?: string };
    if (s.kind === 'message_edited') {
      const preview = Array.from(s.text ?? '').slice(0, QUOTE_CHARS).join('');
      if (preview === message.reply_to.preview) return message;
      return { ...message, reply_to: { ...message.reply_to, preview } };
    }
    if (s.kind === 'message_deleted') {
      return { ...message, reply_to: { seq: target, sender: message.reply_to.sender, preview: '', deleted: true } };
    }
  }
  return message;
}

function applyToTarget(m: Message, change: Message): Message {
  if (m.deleted) return m;
  const s = change.system as { kind: ChangeKind; text?: string; edit?: number; emoji?: string };
  switch (s.kind) {
    case 'message_edited': {
      const edit = s.edit ?? 0;
      if ((m.edits ?? 0) >= edit) return m;
      return { ...m, text: s.text ?? '', edits: edit, edited_at: change.sent_at };
    }
    case 'message_deleted': {
      const { reactions: _r, edits: _e, edited_at: _a, pinned: _p, ...rest } = m;
      return { ...rest, text: '', deleted: { by: change.sender, at: change.sent_at } };
    }
    case 'reaction_added':
    case 'reaction_removed': {
      const add = s.kind === 'reaction_added';
      const emoji = s.emoji ?? '';
      const list = m.reactions ?? [];
      const i = list.findIndex((r) => r.emoji === emoji);
      const has = i >= 0 && list[i].users.includes(change.sender);
      if (add === has) return m;
      let next: NonNullable<Message['reactions']>;
      if (add) {
        next = i >= 0 ? list.map((r, j) => (j === i ? withUsers(r, [...r.users, change.sender]) : r)) : [...list, withUsers({ emoji, count: 0, users: [] }, [change.sender])];
      } else {
        next = list.map((r, j) => (j === i ? withUsers(r, r.users.filter((u) => u !== change.sender)) : r)).filter((r) => r.count > 0);
      }
      if (next.length) return { ...m, reactions: next };
      const { reactions: _r, ...rest } = m;
      return rest;
    }
    case 'message_pinned':
      if (m.pinned && m.pinned.by === change.sender && m.pinned.at === change.sent_at) return m;
      return { ...m, pinned: { by: change.sender, at: change.sent_at } };
    case 'message_unpinned': {
      if (!m.pinned) return m;
      const { pinned: _p, ...rest } = m;
      return rest;
    }
    default:
      return m;
  }
}

function withUsers(r: NonNullable<Message['reactions']>[number], users: string[]) {
  return { ...r, users, count: users.length };
}

/**
 * The placeholder a message becomes once the user deleted it for themselves (a
 * `hidden` event): its seq keeps its place, nothing of it is shown.
 */
export function hiddenPlaceholder(m: Message): Message {
  return { channel: m.channel, seq: m.seq, message_id: m.message_id, sender: m.sender, sent_at: m.sent_at, client_msg_id: '', text: '', hidden: true };
}
