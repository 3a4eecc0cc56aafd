use envfile::{parse, parse_line};

#[test]
fn simple() {
    assert_eq!(parse_line("A=1"), Some(("A".into(), "1".into())));
    assert_eq!(parse_line("# comment"), None);
}

#[test]
fn file_with_junk_line() {
    let env = parse("A=1\nexport\nB=\"two\"\n");
    assert_eq!(env, vec![("A".into(), "1".into()), ("B".into(), "two".into())]);
}
