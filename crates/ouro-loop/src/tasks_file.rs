//! The `auto_tasks.json` format: import, export, and a watcher that adds new tasks.
//!
//! The file is a JSON array of objects. Known fields:
//!
//! | field | type | meaning |
//! | --- | --- | --- |
//! | `id` | string or integer, required | the task id (`[A-Za-z0-9_-]`, up to 64) |
//! | `title` | string, required | what to do, one line |
//! | `description` | string | more detail for the coder |
//! | `inputs` | array of strings | files to start from |
//! | `tests` | array of strings | shell commands that must pass |
//! | `priority` | integer | higher runs first (default 0) |
//! | `status` | string | `pending` (default), `done`, `failed`, `rejected`, `cancelled` |
//!
//! Any other field is accepted and ignored, so files written by other tools load. Export
//! writes the known fields plus `error`, `attempts`, `runs` and `commit`.

use std::collections::hash_map::DefaultHasher;
use std::fs;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde::{Deserialize, Deserializer, Serialize};

use crate::LoopError;
use crate::store::TaskStore;
use crate::task::{NewTask, Status, Task};

/// One entry of the file, as read.
#[derive(Debug, Deserialize)]
struct Entry {
    #[serde(deserialize_with = "string_or_int")]
    id: String,
    title: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    inputs: Vec<String>,
    #[serde(default)]
    tests: Vec<String>,
    #[serde(default)]
    priority: i64,
    #[serde(default)]
    status: Option<String>,
}

fn string_or_int<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Id {
        Text(String),
        Int(u64),
    }
    Ok(match Id::deserialize(d)? {
        Id::Text(s) => s,
        Id::Int(n) => n.to_string(),
    })
}

/// One entry of the file, as written.
#[derive(Debug, Serialize)]
struct ExportEntry<'a> {
    id: &'a str,
    title: &'a str,
    description: &'a str,
    inputs: &'a [String],
    tests: &'a [String],
    priority: i64,
    status: Status,
    error: Option<&'a str>,
    attempts: u32,
    runs: u32,
    commit: Option<&'a str>,
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    /// Ids of the tasks added.
    pub added: Vec<String>,
    /// Ids already in the store (left as they are).
    pub existing: Vec<String>,
}

/// Parses a task file's text into new tasks; errors name the file and the entry.
pub fn parse(text: &str, path: &Path) -> Result<Vec<NewTask>, LoopError> {
    let bad = |reason: String| LoopError::TaskFile {
        path: path.to_path_buf(),
        reason,
    };
    let values: Vec<serde_json::Value> =
        serde_json::from_str(text).map_err(|e| bad(format!("not a JSON array of tasks: {e}")))?;
    values
        .into_iter()
        .enumerate()
        .map(|(i, value)| {
            let entry: Entry =
                serde_json::from_value(value).map_err(|e| bad(format!("entry {i}: {e}")))?;
            let status = match entry.status.as_deref() {
                None => None,
                Some(s) => Some(
                    s.parse::<Status>()
                        .map_err(|e| bad(format!("entry {i}: {e}")))?,
                ),
            };
            let task = NewTask {
                id: Some(entry.id),
                title: entry.title,
                description: entry.description,
                inputs: entry.inputs,
                tests: entry.tests,
                priority: entry.priority,
                // A task that was running when the file was written starts again.
                status: status.map(|s| {
                    if s == Status::InProgress {
                        Status::Pending
                    } else {
                        s
                    }
                }),
            };
            task.validate()
                .map_err(|e| bad(format!("entry {i}: {e}")))?;
            Ok(task)
        })
        .collect()
}

/// Adds the tasks of the file at `path` whose ids the store does not have yet.
pub fn import(store: &mut TaskStore, path: &Path) -> Result<ImportReport, LoopError> {
    let text = fs::read_to_string(path).map_err(|e| LoopError::io("read", path, e))?;
    import_text(store, &text, path)
}

fn import_text(store: &mut TaskStore, text: &str, path: &Path) -> Result<ImportReport, LoopError> {
    let mut report = ImportReport::default();
    for task in parse(text, path)? {
        let id = task.id.clone().unwrap_or_default();
        if store.find(&id)?.is_some() {
            report.existing.push(id);
        } else {
            store.add(&task)?;
            report.added.push(id);
        }
    }
    Ok(report)
}

/// The tasks as `auto_tasks.json` text.
pub fn export_text(tasks: &[Task]) -> Result<String, LoopError> {
    let entries: Vec<ExportEntry<'_>> = tasks
        .iter()
        .map(|t| ExportEntry {
            id: &t.id,
            title: &t.title,
            description: &t.description,
            inputs: &t.inputs,
            tests: &t.tests,
            priority: t.priority,
            status: t.status,
            error: t.error.as_deref(),
            attempts: t.attempts,
            runs: t.runs,
            commit: t.commit.as_deref(),
        })
        .collect();
    let mut text = serde_json::to_string_pretty(&entries).map_err(|source| LoopError::Json {
        context: "encode tasks".into(),
        source,
    })?;
    text.push('\n');
    Ok(text)
}

/// Watches a task file and imports it again whenever its modification time or content
/// changes, adding the tasks that are new.
#[derive(Debug)]
pub struct TaskFileWatcher {
    path: PathBuf,
    seen: Option<(SystemTime, u64)>,
}

