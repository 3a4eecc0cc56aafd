//! Clean diffs: before the judge sees an attempt whose tests pass, the files it changed
//! that the task does not need are dropped. Build and cache artifacts (`__pycache__/`,
//! `target/`, `node_modules/`, ...) always go; when the attempt changed several files and
//! there are tests, each file is put back as it was, and left that way if the tests still
//! pass without the change. What was dropped, and why, goes to the run folder
//! (`dropped-N.json`) and the judge sees the diff without it.

use std::path::Path;

use serde::Serialize;

use crate::LoopError;
use crate::checks::TestReport;
use crate::git::Git;

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

/// Most files tried without their change (each try runs the tests once).
const MAX_TRIES: usize = 8;

/// Whether `path` is build or cache output.
pub fn is_artifact(path: &str) -> bool {
    path.split('/').any(|part| ARTIFACT_DIRS.contains(&part))
        || ARTIFACT_ENDINGS.iter().any(|end| path.ends_with(end))
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
    if files.len() < 2 {
        return Ok(dropped);
    }
    let mut kept = files.len();
    for (n, path) in files.iter().take(MAX_TRIES).enumerate() {
        if kept == 1 {
            break;
        }
        let file = wt.join(path);
        let saved = std::fs::read(&file).ok();
        git.restore_path(wt, base, path)?;
        if test(n + 1)?.passed() {
            dropped.push(Dropped {
                path: path.clone(),
                reason: "the tests pass without this change".into(),
            });
            kept -= 1;
            continue;
        }
        match saved {
            Some(bytes) => {
                if let Some(parent) = file.parent() {
                    std::fs::create_dir_all(parent)
                        .map_err(|e| LoopError::io("create", parent, e))?;
                }
                std::fs::write(&file, bytes).map_err(|e| LoopError::io("write", &file, e))?;
            }
            None => {
                if file.exists() {
                    std::fs::remove_file(&file).map_err(|e| LoopError::io("remove", &file, e))?;
                }
            }
        }
        git.stage_path(wt, path)?;
    }
    Ok(dropped)
}

#[cfg(test)]
mod tests {
    use super::*;

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
