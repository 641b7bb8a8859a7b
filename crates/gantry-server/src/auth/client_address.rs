//! The address a request comes from, as far as the server can trust it.
//!
//! Failed sign-ins are counted per client address. Behind a reverse proxy
//! every request's peer is the proxy, so counting by peer would let one
//! guesser lock every user of the proxy out. The proxy names the client in
//! `X-Forwarded-For`; that header is believed only from a configured
//! trusted proxy, since anyone else can write anything in it.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::Response;
use ipnet::IpNet;

use crate::state::AppState;

/// The client's address, set on every request by [`resolve`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientAddress(pub IpAddr);

/// The reverse proxies whose `X-Forwarded-For` is believed.
#[derive(Clone, Debug, Default)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// Reads addresses (`10.1.2.3`, `::1`) and networks (`10.0.0.0/8`).
    pub fn parse(entries: &[String]) -> Result<Self, String> {
        entries
            .iter()
            .map(|entry| {
                let entry = entry.trim();
                entry
                    .parse::<IpNet>()
                    .or_else(|_| entry.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| format!("trusted_proxies: '{entry}' is not an IP address or network"))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Self)
    }

    fn trusts(&self, address: IpAddr) -> bool {
        let address = canonical(address);
        self.0.iter().any(|net| net.contains(&address))
    }

    /// The client behind `peer`: `peer` itself unless it is a trusted
    /// proxy; then the right-most address of `X-Forwarded-For` that is not
    /// a trusted proxy (each proxy appends the address it received from,
    /// so entries left of the first untrusted one are the client's to write).
    pub fn client_of(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let peer = canonical(peer);
        if !self.trusts(peer) {
            return peer;
        }
        let mut client = peer;
        let hops = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .collect::<Vec<_>>();
        for hop in hops.into_iter().rev() {
            let Some(address) = parse_hop(hop) else {
                // An entry we cannot read ends the chain we can vouch for.
                break;
            };
            client = address;
            if !self.trusts(address) {
                break;
            }
        }
        client
    }
}

/// An `X-Forwarded-For` entry: an address, perhaps with a port (`[::1]:80`, `1.2.3.4:80`).
fn parse_hop(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim();
    hop.parse::<IpAddr>()
        .ok()
        .or_else(|| hop.parse::<SocketAddr>().ok().map(|s| s.ip()))
        .map(canonical)
}

/// IPv4 peers of a dual-stack socket arrive as `::ffff:a.b.c.d`.
fn canonical(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(address, IpAddr::V4),
        IpAddr::V4(_) => address,
    }
}

/// Middleware: records the request's [`ClientAddress`] for the handlers.
pub async fn resolve(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0.ip());
    if let Some(peer) = peer {
        let client = state.trusted_proxies().client_of(peer, request.headers());
        request.extensions_mut().insert(ClientAddress(client));
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(forwarded: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in forwarded {
            headers.append("x-forwarded-for", value.parse().expect("header"));
        }
        headers
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("address")
    }

    #[test]
    fn the_header_is_believed_only_from_a_trusted_proxy() {
        let proxies = TrustedProxies::parse(&["10.0.0.0/8".into(), "::1".into()]).expect("valid");
        let forwarded = headers(&["203.0.113.9"]);
        assert_eq!(proxies.client_of(ip("10.1.1.1"), &forwarded), ip("203.0.113.9"));
        assert_eq!(proxies.client_of(ip("::1"), &forwarded), ip("203.0.113.9"));
        assert_eq!(
            proxies.client_of(ip("198.51.100.7"), &forwarded),
            ip("198.51.100.7"),
            "anyone else's header is ignored"
        );
        assert_eq!(
            TrustedProxies::default().client_of(ip("10.1.1.1"), &forwarded),
            ip("10.1.1.1"),
            "no proxy is trusted by default"
        );
    }

    #[test]
    fn the_client_is_the_right_most_untrusted_hop() {
        let proxies = TrustedProxies::parse(&["10.0.0.0/8".into()]).expect("valid");
        // The client wrote a fake first entry; the proxies appended the rest.
        let forwarded = headers(&["1.1.1.1, 203.0.113.9", "10.2.2.2"]);
        assert_eq!(proxies.client_of(ip("10.1.1.1"), &forwarded), ip("203.0.113.9"));
        assert_eq!(
            proxies.client_of(ip("::ffff:10.1.1.1"), &headers(&["[2001:db8::1]:4711"])),
            ip("2001:db8::1")
        );
        assert_eq!(
            proxies.client_of(ip("10.1.1.1"), &headers(&["junk"])),
            ip("10.1.1.1"),
            "an unreadable entry leaves the proxy as the client"
        );
    }

    #[test]
    fn bad_entries_are_refused() {
        assert!(TrustedProxies::parse(&["10.0.0.0/33".into()]).is_err());
        assert!(TrustedProxies::parse(&["proxy.example".into()]).is_err());
    }
}
