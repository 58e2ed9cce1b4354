//! The one place that decides which address a request came from, for every rate limit,
//! the audit log and the session record (issue 23, finding 6).
//!
//! Without trusted proxies it is the TCP peer. Behind a reverse proxy every peer is the
//! proxy, so the operator names the proxies (`trusted_proxies`) and the header they
//! append the client to (`proxy_header`). The chain of addresses is then read from the
//! right, starting at the peer, and the first one that is not a trusted proxy is the
//! client: addresses further left were written by whoever sent the request and cannot be
//! believed. Only the configured header is read, because a proxy appends to its own
//! header and passes the other through as the client sent it.

use axum::http::HeaderMap;
use ipnet::IpNet;
use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;

/// The client's address, put on every request by the request middleware.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddress(pub IpAddr);

/// The header a trusted proxy appends the client's address to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ProxyHeader {
    /// `X-Forwarded-For: client, proxy1` (nginx's `$proxy_add_x_forwarded_for`, most
    /// load balancers).
    #[default]
    XForwardedFor,
    /// `Forwarded: for=client, for=proxy1` (RFC 7239).
    Forwarded,
}

impl ProxyHeader {
    pub fn name(self) -> &'static str {
        match self {
            ProxyHeader::XForwardedFor => "x-forwarded-for",
            ProxyHeader::Forwarded => "forwarded",
        }
    }
}

/// A setting that is not a list of addresses or ranges, or not a known header.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ProxySettingError {
    #[error("'{0}' is not an IP address or a CIDR range such as 10.0.0.0/8")]
    NotARange(String),
    #[error("'{0}' is neither x-forwarded-for nor forwarded")]
    UnknownHeader(String),
}

impl FromStr for ProxyHeader {
    type Err = ProxySettingError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim().to_ascii_lowercase().as_str() {
            "x-forwarded-for" => Ok(ProxyHeader::XForwardedFor),
            "forwarded" => Ok(ProxyHeader::Forwarded),
            _ => Err(ProxySettingError::UnknownHeader(text.to_string())),
        }
    }
}

/// The proxies whose word about the client is believed.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies {
    ranges: Vec<IpNet>,
    header: ProxyHeader,
}

