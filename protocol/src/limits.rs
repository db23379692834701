//! Input limits, enforced by every service and documented in `docs/protocol.md`.

use crate::{ApiError, ErrorCode};

/// Longest accepted message text, in Unicode scalar values: "fewer than 100,000".
pub const MAX_TEXT_CHARS: usize = 99_999;
/// Largest WebSocket frame an edge reads; larger ones get `frame_too_large` and a close.
/// Room for a maximal text even when every character is JSON-escaped (`\uXXXX`).
pub const MAX_FRAME_BYTES: usize = 1024 * 1024;
/// Longest client_msg_id and device id.
pub const MAX_CLIENT_ID_LEN: usize = 64;
/// Shortest username, in bytes (ASCII).
pub const MIN_USERNAME_LEN: usize = 3;
/// Longest username, in bytes (ASCII).
pub const MAX_USERNAME_LEN: usize = 32;
/// Shortest password, in bytes.
pub const MIN_PASSWORD_BYTES: usize = 8;
/// Longest password, in bytes.
pub const MAX_PASSWORD_BYTES: usize = 128;
/// Longest display name, in characters.
pub const MAX_DISPLAY_NAME_CHARS: usize = 64;
/// Longest status text, in characters.
pub const MAX_STATUS_TEXT_CHARS: usize = 140;
/// Most messages in one history page.
pub const MAX_HISTORY_PAGE: u32 = 200;
/// Most members of a group, the owner included.
pub const MAX_GROUP_MEMBERS: usize = 100;
/// Most channels a user is a member of at once (groups and 1:1 channels): a group
/// add or a new 1:1 channel beyond it is refused with `too_many_channels`, so
/// nobody can bury a user's channel list and catch-up under groups.
pub const MAX_CHANNELS_PER_USER: usize = 1_000;
/// Longest group name, in characters.
pub const MAX_GROUP_NAME_CHARS: usize = 64;
/// Most channels in one page of `GET /v1/channels`.
pub const MAX_CHANNEL_PAGE: u32 = 200;
/// Characters of a message kept in a channel list preview.
pub const PREVIEW_CHARS: usize = 100;
/// Most messages in one sync page (also bounded by [`SYNC_PAGE_BYTES`]).
pub const SYNC_PAGE_MESSAGES: u32 = 200;
/// Text bytes in one sync page before it is cut (at least one message per page).
pub const SYNC_PAGE_BYTES: usize = 512 * 1024;
/// Most bytes of stored messages in any history page (a page of long texts stops
/// early, with `has_more`): a page travels as one NATS reply, which must stay well
/// below NATS's payload limit.
pub const HISTORY_PAGE_BYTES: usize = 4 * 1024 * 1024;
/// Most users one connection watches the presence of.
pub const MAX_PRESENCE_WATCH: usize = 500;
/// Most users returned by one search.
pub const MAX_SEARCH_RESULTS: u32 = 50;
/// Most distinct emoji one message may carry as reactions.
pub const MAX_REACTIONS_PER_MESSAGE: usize = 20;
/// Most users one message mentions (further `@names` are plain text).
pub const MAX_MENTIONS: usize = 20;
/// Most messages pinned in one channel.
pub const MAX_PINS_PER_CHANNEL: usize = 50;
/// Most times one message may be edited (its versions are kept).
pub const MAX_EDITS_PER_MESSAGE: u32 = 100;
/// Most files one message carries.
pub const MAX_ATTACHMENTS: usize = 10;
/// Longest attachment file name kept, in characters (longer ones are cut).
pub const MAX_FILE_NAME_CHARS: usize = 255;

// Each check returns the error a client sees, its message written here once,
// beside the limit it states.

