//! Read-denied files must not leak through git: `git show HEAD:.env` prints a committed
//! `.env` although reading the file itself is denied.
//!
//! The sandbox hides read-denied files in the work tree, but git's object store holds every
//! committed version of them. Rather than list the git commands that print file contents (a
//! list that is never complete: `show`, `cat-file`, `log -p`, `grep`, `archive`, `blame`,
//! `format-patch`, `bundle`, `fast-export`, `unpack-file`...), ouro lists the ones known not
//! to ([`prints_contents`] answers for everything else), and refuses those only when the
//! repository really holds a read-denied path: in any commit reachable from a ref or a
//! reflog entry, or in the index ([`tracked_denied_path`]). A repository that never held such
//! a file loses nothing. Known gap: a program that decompresses `.git/objects` by hand.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::command::Word;

/// Subcommands that never print file contents, whatever their options.
const QUIET: [&str; 30] = [
    "status",
    "branch",
    "switch",
    "rm",
    "mv",
    "init",
    "clone",
    "fetch",
    "pull",
    "push",
    "merge",
    "rebase",
    "tag",
    "remote",
    "rev-parse",
    "ls-files",
    "ls-tree",
    "ls-remote",
    "describe",
    "shortlog",
    "config",
    "worktree",
    "clean",
    "cherry-pick",
    "revert",
    "gc",
    "version",
    "help",
    "rev-list",
    "merge-base",
];

/// Subcommands that print contents only with a patch option (`-p`, `--patch`...).
const PATCH_ON_REQUEST: [&str; 12] = [
    "log",
    "reflog",
    "whatchanged",
    "diff-tree",
    "add",
    "commit",
    "checkout",
    "restore",
    "reset",
    "stash",
    "cherry",
    "show-branch",
];

/// Options of the diff family that print no contents (`git diff --stat`).
const SUMMARY_ONLY: [&str; 10] = [
    "--stat",
    "--numstat",
    "--shortstat",
    "--name-only",
    "--name-status",
    "--dirstat",
    "--summary",
    "--quiet",
    "--no-patch",
    "-s",
];

/// Global options of git that take a separate argument.
const GLOBAL_WITH_ARG: [&str; 6] = [
    "-C",
    "-c",
    "--git-dir",
    "--work-tree",
    "--namespace",
    "--config-env",
];

/// If the git command `words` (program first) may print file contents, the subcommand.
pub fn prints_contents(words: &[Word]) -> Option<String> {
    let mut i = 1;
    while let Some(word) = words.get(i) {
        let Some(text) = word.literal() else {
            return Some(word.shown().to_string());
        };
        if GLOBAL_WITH_ARG.contains(&text) {
            i += 2;
        } else if text.starts_with('-') {
            i += 1;
        } else {
            break;
        }
    }
    let sub = words.get(i)?.literal().unwrap_or("(decided at run time)");
    let args = &words[i + 1..];
    let patch = args.iter().any(is_patch_option);
    let prints = if QUIET.contains(&sub) {
        false
    } else if PATCH_ON_REQUEST.contains(&sub) {
        patch
    } else if matches!(sub, "diff" | "diff-index" | "diff-files") {
        patch
            || !args
                .iter()
                .any(|w| w.literal().is_some_and(|t| SUMMARY_ONLY.contains(&t)))
    } else {
        true
    };
    prints.then(|| sub.to_string())
}

/// Whether an option asks for patch (content) output.
fn is_patch_option(word: &Word) -> bool {
    let Some(text) = word.literal() else {
        return true;
    };
    if let Some(long) = text.strip_prefix("--") {
        const LONG: [&str; 13] = [
            "patch",
            "patch-with-stat",
            "patch-with-raw",
            "unified",
            "word-diff",
            "color-words",
            "function-context",
            "cc",
            "binary",
            "ext-diff",
            "textconv",
            "remerge-diff",
            "output",
        ];
        let name = long.split('=').next().unwrap_or(long);
        return LONG.contains(&name) || name.starts_with("word-diff");
    }
    let Some(cluster) = text.strip_prefix('-') else {
        return false;
    };
    for c in cluster.chars() {
        match c {
            'p' | 'u' | 'W' | 'U' | 'L' | 'c' => return true,
            // The rest of the word is this option's argument (`-Spassword`, `-n5`).
            'S' | 'G' | 'n' | 'O' | 'M' | 'C' | 'B' | 'l' | 'X' | 'm' => return false,
            _ => {}
        }
    }
    false
}

/// The first path the repository at `workspace` holds (in reachable history, reflogs or the
/// index) for which `denied` is true; `None` when there is none or no repository.
pub fn tracked_denied_path(workspace: &Path, denied: impl Fn(&Path) -> bool) -> Option<PathBuf> {
    let top = git(workspace, &["rev-parse", "--show-toplevel"])?;
    let top = PathBuf::from(top.trim_end_matches('\n'));
    let objects = git(
        &top,
        &[
            "rev-list",
            "--objects",
            "--all",
            "--reflog",
            "--indexed-objects",
        ],
    )?;
    objects
        .lines()
        .filter_map(|line| line.split_once(' ').map(|(_, path)| top.join(path)))
        .find(|path| denied(path))
}

/// Runs git in `dir` with commands from configuration turned off; its stdout on success.
fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let output = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["-c", "core.fsmonitor=false"])
        .args(args)
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prints(line: &str) -> bool {
        let words: Vec<Word> = line
            .split(' ')
            .map(|w| Word::Literal(w.to_string()))
            .collect();
        prints_contents(&words).is_some()
    }

    #[test]
    fn content_printing_commands_are_recognised() {
        for line in [
            "git show HEAD:.env",
            "git log -p",
            "git log --patch",
            "git log -U3",
            "git -C . cat-file -p HEAD:.env",
            "git diff HEAD~1",
            "git diff",
            "git diff --stat -p",
            "git grep x HEAD",
            "git archive HEAD",
            "git blame .env",
            "git format-patch -1",
            "git stash show -p",
            "git bundle create - HEAD",
            "git fast-export --all",
        ] {
            assert!(prints(line), "{line}");
        }
    }

    #[test]
    fn quiet_commands_pass() {
        for line in [
            "git status",
            "git log --oneline -n5",
            "git log -Spassword --oneline",
            "git diff --stat HEAD~1",
            "git commit -m x",
            "git add .",
            "git -c user.name=x commit -m y",
        ] {
            assert!(!prints(line), "{line}");
        }
    }
}
