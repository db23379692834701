//! A user's devices and their push targets, and the Web Push key.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use natter_nats::rpc;
use natter_protocol::http::{DeviceInfo, DeviceList, RegisterPushRequest, WebPushKey};
use natter_protocol::internal::{DevicePushReq, UserGetReq};
use natter_protocol::{ApiError, ErrorCode};

use super::{Caller, HttpResult, answer, json, parse_body};
use crate::Edge;

#[utoipa::path(
    post,
    path = "/v1/devices",
    tag = "devices",
    summary = "Register or replace a device's push target",
    request_body = RegisterPushRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The device", body = DeviceInfo),
        (status = 400, description = "`bad_request`, `invalid_device_id`", body = ApiError),
    )
)]
pub(super) async fn register_push(
    State(edge): State<Arc<Edge>>,
    Caller(user_id): Caller,
    body: Bytes,
) -> HttpResult<Response> {
    let req: RegisterPushRequest = parse_body(&body)?;
    answer(
        &edge,
        &rpc::DEVICE_PUSH,
        &DevicePushReq {
            user_id,
            device_id: req.device_id,
            push: Some(req.push),
        },
    )
    .await
}

#[utoipa::path(
    get,
    path = "/v1/devices",
    tag = "devices",
    summary = "The caller's devices",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Devices by id", body = DeviceList),
    )
)]
pub(super) async fn list_devices(
    State(edge): State<Arc<Edge>>,
    Caller(user_id): Caller,
) -> HttpResult<Response> {
    let devices: Vec<DeviceInfo> = rpc::DEVICE_LIST
        .call(
            &edge.nats,
            &UserGetReq {
                user_id,
                own: false,
            },
        )
        .await?;
    Ok(json(StatusCode::OK, DeviceList { devices }))
}

#[utoipa::path(
    delete,
    path = "/v1/devices/{device}",
    tag = "devices",
    summary = "Remove a device's push target",
    params(("device" = String, Path, pattern = "^[A-Za-z0-9._:-]{1,64}$", description = "Device id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The device, without push target", body = DeviceInfo),
        (status = 400, description = "`invalid_device_id`", body = ApiError),
        (status = 404, description = "`not_found`: an empty path segment matches no route", body = ApiError),
    )
)]
pub(super) async fn unregister_push(
    State(edge): State<Arc<Edge>>,
    Caller(user_id): Caller,
    Path(device_id): Path<String>,
) -> HttpResult<Response> {
    answer(
        &edge,
        &rpc::DEVICE_PUSH,
        &DevicePushReq {
            user_id,
            device_id,
            push: None,
        },
    )
    .await
}

#[utoipa::path(
    get,
    path = "/v1/push/webpush-key",
    tag = "devices",
    summary = "The VAPID public key browsers subscribe with",
    responses(
        (status = 200, description = "The key", body = WebPushKey),
        (status = 404, description = "`not_found`: web push is not configured", body = ApiError),
    )
)]
pub(super) async fn webpush_key(State(edge): State<Arc<Edge>>) -> HttpResult<Response> {
    match &edge.config.webpush_public_key {
        Some(key) => Ok(json(
            StatusCode::OK,
            WebPushKey {
                public_key: key.clone(),
            },
        )),
        None => Err(ApiError::new(ErrorCode::NotFound, "web push is not configured").into()),
    }
}
