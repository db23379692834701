//! Group changes (create, rename, members, roles, leave, bans, mutes, retention), each applied
//! through the group's partition log.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use natter_protocol::http::{
    AddMembersRequest, Channel, CreateGroupRequest, CreateInviteRequest, Invite, MuteMemberRequest,
    RenameGroupRequest, RetentionRequest, SetRoleRequest,
};
use natter_protocol::ids::IdSchema;
use natter_protocol::internal::ChannelAction;
use natter_protocol::{ApiError, ErrorCode, limits};

use super::{Caller, HttpResult, json, parse_body, parse_id};
use crate::Edge;

/// Applies a group change through the group's partition log.
pub(super) async fn group_command(
    edge: &Edge,
    user_id: u64,
    channel_id: u64,
    action: ChannelAction,
) -> HttpResult<Response> {
    edge.limiters.send(user_id)?;
    let channel: Channel = edge.commands.run(edge, user_id, channel_id, action).await?;
    Ok(json(StatusCode::OK, channel))
}

#[utoipa::path(
    post,
    path = "/v1/groups",
    tag = "groups",
    summary = "Create a group",
    request_body = CreateGroupRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The group", body = Channel),
        (status = 400, description = "`bad_request`, `invalid_group_name`", body = ApiError),
        (status = 403, description = "`forbidden`: a named user accepts group additions only from people they share a chat with (`--group-add-policy contacts`, the default)", body = ApiError),
        (status = 404, description = "`user_not_found`", body = ApiError),
        (status = 409, description = "`group_full`: more than 100 members; `too_many_channels`: the caller or a named user is already in 1,000 channels", body = ApiError),
        (status = 429, description = "`rate_limited`: group changes count against the caller's send rate", body = ApiError, headers(("Retry-After" = u64, description = "Seconds to wait before retrying"))),
    )
)]
pub(super) async fn create_group(
    State(edge): State<Arc<Edge>>,
    Caller(user_id): Caller,
    body: Bytes,
) -> HttpResult<Response> {
    let req: CreateGroupRequest = parse_body(&body)?;
    limits::check_group_name(&req.name)?;
    if req.members.len() >= limits::MAX_GROUP_MEMBERS * 2 {
        return Err(ApiError::new(ErrorCode::GroupFull, "too many members").into());
    }
    // The edge draws the id, so the request goes straight to the partition that owns it.
    let channel_id = edge
        .ids
        .next_id()
        .map_err(|e| ApiError::new(ErrorCode::Unavailable, e.to_string()))?;
    let action = ChannelAction::CreateGroup {
        name: req.name,
        members: req.members,
    };
    let mut resp = group_command(&edge, user_id, channel_id, action).await?;
    *resp.status_mut() = StatusCode::CREATED;
    Ok(resp)
}

