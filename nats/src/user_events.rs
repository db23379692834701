//! The format of what is published on a user's subject (`user.<id>`): one client
//! event as its JSON, or several message events in one NATS message. Store workers
//! encode, edges decode; both use this module, and the round trip is tested here.
//!
//! - One event: the payload is the event's JSON; headers `Natter-Event: <kind>` and,
//!   for a message event, `Natter-Channel` and `Natter-Seq` (so an edge can suppress
//!   duplicates per socket without parsing the JSON).
//! - Several message events: `Natter-Event: messages`, the payload a JSON array of
//!   the events, and `Natter-Positions` listing each one's `channel:seq:bytes` in
//!   order, comma-separated, so an edge slices the array without parsing it.

use std::fmt::Write as _;

use async_nats::HeaderMap;
use bytes::Bytes;

use crate::headers as h;

/// One message event: its channel, its seq there, and its JSON.
pub type MessageEvent = (u64, u64, Bytes);

/// Headers and payload for message events of one user: the only event as is, or
/// several as a JSON array with their positions.
pub fn encode<'a, I>(events: I) -> (HeaderMap, Bytes)
where
    I: IntoIterator<Item = &'a MessageEvent>,
    I::IntoIter: Clone,
{
    let events = events.into_iter();
    let mut counting = events.clone();
    if let (Some((channel, seq, json)), None) = (counting.next(), counting.next()) {
        let mut headers = h::json_event("message");
        headers.insert(h::CHANNEL, channel.to_string().as_str());
        headers.insert(h::SEQ, seq.to_string().as_str());
        return (headers, json.clone());
    }
    let (count, size) = events
        .clone()
        .fold((0, 0), |(n, b), (_, _, json)| (n + 1, b + json.len() + 1));
    let mut positions = String::with_capacity(count * 24);
    let mut payload = Vec::with_capacity(size + 1);
    payload.push(b'[');
    for (k, (channel, seq, json)) in events.enumerate() {
        if k > 0 {
            positions.push(',');
            payload.push(b',');
        }
        // Written in place: this runs per event per member of every batch.
        let _ = write!(positions, "{channel}:{seq}:{}", json.len());
        payload.extend_from_slice(json);
    }
    payload.push(b']');
    let mut headers = h::json_event("messages");
    headers.insert(h::POSITIONS, positions.as_str());
    (headers, Bytes::from(payload))
}

/// Kind of the notice that tells a user's edges to stop relaying another user's
/// presence to them (that user blocked them). Never relayed to a socket.
pub const HIDE_PRESENCE: &str = "hide_presence";

/// Headers and payload of a [`HIDE_PRESENCE`] notice about `of`'s presence.
pub fn hide_presence(of: u64) -> (HeaderMap, Bytes) {
    let mut headers = h::json_event(HIDE_PRESENCE);
    headers.insert(h::USER, of.to_string().as_str());
    (headers, Bytes::from_static(b"{}"))
}

/// Whose presence a notice hides, if it is a [`HIDE_PRESENCE`] notice.
pub fn hidden_presence(headers: Option<&HeaderMap>) -> Option<u64> {
    let headers = headers?;
    if headers.get(h::EVENT).map(|v| v.as_str()) != Some(HIDE_PRESENCE) {
        return None;
    }
    headers.get(h::USER)?.as_str().parse().ok()
}

/// The events of one NATS message on a user's subject, each made by `event` from
/// its (channel, seq) if it is a message event and its JSON (a slice of the NATS
/// payload, not a copy); `None` if a batch's positions do not fit its payload.
pub fn decode<T>(
    headers: Option<&HeaderMap>,
    payload: &Bytes,
    mut event: impl FnMut(Option<(u64, u64)>, Bytes) -> T,
) -> Option<Vec<T>> {
    let header = |name: &str| headers.and_then(|hs| hs.get(name)).map(|v| v.as_str());
    if let Some(positions) = header(h::POSITIONS) {
        return split(payload, positions, event);
    }
    let number = |name: &str| header(name).and_then(|v| v.parse::<u64>().ok());
    Some(vec![event(
        number(h::CHANNEL).zip(number(h::SEQ)),
        payload.clone(),
    )])
}

/// Slices a JSON array of message events by its `channel:seq:bytes` positions.
fn split<T>(
    payload: &Bytes,
    positions: &str,
    mut event: impl FnMut(Option<(u64, u64)>, Bytes) -> T,
) -> Option<Vec<T>> {
    let mut events = Vec::with_capacity(positions.bytes().filter(|b| *b == b',').count() + 1);
    // Skip the opening bracket; each event is followed by a comma or the closing one.
    let mut at = 1usize;
    for p in positions.split(',') {
        let mut parts = p.splitn(3, ':').map(|n| n.parse::<u64>().ok());
        let (Some(Some(channel)), Some(Some(seq)), Some(Some(len))) =
            (parts.next(), parts.next(), parts.next())
        else {
            return None;
        };
        let end = at.checked_add(usize::try_from(len).ok()?)?;
        if end >= payload.len() {
            return None;
        }
        events.push(event(Some((channel, seq)), payload.slice(at..end)));
        at = end + 1;
    }
    (at == payload.len()).then_some(events)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(channel: u64, seq: u64, json: &'static str) -> MessageEvent {
        (channel, seq, Bytes::from_static(json.as_bytes()))
    }

    #[test]
    fn a_hide_presence_notice_names_its_user_and_nothing_else_does() {
        let (headers, _) = hide_presence(42);
        assert_eq!(hidden_presence(Some(&headers)), Some(42));
        let (message, _) = encode(&[ev(7, 1, r#"{"a":1}"#)]);
        assert_eq!(hidden_presence(Some(&message)), None);
        assert_eq!(hidden_presence(None), None);
    }

    #[test]
    fn events_round_trip_one_or_many() {
        for list in [
            vec![ev(7, 1, r#"{"a":1}"#)],
            vec![ev(7, 1, r#"{"a":1}"#), ev(9, 2, r#"{"bb":"x,y:z]"}"#)],
            (1..=50).map(|s| ev(s % 3, s, r#"{"t":"[,]"}"#)).collect(),
        ] {
            let (headers, payload) = encode(&list);
            let back: Vec<MessageEvent> = decode(Some(&headers), &payload, |position, json| {
                let (c, s) = position.expect("a message event has a position");
                (c, s, json)
            })
            .expect("decodes");
            assert_eq!(back, list);
        }
    }

    #[test]
    fn an_event_without_position_headers_is_one_event() {
        let payload = Bytes::from_static(br#"{"type":"typing"}"#);
        let decoded =
            decode(Some(&h::json_event("typing")), &payload, |p, j| (p, j)).expect("decodes");
        assert_eq!(decoded, vec![(None, payload)]);
    }

    #[test]
    fn a_batch_whose_positions_do_not_fit_is_refused() {
        let payload = Bytes::from_static(br#"[{"a":1},{"bb":22}]"#);
        let pair = |p: Option<(u64, u64)>, j: Bytes| (p, j);
        assert!(split(&payload, "7:1:7,7:2:9", pair).is_some());
        for bad in [
            "7:1:7",
            "7:1:7,7:2:99",
            "7:1:8,7:2:9",
            "x:1:7,7:2:9",
            "7:1",
            "",
        ] {
            assert!(split(&payload, bad, pair).is_none(), "{bad}");
        }
    }
}
