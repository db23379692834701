//! Channel commands (`cmd.<partition>`), applied by the partition task that owns the
//! channel: group creation and membership, renames, roles, and read seqs.
//!
//! Each change is one atomic write that also appends its system event at the
//! channel's next seq, so membership and messages share one order. The event reaches
//! every member before and after the change (a removed user gets their removal and
//! nothing later), and edges are told to drop their cached member list.

use std::collections::BTreeMap;

use natter_protocol::http::{Channel, ChannelKind, Role};
use natter_protocol::internal::{self, ChannelAction, ChannelCommand, RpcReply};
use natter_protocol::ws::{ServerEvent, SystemEvent};
use natter_protocol::{ApiError, ErrorCode, limits};
use natter_store::{ScanRange, WriteBatch, keys, value};

use crate::Worker;
use crate::accounts::store_err;
use crate::ingest::{Partition, write_retrying};
use crate::records::{ChannelRecord, MemberRecord, MessageRecord, UserChannelRecord, now_ms};

/// Decodes, applies and answers one command.
pub(crate) async fn serve_command(w: &Worker, part: &mut Partition, msg: async_nats::Message) {
    let Some(reply) = msg.reply.clone() else {
        return;
    };
    let payload = match internal::decode::<ChannelCommand>(&msg.payload) {
        Err(e) => internal::encode(&RpcReply::<()>::Err(ApiError::new(
            ErrorCode::BadRequest,
            format!("bad command: {e}"),
        ))),
        Ok(cmd) if natter_nats::layout::partition_of(cmd.channel_id, w.partitions) != part.p => {
            internal::encode(&RpcReply::<()>::Err(ApiError::new(
                ErrorCode::BadRequest,
                "command sent to the wrong partition",
            )))
        }
        Ok(ChannelCommand {
            user_id,
            channel_id,
            action: ChannelAction::Read { seq },
        }) => internal::encode(&read(w, part, user_id, channel_id, seq).await),
        Ok(cmd) => internal::encode(&group(w, part, cmd).await),
    };
    crate::rpc::reply(w, reply, payload).await;
}

fn forbidden(what: &str) -> ApiError {
    ApiError::new(
        ErrorCode::Forbidden,
        format!("your role does not allow {what}"),
    )
}

fn not_member() -> ApiError {
    ApiError::new(
        ErrorCode::NotAMember,
        "no such channel, or you are not a member",
    )
}

/// A channel's record and members as stored.
struct Loaded {
    rec: ChannelRecord,
    members: BTreeMap<u64, MemberRecord>,
}

impl Loaded {
    fn view(&self) -> Channel {
        Channel {
            id: self.rec.id,
            kind: self.rec.kind,
            name: self.rec.name.clone(),
            members: self.members.keys().copied().collect(),
            created_at: self.rec.created_at,
        }
    }

    fn role(&self, user: u64) -> Result<Role, ApiError> {
        self.members
            .get(&user)
            .map(|m| m.role)
            .ok_or_else(not_member)
    }
}

async fn load(w: &Worker, cid: u64) -> RpcReply<Option<Loaded>> {
    let Some(bytes) = w.store.get(&keys::channel(cid)).await.map_err(store_err)? else {
        return Ok(None);
    };
    let rec: ChannelRecord = value::decode(&bytes).map_err(store_err)?;
    let rows = w
        .store
        .scan(ScanRange::prefix(keys::members_of(cid)), 1_000)
        .await
        .map_err(store_err)?;
    let mut members = BTreeMap::new();
    for (k, v) in rows {
        if let Some(uid) = keys::trailing_u64(&k) {
            members.insert(uid, value::decode(&v).map_err(store_err)?);
        }
    }
    Ok(Some(Loaded { rec, members }))
}

/// Checks that every user exists.
async fn check_users_exist(w: &Worker, users: &[u64]) -> RpcReply<()> {
    let keys: Vec<Vec<u8>> = users.iter().map(|u| keys::user(*u)).collect();
    let found = w.store.batch_get(&keys).await.map_err(store_err)?;
    match users.iter().zip(found).find(|(_, v)| v.is_none()) {
        Some((u, _)) => Err(ApiError::new(
            ErrorCode::UserNotFound,
            format!("no such user: {u}"),
        )),
        None => Ok(()),
    }
}

/// One change to write: rows, the system events it appends, who hears of it.
struct Change {
    batch: WriteBatch,
    events: Vec<SystemEvent>,
    /// Members after the change, when it changed them.
    new_members: Option<Vec<u64>>,
    /// Users who get the events (members before and after).
    audience: Vec<u64>,
}

