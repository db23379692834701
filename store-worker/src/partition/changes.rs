//! Changes to earlier messages (edit, delete for everyone, reactions, pins) as pure
//! functions of the working set and the command, like the group rules.
//!
//! Each change rewrites the target's record to its new state (so history shows
//! messages as they now stand) and appends one system event to the channel (so
//! the existing sync carries it to every device, in order, exactly once). A change
//! that changes nothing (a reaction already there, a second delete) appends nothing
//! and answers with the message as it stands, so a client's retry is harmless.

use std::sync::Arc;

use natter_protocol::http::{ChannelKind, Role};
use natter_protocol::internal::{self, ChannelAction, CommandEntry};
use natter_protocol::ws::{MessageEvent, SystemEvent};
use natter_protocol::{ApiError, ErrorCode, limits};

use super::apply::{Applied, Stored};
use super::rules;
use super::state::Working;
use crate::records::MessageRecord;
use crate::tables;

/// What a change decided: the target's new record and the event to append (none
/// when nothing changes), plus event records it rewrites (erased edits).
struct Decided {
    target: MessageRecord,
    event: Option<SystemEvent>,
    rewrites: Vec<(u64, MessageRecord)>,
    /// The channel's pinned list, when it changes.
    pins: Option<Vec<(u64, u64, u64)>>,
}

/// Applies an edit, delete or reaction; returns the target as it now stands and
/// the seq of the event appended (0 when none).
pub(crate) fn apply(
    w: &mut Working,
    c: &CommandEntry,
    out: &mut Applied,
) -> Result<(MessageEvent, u64), ApiError> {
    let cid = c.channel_id;
    let Some(seq) = c.action.changes_message() else {
        return Err(ApiError::new(ErrorCode::Internal, "not a message change"));
    };
    let Some(ch) = w.channels.get(&cid) else {
        return Err(rules::not_member());
    };
    // An operator (appended by a store worker for `natter admin`) deletes anything.
    let operator =
        c.user_id == internal::OPERATOR && matches!(c.action, ChannelAction::Delete { .. });
    let role = match ch.members.get(&c.user_id) {
        Some(member) => member.role,
        None if operator => Role::Owner,
        None => return Err(rules::not_member()),
    };
    let group = ch.rec.kind == ChannelKind::Group;
    let target = match w.messages.get(&(cid, seq)) {
        Some(Some(rec)) if rec.system.is_none() => rec.clone(),
        _ => {
            return Err(ApiError::new(
                ErrorCode::MessageNotFound,
                format!("no message at seq {seq} (system events cannot be changed)"),
            ));
        }
    };
    let carried: Vec<u64> = target.attachments.iter().map(|a| a.id).collect();
    let decided = decide(w, c, cid, target, role, group)?;
    let Some(event) = decided.event else {
        return Ok((decided.target.into_event(cid, seq), 0));
    };
    let Some(event_id) = c.event_ids.first() else {
        return Err(ApiError::new(
            ErrorCode::Internal,
            "command carries too few event ids",
        ));
    };
    let Some(ch) = w.channels.get_mut(&cid) else {
        return Err(rules::not_member());
    };
    let old_head = ch.head;
    ch.head += 1;
    let event_seq = ch.head;
    let audience = Arc::new(ch.member_ids());
    let mut target = decided.target;
    if matches!(event, SystemEvent::MessageEdited { .. }) {
        target.edit_seqs.push(event_seq);
    }
    let record = MessageRecord {
        message_id: *event_id,
        sender_id: c.user_id,
        sent_at_ms: c.at_ms,
        system: Some(event),
        ..MessageRecord::default()
    };
    out.rows = tables::MESSAGE.put(std::mem::take(&mut out.rows), &(cid, event_seq), &record);
    out.rows = tables::MESSAGE.put(std::mem::take(&mut out.rows), &(cid, seq), &target);
    if matches!(record.system, Some(SystemEvent::MessageDeleted { .. })) {
        // The deleted message no longer holds its files.
        for id in carried {
            let key = tables::ATTACHMENT_REF.key(&(id, cid, seq));
            out.rows = std::mem::take(&mut out.rows).delete(key);
        }
    }
    for (s, rec) in decided.rewrites {
        out.rows = tables::MESSAGE.put(std::mem::take(&mut out.rows), &(cid, s), &rec);
        w.messages.insert((cid, s), Some(rec));
    }
    if let Some(pins) = decided.pins {
        out.rows = tables::PINS.put(std::mem::take(&mut out.rows), &cid, &pins);
        w.pins.insert(cid, pins);
    }
    // Acting in a channel one had read keeps it read.
    let read = w.reads.get(&(c.user_id, cid)).copied().unwrap_or(0);
    if read >= old_head {
        out.rows =
            tables::READ_SEQ.put(std::mem::take(&mut out.rows), &(c.user_id, cid), &event_seq);
        w.reads.insert((c.user_id, cid), event_seq);
    }
    if record.system.as_ref().is_some_and(is_edit) {
        // A delete later in this batch erases this edit's text too.
        w.messages.insert((cid, event_seq), Some(record.clone()));
    }
    w.messages.insert((cid, seq), Some(target.clone()));
    out.stored.push(Stored {
        channel: cid,
        seq: event_seq,
        record,
        audience,
        quote: None,
    });
    Ok((target.into_event(cid, seq), event_seq))
}