#[utoipa::path(
    patch,
    path = "/v1/groups/{id}",
    tag = "groups",
    summary = "Rename a group (owner or admin)",
    params(("id" = IdSchema, Path, description = "Group (channel) id (decimal)")),
    request_body = RenameGroupRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The group", body = Channel),
        (status = 400, description = "`bad_request`, `invalid_group_name`, `not_a_group`", body = ApiError),
        (status = 403, description = "`forbidden`, `not_a_member`", body = ApiError),
        (status = 404, description = "`not_found`: an empty path segment matches no route", body = ApiError),
        (status = 429, description = "`rate_limited`: group changes count against the caller's send rate", body = ApiError, headers(("Retry-After" = u64, description = "Seconds to wait before retrying"))),
    )
)]
pub(super) async fn rename_group(
    State(edge): State<Arc<Edge>>,
    Caller(user_id): Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> HttpResult<Response> {
    let channel_id = parse_id(&id)?;
    let req: RenameGroupRequest = parse_body(&body)?;
    group_command(
        &edge,
        user_id,
        channel_id,
        ChannelAction::Rename { name: req.name },
    )
    .await
}

#[utoipa::path(
    put,
    path = "/v1/groups/{id}/retention",
    tag = "groups",
    summary = "Set how long the group keeps messages (owner or admin); older ones are removed in the background",
    params(("id" = IdSchema, Path, description = "Group (channel) id (decimal)")),
    request_body = RetentionRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The group (with `max_age_secs`)", body = Channel),
        (status = 400, description = "`bad_request` (not 0 or an hour to ten years), `not_a_group`", body = ApiError),
        (status = 403, description = "`forbidden`, `not_a_member`", body = ApiError),
        (status = 404, description = "`not_found`: an empty path segment matches no route", body = ApiError),
        (status = 429, description = "`rate_limited`", body = ApiError, headers(("Retry-After" = u64, description = "Seconds to wait before retrying"))),
    )
)]
pub(super) async fn set_retention(
    State(edge): State<Arc<Edge>>,
    Caller(user_id): Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> HttpResult<Response> {
    let channel_id = parse_id(&id)?;
    let req: RetentionRequest = parse_body(&body)?;
    limits::check_max_age(req.max_age_secs)?;
    let action = ChannelAction::SetRetention {
        max_age_secs: req.max_age_secs,
    };
    group_command(&edge, user_id, channel_id, action).await
}

#[utoipa::path(
    post,
    path = "/v1/groups/{id}/members",
    tag = "groups",
    summary = "Add members, all or nothing (owner or admin)",
    params(("id" = IdSchema, Path, description = "Group (channel) id (decimal)")),
    request_body = AddMembersRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The group", body = Channel),
        (status = 400, description = "`bad_request`, `not_a_group`", body = ApiError),
        (status = 403, description = "`forbidden` (the caller's role, or a named user accepts group additions only from people they share a chat with), `not_a_member`", body = ApiError),
        (status = 404, description = "`user_not_found`; `not_found` for an empty id", body = ApiError),
        (status = 409, description = "`group_full`: the group would exceed 100 members; `too_many_channels`: a named user is already in 1,000 channels", body = ApiError),
        (status = 429, description = "`rate_limited`: group changes count against the caller's send rate", body = ApiError, headers(("Retry-After" = u64, description = "Seconds to wait before retrying"))),
    )
)]
pub(super) async fn add_members(
    State(edge): State<Arc<Edge>>,
    Caller(user_id): Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> HttpResult<Response> {
    let channel_id = parse_id(&id)?;
    let req: AddMembersRequest = parse_body(&body)?;
    if req.users.len() >= limits::MAX_GROUP_MEMBERS * 2 {
        return Err(ApiError::new(ErrorCode::GroupFull, "too many members").into());
    }
    group_command(
        &edge,
        user_id,
        channel_id,
        ChannelAction::AddMembers { users: req.users },
    )
    .await
}

#[utoipa::path(
    delete,
    path = "/v1/groups/{id}/members/{user}",
    tag = "groups",
    summary = "Remove a member (oneself: leave)",
    params(("id" = IdSchema, Path, description = "Group (channel) id (decimal)"), ("user" = IdSchema, Path, description = "User id (decimal)")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The group", body = Channel),
        (status = 400, description = "`bad_request`, `not_a_group`", body = ApiError),
        (status = 403, description = "`forbidden`, `not_a_member`", body = ApiError),
        (status = 404, description = "`user_not_found`; `not_found` for an empty id", body = ApiError),
        (status = 429, description = "`rate_limited`: group changes count against the caller's send rate", body = ApiError, headers(("Retry-After" = u64, description = "Seconds to wait before retrying"))),
    )
)]
pub(super) async fn remove_member(
    State(edge): State<Arc<Edge>>,
    Caller(user_id): Caller,
    Path((id, user)): Path<(String, String)>,
) -> HttpResult<Response> {
    let channel_id = parse_id(&id)?;
    let user = parse_id(&user)?;
    group_command(
        &edge,
        user_id,
        channel_id,
        ChannelAction::RemoveMember { user },
    )
    .await
}