impl TrustedProxies {
    /// Parses a comma-separated list of addresses and CIDR ranges (empty: none).
    pub fn parse(list: &str, header: ProxyHeader) -> Result<Self, ProxySettingError> {
        let ranges = list
            .split(',')
            .map(str::trim)
            .filter(|entry| !entry.is_empty())
            .map(|entry| {
                IpNet::from_str(entry)
                    .or_else(|_| IpAddr::from_str(entry).map(IpNet::from))
                    .map(|range| range.trunc())
                    .map_err(|_| ProxySettingError::NotARange(entry.to_string()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self { ranges, header })
    }

    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    pub fn header(&self) -> ProxyHeader {
        self.header
    }

    fn trusts(&self, address: IpAddr) -> bool {
        let address = address.to_canonical();
        self.ranges.iter().any(|range| range.contains(&address))
    }

    /// The client's address for a request from `peer` with these headers.
    pub fn client_address(&self, peer: SocketAddr, headers: &HeaderMap) -> IpAddr {
        let mut client = peer.ip().to_canonical();
        if !self.trusts(client) {
            return client;
        }
        let hops: Vec<&str> = headers
            .get_all(self.header.name())
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .collect();
        for hop in hops.iter().rev() {
            let parsed = match self.header {
                ProxyHeader::XForwardedFor => parse_node(hop.trim()),
                ProxyHeader::Forwarded => forwarded_for(hop),
            };
            // "unknown", an obfuscated name or garbage: the last proxy that could be
            // named stands in for the client rather than anything further left.
            let Some(address) = parsed else { return client };
            client = address;
            if !self.trusts(address) {
                return address;
            }
        }
        client
    }
}

/// The ranges as the setting writes them.
impl std::fmt::Display for TrustedProxies {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ranges: Vec<String> = self.ranges.iter().map(IpNet::to_string).collect();
        f.write_str(&ranges.join(", "))
    }
}

/// The `for=` parameter of one `Forwarded` element.
fn forwarded_for(element: &str) -> Option<IpAddr> {
    element
        .split(';')
        .filter_map(|pair| pair.split_once('='))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("for"))
        .and_then(|(_, value)| parse_node(value.trim().trim_matches('"')))
}

/// An address as proxies write it: `192.0.2.1`, `192.0.2.1:4711`, `2001:db8::1`,
/// `[2001:db8::1]` or `[2001:db8::1]:4711`.
fn parse_node(text: &str) -> Option<IpAddr> {
    if let Ok(address) = IpAddr::from_str(text) {
        return Some(address.to_canonical());
    }
    if let Ok(address) = SocketAddr::from_str(text) {
        return Some(address.ip().to_canonical());
    }
    text.strip_prefix('[')
        .and_then(|rest| rest.split_once(']'))
        .and_then(|(inside, _)| IpAddr::from_str(inside).ok())
        .map(|address| address.to_canonical())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(name: &'static str, values: &[&'static str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for value in values {
            map.append(name, HeaderValue::from_static(value));
        }
        map
    }

    fn peer(text: &str) -> SocketAddr {
        SocketAddr::new(text.parse().unwrap(), 40000)
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn without_trusted_proxies_the_peer_is_the_client() {
        let none = TrustedProxies::default();
        let sent = headers("x-forwarded-for", &["203.0.113.9"]);
        assert_eq!(none.client_address(peer("127.0.0.1"), &sent), ip("127.0.0.1"));
    }

    #[test]
    fn an_untrusted_peer_cannot_name_another_client() {
        let proxies = TrustedProxies::parse("10.0.0.0/8", ProxyHeader::XForwardedFor).unwrap();
        let sent = headers("x-forwarded-for", &["203.0.113.9"]);
        assert_eq!(proxies.client_address(peer("198.51.100.7"), &sent), ip("198.51.100.7"));
    }

    #[test]
    fn the_rightmost_untrusted_address_is_the_client() {
        let proxies = TrustedProxies::parse("10.0.0.0/8, 127.0.0.1", ProxyHeader::XForwardedFor).unwrap();
        // The client wrote 1.2.3.4 itself; the proxies appended the real one and each other.
        let sent = headers("x-forwarded-for", &["1.2.3.4, 203.0.113.9", "10.1.2.3"]);
        assert_eq!(proxies.client_address(peer("127.0.0.1"), &sent), ip("203.0.113.9"));
    }

    #[test]
    fn only_the_configured_header_is_read() {
        let proxies = TrustedProxies::parse("127.0.0.0/8", ProxyHeader::XForwardedFor).unwrap();
        let mut sent = headers("x-forwarded-for", &["203.0.113.9"]);
        sent.append("forwarded", HeaderValue::from_static("for=192.0.2.1"));
        assert_eq!(proxies.client_address(peer("127.0.0.1"), &sent), ip("203.0.113.9"));
    }

    #[test]
    fn forwarded_elements_with_ports_and_ipv6_are_read() {
        let proxies = TrustedProxies::parse("127.0.0.0/8, 2001:db8:aaaa::/48", ProxyHeader::Forwarded).unwrap();
        let sent = headers(
            "forwarded",
            &[
                "for=192.0.2.60;proto=http;by=203.0.113.43, for=\"[2001:db8:cafe::17]:4711\", for=\"[2001:db8:aaaa::1]\"",
            ],
        );
        assert_eq!(proxies.client_address(peer("127.0.0.1"), &sent), ip("2001:db8:cafe::17"));
        let with_port = headers("forwarded", &["for=\"192.0.2.60:8080\""]);
        assert_eq!(proxies.client_address(peer("127.0.0.1"), &with_port), ip("192.0.2.60"));
    }

    #[test]
    fn an_unnamed_hop_leaves_the_last_named_proxy() {
        let proxies = TrustedProxies::parse("127.0.0.0/8, 10.0.0.0/8", ProxyHeader::Forwarded).unwrap();
        let sent = headers("forwarded", &["for=192.0.2.60, for=unknown, for=10.0.0.5"]);
        assert_eq!(proxies.client_address(peer("127.0.0.1"), &sent), ip("10.0.0.5"));
        let nothing = HeaderMap::new();
        assert_eq!(proxies.client_address(peer("127.0.0.1"), &nothing), ip("127.0.0.1"));
    }

    #[test]
    fn mapped_ipv4_peers_match_ipv4_ranges() {
        let proxies = TrustedProxies::parse("127.0.0.1", ProxyHeader::XForwardedFor).unwrap();
        let sent = headers("x-forwarded-for", &["203.0.113.9"]);
        assert_eq!(proxies.client_address(peer("::ffff:127.0.0.1"), &sent), ip("203.0.113.9"));
    }

    #[test]
    fn bad_settings_name_the_entry() {
        assert_eq!(
            TrustedProxies::parse("10.0.0.0/8, proxy.local", ProxyHeader::Forwarded).err(),
            Some(ProxySettingError::NotARange("proxy.local".into()))
        );
        assert!("via".parse::<ProxyHeader>().is_err());
        assert!(TrustedProxies::parse(" ", ProxyHeader::Forwarded).unwrap().is_empty());
    }
}
