//! docs/asyncapi.yaml against the WebSocket types: every client op, server event,
//! system event kind and error code of `natter_protocol::ws` must be described there
//! (and nothing else), so the document cannot silently drift from the code.

use std::collections::BTreeSet;

use natter_protocol::http::{Presence, Role};
use natter_protocol::ws::{KNOWN_OPS, MessageEvent, ServerEvent, SystemEvent};
use natter_protocol::{ApiError, ErrorCode};
use serde_json::Value;

fn document() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/asyncapi.yaml");
    let text = std::fs::read_to_string(path).expect("docs/asyncapi.yaml");
    yaml_serde::from_str(&text).expect("docs/asyncapi.yaml is YAML")
}

/// One event of each kind. The match makes a new variant a compile error here until
/// it is added (and so checked against the document).
fn every_event() -> Vec<ServerEvent> {
    let message = MessageEvent {
        channel: 1,
        seq: 1,
        message_id: 1,
        sender: 1,
        client_msg_id: "c".into(),
        text: "t".into(),
        sent_at: 1,
        ..MessageEvent::default()
    };
    let events = vec![
        ServerEvent::Hello {
            protocol: 1,
            user_id: 1,
            device_id: "d".into(),
            max_text_chars: 1,
            max_frame_bytes: 1,
        },
        ServerEvent::Ack {
            client_msg_id: "c".into(),
            message_id: 1,
            channel: 1,
        },
        ServerEvent::Message(message),
        ServerEvent::Pong {},
        ServerEvent::Hidden { channel: 1, seq: 1 },
        ServerEvent::ChatRequest(natter_protocol::http::ChatRequest {
            id: 1,
            from: 1,
            to: 2,
            group: None,
            group_name: None,
            created_at: 1,
            expires_at: 2,
        }),
        ServerEvent::Receipt {
            channel: 1,
            user: 1,
            read: Some(1),
            delivered: None,
        },
        ServerEvent::Read { channel: 1, seq: 1 },
        ServerEvent::Typing {
            channel: 1,
            user: 1,
        },
        ServerEvent::Presence(Presence {
            user: 1,
            online: true,
            last_seen: None,
            changed_at: 1,
        }),
        ServerEvent::Reconnect {
            reason: "draining".into(),
        },
        ServerEvent::Synced {
            channels: 0,
            messages: 0,
        },
        ServerEvent::error(ApiError::new(ErrorCode::Internal, "x"), None),
    ];
    for e in &events {
        match e {
            ServerEvent::Hello { .. }
            | ServerEvent::Ack { .. }
            | ServerEvent::Message(_)
            | ServerEvent::Pong {}
            | ServerEvent::Hidden { .. }
            | ServerEvent::ChatRequest(_)
            | ServerEvent::Receipt { .. }
            | ServerEvent::Read { .. }
            | ServerEvent::Typing { .. }
            | ServerEvent::Presence(_)
            | ServerEvent::Reconnect { .. }
            | ServerEvent::Synced { .. }
            | ServerEvent::Error { .. } => {}
        }
    }
    events
}

/// One system event of each kind, kept exhaustive the same way.
fn every_system_event() -> Vec<SystemEvent> {
    let events = vec![
        SystemEvent::GroupCreated {
            name: "g".into(),
            members: vec![1],
        },
        SystemEvent::MembersAdded { users: vec![1] },
        SystemEvent::MemberRemoved { user: 1 },
        SystemEvent::MemberLeft { user: 1 },
        SystemEvent::MemberBanned { user: 1 },
        SystemEvent::MemberUnbanned { user: 1 },
        SystemEvent::MemberMuted { user: 1, until: 1 },
        SystemEvent::Renamed { name: "g".into() },
        SystemEvent::RoleChanged {
            user: 1,
            role: Role::Admin,
        },
        SystemEvent::MessageEdited {
            seq: 1,
            text: "t".into(),
            edit: 1,
        },
        SystemEvent::MessageDeleted { seq: 1 },
        SystemEvent::MessagePinned { seq: 1 },
        SystemEvent::MessageUnpinned { seq: 1 },
        SystemEvent::ReactionAdded {
            seq: 1,
            emoji: "👍".into(),
        },
        SystemEvent::ReactionRemoved {
            seq: 1,
            emoji: "👍".into(),
        },
        SystemEvent::AttachmentProcessed {
            attachment: Default::default(),
        },
        SystemEvent::AccountDeleted { user: 1 },
        SystemEvent::RetentionChanged { max_age_secs: 1 },
    ];
    for e in &events {
        match e {
            SystemEvent::GroupCreated { .. }
            | SystemEvent::MembersAdded { .. }
            | SystemEvent::MemberRemoved { .. }
            | SystemEvent::MemberLeft { .. }
            | SystemEvent::MemberBanned { .. }
            | SystemEvent::MemberUnbanned { .. }
            | SystemEvent::MemberMuted { .. }
            | SystemEvent::Renamed { .. }
            | SystemEvent::RoleChanged { .. }
            | SystemEvent::MessageEdited { .. }
            | SystemEvent::MessageDeleted { .. }
            | SystemEvent::MessagePinned { .. }
            | SystemEvent::MessageUnpinned { .. }
            | SystemEvent::ReactionAdded { .. }
            | SystemEvent::ReactionRemoved { .. }
            | SystemEvent::AttachmentProcessed { .. }
            | SystemEvent::AccountDeleted { .. }
            | SystemEvent::RetentionChanged { .. } => {}
        }
    }
    events
}