async fn group(w: &Worker, part: &mut Partition, cmd: ChannelCommand) -> RpcReply<Channel> {
    let cid = cmd.channel_id;
    let actor = cmd.user_id;
    let now = now_ms();
    let loaded = load(w, cid).await?;
    if let ChannelAction::CreateGroup { name, members } = cmd.action {
        return create(w, part, actor, cid, name, members, loaded).await;
    }
    let Some(mut g) = loaded else {
        return Err(not_member());
    };
    let role = g.role(actor)?;
    if g.rec.kind != ChannelKind::Group {
        return Err(ApiError::new(
            ErrorCode::NotAGroup,
            "1:1 channels have no group operations",
        ));
    }
    let before: Vec<u64> = g.members.keys().copied().collect();
    let mut batch = WriteBatch::new();
    let mut events = Vec::new();
    let head = part.heads_of(w, [cid]).await.map_err(store_err)?[&cid];
    match cmd.action {
        // Routed elsewhere before this point.
        ChannelAction::CreateGroup { .. } | ChannelAction::Read { .. } => {
            return Err(ApiError::new(ErrorCode::BadRequest, "unexpected action"));
        }
        ChannelAction::Rename { name } => {
            limits::check_group_name(&name)
                .map_err(|c| ApiError::new(c, "name: 1-64 characters"))?;
            if role == Role::Member {
                return Err(forbidden("renaming the group"));
            }
            if g.rec.name.as_deref() == Some(name.as_str()) {
                return Ok(g.view());
            }
            g.rec.name = Some(name.clone());
            batch = batch.put(keys::channel(cid), value::encode(&g.rec));
            events.push(SystemEvent::Renamed { name });
        }
        ChannelAction::AddMembers { users } => {
            if role == Role::Member {
                return Err(forbidden("adding members"));
            }
            let mut new: Vec<u64> = users
                .into_iter()
                .filter(|u| !g.members.contains_key(u))
                .collect();
            new.sort_unstable();
            new.dedup();
            if new.is_empty() {
                return Ok(g.view());
            }
            if g.members.len() + new.len() > limits::MAX_GROUP_MEMBERS {
                return Err(ApiError::new(
                    ErrorCode::GroupFull,
                    format!(
                        "a group has at most {} members ({} now, {} to add)",
                        limits::MAX_GROUP_MEMBERS,
                        g.members.len(),
                        new.len()
                    ),
                ));
            }
            check_users_exist(w, &new).await?;
            for u in &new {
                let m = MemberRecord {
                    joined_at: now,
                    role: Role::Member,
                };
                batch = batch.put(keys::member(cid, *u), value::encode(&m)).put(
                    keys::user_channel(*u, cid),
                    value::encode(&UserChannelRecord {
                        joined_at: now,
                        left_seq: None,
                    }),
                );
                g.members.insert(*u, m);
            }
            events.push(SystemEvent::MembersAdded { users: new });
        }
        ChannelAction::RemoveMember { user } => {
            let Some(target) = g.members.get(&user).cloned() else {
                return Ok(g.view());
            };
            let leaving = user == actor;
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
            g.members.remove(&user);
            // The removal event is at head + 1; the user sees up to it.
            batch = batch.delete(keys::member(cid, user)).put(
                keys::user_channel(user, cid),
                value::encode(&UserChannelRecord {
                    joined_at: target.joined_at,
                    left_seq: Some(head + 1),
                }),
            );
            events.push(if leaving {
                SystemEvent::MemberLeft { user }
            } else {
                SystemEvent::MemberRemoved { user }
            });
            if target.role == Role::Owner {
                // Ownership passes to the longest-standing admin, else member.
                let heir = g
                    .members
                    .iter()
                    .min_by_key(|(uid, m)| (m.role, m.joined_at, **uid))
                    .map(|(uid, _)| *uid);
                if let Some(heir) = heir
                    && let Some(m) = g.members.get_mut(&heir)
                {
                    m.role = Role::Owner;
                    batch = batch.put(keys::member(cid, heir), value::encode(&*m));
                    events.push(SystemEvent::RoleChanged {
                        user: heir,
                        role: Role::Owner,
                    });
                }
            }
        }
        ChannelAction::SetRole {
            user,
            role: new_role,
        } => {
            if role != Role::Owner {
                return Err(forbidden("changing roles"));
            }
            if new_role == Role::Owner || user == actor {
                return Err(ApiError::new(
                    ErrorCode::BadRequest,
                    "roles can be set to admin or member, for others than the owner",
                ));
            }
            let Some(m) = g.members.get_mut(&user) else {
                return Err(ApiError::new(
                    ErrorCode::UserNotFound,
                    "that user is not a member of this group",
                ));
            };
            if m.role == new_role {
                return Ok(g.view());
            }
            m.role = new_role;
            batch = batch.put(keys::member(cid, user), value::encode(&*m));
            events.push(SystemEvent::RoleChanged {
                user,
                role: new_role,
            });
        }
    }
    let after: Vec<u64> = g.members.keys().copied().collect();
    let mut audience = before.clone();
    audience.extend(after.iter().filter(|u| !before.contains(u)));
    let change = Change {
        batch,
        events,
        new_members: (after != before).then_some(after),
        audience,
    };
    commit(w, part, actor, cid, head, change).await?;
    Ok(g.view())
}

