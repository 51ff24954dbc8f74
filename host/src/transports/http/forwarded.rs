//! Who the client is, behind a reverse proxy: `X-Forwarded-For` and
//! `X-Forwarded-Proto` count only on connections from an address in
//! `http.trusted_proxies`; from anyone else they are ignored, so a client
//! cannot pick the address its rate limits are counted under, nor the scheme
//! of the URLs the host writes for it.
//!
//! [`resolve`] runs before every other guard and puts the answer in the
//! request: a [`ClientAddr`] and a [`Scheme`].

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::Response;
use ipnet::IpNet;

/// The client's address: the peer's, or behind a trusted proxy the nearest
/// address in `X-Forwarded-For` that is not a trusted proxy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub IpAddr);

/// The scheme the client used: the listener's, or behind a trusted proxy
/// its `X-Forwarded-Proto` (`http` or `https`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scheme(pub &'static str);

/// What [`resolve`] knows: the trusted proxies and the listener's own scheme.
#[derive(Debug, Clone)]
pub struct Forwarding {
    trusted: Vec<IpNet>,
    scheme: &'static str,
}

impl Forwarding {
    /// Trusting `trusted`, on a listener that speaks `https` when `tls`.
    pub fn new(trusted: Vec<IpNet>, tls: bool) -> Self {
        Self { trusted, scheme: if tls { "https" } else { "http" } }
    }

    fn trusts(&self, addr: IpAddr) -> bool {
        self.trusted.iter().any(|net| net.contains(&canonical(addr)))
    }

    /// The client's address and scheme for a request from `peer`.
    fn client(&self, peer: IpAddr, headers: &HeaderMap) -> (ClientAddr, Scheme) {
        if !self.trusts(peer) {
            return (ClientAddr(peer), Scheme(self.scheme));
        }
        let hops: Vec<IpAddr> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|hop| hop.trim().parse().ok())
            .collect();
        // The nearest hop first: the first one we do not trust is the client;
        // if we trust them all, the farthest is.
        let client = hops.iter().rev().find(|hop| !self.trusts(**hop)).or(hops.first()).copied().unwrap_or(peer);
        let forwarded = headers.get_all("x-forwarded-proto").iter().filter_map(|v| v.to_str().ok()).next_back();
        let scheme = match forwarded.and_then(|v| v.rsplit(',').next()).map(str::trim) {
            Some(proto) if proto.eq_ignore_ascii_case("https") => "https",
            Some(proto) if proto.eq_ignore_ascii_case("http") => "http",
            _ => self.scheme,
        };
        (ClientAddr(client), Scheme(scheme))
    }
}

/// An IPv4 address the OS reports as IPv6 (`::ffff:a.b.c.d`) as IPv4.
fn canonical(addr: IpAddr) -> IpAddr {
    match addr {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(addr, IpAddr::V4),
        v4 => v4,
    }
}

/// Middleware: puts the request's [`ClientAddr`] and [`Scheme`] in it.
pub async fn resolve(State(forwarding): State<Arc<Forwarding>>, mut request: Request, next: Next) -> Response {
    let peer = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|ConnectInfo(peer)| canonical(peer.ip()));
    if let Some(peer) = peer {
        let (client, scheme) = forwarding.client(peer, request.headers());
        request.extensions_mut().insert(client);
        request.extensions_mut().insert(scheme);
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;
    use crate::config::parse_proxy;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.append(*name, HeaderValue::from_static(value));
        }
        headers
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn forwarded_headers_count_only_from_a_trusted_proxy() {
        let forwarding =
            Forwarding::new(vec![parse_proxy("10.0.0.0/8").unwrap(), parse_proxy("127.0.0.1").unwrap()], false);
        let sent = headers(&[("x-forwarded-for", "203.0.113.9"), ("x-forwarded-proto", "https")]);
        assert_eq!(forwarding.client(ip("198.51.100.7"), &sent), (ClientAddr(ip("198.51.100.7")), Scheme("http")));
        assert_eq!(forwarding.client(ip("127.0.0.1"), &sent), (ClientAddr(ip("203.0.113.9")), Scheme("https")));
        assert_eq!(forwarding.client(ip("::ffff:10.1.2.3"), &sent).0, ClientAddr(ip("203.0.113.9")), "IPv4 as IPv6");
    }

    #[test]
    fn the_client_is_the_nearest_hop_not_trusted_and_spoofed_hops_before_it_do_not_count() {
        let forwarding = Forwarding::new(vec![parse_proxy("10.0.0.0/8").unwrap()], true);
        let chain = headers(&[("x-forwarded-for", "1.2.3.4, 203.0.113.9"), ("x-forwarded-for", "10.0.0.2")]);
        assert_eq!(forwarding.client(ip("10.0.0.1"), &chain).0, ClientAddr(ip("203.0.113.9")));
        let all_trusted = headers(&[("x-forwarded-for", "10.0.0.3, 10.0.0.2")]);
        assert_eq!(forwarding.client(ip("10.0.0.1"), &all_trusted).0, ClientAddr(ip("10.0.0.3")));
        let garbage = headers(&[("x-forwarded-for", "not an address"), ("x-forwarded-proto", "gopher")]);
        assert_eq!(forwarding.client(ip("10.0.0.1"), &garbage), (ClientAddr(ip("10.0.0.1")), Scheme("https")));
    }
}
