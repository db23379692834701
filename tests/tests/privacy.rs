//! Privacy settings: who may start a 1:1 chat with a user, put them in a group and
//! see their presence (everyone, contacts, nobody), each checked by a stranger, a
//! contact and, where the setting is `nobody`, both; the defaults hold for users
//! who never chose.

use natter_client::Client;
use natter_protocol::ErrorCode;
use natter_protocol::http::{Audience, UpdateProfileRequest};
use natter_tests::{System, api_code as code, user};

const BIN: &str = env!("CARGO_BIN_EXE_natter-under-test");

fn setting(
    message: Option<Audience>,
    add: Option<Audience>,
    presence: Option<Audience>,
) -> UpdateProfileRequest {
    UpdateProfileRequest {
        display_name: None,
        status_text: None,
        read_receipts: None,
        who_can_message: message,
        who_can_add: add,
        who_sees_presence: presence,
    }
}

async fn sees_presence(viewer: &Client, user: u64) -> bool {
    viewer.user(user).await.expect("profile").presence.is_some()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn who_may_message_add_and_see_a_user_is_theirs_to_choose() {
    // The production defaults (the harness's edges otherwise relax both).
    let mut sys = System::start(BIN, 0).await;
    sys.start_edge_with(&[
        "--presence-visibility",
        "contacts",
        "--group-add-policy",
        "contacts",
    ]);
    sys.wait_ready().await;
    let c = sys.client(0);
    let (pat, pat_id) = user(&c, "pat").await;
    let (friend, _) = user(&c, "friend").await;
    let (stranger, _) = user(&c, "stranger").await;
    let (other, other_id) = user(&c, "other").await;
    // Pat and Friend share a chat: contacts. Stranger shares nothing with Pat.
    friend.open_dm(pat_id).await.expect("a shared chat");

    // The defaults: anyone may start a chat; only contacts may add to groups and see
    // presence.
    let me = pat.me().await.expect("me");
    let s = me.settings.expect("own settings");
    assert_eq!(
        (s.who_can_message, s.who_can_add, s.who_sees_presence),
        (None, None, None)
    );
    assert!(sees_presence(&friend, pat_id).await);
    assert!(!sees_presence(&stranger, pat_id).await);
    assert_eq!(
        code(stranger.create_group("x", &[pat_id]).await),
        Some(ErrorCode::Forbidden)
    );
    other
        .open_dm(pat_id)
        .await
        .expect("anyone may start a chat");

    // Contacts only for chats; everyone for presence and groups.
    let me = pat
        .update_me(&setting(
            Some(Audience::Contacts),
            Some(Audience::Everyone),
            Some(Audience::Everyone),
        ))
        .await
        .expect("update");
    assert_eq!(
        me.settings.expect("settings").who_can_message,
        Some(Audience::Contacts)
    );
    assert_eq!(
        code(stranger.open_dm(pat_id).await),
        Some(ErrorCode::Forbidden)
    );
    friend.open_dm(pat_id).await.expect("a contact may");
    stranger
        .create_group("open", &[pat_id])
        .await
        .expect("anyone may add now");
    assert!(sees_presence(&stranger, pat_id).await);
    // (Stranger and Pat now share "open": contacts from here on.)
    stranger.open_dm(pat_id).await.expect("now a contact");

    // Nobody: not even contacts; existing chats go on.
    pat.update_me(&setting(
        Some(Audience::Nobody),
        Some(Audience::Nobody),
        Some(Audience::Nobody),
    ))
    .await
    .expect("update");
    let (late, _) = user(&c, "late").await;
    assert_eq!(code(late.open_dm(pat_id).await), Some(ErrorCode::Forbidden));
    assert_eq!(
        code(friend.create_group("again", &[pat_id]).await),
        Some(ErrorCode::Forbidden)
    );
    assert!(!sees_presence(&friend, pat_id).await);
    assert!(sees_presence(&pat, pat_id).await, "one sees oneself");
    friend
        .open_dm(pat_id)
        .await
        .expect("an existing chat stays open");
    // Others' settings are theirs: Pat may still add Other (default: contacts, and
    // they now share the 1:1 chat Other opened).
    pat.create_group("mine", &[other_id])
        .await
        .expect("pat's own additions");
}
