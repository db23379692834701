// Friendly names for the generated types (src/generated/), so an app imports
// `Profile` rather than `components['schemas']['Profile']`.
import type { components as HttpComponents, operations } from './generated/openapi.js';
import type { components as WsComponents } from './generated/asyncapi.js';

type H = HttpComponents['schemas'];
type W = WsComponents['schemas'];

export type { operations };
export type Id = H['Id'];
export type Profile = H['Profile'];
export type AuthResponse = H['AuthResponse'];
/** `deleteAccount()`'s answer: channels being erased, and when the username is free again. */
export type AccountDeletion = H['AccountDeletion'];
export type DeleteAccountRequest = H['DeleteAccountRequest'];
/** One of the user's sessions (a login on some device), `sessions()`. */
export type SessionInfo = H['SessionInfo'];
export type Channel = H['Channel'];
export type ChannelKind = H['ChannelKind'];
export type ChannelList = H['ChannelList'];
export type ChannelSummary = H['ChannelSummary'];
export type HistoryPage = H['HistoryPage'];
export type Member = H['Member'];
export type MemberList = H['MemberList'];
export type Role = H['Role'];
export type UserList = H['UserList'];
export type DeviceInfo = H['DeviceInfo'];
export type DeviceList = H['DeviceList'];
export type DiscoverResponse = H['DiscoverResponse'];
export type VersionResponse = H['VersionResponse'];
export type RegisterPushRequest = H['RegisterPushRequest'];
export type UpdateProfileRequest = H['UpdateProfileRequest'];
export type PushPlatform = H['PushPlatform'];
export type ApiError = H['ApiError'];
/** Who may do something to a user in a privacy setting: `everyone`, `contacts` or `nobody`. */
export type Audience = H['Audience'];
/** Why something is reported: `spam`, `harassment`, `hate`, `violence`, `sexual` or `other`. */
export type ReportReason = H['ReportReason'];
/** `POST /v1/reports`'s answer: the report's id. */
export type ReportReceipt = H['ReportReceipt'];
/** What `report()` reports: a message (its channel and seq) or a user. */
export type ReportTarget = { channel: Id; seq: number } | { user: Id };
/** A user's privacy settings (`GET /v1/me`'s `settings`). */
export type Settings = H['Settings'];
/**
 * A request to chat (no `group`) or to join a group (`group`, `group_name`), waiting
 * for its recipient (`requestChat`, `chatRequests`, the `chat_request` event).
 */
export type ChatRequest = H['ChatRequest'];
/** An invite link to a group (`createInvite`, `invites`). */
export type Invite = H['Invite'];
/** A data export and where it stands (`startExport`, `exportStatus`). */
export type ExportStatus = H['ExportStatus'];
export type ExportState = H['ExportState'];
/** Which messages of a channel send the user push notifications: `all`, `mentions` or `none`. */
export type NotifyLevel = H['NotifyLevel'];
/** `GET /v1/channels/{id}/receipts`: where the channel's other members stand. */
export type ChannelReceipts = H['ChannelReceipts'];
export type MemberReceipt = H['MemberReceipt'];
export type SystemEvent = W['SystemEvent'];
export type Seq = W['Seq'];
/** `GET /v1/channels/{id}/messages/{seq}/edits`: the message and its versions. */
export type MessageEdits = Omit<H['MessageEdits'], 'message'> & { message: Message };
export type MessageVersion = H['MessageVersion'];
/** `GET /v1/channels/{id}/pins`: the pinned messages, the latest pin first. */
export interface PinList {
  pins: Message[];
}
export type Reaction = H['Reaction'];
/** A reply's quote of the replied-to message, as it now stands. */
export type Quote = H['Quote'];

/** A file a message carries (`message.attachments`). */
export type Attachment = H['Attachment'];
/** `image`, `audio` or `file`, from the file's bytes. */
export type AttachmentKind = H['AttachmentKind'];
/** A short-lived link to a file's bytes (`url` made absolute by `attachmentUrl`). */
export type AttachmentLink = H['AttachmentLink'];
/** An upload in parts: its part size and the parts the server has. */
export type UploadStatus = H['UploadStatus'];

/** A message as the WebSocket and history deliver it (system events carry `system`). */
export type Message = W['MessageEvent'];

// Server frames of the WebSocket.
export type HelloFrame = W['HelloFrame'];
export type AckFrame = W['AckFrame'];
export type MessageFrame = W['MessageFrame'];
export type ReadFrame = W['ReadFrame'];
export type TypingFrame = W['TypingFrame'];
export type PresenceFrame = W['PresenceFrame'];
export type ReconnectFrame = W['ReconnectFrame'];
export type SyncedFrame = W['SyncedFrame'];
export type ErrorFrame = W['ErrorFrame'];
export type PongFrame = W['PongFrame'];
export type HiddenFrame = W['HiddenFrame'];
export type ReceiptFrame = W['ReceiptFrame'];
export type ChatRequestFrame = W['ChatRequestFrame'];
export type ServerFrame =
  | HelloFrame
  | AckFrame
  | MessageFrame
  | ReadFrame
  | TypingFrame
  | PresenceFrame
  | ReconnectFrame
  | SyncedFrame
  | ErrorFrame
  | PongFrame
  | HiddenFrame
  | ReceiptFrame
  | ChatRequestFrame;

// Client ops.
export type ClientOp =
  | W['SendOp']
  | W['PingOp']
  | W['AckOp']
  | W['ReadOp']
  | W['TypingOp']
  | W['PresenceSubscribeOp']
  | W['PresenceUnsubscribeOp']
  | ChangeOp;

/** The socket ops that change an earlier message (answered by the channel's event, or an `error` with their `op_id`). */
export type ChangeOp = W['EditOp'] | W['DeleteOp'] | W['ReactOp'] | W['PinOp'] | W['HideOp'];

/** Presence of a user, as the `presence` event carries it. */
export type Presence = Omit<PresenceFrame, 'type'>;
