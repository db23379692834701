export interface paths {
    "/healthz": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Liveness */
        get: operations["healthz"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/readyz": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Readiness: NATS answering, registered for discovery, not draining */
        get: operations["readyz"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/blocks": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The users the caller blocks */
        get: operations["list_blocks"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/blocks/{user}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /** Block a user: no 1:1 messages either way, no group additions by them, no presence for them, no notifications of their messages */
        put: operations["block_user"];
        post?: never;
        /** Unblock a user */
        delete: operations["unblock_user"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/channels": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The caller's channels, most recently active first */
        get: operations["list_channels"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/channels/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A channel (current members only) */
        get: operations["get_channel"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/channels/{id}/attachments": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Upload a whole file (at most one part's size) for a send to this channel */
        post: operations["upload_file"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/channels/{id}/members": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A channel's members with their roles */
        get: operations["list_members"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/channels/{id}/messages": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A page of history, ascending by seq */
        get: operations["history"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/channels/{id}/messages/{seq}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One message as it now stands (edited text, tombstone, reactions) */
        get: operations["get_message"];
        put?: never;
        post?: never;
        /** Delete a message for everyone (author, or a group's owner or admin): its text is erased, a tombstone stays */
        delete: operations["delete_message"];
        options?: never;
        head?: never;
        /** Edit one's own message (every member gets a `message_edited` event) */
        patch: operations["edit_message"];
        trace?: never;
    };
    "/v1/channels/{id}/messages/{seq}/attachments/{att}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A short-lived link to a file of a message (members only, while it is not deleted) */
        get: operations["attachment_link"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/channels/{id}/messages/{seq}/edits": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A message's versions: the original text, then each edit (none once deleted) */
        get: operations["message_edits"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/channels/{id}/messages/{seq}/hidden": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /** Delete a message for oneself: hidden on all of one's devices (a `hidden` event to each), unchanged for everyone else */
        put: operations["hide_message"];
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/channels/{id}/messages/{seq}/reactions/{emoji}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /** React to a message with one emoji (once per emoji per user; a repeat changes nothing) */
        put: operations["add_reaction"];
        post?: never;
        /** Take back one's reaction (a repeat changes nothing) */
        delete: operations["remove_reaction"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/channels/{id}/mute": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /** Mute or unmute push notifications of a channel */
        put: operations["mute_channel"];
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/channels/{id}/notifications": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /** Which messages of a channel send the caller push notifications: all, mentions only, or none (muted) */
        put: operations["set_notifications"];
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/channels/{id}/pins": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A channel's pinned messages as they now stand, the latest pin first */
        get: operations["list_pins"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/channels/{id}/pins/{seq}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /** Pin a message (a group's owner or admin; either side of a 1:1 channel) */
        put: operations["pin_message"];
        post?: never;
        /** Unpin a message */
        delete: operations["unpin_message"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/channels/{id}/receipts": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Where the channel's other members stand: delivered up to, and read up to where both sides share read receipts (0 otherwise) */
        get: operations["receipts"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/channels/{id}/uploads": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Open an upload in parts (large files; a dropped connection resumes) */
        post: operations["open_upload"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/devices": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The caller's devices */
        get: operations["list_devices"];
        put?: never;
        /** Register or replace a device's push target */
        post: operations["register_push"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/devices/{device}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** Remove a device's push target */
        delete: operations["unregister_push"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/discover": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The edge this user should connect to */
        get: operations["discover"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/dm": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** The 1:1 channel of the caller and a peer (created once) */
        post: operations["open_dm"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/exports/{user}/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Download an export (the link is the right to read: no token) */
        get: operations["download_export"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/groups": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Create a group */
        post: operations["create_group"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/groups/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        /** Rename a group (owner or admin) */
        patch: operations["rename_group"];
        trace?: never;
    };
    "/v1/groups/{id}/bans/{user}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /** Ban a user: removed if a member, and not to be added again until unbanned (owner; admins ban members) */
        put: operations["ban"];
        post?: never;
        /** Lift a ban (the user may be added again) */
        delete: operations["unban"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/groups/{id}/invites": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The group's open invites (owner and admins) */
        get: operations["list_invites"];
        put?: never;
        /** Make an invite link (owner and admins): whoever has its code may join until it expires or is used up */
        post: operations["create_invite"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/groups/{id}/invites/{code}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** Revoke an invite (owner and admins) */
        delete: operations["revoke_invite"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/groups/{id}/leave": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Leave a group */
        post: operations["leave_group"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/groups/{id}/members": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Add members, all or nothing (owner or admin) */
        post: operations["add_members"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/groups/{id}/members/{user}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** Remove a member (oneself: leave) */
        delete: operations["remove_member"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/groups/{id}/members/{user}/mute": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /** Mute a member for some minutes: they cannot send in the group until then (owner; admins mute members) */
        put: operations["mute_member"];
        post?: never;
        /** Lift a member's mute */
        delete: operations["unmute_member"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/groups/{id}/members/{user}/role": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /** Set a member's role (owner only) */
        put: operations["set_role"];
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/groups/{id}/retention": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /** Set how long the group keeps messages (owner or admin); older ones are removed in the background */
        put: operations["set_retention"];
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/invites/{code}/join": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Join a group with an invite's code */
        post: operations["join_by_invite"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/login": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Log in and get a token */
        post: operations["login"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/logout": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** End this session: its token stops working on every edge within seconds */
        post: operations["logout"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/logout/everywhere": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** End every session of the caller, this one included */
        post: operations["logout_everywhere"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/me": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The caller's profile */
        get: operations["me"];
        put?: never;
        post?: never;
        /** Delete the account (the password required): every session ends, the profile goes, its messages become tombstones */
        delete: operations["delete_me"];
        options?: never;
        head?: never;
        /** Change the caller's display name, status text or settings (read receipts) */
        patch: operations["update_me"];
        trace?: never;
    };
    "/v1/me/export": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The caller's latest data export: progress, or a link to the archive */
        get: operations["export_status"];
        put?: never;
        /** Start an export of the caller's data (profile, channels, the messages they can see); poll GET for progress */
        post: operations["start_export"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/me/password": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Change the password (the current one required); every other session ends */
        post: operations["change_password"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/media/{att}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The bytes behind a link from the route above (no token: the link is the right to read) */
        get: operations["download"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/openapi.json": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** This OpenAPI 3.1 document */
        get: operations["openapi_json"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/push/webpush-key": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The VAPID public key browsers subscribe with */
        get: operations["webpush_key"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/reports": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Report a message (one the caller can see) or a user to the operators */
        post: operations["report"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/requests": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Requests waiting for the caller to accept or decline, newest first */
        get: operations["list_requests"];
        put?: never;
        /** Ask a user to chat, or to join a group you own or administer, when their privacy settings do not take it directly */
        post: operations["create_request"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/requests/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** Decline a request (the asker is not told) */
        delete: operations["decline_request"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/requests/{id}/accept": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Accept a request: the 1:1 chat opens, or the caller joins the group */
        post: operations["accept_request"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/sessions": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The caller's sessions (logins not ended or expired), newest first */
        get: operations["sessions"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/sessions/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** End one of the caller's sessions (another device's, or this one) */
        delete: operations["end_session"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/signup": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Create an account and get a token */
        post: operations["signup"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/uploads/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** An open upload's parts received so far (to resume after a dropped connection) */
        get: operations["upload_status"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/uploads/{id}/complete": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Join an upload's parts into a file (all parts must be there) */
        post: operations["complete_upload"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/uploads/{id}/parts/{n}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /** Send part n of an upload (exactly `part_bytes`, the last part the rest); again replaces it */
        put: operations["put_part"];
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/users": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Users whose username starts with a prefix */
        get: operations["search_users"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/users/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A user's public profile with presence */
        get: operations["get_user"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/version": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The protocol version this server speaks
         * @description No token needed. A client checks `protocol` (also in the WebSocket `hello`) before it connects.
         */
        get: operations["version"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/ws": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Open the WebSocket (protocol in docs/asyncapi.yaml)
         * @description An HTTP/1.1 upgrade (`Connection: Upgrade`, `Upgrade: websocket`). Authenticated by the `token` parameter or an `Authorization: Bearer` header.
         */
        get: operations["upgrade"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        /** @description `DELETE /v1/me` answered: the account is gone; its messages are being erased. */
        AccountDeletion: {
            /**
             * Format: int64
             * @description Channels whose copies of the account's messages are erased in the
             *     background (each becomes tombstones within seconds).
             */
            channels: number;
            /**
             * Format: int64
             * @description When the username may be taken by a new account (ms since the epoch).
             */
            username_free_at: number;
        };
        /** @description `POST /v1/groups/{id}/members`. */
        AddMembersRequest: {
            /** @description Users to add; those already members are ignored. */
            users: components["schemas"]["Id"][];
        };
        /** @description An error as the client sees it: the HTTP error body and the payload of RPC errors. */
        ApiError: {
            /** @description Stable code to switch on. */
            code: components["schemas"]["ErrorCode"];
            /** @description Human-readable detail (may change between versions). */
            message: string;
            /**
             * Format: int64
             * @description For `rate_limited`: how long to wait before retrying.
             */
            retry_after_ms?: number | null;
        };
        /** @description A file carried by a message, as uploaded and checked by the server. */
        Attachment: {
            /** @description The content type found in its bytes (`application/octet-stream` if unknown). */
            content_type: string;
            /**
             * Format: int64
             * @description Length in milliseconds (audio, once processed, when its container says).
             */
            duration_ms?: number | null;
            /**
             * Format: int32
             * @description Pixels down (images, once processed).
             */
            height?: number | null;
            /** @description Its id (from the upload). */
            id: string;
            /** @description Image, audio or file. */
            kind: components["schemas"]["AttachmentKind"];
            /** @description The file name the uploader gave (cleaned of paths and control characters). */
            name: string;
            /** @description A BlurHash of the image to draw while it loads. */
            placeholder?: string | null;
            /**
             * @description The media worker has looked at it: an image's metadata (EXIF, with any
             *     location) is stripped and its thumbnail made. An image's bytes are served only
             *     once this is set.
             */
            processed?: boolean;
            /**
             * Format: int64
             * @description Size in bytes.
             */
            size: number;
            /**
             * @description A thumbnail exists (JPEG, at most 320 pixels on its longer side): ask for its
             *     link with `?thumbnail=true`.
             */
            thumbnail?: boolean;
            /**
             * Format: int32
             * @description Pixels across (images, once processed).
             */
            width?: number | null;
        };
        /**
         * @description What kind of file an attachment is, from its bytes (not the client's word).
         * @enum {string}
         */
        AttachmentKind: "image" | "audio" | "file";
        /** @description A short-lived link to an attachment's bytes. */
        AttachmentLink: {
            /**
             * Format: int64
             * @description When it stops working (ms since the epoch): ask again after.
             */
            expires_at: number;
            /** @description Path and query to `GET` on this edge (no token needed; it is the link). */
            url: string;
        };
        /**
         * @description Who may do something to a user, in a privacy setting. Whoever the user blocks
         *     never may.
         * @enum {string}
         */
        Audience: "everyone" | "contacts" | "nobody";
        /** @description Answer to sign-up and login: a bearer token and the user's profile. */
        AuthResponse: {
            /**
             * Format: int64
             * @description Expiry of the token, milliseconds since the Unix epoch.
             */
            expires_at: number;
            /** @description Signed token for `Authorization: Bearer` and the WebSocket `token` parameter. */
            token: string;
            /** @description The user. */
            user: components["schemas"]["Profile"];
        };
        /** @description `POST /v1/me/password`. */
        ChangePasswordRequest: {
            /** @description The password now (re-authentication). */
            current_password: string;
            /** @description The new password (8–128 bytes). */
            new_password: string;
        };
        /** @description A channel. */
        Channel: {
            /**
             * Format: int64
             * @description Creation time, milliseconds since the Unix epoch.
             */
            created_at: number;
            /** @description Channel id. */
            id: components["schemas"]["Id"];
            /** @description Kind. */
            kind: components["schemas"]["ChannelKind"];
            /**
             * Format: int64
             * @description Groups: messages older than this many seconds are removed (set by the owner
             *     or an admin; absent: kept as long as the server keeps them).
             */
            max_age_secs?: number | null;
            /** @description Member user ids. */
            members: components["schemas"]["Id"][];
            /** @description The group's name (`null` for 1:1 channels). */
            name?: string | null;
        };
        /**
         * @description Kind of channel.
         * @enum {string}
         */
        ChannelKind: "dm" | "group";
        /** @description A page of the user's channels, most recently active first. */
        ChannelList: {
            /** @description The channels. */
            channels: components["schemas"]["ChannelSummary"][];
            /** @description Pass as `before` for the next page; `null` on the last page. */
            next?: string | null;
        };
        /** @description Answer to `GET /v1/channels/{id}/receipts`. */
        ChannelReceipts: {
            /**
             * @description Every other member: deliveries always, reads where both sides share read
             *     receipts. "Read by N of M" for a message at seq s: N members here with
             *     `read >= s`, M the channel's other members.
             */
            members: components["schemas"]["MemberReceipt"][];
        };
        /** @description One entry of the user's channel list. */
        ChannelSummary: {
            /**
             * Format: int64
             * @description Latest seq (0 when empty).
             */
            head_seq: number;
            /** @description Channel id. */
            id: components["schemas"]["Id"];
            /** @description Kind. */
            kind: components["schemas"]["ChannelKind"];
            /**
             * Format: int64
             * @description Time of the latest message, or of creation when empty (ms since the epoch).
             */
            last_activity_at: number;
            last_message?: null | components["schemas"]["MessagePreview"];
            /** @description The group's name, or the peer's display name for a 1:1 channel. */
            name: string;
            /** @description Which of its messages send the user push notifications. */
            notifications?: components["schemas"]["NotifyLevel"];
            /** @description The other user of a 1:1 channel. */
            peer?: string | null;
            /**
             * Format: int64
             * @description The user's read seq.
             */
            read_seq: number;
            /**
             * Format: int64
             * @description Others' messages after the read seq (`head_seq - read_seq`; sending moves
             *     one's own read seq).
             */
            unread: number;
            /**
             * Format: int64
             * @description Unread messages that mention the user.
             */
            unread_mentions?: number;
        };
        /**
         * @description A request to chat or to join a group, waiting for its recipient to accept or
         *     decline it (30 days at most).
         */
        ChatRequest: {
            /**
             * Format: int64
             * @description When it was made (ms since the epoch).
             */
            created_at: number;
            /**
             * Format: int64
             * @description When it lapses unanswered (ms since the epoch).
             */
            expires_at: number;
            /** @description Who asks. */
            from: components["schemas"]["Id"];
            group?: null | components["schemas"]["Id"];
            /** @description The group's name (for a group). */
            group_name?: string | null;
            /** @description Its id. */
            id: components["schemas"]["Id"];
            /** @description Whom. */
            to: components["schemas"]["Id"];
        };
        /**
         * @description `POST /v1/requests`: asks a user to chat (no `group`) or to join a group, for
         *     when their privacy settings do not take it directly.
         */
        ChatRequestCreate: {
            group?: null | components["schemas"]["Id"];
            /** @description Whom. */
            user: components["schemas"]["Id"];
        };
        /** @description `POST /v1/groups`. */
        CreateGroupRequest: {
            /** @description Initial members besides the creator (at most 99). */
            members?: components["schemas"]["Id"][];
            /** @description 1–64 characters. */
            name: string;
        };
        /** @description `POST /v1/groups/{id}/invites`. */
        CreateInviteRequest: {
            /**
             * Format: int32
             * @description How many may join with it, 0 (no limit) to 1,000.
             */
            max_uses?: number;
            /**
             * Format: int32
             * @description Minutes it works, 1 to 43,200 (30 days).
             */
            minutes: number;
        };
        /** @description `DELETE /v1/me`. */
        DeleteAccountRequest: {
            /** @description The password now (re-authentication). */
            password: string;
        };
        /** @description Who deleted a message for everyone, and when. */
        Deletion: {
            /**
             * Format: int64
             * @description When (ms since the epoch).
             */
            at: number;
            /** @description The user who deleted it (its author, or a group owner or admin). */
            by: string;
        };
        /** @description A device of the caller, with its push registration. */
        DeviceInfo: {
            /** @description The device's id. */
            device_id: string;
            push?: null | components["schemas"]["PushTarget"];
        };
        /** @description `GET /v1/devices`: the caller's devices. */
        DeviceList: {
            /** @description Devices ordered by id. */
            devices: components["schemas"]["DeviceInfo"][];
        };
        /** @description `GET /v1/discover`: the edge to connect to. */
        DiscoverResponse: {
            /** @description The edge's id. */
            edge_id: string;
            /** @description Its HTTP base URL. */
            http_url: string;
            /** @description Its WebSocket URL. */
            ws_url: string;
        };
        /** @description Body of `PATCH /v1/channels/{id}/messages/{seq}`. */
        EditRequest: {
            /** @description The new text: 1 to 99,999 Unicode scalar values. */
            text: string;
        };
        /**
         * @description Every error a client can be told about.
         * @enum {string}
         */
        ErrorCode: "bad_request" | "invalid_frame" | "unknown_op" | "frame_too_large" | "message_empty" | "message_too_long" | "invalid_client_msg_id" | "invalid_device_id" | "token_invalid" | "token_expired" | "token_revoked" | "account_suspended" | "invalid_credentials" | "invalid_username" | "invalid_password" | "invalid_profile" | "username_taken" | "user_not_found" | "not_a_member" | "cannot_dm_self" | "group_full" | "too_many_channels" | "not_a_group" | "forbidden" | "presence_limit" | "draining" | "invalid_group_name" | "rate_limited" | "not_found" | "message_not_found" | "not_author" | "message_deleted" | "reaction_invalid" | "too_many_reactions" | "too_many_edits" | "too_many_pins" | "file_too_large" | "unsupported_media_type" | "quota_exceeded" | "attachment_not_found" | "too_many_attachments" | "link_expired" | "unavailable" | "internal";
        /**
         * @description Where a data export stands (`GET /v1/me/export`).
         * @enum {string}
         */
        ExportState: "running" | "ready" | "failed";
        /** @description A user's data export and its progress. */
        ExportStatus: {
            /**
             * Format: int64
             * @description Bytes written so far.
             */
            bytes: number;
            /**
             * Format: int32
             * @description Channels written so far.
             */
            channels_done: number;
            /**
             * Format: int32
             * @description Channels to write.
             */
            channels_total: number;
            /**
             * Format: int64
             * @description When the link stops working (ms since the epoch).
             */
            expires_at?: number | null;
            /** @description The export's id. */
            id: components["schemas"]["Id"];
            /**
             * Format: int64
             * @description When it started (ms since the epoch).
             */
            started_at: number;
            /** @description Where it stands. */
            state: components["schemas"]["ExportState"];
            /**
             * Format: int64
             * @description When it last moved (ms since the epoch).
             */
            updated_at: number;
            /** @description When ready: a link to the archive (JSON), valid until `expires_at`. */
            url?: string | null;
        };
        /** @description A page of history, in ascending seq order. */
        HistoryPage: {
            /** @description Channel id. */
            channel: components["schemas"]["Id"];
            /**
             * Format: int64
             * @description Messages before this seq expired (retention) and are gone: never ask for
             *     them (0: none expired).
             */
            floor_seq?: number;
            /** @description Whether more messages exist in the paging direction. */
            has_more: boolean;
            /**
             * Format: int64
             * @description The channel's latest seq (0 when empty).
             */
            head_seq: number;
            /** @description Messages, ascending by seq. */
            messages: components["schemas"]["MessageEvent"][];
        };
        /** @description A u64 id as a decimal string. */
        Id: string;
        /**
         * @description An invite link to a group: whoever has the code may join, until it expires, is
         *     used up or revoked (and unless banned).
         */
        Invite: {
            /** @description The code (`POST /v1/invites/{code}/join`); names its group. */
            code: string;
            /** @description Who made it. */
            created_by: components["schemas"]["Id"];
            /**
             * Format: int64
             * @description When it stops working (ms since the epoch).
             */
            expires_at: number;
            /** @description The group. */
            group: components["schemas"]["Id"];
            /**
             * Format: int32
             * @description How many may join with it (0: no limit).
             */
            max_uses: number;
            /**
             * Format: int32
             * @description How many did.
             */
            uses: number;
        };
        /** @description `POST /v1/login`. */
        LoginRequest: {
            /** @description The password. */
            password: string;
            /** @description The username (any case). */
            username: string;
        };
        /** @description One member of a channel. */
        Member: {
            /**
             * Format: int64
             * @description When they joined, milliseconds since the Unix epoch.
             */
            joined_at: number;
            /**
             * Format: int64
             * @description Muted until then (ms since the epoch), while muted.
             */
            muted_until?: number | null;
            /** @description Role (always `member` in 1:1 channels). */
            role: components["schemas"]["Role"];
            /** @description User id. */
            user: components["schemas"]["Id"];
        };
        /** @description `GET /v1/channels/{id}/members`. */
        MemberList: {
            /** @description Users banned from the group (ids, ascending). */
            banned?: components["schemas"]["Id"][];
            /** @description Members ordered by user id. */
            members: components["schemas"]["Member"][];
        };
        /** @description Where one member stands in a channel, for receipts. */
        MemberReceipt: {
            /**
             * Format: int64
             * @description The highest seq one of their devices has acked: delivered up to it.
             */
            delivered: number;
            /**
             * Format: int64
             * @description Their read seq: they have read every message up to it (0 unless both they
             *     and the caller share read receipts).
             */
            read: number;
            /** @description The member. */
            user: components["schemas"]["Id"];
        };
        /** @description Answer to `GET /v1/channels/{id}/messages/{seq}/edits`: every version, oldest first. */
        MessageEdits: {
            /** @description The message as it now stands. */
            message: components["schemas"]["MessageEvent"];
            /**
             * @description Its versions, the original first and the current text last (empty once the
             *     message is deleted).
             */
            versions: components["schemas"]["MessageVersion"][];
        };
        /** @description A message as clients see it, live and in history. */
        MessageEvent: {
            /**
             * @description Files it carries (none once deleted); fetch one with
             *     `GET /v1/channels/{channel}/messages/{seq}/attachments/{id}`.
             */
            attachments?: components["schemas"]["Attachment"][];
            /** @description Channel the message belongs to. */
            channel: string;
            /** @description The author's id for this send (lets the author's devices match their acks). */
            client_msg_id: string;
            deleted?: null | components["schemas"]["Deletion"];
            /**
             * Format: int64
             * @description When the text was last edited (ms since the epoch); absent if never.
             */
            edited_at?: number | null;
            /**
             * Format: int32
             * @description How many times the text was edited (absent: never).
             */
            edits?: number;
            /** @description A forwarded copy of another message. */
            forwarded?: boolean;
            /**
             * @description The reader deleted it for themselves (or it is a change to such a message):
             *     nothing of it is shown, its seq keeps its place.
             */
            hidden?: boolean;
            /** @description Members the text mentions (`@username`, resolved when it was sent). */
            mentions?: components["schemas"]["Id"][];
            /** @description Globally unique, time-ordered id. */
            message_id: string;
            pinned?: null | components["schemas"]["Pinned"];
            /** @description Reactions, in the order each emoji was first added. */
            reactions?: components["schemas"]["Reaction"][];
            reply_to?: null | components["schemas"]["Quote"];
            /** @description Author's user id. */
            sender: string;
            /**
             * Format: int64
             * @description When the edge accepted it, in milliseconds since the Unix epoch.
             */
            sent_at: number;
            /**
             * Format: int64
             * @description Position in the channel: 1, 2, 3, … without gaps.
             */
            seq: number;
            system?: null | components["schemas"]["SystemEvent"];
            /** @description The text. */
            text: string;
        };
        /** @description The start of a channel's latest message. */
        MessagePreview: {
            /** @description Its author (the acting user for system events). */
            sender: components["schemas"]["Id"];
            /**
             * Format: int64
             * @description When it was sent.
             */
            sent_at: number;
            /**
             * Format: int64
             * @description Its seq.
             */
            seq: number;
            system?: null | components["schemas"]["SystemEvent"];
            /** @description The first 100 characters of the text ("" for system events). */
            text: string;
        };
        /** @description One version of a message's text. */
        MessageVersion: {
            /**
             * Format: int64
             * @description When it was written (the send, or the edit), ms since the epoch.
             */
            at: number;
            /**
             * Format: int64
             * @description The seq of the edit event that wrote it (absent for the original).
             */
            edit_seq?: number | null;
            /** @description The text as it was. */
            text: string;
        };
        /** @description `PUT /v1/groups/{id}/members/{user}/mute`: how long the member may not send. */
        MuteMemberRequest: {
            /**
             * Format: int32
             * @description Minutes, 1 to 525,600 (a year).
             */
            minutes: number;
        };
        /** @description `PUT /v1/channels/{id}/mute`. */
        MuteRequest: {
            /** @description Muted channels get no push notifications (messages still arrive). */
            muted: boolean;
        };
        /** @description `PUT /v1/channels/{id}/notifications`. */
        NotificationsRequest: {
            /** @description The level. */
            level: components["schemas"]["NotifyLevel"];
        };
        /**
         * @description Which messages of a channel send the user push notifications.
         * @enum {string}
         */
        NotifyLevel: "all" | "mentions" | "none";
        /** @description `POST /v1/dm`. */
        OpenDmRequest: {
            /** @description The other user. */
            peer: components["schemas"]["Id"];
        };
        /** @description Answer to `GET /v1/channels/{id}/pins`. */
        PinList: {
            /** @description The pinned messages as they now stand, the latest pin first. */
            pins: components["schemas"]["MessageEvent"][];
        };
        /** @description Who pinned a message, and when. */
        Pinned: {
            /**
             * Format: int64
             * @description When (ms since the epoch).
             */
            at: number;
            /** @description The user who pinned it. */
            by: string;
        };
        /** @description Whether a user is online (on any device), and when they were last seen. */
        Presence: {
            /**
             * Format: int64
             * @description When this state began (ms): of two states for one user, the later one holds.
             */
            changed_at: number;
            /**
             * Format: int64
             * @description When their last device went offline (ms since the epoch); `null` if never seen.
             */
            last_seen?: number | null;
            /** @description Online while any of their devices is. */
            online: boolean;
            /** @description Whose. */
            user: components["schemas"]["Id"];
        };
        /** @description A user's profile (public: no field here is private). */
        Profile: {
            /**
             * Format: int64
             * @description Sign-up time, milliseconds since the Unix epoch.
             */
            created_at: number;
            /**
             * @description The account was deleted: show "deleted account" (username and names are
             *     empty).
             */
            deleted?: boolean;
            /** @description Display name. */
            display_name: string;
            /** @description User id. */
            id: components["schemas"]["Id"];
            presence?: null | components["schemas"]["Presence"];
            settings?: null | components["schemas"]["Settings"];
            /** @description Free status text ("" when unset). */
            status_text: string;
            /** @description Username as normalized (lowercase). */
            username: string;
        };
        /**
         * @description Where push notifications for a device go.
         * @enum {string}
         */
        PushPlatform: "fcm" | "apns" | "webpush" | "webhook";
        /** @description A device's push registration. */
        PushTarget: {
            /** @description Web Push: the subscription's 16-byte auth secret (base64url). */
            auth?: string | null;
            /** @description Web Push: the subscription's P-256 public key (base64url, uncompressed point). */
            p256dh?: string | null;
            /** @description The provider. */
            platform: components["schemas"]["PushPlatform"];
            /** @description Provider token, or endpoint URL for `webpush` and `webhook`. */
            token: string;
        };
        /**
         * @description A replied-to message as a reply shows it: always its current state (an edit
         *     shows, a deletion leaves no text).
         */
        Quote: {
            /** @description Deleted for everyone. */
            deleted?: boolean;
            /** @description The first 100 characters of its current text (empty once deleted). */
            preview: string;
            /** @description Its author. */
            sender: string;
            /**
             * Format: int64
             * @description Its seq in the same channel.
             */
            seq: number;
        };
        /** @description One emoji's reactions to a message. */
        Reaction: {
            /**
             * Format: int32
             * @description How many users reacted with it.
             */
            count: number;
            /** @description The emoji (canonical form). */
            emoji: string;
            /** @description Who, in the order they reacted. */
            users: components["schemas"]["Id"][];
        };
        /** @description What `/readyz` answers (JSON): ready when every check is `ok`. */
        Readiness: {
            /** @description Each check: `ok` or why not. */
            checks: {
                [key: string]: string;
            };
            /** @description Every check passed. */
            ready: boolean;
        };
        /**
         * @description `POST /v1/devices`: registers (or replaces) the push target of one of the
         *     caller's devices.
         */
        RegisterPushRequest: components["schemas"]["PushTarget"] & {
            /** @description The device's id (as used with `/v1/ws?device=`). */
            device_id: string;
        };
        /** @description `PATCH /v1/groups/{id}`. */
        RenameGroupRequest: {
            /** @description The new name, 1–64 characters. */
            name: string;
        };
        /**
         * @description Why something is reported.
         * @enum {string}
         */
        ReportReason: "spam" | "harassment" | "hate" | "violence" | "sexual" | "other";
        /** @description Answer to `POST /v1/reports`. */
        ReportReceipt: {
            /** @description The report's id. */
            id: components["schemas"]["Id"];
        };
        /** @description `POST /v1/reports`: a message (`channel` and `seq`) or a user (`user`). */
        ReportRequest: {
            channel?: null | components["schemas"]["Id"];
            /** @description What the reporter adds (at most 1,000 characters). */
            note?: string;
            /** @description Why. */
            reason: components["schemas"]["ReportReason"];
            /**
             * Format: int64
             * @description The message's seq (with `channel`).
             */
            seq?: number | null;
            user?: null | components["schemas"]["Id"];
        };
        /** @description `PUT /v1/groups/{id}/retention`. */
        RetentionRequest: {
            /**
             * Format: int64
             * @description Remove messages older than this many seconds (at least 3,600; at most ten
             *     years); 0 keeps them as long as the server does.
             */
            max_age_secs: number;
        };
        /**
         * @description A member's role in a group (1:1 channels have only members).
         *
         *     | may … | owner | admin | member |
         *     | --- | --- | --- | --- |
         *     | send, read, leave | yes | yes | yes |
         *     | add members, rename | yes | yes | no |
         *     | remove a member | yes | yes | no |
         *     | remove an admin, change roles | yes | no | no |
         * @enum {string}
         */
        Role: "owner" | "admin" | "member";
        /** @description One of the caller's sessions (a login on some device), `GET /v1/sessions`. */
        SessionInfo: {
            /** @description What logged in, from its `User-Agent` (at most 120 characters). */
            agent: string;
            /**
             * Format: int64
             * @description When it was opened (login), ms since the epoch.
             */
            created_at: number;
            /** @description Whether it is the session of the token that asked. */
            current: boolean;
            /** @description Session id. */
            id: components["schemas"]["Id"];
            /**
             * Format: int64
             * @description When it last opened a socket or logged in, ms since the epoch (to the minute).
             */
            last_used_at: number;
        };
        /** @description `PUT /v1/groups/{id}/members/{user}/role`. */
        SetRoleRequest: {
            /** @description `admin` or `member`. */
            role: components["schemas"]["Role"];
        };
        /** @description A user's privacy settings. */
        Settings: {
            /**
             * @description Others learn when this user has read their messages (and this user learns
             *     when others have read theirs). Off: neither.
             */
            read_receipts: boolean;
            who_can_add?: null | components["schemas"]["Audience"];
            who_can_message?: null | components["schemas"]["Audience"];
            who_sees_presence?: null | components["schemas"]["Audience"];
        };
        /** @description `POST /v1/signup`. */
        SignupRequest: {
            /** @description 1–64 characters. */
            display_name: string;
            /** @description 8–128 bytes. */
            password: string;
            /** @description 3–32 of `a-z 0-9 _ .`, unique case-insensitively. */
            username: string;
        };
        /** @description A change to a group, kept in its history as a seq'd message. */
        SystemEvent: {
            /** @enum {string} */
            kind: "group_created";
            /** @description Every initial member. */
            members: components["schemas"]["Id"][];
            /** @description The group's name. */
            name: string;
        } | {
            /** @enum {string} */
            kind: "members_added";
            /** @description The new members. */
            users: components["schemas"]["Id"][];
        } | {
            /** @enum {string} */
            kind: "member_removed";
            /** @description Who was removed. */
            user: string;
        } | {
            /** @enum {string} */
            kind: "member_banned";
            /** @description Who. */
            user: string;
        } | {
            /** @enum {string} */
            kind: "member_unbanned";
            /** @description Who. */
            user: string;
        } | {
            /** @enum {string} */
            kind: "member_muted";
            /**
             * Format: int64
             * @description Until when (0: the mute was lifted).
             */
            until: number;
            /** @description Who. */
            user: string;
        } | {
            /** @enum {string} */
            kind: "member_left";
            /** @description Who left. */
            user: string;
        } | {
            /** @enum {string} */
            kind: "renamed";
            /** @description The new name. */
            name: string;
        } | {
            /** @enum {string} */
            kind: "role_changed";
            /** @description The new role. */
            role: components["schemas"]["Role"];
            /** @description Whose role. */
            user: string;
        } | {
            /**
             * Format: int32
             * @description Which edit this is (1 for the first).
             */
            edit: number;
            /** @enum {string} */
            kind: "message_edited";
            /**
             * Format: int64
             * @description The edited message's seq.
             */
            seq: number;
            /** @description The new text. */
            text: string;
        } | {
            /** @enum {string} */
            kind: "message_deleted";
            /**
             * Format: int64
             * @description The deleted message's seq.
             */
            seq: number;
        } | {
            /** @enum {string} */
            kind: "message_pinned";
            /**
             * Format: int64
             * @description The message's seq.
             */
            seq: number;
        } | {
            /** @enum {string} */
            kind: "message_unpinned";
            /**
             * Format: int64
             * @description The message's seq.
             */
            seq: number;
        } | {
            /** @description The emoji. */
            emoji: string;
            /** @enum {string} */
            kind: "reaction_added";
            /**
             * Format: int64
             * @description The message's seq.
             */
            seq: number;
        } | {
            /** @description The emoji. */
            emoji: string;
            /** @enum {string} */
            kind: "reaction_removed";
            /**
             * Format: int64
             * @description The message's seq.
             */
            seq: number;
        } | {
            /** @description The attachment as it now stands. */
            attachment: components["schemas"]["Attachment"];
            /** @enum {string} */
            kind: "attachment_processed";
        } | {
            /** @enum {string} */
            kind: "account_deleted";
            /** @description Whose account. */
            user: string;
        } | {
            /** @enum {string} */
            kind: "retention_changed";
            /**
             * Format: int64
             * @description Seconds (0: as long as the server keeps them).
             */
            max_age_secs: number;
        };
        /** @description `PATCH /v1/me`: fields left out stay as they are. */
        UpdateProfileRequest: {
            /** @description New display name. */
            display_name?: string | null;
            /** @description Share read receipts (see `Settings`). */
            read_receipts?: boolean | null;
            /** @description New status text ("" clears it). */
            status_text?: string | null;
            who_can_add?: null | components["schemas"]["Audience"];
            who_can_message?: null | components["schemas"]["Audience"];
            who_sees_presence?: null | components["schemas"]["Audience"];
        };
        /** @description Body of `POST /v1/channels/{id}/uploads`: opens an upload in parts. */
        UploadRequest: {
            /** @description The content type the client believes it has (a hint: the bytes decide). */
            content_type?: string | null;
            /** @description The file's name. */
            name: string;
            /**
             * Format: int64
             * @description The file's whole size in bytes.
             */
            size: number;
        };
        /** @description An upload in parts: what was received, and what is left to send. */
        UploadStatus: {
            /**
             * Format: int64
             * @description When the upload is dropped if not completed (ms since the epoch).
             */
            expires_at: number;
            /** @description The upload's id (for `PUT /v1/uploads/{id}/parts/{n}`). */
            id: components["schemas"]["Id"];
            /**
             * Format: int64
             * @description Every part but the last has exactly this many bytes.
             */
            part_bytes: number;
            /**
             * Format: int64
             * @description Parts in all, numbered from 0.
             */
            parts: number;
            /** @description Parts received so far. */
            received: number[];
            /**
             * Format: int64
             * @description The file's whole size.
             */
            size: number;
        };
        /** @description A list of users. */
        UserList: {
            /** @description Users ordered by username. */
            users: components["schemas"]["Profile"][];
        };
        /** @description `GET /v1/version`: what this server speaks. */
        VersionResponse: {
            /**
             * Format: int32
             * @description The client protocol version ([`crate::PROTOCOL_VERSION`]): a client made for
             *     another one should tell its user to update.
             */
            protocol: number;
            /** @description The server's release (informational). */
            server: string;
        };
        /** @description `GET /v1/push/webpush-key`: the key browsers subscribe with. */
        WebPushKey: {
            /**
             * @description VAPID public key, base64url of the uncompressed P-256 point
             *     (`applicationServerKey` of `PushManager.subscribe`).
             */
            public_key: string;
        };
    };
    responses: never;
    parameters: never;
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
    healthz: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description `ok` */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "text/plain": string;
                };
            };
        };
    };
    readyz: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Ready */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Readiness"];
                };
            };
            /** @description Not ready: a failing check carries its reason */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Readiness"];
                };
            };
        };
    };
    list_blocks: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Their profiles */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Profile"][];
                };
            };
            /** @description `token_invalid`, `token_expired`, `token_revoked`: the bearer token is missing, malformed, expired or its session ended */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `internal`: a bug on the server side */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `unavailable`: NATS or the store is unreachable right now; retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
        };
    };
    block_user: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description User id (decimal) */
                user: components["schemas"]["Id"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Blocked (blocking again changes nothing) */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description `bad_request`: oneself, or 1,000 users blocked already */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `token_invalid`, `token_expired`, `token_revoked`: the bearer token is missing, malformed, expired or its session ended */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `user_not_found` */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `internal`: a bug on the server side */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `unavailable`: NATS or the store is unreachable right now; retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
        };
    };
    unblock_user: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description User id (decimal) */
                user: components["schemas"]["Id"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Unblocked (or was not blocked) */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description `bad_request`: not an id */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `token_invalid`, `token_expired`, `token_revoked`: the bearer token is missing, malformed, expired or its session ended */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `user_not_found` */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `internal`: a bug on the server side */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `unavailable`: NATS or the store is unreachable right now; retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
        };
    };
    list_channels: {
        parameters: {
            query?: {
                /** @description The `next` cursor of the previous page. */
                before?: string;
                /** @description At most this many (default 50, max 200). */
                limit?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of channels */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ChannelList"];
                };
            };
            /** @description `bad_request`: bad `limit` or `before` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `token_invalid`, `token_expired`, `token_revoked`: the bearer token is missing, malformed, expired or its session ended */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `internal`: a bug on the server side */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `unavailable`: NATS or the store is unreachable right now; retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
        };
    };
    get_channel: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Channel id (decimal) */
                id: components["schemas"]["Id"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The channel */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Channel"];
                };
            };
            /** @description `bad_request`: a path id is not a decimal u64 */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `token_invalid`, `token_expired`, `token_revoked`: the bearer token is missing, malformed, expired or its session ended */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `not_a_member`: no such channel or not a member */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `not_found`: an empty path segment matches no route */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `internal`: a bug on the server side */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `unavailable`: NATS or the store is unreachable right now; retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
        };
    };
    upload_file: {
        parameters: {
            query?: {
                /** @description The file's name (paths and control characters are removed). */
                name?: string;
            };
            header?: never;
            path: {
                /** @description Channel id (decimal) */
                id: components["schemas"]["Id"];
            };
            cookie?: never;
        };
        /** @description The file's bytes */
        requestBody: {
            content: {
                "application/octet-stream": number[];
            };
        };
        responses: {
            /** @description Stored durably; put its `id` in a send's `attachments` */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Attachment"];
                };
            };
            /** @description `bad_request` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `token_invalid`, `token_expired`, `token_revoked`: the bearer token is missing, malformed, expired or its session ended */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `not_a_member` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `not_found`: this server takes no files */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `file_too_large`: over the part size (upload in parts) or the file limit */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `unsupported_media_type`: an executable */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `rate_limited`; `quota_exceeded`: the user's uploads of today reached the daily limit (`retry_after_ms`: until the next UTC day) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `internal`: a bug on the server side */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `unavailable`: NATS or the store is unreachable right now; retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
        };
    };
    list_members: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Channel id (decimal) */
                id: components["schemas"]["Id"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Members by user id */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["MemberList"];
                };
            };
            /** @description `bad_request`: a path id is not a decimal u64 */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `token_invalid`, `token_expired`, `token_revoked`: the bearer token is missing, malformed, expired or its session ended */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `not_a_member` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `not_found`: an empty path segment matches no route */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `internal`: a bug on the server side */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `unavailable`: NATS or the store is unreachable right now; retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
        };
    };
    history: {
        parameters: {
            query?: {
                /** @description Only messages with seq > after. */
                after?: number;
                /** @description Only messages with seq < before. */
                before?: number;
                /** @description At most this many (default 50, max 200). */
                limit?: number;
            };
            header?: never;
            path: {
                /** @description Channel id (decimal) */
                id: components["schemas"]["Id"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of messages */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["HistoryPage"];
                };
            };
            /** @description `bad_request`: bad id, query or `limit` outside 1-200 */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `token_invalid`, `token_expired`, `token_revoked`: the bearer token is missing, malformed, expired or its session ended */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `not_a_member` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `not_found`: an empty path segment matches no route */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `internal`: a bug on the server side */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `unavailable`: NATS or the store is unreachable right now; retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
        };
    };
    get_message: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Channel id (decimal) */
                id: components["schemas"]["Id"];
                /** @description The message's seq */
                seq: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The message */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["MessageEvent"];
                };
            };
            /** @description `bad_request`: a path id is not a decimal u64 */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `token_invalid`, `token_expired`, `token_revoked`: the bearer token is missing, malformed, expired or its session ended */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `not_a_member` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `message_not_found` */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `internal`: a bug on the server side */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `unavailable`: NATS or the store is unreachable right now; retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
        };
    };
    delete_message: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Channel id (decimal) */
                id: components["schemas"]["Id"];
                /** @description The message's seq */
                seq: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The tombstone (a repeat answers the same) */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["MessageEvent"];
                };
            };
            /** @description `bad_request` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `token_invalid`, `token_expired`, `token_revoked`: the bearer token is missing, malformed, expired or its session ended */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `not_a_member`, `forbidden` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `message_not_found` */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `rate_limited` */
            429: {
                headers: {
                    /** @description Seconds to wait before retrying */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `internal`: a bug on the server side */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `unavailable`: NATS or the store is unreachable right now; retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
        };
    };
    edit_message: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Channel id (decimal) */
                id: components["schemas"]["Id"];
                /** @description The message's seq */
                seq: number;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["EditRequest"];
            };
        };
        responses: {
            /** @description The message as it now stands */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["MessageEvent"];
                };
            };
            /** @description `bad_request`, `message_empty` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `token_invalid`, `token_expired`, `token_revoked`: the bearer token is missing, malformed, expired or its session ended */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `not_a_member`, `not_author` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `message_not_found` */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `message_deleted`, `too_many_edits` (100 per message) */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `message_too_long` */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `rate_limited`: changes count against the send rate */
            429: {
                headers: {
                    /** @description Seconds to wait before retrying */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `internal`: a bug on the server side */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `unavailable`: NATS or the store is unreachable right now; retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
        };
    };
    attachment_link: {
        parameters: {
            query?: {
                /** @description A link to the thumbnail (JPEG) instead of the file. */
                thumbnail?: boolean;
            };
            header?: never;
            path: {
                /** @description The attachment's id */
                att: components["schemas"]["Id"];
                /** @description Channel id (decimal) */
                id: components["schemas"]["Id"];
                /** @description The message's seq */
                seq: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The link (valid for minutes) */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AttachmentLink"];
                };
            };
            /** @description `bad_request` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `token_invalid`, `token_expired`, `token_revoked`: the bearer token is missing, malformed, expired or its session ended */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `not_a_member` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `message_not_found`, `attachment_not_found` */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `message_deleted` */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `internal`: a bug on the server side */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `unavailable`: an image not processed yet (`retry_after_ms`) */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
        };
    };
    message_edits: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Channel id (decimal) */
                id: components["schemas"]["Id"];
                /** @description The message's seq */
                seq: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The message and its versions */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["MessageEdits"];
                };
            };
            /** @description `bad_request` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `token_invalid`, `token_expired`, `token_revoked`: the bearer token is missing, malformed, expired or its session ended */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `not_a_member` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `message_not_found` */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `internal`: a bug on the server side */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `unavailable`: NATS or the store is unreachable right now; retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
        };
    };
    hide_message: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Channel id (decimal) */
                id: components["schemas"]["Id"];
                /** @description The message's seq */
                seq: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Hidden (a repeat answers the same) */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description `bad_request` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `token_invalid`, `token_expired`, `token_revoked`: the bearer token is missing, malformed, expired or its session ended */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `not_a_member` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `message_not_found` */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `rate_limited` */
            429: {
                headers: {
                    /** @description Seconds to wait before retrying */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `internal`: a bug on the server side */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `unavailable`: NATS or the store is unreachable right now; retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
        };
    };
    add_reaction: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description One emoji, percent-encoded */
                emoji: string;
                /** @description Channel id (decimal) */
                id: components["schemas"]["Id"];
                /** @description The message's seq */
                seq: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The message as it now stands */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["MessageEvent"];
                };
            };
            /** @description `bad_request`, `reaction_invalid` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `token_invalid`, `token_expired`, `token_revoked`: the bearer token is missing, malformed, expired or its session ended */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `not_a_member` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `message_not_found` */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `message_deleted`, `too_many_reactions` (20 different emoji per message) */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `rate_limited` */
            429: {
                headers: {
                    /** @description Seconds to wait before retrying */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `internal`: a bug on the server side */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `unavailable`: NATS or the store is unreachable right now; retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
        };
    };
    remove_reaction: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description One emoji, percent-encoded */
                emoji: string;
                /** @description Channel id (decimal) */
                id: components["schemas"]["Id"];
                /** @description The message's seq */
                seq: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The message as it now stands */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["MessageEvent"];
                };
            };
            /** @description `bad_request`, `reaction_invalid` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `token_invalid`, `token_expired`, `token_revoked`: the bearer token is missing, malformed, expired or its session ended */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `not_a_member` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `message_not_found` */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `message_deleted` */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `rate_limited` */
            429: {
                headers: {
                    /** @description Seconds to wait before retrying */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `internal`: a bug on the server side */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `unavailable`: NATS or the store is unreachable right now; retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
        };
    };
    mute_channel: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Channel id (decimal) */
                id: components["schemas"]["Id"];
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["MuteRequest"];
            };
        };
        responses: {
            /** @description The new setting */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["MuteRequest"];
                };
            };
            /** @description `bad_request` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `token_invalid`, `token_expired`, `token_revoked`: the bearer token is missing, malformed, expired or its session ended */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `not_a_member` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `not_found`: an empty path segment matches no route */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `internal`: a bug on the server side */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `unavailable`: NATS or the store is unreachable right now; retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
        };
    };
    set_notifications: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Channel id (decimal) */
                id: components["schemas"]["Id"];
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["NotificationsRequest"];
            };
        };
        responses: {
            /** @description The new setting */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["NotificationsRequest"];
                };
            };
            /** @description `bad_request` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `token_invalid`, `token_expired`, `token_revoked`: the bearer token is missing, malformed, expired or its session ended */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `not_a_member` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `internal`: a bug on the server side */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `unavailable`: NATS or the store is unreachable right now; retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
        };
    };
    list_pins: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Channel id (decimal) */
                id: components["schemas"]["Id"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The pinned messages */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PinList"];
                };
            };
            /** @description `bad_request` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `token_invalid`, `token_expired`, `token_revoked`: the bearer token is missing, malformed, expired or its session ended */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `not_a_member` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `internal`: a bug on the server side */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `unavailable`: NATS or the store is unreachable right now; retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
        };
    };
    pin_message: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Channel id (decimal) */
                id: components["schemas"]["Id"];
                /** @description The message's seq */
                seq: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The message as it now stands (a repeat changes nothing) */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["MessageEvent"];
                };
            };
            /** @description `bad_request` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `token_invalid`, `token_expired`, `token_revoked`: the bearer token is missing, malformed, expired or its session ended */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `not_a_member`, `forbidden` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `message_not_found` */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `message_deleted`, `too_many_pins` (50 per channel) */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `rate_limited` */
            429: {
                headers: {
                    /** @description Seconds to wait before retrying */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `internal`: a bug on the server side */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `unavailable`: NATS or the store is unreachable right now; retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
        };
    };
    unpin_message: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Channel id (decimal) */
                id: components["schemas"]["Id"];
                /** @description The message's seq */
                seq: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The message as it now stands (a repeat changes nothing) */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["MessageEvent"];
                };
            };
            /** @description `bad_request` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `token_invalid`, `token_expired`, `token_revoked`: the bearer token is missing, malformed, expired or its session ended */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `not_a_member`, `forbidden` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `message_not_found` */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `message_deleted` */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `rate_limited` */
            429: {
                headers: {
                    /** @description Seconds to wait before retrying */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `internal`: a bug on the server side */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `unavailable`: NATS or the store is unreachable right now; retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
        };
    };
    receipts: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Channel id (decimal) */
                id: components["schemas"]["Id"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Each other member's read and delivered seqs */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ChannelReceipts"];
                };
            };
            /** @description `bad_request` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `token_invalid`, `token_expired`, `token_revoked`: the bearer token is missing, malformed, expired or its session ended */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `not_a_member` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `internal`: a bug on the server side */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `unavailable`: NATS or the store is unreachable right now; retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
        };
    };
    open_upload: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Channel id (decimal) */
                id: components["schemas"]["Id"];
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["UploadRequest"];
            };
        };
        responses: {
            /** @description Opened: send parts 0 to `parts - 1`, then complete */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["UploadStatus"];
                };
            };
            /** @description `bad_request` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `token_invalid`, `token_expired`, `token_revoked`: the bearer token is missing, malformed, expired or its session ended */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `not_a_member` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `not_found`: this server takes no files */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `file_too_large` */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `rate_limited`; `quota_exceeded`: the user's uploads of today reached the daily limit (`retry_after_ms`: until the next UTC day) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `internal`: a bug on the server side */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `unavailable`: NATS or the store is unreachable right now; retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
        };
    };
    list_devices: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Devices by id */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DeviceList"];
                };
            };
            /** @description `token_invalid`, `token_expired`, `token_revoked`: the bearer token is missing, malformed, expired or its session ended */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `internal`: a bug on the server side */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `unavailable`: NATS or the store is unreachable right now; retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
        };
    };
    register_push: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["RegisterPushRequest"];
            };
        };
        responses: {
            /** @description The device */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DeviceInfo"];
                };
            };
            /** @description `bad_request`, `invalid_device_id` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `token_invalid`, `token_expired`, `token_revoked`: the bearer token is missing, malformed, expired or its session ended */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `internal`: a bug on the server side */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `unavailable`: NATS or the store is unreachable right now; retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
        };
    };
    unregister_push: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Device id */
                device: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The device, without push target */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DeviceInfo"];
                };
            };
            /** @description `invalid_device_id` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `token_invalid`, `token_expired`, `token_revoked`: the bearer token is missing, malformed, expired or its session ended */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `not_found`: an empty path segment matches no route */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `internal`: a bug on the server side */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `unavailable`: NATS or the store is unreachable right now; retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
        };
    };
    discover: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The edge */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DiscoverResponse"];
                };
            };
            /** @description `token_invalid`, `token_expired`, `token_revoked`: the bearer token is missing, malformed, expired or its session ended */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `internal`: a bug on the server side */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `unavailable`: no edge takes new sockets; retry with backoff */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
        };
    };
    open_dm: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["OpenDmRequest"];
            };
        };
        responses: {
            /** @description The channel */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Channel"];
                };
            };
            /** @description `bad_request`, `cannot_dm_self` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `token_invalid`, `token_expired`, `token_revoked`: the bearer token is missing, malformed, expired or its session ended */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `user_not_found` */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `too_many_channels`: a new 1:1 channel would put the caller or the peer in more than 1,000 channels */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `internal`: a bug on the server side */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `unavailable`: NATS or the store is unreachable right now; retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
        };
    };
    download_export: {
        parameters: {
            query: {
                /** @description Expiry (ms) */
                exp: number;
                /** @description Signature */
                sig: string;
            };
            header?: never;
            path: {
                /** @description Export id */
                id: components["schemas"]["Id"];
                /** @description User id */
                user: components["schemas"]["Id"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The archive (JSON, as an attachment) */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description `bad_request`: `exp` or `sig` missing, a bad id */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `link_expired` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `not_found`: collected (a day after it was made) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
        };
    };
    create_group: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CreateGroupRequest"];
            };
        };
        responses: {
            /** @description The group */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Channel"];
                };
            };
            /** @description `bad_request`, `invalid_group_name` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `token_invalid`, `token_expired`, `token_revoked`: the bearer token is missing, malformed, expired or its session ended */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `forbidden`: a named user accepts group additions only from people they share a chat with (`--group-add-policy contacts`, the default) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `user_not_found` */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `group_full`: more than 100 members; `too_many_channels`: the caller or a named user is already in 1,000 channels */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `rate_limited`: group changes count against the caller's send rate */
            429: {
                headers: {
                    /** @description Seconds to wait before retrying */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `internal`: a bug on the server side */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `unavailable`: NATS or the store is unreachable right now; retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
        };
    };
    rename_group: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Group (channel) id (decimal) */
                id: components["schemas"]["Id"];
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["RenameGroupRequest"];
            };
        };
        responses: {
            /** @description The group */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Channel"];
                };
            };
            /** @description `bad_request`, `invalid_group_name`, `not_a_group` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `token_invalid`, `token_expired`, `token_revoked`: the bearer token is missing, malformed, expired or its session ended */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `forbidden`, `not_a_member` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `not_found`: an empty path segment matches no route */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `rate_limited`: group changes count against the caller's send rate */
            429: {
                headers: {
                    /** @description Seconds to wait before retrying */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `internal`: a bug on the server side */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `unavailable`: NATS or the store is unreachable right now; retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
        };
    };
    ban: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Group (channel) id (decimal) */
                id: components["schemas"]["Id"];
                /** @description User id (decimal) */
                user: components["schemas"]["Id"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The group */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Channel"];
                };
            };
            /** @description `bad_request`, `not_a_group` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `token_invalid`, `token_expired`, `token_revoked`: the bearer token is missing, malformed, expired or its session ended */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `forbidden`: members cannot ban, admins cannot ban admins or the owner, nobody bans themselves; `not_a_member` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `rate_limited` */
            429: {
                headers: {
                    /** @description Seconds to wait before retrying */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `internal`: a bug on the server side */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `unavailable`: NATS or the store is unreachable right now; retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
        };
    };
    unban: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Group (channel) id (decimal) */
                id: components["schemas"]["Id"];
                /** @description User id (decimal) */
                user: components["schemas"]["Id"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The group */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Channel"];
                };
            };
            /** @description `bad_request`, `not_a_group` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `token_invalid`, `token_expired`, `token_revoked`: the bearer token is missing, malformed, expired or its session ended */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `forbidden`, `not_a_member` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `rate_limited` */
            429: {
                headers: {
                    /** @description Seconds to wait before retrying */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `internal`: a bug on the server side */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `unavailable`: NATS or the store is unreachable right now; retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
        };
    };
    list_invites: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Group (channel) id (decimal) */
                id: components["schemas"]["Id"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Invites not expired, used up or revoked */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Invite"][];
                };
            };
            /** @description `bad_request`: not an id */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `token_invalid`, `token_expired`, `token_revoked`: the bearer token is missing, malformed, expired or its session ended */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `forbidden`: members cannot; `not_a_member` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `internal`: a bug on the server side */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `unavailable`: NATS or the store is unreachable right now; retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
        };
    };
    create_invite: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Group (channel) id (decimal) */
                id: components["schemas"]["Id"];
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CreateInviteRequest"];
            };
        };
        responses: {
            /** @description The invite */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Invite"];
                };
            };
            /** @description `bad_request` (minutes not 1 to 43,200, max_uses over 1,000, 20 open invites already), `not_a_group` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `token_invalid`, `token_expired`, `token_revoked`: the bearer token is missing, malformed, expired or its session ended */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `forbidden`: members cannot; `not_a_member` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `rate_limited` */
            429: {
                headers: {
                    /** @description Seconds to wait before retrying */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `internal`: a bug on the server side */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `unavailable`: NATS or the store is unreachable right now; retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
        };
    };
    revoke_invite: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The invite's code */
                code: string;
                /** @description Group (channel) id (decimal) */
                id: components["schemas"]["Id"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Revoked (or was not there) */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description `bad_request`: not an id */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `token_invalid`, `token_expired`, `token_revoked`: the bearer token is missing, malformed, expired or its session ended */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `forbidden`, `not_a_member` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `internal`: a bug on the server side */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `unavailable`: NATS or the store is unreachable right now; retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
        };
    };
    leave_group: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Group (channel) id (decimal) */
                id: components["schemas"]["Id"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The group */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Channel"];
                };
            };
            /** @description `bad_request`, `not_a_group` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `token_invalid`, `token_expired`, `token_revoked`: the bearer token is missing, malformed, expired or its session ended */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `not_a_member` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `not_found`: an empty path segment matches no route */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `rate_limited`: group changes count against the caller's send rate */
            429: {
                headers: {
                    /** @description Seconds to wait before retrying */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `internal`: a bug on the server side */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `unavailable`: NATS or the store is unreachable right now; retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
        };
    };
    add_members: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Group (channel) id (decimal) */
                id: components["schemas"]["Id"];
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["AddMembersRequest"];
            };
        };
        responses: {
            /** @description The group */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Channel"];
                };
            };
            /** @description `bad_request`, `not_a_group` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `token_invalid`, `token_expired`, `token_revoked`: the bearer token is missing, malformed, expired or its session ended */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `forbidden` (the caller's role, or a named user accepts group additions only from people they share a chat with), `not_a_member` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `user_not_found`; `not_found` for an empty id */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `group_full`: the group would exceed 100 members; `too_many_channels`: a named user is already in 1,000 channels */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `rate_limited`: group changes count against the caller's send rate */
            429: {
                headers: {
                    /** @description Seconds to wait before retrying */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `internal`: a bug on the server side */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `unavailable`: NATS or the store is unreachable right now; retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
        };
    };
    remove_member: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Group (channel) id (decimal) */
                id: components["schemas"]["Id"];
                /** @description User id (decimal) */
                user: components["schemas"]["Id"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The group */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Channel"];
                };
            };
            /** @description `bad_request`, `not_a_group` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `token_invalid`, `token_expired`, `token_revoked`: the bearer token is missing, malformed, expired or its session ended */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `forbidden`, `not_a_member` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `user_not_found`; `not_found` for an empty id */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `rate_limited`: group changes count against the caller's send rate */
            429: {
                headers: {
                    /** @description Seconds to wait before retrying */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `internal`: a bug on the server side */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `unavailable`: NATS or the store is unreachable right now; retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
        };
    };
    mute_member: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Group (channel) id (decimal) */
                id: components["schemas"]["Id"];
                /** @description User id (decimal) */
                user: components["schemas"]["Id"];
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["MuteMemberRequest"];
            };
        };
        responses: {
            /** @description The group */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Channel"];
                };
            };
            /** @description `bad_request` (minutes not 1 to 525,600), `not_a_group` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `token_invalid`, `token_expired`, `token_revoked`: the bearer token is missing, malformed, expired or its session ended */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `forbidden`, `not_a_member` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `user_not_found`: not a member */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `rate_limited` */
            429: {
                headers: {
                    /** @description Seconds to wait before retrying */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `internal`: a bug on the server side */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `unavailable`: NATS or the store is unreachable right now; retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
        };
    };
    unmute_member: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Group (channel) id (decimal) */
                id: components["schemas"]["Id"];
                /** @description User id (decimal) */
                user: components["schemas"]["Id"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The group */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Channel"];
                };
            };
            /** @description `bad_request`, `not_a_group` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `token_invalid`, `token_expired`, `token_revoked`: the bearer token is missing, malformed, expired or its session ended */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `forbidden`, `not_a_member` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `user_not_found`: not a member */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `rate_limited` */
            429: {
                headers: {
                    /** @description Seconds to wait before retrying */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `internal`: a bug on the server side */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `unavailable`: NATS or the store is unreachable right now; retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
        };
    };
    set_role: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Group (channel) id (decimal) */
                id: components["schemas"]["Id"];
                /** @description User id (decimal) */
                user: components["schemas"]["Id"];
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["SetRoleRequest"];
            };
        };
        responses: {
            /** @description The group */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Channel"];
                };
            };
            /** @description `bad_request` (role `owner`, oneself, bad id), `not_a_group` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `token_invalid`, `token_expired`, `token_revoked`: the bearer token is missing, malformed, expired or its session ended */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `forbidden`, `not_a_member` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `user_not_found`: not a member; `not_found` for an empty id */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `rate_limited`: group changes count against the caller's send rate */
            429: {
                headers: {
                    /** @description Seconds to wait before retrying */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `internal`: a bug on the server side */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `unavailable`: NATS or the store is unreachable right now; retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
        };
    };
    set_retention: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Group (channel) id (decimal) */
                id: components["schemas"]["Id"];
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["RetentionRequest"];
            };
        };
        responses: {
            /** @description The group (with `max_age_secs`) */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Channel"];
                };
            };
            /** @description `bad_request` (not 0 or an hour to ten years), `not_a_group` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `token_invalid`, `token_expired`, `token_revoked`: the bearer token is missing, malformed, expired or its session ended */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `forbidden`, `not_a_member` */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `not_found`: an empty path segment matches no route */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `rate_limited` */
            429: {
                headers: {
                    /** @description Seconds to wait before retrying */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `internal`: a bug on the server side */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `unavailable`: NATS or the store is unreachable right now; retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
        };
    };
    join_by_invite: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The invite's code */
                code: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The group (joining again changes nothing) */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Channel"];
                };
            };
            /** @description `token_invalid`, `token_expired`, `token_revoked`: the bearer token is missing, malformed, expired or its session ended */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `forbidden`: banned from the group */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `not_found`: no such invite, or it expired, was used up or revoked */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `group_full`, `too_many_channels` */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `rate_limited` */
            429: {
                headers: {
                    /** @description Seconds to wait before retrying */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `internal`: a bug on the server side */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `unavailable`: NATS or the store is unreachable right now; retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
        };
    };
    login: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["LoginRequest"];
            };
        };
        responses: {
            /** @description Logged in */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AuthResponse"];
                };
            };
            /** @description `bad_request` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `invalid_credentials`: unknown username or wrong password */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `account_suspended`: an operator suspended the account */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `rate_limited`: too many requests; wait `retry_after_ms` */
            429: {
                headers: {
                    /** @description Seconds to wait before retrying */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `internal`: a bug on the server side */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `unavailable`: NATS or the store is unreachable right now; retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
        };
    };
    logout: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Ended */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description `token_invalid`, `token_expired`, `token_revoked` */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `internal`: a bug on the server side */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `unavailable`: nothing was ended; retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
        };
    };
    logout_everywhere: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Ended */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description `token_invalid`, `token_expired`, `token_revoked` */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `internal`: a bug on the server side */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `unavailable`: nothing was ended; retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
        };
    };
    me: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The profile */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Profile"];
                };
            };
            /** @description `token_invalid`, `token_expired`, `token_revoked`: the bearer token is missing, malformed, expired or its session ended */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `user_not_found` */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `internal`: a bug on the server side */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `unavailable`: NATS or the store is unreachable right now; retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
        };
    };
    delete_me: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["DeleteAccountRequest"];
            };
        };
        responses: {
            /** @description Deleted; its messages are erased from every channel in the background (seconds) */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AccountDeletion"];
                };
            };
            /** @description `bad_request` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `invalid_credentials`: the password is wrong; `token_invalid`, `token_expired`, `token_revoked` */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `rate_limited`: too many attempts; wait `retry_after_ms` */
            429: {
                headers: {
                    /** @description Seconds to wait before retrying */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `internal`: a bug on the server side */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `unavailable`: retry (deleting again is harmless) */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
        };
    };
    update_me: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["UpdateProfileRequest"];
            };
        };
        responses: {
            /** @description The updated profile */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Profile"];
                };
            };
            /** @description `bad_request`, `invalid_profile` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `token_invalid`, `token_expired`, `token_revoked`: the bearer token is missing, malformed, expired or its session ended */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `user_not_found` */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `internal`: a bug on the server side */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `unavailable`: NATS or the store is unreachable right now; retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
        };
    };
    export_status: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Its status (a link valid for an hour once ready) */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ExportStatus"];
                };
            };
            /** @description `token_invalid`, `token_expired`, `token_revoked`: the bearer token is missing, malformed, expired or its session ended */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `not_found`: none in the last day */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `internal`: a bug on the server side */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `unavailable`: NATS or the store is unreachable right now; retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
        };
    };
    start_export: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Started, or one under way or made within the hour */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ExportStatus"];
                };
            };
            /** @description `token_invalid`, `token_expired`, `token_revoked`: the bearer token is missing, malformed, expired or its session ended */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `not_found`: this server keeps no files (no media store) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `rate_limited`: this edge is writing as many exports as it may; retry after `retry_after_ms` */
            429: {
                headers: {
                    /** @description Seconds to wait before retrying */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `internal`: a bug on the server side */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `unavailable`: NATS or the store is unreachable right now; retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
        };
    };
    change_password: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ChangePasswordRequest"];
            };
        };
        responses: {
            /** @description Changed: a new token for this device (the old one ends too) */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AuthResponse"];
                };
            };
            /** @description `bad_request`, `invalid_password` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `invalid_credentials`: the current password is wrong; `token_invalid`, `token_expired`, `token_revoked` */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `rate_limited`: too many attempts; wait `retry_after_ms` */
            429: {
                headers: {
                    /** @description Seconds to wait before retrying */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `internal`: a bug on the server side */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `unavailable`: retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
        };
    };
    download: {
        parameters: {
            query: {
                /** @description When the link expires (ms since the epoch). */
                exp: number;
                /** @description The edge's signature of the id, the object and the expiry. */
                sig: string;
                /** @description The thumbnail rather than the file. */
                thumbnail?: boolean;
            };
            header?: never;
            path: {
                /** @description The attachment's id */
                att: components["schemas"]["Id"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The file: images and audio inline, anything else as a download */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/octet-stream": number[];
                };
            };
            /** @description `bad_request` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `link_expired`: expired or altered */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `attachment_not_found` */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `unavailable` */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
        };
    };
    openapi_json: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The document */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": Record<string, never>;
                };
            };
        };
    };
    webpush_key: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The key */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["WebPushKey"];
                };
            };
            /** @description `not_found`: web push is not configured */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
        };
    };
    report: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ReportRequest"];
            };
        };
        responses: {
            /** @description Kept, with the content as it is now */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ReportReceipt"];
                };
            };
            /** @description `bad_request`: neither or both of a message and a user, oneself, one's own message, a note over 1,000 characters */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `token_invalid`, `token_expired`, `token_revoked`: the bearer token is missing, malformed, expired or its session ended */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `not_a_member`: a message of a channel the caller is not in */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `message_not_found`, `user_not_found` */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `rate_limited`: 10 reports at once, then 2 a minute */
            429: {
                headers: {
                    /** @description Seconds to wait before retrying */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `internal`: a bug on the server side */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `unavailable`: NATS or the store is unreachable right now; retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
        };
    };
    list_requests: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The requests */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ChatRequest"][];
                };
            };
            /** @description `token_invalid`, `token_expired`, `token_revoked`: the bearer token is missing, malformed, expired or its session ended */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `internal`: a bug on the server side */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `unavailable`: NATS or the store is unreachable right now; retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
        };
    };
    create_request: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ChatRequestCreate"];
            };
        };
        responses: {
            /** @description Made (or the one already waiting): the user gets a `chat_request` event */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ChatRequest"];
                };
            };
            /** @description `bad_request` (oneself; already a member) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `token_invalid`, `token_expired`, `token_revoked`: the bearer token is missing, malformed, expired or its session ended */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `forbidden`: they take nothing from you (blocked, or `nobody`), they have 100 requests waiting, your role, or a ban; `not_a_member` of the group */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `user_not_found` */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `rate_limited` */
            429: {
                headers: {
                    /** @description Seconds to wait before retrying */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `internal`: a bug on the server side */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `unavailable`: NATS or the store is unreachable right now; retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
        };
    };
    decline_request: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Request id (decimal) */
                id: components["schemas"]["Id"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Declined */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description `bad_request` (the id) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `token_invalid`, `token_expired`, `token_revoked`: the bearer token is missing, malformed, expired or its session ended */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `not_found` */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `internal`: a bug on the server side */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `unavailable`: NATS or the store is unreachable right now; retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
        };
    };
    accept_request: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Request id (decimal) */
                id: components["schemas"]["Id"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The chat or the group */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Channel"];
                };
            };
            /** @description `bad_request` (the id), `not_a_group` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `token_invalid`, `token_expired`, `token_revoked`: the bearer token is missing, malformed, expired or its session ended */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `forbidden`: the asker blocked or was blocked since, or lost their role; `not_a_member`: the group is gone */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `not_found`: no such request waiting for the caller; `user_not_found`: the asker's account is gone */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `group_full`, `too_many_channels` */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `rate_limited` */
            429: {
                headers: {
                    /** @description Seconds to wait before retrying */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `internal`: a bug on the server side */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `unavailable`: NATS or the store is unreachable right now; retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
        };
    };
    sessions: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The sessions */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SessionInfo"][];
                };
            };
            /** @description `token_invalid`, `token_expired`, `token_revoked` */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `internal`: a bug on the server side */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `unavailable`: NATS or the store is unreachable right now; retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
        };
    };
    end_session: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Session id (decimal) */
                id: components["schemas"]["Id"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Ended */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description `bad_request`: not an id */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `token_invalid`, `token_expired`, `token_revoked` */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `not_found`: no such session of the caller */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `internal`: a bug on the server side */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `unavailable`: nothing was ended; retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
        };
    };
    signup: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["SignupRequest"];
            };
        };
        responses: {
            /** @description Signed up */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AuthResponse"];
                };
            };
            /** @description `bad_request`, `invalid_username`, `invalid_password`, `invalid_profile` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `username_taken` */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `rate_limited`: too many requests; wait `retry_after_ms` */
            429: {
                headers: {
                    /** @description Seconds to wait before retrying */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `internal`: a bug on the server side */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `unavailable`: NATS or the store is unreachable right now; retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
        };
    };
    upload_status: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Upload id (decimal) */
                id: components["schemas"]["Id"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The upload */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["UploadStatus"];
                };
            };
            /** @description `bad_request` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `token_invalid`, `token_expired`, `token_revoked`: the bearer token is missing, malformed, expired or its session ended */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `attachment_not_found`: unknown, expired, completed or another's */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `internal`: a bug on the server side */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `unavailable`: NATS or the store is unreachable right now; retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
        };
    };
    complete_upload: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Upload id (decimal) */
                id: components["schemas"]["Id"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Stored durably; put its `id` in a send's `attachments` */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Attachment"];
                };
            };
            /** @description `bad_request`: parts missing (listed) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `token_invalid`, `token_expired`, `token_revoked`: the bearer token is missing, malformed, expired or its session ended */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `attachment_not_found` */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `unsupported_media_type` */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `internal`: a bug on the server side */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `unavailable`: NATS or the store is unreachable right now; retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
        };
    };
    put_part: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Upload id (decimal) */
                id: components["schemas"]["Id"];
                /** @description Part number, from 0 */
                n: number;
            };
            cookie?: never;
        };
        /** @description The part's bytes */
        requestBody: {
            content: {
                "application/octet-stream": number[];
            };
        };
        responses: {
            /** @description Stored */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description `bad_request`: no such part, or not its size */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `token_invalid`, `token_expired`, `token_revoked`: the bearer token is missing, malformed, expired or its session ended */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `attachment_not_found` */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `internal`: a bug on the server side */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `unavailable`: NATS or the store is unreachable right now; retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
        };
    };
    search_users: {
        parameters: {
            query: {
                /** @description At most this many results (default 20, max 50). */
                limit?: number;
                /** @description Username prefix (case-insensitive). */
                q: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Matching users, by username */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["UserList"];
                };
            };
            /** @description `bad_request`: `q` missing or not 1-32 characters, bad `limit` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `token_invalid`, `token_expired`, `token_revoked`: the bearer token is missing, malformed, expired or its session ended */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `internal`: a bug on the server side */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `unavailable`: NATS or the store is unreachable right now; retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
        };
    };
    get_user: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description User id (decimal) */
                id: components["schemas"]["Id"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The profile */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Profile"];
                };
            };
            /** @description `bad_request`: a path id is not a decimal u64 */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `token_invalid`, `token_expired`, `token_revoked`: the bearer token is missing, malformed, expired or its session ended */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `user_not_found`; `not_found` for an empty id */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `internal`: a bug on the server side */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `unavailable`: NATS or the store is unreachable right now; retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
        };
    };
    version: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The versions */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["VersionResponse"];
                };
            };
        };
    };
    upgrade: {
        parameters: {
            query?: {
                /** @description This device's stable id, 1-64 of `A-Z a-z 0-9 - _ . :`; assigned if left out */
                device?: string;
                /** @description `json` (text frames, the default) or `msgpack` (binary frames) */
                format?: string;
                /** @description The bearer token (unless sent as a header) */
                token?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Switching protocols: the socket is open */
            101: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description `bad_request` (not a WebSocket upgrade, bad query), `invalid_device_id` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `token_invalid`, `token_expired`, `token_revoked` */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `forbidden`: a browser page from an origin this edge does not allow */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `rate_limited`: the user has `--max-sockets-per-user` sockets open on this edge already */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `internal`: a bug on the server side */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
            /** @description `draining`: this edge takes no new sockets; discover another */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiError"];
                };
            };
        };
    };
}
