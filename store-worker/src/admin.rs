//! Operator requests (`admin.*`, only the admin NATS user may publish them): what the
//! store holds about a channel or a user, for `natter admin`.

use natter_protocol::internal::{
    AdminChannel, AdminChannelReq, AdminDevice, AdminLogApplied, AdminLogAppliedReq, AdminUser,
    AdminUserReq, RpcReply, UserGetReq,
};
use natter_protocol::{ApiError, ErrorCode};

use crate::tables::{self, store_err};
use crate::{Worker, accounts, channels, push_targets, sync};

/// A channel with its head seq and members.
pub(crate) async fn channel(w: &Worker, req: AdminChannelReq) -> RpcReply<AdminChannel> {
    let channel = channels::load_channel(w, req.channel_id)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::NotFound, "no such channel"))?;
    Ok(AdminChannel {
        head_seq: channels::head_seq(w, req.channel_id)
            .await
            .map_err(store_err)?,
        members: channels::member_roles(w, req.channel_id).await?,
        channel,
    })
}

/// A user's profile and every device with its cursors.
pub(crate) async fn user(w: &Worker, req: AdminUserReq) -> RpcReply<AdminUser> {
    let profile = accounts::get(
        w,
        UserGetReq {
            user_id: req.user_id,
            own: true,
        },
    )
    .await?;
    let mut devices = Vec::new();
    for (device_id, rec) in push_targets::devices(w, req.user_id)
        .await
        .map_err(store_err)?
    {
        let positions = sync::positions(w, req.user_id, &device_id)
            .await
            .map_err(store_err)?
            .into_iter()
            .map(|(p, _)| p)
            .collect();
        devices.push(AdminDevice {
            registered_at: rec.registered_at,
            push_platform: rec.push.map(|t| t.platform),
            positions,
            device_id,
        });
    }
    Ok(AdminUser { profile, devices })
}

/// Each partition's applied log position, as the store holds it.
pub(crate) async fn log_applied(w: &Worker, _: AdminLogAppliedReq) -> RpcReply<AdminLogApplied> {
    let partitions: Vec<u32> = (0..w.partitions).collect();
    let found = tables::LOG_APPLIED
        .get_many(w.store.as_ref(), &partitions)
        .await
        .map_err(store_err)?;
    let mut applied = Vec::with_capacity(found.len());
    for (p, v) in partitions.into_iter().zip(found) {
        applied.push((p, v.map_or(0, |a| a.seq)));
    }
    Ok(AdminLogApplied { applied })
}