#[utoipa::path(
    put,
    path = "/v1/groups/{id}/members/{user}/role",
    tag = "groups",
    summary = "Set a member's role (owner only)",
    params(("id" = IdSchema, Path, description = "Group (channel) id (decimal)"), ("user" = IdSchema, Path, description = "User id (decimal)")),
    request_body = SetRoleRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The group", body = Channel),
        (status = 400, description = "`bad_request` (role `owner`, oneself, bad id), `not_a_group`", body = ApiError),
        (status = 403, description = "`forbidden`, `not_a_member`", body = ApiError),
        (status = 404, description = "`user_not_found`: not a member; `not_found` for an empty id", body = ApiError),
        (status = 429, description = "`rate_limited`: group changes count against the caller's send rate", body = ApiError, headers(("Retry-After" = u64, description = "Seconds to wait before retrying"))),
    )
)]
pub(super) async fn set_role(
    State(edge): State<Arc<Edge>>,
    Caller(user_id): Caller,
    Path((id, user)): Path<(String, String)>,
    body: Bytes,
) -> HttpResult<Response> {
    let channel_id = parse_id(&id)?;
    let user = parse_id(&user)?;
    let req: SetRoleRequest = parse_body(&body)?;
    group_command(
        &edge,
        user_id,
        channel_id,
        ChannelAction::SetRole {
            user,
            role: req.role,
        },
    )
    .await
}

#[utoipa::path(
    post,
    path = "/v1/groups/{id}/leave",
    tag = "groups",
    summary = "Leave a group",
    params(("id" = IdSchema, Path, description = "Group (channel) id (decimal)")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The group", body = Channel),
        (status = 400, description = "`bad_request`, `not_a_group`", body = ApiError),
        (status = 403, description = "`not_a_member`", body = ApiError),
        (status = 404, description = "`not_found`: an empty path segment matches no route", body = ApiError),
        (status = 429, description = "`rate_limited`: group changes count against the caller's send rate", body = ApiError, headers(("Retry-After" = u64, description = "Seconds to wait before retrying"))),
    )
)]
pub(super) async fn leave_group(
    State(edge): State<Arc<Edge>>,
    Caller(user_id): Caller,
    Path(id): Path<String>,
) -> HttpResult<Response> {
    let channel_id = parse_id(&id)?;
    group_command(
        &edge,
        user_id,
        channel_id,
        ChannelAction::RemoveMember { user: user_id },
    )
    .await
}

#[utoipa::path(
    put,
    path = "/v1/groups/{id}/bans/{user}",
    tag = "groups",
    summary = "Ban a user: removed if a member, and not to be added again until unbanned (owner; admins ban members)",
    params(("id" = IdSchema, Path, description = "Group (channel) id (decimal)"), ("user" = IdSchema, Path, description = "User id (decimal)")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The group", body = Channel),
        (status = 400, description = "`bad_request`, `not_a_group`", body = ApiError),
        (status = 403, description = "`forbidden`: members cannot ban, admins cannot ban admins or the owner, nobody bans themselves; `not_a_member`", body = ApiError),
        (status = 429, description = "`rate_limited`", body = ApiError, headers(("Retry-After" = u64, description = "Seconds to wait before retrying"))),
    )
)]
pub(super) async fn ban(
    State(edge): State<Arc<Edge>>,
    Caller(user_id): Caller,
    Path((id, user)): Path<(String, String)>,
) -> HttpResult<Response> {
    let (channel_id, user) = (parse_id(&id)?, parse_id(&user)?);
    group_command(
        &edge,
        user_id,
        channel_id,
        ChannelAction::Ban { user, ban: true },
    )
    .await
}

#[utoipa::path(
    delete,
    path = "/v1/groups/{id}/bans/{user}",
    tag = "groups",
    summary = "Lift a ban (the user may be added again)",
    params(("id" = IdSchema, Path, description = "Group (channel) id (decimal)"), ("user" = IdSchema, Path, description = "User id (decimal)")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The group", body = Channel),
        (status = 400, description = "`bad_request`, `not_a_group`", body = ApiError),
        (status = 403, description = "`forbidden`, `not_a_member`", body = ApiError),
        (status = 429, description = "`rate_limited`", body = ApiError, headers(("Retry-After" = u64, description = "Seconds to wait before retrying"))),
    )
)]
pub(super) async fn unban(
    State(edge): State<Arc<Edge>>,
    Caller(user_id): Caller,
    Path((id, user)): Path<(String, String)>,
) -> HttpResult<Response> {
    let (channel_id, user) = (parse_id(&id)?, parse_id(&user)?);
    group_command(
        &edge,
        user_id,
        channel_id,
        ChannelAction::Ban { user, ban: false },
    )
    .await
}

