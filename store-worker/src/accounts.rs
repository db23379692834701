//! Accounts and profiles: sign-up, login, get, update, search, bulk creation.

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use natter_protocol::http::{LoginRequest, Profile, SignupRequest};
use natter_protocol::internal::{
    BULK_USERS_MAX, BulkUsersReq, PasswordChangeReq, RpcReply, UserGetReq, UserIdsReq,
    UserSearchReq, UserUpdateReq,
};
use natter_protocol::{ApiError, ErrorCode, limits};
use natter_store::{ScanRange, StoreError, WriteBatch, keys};

use crate::Worker;
use crate::records::{UserRecord, now_ms};
use crate::tables::{self, store_err};

fn invalid(code: ErrorCode, what: &str) -> ApiError {
    ApiError::new(code, what.to_string())
}

pub(crate) async fn load_user(w: &Worker, user_id: u64) -> RpcReply<Option<UserRecord>> {
    tables::USER
        .get(w.store.as_ref(), &user_id)
        .await
        .map_err(store_err)
}

pub(crate) async fn signup(w: &Worker, req: SignupRequest) -> RpcReply<Profile> {
    let username = limits::normalize_username(&req.username)?;
    limits::check_password(&req.password)?;
    limits::check_display_name(&req.display_name)?;
    // Cheap pre-check so a taken name does not cost a password hash. A deleted
    // account's name is free once its cooling-off ended.
    let held = tables::USERNAME
        .get(w.store.as_ref(), &username)
        .await
        .map_err(store_err)?;
    let prior = match held {
        None => None,
        Some(old) if released(w, old).await? => Some(tables::USERNAME.encode(&old)),
        Some(_) => return Err(invalid(ErrorCode::UsernameTaken, "username is taken")),
    };
    let password_hash = hash_password(w, req.password).await?;
    let user = new_user(w, &username, req.display_name, password_hash)?;
    let id = user.id;
    // The username key is written only if as read: two racing sign-ups, one winner.
    let batch = WriteBatch::new()
        .expect(tables::USERNAME.key(&username), prior)
        .put(
            tables::USERNAME.key(&username),
            tables::USERNAME.encode(&id),
        )
        .put(tables::USER.key(&id), tables::USER.encode(&user));
    match w.store.write(batch).await {
        Ok(()) => Ok(user.profile()),
        Err(StoreError::ConditionFailed { .. }) => {
            Err(invalid(ErrorCode::UsernameTaken, "username is taken"))
        }
        Err(e) => Err(store_err(e)),
    }
}

/// Whether the username held by account `id` is free again: the account was
/// deleted and its cooling-off ended.
async fn released(w: &Worker, id: u64) -> RpcReply<bool> {
    let now = now_ms();
    Ok(load_user(w, id)
        .await?
        .and_then(|u| u.erased_at)
        .is_some_and(|at| crate::erasure::username_free_at(w, at) <= now))
}

/// A new account's record, with a fresh id.
fn new_user(
    w: &Worker,
    username: &str,
    display_name: String,
    password_hash: String,
) -> RpcReply<UserRecord> {
    let id = w
        .ids
        .next_id()
        .map_err(|e| ApiError::new(ErrorCode::Unavailable, e.to_string()))?;
    Ok(UserRecord {
        id,
        username: username.to_string(),
        display_name,
        status_text: String::new(),
        password_hash,
        created_at: now_ms(),
        read_receipts: true,
        suspended_at: None,
        erased_at: None,
        who_can_message: None,
        who_can_add: None,
        who_sees_presence: None,
    })
}

