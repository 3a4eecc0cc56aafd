//! Network rules judged by address, not by spelling.
//!
//! A host in a URL can be spelled many ways: `127.0.0.1`, `2130706433`, `0x7f.1`,
//! `0177.0.0.1`, `127.1`, `[::ffff:127.0.0.1]`, `LOCALHOST.`, a DNS name that resolves to it.
//! [`Target`] is what a request really reaches: the host name as the `url` crate (WHATWG URL
//! rules) normalises it, lowercase without a trailing dot, plus every address it resolves to,
//! IPv4-mapped IPv6 addresses reduced to IPv4. A network rule's pattern ([`HostPattern`]) is
//! an address (in any spelling the URL standard accepts), an address range (`10.0.0.0/8`,
//! `fe80::/10`) or a host-name glob (`*.crates.io`); a rule matches a target when its
//! address covers any of the target's addresses or its glob matches the name. A deny or ask
//! rule naming a literal host (`localhost`, `evil.example`) also covers every address that
//! name resolves to, so the numeric spellings of a denied name are denied too.

use std::fmt;
use std::net::{IpAddr, ToSocketAddrs};

use globset::{GlobBuilder, GlobMatcher};

/// Where a request goes: its normalised host name and the addresses it will connect to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Target {
    /// The host as normalised by the URL standard (an address is written canonically).
    pub host: String,
    /// The addresses the request may connect to, canonical (no IPv4-mapped IPv6).
    pub addrs: Vec<IpAddr>,
}

impl Target {
    /// The target for a parsed URL's host, resolving names through the system resolver.
    /// A name that does not resolve gives no addresses (the connection will fail).
    pub fn resolve(host: &url::Host<&str>, port: u16) -> Self {
        match host {
            url::Host::Ipv4(ip) => Self::address(IpAddr::V4(*ip)),
            url::Host::Ipv6(ip) => Self::address(IpAddr::V6(*ip)),
            url::Host::Domain(name) => {
                let name = normalise_name(name);
                let addrs = lookup(&name, port);
                Self { host: name, addrs }
            }
        }
    }

    /// A host written as text, not resolved: an address literal in any spelling gives its
    /// address, a name gives none.
    pub fn unresolved(host: &str) -> Self {
        match parse_address(host) {
            Some(ip) => Self::address(ip),
            None => Self {
                host: normalise_name(host),
                addrs: Vec::new(),
            },
        }
    }

    fn address(ip: IpAddr) -> Self {
        let ip = ip.to_canonical();
        Self {
            host: ip.to_string(),
            addrs: vec![ip],
        }
    }
}

impl fmt::Display for Target {
    /// `host` or `host (addr, addr)` when the name resolved.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.host)?;
        let named: Vec<String> = self
            .addrs
            .iter()
            .map(IpAddr::to_string)
            .filter(|a| *a != self.host)
            .collect();
        if !named.is_empty() {
            write!(f, " ({})", named.join(", "))?;
        }
        Ok(())
    }
}

/// Lowercase, no trailing dot.
fn normalise_name(name: &str) -> String {
    name.trim_end_matches('.').to_ascii_lowercase()
}

/// The addresses `name` resolves to (canonical, deduplicated); none if it does not resolve.
pub fn lookup(name: &str, port: u16) -> Vec<IpAddr> {
    let mut addrs: Vec<IpAddr> = (name, port)
        .to_socket_addrs()
        .map(|it| it.map(|a| a.ip().to_canonical()).collect())
        .unwrap_or_default();
    addrs.sort();
    addrs.dedup();
    addrs
}

/// A compiled network rule pattern.
#[derive(Debug, Clone)]
pub enum HostPattern {
    /// An address range: the network address and the prefix length.
    Range(IpAddr, u8),
    /// A host-name glob; `literal` is set when the pattern has no glob characters.
    Name {
        /// The glob, matched against normalised host names.
        glob: GlobMatcher,
        /// The name itself when it is not a glob (resolved for deny and ask rules).
        literal: Option<String>,
    },
}