#[utoipa::path(
    put,
    path = "/v1/groups/{id}/members/{user}/mute",
    tag = "groups",
    summary = "Mute a member for some minutes: they cannot send in the group until then (owner; admins mute members)",
    params(("id" = IdSchema, Path, description = "Group (channel) id (decimal)"), ("user" = IdSchema, Path, description = "User id (decimal)")),
    request_body = MuteMemberRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The group", body = Channel),
        (status = 400, description = "`bad_request` (minutes not 1 to 525,600), `not_a_group`", body = ApiError),
        (status = 403, description = "`forbidden`, `not_a_member`", body = ApiError),
        (status = 404, description = "`user_not_found`: not a member", body = ApiError),
        (status = 429, description = "`rate_limited`", body = ApiError, headers(("Retry-After" = u64, description = "Seconds to wait before retrying"))),
    )
)]
pub(super) async fn mute_member(
    State(edge): State<Arc<Edge>>,
    Caller(user_id): Caller,
    Path((id, user)): Path<(String, String)>,
    body: Bytes,
) -> HttpResult<Response> {
    let (channel_id, user) = (parse_id(&id)?, parse_id(&user)?);
    let req: MuteMemberRequest = parse_body(&body)?;
    if !(1..=525_600).contains(&req.minutes) {
        return Err(ApiError::new(ErrorCode::BadRequest, "minutes: 1 to 525,600").into());
    }
    // The end is fixed here, in the entry: a replay decides with the same one.
    let until_ms = natter_protocol::now_ms() + u64::from(req.minutes) * 60_000;
    let action = ChannelAction::MuteMember { user, until_ms };
    group_command(&edge, user_id, channel_id, action).await
}

#[utoipa::path(
    delete,
    path = "/v1/groups/{id}/members/{user}/mute",
    tag = "groups",
    summary = "Lift a member's mute",
    params(("id" = IdSchema, Path, description = "Group (channel) id (decimal)"), ("user" = IdSchema, Path, description = "User id (decimal)")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The group", body = Channel),
        (status = 400, description = "`bad_request`, `not_a_group`", body = ApiError),
        (status = 403, description = "`forbidden`, `not_a_member`", body = ApiError),
        (status = 404, description = "`user_not_found`: not a member", body = ApiError),
        (status = 429, description = "`rate_limited`", body = ApiError, headers(("Retry-After" = u64, description = "Seconds to wait before retrying"))),
    )
)]
pub(super) async fn unmute_member(
    State(edge): State<Arc<Edge>>,
    Caller(user_id): Caller,
    Path((id, user)): Path<(String, String)>,
) -> HttpResult<Response> {
    let (channel_id, user) = (parse_id(&id)?, parse_id(&user)?);
    let action = ChannelAction::MuteMember { user, until_ms: 0 };
    group_command(&edge, user_id, channel_id, action).await
}

/// The group an invite code names (`<group>-<random>`).
fn group_of(code: &str) -> Result<u64, ApiError> {
    code.split_once('-')
        .and_then(|(g, rest)| (rest.len() == 24).then_some(g))
        .and_then(|g| g.parse().ok())
        .ok_or_else(|| {
            ApiError::new(
                ErrorCode::NotFound,
                "no such invite, or it expired, was used up or revoked",
            )
        })
}

