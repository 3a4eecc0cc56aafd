//! `ouro tui --once` prints one frame of the dashboard as text, sized by `--size`, from this
//! machine's real readings; bad arguments are refused with what was wrong.

use std::process::Command;

fn ouro(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_ouro"))
        .args(args)
        .output()
        .expect("running ouro")
}

#[test]
fn once_prints_every_panel_at_the_given_size() {
    let repo = env!("CARGO_MANIFEST_DIR");
    let out = ouro(&[
        "tui",
        "--once",
        "--size",
        "100x30",
        "--refresh-ms",
        "100",
        "--repo",
        repo,
    ]);
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(text.lines().count(), 30, "{text}");
    assert!(text.lines().all(|l| l.chars().count() <= 100), "{text}");
    for title in [" GPU ", " System ", " Loop ", " Agent ", " Engine "] {
        assert!(text.contains(title), "{title} missing:\n{text}");
    }
    assert!(
        text.contains("theme ocean") && text.contains("frame 2"),
        "{text}"
    );
}

#[test]
fn bad_arguments_are_named() {
    let out = ouro(&["tui", "--once", "--size", "100by30"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("100by30"));
    let out = ouro(&["tui", "--once", "--repo", "/nonexistent/ouro-repo"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/ouro-repo"));
    let out = ouro(&["tui", "--refresh-ms", "0"]);
    assert!(!out.status.success());
}