impl HostPattern {
    /// Compiles a pattern; the error says what is wrong with it.
    pub fn new(pattern: &str) -> Result<Self, String> {
        let bare = pattern.trim();
        if let Some((addr, bits)) = bare.split_once('/') {
            let ip = parse_address(addr).ok_or_else(|| format!("`{addr}` is not an IP address"))?;
            let max = if ip.is_ipv4() { 32 } else { 128 };
            let bits: u8 = bits
                .parse()
                .ok()
                .filter(|b| *b <= max)
                .ok_or_else(|| format!("`{bits}` is not a prefix length (0 to {max})"))?;
            return Ok(Self::Range(ip, bits));
        }
        if let Some(ip) = parse_address(bare) {
            let bits = if ip.is_ipv4() { 32 } else { 128 };
            return Ok(Self::Range(ip, bits));
        }
        let name = normalise_name(bare);
        let glob = GlobBuilder::new(&name)
            .case_insensitive(true)
            .build()
            .map_err(|e| e.to_string())?
            .compile_matcher();
        let literal = (!name.contains(['*', '?', '[', '{'])).then_some(name);
        Ok(Self::Name { glob, literal })
    }

    /// Whether this pattern covers the target; `resolve_names`: also compare the addresses a
    /// literal name resolves to.
    pub fn matches(&self, target: &Target, resolve_names: bool) -> bool {
        match self {
            Self::Range(net, bits) => target.addrs.iter().any(|a| in_range(*a, *net, *bits)),
            Self::Name { glob, literal } => {
                glob.is_match(&target.host)
                    || (resolve_names
                        && !target.addrs.is_empty()
                        && literal.as_deref().is_some_and(|name| {
                            lookup(name, 0).iter().any(|a| target.addrs.contains(a))
                        }))
            }
        }
    }
}

/// An address in any spelling the URL standard accepts (`0x7f.1`, `[::1]`, `::1`), canonical.
pub fn parse_address(text: &str) -> Option<IpAddr> {
    let inner = text.trim_start_matches('[').trim_end_matches(']');
    let host = if inner.contains(':') {
        url::Host::parse(&format!("[{inner}]")).ok()?
    } else {
        url::Host::parse(inner).ok()?
    };
    match host {
        url::Host::Ipv4(ip) => Some(IpAddr::V4(ip)),
        url::Host::Ipv6(ip) => Some(IpAddr::V6(ip).to_canonical()),
        url::Host::Domain(_) => None,
    }
}

fn in_range(addr: IpAddr, net: IpAddr, bits: u8) -> bool {
    let (a, n, width) = match (addr, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) => (u32::from(a) as u128, u32::from(n) as u128, 32),
        (IpAddr::V6(a), IpAddr::V6(n)) => (u128::from(a), u128::from(n), 128),
        _ => return false,
    };
    let shift = width - u32::from(bits);
    shift >= width || (a >> shift) == (n >> shift)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(url: &str) -> Target {
        let u = url::Url::parse(url).unwrap();
        Target::resolve(&u.host().unwrap(), 80)
    }

    #[test]
    fn numeric_spellings_are_one_address() {
        let loopback = HostPattern::new("127.0.0.1").unwrap();
        for url in [
            "http://127.0.0.1/",
            "http://2130706433/",
            "http://0x7f.1/",
            "http://0177.0.0.1/",
            "http://127.1/",
            "http://0x7f000001/",
            "http://[::ffff:127.0.0.1]/",
            "http://[0:0:0:0:0:ffff:7f00:1]/",
            "http://allowed.com@127.0.0.1/",
            "http://127.0.0.1./",
        ] {
            assert!(loopback.matches(&target(url), false), "{url}");
        }
        assert!(!loopback.matches(&target("http://127.0.0.2/"), false));
    }

    #[test]
    fn ranges_and_names() {
        let range = HostPattern::new("127.0.0.0/8").unwrap();
        assert!(range.matches(&target("http://127.9.9.9/"), false));
        assert!(!range.matches(&target("http://10.0.0.1/"), false));
        let v6 = HostPattern::new("[::1]").unwrap();
        assert!(v6.matches(&target("http://[0::1]/"), false));
        let glob = HostPattern::new("*.Crates.IO").unwrap();
        assert!(glob.matches(&target("http://INDEX.crates.io./"), false));
        assert!(HostPattern::new("10.0.0.0/40").is_err());
    }

    #[test]
    fn a_denied_name_covers_its_addresses() {
        let localhost = HostPattern::new("localhost").unwrap();
        let t = target("http://127.0.0.1/");
        assert!(!localhost.matches(&t, false));
        assert!(localhost.matches(&t, true));
    }
}
