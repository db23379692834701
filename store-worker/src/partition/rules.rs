//! Group and role rules as pure functions: a channel as it stands and a command
//! in, the change (or the refusal) out. No I/O and no clock, so a replay of the log
//! decides exactly as the first run did, and the rules are tested without processes.

use std::collections::BTreeMap;

use natter_protocol::http::{Channel, ChannelKind, Role};
use natter_protocol::internal::ChannelAction;
use natter_protocol::ws::SystemEvent;
use natter_protocol::{ApiError, ErrorCode, limits};

use crate::records::{ChannelRecord, MemberRecord};

/// A channel as its partition's owner holds it.
#[derive(Debug, Clone)]
pub(crate) struct ChannelState {
    /// Kind, name, creation time.
    pub(crate) rec: ChannelRecord,
    /// Current members with their roles.
    pub(crate) members: BTreeMap<u64, MemberRecord>,
    /// Seq of the channel's latest message or event (0: none).
    pub(crate) head: u64,
}

impl ChannelState {
    /// The channel as a member sees it.
    pub(crate) fn view(&self) -> Channel {
        Channel {
            id: self.rec.id,
            kind: self.rec.kind,
            name: self.rec.name.clone(),
            members: self.members.keys().copied().collect(),
            created_at: self.rec.created_at,
            max_age_secs: self.rec.max_age_secs,
        }
    }

    /// Member ids, ascending.
    pub(crate) fn member_ids(&self) -> Vec<u64> {
        self.members.keys().copied().collect()
    }

    fn role(&self, user: u64) -> Result<Role, ApiError> {
        self.members
            .get(&user)
            .map(|m| m.role)
            .ok_or_else(not_member)
    }
}

/// What a group command changes, decided from the channel's state alone.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct GroupChange {
    /// The record to write, when it changed (creation, rename).
    pub(crate) record: Option<ChannelRecord>,
    /// Member rows to write (new members, new roles).
    pub(crate) put_members: Vec<(u64, MemberRecord)>,
    /// Users who join with this change (their channel list gains it).
    pub(crate) joined: Vec<u64>,
    /// Members removed (their list row gets the removal's seq).
    pub(crate) removed: Vec<(u64, MemberRecord)>,
    /// System events appended, in order.
    pub(crate) events: Vec<SystemEvent>,
    /// Users who get the events: members before and after the change.
    pub(crate) audience: Vec<u64>,
}

impl GroupChange {
    fn nothing(audience: Vec<u64>) -> Self {
        Self {
            record: None,
            put_members: Vec::new(),
            joined: Vec::new(),
            removed: Vec::new(),
            events: Vec::new(),
            audience,
        }
    }
}

/// `not_a_member`, for strangers and unknown channels alike.
pub(crate) fn not_member() -> ApiError {
    ApiError::new(
        ErrorCode::NotAMember,
        "no such channel, or you are not a member",
    )
}

/// A send from someone who was a member when it was appended, and is not now.
pub(crate) fn not_member_anymore() -> ApiError {
    ApiError::new(
        ErrorCode::NotAMember,
        "you are no longer a member of this channel",
    )
}

fn forbidden(what: &str) -> ApiError {
    ApiError::new(
        ErrorCode::Forbidden,
        format!("your role does not allow {what}"),
    )
}

fn check_name(name: &str) -> Result<(), ApiError> {
    limits::check_group_name(name)
}

