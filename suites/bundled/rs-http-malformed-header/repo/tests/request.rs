use minihttp::Request;

#[test]
fn parses_headers() {
    let r = Request::parse("GET /index.html HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\n\r\n").unwrap();
    assert_eq!(r.method, "GET");
    assert_eq!(r.header("host"), Some("example.com"));
}

#[test]
fn skips_malformed_header() {
    let r = Request::parse("GET / HTTP/1.1\r\ngarbage\r\nHost: x\r\n\r\n").unwrap();
    assert_eq!(r.headers, vec![("host".to_string(), "x".to_string())]);
}
