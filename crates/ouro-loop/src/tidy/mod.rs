//! Clean diffs: before the judge sees an attempt whose tests pass, the files and hunks it
//! changed that the task does not need are dropped. Build and cache artifacts
//! (`__pycache__/`, `target/`, `node_modules/`, ...) always go. When there are tests, each
//! changed file (if there are several) and then each separate hunk of a file (if it has
//! several) is put back as it was, and left that way if the tests still pass without it: a
//! small model that fixes the bug often "tidies" a line nearby too, and such a stray edit
//! can break what the visible tests do not cover. But the visible tests also miss parts of
//! real fixes, so what they do not need is put back when it belongs with what they need
//! (the same edit pattern, or a name both touch: [`related`]), if the tests still pass
//! with it, unless it only rewrites the text of string literals (a message "tidied").
//! What was dropped, and why, goes to the run folder (`dropped-N.json`) and the judge sees
//! the diff without it.

use std::path::Path;

use serde::Serialize;
use similar::{DiffOp, TextDiff};

use crate::LoopError;
use crate::checks::TestReport;
use crate::git::Git;
use related::Edit;

mod related;

/// A file left out of a change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Dropped {
    /// The file.
    pub path: String,
    /// Why.
    pub reason: String,
}

/// Folders and file endings of build and cache output, never part of a change.
const ARTIFACT_DIRS: [&str; 8] = [
    "__pycache__",
    ".pytest_cache",
    ".mypy_cache",
    "node_modules",
    "target",
    ".tox",
    ".venv",
    ".gradle",
];
const ARTIFACT_ENDINGS: [&str; 6] = [".pyc", ".pyo", ".o", ".class", ".DS_Store", ".swp"];

/// Most files, and then most hunks, tried without their change (each try runs the tests
/// once).
const MAX_TRIES: usize = 8;

/// Whether `path` is build or cache output.
pub fn is_artifact(path: &str) -> bool {
    path.split('/').any(|part| ARTIFACT_DIRS.contains(&part))
        || ARTIFACT_ENDINGS.iter().any(|end| path.ends_with(end))
}

/// Drops from the change staged in `wt` the protected paths ([`ouro_sandbox::protected`]:
/// `ouro.toml`, `AGENTS.md`, `.ouro*`, ...): a change may never carry the loop's settings
/// or the next agent's instructions to the target branch; and edits of `test_files`, the
/// files the task's test commands run (see [`ouro_core::paths::test_scripts_in`]): a change
/// that passes by rewriting its test proves nothing. Returns what was dropped.
pub fn drop_protected(
    git: &Git,
    wt: &Path,
    base: &str,
    test_files: &[String],
) -> Result<Vec<Dropped>, LoopError> {
    let mut dropped = Vec::new();
    for (_, path) in git.staged_files(wt, base)? {
        let reason = if ouro_sandbox::protected::is_protected(Path::new(&path)) {
            "a protected path: the agent may not change it"
        } else if test_files.contains(&path) {
            "a file the task's tests run: fix the code, not the test"
        } else {
            continue;
        };
        git.restore_path(wt, base, &path)?;
        dropped.push(Dropped {
            path,
            reason: reason.into(),
        });
    }
    Ok(dropped)
}

/// Drops from the change staged in `wt` the files the task does not need; `test` runs the
/// tests (`None` when there are none). Returns what was dropped; the index is left staged
/// with the rest.
pub fn tidy(
    git: &Git,
    wt: &Path,
    base: &str,
    test: Option<&mut dyn FnMut(usize) -> Result<TestReport, LoopError>>,
) -> Result<Vec<Dropped>, LoopError> {
    let mut dropped = Vec::new();
    let mut files = Vec::new();
    for (status, path) in git.staged_files(wt, base)? {
        if status == 'A' && is_artifact(&path) {
            git.restore_path(wt, base, &path)?;
            dropped.push(Dropped {
                path,
                reason: "build or cache output".into(),
            });
        } else {
            files.push(path);
        }
    }
    let Some(test) = test else {
        return Ok(dropped);
    };
    let mut kept_files = files.clone();
    if files.len() >= 2 {
        kept_files = drop_files(git, wt, base, &files, test, &mut dropped)?;
    }
    drop_hunks(git, wt, base, &kept_files, test, &mut dropped)?;
    Ok(dropped)
}