/// Creating group `cid` by `actor` with `members` at `at_ms`; `existing` is what the
/// channel id already holds. A retried create of the same group returns it unchanged.
pub(crate) fn create(
    existing: Option<&ChannelState>,
    cid: u64,
    actor: u64,
    name: &str,
    members: &[u64],
    at_ms: u64,
) -> Result<(ChannelState, GroupChange), ApiError> {
    if let Some(g) = existing {
        if g.rec.kind == ChannelKind::Group && g.members.contains_key(&actor) {
            return Ok((g.clone(), GroupChange::nothing(g.member_ids())));
        }
        return Err(ApiError::new(ErrorCode::BadRequest, "channel id in use"));
    }
    check_name(name)?;
    let mut all: Vec<u64> = members.iter().copied().filter(|u| *u != actor).collect();
    all.sort_unstable();
    all.dedup();
    if all.len() + 1 > limits::MAX_GROUP_MEMBERS {
        return Err(ApiError::new(
            ErrorCode::GroupFull,
            format!(
                "a group has at most {} members, the creator included",
                limits::MAX_GROUP_MEMBERS
            ),
        ));
    }
    all.push(actor);
    all.sort_unstable();
    let rec = ChannelRecord {
        id: cid,
        kind: ChannelKind::Group,
        created_at: at_ms,
        name: Some(name.to_string()),
        pair: None,
        blocked_by: Vec::new(),
        banned: Vec::new(),
        muted: Vec::new(),
        invites: Vec::new(),
        erased: Vec::new(),
        max_age_secs: None,
        floor_seq: 0,
    };
    let rows: BTreeMap<u64, MemberRecord> = all
        .iter()
        .map(|u| {
            let role = if *u == actor {
                Role::Owner
            } else {
                Role::Member
            };
            (
                *u,
                MemberRecord {
                    joined_at: at_ms,
                    role,
                },
            )
        })
        .collect();
    let change = GroupChange {
        record: Some(rec.clone()),
        put_members: rows.iter().map(|(u, m)| (*u, m.clone())).collect(),
        joined: all.clone(),
        removed: Vec::new(),
        events: vec![SystemEvent::GroupCreated {
            name: name.to_string(),
            members: all.clone(),
        }],
        audience: all,
    };
    let state = ChannelState {
        rec,
        members: rows,
        head: 0,
    };
    Ok((state, change))
}