impl TaskFileWatcher {
    /// Watches `path` (which need not exist yet).
    pub fn new(path: PathBuf) -> TaskFileWatcher {
        TaskFileWatcher { path, seen: None }
    }

    /// The watched file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Imports the file if it changed since the last poll; `None` if it did not change
    /// or does not exist.
    pub fn poll(&mut self, store: &mut TaskStore) -> Result<Option<ImportReport>, LoopError> {
        let modified = match fs::metadata(&self.path) {
            Ok(meta) => meta
                .modified()
                .map_err(|e| LoopError::io("read the mtime of", &self.path, e))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(LoopError::io("stat", &self.path, e)),
        };
        if self.seen.is_some_and(|(mtime, _)| mtime == modified) {
            return Ok(None);
        }
        let text =
            fs::read_to_string(&self.path).map_err(|e| LoopError::io("read", &self.path, e))?;
        let mut hasher = DefaultHasher::new();
        text.hash(&mut hasher);
        let hash = hasher.finish();
        let changed = self.seen.is_none_or(|(_, old)| old != hash);
        self.seen = Some((modified, hash));
        if !changed {
            return Ok(None);
        }
        import_text(store, &text, &self.path).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store(dir: &Path) -> TaskStore {
        TaskStore::open(&dir.join("tasks.db")).expect("open")
    }

    #[test]
    fn parses_the_format_tolerating_extra_fields() {
        let text = r#"[
            {"id": "a", "title": "first", "inputs": ["src/x.rs"], "tests": ["true"], "status": "pending", "owner": "me"},
            {"id": 7, "title": "second", "priority": 2, "status": "done"}
        ]"#;
        let tasks = parse(text, Path::new("t.json")).expect("parse");
        assert_eq!(tasks.len(), 2);
        assert_eq!(tasks[0].inputs, ["src/x.rs"]);
        assert_eq!(tasks[1].id.as_deref(), Some("7"));
        assert_eq!(tasks[1].status, Some(Status::Done));
    }

    #[test]
    fn errors_name_the_file_and_entry() {
        let err = parse(
            r#"[{"id": "a", "title": "ok"}, {"title": "no id"}]"#,
            Path::new("f.json"),
        )
        .expect_err("missing id");
        let text = err.to_string();
        assert!(
            text.contains("f.json") && text.contains("entry 1"),
            "{text}"
        );
        let err =
            parse(r#"[{"id": "a b", "title": "x"}]"#, Path::new("f.json")).expect_err("bad id");
        assert!(err.to_string().contains("entry 0"));
        let err = parse(
            r#"[{"id": "a", "title": "x", "status": "weird"}]"#,
            Path::new("f.json"),
        )
        .expect_err("bad status");
        assert!(err.to_string().contains("weird"));
        assert!(parse("{}", Path::new("f.json")).is_err());
    }

    #[test]
    fn export_then_import_round_trips() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut a = store(dir.path());
        let text = r#"[{"id": "x", "title": "one", "tests": ["true"]}, {"id": "y", "title": "two", "status": "failed"}]"#;
        let file = dir.path().join("in.json");
        fs::write(&file, text).expect("write");
        let report = import(&mut a, &file).expect("import");
        assert_eq!(report.added, ["x", "y"]);
        let again = import(&mut a, &file).expect("import again");
        assert_eq!(again.existing, ["x", "y"]);
        let exported = export_text(&a.list(None).expect("list")).expect("export");
        let other_dir = tempfile::tempdir().expect("tempdir");
        let mut b = store(other_dir.path());
        let out = other_dir.path().join("out.json");
        fs::write(&out, &exported).expect("write");
        import(&mut b, &out).expect("import export");
        let (ta, tb) = (a.list(None).expect("list"), b.list(None).expect("list"));
        let key = |t: &Task| (t.id.clone(), t.title.clone(), t.tests.clone(), t.status);
        assert_eq!(
            ta.iter().map(key).collect::<Vec<_>>(),
            tb.iter().map(key).collect::<Vec<_>>()
        );
    }

    #[test]
    fn watcher_adds_new_tasks_when_the_file_changes() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut s = store(dir.path());
        let file = dir.path().join("auto_tasks.json");
        let mut watcher = TaskFileWatcher::new(file.clone());
        assert_eq!(watcher.poll(&mut s).expect("poll"), None, "no file yet");
        fs::write(&file, r#"[{"id": "a", "title": "one"}]"#).expect("write");
        let first = watcher.poll(&mut s).expect("poll").expect("changed");
        assert_eq!(first.added, ["a"]);
        assert_eq!(watcher.poll(&mut s).expect("poll"), None, "unchanged");
        fs::write(
            &file,
            r#"[{"id": "a", "title": "one"}, {"id": "b", "title": "two"}]"#,
        )
        .expect("write");
        // Same mtime granularity can hide the change: force a different mtime.
        let later = SystemTime::now() + std::time::Duration::from_secs(2);
        fs::File::options()
            .write(true)
            .open(&file)
            .and_then(|f| f.set_modified(later))
            .expect("touch");
        let second = watcher.poll(&mut s).expect("poll").expect("changed");
        assert_eq!(second.added, ["b"]);
        assert_eq!(second.existing, ["a"]);
    }
}