/// Tries each of `files` without its change, then puts back those dropped whose change
/// belongs with the kept ones ([`related`]); returns the files kept.
fn drop_files(
    git: &Git,
    wt: &Path,
    base: &str,
    files: &[String],
    test: &mut dyn FnMut(usize) -> Result<TestReport, LoopError>,
    dropped: &mut Vec<Dropped>,
) -> Result<Vec<String>, LoopError> {
    let mut kept_files = Vec::new();
    // Files the tests pass without: (path, the attempt's content or None if it removed it).
    let mut untested: Vec<(String, Option<Vec<u8>>)> = Vec::new();
    let mut tries = 0;
    for path in files {
        if files.len() - untested.len() == 1 || tries >= MAX_TRIES {
            kept_files.push(path.clone());
            continue;
        }
        tries += 1;
        let saved = std::fs::read(wt.join(path)).ok();
        git.restore_path(wt, base, path)?;
        if test(tries)?.passed() {
            untested.push((path.clone(), saved));
        } else {
            put_file(git, wt, path, saved.as_deref())?;
            kept_files.push(path.clone());
        }
    }
    let needed = kept_files
        .iter()
        .map(|path| file_edit(git, wt, base, path, std::fs::read(wt.join(path)).ok()))
        .collect::<Result<Vec<_>, _>>()?;
    let mut back: Vec<(&String, &Option<Vec<u8>>)> = Vec::new();
    for (path, saved) in &untested {
        if file_edit(git, wt, base, path, saved.clone())?.belongs_with(&needed) {
            back.push((path, saved));
        }
    }
    if !back.is_empty() {
        for (path, saved) in &back {
            put_file(git, wt, path, saved.as_deref())?;
        }
        if test(tries + 1)?.passed() {
            kept_files.extend(back.iter().map(|(path, _)| (*path).clone()));
        } else {
            for (path, _) in &back {
                git.restore_path(wt, base, path)?;
            }
        }
    }
    for (path, _) in &untested {
        if !kept_files.contains(path) {
            dropped.push(Dropped {
                path: path.clone(),
                reason: "the tests pass without this change, and it shares no name or \
                         pattern with the changes they need"
                    .into(),
            });
        }
    }
    Ok(kept_files)
}

/// What the attempt changed in `path` (its content `now`, None if removed) against `base`,
/// as one edit.
fn file_edit(
    git: &Git,
    wt: &Path,
    base: &str,
    path: &str,
    now: Option<Vec<u8>>,
) -> Result<Edit, LoopError> {
    let old = git.file_at(wt, base, path)?.unwrap_or_default();
    let now = now.unwrap_or_default();
    Ok(Edit::whole(
        &String::from_utf8_lossy(&old),
        &String::from_utf8_lossy(&now),
    ))
}

/// Writes `bytes` to `path` in `wt` (removes it for None) and stages it.
fn put_file(git: &Git, wt: &Path, path: &str, bytes: Option<&[u8]>) -> Result<(), LoopError> {
    let file = wt.join(path);
    match bytes {
        Some(bytes) => {
            if let Some(parent) = file.parent() {
                std::fs::create_dir_all(parent).map_err(|e| LoopError::io("create", parent, e))?;
            }
            std::fs::write(&file, bytes).map_err(|e| LoopError::io("write", &file, e))?;
        }
        None => {
            if file.exists() {
                std::fs::remove_file(&file).map_err(|e| LoopError::io("remove", &file, e))?;
            }
        }
    }
    git.stage_path(wt, path)
}