/// Applies a group command other than creation to `g` (changed in place only when
/// the command is allowed); returns what to write and tell.
pub(crate) fn change(
    g: &mut ChannelState,
    actor: u64,
    action: &ChannelAction,
    at_ms: u64,
) -> Result<GroupChange, ApiError> {
    if let ChannelAction::JoinByInvite { code } = action {
        return join(g, actor, code, at_ms);
    }
    let role = g.role(actor)?;
    if g.rec.kind != ChannelKind::Group {
        return Err(ApiError::new(
            ErrorCode::NotAGroup,
            "1:1 channels have no group operations",
        ));
    }
    let before = g.member_ids();
    let mut next = g.clone();
    let mut change = GroupChange::nothing(Vec::new());
    match action {
        ChannelAction::CreateGroup { .. }
        | ChannelAction::Read { .. }
        | ChannelAction::Edit { .. }
        | ChannelAction::Delete { .. }
        | ChannelAction::React { .. }
        | ChannelAction::Pin { .. }
        | ChannelAction::AttachmentProcessed { .. }
        | ChannelAction::Block { .. }
        | ChannelAction::CreateInvite { .. }
        | ChannelAction::RevokeInvite { .. }
        | ChannelAction::JoinByInvite { .. }
        | ChannelAction::EraseAccount { .. }
        | ChannelAction::Expire { .. } => {
            return Err(ApiError::new(ErrorCode::BadRequest, "unexpected action"));
        }
        ChannelAction::Rename { name } => {
            check_name(name)?;
            if role == Role::Member {
                return Err(forbidden("renaming the group"));
            }
            if next.rec.name.as_deref() != Some(name.as_str()) {
                next.rec.name = Some(name.clone());
                change.record = Some(next.rec.clone());
                change
                    .events
                    .push(SystemEvent::Renamed { name: name.clone() });
            }
        }
        ChannelAction::AddMembers { users } => {
            if role == Role::Member {
                return Err(forbidden("adding members"));
            }
            if let Some(u) = users.iter().find(|u| next.rec.banned.contains(u)) {
                return Err(ApiError::new(
                    ErrorCode::Forbidden,
                    format!("user {u} is banned from this group: unban them first"),
                ));
            }
            admit(&mut next, &mut change, users, at_ms)?;
        }
        ChannelAction::RemoveMember { user } => {
            if let Some(target) = next.members.get(user).cloned() {
                let leaving = *user == actor;
                if !leaving {
                    let allowed = match role {
                        Role::Owner => true,
                        Role::Admin => target.role == Role::Member,
                        Role::Member => false,
                    };
                    if !allowed {
                        return Err(forbidden("removing this member"));
                    }
                }
                next.members.remove(user);
                change.removed.push((*user, target.clone()));
                change.events.push(if leaving {
                    SystemEvent::MemberLeft { user: *user }
                } else {
                    SystemEvent::MemberRemoved { user: *user }
                });
                if target.role == Role::Owner {
                    // Ownership passes to the longest-standing admin, else member.
                    let heir = next
                        .members
                        .iter()
                        .min_by_key(|(uid, m)| (m.role, m.joined_at, **uid))
                        .map(|(uid, _)| *uid);
                    if let Some(heir) = heir
                        && let Some(m) = next.members.get_mut(&heir)
                    {
                        m.role = Role::Owner;
                        change.put_members.push((heir, m.clone()));
                        change.events.push(SystemEvent::RoleChanged {
                            user: heir,
                            role: Role::Owner,
                        });
                    }
                }
            }
        }
        ChannelAction::Ban { user, ban } => {
            // Like a removal: an admin bans members only, the owner anyone but
            // themselves; a non-member may be banned before they join.
            let target = next.members.get(user).map(|m| m.role);
            let allowed = *user != actor
                && matches!(
                    (role, target),
                    (Role::Owner, _) | (Role::Admin, None | Some(Role::Member))
                );
            if !allowed {
                return Err(forbidden("banning this user"));
            }
            let held = next.rec.banned.binary_search(user);
            match (*ban, held) {
                (true, Err(at)) => {
                    next.rec.banned.insert(at, *user);
                    if let Some(m) = next.members.remove(user) {
                        change.removed.push((*user, m));
                    }
                    next.rec.muted.retain(|(u, _)| u != user);
                    change.record = Some(next.rec.clone());
                    change
                        .events
                        .push(SystemEvent::MemberBanned { user: *user });
                }
                (false, Ok(at)) => {
                    next.rec.banned.remove(at);
                    change.record = Some(next.rec.clone());
                    change
                        .events
                        .push(SystemEvent::MemberUnbanned { user: *user });
                }
                // Banned twice, or lifted twice: nothing changes.
                _ => {}
            }
        }
        ChannelAction::MuteMember { user, until_ms } => {
            let allowed = *user != actor
                && match (role, next.members.get(user).map(|m| m.role)) {
                    (_, None) => {
                        return Err(ApiError::new(
                            ErrorCode::UserNotFound,
                            "that user is not a member of this group",
                        ));
                    }
                    (Role::Owner, _) | (Role::Admin, Some(Role::Member)) => true,
                    _ => false,
                };
            if !allowed {
                return Err(forbidden("muting this member"));
            }
            next.rec.muted.retain(|(u, _)| u != user);
            // A mute that already ended is a lift.
            let until = if *until_ms > at_ms { *until_ms } else { 0 };
            if until > 0 {
                next.rec.muted.push((*user, until));
                next.rec.muted.sort_unstable();
            }
            if next.rec != g.rec {
                change.record = Some(next.rec.clone());
                change
                    .events
                    .push(SystemEvent::MemberMuted { user: *user, until });
            }
        }
        ChannelAction::SetRetention { max_age_secs } => {
            if role == Role::Member {
                return Err(forbidden("setting how long messages are kept"));
            }
            limits::check_max_age(*max_age_secs)?;
            let max_age = Some(*max_age_secs).filter(|s| *s > 0);
            if next.rec.max_age_secs != max_age {
                next.rec.max_age_secs = max_age;
                change.record = Some(next.rec.clone());
                change.events.push(SystemEvent::RetentionChanged {
                    max_age_secs: *max_age_secs,
                });
            }
        }
        ChannelAction::SetRole {
            user,
            role: new_role,
        } => {
            if role != Role::Owner {
                return Err(forbidden("changing roles"));
            }
            if *new_role == Role::Owner || *user == actor {
                return Err(ApiError::new(
                    ErrorCode::BadRequest,
                    "roles can be set to admin or member, for others than the owner",
                ));
            }
            let Some(m) = next.members.get_mut(user) else {
                return Err(ApiError::new(
                    ErrorCode::UserNotFound,
                    "that user is not a member of this group",
                ));
            };
            if m.role != *new_role {
                m.role = *new_role;
                change.put_members.push((*user, m.clone()));
                change.events.push(SystemEvent::RoleChanged {
                    user: *user,
                    role: *new_role,
                });
            }
        }
    }
    let after = next.member_ids();
    let mut audience = before.clone();
    audience.extend(after.iter().filter(|u| !before.contains(u)));
    change.audience = audience;
    *g = next;
    Ok(change)
}

