//! The request line plus headers.

use crate::header::parse_header;

#[derive(Debug, PartialEq)]
pub struct Request {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
}

impl Request {
    /// Parse a request head (request line, headers, blank line).
    /// Malformed header lines are skipped.
    pub fn parse(raw: &str) -> Option<Request> {
        let mut lines = raw.lines();
        let first = lines.next()?;
        let mut parts = first.split_whitespace();
        let method = parts.next()?.to_string();
        let path = parts.next()?.to_string();
        let mut headers = Vec::new();
        for line in lines {
            if line.trim().is_empty() {
                break;
            }
            headers.push(parse_header(line));
        }
        Some(Request { method, path, headers })
    }

    /// First value of the named header (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_str())
    }
}
