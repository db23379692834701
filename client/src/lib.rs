//! Rust client library for Natter: the HTTP API and a WebSocket connection.
//!
//! Used by the end-to-end tests, the `natter chat` CLI and the benchmark, so it
//! speaks exactly the documented protocol (`docs/protocol.md`) and nothing more.
//!
//! ```no_run
//! # async fn demo() -> Result<(), natter_client::ClientError> {
//! let client = natter_client::Client::new("http://127.0.0.1:8080");
//! let auth = client.signup("alice", "correct horse", "Alice").await?;
//! let alice = client.with_token(&auth.token);
//! let mut conn = alice.connect(Some("laptop")).await?;
//! # Ok(()) }
//! ```
//!
//! # Layout
//! - [`Client`]: HTTP calls, with or without a token.
//! - [`Connection`]: one WebSocket: send ops, receive [`Incoming`] events.
#![deny(missing_docs)]

mod connection;
mod session;

pub use connection::{Connection, ConnectionSender, Incoming, Raw};
pub use natter_protocol as protocol;
pub use session::Session;

use natter_protocol::ApiError;
use natter_protocol::http::{
    AddMembersRequest, AuthResponse, Channel, ChannelList, CreateGroupRequest, HistoryPage,
    HistoryQuery, LoginRequest, MemberList, OpenDmRequest, Profile, RenameGroupRequest, Role,
    SetRoleRequest, SignupRequest, UpdateProfileRequest, UserList,
};
use natter_protocol::ws::MessageEvent;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// What can go wrong talking to Natter.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The server answered with a typed error.
    #[error("{0}")]
    Api(ApiError),
    /// The HTTP exchange failed (connection refused, bad response…).
    #[error("http: {0}")]
    Http(String),
    /// The WebSocket failed.
    #[error("websocket: {0}")]
    WebSocket(String),
    /// Nothing arrived before the deadline.
    #[error("timed out")]
    Timeout,
}

impl ClientError {
    /// The error code, when the server sent one.
    pub fn code(&self) -> Option<natter_protocol::ErrorCode> {
        match self {
            ClientError::Api(e) => Some(e.code),
            _ => None,
        }
    }
}

/// An HTTP client for one Natter edge (or load balancer), with an optional token.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    base: String,
    token: Option<String>,
    /// WebSocket ping period of connections (presence heartbeat).
    heartbeat: std::time::Duration,
}

impl Client {
    /// A client for `base_url` (e.g. `http://127.0.0.1:8080`).
    pub fn new(base_url: &str) -> Self {
        // reqwest is built with rustls but no bundled crypto provider (keeping
        // aws-lc-rs and OpenSSL out of the build); ring is the one this workspace uses.
        let _ = rustls::crypto::ring::default_provider().install_default();
        Self {
            // Named, so that a user's list of sessions says what logged in.
            http: reqwest::Client::builder()
                .user_agent(concat!("natter-client/", env!("CARGO_PKG_VERSION")))
                .build()
                .unwrap_or_default(),
            base: base_url.trim_end_matches('/').to_string(),
            token: None,
            heartbeat: std::time::Duration::from_secs(10),
        }
    }

    /// The same client with connections that ping every `every` (default 10 s): the
    /// heartbeat that keeps the device online.
    pub fn with_heartbeat(&self, every: std::time::Duration) -> Self {
        Self {
            heartbeat: every,
            ..self.clone()
        }
    }

    /// The same client (and token) against another base URL.
    pub fn with_base(&self, base_url: &str) -> Self {
        Self {
            base: base_url.trim_end_matches('/').to_string(),
            ..self.clone()
        }
    }

    /// The heartbeat period of connections.
    pub fn heartbeat(&self) -> std::time::Duration {
        self.heartbeat
    }

    /// The same client authenticated with `token`.
    pub fn with_token(&self, token: &str) -> Self {
        Self {
            token: Some(token.to_string()),
            ..self.clone()
        }
    }

    /// The base URL.
    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// The token, if any.
    pub fn token(&self) -> Option<&str> {
        self.token.as_deref()
    }

    async fn call<T: DeserializeOwned>(
        &self,
        req: reqwest::RequestBuilder,
    ) -> Result<T, ClientError> {
        let body = self.exchange(req).await?;
        serde_json::from_slice(&body).map_err(|e| ClientError::Http(format!("bad body: {e}")))
    }

