//! Drives the real `ouro tui` in a detached tmux session: it starts and shows its panels,
//! reacts to p (paused), t (theme), h (help) and q (exits), and leaves the shell's screen
//! restored; SIGTERM restores it too. Skipped, with the reason printed, where tmux is not installed.

use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// A tmux server of our own (its own socket), killed when dropped.
struct Tmux {
    socket: String,
    session: String,
}

impl Tmux {
    fn run(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .args(["-L", &self.socket])
            .args(args)
            .output()
            .expect("running tmux")
    }

    fn send(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", &self.session];
        args.extend_from_slice(keys);
        let out = self.run(&args);
        assert!(out.status.success(), "send-keys: {out:?}");
    }

    fn screen(&self) -> String {
        let out = self.run(&["capture-pane", "-p", "-t", &self.session]);
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Waits until the screen satisfies `ok`; fails with the last screen after 20 s.
    fn wait_for(&self, what: &str, ok: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let screen = self.screen();
            if ok(&screen) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; the screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.run(&["kill-server"]);
    }
}

fn tmux_available() -> bool {
    Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn tui_starts_reacts_to_keys_and_restores_the_terminal() {
    if !tmux_available() {
        eprintln!("skipped: tmux is not installed (apt-get install tmux)");
        return;
    }
    let repo = std::env::temp_dir().join(format!("ouro-tui-tmux-{}", std::process::id()));
    std::fs::create_dir_all(&repo).expect("a temp repo");
    let repo: PathBuf = std::fs::canonicalize(&repo).expect("canonical repo path");
    let tmux = Tmux {
        socket: format!("ouro-tui-test-{}", std::process::id()),
        session: "tui".into(),
    };
    let shell = "env PS1='ouro-test$ ' bash --norc --noprofile";
    let out = tmux.run(&[
        "new-session",
        "-d",
        "-s",
        "tui",
        "-x",
        "120",
        "-y",
        "40",
        shell,
    ]);
    assert!(out.status.success(), "new-session: {out:?}");
    tmux.wait_for("the shell prompt", |s| s.contains("ouro-test$"));

    let command = format!(
        "{} tui --repo {} --refresh-ms 100; echo ouro-exit-$?",
        env!("CARGO_BIN_EXE_ouro"),
        repo.display()
    );
    tmux.send(&["-l", &command]);
    tmux.send(&["Enter"]);
    let screen = tmux.wait_for("the panels", |s| {
        ["GPU", "System", "Loop", "Agent", "Engine"]
            .iter()
            .all(|t| s.contains(&format!(" {t} ")))
    });
    assert!(
        screen.contains(&format!("no loop running in {}", repo.display())),
        "{screen}"
    );
    assert!(screen.contains("theme ocean"), "{screen}");

    tmux.send(&["p"]);
    tmux.wait_for("PAUSED in the status bar", |s| s.contains("PAUSED"));
    tmux.send(&["p"]);
    tmux.wait_for("PAUSED gone", |s| !s.contains("PAUSED"));

    tmux.send(&["t"]);
    tmux.wait_for("the next theme", |s| {
        s.contains("theme ember") && !s.contains("theme ocean")
    });

    tmux.send(&["h"]);
    tmux.wait_for("the help overlay", |s| {
        s.contains("pause or resume sampling")
    });
    tmux.send(&["h"]);
    tmux.wait_for("the help overlay closed", |s| {
        !s.contains("pause or resume sampling")
    });

    tmux.send(&["q"]);
    let screen = tmux.wait_for("the process to exit", |s| s.contains("ouro-exit-0"));
    assert!(
        !screen.contains(" Loop ") && !screen.contains("theme ember"),
        "the alternate screen was left: no panel may remain\n{screen}"
    );
    assert!(screen.contains("ouro-test$"), "{screen}");
    assert!(
        screen.contains("ouro tui:") && screen.contains("frames"),
        "{screen}"
    );

    // SIGTERM ends it as cleanly as q: started in the background to learn its pid, then
    // brought to the foreground.
    tmux.send(&["-l", "clear"]);
    tmux.send(&["Enter"]);
    let pid_file = repo.join("tui.pid");
    let command = format!(
        "{} tui --repo {} & echo $! > {}; fg; echo ouro-term-$?",
        env!("CARGO_BIN_EXE_ouro"),
        repo.display(),
        pid_file.display()
    );
    tmux.send(&["-l", &command]);
    tmux.send(&["Enter"]);
    tmux.wait_for("the panels again", |s| s.contains(" Engine "));
    let pid = std::fs::read_to_string(&pid_file).expect("the pid file");
    let killed = Command::new("kill")
        .args(["-TERM", pid.trim()])
        .status()
        .expect("running kill");
    assert!(killed.success());
    let screen = tmux.wait_for("the exit after SIGTERM", |s| s.contains("ouro-term-0"));
    assert!(!screen.contains(" Engine "), "{screen}");
    let _ = std::fs::remove_dir_all(&repo);
}
