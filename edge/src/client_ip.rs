//! The address a request comes from, for limits keyed by address: the peer's, or,
//! when the peer is a proxy the operator trusts (`--trusted-proxies`), the nearest
//! address in `X-Forwarded-For` that is not one of them. Behind a load balancer
//! every request's peer is the balancer, so without this all clients would share
//! one sign-in budget; and `X-Forwarded-For` from anyone else is ignored, so a
//! client cannot pick its own address.

use std::net::IpAddr;

use axum::http::HeaderMap;
use ipnet::IpNet;

/// The client's address for a request from `peer` with `headers`.
pub(crate) fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted: &[IpNet]) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|n| n.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    // Each proxy appends the address it got the request from: read from the right,
    // past the trusted proxies, to the first address a trusted proxy vouches for.
    let forwarded: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .collect();
    let mut client = peer;
    for entry in forwarded.iter().rev() {
        let Ok(ip) = entry.trim().parse::<IpAddr>() else {
            break;
        };
        client = ip;
        if !is_trusted(&ip) {
            break;
        }
    }
    client
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(xff: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in xff {
            h.append("x-forwarded-for", v.parse().expect("header value"));
        }
        h
    }

    #[test]
    fn forwarded_addresses_count_only_behind_trusted_proxies() {
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap(), "::1/128".parse().unwrap()];
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        // A direct client: its own address, whatever it claims.
        assert_eq!(
            client_ip(ip("203.0.113.7"), &headers(&["198.51.100.1"]), &trusted),
            ip("203.0.113.7")
        );
        // Behind one trusted proxy.
        assert_eq!(
            client_ip(ip("10.1.2.3"), &headers(&["198.51.100.1"]), &trusted),
            ip("198.51.100.1")
        );
        // A client's forged entries sit left of what the proxies appended.
        assert_eq!(
            client_ip(
                ip("10.1.2.3"),
                &headers(&["1.1.1.1, 198.51.100.1", "10.9.9.9"]),
                &trusted
            ),
            ip("198.51.100.1")
        );
        // No header, or garbage: the proxy itself (or the last good address).
        assert_eq!(client_ip(ip("::1"), &headers(&[]), &trusted), ip("::1"));
        assert_eq!(
            client_ip(ip("10.1.2.3"), &headers(&["198.51.100.1, junk"]), &trusted),
            ip("10.1.2.3")
        );
    }
}
