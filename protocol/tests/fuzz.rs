//! Hostile input, generated: the frame decoders and the HTTP body types never panic,
//! and every failure is a typed `invalid_frame` / `unknown_op` (frames) or a plain
//! decode error (bodies, which the edge turns into `bad_request`).

use natter_protocol::ErrorCode;
use natter_protocol::http::{
    AddMembersRequest, CreateGroupRequest, LoginRequest, RegisterPushRequest, SignupRequest,
    UpdateProfileRequest,
};
use natter_protocol::ws::ClientOp;
use proptest::prelude::*;

/// JSON-ish text: op-shaped objects with random fields and values, plus noise.
fn json_like() -> impl Strategy<Value = String> {
    let value = prop_oneof![
        Just("null".to_string()),
        any::<i64>().prop_map(|n| n.to_string()),
        any::<u64>().prop_map(|n| format!("\"{n}\"")),
        ".{0,40}".prop_map(|s| serde_json::to_string(&s).unwrap()),
        Just("[1,2,{}]".to_string()),
        Just("{\"a\":{\"b\":[]}}".to_string()),
    ];
    let key = prop_oneof![
        Just("op"),
        Just("channel"),
        Just("seq"),
        Just("text"),
        Just("client_msg_id"),
        Just("users"),
        Just("x"),
    ];
    let op = prop_oneof![
        Just("send"),
        Just("ping"),
        Just("ack"),
        Just("read"),
        Just("typing"),
        Just("presence_subscribe"),
        Just("presence_unsubscribe"),
        Just("nope"),
    ];
    prop_oneof![
        (op, prop::collection::vec((key, value), 0..6)).prop_map(|(op, fields)| {
            let mut parts = vec![format!("\"op\":\"{op}\"")];
            parts.extend(fields.into_iter().map(|(k, v)| format!("\"{k}\":{v}")));
            format!("{{{}}}", parts.join(","))
        }),
        ".{0,200}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn json_frames_decode_or_fail_typed(text in json_like()) {
        match ClientOp::from_json(text.as_bytes()) {
            Ok(_) => {}
            Err(e) => prop_assert!(matches!(e.code, ErrorCode::InvalidFrame | ErrorCode::UnknownOp)),
        }
    }

    #[test]
    fn binary_frames_decode_or_fail_typed(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        match ClientOp::from_msgpack(&bytes) {
            Ok(_) => {}
            Err(e) => prop_assert!(matches!(e.code, ErrorCode::InvalidFrame | ErrorCode::UnknownOp)),
        }
    }

    #[test]
    fn msgpack_of_json_like_values_fails_typed(text in json_like()) {
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) {
            let bytes = rmp_serde::to_vec_named(&v).unwrap();
            if let Err(e) = ClientOp::from_msgpack(&bytes) {
                prop_assert!(matches!(e.code, ErrorCode::InvalidFrame | ErrorCode::UnknownOp));
            }
        }
    }

    #[test]
    fn http_bodies_never_panic(text in json_like()) {
        let b = text.as_bytes();
        let _ = serde_json::from_slice::<SignupRequest>(b);
        let _ = serde_json::from_slice::<LoginRequest>(b);
        let _ = serde_json::from_slice::<UpdateProfileRequest>(b);
        let _ = serde_json::from_slice::<CreateGroupRequest>(b);
        let _ = serde_json::from_slice::<AddMembersRequest>(b);
        let _ = serde_json::from_slice::<RegisterPushRequest>(b);
    }
}
