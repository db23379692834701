//! How Natter's services connect to NATS.

use std::time::Duration;

/// Connects to NATS as service `name` (shown by `nats server report connections`).
/// `url` may list several servers of a cluster, comma-separated.
///
/// The client keeps reconnecting on its own after a disconnect (to any listed
/// server); the first connect retries too, so services may start before the server.
///
/// # Errors
/// Fails if the URL is malformed.
pub async fn connect(
    url: &str,
    name: &str,
) -> Result<async_nats::Client, async_nats::ConnectError> {
    let servers = servers(url)?;
    let mut options = async_nats::ConnectOptions::new();
    // Credentials in the URL (`nats://user:password@host`) are this service's user,
    // and its replies come on an inbox prefix of its own, the only one its user may
    // subscribe to (nats/config/auth.conf): one credential cannot read another
    // service's replies.
    if let Some((user, pass)) = servers
        .iter()
        .find_map(|s| Some((s.username()?.to_string(), s.password()?.to_string())))
    {
        options = options
            .custom_inbox_prefix(inbox_prefix(&user))
            .user_and_password(user, pass);
    }
    let service = name.to_string();
    options
        .name(name)
        // A server error (e.g. a permissions violation: a subject this service's
        // user may not use) reaches no caller otherwise: log it.
        .event_callback(move |event| {
            let service = service.clone();
            async move {
                if let async_nats::Event::ServerError(e) = event {
                    tracing::warn!(service, error = %e, "nats server error");
                }
            }
        })
        .retry_on_initial_connect()
        .connection_timeout(Duration::from_secs(5))
        .request_timeout(Some(Duration::from_secs(10)))
        // Fan-out bursts: a user subscription may see many events at once.
        .subscription_capacity(64 * 1024)
        .connect(servers)
        .await
}

/// The inbox prefix of NATS user `user`: `_INBOX_<user>`.
pub fn inbox_prefix(user: &str) -> String {
    format!("_INBOX_{user}")
}

pub(crate) fn servers(url: &str) -> Result<Vec<async_nats::ServerAddr>, async_nats::ConnectError> {
    url.split(',')
        .map(|u| {
            u.trim().parse::<async_nats::ServerAddr>().map_err(|e| {
                async_nats::ConnectError::with_source(async_nats::ConnectErrorKind::ServerParse, e)
            })
        })
        .collect()
}

/// Waits until the server has processed everything this client sent before (e.g. a
/// subscription), by a message to the client's own inbox and back.
///
/// `Client::flush` only writes the buffer out; it does not wait for the server.
///
/// # Errors
/// The server did not answer within `timeout` or the connection is down.
pub async fn round_trip(
    client: &async_nats::Client,
    timeout: Duration,
) -> Result<(), async_nats::Error> {
    use futures::StreamExt;
    let inbox = client.new_inbox();
    let mut probe = client.subscribe(inbox.clone()).await?;
    client.publish(inbox, bytes::Bytes::new()).await?;
    match tokio::time::timeout(timeout, probe.next()).await {
        Ok(Some(_)) => Ok(()),
        Ok(None) => Err("connection closed".into()),
        Err(_) => Err("no round trip in time".into()),
    }
}