    /// A call whose success has no body (204).
    async fn call_empty(&self, req: reqwest::RequestBuilder) -> Result<(), ClientError> {
        self.exchange(req).await.map(drop)
    }

    /// Sends with the token; a success's body, or the API's error.
    async fn exchange(&self, req: reqwest::RequestBuilder) -> Result<bytes::Bytes, ClientError> {
        let req = match &self.token {
            Some(t) => req.bearer_auth(t),
            None => req,
        };
        let resp = req
            .send()
            .await
            .map_err(|e| ClientError::Http(e.to_string()))?;
        let status = resp.status();
        let body = resp
            .bytes()
            .await
            .map_err(|e| ClientError::Http(e.to_string()))?;
        if status.is_success() {
            Ok(body)
        } else {
            match serde_json::from_slice::<ApiError>(&body) {
                Ok(e) => Err(ClientError::Api(e)),
                Err(_) => Err(ClientError::Http(format!(
                    "{status}: {}",
                    String::from_utf8_lossy(&body)
                ))),
            }
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    async fn post<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, ClientError> {
        self.call(self.http.post(self.url(path)).json(body)).await
    }

    /// Sends raw bytes as a JSON POST body (for testing bad input).
    ///
    /// # Errors
    /// The server's typed error.
    pub async fn post_raw<T: DeserializeOwned>(
        &self,
        path: &str,
        body: Vec<u8>,
    ) -> Result<T, ClientError> {
        self.call(
            self.http
                .post(self.url(path))
                .header("content-type", "application/json")
                .body(body),
        )
        .await
    }

    /// `POST /v1/signup`.
    ///
    /// # Errors
    /// `username_taken`, `invalid_username`, `invalid_password`, `invalid_profile`, …
    pub async fn signup(
        &self,
        username: &str,
        password: &str,
        display_name: &str,
    ) -> Result<AuthResponse, ClientError> {
        let req = SignupRequest {
            username: username.into(),
            password: password.into(),
            display_name: display_name.into(),
        };
        self.post("/v1/signup", &req).await
    }

    /// `POST /v1/login`.
    ///
    /// # Errors
    /// `invalid_credentials`, `rate_limited`, …
    pub async fn login(&self, username: &str, password: &str) -> Result<AuthResponse, ClientError> {
        self.post(
            "/v1/login",
            &LoginRequest {
                username: username.into(),
                password: password.into(),
            },
        )
        .await
    }

    /// `PUT /v1/groups/{id}/bans/{user}`: bans a user from a group.
    ///
    /// # Errors
    /// `forbidden`, `not_a_group`, …
    pub async fn ban(&self, group: u64, user: u64) -> Result<Channel, ClientError> {
        self.call(
            self.http
                .put(self.url(&format!("/v1/groups/{group}/bans/{user}"))),
        )
        .await
    }

    /// `DELETE /v1/groups/{id}/bans/{user}`.
    ///
    /// # Errors
    /// `forbidden`, …
    pub async fn unban(&self, group: u64, user: u64) -> Result<Channel, ClientError> {
        self.call(
            self.http
                .delete(self.url(&format!("/v1/groups/{group}/bans/{user}"))),
        )
        .await
    }

    /// `PUT /v1/groups/{id}/members/{user}/mute`: mutes a member for `minutes`.
    ///
    /// # Errors
    /// `forbidden`, `bad_request`, `user_not_found`, …
    pub async fn mute_member(
        &self,
        group: u64,
        user: u64,
        minutes: u32,
    ) -> Result<Channel, ClientError> {
        self.call(
            self.http
                .put(self.url(&format!("/v1/groups/{group}/members/{user}/mute")))
                .json(&natter_protocol::http::MuteMemberRequest { minutes }),
        )
        .await
    }

    /// `DELETE /v1/groups/{id}/members/{user}/mute`.
    ///
    /// # Errors
    /// `forbidden`, `user_not_found`, …
    pub async fn unmute_member(&self, group: u64, user: u64) -> Result<Channel, ClientError> {
        self.call(
            self.http
                .delete(self.url(&format!("/v1/groups/{group}/members/{user}/mute"))),
        )
        .await
    }

    /// `POST /v1/groups/{id}/invites`: an invite link for `minutes`, for `max_uses`
    /// joins (0: no limit).
    ///
    /// # Errors
    /// `forbidden`, `bad_request`, …
    pub async fn create_invite(
        &self,
        group: u64,
        minutes: u32,
        max_uses: u32,
    ) -> Result<natter_protocol::http::Invite, ClientError> {
        let req = natter_protocol::http::CreateInviteRequest { minutes, max_uses };
        self.post(&format!("/v1/groups/{group}/invites"), &req)
            .await
    }

    /// `GET /v1/groups/{id}/invites`.
    ///
    /// # Errors
    /// `forbidden`, …
    pub async fn invites(
        &self,
        group: u64,
    ) -> Result<Vec<natter_protocol::http::Invite>, ClientError> {
        self.call(
            self.http
                .get(self.url(&format!("/v1/groups/{group}/invites"))),
        )
        .await
    }

    /// `DELETE /v1/groups/{id}/invites/{code}`.
    ///
    /// # Errors
    /// `forbidden`, …
    pub async fn revoke_invite(&self, group: u64, code: &str) -> Result<(), ClientError> {
        self.call_empty(
            self.http
                .delete(self.url(&format!("/v1/groups/{group}/invites/{code}"))),
        )
        .await
    }

    /// `POST /v1/invites/{code}/join`.
    ///
    /// # Errors
    /// `not_found` (expired, used up, revoked), `forbidden` (banned), …
    pub async fn join_by_invite(&self, code: &str) -> Result<Channel, ClientError> {
        self.post(&format!("/v1/invites/{code}/join"), &serde_json::json!({}))
            .await
    }

    /// `POST /v1/me/export`: starts an export of this user's data.
    ///
    /// # Errors
    /// `rate_limited`, `not_found` (no media store), …
    pub async fn start_export(&self) -> Result<natter_protocol::http::ExportStatus, ClientError> {
        self.post("/v1/me/export", &serde_json::json!({})).await
    }

    /// `GET /v1/me/export`: the latest export's progress, or its link.
    ///
    /// # Errors
    /// `not_found` (none in the last day), …
    pub async fn export_status(&self) -> Result<natter_protocol::http::ExportStatus, ClientError> {
        self.call(self.http.get(self.url("/v1/me/export"))).await
    }

    /// `PUT /v1/blocks/{user}`.
    ///
    /// # Errors
    /// `bad_request` (oneself), `user_not_found`, …
    pub async fn block(&self, user: u64) -> Result<(), ClientError> {
        self.call_empty(self.http.put(self.url(&format!("/v1/blocks/{user}"))))
            .await
    }

    /// `DELETE /v1/blocks/{user}`.
    ///
    /// # Errors
    /// `user_not_found`, …
    pub async fn unblock(&self, user: u64) -> Result<(), ClientError> {
        self.call_empty(self.http.delete(self.url(&format!("/v1/blocks/{user}"))))
            .await
    }

    /// `GET /v1/blocks`: the users this one blocks.
    ///
    /// # Errors
    /// `token_invalid`, …
    pub async fn blocks(&self) -> Result<Vec<Profile>, ClientError> {
        self.call(self.http.get(self.url("/v1/blocks"))).await
    }

    /// `POST /v1/reports`: reports a message or a user; the report's id.
    ///
    /// # Errors
    /// `bad_request`, `not_a_member`, `message_not_found`, `rate_limited`, …
    pub async fn report(
        &self,
        req: &natter_protocol::http::ReportRequest,
    ) -> Result<natter_protocol::http::ReportReceipt, ClientError> {
        self.post("/v1/reports", req).await
    }

    /// `POST /v1/logout`: ends this client's session.
    ///
    /// # Errors
    /// `token_revoked` (already ended), `unavailable`, …
    pub async fn logout(&self) -> Result<(), ClientError> {
        self.call_empty(self.http.post(self.url("/v1/logout")))
            .await
    }

    /// `POST /v1/logout/everywhere`: ends every session of the user.
    ///
    /// # Errors
    /// `token_revoked`, `unavailable`, …
    pub async fn logout_everywhere(&self) -> Result<(), ClientError> {
        self.call_empty(self.http.post(self.url("/v1/logout/everywhere")))
            .await
    }

    /// `GET /v1/sessions`: the user's sessions, newest first.
    ///
    /// # Errors
    /// `token_revoked`, …
    pub async fn sessions(&self) -> Result<Vec<natter_protocol::http::SessionInfo>, ClientError> {
        self.call(self.http.get(self.url("/v1/sessions"))).await
    }

    /// `DELETE /v1/sessions/{id}`: ends one of the user's sessions.
    ///
    /// # Errors
    /// `not_found` (not one of the user's), …
    pub async fn end_session(&self, session: u64) -> Result<(), ClientError> {
        self.call_empty(
            self.http
                .delete(self.url(&format!("/v1/sessions/{session}"))),
        )
        .await
    }

    /// `POST /v1/me/password`: a new token for this device; every other session ends.
    ///
    /// # Errors
    /// `invalid_credentials` (the current password), `invalid_password`, …
    pub async fn change_password(
        &self,
        current: &str,
        new: &str,
    ) -> Result<AuthResponse, ClientError> {
        let req = natter_protocol::http::ChangePasswordRequest {
            current_password: current.into(),
            new_password: new.into(),
        };
        self.post("/v1/me/password", &req).await
    }

    /// `DELETE /v1/me`: deletes the account (the password required).
    ///
    /// # Errors
    /// `invalid_credentials`, `rate_limited`, …
    pub async fn delete_account(
        &self,
        password: &str,
    ) -> Result<natter_protocol::http::AccountDeletion, ClientError> {
        let req = natter_protocol::http::DeleteAccountRequest {
            password: password.into(),
        };
        self.call(self.http.delete(self.url("/v1/me")).json(&req))
            .await
    }

    /// `GET /v1/me`.
    ///
    /// # Errors
    /// `token_invalid`, `token_expired`, …
    pub async fn me(&self) -> Result<Profile, ClientError> {
        self.call(self.http.get(self.url("/v1/me"))).await
    }

    /// `PATCH /v1/me`.
    ///
    /// # Errors
    /// `invalid_profile`, …
    pub async fn update_me(&self, update: &UpdateProfileRequest) -> Result<Profile, ClientError> {
        self.call(self.http.patch(self.url("/v1/me")).json(update))
            .await
    }

    /// `GET /v1/users/{id}`.
    ///
    /// # Errors
    /// `user_not_found`, …
    pub async fn user(&self, id: u64) -> Result<Profile, ClientError> {
        self.call(self.http.get(self.url(&format!("/v1/users/{id}"))))
            .await
    }

    /// `GET /v1/users?q=` (username prefix).
    ///
    /// # Errors
    /// `bad_request`, …
    pub async fn search_users(&self, prefix: &str) -> Result<Vec<Profile>, ClientError> {
        let list: UserList = self
            .call(self.http.get(self.url("/v1/users")).query(&[("q", prefix)]))
            .await?;
        Ok(list.users)
    }

    /// `POST /v1/dm`: the 1:1 channel with `peer`.
    ///
    /// # Errors
    /// `user_not_found`, `cannot_dm_self`, …
    pub async fn open_dm(&self, peer: u64) -> Result<Channel, ClientError> {
        self.post("/v1/dm", &OpenDmRequest { peer }).await
    }

    /// `POST /v1/groups`: a group owned by the caller with `members` besides them.
    ///
    /// # Errors
    /// `group_full`, `invalid_group_name`, `user_not_found`, …
    pub async fn create_group(&self, name: &str, members: &[u64]) -> Result<Channel, ClientError> {
        self.post(
            "/v1/groups",
            &CreateGroupRequest {
                name: name.into(),
                members: members.to_vec(),
            },
        )
        .await
    }

    /// `POST /v1/requests`: asks `user` to chat (no `group`) or to join `group`.
    ///
    /// # Errors
    /// `forbidden`, `user_not_found`, `bad_request`, …
    pub async fn request_chat(
        &self,
        user: u64,
        group: Option<u64>,
    ) -> Result<natter_protocol::http::ChatRequest, ClientError> {
        let req = natter_protocol::http::ChatRequestCreate { user, group };
        self.post("/v1/requests", &req).await
    }

    /// `GET /v1/requests`: the requests waiting for this user.
    ///
    /// # Errors
    /// `token_invalid`, …
    pub async fn chat_requests(
        &self,
    ) -> Result<Vec<natter_protocol::http::ChatRequest>, ClientError> {
        self.call(self.http.get(self.url("/v1/requests"))).await
    }

    /// `POST /v1/requests/{id}/accept`: the chat opens, or this user joins the group.
    ///
    /// # Errors
    /// `not_found`, `forbidden`, `group_full`, …
    pub async fn accept_request(&self, id: u64) -> Result<Channel, ClientError> {
        self.call(
            self.http
                .post(self.url(&format!("/v1/requests/{id}/accept"))),
        )
        .await
    }

    /// `DELETE /v1/requests/{id}`: declines it.
    ///
    /// # Errors
    /// `not_found`, …
    pub async fn decline_request(&self, id: u64) -> Result<(), ClientError> {
        self.call_empty(self.http.delete(self.url(&format!("/v1/requests/{id}"))))
            .await
    }

    /// `PUT /v1/groups/{id}/retention`: how long the group keeps messages (0: as
    /// long as the server does).
    ///
    /// # Errors
    /// `forbidden`, `bad_request`, `not_a_group`, …
    pub async fn set_retention(
        &self,
        group: u64,
        max_age_secs: u64,
    ) -> Result<Channel, ClientError> {
        let req = natter_protocol::http::RetentionRequest { max_age_secs };
        self.call(
            self.http
                .put(self.url(&format!("/v1/groups/{group}/retention")))
                .json(&req),
        )
        .await
    }

    /// `PATCH /v1/groups/{id}`.
    ///
    /// # Errors
    /// `forbidden`, `not_a_member`, `not_a_group`, `invalid_group_name`, …
    pub async fn rename_group(&self, group: u64, name: &str) -> Result<Channel, ClientError> {
        self.call(
            self.http
                .patch(self.url(&format!("/v1/groups/{group}")))
                .json(&RenameGroupRequest { name: name.into() }),
        )
        .await
    }

    /// `POST /v1/groups/{id}/members`.
    ///
    /// # Errors
    /// `group_full`, `forbidden`, `user_not_found`, …
    pub async fn add_members(&self, group: u64, users: &[u64]) -> Result<Channel, ClientError> {
        self.post(
            &format!("/v1/groups/{group}/members"),
            &AddMembersRequest {
                users: users.to_vec(),
            },
        )
        .await
    }

    /// `DELETE /v1/groups/{id}/members/{user}`.
    ///
    /// # Errors
    /// `forbidden`, `not_a_member`, …
    pub async fn remove_member(&self, group: u64, user: u64) -> Result<Channel, ClientError> {
        self.call(
            self.http
                .delete(self.url(&format!("/v1/groups/{group}/members/{user}"))),
        )
        .await
    }

    /// `POST /v1/groups/{id}/leave`.
    ///
    /// # Errors
    /// `not_a_member`, `not_a_group`, …
    pub async fn leave_group(&self, group: u64) -> Result<Channel, ClientError> {
        self.post(&format!("/v1/groups/{group}/leave"), &serde_json::json!({}))
            .await
    }

    /// `PUT /v1/groups/{id}/members/{user}/role`.
    ///
    /// # Errors
    /// `forbidden`, `user_not_found`, `bad_request`, …
    pub async fn set_role(
        &self,
        group: u64,
        user: u64,
        role: Role,
    ) -> Result<Channel, ClientError> {
        self.call(
            self.http
                .put(self.url(&format!("/v1/groups/{group}/members/{user}/role")))
                .json(&SetRoleRequest { role }),
        )
        .await
    }

    /// `GET /v1/channels/{id}/messages/{seq}`: one message as it now stands.
    ///
    /// # Errors
    /// `not_a_member`, `message_not_found`, …
    pub async fn message(&self, channel: u64, seq: u64) -> Result<MessageEvent, ClientError> {
        self.call(
            self.http
                .get(self.url(&format!("/v1/channels/{channel}/messages/{seq}"))),
        )
        .await
    }

    /// `POST /v1/channels/{id}/attachments?name=`: uploads a whole file.
    ///
    /// # Errors
    /// `not_a_member`, `file_too_large`, `unsupported_media_type`, …
    pub async fn upload(
        &self,
        channel: u64,
        name: &str,
        content_type: &str,
        bytes: Vec<u8>,
    ) -> Result<natter_protocol::ws::Attachment, ClientError> {
        self.call(
            self.http
                .post(self.url(&format!("/v1/channels/{channel}/attachments")))
                .query(&[("name", name)])
                .header("content-type", content_type)
                .body(bytes),
        )
        .await
    }

    /// `POST /v1/channels/{id}/uploads`: opens an upload in parts.
    ///
    /// # Errors
    /// `not_a_member`, `file_too_large`, …
    pub async fn open_upload(
        &self,
        channel: u64,
        req: &natter_protocol::http::UploadRequest,
    ) -> Result<natter_protocol::http::UploadStatus, ClientError> {
        self.post(&format!("/v1/channels/{channel}/uploads"), req)
            .await
    }

    /// `GET /v1/uploads/{id}`: what an open upload has received.
    ///
    /// # Errors
    /// `attachment_not_found`, …
    pub async fn upload_status(
        &self,
        upload: u64,
    ) -> Result<natter_protocol::http::UploadStatus, ClientError> {
        self.call(self.http.get(self.url(&format!("/v1/uploads/{upload}"))))
            .await
    }

    /// `PUT /v1/uploads/{id}/parts/{n}`.
    ///
    /// # Errors
    /// `bad_request` (size), `attachment_not_found`, …
    pub async fn upload_part(
        &self,
        upload: u64,
        n: u64,
        bytes: Vec<u8>,
    ) -> Result<(), ClientError> {
        self.call_empty(
            self.http
                .put(self.url(&format!("/v1/uploads/{upload}/parts/{n}")))
                .body(bytes),
        )
        .await
    }

    /// `POST /v1/uploads/{id}/complete`.
    ///
    /// # Errors
    /// `bad_request` (parts missing), `attachment_not_found`, …
    pub async fn complete_upload(
        &self,
        upload: u64,
    ) -> Result<natter_protocol::ws::Attachment, ClientError> {
        self.post(
            &format!("/v1/uploads/{upload}/complete"),
            &serde_json::json!({}),
        )
        .await
    }

    /// `GET /v1/channels/{id}/messages/{seq}/attachments/{att}`: a short-lived link.
    ///
    /// # Errors
    /// `not_a_member`, `message_deleted`, `attachment_not_found`, …
    pub async fn attachment_link(
        &self,
        channel: u64,
        seq: u64,
        attachment: u64,
    ) -> Result<natter_protocol::http::AttachmentLink, ClientError> {
        self.call(self.http.get(self.url(&format!(
            "/v1/channels/{channel}/messages/{seq}/attachments/{attachment}"
        ))))
        .await
    }

    /// `GET /v1/channels/{id}/messages/{seq}/attachments/{att}?thumbnail=true`.
    ///
    /// # Errors
    /// `attachment_not_found` (no thumbnail), …
    pub async fn thumbnail_link(
        &self,
        channel: u64,
        seq: u64,
        attachment: u64,
    ) -> Result<natter_protocol::http::AttachmentLink, ClientError> {
        self.call(
            self.http
                .get(self.url(&format!(
                    "/v1/channels/{channel}/messages/{seq}/attachments/{attachment}"
                )))
                .query(&[("thumbnail", "true")]),
        )
        .await
    }

    /// `GET` of a link's path and query (no token): the response as it came, headers
    /// included, or the API's error.
    ///
    /// # Errors
    /// `link_expired`, `attachment_not_found`, …
    pub async fn fetch_link(&self, url: &str) -> Result<reqwest::Response, ClientError> {
        let resp = self
            .http
            .get(self.url(url))
            .send()
            .await
            .map_err(|e| ClientError::Http(e.to_string()))?;
        if resp.status().is_success() {
            return Ok(resp);
        }
        let body = resp
            .bytes()
            .await
            .map_err(|e| ClientError::Http(e.to_string()))?;
        match serde_json::from_slice::<ApiError>(&body) {
            Ok(e) => Err(ClientError::Api(e)),
            Err(_) => Err(ClientError::Http(
                String::from_utf8_lossy(&body).into_owned(),
            )),
        }
    }

    /// `GET /v1/channels/{id}/messages/{seq}/edits`: a message's versions.
    ///
    /// # Errors
    /// `not_a_member`, `message_not_found`, …
    pub async fn message_edits(
        &self,
        channel: u64,
        seq: u64,
    ) -> Result<natter_protocol::http::MessageEdits, ClientError> {
        self.call(
            self.http
                .get(self.url(&format!("/v1/channels/{channel}/messages/{seq}/edits"))),
        )
        .await
    }

    /// `PATCH /v1/channels/{id}/messages/{seq}`: edits one's own message.
    ///
    /// # Errors
    /// `not_author`, `message_deleted`, `message_too_long`, …
    pub async fn edit_message(
        &self,
        channel: u64,
        seq: u64,
        text: &str,
    ) -> Result<MessageEvent, ClientError> {
        self.call(
            self.http
                .patch(self.url(&format!("/v1/channels/{channel}/messages/{seq}")))
                .json(&natter_protocol::http::EditRequest { text: text.into() }),
        )
        .await
    }

    /// `DELETE /v1/channels/{id}/messages/{seq}`: deletes a message for everyone.
    ///
    /// # Errors
    /// `forbidden`, `message_not_found`, …
    pub async fn delete_message(
        &self,
        channel: u64,
        seq: u64,
    ) -> Result<MessageEvent, ClientError> {
        self.call(
            self.http
                .delete(self.url(&format!("/v1/channels/{channel}/messages/{seq}"))),
        )
        .await
    }

    /// `PUT` (add) or `DELETE` (remove) `/v1/channels/{id}/messages/{seq}/reactions/{emoji}`.
    ///
    /// # Errors
    /// `reaction_invalid`, `too_many_reactions`, `message_deleted`, …
    pub async fn react(
        &self,
        channel: u64,
        seq: u64,
        emoji: &str,
        add: bool,
    ) -> Result<MessageEvent, ClientError> {
        let mut url = reqwest::Url::parse(
            &self.url(&format!("/v1/channels/{channel}/messages/{seq}/reactions")),
        )
        .map_err(|e| ClientError::Http(e.to_string()))?;
        url.path_segments_mut()
            .map_err(|()| ClientError::Http("base URL cannot take a path".into()))?
            .push(emoji);
        let req = if add {
            self.http.put(url)
        } else {
            self.http.delete(url)
        };
        self.call(req).await
    }

    /// `PUT` (pin) or `DELETE` (unpin) `/v1/channels/{id}/pins/{seq}`.
    ///
    /// # Errors
    /// `forbidden`, `too_many_pins`, `message_deleted`, …
    pub async fn pin(
        &self,
        channel: u64,
        seq: u64,
        pin: bool,
    ) -> Result<MessageEvent, ClientError> {
        let url = self.url(&format!("/v1/channels/{channel}/pins/{seq}"));
        let req = if pin {
            self.http.put(url)
        } else {
            self.http.delete(url)
        };
        self.call(req).await
    }

    /// `GET /v1/channels/{id}/receipts`: where the other members stand.
    ///
    /// # Errors
    /// `not_a_member`, …
    pub async fn receipts(
        &self,
        channel: u64,
    ) -> Result<natter_protocol::http::ChannelReceipts, ClientError> {
        self.call(
            self.http
                .get(self.url(&format!("/v1/channels/{channel}/receipts"))),
        )
        .await
    }

    /// `GET /v1/channels/{id}/pins`.
    ///
    /// # Errors
    /// `not_a_member`, …
    pub async fn pins(&self, channel: u64) -> Result<natter_protocol::http::PinList, ClientError> {
        self.call(
            self.http
                .get(self.url(&format!("/v1/channels/{channel}/pins"))),
        )
        .await
    }

    /// `PUT /v1/channels/{id}/messages/{seq}/hidden`: deletes a message for oneself.
    ///
    /// # Errors
    /// `not_a_member`, `message_not_found`, …
    pub async fn hide(&self, channel: u64, seq: u64) -> Result<(), ClientError> {
        self.call_empty(
            self.http
                .put(self.url(&format!("/v1/channels/{channel}/messages/{seq}/hidden"))),
        )
        .await
    }

    /// `GET /v1/channels/{id}`.
    ///
    /// # Errors
    /// `not_a_member`, …
    pub async fn channel(&self, channel: u64) -> Result<Channel, ClientError> {
        self.call(self.http.get(self.url(&format!("/v1/channels/{channel}"))))
            .await
    }

    /// `GET /v1/channels/{id}/members`.
    ///
    /// # Errors
    /// `not_a_member`, …
    pub async fn members(&self, channel: u64) -> Result<MemberList, ClientError> {
        self.call(
            self.http
                .get(self.url(&format!("/v1/channels/{channel}/members"))),
        )
        .await
    }

    /// `GET /v1/channels`: the caller's channels, most recently active first.
    ///
    /// # Errors
    /// `bad_request` for a bad limit or cursor, …
    pub async fn channels(
        &self,
        limit: Option<u32>,
        before: Option<&str>,
    ) -> Result<ChannelList, ClientError> {
        let mut q: Vec<(&str, String)> = Vec::new();
        if let Some(l) = limit {
            q.push(("limit", l.to_string()));
        }
        if let Some(b) = before {
            q.push(("before", b.to_string()));
        }
        self.call(self.http.get(self.url("/v1/channels")).query(&q))
            .await
    }

    /// `POST /v1/devices`: registers `device`'s push target.
    ///
    /// # Errors
    /// `invalid_device_id`, `bad_request` (malformed target), …
    pub async fn register_push(
        &self,
        device: &str,
        push: natter_protocol::http::PushTarget,
    ) -> Result<natter_protocol::http::DeviceInfo, ClientError> {
        self.post(
            "/v1/devices",
            &natter_protocol::http::RegisterPushRequest {
                device_id: device.into(),
                push,
            },
        )
        .await
    }

    /// `GET /v1/devices`: the caller's devices and push targets.
    ///
    /// # Errors
    /// As any authenticated call.
    pub async fn devices(&self) -> Result<natter_protocol::http::DeviceList, ClientError> {
        self.call(self.http.get(self.url("/v1/devices"))).await
    }

    /// `PUT /v1/channels/{id}/mute`.
    ///
    /// # Errors
    /// `not_a_member`, …
    pub async fn mute(&self, channel: u64, muted: bool) -> Result<(), ClientError> {
        let _: natter_protocol::http::MuteRequest = self
            .call(
                self.http
                    .put(self.url(&format!("/v1/channels/{channel}/mute")))
                    .json(&natter_protocol::http::MuteRequest { muted }),
            )
            .await?;
        Ok(())
    }

    /// `PUT /v1/channels/{id}/notifications`.
    ///
    /// # Errors
    /// `not_a_member`, …
    pub async fn set_notifications(
        &self,
        channel: u64,
        level: natter_protocol::http::NotifyLevel,
    ) -> Result<(), ClientError> {
        let _: natter_protocol::http::NotificationsRequest = self
            .call(
                self.http
                    .put(self.url(&format!("/v1/channels/{channel}/notifications")))
                    .json(&natter_protocol::http::NotificationsRequest { level }),
            )
            .await?;
        Ok(())
    }

    /// `GET /v1/discover`: the edge this user should connect to.
    ///
    /// # Errors
    /// `unavailable` when no edge takes new sockets.
    pub async fn discover(&self) -> Result<natter_protocol::http::DiscoverResponse, ClientError> {
        self.call(self.http.get(self.url("/v1/discover"))).await
    }

    /// `GET /v1/channels/{id}/messages`.
    ///
    /// # Errors
    /// `not_a_member`, `bad_request`, …
    pub async fn history(
        &self,
        channel: u64,
        query: &HistoryQuery,
    ) -> Result<HistoryPage, ClientError> {
        let mut q: Vec<(&str, String)> = Vec::new();
        if let Some(b) = query.before {
            q.push(("before", b.to_string()));
        }
        if let Some(a) = query.after {
            q.push(("after", a.to_string()));
        }
        if let Some(l) = query.limit {
            q.push(("limit", l.to_string()));
        }
        self.call(
            self.http
                .get(self.url(&format!("/v1/channels/{channel}/messages")))
                .query(&q),
        )
        .await
    }

    /// Every message of a channel, paging forward through history.
    ///
    /// # Errors
    /// As [`Self::history`].
    pub async fn full_history(
        &self,
        channel: u64,
    ) -> Result<Vec<natter_protocol::ws::MessageEvent>, ClientError> {
        let mut all = Vec::new();
        let mut after = 0;
        loop {
            let page = self
                .history(
                    channel,
                    &HistoryQuery {
                        after: Some(after),
                        before: None,
                        limit: Some(200),
                    },
                )
                .await?;
            after = page.messages.last().map_or(after, |m| m.seq);
            all.extend(page.messages);
            if !page.has_more {
                return Ok(all);
            }
        }
    }

    /// Opens a WebSocket (JSON frames) as device `device` (None: the edge assigns one).
    ///
    /// # Errors
    /// The upgrade was refused (`token_invalid`, …) or the connection failed.
    pub async fn connect(&self, device: Option<&str>) -> Result<Connection, ClientError> {
        Connection::open(self, device, false).await
    }

    /// Opens a WebSocket with MessagePack frames.
    ///
    /// # Errors
    /// As [`Self::connect`].
    pub async fn connect_msgpack(&self, device: Option<&str>) -> Result<Connection, ClientError> {
        Connection::open(self, device, true).await
    }
}
