export type paths = Record<string, never>;
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        AckFrame: {
            channel: components["schemas"]["Id"];
            client_msg_id: string;
            message_id: components["schemas"]["Id"];
            /** @constant */
            type: "ack";
        };
        AckOp: {
            channel: components["schemas"]["Id"];
            /** @constant */
            op: "ack";
            seq: components["schemas"]["Seq"];
        };
        /** @description A file a message carries. */
        Attachment: {
            /** @description Found in its bytes (`application/octet-stream` when unknown). */
            content_type: string;
            /** @description Audio, once processed, when its container says. */
            duration_ms?: number;
            /** @description Images, once processed. */
            height?: number;
            id: components["schemas"]["Id"];
            /**
             * @description From its bytes: image (JPEG, PNG, WebP, GIF) and audio show inline, anything else is a download.
             * @enum {string}
             */
            kind: "image" | "audio" | "file";
            /** @description The uploader's file name, cleaned of paths and control characters. */
            name: string;
            /** @description A BlurHash to draw while the image loads. */
            placeholder?: string;
            /** @description The media worker has looked at it (an image's metadata stripped, its thumbnail made); an image's bytes are served only once set. */
            processed?: boolean;
            size: number;
            /** @description A JPEG thumbnail (at most 320 px) exists: ask for its link with `?thumbnail=true`. */
            thumbnail?: boolean;
            /** @description Images, once processed. */
            width?: number;
        };
        ChatRequestFrame: {
            created_at: number;
            /** @description It lapses unanswered then (30 days). */
            expires_at: number;
            from: components["schemas"]["Id"];
            /** @description The group to join; absent: a 1:1 chat. */
            group?: components["schemas"]["Id"];
            group_name?: string;
            id: components["schemas"]["Id"];
            to: components["schemas"]["Id"];
            /** @constant */
            type: "chat_request";
        };
        DeleteOp: {
            channel: components["schemas"]["Id"];
            /** @constant */
            op: "delete";
            op_id?: components["schemas"]["OpId"];
            seq: components["schemas"]["Seq"];
        };
        EditOp: {
            channel: components["schemas"]["Id"];
            /** @constant */
            op: "edit";
            op_id?: components["schemas"]["OpId"];
            seq: components["schemas"]["Seq"];
            /** @description The new text (the rules of a send's text). */
            text: string;
        };
        /**
         * @description Stable error codes (docs/protocol.md, "Errors"); `x-ws-errors` says which op can get which.
         * @enum {string}
         */
        ErrorCode: "bad_request" | "invalid_frame" | "unknown_op" | "frame_too_large" | "message_empty" | "message_too_long" | "invalid_client_msg_id" | "invalid_device_id" | "token_invalid" | "token_expired" | "token_revoked" | "account_suspended" | "invalid_credentials" | "invalid_username" | "invalid_password" | "invalid_profile" | "username_taken" | "user_not_found" | "not_a_member" | "cannot_dm_self" | "group_full" | "too_many_channels" | "not_a_group" | "forbidden" | "invalid_group_name" | "presence_limit" | "draining" | "rate_limited" | "not_found" | "message_not_found" | "not_author" | "message_deleted" | "reaction_invalid" | "too_many_reactions" | "too_many_edits" | "too_many_pins" | "file_too_large" | "unsupported_media_type" | "quota_exceeded" | "attachment_not_found" | "too_many_attachments" | "link_expired" | "unavailable" | "internal";
        ErrorFrame: {
            /** @description The failed send's id, when the op was a send. */
            client_msg_id?: string;
            code: components["schemas"]["ErrorCode"];
            /** @description For humans; may change between versions. */
            message: string;
            /** @description The failed op's `op_id` (edit, delete, react), when it carried one. */
            op_id?: string;
            /** @description For `rate_limited`: wait this long. */
            retry_after_ms?: number;
            /** @constant */
            type: "error";
        };
        HelloFrame: {
            /** @description The client's device id, or one the edge assigned (store it). */
            device_id: string;
            max_frame_bytes: number;
            max_text_chars: number;
            /** @description The protocol version the server speaks (also `GET /v1/version`); a client made for another one should ask its user to update. */
            protocol: number;
            /** @constant */
            type: "hello";
            user_id: components["schemas"]["Id"];
        };
        HiddenFrame: {
            channel: components["schemas"]["Id"];
            seq: components["schemas"]["Seq"];
            /** @constant */
            type: "hidden";
        };
        HideOp: {
            channel: components["schemas"]["Id"];
            /** @constant */
            op: "hide";
            op_id?: components["schemas"]["OpId"];
            seq: components["schemas"]["Seq"];
        };
        /** @description A u64 id as a decimal string (a non-negative integer is accepted on input). */
        Id: string;
        MessageEvent: {
            /** @description Files it carries (absent when none, and once deleted). Fetch one through `GET /v1/channels/{channel}/messages/{seq}/attachments/{id}`, which gives a link valid for minutes. */
            attachments?: components["schemas"]["Attachment"][];
            channel: components["schemas"]["Id"];
            /** @description Empty for system events. */
            client_msg_id: string;
            /** @description Set once deleted for everyone: the text is empty, reactions and edits are gone. */
            deleted?: {
                at: number;
                by: components["schemas"]["Id"];
            };
            /** @description When the text was last edited; absent if never. */
            edited_at?: number;
            /** @description How many times the text was edited; absent if never. */
            edits?: number;
            /** @description A forwarded copy of another message. */
            forwarded?: boolean;
            /** @description The reader deleted it (or the message a change targets) for themselves: show nothing, keep the seq. */
            hidden?: boolean;
            /** @description Members the text mentions (`@username`, resolved when sent). */
            mentions?: components["schemas"]["Id"][];
            message_id: components["schemas"]["Id"];
            /** @description Set while pinned in its channel. */
            pinned?: {
                at: number;
                by: components["schemas"]["Id"];
            };
            /** @description Reactions in the order each emoji was first added (absent when none). */
            reactions?: {
                count: number;
                emoji: string;
                users: components["schemas"]["Id"][];
            }[];
            /** @description For a reply: the replied-to message as it now stands (no text once deleted). */
            reply_to?: {
                deleted?: boolean;
                /** @description The first 100 characters of its current text. */
                preview: string;
                sender: components["schemas"]["Id"];
                seq: components["schemas"]["Seq"];
            };
            sender: components["schemas"]["Id"];
            sent_at: number;
            seq: components["schemas"]["Seq"];
            system?: components["schemas"]["SystemEvent"];
            /** @description Empty for system events. */
            text: string;
        };
        MessageFrame: {
            /** @constant */
            type: "message";
        } & components["schemas"]["MessageEvent"];
        /** @description Chosen by the client; echoed in the `error` frame if the op fails (success shows as the channel's event). */
        OpId: string;
        PingOp: {
            /** @constant */
            op: "ping";
        };
        PinOp: {
            channel: components["schemas"]["Id"];
            /** @constant */
            op: "pin";
            op_id?: components["schemas"]["OpId"];
            /** @description true pins, false unpins. */
            pin: boolean;
            seq: components["schemas"]["Seq"];
        };
        PongFrame: {
            /** @constant */
            type: "pong";
        };
        PresenceFrame: {
            /** @description Of two states for one user, the later one holds. */
            changed_at: number;
            /** @description When their last device went offline; null if never seen. */
            last_seen?: number | null;
            /** @description Online while any of their devices is. */
            online: boolean;
            /** @constant */
            type: "presence";
            user: components["schemas"]["Id"];
        };
        PresenceSubscribeOp: {
            /** @constant */
            op: "presence_subscribe";
            users: components["schemas"]["Id"][];
        };
        PresenceUnsubscribeOp: {
            /** @constant */
            op: "presence_unsubscribe";
            users: components["schemas"]["Id"][];
        };
        ReactOp: {
            /** @description true adds the caller's reaction, false takes it back. */
            add: boolean;
            channel: components["schemas"]["Id"];
            /** @description Exactly one emoji (stored in its canonical form, so `❤` and `❤️` are one reaction). */
            emoji: string;
            /** @constant */
            op: "react";
            op_id?: components["schemas"]["OpId"];
            seq: components["schemas"]["Seq"];
        };
        ReadFrame: {
            channel: components["schemas"]["Id"];
            seq: components["schemas"]["Seq"];
            /** @constant */
            type: "read";
        };
        ReadOp: {
            channel: components["schemas"]["Id"];
            /** @constant */
            op: "read";
            seq: components["schemas"]["Seq"];
        };
        ReceiptFrame: {
            channel: components["schemas"]["Id"];
            /** @description A device of the member has everything up to this seq (1:1 channels). */
            delivered?: components["schemas"]["Seq"];
            /** @description The member has read everything up to this seq (only when both sides share read receipts). */
            read?: components["schemas"]["Seq"];
            /** @constant */
            type: "receipt";
            user: components["schemas"]["Id"];
        };
        ReconnectFrame: {
            /** @example draining */
            reason: string;
            /** @constant */
            type: "reconnect";
        };
        SendOp: {
            /** @description Ids of files the sender uploaded to this channel (`POST /v1/channels/{id}/attachments` or an upload in parts); not with `forward`. */
            attachments?: components["schemas"]["Id"][];
            channel: components["schemas"]["Id"];
            /** @description Chosen by the client, unique per sender; resending it never creates a second message. */
            client_msg_id: string;
            /** @description Send a copy of this message (the sender must be a member of both channels) instead of a text. */
            forward?: {
                channel: components["schemas"]["Id"];
                seq: components["schemas"]["Seq"];
            };
            /** @constant */
            op: "send";
            /** @description Reply to the message at this seq of the same channel. */
            reply_to?: components["schemas"]["Seq"];
            /** @description 1 to 99,999 Unicode scalar values; empty for a forward, and may be empty (no caption) when `attachments` has files. */
            text: string;
        };
        /** @description Position in a channel (1, 2, 3, ... without gaps). */
        Seq: number;
        SyncedFrame: {
            /** @description Channels that had messages to catch up on. */
            channels: number;
            /** @description Messages sent during catch-up. */
            messages: number;
            /** @constant */
            type: "synced";
        };
        /**
         * @description A group change or a change to an earlier message, kept in history as a seq'd
         *     message (`sender` is who acted). A change to a message (`seq` names it) carries
         *     what a client needs to update the copy it shows; history already shows the
         *     message in its current state, so an `message_edited` whose `edit` is not above
         *     the message's `edits` is skipped, and nothing is applied to a deleted message.
         */
        SystemEvent: {
            /** @constant */
            kind: "group_created";
            members: components["schemas"]["Id"][];
            name: string;
        } | {
            /** @constant */
            kind: "members_added";
            users: components["schemas"]["Id"][];
        } | {
            /** @constant */
            kind: "member_removed";
            user: components["schemas"]["Id"];
        } | {
            /** @constant */
            kind: "member_left";
            user: components["schemas"]["Id"];
        } | {
            /** @constant */
            kind: "member_banned";
            user: components["schemas"]["Id"];
        } | {
            /** @constant */
            kind: "member_unbanned";
            user: components["schemas"]["Id"];
        } | {
            /** @constant */
            kind: "member_muted";
            until: number;
            user: components["schemas"]["Id"];
        } | {
            /** @constant */
            kind: "renamed";
            name: string;
        } | {
            /** @constant */
            kind: "role_changed";
            /** @enum {string} */
            role: "owner" | "admin" | "member";
            user: components["schemas"]["Id"];
        } | {
            /** @description Which edit this is (1 for the first). */
            edit: number;
            /** @constant */
            kind: "message_edited";
            seq: components["schemas"]["Seq"];
            /** @description The new text (empty once the message is deleted). */
            text: string;
        } | {
            /** @constant */
            kind: "message_deleted";
            seq: components["schemas"]["Seq"];
        } | {
            /** @constant */
            kind: "message_pinned";
            seq: components["schemas"]["Seq"];
        } | {
            /** @constant */
            kind: "message_unpinned";
            seq: components["schemas"]["Seq"];
        } | {
            emoji: string;
            /** @constant */
            kind: "reaction_added";
            seq: components["schemas"]["Seq"];
        } | {
            emoji: string;
            /** @constant */
            kind: "reaction_removed";
            seq: components["schemas"]["Seq"];
        } | {
            attachment: components["schemas"]["Attachment"];
            /** @constant */
            kind: "attachment_processed";
        } | {
            /** @constant */
            kind: "account_deleted";
            user: components["schemas"]["Id"];
        } | {
            /** @constant */
            kind: "retention_changed";
            max_age_secs: number;
        };
        TypingFrame: {
            channel: components["schemas"]["Id"];
            /** @constant */
            type: "typing";
            user: components["schemas"]["Id"];
        };
        TypingOp: {
            channel: components["schemas"]["Id"];
            /** @constant */
            op: "typing";
        };
    };
    responses: never;
    parameters: never;
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type $defs = Record<string, never>;
export type operations = Record<string, never>;