/// The `const` of property `field` wherever it appears in `v` (payloads may nest it
/// in `allOf` / `oneOf`).
fn consts(v: &Value, field: &str, out: &mut BTreeSet<String>) {
    match v {
        Value::Object(map) => {
            if let Some(c) = map
                .get("properties")
                .and_then(|p| p.get(field))
                .and_then(|f| f.get("const"))
                .and_then(Value::as_str)
            {
                out.insert(c.to_string());
            }
            map.values().for_each(|v| consts(v, field, out));
        }
        Value::Array(items) => items.iter().for_each(|v| consts(v, field, out)),
        _ => {}
    }
}

fn tag(v: &impl serde::Serialize, field: &str) -> String {
    let json = serde_json::to_value(v).expect("serializes");
    json[field].as_str().expect("tagged").to_string()
}

#[test]
fn is_asyncapi_3() {
    let doc = document();
    assert!(
        doc["asyncapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3."))
    );
    assert_eq!(doc["channels"]["socket"]["address"], "/v1/ws");
}

#[test]
fn every_op_and_event_is_described() {
    let doc = document();
    let messages = &doc["components"]["messages"];
    let mut ops = BTreeSet::new();
    let mut events = BTreeSet::new();
    consts(messages, "op", &mut ops);
    consts(messages, "type", &mut events);
    let known_ops: BTreeSet<String> = KNOWN_OPS.iter().map(|s| s.to_string()).collect();
    assert_eq!(
        ops, known_ops,
        "client ops in docs/asyncapi.yaml vs KNOWN_OPS"
    );
    let known_events: BTreeSet<String> = every_event().iter().map(|e| tag(e, "type")).collect();
    assert_eq!(
        events, known_events,
        "server events in docs/asyncapi.yaml vs ServerEvent"
    );

    let mut kinds = BTreeSet::new();
    consts(
        &doc["components"]["schemas"]["SystemEvent"],
        "kind",
        &mut kinds,
    );
    let known_kinds: BTreeSet<String> = every_system_event()
        .iter()
        .map(|e| tag(e, "kind"))
        .collect();
    assert_eq!(kinds, known_kinds, "system event kinds vs SystemEvent");
}

#[test]
fn every_error_code_is_listed() {
    let doc = document();
    let listed: Vec<&str> = doc["components"]["schemas"]["ErrorCode"]["enum"]
        .as_array()
        .expect("ErrorCode enum")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let known: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
    assert_eq!(
        listed, known,
        "ErrorCode in docs/asyncapi.yaml vs ErrorCode::ALL"
    );
}

#[test]
fn every_reference_resolves_and_every_message_is_on_the_channel() {
    let doc = document();
    fn walk(v: &Value, doc: &Value) {
        match v {
            Value::Object(map) => {
                if let Some(r) = map.get("$ref").and_then(Value::as_str) {
                    let pointer = r.strip_prefix('#').expect("local $ref");
                    assert!(
                        doc.pointer(pointer).is_some(),
                        "$ref {r} resolves to nothing"
                    );
                }
                map.values().for_each(|v| walk(v, doc));
            }
            Value::Array(items) => items.iter().for_each(|v| walk(v, doc)),
            _ => {}
        }
    }
    walk(&doc, &doc);
    let on_channel: BTreeSet<&str> = doc["channels"]["socket"]["messages"]
        .as_object()
        .expect("channel messages")
        .values()
        .filter_map(|m| m["$ref"].as_str())
        .filter_map(|r| r.strip_prefix("#/components/messages/"))
        .collect();
    let defined: BTreeSet<&str> = doc["components"]["messages"]
        .as_object()
        .expect("messages")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        on_channel, defined,
        "components.messages vs the channel's messages"
    );
}
