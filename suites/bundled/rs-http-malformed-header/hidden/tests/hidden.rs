use minihttp::{parse_header, Request};

#[test]
fn parse_header_option() {
    assert_eq!(parse_header("Content-Type: text/html"), Some(("content-type".into(), "text/html".into())));
    assert_eq!(parse_header("X-Time: 12:30:00"), Some(("x-time".into(), "12:30:00".into())));
    assert_eq!(parse_header("no colon here"), None);
}

#[test]
fn request_with_several_bad_lines() {
    let raw = "POST /api HTTP/1.1\nbad one\nContent-Length: 5\n\tcontinued\nX-A: 1\n\nbody: not a header\n";
    let r = Request::parse(raw).unwrap();
    assert_eq!(r.path, "/api");
    assert_eq!(r.headers.len(), 2);
    assert_eq!(r.header("content-length"), Some("5"));
    assert_eq!(r.header("X-A"), Some("1"));
    assert_eq!(r.header("body"), None);
}

#[test]
fn bad_request_line() {
    assert_eq!(Request::parse("GET"), None);
    assert_eq!(Request::parse(""), None);
}