/// Checks a message text: not empty, fewer than 100,000 characters.
///
/// # Errors
/// `message_empty` or `message_too_long`.
pub fn check_text(text: &str) -> Result<(), ApiError> {
    if text.is_empty() {
        return Err(ApiError::new(ErrorCode::MessageEmpty, "text is empty"));
    }
    // Fewer bytes than the limit means fewer characters: skip the count.
    if text.len() > MAX_TEXT_CHARS && text.chars().count() > MAX_TEXT_CHARS {
        return Err(ApiError::new(
            ErrorCode::MessageTooLong,
            format!("text must have fewer than 100,000 characters (at most {MAX_TEXT_CHARS})"),
        ));
    }
    Ok(())
}

/// Checks the text of a send: a caption may be empty when files come with it.
///
/// # Errors
/// `message_empty` (no text and no file), `message_too_long`,
/// `too_many_attachments`.
pub fn check_send_text(text: &str, attachments: usize) -> Result<(), ApiError> {
    if attachments > MAX_ATTACHMENTS {
        return Err(ApiError::new(
            ErrorCode::TooManyAttachments,
            format!("a message carries at most {MAX_ATTACHMENTS} files"),
        ));
    }
    if text.is_empty() && attachments > 0 {
        return Ok(());
    }
    check_text(text)
}

/// An uploader's file name made safe to show and to put in a header: the last path
/// component, without control characters, quotes or backslashes, at most
/// [`MAX_FILE_NAME_CHARS`]; `"file"` when nothing is left.
pub fn clean_file_name(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = last
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '"' | '\\'))
        .take(MAX_FILE_NAME_CHARS)
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').to_string();
    if cleaned.is_empty() {
        "file".into()
    } else {
        cleaned
    }
}

/// Client-chosen ids (client_msg_id, device id): 1–64 of `A-Z a-z 0-9 - _ . :`.
pub fn is_valid_client_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_CLIENT_ID_LEN
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

/// Checks a client-chosen id; `field` names it in the message (`client_msg_id`,
/// `device`, `device_id`) and `code` is the field's error code.
///
/// # Errors
/// `code`, when the id breaks the rule.
pub fn check_client_id(field: &str, id: &str, code: ErrorCode) -> Result<(), ApiError> {
    if is_valid_client_id(id) {
        Ok(())
    } else {
        Err(ApiError::new(
            code,
            format!("{field}: 1-{MAX_CLIENT_ID_LEN} of A-Z a-z 0-9 - _ . :"),
        ))
    }
}

/// Normalizes a username for uniqueness and lookup (ASCII lowercase) and checks it:
/// 3–32 of `a-z 0-9 _ .`.
///
/// # Errors
/// `invalid_username`.
pub fn normalize_username(username: &str) -> Result<String, ApiError> {
    let lower = username.to_ascii_lowercase();
    let ok = (MIN_USERNAME_LEN..=MAX_USERNAME_LEN).contains(&lower.len())
        && lower
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'.');
    if ok {
        Ok(lower)
    } else {
        Err(ApiError::new(
            ErrorCode::InvalidUsername,
            format!("username: {MIN_USERNAME_LEN}-{MAX_USERNAME_LEN} of a-z 0-9 _ ."),
        ))
    }
}

/// Passwords: 8–128 bytes.
///
/// # Errors
/// `invalid_password`.
pub fn check_password(password: &str) -> Result<(), ApiError> {
    if (MIN_PASSWORD_BYTES..=MAX_PASSWORD_BYTES).contains(&password.len()) {
        Ok(())
    } else {
        Err(ApiError::new(
            ErrorCode::InvalidPassword,
            format!("password: {MIN_PASSWORD_BYTES}-{MAX_PASSWORD_BYTES} bytes"),
        ))
    }
}

/// Whether a name has 1 to `max` characters and no control characters.
fn is_valid_name(name: &str, max: usize) -> bool {
    let n = name.chars().count();
    n > 0 && n <= max && !name.chars().any(char::is_control)
}

/// Display names: 1–64 characters, no control characters.
///
/// # Errors
/// `invalid_profile`.
pub fn check_display_name(name: &str) -> Result<(), ApiError> {
    if is_valid_name(name, MAX_DISPLAY_NAME_CHARS) {
        return Ok(());
    }
    Err(ApiError::new(
        ErrorCode::InvalidProfile,
        format!("display_name: 1-{MAX_DISPLAY_NAME_CHARS} characters, no control characters"),
    ))
}

