//! Chat requests: a user whose privacy settings refuse a stranger's chat or group
//! addition gets a request instead, live on their socket and in their list, and
//! accepts (the chat opens, or they join the group) or declines. Nobody reaches
//! them this way who could not otherwise: not someone they block, not when they
//! take nothing from anyone, and not more than one waiting request per asker.

use natter_protocol::ErrorCode;
use natter_protocol::http::{Audience, UpdateProfileRequest};
use natter_protocol::ws::{ServerEvent, SystemEvent};
use natter_tests::{Device, System, api_code as code, user};

const BIN: &str = env!("CARGO_BIN_EXE_natter-under-test");

fn only(message: Audience, add: Audience) -> UpdateProfileRequest {
    UpdateProfileRequest {
        display_name: None,
        status_text: None,
        read_receipts: None,
        who_can_message: Some(message),
        who_can_add: Some(add),
        who_sees_presence: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_chat_or_addition_becomes_a_request_to_accept_or_decline() {
    let mut sys = System::start(BIN, 0).await;
    sys.start_edge_with(&["--group-add-policy", "contacts"]);
    sys.wait_ready().await;
    let c = sys.client(0);
    let (pat, pat_id) = user(&c, "pat").await;
    let (sam, sam_id) = user(&c, "sam").await;
    let (mallory, mallory_id) = user(&c, "mallory").await;
    let (member, _) = user(&c, "member").await;
    pat.update_me(&only(Audience::Contacts, Audience::Contacts))
        .await
        .expect("settings");
    let (mut p, _) = Device::connect(&pat, "pat-1").await;

    // Sam, a stranger, cannot open a chat; he asks, and Pat is told at once.
    assert_eq!(code(sam.open_dm(pat_id).await), Some(ErrorCode::Forbidden));
    let asked = sam.request_chat(pat_id, None).await.expect("request");
    let again = sam.request_chat(pat_id, None).await.expect("again");
    assert_eq!(again.id, asked.id, "one waiting request per asker");
    let (_, told) = p
        .wait_for(|e| match e {
            ServerEvent::ChatRequest(r) => Some(r.clone()),
            _ => None,
        })
        .await;
    assert_eq!((told.id, told.from, told.group), (asked.id, sam_id, None));
    let waiting = pat.chat_requests().await.expect("list");
    assert_eq!(waiting.len(), 1);
    // Only Pat answers it.
    assert_eq!(
        code(sam.accept_request(asked.id).await),
        Some(ErrorCode::NotFound)
    );
    let dm = pat.accept_request(asked.id).await.expect("accepted");
    assert_eq!(sam.open_dm(pat_id).await.expect("the chat").id, dm.id);
    assert!(pat.chat_requests().await.expect("list").is_empty());
    assert_eq!(
        code(pat.accept_request(asked.id).await),
        Some(ErrorCode::NotFound)
    );

    // Sam (now a contact) may add Pat to groups; Mallory may not, and asks.
    let g = mallory.create_group("club", &[]).await.expect("group");
    assert_eq!(
        code(mallory.add_members(g.id, &[pat_id]).await),
        Some(ErrorCode::Forbidden)
    );
    let member_id = member.me().await.expect("me").id;
    member.open_dm(mallory_id).await.expect("contacts");
    mallory
        .add_members(g.id, &[member_id])
        .await
        .expect("a willing member");
    assert_eq!(
        code(member.request_chat(pat_id, Some(g.id)).await),
        Some(ErrorCode::Forbidden),
        "only owners and admins ask someone to join"
    );
    let invited = mallory
        .request_chat(pat_id, Some(g.id))
        .await
        .expect("request to join");
    assert_eq!(invited.group_name.as_deref(), Some("club"));
    let list = pat.chat_requests().await.expect("list");
    assert_eq!(list[0].group, Some(g.id));
    let joined = pat.accept_request(invited.id).await.expect("joined");
    assert!(joined.members.contains(&pat_id));
    let added = mallory
        .full_history(g.id)
        .await
        .expect("history")
        .into_iter()
        .filter_map(|m| m.system)
        .any(|e| {
            e == SystemEvent::MembersAdded {
                users: vec![pat_id],
            }
        });
    assert!(added, "the group sees Pat added");

    // Declined: gone, and nothing opened.
    let (stranger, _) = user(&c, "stranger").await;
    let r = stranger.request_chat(pat_id, None).await.expect("request");
    pat.decline_request(r.id).await.expect("declined");
    assert!(pat.chat_requests().await.expect("list").is_empty());
    assert_eq!(
        code(stranger.open_dm(pat_id).await),
        Some(ErrorCode::Forbidden)
    );

    // Pat blocks Mallory: no more requests from her; and with `nobody`, none from
    // anyone.
    pat.block(mallory_id).await.expect("block");
    assert_eq!(
        code(mallory.request_chat(pat_id, None).await),
        Some(ErrorCode::Forbidden)
    );
    pat.update_me(&only(Audience::Nobody, Audience::Nobody))
        .await
        .expect("nobody");
    assert_eq!(
        code(stranger.request_chat(pat_id, None).await),
        Some(ErrorCode::Forbidden)
    );
    assert_eq!(
        code(sam.request_chat(sam_id, None).await),
        Some(ErrorCode::BadRequest)
    );
}