#[allow(clippy::too_many_arguments)]
async fn create(
    w: &Worker,
    part: &mut Partition,
    actor: u64,
    cid: u64,
    name: String,
    members: Vec<u64>,
    existing: Option<Loaded>,
) -> RpcReply<Channel> {
    if let Some(g) = existing {
        // A retried create (same id from the same edge request) gets the group.
        if g.rec.kind == ChannelKind::Group && g.members.contains_key(&actor) {
            return Ok(g.view());
        }
        return Err(ApiError::new(ErrorCode::BadRequest, "channel id in use"));
    }
    limits::check_group_name(&name).map_err(|c| ApiError::new(c, "name: 1-64 characters"))?;
    let mut all: Vec<u64> = members.into_iter().filter(|u| *u != actor).collect();
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
    check_users_exist(w, &all).await?;
    all.push(actor);
    all.sort_unstable();
    let now = now_ms();
    let rec = ChannelRecord {
        id: cid,
        kind: ChannelKind::Group,
        created_at: now,
        name: Some(name.clone()),
        pair: None,
    };
    let mut batch = WriteBatch::new()
        .expect(keys::channel(cid), None)
        .put(keys::channel(cid), value::encode(&rec));
    for u in &all {
        let role = if *u == actor {
            Role::Owner
        } else {
            Role::Member
        };
        batch = batch
            .put(
                keys::member(cid, *u),
                value::encode(&MemberRecord {
                    joined_at: now,
                    role,
                }),
            )
            .put(
                keys::user_channel(*u, cid),
                value::encode(&UserChannelRecord {
                    joined_at: now,
                    left_seq: None,
                }),
            );
    }
    let change = Change {
        batch,
        events: vec![SystemEvent::GroupCreated {
            name: name.clone(),
            members: all.clone(),
        }],
        new_members: Some(all.clone()),
        audience: all.clone(),
    };
    commit(w, part, actor, cid, 0, change).await?;
    Ok(Channel {
        id: cid,
        kind: ChannelKind::Group,
        name: Some(name),
        members: all,
        created_at: now,
    })
}

/// Appends the change's events after `head`, writes everything atomically, then
/// updates caches and fans the events out.
async fn commit(
    w: &Worker,
    part: &mut Partition,
    actor: u64,
    cid: u64,
    head: u64,
    change: Change,
) -> RpcReply<()> {
    let mut batch = change.batch;
    let mut records = Vec::new();
    let mut seq = head;
    for ev in change.events {
        seq += 1;
        let message_id = w
            .ids
            .next_id()
            .map_err(|e| ApiError::new(ErrorCode::Unavailable, e.to_string()))?;
        let rec = MessageRecord {
            message_id,
            sender_id: actor,
            client_msg_id: String::new(),
            text: String::new(),
            sent_at_ms: natter_idgen::timestamp_ms(message_id),
            system: Some(ev),
        };
        batch = batch.put(keys::message(cid, seq), value::encode(&rec));
        records.push((seq, rec));
    }
    batch = batch
        .put(keys::channel_head(cid), value::encode(&seq))
        .put(keys::read_seq(actor, cid), value::encode(&seq));
    write_retrying(w, part.p, part.fenced(w, batch))
        .await
        .map_err(store_err)?;
    part.set_heads([(cid, seq)]);
    if let Some(members) = change.new_members {
        w.fanout.set_members(cid, members).await;
    }
    for (seq, rec) in records {
        w.fanout
            .message_to(rec.into_event(cid, seq), &change.audience)
            .await;
    }
    metrics::counter!("natter_store_group_changes_total").increment(1);
    Ok(())
}

/// Moves `user`'s read seq of `cid` to `seq` (clamped to what they may see, never
/// backwards) and tells all their devices.
async fn read(w: &Worker, part: &mut Partition, user: u64, cid: u64, seq: u64) -> RpcReply<u64> {
    let uc = w
        .store
        .get(&keys::user_channel(user, cid))
        .await
        .map_err(store_err)?
        .ok_or_else(not_member)?;
    let uc: UserChannelRecord = value::decode(&uc).map_err(store_err)?;
    let head = part.heads_of(w, [cid]).await.map_err(store_err)?[&cid];
    let target = seq.min(uc.visible_head(head));
    let old: u64 = match w
        .store
        .get(&keys::read_seq(user, cid))
        .await
        .map_err(store_err)?
    {
        Some(b) => value::decode(&b).map_err(store_err)?,
        None => 0,
    };
    if target <= old {
        return Ok(old);
    }
    let batch = WriteBatch::new().put(keys::read_seq(user, cid), value::encode(&target));
    write_retrying(w, part.p, part.fenced(w, batch))
        .await
        .map_err(store_err)?;
    w.fanout
        .to_user(
            user,
            &ServerEvent::Read {
                channel: cid,
                seq: target,
            },
            "read",
        )
        .await;
    Ok(target)
}