/// Group names: 1–64 characters, no control characters.
///
/// # Errors
/// `invalid_group_name`.
pub fn check_group_name(name: &str) -> Result<(), ApiError> {
    if is_valid_name(name, MAX_GROUP_NAME_CHARS) {
        return Ok(());
    }
    Err(ApiError::new(
        ErrorCode::InvalidGroupName,
        format!("name: 1-{MAX_GROUP_NAME_CHARS} characters, no control characters"),
    ))
}

/// Shortest retention a group may set: an hour (the sweep runs about hourly).
pub const MIN_MAX_AGE_SECS: u64 = 3_600;
/// Longest retention a group may set: ten years (0 means no limit of its own).
pub const MAX_MAX_AGE_SECS: u64 = 10 * 366 * 24 * 3_600;

/// A group's retention: 0 (none of its own), or an hour to ten years.
///
/// # Errors
/// `bad_request`.
pub fn check_max_age(secs: u64) -> Result<(), ApiError> {
    if secs == 0 || (MIN_MAX_AGE_SECS..=MAX_MAX_AGE_SECS).contains(&secs) {
        return Ok(());
    }
    Err(ApiError::new(
        ErrorCode::BadRequest,
        format!("max_age_secs: 0, or {MIN_MAX_AGE_SECS} to {MAX_MAX_AGE_SECS}"),
    ))
}

/// Status texts: up to 140 characters, no control characters.
///
/// # Errors
/// `invalid_profile`.
pub fn check_status_text(text: &str) -> Result<(), ApiError> {
    if text.chars().count() > MAX_STATUS_TEXT_CHARS || text.chars().any(char::is_control) {
        return Err(ApiError::new(
            ErrorCode::InvalidProfile,
            format!("status_text: up to {MAX_STATUS_TEXT_CHARS} characters, no control characters"),
        ));
    }
    Ok(())
}

/// The refusal of a change that would put a user (`who`: "you are", "user 7 is")
/// in more than [`MAX_CHANNELS_PER_USER`] channels.
pub fn too_many_channels(who: &str) -> ApiError {
    ApiError::new(
        ErrorCode::TooManyChannels,
        format!("{who} already in {MAX_CHANNELS_PER_USER} channels, the most one user may be in"),
    )
}

/// The usernames a text mentions as `@name` (lowercased, each once, in order, at
/// most [`MAX_MENTIONS`]): an `@` at the start or after a character that cannot be
/// part of a name, then a valid username.
pub fn mentioned_usernames(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let name_char = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '.';
    let mut prev: Option<char> = None;
    for (i, c) in text.char_indices() {
        if c == '@' && !prev.is_some_and(|p| name_char(p) || p == '@') {
            let rest = &text[i + 1..];
            let end = rest.find(|c: char| !name_char(c)).unwrap_or(rest.len());
            // A trailing dot ends a sentence, not a name.
            let name = rest[..end].trim_end_matches('.').to_ascii_lowercase();
            if (MIN_USERNAME_LEN..=MAX_USERNAME_LEN).contains(&name.len()) && !out.contains(&name) {
                out.push(name);
                if out.len() == MAX_MENTIONS {
                    break;
                }
            }
        }
        prev = Some(c);
    }
    out
}

