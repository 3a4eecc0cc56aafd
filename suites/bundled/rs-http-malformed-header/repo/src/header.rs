//! Header lines: `Name: value`.

/// Split a header line into a lower-cased name and a trimmed value.
pub fn parse_header(line: &str) -> (String, String) {
    let (name, value) = line.split_once(':').expect("header without colon");
    (name.trim().to_ascii_lowercase(), value.trim().to_string())
}

/// True when `name` is a hop-by-hop header that proxies must not forward.
pub fn is_hop_by_hop(name: &str) -> bool {
    matches!(
        name,
        "connection" | "keep-alive" | "proxy-connection" | "te" | "trailer" | "transfer-encoding" | "upgrade"
    )
}
