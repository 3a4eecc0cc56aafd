//! Minimal parsing of HTTP/1.1 request heads.

pub mod header;
pub mod request;

pub use header::parse_header;
pub use request::Request;
