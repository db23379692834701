//! Which addresses a push may go to. Webhook URLs and Web Push endpoints are chosen
//! by users, so without a filter a user could make the push worker POST to the
//! service's own network: loopback, private and link-local ranges (NATS, the
//! edges' APIs, cloud metadata at 169.254.169.254). Every address a target's host
//! resolves to (or is, for an IP literal) must be public, unless an operator
//! allowed its network (`PushConfig::allowed_networks`, for internal hooks).
//!
//! The check runs in the HTTP client's resolver, so the address checked is the
//! address connected to (no second lookup a DNS answer could change in between).

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use ipnet::IpNet;
use reqwest::Url;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use crate::PushError;

/// Whether `ip` is an address a push may reach: public, or in `allowed`.
pub(crate) fn permitted(ip: IpAddr, allowed: &[IpNet]) -> bool {
    allowed.iter().any(|n| n.contains(&ip)) || is_public(ip)
}

/// Whether `ip` is a public unicast address (none of: loopback, private, shared
/// (CGNAT), link-local, unique-local, unspecified, multicast, broadcast,
/// documentation, or an IPv4 one of those inside IPv6).
pub(crate) fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_multicast()
                || v4.is_broadcast()
                || v4.is_documentation()
                || a == 0
                || (a == 100 && (64..128).contains(&b))
                || (a == 192 && b == 0 && v4.octets()[2] == 0))
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
                || first == 0x2001 && v6.segments()[1] == 0x0db8
                || first == 0x0064 && v6.segments()[1] == 0xff9b)
        }
    }
}

/// Refuses a target URL whose host is an IP literal that is not permitted (names
/// are checked when resolved, by [`FilteringResolver`]).
///
/// # Errors
/// [`PushError::Misconfigured`]: the target points inside the service's network.
pub(crate) fn check_literal(url: &Url, allowed: &[IpNet]) -> Result<(), PushError> {
    let host = url.host_str().unwrap_or_default();
    let literal = host.trim_start_matches('[').trim_end_matches(']');
    let Ok(ip) = literal.parse::<IpAddr>() else {
        return Ok(());
    };
    if permitted(ip, allowed) {
        Ok(())
    } else {
        metrics::counter!("natter_push_targets_refused_total").increment(1);
        Err(refused())
    }
}

fn refused() -> PushError {
    PushError::Misconfigured(
        "target address is not public (push targets may not reach internal networks)".into(),
    )
}

/// A resolver that drops every address a push may not reach, and fails when none
/// is left.
pub(crate) struct FilteringResolver {
    inner: Arc<dyn Resolve>,
    allowed: Arc<[IpNet]>,
}

impl FilteringResolver {
    /// Filters what `inner` resolves.
    pub(crate) fn new(inner: Arc<dyn Resolve>, allowed: &[IpNet]) -> Self {
        Self {
            inner,
            allowed: allowed.into(),
        }
    }
}

/// The system resolver (getaddrinfo on tokio's blocking pool).
pub(crate) struct SystemResolver;

impl Resolve for SystemResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_string();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

impl Resolve for FilteringResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let (inner, allowed) = (self.inner.clone(), self.allowed.clone());
        Box::pin(async move {
            let addrs: Vec<SocketAddr> = inner
                .resolve(name)
                .await?
                .filter(|a| permitted(a.ip(), &allowed))
                .collect();
            if addrs.is_empty() {
                metrics::counter!("natter_push_targets_refused_total").increment(1);
                return Err(Box::new(refused()) as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_ranges_are_not_public() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "224.0.0.1",
            "255.255.255.255",
            "::1",
            "fe80::1",
            "fc00::1",
            "::",
            "::ffff:10.0.0.1",
            "::ffff:127.0.0.1",
        ] {
            assert!(!is_public(ip.parse().unwrap()), "{ip}");
        }
        for ip in [
            "8.8.8.8",
            "1.1.1.1",
            "2606:4700:4700::1111",
            "::ffff:8.8.8.8",
        ] {
            assert!(is_public(ip.parse().unwrap()), "{ip}");
        }
        let allowed: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        assert!(permitted("10.9.9.9".parse().unwrap(), &allowed));
        assert!(!permitted("192.168.0.1".parse().unwrap(), &allowed));
    }

    #[test]
    fn ip_literal_targets_are_checked_before_any_connection() {
        let url = |s: &str| Url::parse(s).unwrap();
        assert!(check_literal(&url("http://127.0.0.1:4222/x"), &[]).is_err());
        assert!(check_literal(&url("http://[::1]/x"), &[]).is_err());
        assert!(check_literal(&url("http://169.254.169.254/latest"), &[]).is_err());
        assert!(check_literal(&url("https://93.184.216.34/hook"), &[]).is_ok());
        assert!(check_literal(&url("https://hooks.example/x"), &[]).is_ok());
        let loopback: Vec<IpNet> = vec!["127.0.0.0/8".parse().unwrap()];
        assert!(check_literal(&url("http://127.0.0.1:9/x"), &loopback).is_ok());
    }

    /// A resolver the test controls: every name is an internal address.
    struct Internal;

    impl Resolve for Internal {
        fn resolve(&self, _: Name) -> Resolving {
            Box::pin(async {
                let addrs: Vec<SocketAddr> = vec![
                    "10.0.0.5:0".parse().unwrap(),
                    "192.168.0.9:0".parse().unwrap(),
                ];
                Ok(Box::new(addrs.into_iter()) as Addrs)
            })
        }
    }

    #[tokio::test]
    async fn a_name_that_resolves_inside_is_refused_without_a_connection() {
        let filter = FilteringResolver::new(Arc::new(Internal), &[]);
        let name: Name = "internal.test".parse().unwrap();
        assert!(filter.resolve(name).await.is_err());
        // Through an HTTP client: the request fails at resolution, before connecting.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .dns_resolver(Arc::new(FilteringResolver::new(Arc::new(Internal), &[])))
            .build()
            .unwrap();
        let e = client
            .post("http://internal.test:4222/hook")
            .send()
            .await
            .expect_err("refused");
        assert!(e.is_connect() || e.is_request(), "{e}");
        // An operator's allowed network is let through (resolution succeeds).
        let allowed: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        let filter = FilteringResolver::new(Arc::new(Internal), &allowed);
        let name: Name = "internal.test".parse().unwrap();
        let addrs: Vec<SocketAddr> = filter.resolve(name).await.unwrap().collect();
        assert_eq!(addrs, vec!["10.0.0.5:0".parse::<SocketAddr>().unwrap()]);
    }
}
