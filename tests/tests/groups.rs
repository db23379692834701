//! Groups end to end: fan-out to 100 members, the size limit, removal, roles.

use std::collections::HashMap;

use natter_client::Client;
use natter_protocol::ErrorCode;
use natter_protocol::http::{ChannelKind, Role};
use natter_protocol::ws::{MessageEvent, ServerEvent, SystemEvent};
use natter_tests::{Device, System, user};

const BIN: &str = env!("CARGO_BIN_EXE_natter-under-test");

/// Signs up `n` users named `<prefix>NNN`, spreading them over the system's edges.
async fn users(sys: &System, prefix: &str, n: usize) -> Vec<(Client, u64)> {
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        out.push(user(&sys.client(i % sys.edges.len()), &format!("{prefix}{i:03}")).await);
    }
    out
}

fn seqs(ms: &[MessageEvent]) -> Vec<u64> {
    ms.iter().map(|m| m.seq).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_to_a_group_of_100_reaches_every_member_once_in_the_same_order() {
    let sys = System::start(BIN, 2).await;
    let people = users(&sys, "member", 100).await;
    let (owner, _) = &people[0];
    let others: Vec<u64> = people[1..].iter().map(|(_, id)| *id).collect();
    let group = owner.create_group("Hundred", &others).await.unwrap();
    assert_eq!(group.kind, ChannelKind::Group);
    assert_eq!(group.members.len(), 100);

    // Every member online, half on each edge.
    let mut devices = Vec::new();
    for (i, (client, _)) in people.iter().enumerate() {
        let (d, caught_up) = Device::connect(client, &format!("dev-{i}")).await;
        // The creation event is the group's seq 1, and every member catches up on it.
        assert_eq!(seqs(&caught_up), vec![1]);
        devices.push(d);
    }

    // Ten members send two messages each, interleaved.
    const SENDERS: usize = 10;
    for round in 0..2 {
        for s in 0..SENDERS {
            let idx = s * 9;
            devices[idx]
                .send(
                    group.id,
                    &format!("r{round}-s{s}"),
                    &format!("hello {round} {s}"),
                )
                .await;
        }
    }
    let n = 2 * SENDERS;
    let mut orders: Vec<Vec<(u64, u64)>> = Vec::new();
    for d in devices.iter_mut() {
        let got = d.messages(n).await;
        assert_eq!(seqs(&got), (2..=n as u64 + 1).collect::<Vec<_>>());
        orders.push(got.iter().map(|m| (m.seq, m.message_id)).collect());
    }
    assert!(
        orders.windows(2).all(|w| w[0] == w[1]),
        "members saw different orders"
    );

    // Nothing more: a duplicate would arrive before this sentinel.
    devices[0].send(group.id, "sentinel", "end").await;
    for d in devices.iter_mut() {
        let m = d.messages(1).await;
        assert_eq!(
            (m[0].seq, m[0].client_msg_id.as_str()),
            (n as u64 + 2, "sentinel")
        );
    }

    // One stored copy per message: history has exactly the seqs 1..=head.
    let history = owner.full_history(group.id).await.unwrap();
    assert_eq!(seqs(&history), (1..=n as u64 + 2).collect::<Vec<_>>());

    // The 101st member is refused and nothing changes.
    let (_, extra) = user(&sys.client(0), "member_extra").await;
    let err = owner.add_members(group.id, &[extra]).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::GroupFull));
    assert_eq!(owner.channel(group.id).await.unwrap().members.len(), 100);
    assert_eq!(
        owner
            .history(group.id, &Default::default())
            .await
            .unwrap()
            .head_seq,
        n as u64 + 2
    );
    // Creating one with 100 others is refused the same way.
    let mut too_many = others.clone();
    too_many.push(extra);
    let err = owner.create_group("Too big", &too_many).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::GroupFull));
    // Room is made by a removal, then the add works.
    owner.remove_member(group.id, others[0]).await.unwrap();
    let g = owner.add_members(group.id, &[extra]).await.unwrap();
    assert_eq!(g.members.len(), 100);
    assert!(g.members.contains(&extra));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_removed_member_gets_the_removal_then_nothing_and_can_neither_send_nor_read_on() {
    let sys = System::start(BIN, 1).await;
    let (owner, owner_id) = user(&sys.client(0), "owner").await;
    let (bob, bob_id) = user(&sys.client(0), "bob").await;
    let (carol, carol_id) = user(&sys.client(0), "carol").await;
    let group = owner
        .create_group("Three", &[bob_id, carol_id])
        .await
        .unwrap();
    let (mut o, _) = Device::connect(&owner, "o").await;
    let (mut b, _) = Device::connect(&bob, "b").await;
    let (mut c, _) = Device::connect(&carol, "c").await;

    // Carol sends once while a member (this also warms the edge's membership cache).
    c.send(group.id, "c-1", "hi all").await;
    for d in [&mut o, &mut b, &mut c] {
        assert_eq!(d.messages(1).await[0].client_msg_id, "c-1");
    }

    owner.remove_member(group.id, carol_id).await.unwrap();
    let removal = c.messages(1).await.remove(0);
    assert_eq!(removal.seq, 3);
    assert_eq!(removal.sender, owner_id);
    assert_eq!(
        removal.system,
        Some(SystemEvent::MemberRemoved { user: carol_id })
    );
    for d in [&mut o, &mut b] {
        assert_eq!(d.messages(1).await[0].system, removal.system);
    }

    // The edge learned of the removal from the store worker's notice, not a TTL: the
    // send is refused at once, never acked.
    c.conn.send(group.id, "c-2", "still here?").await.unwrap();
    let (_, code) = c
        .wait_for(|e| match e {
            ServerEvent::Ack { client_msg_id, .. } if client_msg_id == "c-2" => Some(None),
            ServerEvent::Error {
                code,
                client_msg_id,
                ..
            } if client_msg_id.as_deref() == Some("c-2") => Some(Some(*code)),
            _ => None,
        })
        .await;
    assert_eq!(
        code,
        Some(ErrorCode::NotAMember),
        "a removed member's send was acked"
    );

    // Messages after the removal reach the members, not Carol.
    o.send(group.id, "o-1", "without carol").await;
    assert_eq!(b.messages(1).await[0].client_msg_id, "o-1");
    // A 1:1 message to Carol sent afterwards arrives; the group message never did.
    let dm = owner.open_dm(carol_id).await.unwrap();
    o.send(dm.id, "dm-1", "sorry").await;
    let next = c.messages(1).await.remove(0);
    assert_eq!((next.channel, next.client_msg_id.as_str()), (dm.id, "dm-1"));

    // History stops at the removal for her; the group left her channel list.
    let page = carol.history(group.id, &Default::default()).await.unwrap();
    assert_eq!(page.head_seq, 3);
    assert_eq!(seqs(&page.messages), vec![1, 2, 3]);
    let list = carol.channels(None, None).await.unwrap();
    assert!(list.channels.iter().all(|ch| ch.id != group.id));
    assert_eq!(
        carol.channel(group.id).await.unwrap_err().code(),
        Some(ErrorCode::NotAMember)
    );
    // A reconnecting device of hers gets up to the removal, nothing later.
    let (_, caught_up) = Device::connect(&carol, "c-new").await;
    let group_seqs: Vec<u64> = caught_up
        .iter()
        .filter(|m| m.channel == group.id)
        .map(|m| m.seq)
        .collect();
    assert_eq!(group_seqs, vec![1, 2, 3]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roles_decide_who_may_change_a_group() {
    let sys = System::start(BIN, 1).await;
    let (owner, owner_id) = user(&sys.client(0), "owner").await;
    let (admin, admin_id) = user(&sys.client(0), "admin").await;
    let (member, member_id) = user(&sys.client(0), "member").await;
    let (_, dave_id) = user(&sys.client(0), "dave").await;
    let (stranger, _) = user(&sys.client(0), "stranger").await;
    let g = owner
        .create_group("Club", &[admin_id, member_id])
        .await
        .unwrap();
    let code = |r: Result<natter_protocol::http::Channel, natter_client::ClientError>| {
        r.unwrap_err().code()
    };

    // Bad input first: nothing changes.
    assert_eq!(
        code(owner.create_group("", &[]).await),
        Some(ErrorCode::InvalidGroupName)
    );
    assert_eq!(
        code(owner.create_group("x", &[424242]).await),
        Some(ErrorCode::UserNotFound)
    );
    assert_eq!(
        code(owner.rename_group(g.id, &"n".repeat(65)).await),
        Some(ErrorCode::InvalidGroupName)
    );

    // Members may not manage; strangers are not members.
    assert_eq!(
        code(member.add_members(g.id, &[dave_id]).await),
        Some(ErrorCode::Forbidden)
    );
    assert_eq!(
        code(member.rename_group(g.id, "Mine").await),
        Some(ErrorCode::Forbidden)
    );
    assert_eq!(
        code(member.remove_member(g.id, admin_id).await),
        Some(ErrorCode::Forbidden)
    );
    assert_eq!(
        code(stranger.add_members(g.id, &[dave_id]).await),
        Some(ErrorCode::NotAMember)
    );
    assert_eq!(
        stranger
            .history(g.id, &Default::default())
            .await
            .unwrap_err()
            .code(),
        Some(ErrorCode::NotAMember)
    );
    // Only the owner sets roles.
    assert_eq!(
        code(admin.set_role(g.id, member_id, Role::Admin).await),
        Some(ErrorCode::Forbidden)
    );
    owner.set_role(g.id, admin_id, Role::Admin).await.unwrap();
    // Admins add, rename and remove members, but not the owner.
    admin.add_members(g.id, &[dave_id]).await.unwrap();
    admin.rename_group(g.id, "Club 2").await.unwrap();
    assert_eq!(
        code(admin.remove_member(g.id, owner_id).await),
        Some(ErrorCode::Forbidden)
    );
    admin.remove_member(g.id, dave_id).await.unwrap();
    // Group operations on a 1:1 channel.
    let dm = owner.open_dm(member_id).await.unwrap();
    assert_eq!(
        code(owner.add_members(dm.id, &[dave_id]).await),
        Some(ErrorCode::NotAGroup)
    );

    // The owner leaves: the admin inherits the group.
    owner.leave_group(g.id).await.unwrap();
    let roles: HashMap<u64, Role> = admin
        .members(g.id)
        .await
        .unwrap()
        .members
        .into_iter()
        .map(|m| (m.user, m.role))
        .collect();
    assert_eq!(
        roles,
        HashMap::from([(admin_id, Role::Owner), (member_id, Role::Member)])
    );

    // Every change is in the history, in order.
    let history = admin.full_history(g.id).await.unwrap();
    let kinds: Vec<SystemEvent> = history.into_iter().filter_map(|m| m.system).collect();
    assert_eq!(
        kinds,
        vec![
            SystemEvent::GroupCreated {
                name: "Club".into(),
                members: {
                    let mut m = vec![owner_id, admin_id, member_id];
                    m.sort_unstable();
                    m
                }
            },
            SystemEvent::RoleChanged {
                user: admin_id,
                role: Role::Admin
            },
            SystemEvent::MembersAdded {
                users: vec![dave_id]
            },
            SystemEvent::Renamed {
                name: "Club 2".into()
            },
            SystemEvent::MemberRemoved { user: dave_id },
            SystemEvent::MemberLeft { user: owner_id },
            SystemEvent::RoleChanged {
                user: admin_id,
                role: Role::Owner
            },
        ]
    );
    assert_eq!(
        admin.channel(g.id).await.unwrap().name.as_deref(),
        Some("Club 2")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_added_later_gets_the_earlier_history_before_the_addition() {
    let sys = System::start(BIN, 1).await;
    let (owner, _) = user(&sys.client(0), "owner").await;
    let (_, bob_id) = user(&sys.client(0), "bob").await;
    let (late, late_id) = user(&sys.client(0), "late").await;
    let g = owner.create_group("Early", &[bob_id]).await.unwrap();
    let (mut o, _) = Device::connect(&owner, "o").await;
    for i in 0..30 {
        o.send(g.id, &format!("e{i}"), "before you came").await;
    }
    // Online before being added: the addition event (seq 32) is the first live event
    // of a channel this socket has never seen; the edge fills seqs 1..=31 first.
    let (mut d, caught_up) = Device::connect(&late, "l").await;
    assert!(caught_up.is_empty());
    owner.add_members(g.id, &[late_id]).await.unwrap();
    let got = d.messages(32).await;
    assert_eq!(seqs(&got), (1..=32).collect::<Vec<_>>());
    assert_eq!(
        got[31].system,
        Some(SystemEvent::MembersAdded {
            users: vec![late_id]
        })
    );
    o.send(g.id, "welcome", "welcome").await;
    assert_eq!(d.messages(1).await[0].seq, 33);
}

fn code(r: Result<natter_protocol::http::Channel, natter_client::ClientError>) -> ErrorCode {
    match r {
        Err(natter_client::ClientError::Api(e)) => e.code,
        other => panic!("expected a typed error, got {other:?}"),
    }
}

/// Nobody can bury a user under groups: by default only someone who shares a chat
/// with a user may add them to a group, and a user is in at most
/// `MAX_CHANNELS_PER_USER` channels, refused explicitly (not left out of their
/// list or catch-up, as before).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_adds_need_a_shared_chat_and_a_users_channels_are_capped() {
    use natter_protocol::limits::MAX_CHANNELS_PER_USER;
    let mut sys = System::start(BIN, 1).await;
    let i = sys.start_edge_with(&["--group-add-policy", "contacts"]);
    let (mallory, _) = user(&sys.client(i), "mallory").await;
    let (victim, victim_id) = user(&sys.client(i), "victim").await;
    let (friend, _) = user(&sys.client(i), "friend").await;

    // A stranger may not add the victim to a group, nor create one with them.
    assert_eq!(
        code(mallory.create_group("Spam", &[victim_id]).await),
        ErrorCode::Forbidden
    );
    let mine = mallory.create_group("Mine", &[]).await.unwrap();
    assert_eq!(
        code(mallory.add_members(mine.id, &[victim_id]).await),
        ErrorCode::Forbidden
    );
    // Once they share a chat, they may.
    mallory.open_dm(victim_id).await.unwrap();
    mallory.add_members(mine.id, &[victim_id]).await.unwrap();

    // The victim is in 2 channels; fill up to the cap with groups of their own.
    let groups = MAX_CHANNELS_PER_USER - 2;
    let made = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let workers: Vec<_> = (0..8)
        .map(|_| {
            let (victim, made) = (victim.clone(), made.clone());
            tokio::spawn(async move {
                while made.fetch_add(1, std::sync::atomic::Ordering::SeqCst) < groups {
                    victim.create_group("Mine too", &[]).await.unwrap();
                }
            })
        })
        .collect();
    for w in workers {
        w.await.unwrap();
    }
    // Full: a further group (made by anyone) and a new 1:1 channel are refused with
    // a typed error naming the limit, and nothing of the victim's is left out.
    assert_eq!(
        code(mallory.create_group("Spam", &[victim_id]).await),
        ErrorCode::TooManyChannels
    );
    assert_eq!(
        code(victim.create_group("One more", &[]).await),
        ErrorCode::TooManyChannels
    );
    assert_eq!(
        code(friend.open_dm(victim_id).await),
        ErrorCode::TooManyChannels
    );
    // Leaving one makes room: the friend's DM works, leads the victim's list, and
    // its message is in the victim's catch-up.
    victim.leave_group(mine.id).await.unwrap();
    let dm = friend.open_dm(victim_id).await.unwrap();
    let (mut f, _) = Device::connect(&friend, "f").await;
    f.send(dm.id, "hi", "are you still there?").await;
    let (_v, caught_up) = Device::connect(&victim, "v").await;
    assert!(
        caught_up.iter().any(|m| m.text == "are you still there?"),
        "the friend's message is in the victim's catch-up"
    );
    let first = victim.channels(Some(1), None).await.unwrap();
    assert_eq!(
        first.channels[0].id, dm.id,
        "the DM leads the victim's list"
    );
}
