//! The audit log: every permission decision and sandbox block, one JSON object per line.
//!
//! The file is opened with `O_APPEND` (each record is written with a single `write`, so
//! concurrent writers never interleave within a line) and every record is flushed to disk
//! with `fsync` before the call that produced it goes on.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// One audit record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRecord {
    /// When, RFC 3339 in UTC.
    pub time: String,
    /// The agent session.
    pub session: String,
    /// The tool that was called.
    pub tool: String,
    /// The action (`read`, `write`, `execute`, `network`, ...).
    pub action: String,
    /// The resource (path, command, host).
    pub resource: String,
    /// `allow`, `deny`, or `blocked` for what the sandbox stopped inside a command.
    pub decision: String,
    /// The rule, mode default, approver or sandbox layer that decided.
    pub rule: String,
}

/// Failure to write the audit log; a call whose decision cannot be recorded does not run.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// Opening, writing or syncing the file failed.
    #[error("audit log `{path}`: {source}")]
    Io {
        /// The log file.
        path: String,
        /// What went wrong.
        source: std::io::Error,
    },
    /// A record could not be encoded.
    #[error("audit log: cannot encode record: {0}")]
    Encode(#[from] serde_json::Error),
}

/// An append-only JSON-lines audit file for one session.
#[derive(Debug)]
pub struct AuditLog {
    path: PathBuf,
    session: String,
    file: Mutex<File>,
}

impl AuditLog {
    /// Opens (creating if needed) the log at `path` for session `session`.
    pub fn open(path: &Path, session: &str) -> Result<Self, AuditError> {
        let io = |source| AuditError::Io {
            path: path.display().to_string(),
            source,
        };
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(io)?;
        }
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(io)?;
        Ok(Self {
            path: path.to_path_buf(),
            session: session.to_string(),
            file: Mutex::new(file),
        })
    }

    /// The session id stamped on every record.
    pub fn session(&self) -> &str {
        &self.session
    }

    /// The log file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one record (stamped with the current time and this session) and syncs it.
    pub fn record(
        &self,
        tool: &str,
        action: &str,
        resource: &str,
        decision: &str,
        rule: &str,
    ) -> Result<AuditRecord, AuditError> {
        let time = OffsetDateTime::now_utc()
            .format(&Rfc3339)
            .unwrap_or_else(|_| "unknown".to_string());
        let record = AuditRecord {
            time,
            session: self.session.clone(),
            tool: tool.to_string(),
            action: action.to_string(),
            resource: resource.to_string(),
            decision: decision.to_string(),
            rule: rule.to_string(),
        };
        let mut line = serde_json::to_vec(&record)?;
        line.push(b'\n');
        let io = |source| AuditError::Io {
            path: self.path.display().to_string(),
            source,
        };
        let mut file = self.file.lock().map_err(|_| {
            io(std::io::Error::other(
                "a writer panicked while holding the log",
            ))
        })?;
        file.write_all(&line).map_err(io)?;
        file.sync_data().map_err(io)?;
        Ok(record)
    }

    /// Reads every record of the log file at `path` (for tests and inspection).
    pub fn read_all(path: &Path) -> Result<Vec<AuditRecord>, AuditError> {
        let text = std::fs::read_to_string(path).map_err(|source| AuditError::Io {
            path: path.display().to_string(),
            source,
        })?;
        text.lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).map_err(AuditError::from))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_append_as_json_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("logs/audit.jsonl");
        let log = AuditLog::open(&path, "s1").unwrap();
        log.record("read_file", "read", "a.rs", "allow", "mode default")
            .unwrap();
        drop(log);
        let log = AuditLog::open(&path, "s2").unwrap();
        log.record("bash", "execute", "ls", "deny", "rule 0")
            .unwrap();
        let records = AuditLog::read_all(&path).unwrap();
        assert_eq!(records.len(), 2);
        assert_eq!(records[0].session, "s1");
        assert_eq!(records[1].decision, "deny");
        assert!(
            OffsetDateTime::parse(&records[1].time, &Rfc3339).is_ok(),
            "{}",
            records[1].time
        );
    }
}
