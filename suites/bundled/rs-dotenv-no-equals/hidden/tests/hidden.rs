use envfile::{parse, parse_line};

#[test]
fn lines_without_equals() {
    for line in ["export", "JUSTAKEY", "  spaced words ", "export FOO", "#x=1", ""] {
        assert_eq!(parse_line(line), None, "{line:?}");
    }
}

#[test]
fn values() {
    assert_eq!(parse_line("export KEY = 'a b'"), Some(("KEY".into(), "a b".into())));
    assert_eq!(parse_line("URL=http://x/?a=b"), Some(("URL".into(), "http://x/?a=b".into())));
    assert_eq!(parse_line("EMPTY="), Some(("EMPTY".into(), "".into())));
    assert_eq!(parse_line("=value"), None);
}

#[test]
fn whole_file() {
    let env = parse("A=1\nbroken\n\nA=3\n# c\nB=2\n");
    assert_eq!(env, vec![("A".into(), "3".into()), ("B".into(), "2".into())]);
}