/// Tries each hunk of each of `files` (edited in place, present in `base`) without it, then
/// puts back those dropped that belong with the hunks the tests need ([`related`]).
fn drop_hunks(
    git: &Git,
    wt: &Path,
    base: &str,
    files: &[String],
    test: &mut dyn FnMut(usize) -> Result<TestReport, LoopError>,
    dropped: &mut Vec<Dropped>,
) -> Result<(), LoopError> {
    let mut tries = 0;
    for path in files {
        let file = wt.join(path);
        let Some(old) = git.file_at(wt, base, path)? else {
            continue;
        };
        let (Ok(old), Ok(new)) = (String::from_utf8(old), std::fs::read_to_string(&file)) else {
            continue;
        };
        let hunks = related::edits(&old, &new);
        if hunks.len() < 2 {
            continue;
        }
        let mut reverted = vec![false; hunks.len()];
        for i in 0..hunks.len() {
            if tries >= MAX_TRIES || reverted.iter().filter(|r| !**r).count() == 1 {
                break;
            }
            tries += 1;
            reverted[i] = true;
            write(&file, &with_hunks_reverted(&old, &new, &reverted))?;
            if !test(tries)?.passed() {
                reverted[i] = false;
            }
        }
        let needed: Vec<Edit> = (0..hunks.len())
            .filter(|&i| !reverted[i])
            .map(|i| hunks[i].clone())
            .collect();
        let mut trial = reverted.clone();
        for i in 0..hunks.len() {
            if reverted[i] && !hunks[i].only_literals_changed() && hunks[i].belongs_with(&needed) {
                trial[i] = false;
            }
        }
        if trial != reverted {
            write(&file, &with_hunks_reverted(&old, &new, &trial))?;
            tries += 1;
            // With nothing reverted this is the attempt as it passed.
            if trial.iter().all(|r| !r) || test(tries)?.passed() {
                reverted = trial;
            }
        }
        for (i, lines) in hunks.iter().map(|h| &h.lines).enumerate() {
            if reverted[i] {
                dropped.push(Dropped {
                    path: format!(
                        "{path} (lines {}-{})",
                        lines.start + 1,
                        lines.end.max(lines.start + 1)
                    ),
                    reason: "the tests pass without this hunk, and it shares no name or \
                             pattern with the hunks they need"
                        .into(),
                });
            }
        }
        write(&file, &with_hunks_reverted(&old, &new, &reverted))?;
        git.stage_path(wt, path)?;
    }
    Ok(())
}

fn write(file: &Path, text: &str) -> Result<(), LoopError> {
    std::fs::write(file, text).map_err(|e| LoopError::io("write", file, e))
}

/// `new` with the hunks marked in `reverted` (in the order of [`hunks`]) put back as in
/// `old`.
fn with_hunks_reverted(old: &str, new: &str, reverted: &[bool]) -> String {
    let diff = TextDiff::from_lines(old, new);
    let old_lines: Vec<&str> = old.split_inclusive('\n').collect();
    let new_lines: Vec<&str> = new.split_inclusive('\n').collect();
    let mut out = String::new();
    let mut hunk = 0;
    let mut in_hunk = false;
    for op in diff.ops() {
        if matches!(op, DiffOp::Equal { .. }) {
            if in_hunk {
                hunk += 1;
                in_hunk = false;
            }
            out.extend(new_lines[op.new_range()].iter().copied());
            continue;
        }
        in_hunk = true;
        if reverted.get(hunk).copied().unwrap_or(false) {
            out.extend(old_lines[op.old_range()].iter().copied());
        } else {
            out.extend(new_lines[op.new_range()].iter().copied());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_hunk_can_be_put_back_alone() {
        let old = "a\nb\nc\nd\ne\nf\n";
        let new = "a\nB\nc\nd\nE\nE2\nf\n";
        let ranges: Vec<_> = related::edits(old, new)
            .into_iter()
            .map(|e| e.lines)
            .collect();
        assert_eq!(ranges, vec![1..2, 4..6]);
        assert_eq!(with_hunks_reverted(old, new, &[false, false]), new);
        assert_eq!(
            with_hunks_reverted(old, new, &[true, false]),
            "a\nb\nc\nd\nE\nE2\nf\n"
        );
        assert_eq!(
            with_hunks_reverted(old, new, &[false, true]),
            "a\nB\nc\nd\ne\nf\n"
        );
        assert_eq!(with_hunks_reverted(old, new, &[true, true]), old);
        // Deleted and inserted lines, and a change at the end without a newline.
        let old = "x\ny\nz";
        let new = "y\nz\nw";
        let n = related::edits(old, new).len();
        assert_eq!(with_hunks_reverted(old, new, &vec![true; n]), old);
    }

    #[test]
    fn artifacts_are_recognised_by_folder_or_ending() {
        for path in [
            "__pycache__/a.cpython-311.pyc",
            "pkg/__pycache__/x",
            "target/debug/x",
            "a.o",
            "web/node_modules/l/i.js",
        ] {
            assert!(is_artifact(path), "{path}");
        }
        for path in ["src/target.rs", "settings.json", "calc.py"] {
            assert!(!is_artifact(path), "{path}");
        }
    }
}