/// A reaction as stored: the emoji's canonical form (`❤` and `❤️` are one reaction).
///
/// # Errors
/// `reaction_invalid` unless `reaction` is exactly one emoji.
pub fn canonical_reaction(reaction: &str) -> Result<String, ApiError> {
    emojis::get(reaction)
        .map(|e| e.as_str().to_owned())
        .ok_or_else(|| ApiError::new(ErrorCode::ReactionInvalid, "a reaction is one emoji"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_limit_counts_scalar_values_not_bytes() {
        let code = |t: &str| check_text(t).map_err(|e| e.code);
        assert_eq!(code(""), Err(ErrorCode::MessageEmpty));
        assert_eq!(code(&"a".repeat(99_999)), Ok(()));
        assert_eq!(code(&"a".repeat(100_000)), Err(ErrorCode::MessageTooLong));
        // 4-byte scalars: 99,999 of them are 399,996 bytes and still accepted.
        assert_eq!(code(&"😀".repeat(99_999)), Ok(()));
        assert_eq!(code(&"😀".repeat(100_000)), Err(ErrorCode::MessageTooLong));
    }

    #[test]
    fn captions_may_be_empty_only_beside_files_and_file_names_are_cleaned() {
        let code = |t: &str, n: usize| check_send_text(t, n).map_err(|e| e.code);
        assert_eq!(code("", 0), Err(ErrorCode::MessageEmpty));
        assert_eq!(code("", 1), Ok(()));
        assert_eq!(
            code(&"a".repeat(100_000), 1),
            Err(ErrorCode::MessageTooLong)
        );
        assert_eq!(code("x", 11), Err(ErrorCode::TooManyAttachments));
        assert_eq!(clean_file_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_file_name("C:\\x\\a\"b.pdf"), "ab.pdf");
        assert_eq!(clean_file_name("bad\r\nname.txt"), "badname.txt");
        assert_eq!(clean_file_name(".."), "file");
        assert_eq!(
            clean_file_name(&"é".repeat(300)).chars().count(),
            MAX_FILE_NAME_CHARS
        );
    }

    #[test]
    fn usernames_are_case_insensitive() {
        assert_eq!(normalize_username("Alice_1").as_deref(), Ok("alice_1"));
        assert!(normalize_username("al").is_err());
        assert!(normalize_username("al ice").is_err());
        assert!(normalize_username("ålice").is_err());
    }

    #[test]
    fn client_ids() {
        assert!(is_valid_client_id("c-1:2.3_x"));
        assert!(!is_valid_client_id(""));
        assert!(!is_valid_client_id(&"x".repeat(65)));
        assert!(!is_valid_client_id("a b"));
        let e = check_client_id("device", "a b", ErrorCode::InvalidDeviceId).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidDeviceId);
        assert_eq!(e.message, "device: 1-64 of A-Z a-z 0-9 - _ . :");
    }

    #[test]
    fn messages_state_the_limits_they_check() {
        let m = |r: Result<(), ApiError>| r.unwrap_err().message;
        assert_eq!(
            m(check_group_name(&"g".repeat(65))),
            "name: 1-64 characters, no control characters"
        );
        assert_eq!(
            m(check_display_name("")),
            "display_name: 1-64 characters, no control characters"
        );
        assert_eq!(m(check_password("short")), "password: 8-128 bytes");
        assert_eq!(
            normalize_username("x").unwrap_err().message,
            "username: 3-32 of a-z 0-9 _ ."
        );
        assert!(check_group_name("ok").is_ok() && check_display_name(&"d".repeat(64)).is_ok());
        assert!(check_status_text("a\u{7}b").is_err() && check_status_text("").is_ok());
    }

    #[test]
    fn mentions_are_names_after_an_at_sign() {
        assert_eq!(
            mentioned_usernames("hi @Alice, @bob.smith. and @alice again; mail a@b.com @x"),
            vec!["alice", "bob.smith"]
        );
        assert!(mentioned_usernames("no one here @ all").is_empty());
        let many: String = (0..30).map(|i| format!("@user{i} ")).collect();
        assert_eq!(mentioned_usernames(&many).len(), MAX_MENTIONS);
    }

    #[test]
    fn a_reaction_is_one_emoji_in_canonical_form() {
        assert_eq!(
            canonical_reaction("❤").unwrap(),
            canonical_reaction("❤\u{fe0f}").unwrap()
        );
        assert_eq!(canonical_reaction("👍🏽").unwrap(), "👍🏽");
        for bad in ["", "a", "👍👍", "👍 ", ":+1:"] {
            assert_eq!(
                canonical_reaction(bad).unwrap_err().code,
                ErrorCode::ReactionInvalid,
                "{bad:?}"
            );
        }
    }
}
