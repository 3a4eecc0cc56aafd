//! Reading a suite: one folder per task with its `task.toml` (format in
//! `docs/eval-suite.md`), checked as it is read so a malformed task is named with what is
//! wrong before anything runs.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::EvalError;

/// A task's `task.toml`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskSpec {
    /// The task's title, as a user would queue it.
    pub title: String,
    /// What is wrong or wanted.
    pub description: String,
    /// Files the user names.
    #[serde(default)]
    pub inputs: Vec<String>,
    /// The visible check the loop runs as the task's test.
    pub check: Option<String>,
    /// The hidden test, run on the target branch with `hidden/` copied over it.
    pub hidden: String,
    /// The files the reference fix touches.
    pub fix_files: Vec<String>,
    /// `python`, `javascript`, `rust` or `shell`.
    pub language: String,
    /// The class of bug.
    pub kind: String,
    /// `small` (the default) or `project`.
    #[serde(default = "small")]
    pub tier: String,
    /// Seconds each test command may run.
    #[serde(default = "default_timeout")]
    pub timeout_s: f64,
    /// Where a project task's source comes from.
    pub source: Option<Source>,
}

/// A project task's source: a registry package and the bug applied to it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// A PyPI wheel, `name==version`.
    pub pypi: Option<String>,
    /// A crates.io crate, `name@version`.
    pub crates: Option<String>,
    /// The patch that injects the bug, relative to the task folder.
    pub bug: Option<String>,
}

fn small() -> String {
    "small".into()
}

fn default_timeout() -> f64 {
    120.0
}

const LANGUAGES: [&str; 4] = ["python", "javascript", "rust", "shell"];
const TIERS: [&str; 2] = ["small", "project"];

/// One task of a suite.
#[derive(Debug, Clone, PartialEq)]
pub struct SuiteTask {
    /// Its id (the folder's name).
    pub id: String,
    /// Its folder.
    pub dir: PathBuf,
    /// Its `task.toml`.
    pub spec: TaskSpec,
}

/// A suite: its folder and tasks, sorted by id.
#[derive(Debug, Clone, PartialEq)]
pub struct Suite {
    /// The folder.
    pub dir: PathBuf,
    /// The tasks.
    pub tasks: Vec<SuiteTask>,
}

impl Suite {
    /// Reads the suite in `dir`: every sub-folder with a `task.toml`.
    pub fn load(dir: &Path) -> Result<Suite, EvalError> {
        let entries = std::fs::read_dir(dir).map_err(|e| EvalError::io("read suite", dir, e))?;
        let mut tasks = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| EvalError::io("read suite", dir, e))?;
            let path = entry.path();
            if path.join("task.toml").is_file() {
                tasks.push(SuiteTask::load(&path)?);
            }
        }
        if tasks.is_empty() {
            return Err(EvalError::Suite {
                path: dir.to_path_buf(),
                reason: "no task folder (one with a task.toml) in the suite".into(),
            });
        }
        tasks.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(Suite {
            dir: dir.to_path_buf(),
            tasks,
        })
    }

    /// Keeps only the tasks named in `ids` (all when empty); an unknown id is an error.
    pub fn select(mut self, ids: &[String]) -> Result<Suite, EvalError> {
        if ids.is_empty() {
            return Ok(self);
        }
        if let Some(missing) = ids
            .iter()
            .find(|id| !self.tasks.iter().any(|t| &t.id == *id))
        {
            return Err(EvalError::Suite {
                path: self.dir.clone(),
                reason: format!("no task {missing:?} in the suite"),
            });
        }
        self.tasks.retain(|t| ids.contains(&t.id));
        Ok(self)
    }
}