/// `admin.users.create`: many accounts with one password, hashed once, written in
/// one batch; usernames that exist are returned as they are. Profiles come back
/// in request order.
pub(crate) async fn create_many(w: &Worker, req: BulkUsersReq) -> RpcReply<Vec<Profile>> {
    if req.users.len() > BULK_USERS_MAX {
        return Err(invalid(
            ErrorCode::BadRequest,
            "at most 1000 users per request",
        ));
    }
    limits::check_password(&req.password)?;
    let mut names = Vec::with_capacity(req.users.len());
    for u in &req.users {
        names.push(limits::normalize_username(&u.username)?);
        limits::check_display_name(&u.display_name)?;
    }
    if names.iter().collect::<std::collections::HashSet<_>>().len() != names.len() {
        return Err(invalid(ErrorCode::BadRequest, "a username appears twice"));
    }
    let password_hash = hash_password(w, req.password).await?;
    // A racing sign-up of one of the names fails the batch: read again and retry.
    loop {
        let existing = tables::USERNAME
            .get_many(w.store.as_ref(), names.iter().map(String::as_str))
            .await
            .map_err(store_err)?;
        let mut batch = WriteBatch::new();
        for ((name, u), found) in names.iter().zip(&req.users).zip(&existing) {
            match found {
                Some(_) => {}
                None => {
                    let user = new_user(w, name, u.display_name.clone(), password_hash.clone())?;
                    let id = user.id;
                    batch = batch
                        .expect(tables::USERNAME.key(name), None)
                        .put(tables::USERNAME.key(name), tables::USERNAME.encode(&id))
                        .put(tables::USER.key(&id), tables::USER.encode(&user));
                }
            }
        }
        match w.store.write(batch).await {
            Ok(()) => break,
            Err(StoreError::ConditionFailed { .. }) => continue,
            Err(e) => return Err(store_err(e)),
        }
    }
    let vanished = || ApiError::new(ErrorCode::Internal, "account vanished");
    let ids = tables::USERNAME
        .get_many(w.store.as_ref(), names.iter().map(String::as_str))
        .await
        .map_err(store_err)?
        .into_iter()
        .map(|id| id.ok_or_else(vanished))
        .collect::<Result<Vec<u64>, _>>()?;
    tables::USER
        .get_many(w.store.as_ref(), &ids)
        .await
        .map_err(store_err)?
        .into_iter()
        .map(|u| u.map(|u| u.profile()).ok_or_else(vanished))
        .collect()
}

/// A hash of a password nobody has, verified when the user is unknown so that an
/// unknown username costs as much time as a wrong password.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$5rEPzjGvAOnBmI5RxUGE5ObtmF3EM8ZY7OuZUrb6tfg";

pub(crate) async fn login(w: &Worker, req: LoginRequest) -> RpcReply<Profile> {
    let bad = || {
        invalid(
            ErrorCode::InvalidCredentials,
            "unknown username or wrong password",
        )
    };
    let user = match limits::normalize_username(&req.username) {
        Ok(name) => match tables::USERNAME
            .get(w.store.as_ref(), &name)
            .await
            .map_err(store_err)?
        {
            Some(id) => load_user(w, id).await?,
            None => None,
        },
        Err(_) => None,
    };
    let hash = user
        .as_ref()
        .map_or(DUMMY_HASH.to_string(), |u| u.password_hash.clone());
    let ok = verify_password(w, req.password, hash).await?;
    match user {
        Some(u) if ok && u.suspended_at.is_some() => Err(invalid(
            ErrorCode::AccountSuspended,
            "this account is suspended",
        )),
        Some(u) if ok => Ok(u.profile()),
        _ => Err(bad()),
    }
}

/// `rpc.user.password`: the current password checked (like a login), the new one
/// hashed and stored. The edge then ends the user's other sessions.
pub(crate) async fn change_password(w: &Worker, req: PasswordChangeReq) -> RpcReply<Profile> {
    limits::check_password(&req.new_password)?;
    let user = load_user(w, req.user_id)
        .await?
        .ok_or_else(|| invalid(ErrorCode::UserNotFound, "no such user"))?;
    if !verify_password(w, req.current_password, user.password_hash).await? {
        return Err(invalid(
            ErrorCode::InvalidCredentials,
            "the current password is wrong",
        ));
    }
    let hash = hash_password(w, req.new_password).await?;
    let user = modify_user(w, req.user_id, |u| u.password_hash = hash.clone()).await?;
    Ok(user.own_profile())
}

/// Changes a user's record with `change`, compare-and-set on the whole record so
/// that concurrent changes never lose one; returns the record as written.
pub(crate) async fn modify_user(
    w: &Worker,
    user_id: u64,
    change: impl Fn(&mut UserRecord),
) -> RpcReply<UserRecord> {
    for _ in 0..16 {
        let key = tables::USER.key(&user_id);
        let Some(current) = w.store.get(&key).await.map_err(store_err)? else {
            return Err(invalid(ErrorCode::UserNotFound, "no such user"));
        };
        let mut user = tables::USER.decode(&current).map_err(store_err)?;
        change(&mut user);
        let batch = WriteBatch::new()
            .expect(key.clone(), Some(current))
            .put(key, tables::USER.encode(&user));
        match w.store.write(batch).await {
            Ok(()) => return Ok(user),
            Err(StoreError::ConditionFailed { .. }) => continue,
            Err(e) => return Err(store_err(e)),
        }
    }
    Err(ApiError::new(ErrorCode::Unavailable, "profile busy, retry"))
}

pub(crate) async fn get(w: &Worker, req: UserGetReq) -> RpcReply<Profile> {
    load_user(w, req.user_id)
        .await?
        .map(|u| {
            if req.own {
                u.own_profile()
            } else {
                u.profile()
            }
        })
        .ok_or_else(|| invalid(ErrorCode::UserNotFound, "no such user"))
}

