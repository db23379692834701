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
        /**
         * @description Stable error codes (docs/protocol.md, "Errors"); `x-ws-errors` says which op can get which.
         * @enum {string}
         */
        ErrorCode: "bad_request" | "invalid_frame" | "unknown_op" | "frame_too_large" | "message_empty" | "message_too_long" | "invalid_client_msg_id" | "invalid_device_id" | "token_invalid" | "token_expired" | "invalid_credentials" | "invalid_username" | "invalid_password" | "invalid_profile" | "username_taken" | "user_not_found" | "not_a_member" | "cannot_dm_self" | "group_full" | "too_many_channels" | "not_a_group" | "forbidden" | "invalid_group_name" | "presence_limit" | "draining" | "rate_limited" | "not_found" | "unavailable" | "internal";
        ErrorFrame: {
            /** @description The failed send's id, when the op was a send. */
            client_msg_id?: string;
            code: components["schemas"]["ErrorCode"];
            /** @description For humans; may change between versions. */
            message: string;
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
        /** @description A u64 id as a decimal string (a non-negative integer is accepted on input). */
        Id: string;
        MessageEvent: {
            channel: components["schemas"]["Id"];
            /** @description Empty for system events. */
            client_msg_id: string;
            message_id: components["schemas"]["Id"];
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
        PingOp: {
            /** @constant */
            op: "ping";
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
        ReconnectFrame: {
            /** @example draining */
            reason: string;
            /** @constant */
            type: "reconnect";
        };
        SendOp: {
            channel: components["schemas"]["Id"];
            /** @description Chosen by the client, unique per sender; resending it never creates a second message. */
            client_msg_id: string;
            /** @constant */
            op: "send";
            /** @description 1 to 99,999 Unicode scalar values. */
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
        /** @description A group change, kept in history as a seq'd message (`sender` is who acted). */
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
            kind: "renamed";
            name: string;
        } | {
            /** @constant */
            kind: "role_changed";
            /** @enum {string} */
            role: "owner" | "admin" | "member";
            user: components["schemas"]["Id"];
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