fn is_edit(e: &SystemEvent) -> bool {
    matches!(e, SystemEvent::MessageEdited { .. })
}

/// Decides one change on `target` by `c.user_id` (a member with `role`).
fn decide(
    w: &Working,
    c: &CommandEntry,
    cid: u64,
    mut target: MessageRecord,
    role: Role,
    group: bool,
) -> Result<Decided, ApiError> {
    let seq = c.action.changes_message().unwrap_or(0);
    let unchanged = |target| Decided {
        target,
        event: None,
        rewrites: Vec::new(),
        pins: None,
    };
    let pins = w.pins.get(&cid).cloned().unwrap_or_default();
    if target.deleted.is_some() {
        // Deleting twice is a retry; anything else on a tombstone is refused.
        return match c.action {
            ChannelAction::Delete { .. } => Ok(unchanged(target)),
            _ => Err(ApiError::new(
                ErrorCode::MessageDeleted,
                "the message was deleted",
            )),
        };
    }
    match &c.action {
        ChannelAction::Edit { text, .. } => {
            if target.sender_id != c.user_id {
                return Err(ApiError::new(
                    ErrorCode::NotAuthor,
                    "only the author edits a message",
                ));
            }
            if *text == target.text {
                return Ok(unchanged(target));
            }
            let edits = u32::try_from(target.edit_seqs.len()).unwrap_or(u32::MAX);
            if edits >= limits::MAX_EDITS_PER_MESSAGE {
                return Err(ApiError::new(
                    ErrorCode::TooManyEdits,
                    format!(
                        "a message is edited at most {} times",
                        limits::MAX_EDITS_PER_MESSAGE
                    ),
                ));
            }
            let previous = std::mem::replace(&mut target.text, text.clone());
            target.original.get_or_insert(previous);
            target.edited_at = Some(c.at_ms);
            Ok(Decided {
                target,
                event: Some(SystemEvent::MessageEdited {
                    seq,
                    text: text.clone(),
                    edit: edits + 1,
                }),
                rewrites: Vec::new(),
                pins: None,
            })
        }
        ChannelAction::Delete { .. } => {
            let moderator = (group && matches!(role, Role::Owner | Role::Admin))
                || c.user_id == internal::OPERATOR;
            if target.sender_id != c.user_id && !moderator {
                return Err(ApiError::new(
                    ErrorCode::Forbidden,
                    "only the author, or a group's owner or admin, deletes a message for everyone",
                ));
            }
            // Its files are no longer readable through it (their objects go once no
            // other message, a forward, holds them: the media worker collects them).
            let gone = target.tombstone(c.user_id, c.at_ms);
            // The text is erased everywhere it was kept: the record, the original,
            // and every edit event's copy.
            let mut rewrites = Vec::new();
            for s in gone.edit_seqs {
                if let Some(Some(ev)) = w.messages.get(&(cid, s)) {
                    let mut ev = ev.clone();
                    if let Some(SystemEvent::MessageEdited { text, .. }) = &mut ev.system {
                        text.clear();
                    }
                    rewrites.push((s, ev));
                }
            }
            // A deleted message leaves the pinned list without an event of its own.
            let pins = gone.pinned.then(|| {
                let mut pins = pins;
                pins.retain(|(s, _, _)| *s != seq);
                pins
            });
            Ok(Decided {
                target,
                event: Some(SystemEvent::MessageDeleted { seq }),
                rewrites,
                pins,
            })
        }
        ChannelAction::React { emoji, add, .. } => {
            let at = target.reactions.iter().position(|(e, _)| e == emoji);
            let has = at.is_some_and(|i| target.reactions[i].1.contains(&c.user_id));
            if *add == has {
                return Ok(unchanged(target));
            }
            if *add {
                match at {
                    Some(i) => target.reactions[i].1.push(c.user_id),
                    None => {
                        if target.reactions.len() >= limits::MAX_REACTIONS_PER_MESSAGE {
                            return Err(ApiError::new(
                                ErrorCode::TooManyReactions,
                                format!(
                                    "a message carries at most {} different reactions",
                                    limits::MAX_REACTIONS_PER_MESSAGE
                                ),
                            ));
                        }
                        target.reactions.push((emoji.clone(), vec![c.user_id]));
                    }
                }
            } else if let Some(i) = at {
                target.reactions[i].1.retain(|u| *u != c.user_id);
                if target.reactions[i].1.is_empty() {
                    target.reactions.remove(i);
                }
            }
            let event = if *add {
                SystemEvent::ReactionAdded {
                    seq,
                    emoji: emoji.clone(),
                }
            } else {
                SystemEvent::ReactionRemoved {
                    seq,
                    emoji: emoji.clone(),
                }
            };
            Ok(Decided {
                target,
                event: Some(event),
                rewrites: Vec::new(),
                pins: None,
            })
        }
        ChannelAction::Pin { pin, .. } => {
            if group && !matches!(role, Role::Owner | Role::Admin) {
                return Err(ApiError::new(
                    ErrorCode::Forbidden,
                    "only a group's owner or admins pin messages",
                ));
            }
            if *pin == target.pinned.is_some() {
                return Ok(unchanged(target));
            }
            let mut pins = pins;
            if *pin {
                if pins.len() >= limits::MAX_PINS_PER_CHANNEL {
                    return Err(ApiError::new(
                        ErrorCode::TooManyPins,
                        format!(
                            "a channel has at most {} pinned messages",
                            limits::MAX_PINS_PER_CHANNEL
                        ),
                    ));
                }
                target.pinned = Some((c.user_id, c.at_ms));
                pins.push((seq, c.user_id, c.at_ms));
            } else {
                target.pinned = None;
                pins.retain(|(s, _, _)| *s != seq);
            }
            let event = if *pin {
                SystemEvent::MessagePinned { seq }
            } else {
                SystemEvent::MessageUnpinned { seq }
            };
            Ok(Decided {
                target,
                event: Some(event),
                rewrites: Vec::new(),
                pins: Some(pins),
            })
        }
        _ => Err(ApiError::new(ErrorCode::Internal, "not a message change")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::partition::rules::create;

    const G: u64 = 7;
    /// Owner 1, admin 2, members 3 and 4; message 1 by 3.
    fn working() -> Working {
        let (mut g, _) = create(None, G, 1, "g", &[2, 3, 4], 1).expect("create");
        if let Some(m) = g.members.get_mut(&2) {
            m.role = Role::Admin;
        }
        g.head = 1;
        let mut w = Working::default();
        w.channels.insert(G, g);
        w.messages.insert(
            (G, 1),
            Some(MessageRecord {
                message_id: 50,
                sender_id: 3,
                client_msg_id: "c".into(),
                text: "hello".into(),
                sent_at_ms: 10,
                ..MessageRecord::default()
            }),
        );
        w
    }

    fn cmd(user: u64, id: u64, action: ChannelAction) -> CommandEntry {
        CommandEntry {
            id,
            at_ms: 100 + id,
            user_id: user,
            channel_id: G,
            action,
            event_ids: vec![1000 + id, 2000 + id],
            reply_to: None,
        }
    }

    fn run(
        w: &mut Working,
        user: u64,
        id: u64,
        action: ChannelAction,
    ) -> Result<(MessageEvent, u64), ApiError> {
        apply(w, &cmd(user, id, action), &mut Applied::default())
    }

    fn edit(text: &str) -> ChannelAction {
        ChannelAction::Edit {
            seq: 1,
            text: text.into(),
        }
    }

    fn react(emoji: &str, add: bool) -> ChannelAction {
        ChannelAction::React {
            seq: 1,
            emoji: emoji.into(),
            add,
        }
    }

    #[test]
    fn only_the_author_edits_and_every_version_is_kept() {
        let mut w = working();
        let e = run(&mut w, 4, 1, edit("x")).expect_err("not the author");
        assert_eq!(e.code, ErrorCode::NotAuthor);
        let (m, seq) = run(&mut w, 3, 2, edit("hello, world")).expect("edit");
        assert_eq!(
            (m.text.as_str(), m.edits, m.edited_at, seq),
            ("hello, world", 1, Some(102), 2)
        );
        let (_, seq) = run(&mut w, 3, 3, edit("hi")).expect("second edit");
        assert_eq!(seq, 3);
        let rec = w.messages[&(G, 1)].clone().expect("record");
        assert_eq!(rec.original.as_deref(), Some("hello"));
        assert_eq!(rec.edit_seqs, vec![2, 3]);
        assert!(matches!(
            &w.messages[&(G, 3)].as_ref().expect("event").system,
            Some(SystemEvent::MessageEdited { seq: 1, text, edit: 2 }) if text == "hi"
        ));
        // The same text again changes nothing and appends nothing.
        let (_, seq) = run(&mut w, 3, 4, edit("hi")).expect("no-op");
        assert_eq!((seq, w.channels[&G].head), (0, 3));
    }

    #[test]
    fn a_deletion_erases_every_copy_of_the_text() {
        let mut w = working();
        run(&mut w, 3, 1, edit("secret v2")).expect("edit");
        run(&mut w, 4, 2, react("👍", true)).expect("react");
        let e = run(&mut w, 4, 3, ChannelAction::Delete { seq: 1 }).expect_err("a plain member");
        assert_eq!(e.code, ErrorCode::Forbidden);
        let mut out = Applied::default();
        let (m, seq) = apply(
            &mut w,
            &cmd(2, 4, ChannelAction::Delete { seq: 1 }),
            &mut out,
        )
        .expect("an admin deletes");
        assert_eq!(seq, 4);
        assert_eq!(
            m.deleted,
            Some(natter_protocol::ws::Deletion { by: 2, at: 104 })
        );
        assert!(m.text.is_empty() && m.reactions.is_empty() && m.edits == 0);
        let rec = w.messages[&(G, 1)].clone().expect("record");
        assert!(rec.original.is_none() && rec.text.is_empty());
        // The edit event's copy is rewritten without its text, in the same batch.
        let edit_event = w.messages[&(G, 2)].clone().expect("edit event");
        assert!(matches!(
            edit_event.system,
            Some(SystemEvent::MessageEdited { ref text, .. }) if text.is_empty()
        ));
        let puts: Vec<&[u8]> = out
            .rows
            .ops()
            .iter()
            .filter_map(|op| match op {
                natter_store::BatchOp::Put { value, .. } => Some(value.as_slice()),
                natter_store::BatchOp::Delete { .. } => None,
            })
            .collect();
        assert_eq!(puts.len(), 3, "event, tombstone, erased edit: {puts:?}");
        assert!(
            puts.iter().all(|v| !v.windows(6).any(|w| w == b"secret")),
            "no row written still holds the text"
        );
        // A second delete is a retry; anything else is refused.
        let (_, seq) = run(&mut w, 3, 5, ChannelAction::Delete { seq: 1 }).expect("retry");
        assert_eq!(seq, 0);
        for action in [edit("again"), react("👍", true)] {
            let e = run(&mut w, 3, 6, action).expect_err("deleted");
            assert_eq!(e.code, ErrorCode::MessageDeleted);
        }
    }

    #[test]
    fn reactions_are_one_per_emoji_per_user_and_capped() {
        let mut w = working();
        let (m, s1) = run(&mut w, 4, 1, react("👍", true)).expect("react");
        assert!(s1 > 0);
        assert_eq!(m.reactions[0].users, vec![4]);
        let (_, again) = run(&mut w, 4, 2, react("👍", true)).expect("repeat");
        assert_eq!(again, 0, "a repeat appends nothing");
        let (m, _) = run(&mut w, 1, 3, react("👍", true)).expect("another user");
        assert_eq!(
            (m.reactions[0].count, m.reactions[0].users.clone()),
            (2, vec![4, 1])
        );
        let (m, _) = run(&mut w, 4, 4, react("👍", false)).expect("take back");
        assert_eq!(m.reactions[0].users, vec![1]);
        let (_, none) = run(&mut w, 4, 5, react("👍", false)).expect("nothing to take back");
        assert_eq!(none, 0);
        for i in 1..limits::MAX_REACTIONS_PER_MESSAGE {
            run(&mut w, 2, 10 + i as u64, react(&format!("e{i}"), true)).expect("room");
        }
        let e = run(&mut w, 2, 99, react("🎉", true)).expect_err("cap");
        assert_eq!(e.code, ErrorCode::TooManyReactions);
        // An emoji already there still takes more users.
        run(&mut w, 3, 100, react("👍", true)).expect("existing emoji");
    }

    #[test]
    fn pins_are_for_group_admins_and_capped_and_a_deletion_unpins() {
        let mut w = working();
        let pin = |pin| ChannelAction::Pin { seq: 1, pin };
        let e = run(&mut w, 3, 1, pin(true)).expect_err("a plain member");
        assert_eq!(e.code, ErrorCode::Forbidden);
        let (m, seq) = run(&mut w, 2, 2, pin(true)).expect("an admin");
        assert!(m.pinned.is_some() && seq > 0);
        assert_eq!(run(&mut w, 1, 3, pin(true)).expect("repeat").1, 0);
        // The list is full of other messages: no room for one more.
        let full: Vec<(u64, u64, u64)> = (100..100 + limits::MAX_PINS_PER_CHANNEL as u64)
            .map(|s| (s, 1, 1))
            .collect();
        w.pins.insert(G, full.clone());
        run(&mut w, 1, 4, pin(false)).expect("unpin");
        assert_eq!(
            w.pins[&G], full,
            "unpinning a message not listed keeps the rest"
        );
        let e = run(&mut w, 1, 5, pin(true)).expect_err("full");
        assert_eq!(e.code, ErrorCode::TooManyPins);
        w.pins.insert(G, vec![(1, 2, 50)]);
        if let Some(Some(rec)) = w.messages.get_mut(&(G, 1)) {
            rec.pinned = Some((2, 50));
        }
        run(&mut w, 3, 6, ChannelAction::Delete { seq: 1 }).expect("author deletes");
        assert!(w.pins[&G].is_empty());
    }

    #[test]
    fn strangers_system_events_and_missing_messages_are_refused() {
        let mut w = working();
        let e = run(&mut w, 9, 1, react("👍", true)).expect_err("stranger");
        assert_eq!(e.code, ErrorCode::NotAMember);
        w.messages.insert((G, 5), None);
        let e = run(&mut w, 3, 2, ChannelAction::Delete { seq: 5 }).expect_err("missing");
        assert_eq!(e.code, ErrorCode::MessageNotFound);
        w.messages.insert(
            (G, 6),
            Some(MessageRecord {
                system: Some(SystemEvent::Renamed { name: "n".into() }),
                ..MessageRecord::default()
            }),
        );
        let e = run(&mut w, 1, 3, ChannelAction::Delete { seq: 6 }).expect_err("system event");
        assert_eq!(e.code, ErrorCode::MessageNotFound);
        assert_eq!(w.channels[&G].head, 1, "nothing appended");
    }
}