/// Starts erasing `user`'s account in `g`: their later sends and commands are
/// refused, a group loses them as a member (as if they left), a 1:1 channel takes
/// no more sends, and the channel is told (`account_deleted`). Starting twice
/// changes nothing.
pub(crate) fn erase_account(
    g: &mut ChannelState,
    user: u64,
    at_ms: u64,
) -> Result<GroupChange, ApiError> {
    if g.rec.erased.contains(&user) {
        return Ok(GroupChange::nothing(g.member_ids()));
    }
    let mut change = if g.rec.kind == ChannelKind::Group && g.members.contains_key(&user) {
        self::change(g, user, &ChannelAction::RemoveMember { user }, at_ms)?
    } else {
        GroupChange::nothing(g.member_ids())
    };
    if let Err(at) = g.rec.erased.binary_search(&user) {
        g.rec.erased.insert(at, user);
    }
    if g.rec.kind == ChannelKind::Dm
        && let Err(at) = g.rec.blocked_by.binary_search(&user)
    {
        g.rec.blocked_by.insert(at, user);
    }
    change.record = Some(g.rec.clone());
    change.events.push(SystemEvent::AccountDeleted { user });
    Ok(change)
}

/// An invite that does not (or no longer) let anyone in: not told apart.
fn no_invite() -> ApiError {
    ApiError::new(
        ErrorCode::NotFound,
        "no such invite, or it expired, was used up or revoked",
    )
}

/// `actor` joins group `g` with invite `code` at `at_ms`: the invite must be open
/// then, the actor not banned, the group not full. Joining again changes nothing.
fn join(g: &mut ChannelState, actor: u64, code: &str, at_ms: u64) -> Result<GroupChange, ApiError> {
    if g.rec.kind != ChannelKind::Group {
        return Err(no_invite());
    }
    if g.members.contains_key(&actor) {
        return Ok(GroupChange::nothing(g.member_ids()));
    }
    let mut next = g.clone();
    let Some(invite) = next
        .rec
        .invites
        .iter_mut()
        .find(|i| i.code == code && i.open_at(at_ms))
    else {
        return Err(no_invite());
    };
    if g.rec.banned.binary_search(&actor).is_ok() {
        return Err(ApiError::new(
            ErrorCode::Forbidden,
            "you are banned from this group",
        ));
    }
    invite.uses += 1;
    let mut change = GroupChange::nothing(Vec::new());
    admit(&mut next, &mut change, &[actor], at_ms)?;
    change.record = Some(next.rec.clone());
    change.audience = next.member_ids();
    *g = next;
    Ok(change)
}

/// Makes `users` (those not in yet) members of `next`, as one `members_added`
/// event of `change`; added by an owner or admin, or joining by invite.
fn admit(
    next: &mut ChannelState,
    change: &mut GroupChange,
    users: &[u64],
    at_ms: u64,
) -> Result<(), ApiError> {
    let mut new: Vec<u64> = users
        .iter()
        .copied()
        .filter(|u| !next.members.contains_key(u))
        .collect();
    new.sort_unstable();
    new.dedup();
    if next.members.len() + new.len() > limits::MAX_GROUP_MEMBERS {
        return Err(ApiError::new(
            ErrorCode::GroupFull,
            format!(
                "a group has at most {} members ({} now, {} to add)",
                limits::MAX_GROUP_MEMBERS,
                next.members.len(),
                new.len()
            ),
        ));
    }
    if new.is_empty() {
        return Ok(());
    }
    for u in &new {
        let m = MemberRecord {
            joined_at: at_ms,
            role: Role::Member,
        };
        next.members.insert(*u, m.clone());
        change.put_members.push((*u, m));
    }
    change.joined = new.clone();
    change.events.push(SystemEvent::MembersAdded { users: new });
    Ok(())
}

/// Most invites a group keeps at once (expired ones are dropped first).
pub(crate) const MAX_INVITES: usize = 20;

