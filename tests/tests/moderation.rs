//! Group moderation: owners and admins ban (removed, and not to be added again until
//! unbanned) and mute members for a time (their sends refused until then), within
//! the role rules; the group sees each as an event. Invite links let in as many as
//! they say until revoked, never a banned user.

use natter_protocol::ErrorCode;
use natter_protocol::http::Role;
use natter_protocol::ws::{ClientOp, SystemEvent};
use natter_tests::{Device, System, api_code as code, user};

const BIN: &str = env!("CARGO_BIN_EXE_natter-under-test");

fn send(channel: u64, cmid: &str) -> ClientOp {
    ClientOp::Send {
        channel,
        client_msg_id: cmid.into(),
        text: format!("text of {cmid}"),
        reply_to: None,
        forward: None,
        attachments: Vec::new(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn owners_and_admins_ban_and_mute_within_their_roles() {
    let sys = System::start(BIN, 1).await;
    let c = sys.client(0);
    let (alice, _) = user(&c, "alice").await;
    let (bob, bob_id) = user(&c, "bob").await;
    let (carol, carol_id) = user(&c, "carol").await;
    let (dave, dave_id) = user(&c, "dave").await;
    let g = alice
        .create_group("club", &[bob_id, carol_id, dave_id])
        .await
        .expect("group");
    alice
        .set_role(g.id, bob_id, Role::Admin)
        .await
        .expect("bob admin");
    let alice_id = alice.me().await.expect("me").id;
    let (mut cd, _) = Device::connect(&carol, "carol-1").await;
    let (mut dd, _) = Device::connect(&dave, "dave-1").await;

    // Who may ban whom.
    assert_eq!(
        code(dave.ban(g.id, carol_id).await),
        Some(ErrorCode::Forbidden),
        "a member may not"
    );
    assert_eq!(
        code(bob.ban(g.id, alice_id).await),
        Some(ErrorCode::Forbidden),
        "an admin may not ban the owner"
    );
    assert_eq!(
        code(bob.ban(g.id, bob_id).await),
        Some(ErrorCode::Forbidden)
    );

    // Bob bans Carol: she gets the ban and nothing after it, cannot send, and
    // cannot be added back until unbanned.
    let after = bob.ban(g.id, carol_id).await.expect("ban");
    assert!(!after.members.contains(&carol_id));
    let got = cd.messages(1).await.remove(0);
    assert_eq!(
        got.system,
        Some(SystemEvent::MemberBanned { user: carol_id })
    );
    assert_eq!(
        cd.send_op(send(g.id, "c1")).await,
        Err(ErrorCode::NotAMember)
    );
    assert_eq!(
        code(alice.add_members(g.id, &[carol_id]).await),
        Some(ErrorCode::Forbidden)
    );
    bob.ban(g.id, carol_id)
        .await
        .expect("banning again changes nothing");
    let list = alice.members(g.id).await.expect("members");
    assert_eq!(list.banned, vec![carol_id], "the ban is listed");
    alice.unban(g.id, carol_id).await.expect("unban");
    let back = alice
        .add_members(g.id, &[carol_id])
        .await
        .expect("added again");
    assert!(back.members.contains(&carol_id));

    // Bob mutes Dave: Dave's sends and typing are refused, with how long; the others
    // see the mute; Alice lifts it and Dave sends again.
    assert_eq!(
        code(dave.mute_member(g.id, bob_id, 5).await),
        Some(ErrorCode::Forbidden)
    );
    assert_eq!(
        code(bob.mute_member(g.id, dave_id, 0).await),
        Some(ErrorCode::BadRequest)
    );
    bob.mute_member(g.id, dave_id, 5).await.expect("mute");
    let list = alice.members(g.id).await.expect("members");
    let until = list
        .members
        .iter()
        .find(|m| m.user == dave_id)
        .and_then(|m| m.muted_until);
    assert!(until.is_some(), "the mute is listed: {list:?}");
    let muted = loop {
        let m = dd.messages(1).await.remove(0);
        if let Some(SystemEvent::MemberMuted { user, until }) = m.system {
            break (user, until);
        }
    };
    assert_eq!(muted.0, dave_id);
    assert!(muted.1 > natter_protocol::now_ms() + 4 * 60_000);
    assert_eq!(
        dd.send_op(send(g.id, "d1")).await,
        Err(ErrorCode::Forbidden)
    );
    dd.conn.typing(g.id).await.expect("frame sent");
    assert_eq!(dd.next_error().await, ErrorCode::Forbidden);
    alice.unmute_member(g.id, dave_id).await.expect("unmute");
    loop {
        let m = dd.messages(1).await.remove(0);
        if m.system
            == Some(SystemEvent::MemberMuted {
                user: dave_id,
                until: 0,
            })
        {
            break;
        }
    }
    dd.send_op(send(g.id, "d2"))
        .await
        .expect("dave sends again");

    // Invite links: owners and admins make and revoke them; they let in as many as
    // they say, and never a banned user.
    let (eve, eve_id) = user(&c, "eve").await;
    let (frank, _) = user(&c, "frank").await;
    let (gina, _) = user(&c, "gina").await;
    assert_eq!(
        code(dave.create_invite(g.id, 60, 2).await),
        Some(ErrorCode::Forbidden)
    );
    assert_eq!(
        code(bob.create_invite(g.id, 0, 2).await),
        Some(ErrorCode::BadRequest)
    );
    let invite = bob.create_invite(g.id, 60, 2).await.expect("invite");
    assert_eq!((invite.group, invite.max_uses, invite.uses), (g.id, 2, 0));
    let joined = eve.join_by_invite(&invite.code).await.expect("eve joins");
    assert!(joined.members.contains(&eve_id));
    eve.join_by_invite(&invite.code)
        .await
        .expect("joining again changes nothing");
    frank
        .join_by_invite(&invite.code)
        .await
        .expect("frank joins");
    assert_eq!(
        code(gina.join_by_invite(&invite.code).await),
        Some(ErrorCode::NotFound),
        "used up"
    );
    assert!(
        alice.invites(g.id).await.expect("list").is_empty(),
        "a used-up invite is not listed"
    );
    assert_eq!(code(dave.invites(g.id).await), Some(ErrorCode::Forbidden));
    // A banned user cannot come back through a link.
    bob.ban(g.id, carol_id).await.expect("ban carol again");
    let open = alice.create_invite(g.id, 60, 0).await.expect("invite");
    assert_eq!(
        code(carol.join_by_invite(&open.code).await),
        Some(ErrorCode::Forbidden)
    );
    assert_eq!(alice.invites(g.id).await.expect("list"), vec![open.clone()]);
    alice.revoke_invite(g.id, &open.code).await.expect("revoke");
    assert_eq!(
        code(gina.join_by_invite(&open.code).await),
        Some(ErrorCode::NotFound),
        "revoked"
    );
    assert_eq!(
        code(gina.join_by_invite("garbage").await),
        Some(ErrorCode::NotFound)
    );
    assert_eq!(
        code(
            gina.join_by_invite(&format!("{}-{}", g.id, "0".repeat(24)))
                .await
        ),
        Some(ErrorCode::NotFound)
    );
}