#[utoipa::path(
    post,
    path = "/v1/groups/{id}/invites",
    tag = "groups",
    summary = "Make an invite link (owner and admins): whoever has its code may join until it expires or is used up",
    params(("id" = IdSchema, Path, description = "Group (channel) id (decimal)")),
    request_body = CreateInviteRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The invite", body = Invite),
        (status = 400, description = "`bad_request` (minutes not 1 to 43,200, max_uses over 1,000, 20 open invites already), `not_a_group`", body = ApiError),
        (status = 403, description = "`forbidden`: members cannot; `not_a_member`", body = ApiError),
        (status = 429, description = "`rate_limited`", body = ApiError, headers(("Retry-After" = u64, description = "Seconds to wait before retrying"))),
    )
)]
pub(super) async fn create_invite(
    State(edge): State<Arc<Edge>>,
    Caller(user_id): Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> HttpResult<Response> {
    let channel_id = parse_id(&id)?;
    let req: CreateInviteRequest = parse_body(&body)?;
    if !(1..=43_200).contains(&req.minutes) || req.max_uses > 1000 {
        return Err(ApiError::new(
            ErrorCode::BadRequest,
            "minutes: 1 to 43,200; max_uses: 0 (no limit) to 1,000",
        )
        .into());
    }
    edge.limiters.send(user_id)?;
    // Drawn and fixed here: the log carries the code and the expiry.
    let code = format!("{channel_id}-{:024x}", rand::random::<u128>() >> 32);
    let action = ChannelAction::CreateInvite {
        code,
        expires_at_ms: natter_protocol::now_ms() + u64::from(req.minutes) * 60_000,
        max_uses: req.max_uses,
    };
    let made: Option<Invite> = edge
        .commands
        .run(&edge, user_id, channel_id, action)
        .await?;
    let made = made.ok_or_else(|| ApiError::new(ErrorCode::Internal, "no invite made"))?;
    Ok(json(StatusCode::CREATED, made))
}

#[utoipa::path(
    get,
    path = "/v1/groups/{id}/invites",
    tag = "groups",
    summary = "The group's open invites (owner and admins)",
    params(("id" = IdSchema, Path, description = "Group (channel) id (decimal)")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Invites not expired, used up or revoked", body = Vec<Invite>),
        (status = 400, description = "`bad_request`: not an id", body = ApiError),
        (status = 403, description = "`forbidden`: members cannot; `not_a_member`", body = ApiError),
    )
)]
pub(super) async fn list_invites(
    State(edge): State<Arc<Edge>>,
    Caller(user_id): Caller,
    Path(id): Path<String>,
) -> HttpResult<Response> {
    let req = natter_protocol::internal::ChannelReq {
        user_id,
        channel_id: parse_id(&id)?,
    };
    super::answer(&edge, &natter_nats::rpc::INVITE_LIST, &req).await
}

#[utoipa::path(
    delete,
    path = "/v1/groups/{id}/invites/{code}",
    tag = "groups",
    summary = "Revoke an invite (owner and admins)",
    params(("id" = IdSchema, Path, description = "Group (channel) id (decimal)"), ("code" = String, Path, description = "The invite's code")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Revoked (or was not there)"),
        (status = 400, description = "`bad_request`: not an id", body = ApiError),
        (status = 403, description = "`forbidden`, `not_a_member`", body = ApiError),
    )
)]
pub(super) async fn revoke_invite(
    State(edge): State<Arc<Edge>>,
    Caller(user_id): Caller,
    Path((id, code)): Path<(String, String)>,
) -> HttpResult<StatusCode> {
    let channel_id = parse_id(&id)?;
    edge.limiters.send(user_id)?;
    let action = ChannelAction::RevokeInvite { code };
    let _: Option<Invite> = edge
        .commands
        .run(&edge, user_id, channel_id, action)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    post,
    path = "/v1/invites/{code}/join",
    tag = "groups",
    summary = "Join a group with an invite's code",
    params(("code" = String, Path, description = "The invite's code")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The group (joining again changes nothing)", body = Channel),
        (status = 403, description = "`forbidden`: banned from the group", body = ApiError),
        (status = 404, description = "`not_found`: no such invite, or it expired, was used up or revoked", body = ApiError),
        (status = 409, description = "`group_full`, `too_many_channels`", body = ApiError),
        (status = 429, description = "`rate_limited`", body = ApiError, headers(("Retry-After" = u64, description = "Seconds to wait before retrying"))),
    )
)]
pub(super) async fn join_by_invite(
    State(edge): State<Arc<Edge>>,
    Caller(user_id): Caller,
    Path(code): Path<String>,
) -> HttpResult<Response> {
    let channel_id = group_of(&code)?;
    group_command(
        &edge,
        user_id,
        channel_id,
        ChannelAction::JoinByInvite { code },
    )
    .await
}