/// An owner or admin makes (`Some`) or revokes an invite of group `g`; the changed
/// record, and the invite made.
pub(crate) fn invite(
    g: &ChannelState,
    actor: u64,
    action: &ChannelAction,
    at_ms: u64,
) -> Result<(ChannelRecord, Option<natter_protocol::http::Invite>), ApiError> {
    if g.rec.kind != ChannelKind::Group {
        return Err(ApiError::new(
            ErrorCode::NotAGroup,
            "1:1 channels have no invites",
        ));
    }
    if g.role(actor)? == Role::Member {
        return Err(forbidden("managing invites"));
    }
    let mut rec = g.rec.clone();
    match action {
        ChannelAction::CreateInvite {
            code,
            expires_at_ms,
            max_uses,
        } => {
            if let Some(same) = rec.invites.iter().find(|i| i.code == *code) {
                // A retry of the same command.
                return Ok((rec.clone(), Some(same.view(rec.id))));
            }
            rec.invites.retain(|i| i.open_at(at_ms));
            if rec.invites.len() >= MAX_INVITES {
                return Err(ApiError::new(
                    ErrorCode::BadRequest,
                    format!("a group has at most {MAX_INVITES} open invites: revoke one"),
                ));
            }
            let made = crate::records::InviteRecord {
                code: code.clone(),
                created_by: actor,
                expires_at_ms: *expires_at_ms,
                max_uses: *max_uses,
                uses: 0,
            };
            let view = made.view(rec.id);
            rec.invites.push(made);
            Ok((rec, Some(view)))
        }
        ChannelAction::RevokeInvite { code } => {
            rec.invites.retain(|i| i.code != *code);
            Ok((rec, None))
        }
        _ => Err(ApiError::new(ErrorCode::BadRequest, "unexpected action")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(owner: u64, admins: &[u64], members: &[u64]) -> ChannelState {
        let (mut g, _) = create(None, 7, owner, "g", members, 1).expect("create");
        for a in admins {
            g.members.insert(
                *a,
                MemberRecord {
                    joined_at: 2,
                    role: Role::Admin,
                },
            );
        }
        g
    }

    #[test]
    fn a_group_is_created_with_its_creator_as_owner() {
        let (g, c) = create(None, 7, 1, "friends", &[3, 2, 3, 1], 5).expect("create");
        assert_eq!(g.member_ids(), vec![1, 2, 3]);
        assert_eq!(g.members[&1].role, Role::Owner);
        assert_eq!(g.members[&2].role, Role::Member);
        assert_eq!(c.audience, vec![1, 2, 3]);
        assert_eq!(c.events.len(), 1);
        // A retry by the creator gets the group, changing nothing.
        let (again, c) = create(Some(&g), 7, 1, "friends", &[2], 9).expect("retry");
        assert_eq!(again.rec.created_at, 5);
        assert!(c.events.is_empty());
        // Someone outside it cannot take the id.
        assert_eq!(
            create(Some(&g), 7, 9, "mine", &[], 9).unwrap_err().code,
            ErrorCode::BadRequest
        );
    }

    #[test]
    fn a_group_holds_at_most_a_hundred() {
        let others: Vec<u64> = (2..=100).collect();
        let (mut g, _) = create(None, 7, 1, "big", &others, 1).expect("100 fit");
        assert_eq!(g.members.len(), 100);
        let too_many: Vec<u64> = (2..=101).collect();
        assert_eq!(
            create(None, 8, 1, "big", &too_many, 1).unwrap_err().code,
            ErrorCode::GroupFull
        );
        let before = g.clone();
        let err = change(
            &mut g,
            1,
            &ChannelAction::AddMembers { users: vec![500] },
            2,
        )
        .unwrap_err();
        assert_eq!(err.code, ErrorCode::GroupFull);
        assert_eq!(
            g.member_ids(),
            before.member_ids(),
            "a refusal changes nothing"
        );
    }

    #[test]
    fn roles_decide_who_may_do_what() {
        let mut g = group(1, &[2], &[3, 4]);
        let remove = |u| ChannelAction::RemoveMember { user: u };
        // A member may neither add, rename nor remove others.
        for a in [
            ChannelAction::AddMembers { users: vec![9] },
            ChannelAction::Rename { name: "x".into() },
            remove(4),
        ] {
            assert_eq!(
                change(&mut g, 3, &a, 5).unwrap_err().code,
                ErrorCode::Forbidden
            );
        }
        // An admin removes members but not the owner.
        assert_eq!(
            change(&mut g, 2, &remove(1), 5).unwrap_err().code,
            ErrorCode::Forbidden
        );
        let c = change(&mut g, 2, &remove(4), 5).expect("admin removes a member");
        assert_eq!(c.events, vec![SystemEvent::MemberRemoved { user: 4 }]);
        assert_eq!(c.audience, vec![1, 2, 3, 4], "the removed user hears of it");
        assert!(!g.members.contains_key(&4));
        // Strangers are not members.
        assert_eq!(
            change(&mut g, 99, &remove(3), 5).unwrap_err().code,
            ErrorCode::NotAMember
        );
        // Only the owner sets roles, never to owner.
        let to_admin = ChannelAction::SetRole {
            user: 3,
            role: Role::Admin,
        };
        assert_eq!(
            change(&mut g, 2, &to_admin, 5).unwrap_err().code,
            ErrorCode::Forbidden
        );
        change(&mut g, 1, &to_admin, 5).expect("owner promotes");
        assert_eq!(g.members[&3].role, Role::Admin);
    }

    #[test]
    fn when_the_owner_leaves_the_longest_standing_admin_inherits() {
        let mut g = group(1, &[3], &[2, 3]);
        let c = change(&mut g, 1, &ChannelAction::RemoveMember { user: 1 }, 9).expect("leave");
        assert_eq!(
            c.events,
            vec![
                SystemEvent::MemberLeft { user: 1 },
                SystemEvent::RoleChanged {
                    user: 3,
                    role: Role::Owner
                }
            ]
        );
        assert_eq!(g.members[&3].role, Role::Owner);
    }

    #[test]
    fn repeated_changes_change_nothing() {
        let mut g = group(1, &[], &[2]);
        let add = ChannelAction::AddMembers { users: vec![2] };
        assert!(change(&mut g, 1, &add, 5).expect("add").events.is_empty());
        let rename = ChannelAction::Rename { name: "g".into() };
        assert!(
            change(&mut g, 1, &rename, 5)
                .expect("rename")
                .events
                .is_empty()
        );
        let gone = ChannelAction::RemoveMember { user: 42 };
        assert!(
            change(&mut g, 1, &gone, 5)
                .expect("remove")
                .events
                .is_empty()
        );
    }

    #[test]
    fn one_to_one_channels_have_no_group_operations() {
        let mut dm = group(1, &[], &[2]);
        dm.rec.kind = ChannelKind::Dm;
        let err = change(&mut dm, 1, &ChannelAction::Rename { name: "x".into() }, 1).unwrap_err();
        assert_eq!(err.code, ErrorCode::NotAGroup);
    }

    #[test]
    fn invites_let_in_until_their_time_and_uses_and_never_the_banned() {
        let mut g = group(1, &[2], &[3]);
        let make = ChannelAction::CreateInvite {
            code: "7-x".into(),
            expires_at_ms: 100,
            max_uses: 1,
        };
        assert_eq!(
            invite(&g, 3, &make, 10).unwrap_err().code,
            ErrorCode::Forbidden
        );
        let (rec, made) = invite(&g, 2, &make, 10).expect("an admin may");
        assert_eq!(made.map(|i| (i.uses, i.max_uses)), Some((0, 1)));
        g.rec = rec;
        let join = |code: &str| ChannelAction::JoinByInvite { code: code.into() };
        // Past its time (the entry's time decides): refused.
        let mut late = g.clone();
        assert_eq!(
            change(&mut late, 9, &join("7-x"), 100).unwrap_err().code,
            ErrorCode::NotFound
        );
        // Banned: refused; the next one in; then it is used up.
        g.rec.banned = vec![8];
        assert_eq!(
            change(&mut g, 8, &join("7-x"), 50).unwrap_err().code,
            ErrorCode::Forbidden
        );
        let ch = change(&mut g, 9, &join("7-x"), 50).expect("joins");
        assert_eq!(ch.joined, vec![9]);
        assert_eq!(
            change(&mut g, 10, &join("7-x"), 51).unwrap_err().code,
            ErrorCode::NotFound
        );
        assert!(
            change(&mut g, 9, &join("7-x"), 52)
                .expect("again")
                .events
                .is_empty()
        );
    }
}