impl SuiteTask {
    /// Reads and checks the task in `dir`.
    pub fn load(dir: &Path) -> Result<SuiteTask, EvalError> {
        let file = dir.join("task.toml");
        let bad = |reason: String| EvalError::Suite {
            path: file.clone(),
            reason,
        };
        let text = std::fs::read_to_string(&file).map_err(|e| EvalError::io("read", &file, e))?;
        let spec: TaskSpec = toml::from_str(&text).map_err(|e| bad(e.to_string()))?;
        if !LANGUAGES.contains(&spec.language.as_str()) {
            return Err(bad(format!(
                "language {:?} is not one of {LANGUAGES:?}",
                spec.language
            )));
        }
        if !TIERS.contains(&spec.tier.as_str()) {
            return Err(bad(format!("tier {:?} is not one of {TIERS:?}", spec.tier)));
        }
        if spec.timeout_s.is_nan() || spec.timeout_s <= 0.0 {
            return Err(bad(format!(
                "timeout_s = {} must be positive",
                spec.timeout_s
            )));
        }
        match (&spec.tier[..], &spec.source) {
            ("project", None) => return Err(bad("a project task needs [source]".into())),
            ("project", Some(source)) if source.pypi.is_some() == source.crates.is_some() => {
                return Err(bad("[source] needs exactly one of pypi or crates".into()));
            }
            ("small", _) if !dir.join("repo").is_dir() => {
                return Err(bad("a small task needs its repo/ folder".into()));
            }
            _ => {}
        }
        if !dir.join("hidden").is_dir() {
            return Err(bad("the task has no hidden/ folder".into()));
        }
        let id = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        ouro_loop::task::validate_id(&id).map_err(|e| bad(format!("task id: {e}")))?;
        // Absolute, since commands that read the task's files (its bug patch) run elsewhere.
        let dir = std::path::absolute(dir).map_err(|e| EvalError::io("resolve", dir, e))?;
        Ok(SuiteTask { id, dir, spec })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(dir: &Path, id: &str, toml: &str) -> PathBuf {
        let t = dir.join(id);
        std::fs::create_dir_all(t.join("repo")).expect("mkdir");
        std::fs::create_dir_all(t.join("hidden")).expect("mkdir");
        std::fs::write(t.join("task.toml"), toml).expect("write");
        t
    }

    const GOOD: &str = "title = \"t\"\ndescription = \"d\"\nhidden = \"true\"\nfix_files = [\"a.py\"]\nlanguage = \"python\"\nkind = \"logic\"\n";

    #[test]
    fn task_folders_are_absolute_even_when_the_suite_is_named_relatively() {
        let dir = tempfile::tempdir().expect("tempdir");
        task(dir.path(), "a-task", GOOD);
        let here = std::env::current_dir().expect("cwd");
        let relative = pathdiff(dir.path(), &here);
        let suite = Suite::load(&relative).expect("load");
        assert!(suite.tasks[0].dir.is_absolute(), "{:?}", suite.tasks[0].dir);
        assert!(suite.tasks[0].dir.join("task.toml").is_file());
    }

    /// `path` relative to `base` (both absolute), through `..` as needed.
    fn pathdiff(path: &Path, base: &Path) -> PathBuf {
        let up = base.components().count() - 1;
        let mut out: PathBuf = std::iter::repeat_n("..", up).collect();
        out.extend(path.components().skip(1));
        out
    }

    #[test]
    fn loads_sorted_tasks_and_selects_by_id() {
        let dir = tempfile::tempdir().expect("tempdir");
        task(dir.path(), "b-task", GOOD);
        task(dir.path(), "a-task", GOOD);
        let suite = Suite::load(dir.path()).expect("load");
        let ids: Vec<&str> = suite.tasks.iter().map(|t| t.id.as_str()).collect();
        assert_eq!(ids, ["a-task", "b-task"]);
        assert_eq!(suite.tasks[0].spec.tier, "small");
        assert_eq!(suite.tasks[0].spec.timeout_s, 120.0);
        let one = suite.clone().select(&["b-task".into()]).expect("select");
        assert_eq!(one.tasks.len(), 1);
        let err = suite.select(&["zzz".into()]).expect_err("unknown");
        assert!(err.to_string().contains("zzz"), "{err}");
    }

    #[test]
    fn malformed_tasks_are_named_with_the_problem() {
        for (toml, needle) in [
            ("title = 1", "title"),
            (&GOOD.replace("python", "cobol"), "cobol"),
            (&format!("{GOOD}tier = \"project\"\n"), "[source]"),
            (&format!("{GOOD}extra = 1\n"), "extra"),
            (&format!("{GOOD}timeout_s = -1\n"), "timeout_s"),
        ] {
            let dir = tempfile::tempdir().expect("tempdir");
            let t = task(dir.path(), "x", toml);
            let err = SuiteTask::load(&t).expect_err(needle);
            let text = err.to_string();
            assert!(
                text.contains(needle) && text.contains("task.toml"),
                "{text}"
            );
        }
    }
}