/// The id of the account named `username` (any case), for operators' requests.
pub(crate) async fn id_named(w: &Worker, username: &str) -> RpcReply<u64> {
    let name = limits::normalize_username(username)?;
    tables::USERNAME
        .get(w.store.as_ref(), &name)
        .await
        .map_err(store_err)?
        .ok_or_else(|| invalid(ErrorCode::UserNotFound, "no such user"))
}

/// The ids of the accounts named (usernames lowercased; unknown ones left out).
pub(crate) async fn ids(w: &Worker, req: UserIdsReq) -> RpcReply<Vec<(String, u64)>> {
    let names: Vec<&str> = req
        .usernames
        .iter()
        .take(limits::MAX_MENTIONS)
        .map(String::as_str)
        .collect();
    let found = tables::USERNAME
        .get_many(w.store.as_ref(), names.iter().copied())
        .await
        .map_err(store_err)?;
    Ok(names
        .into_iter()
        .zip(found)
        .filter_map(|(n, id)| Some((n.to_owned(), id?)))
        .collect())
}

pub(crate) async fn update(w: &Worker, req: UserUpdateReq) -> RpcReply<Profile> {
    if let Some(name) = &req.update.display_name {
        limits::check_display_name(name)?;
    }
    if let Some(status) = &req.update.status_text {
        limits::check_status_text(status)?;
    }
    let update = &req.update;
    let user = modify_user(w, req.user_id, |user| {
        if let Some(name) = &update.display_name {
            user.display_name = name.clone();
        }
        if let Some(status) = &update.status_text {
            user.status_text = status.clone();
        }
        if let Some(on) = update.read_receipts {
            user.read_receipts = on;
        }
        if let Some(a) = update.who_can_message {
            user.who_can_message = Some(a);
        }
        if let Some(a) = update.who_can_add {
            user.who_can_add = Some(a);
        }
        if let Some(a) = update.who_sees_presence {
            user.who_sees_presence = Some(a);
        }
    })
    .await?;
    Ok(user.own_profile())
}

pub(crate) async fn search(w: &Worker, req: UserSearchReq) -> RpcReply<Vec<Profile>> {
    let limit = req.limit.clamp(1, limits::MAX_SEARCH_RESULTS) as usize;
    let found = w
        .store
        .scan(ScanRange::prefix(keys::username_prefix(&req.prefix)), limit)
        .await
        .map_err(store_err)?;
    let ids: Vec<u64> = found
        .iter()
        .filter_map(|(_, v)| tables::USERNAME.decode(v).ok())
        .collect();
    let users = tables::USER
        .get_many(w.store.as_ref(), &ids)
        .await
        .map_err(store_err)?;
    // A deleted account's held name finds nobody.
    Ok(users
        .into_iter()
        .flatten()
        .filter(|u| u.erased_at.is_none())
        .map(|u| u.profile())
        .collect())
}

/// A slot to compute a password hash in, waited for at most
/// [`StoreWorkerConfig::password_hash_wait`](crate::StoreWorkerConfig).
///
/// # Errors
/// `unavailable` when every slot stayed busy that long.
async fn hashing_slot(w: &Worker) -> RpcReply<tokio::sync::SemaphorePermit<'_>> {
    match tokio::time::timeout(w.config.password_hash_wait, w.hashing.acquire()).await {
        Ok(Ok(permit)) => Ok(permit),
        _ => {
            metrics::counter!("natter_store_password_hashes_refused_total").increment(1);
            Err(ApiError::new(
                ErrorCode::Unavailable,
                "too many sign-ins at once, retry",
            ))
        }
    }
}

async fn hash_password(w: &Worker, password: String) -> RpcReply<String> {
    let _slot = hashing_slot(w).await?;
    tokio::task::spawn_blocking(move || {
        let hash: PasswordHash = Argon2::default().hash_password(password.as_bytes())?;
        Ok::<_, argon2::password_hash::Error>(hash.to_string())
    })
    .await
    .map_err(|_| ApiError::new(ErrorCode::Internal, "hashing failed"))?
    .map_err(|_| ApiError::new(ErrorCode::Internal, "hashing failed"))
}

pub(crate) async fn verify_password(w: &Worker, password: String, hash: String) -> RpcReply<bool> {
    let _slot = hashing_slot(w).await?;
    tokio::task::spawn_blocking(move || {
        let Ok(parsed) = PasswordHash::new(&hash) else {
            return false;
        };
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
    .await
    .map_err(|_| ApiError::new(ErrorCode::Internal, "verification failed"))
}
