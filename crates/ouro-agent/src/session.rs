//! Sessions: an id, a directory under `.ouro/sessions/<id>/` in the workspace holding the
//! journal (`journal/`, ouro-core's write-ahead log) and the audit log (`audit.jsonl`), and
//! the replay that rebuilds a conversation from the journal.
//!
//! Every journaled [`AgentEvent`] is appended before it takes effect: a tool call's intent is
//! on disk before the tool runs, its result after. After a compaction the conversation is
//! also checkpointed, so resuming replays only what came after the last one.
//!
//! Resuming after a crash or `kill -9`: calls of the last reply that have no result are
//! answered with an error result and never re-run silently. A call whose intent was
//! journaled is reported as *interrupted* (it may have taken effect, e.g. a file may have
//! been written); a call without an intent is reported as *not run*. The model decides
//! what to do next.

use std::path::{Path, PathBuf};
use std::time::Duration;

use ouro_core::journal::{FsyncPolicy, Journal, JournalError, JournalOptions, Lsn};
use time::OffsetDateTime;

use crate::agent::events::{AgentEvent, Conversation};

/// The sessions folder of a workspace.
pub fn sessions_dir(workspace: &Path) -> PathBuf {
    workspace.join(".ouro").join("sessions")
}

/// Result text for a call that was running when the session stopped.
pub const INTERRUPTED: &str = "interrupted: the session stopped (crash or kill) while this \
     call was running, so whether it took effect is unknown (a write may have happened). \
     Check the current state before calling it again.";

/// Result text for a call that had not started when the session stopped.
pub const NOT_RUN: &str =
    "not run: the session stopped before this call started. Call it again if still needed.";

/// Why a session could not be created, opened or written.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// The id has characters other than letters, digits and `-`.
    #[error("invalid session id `{0}` (expected something like 20261122T063000-1a2b)")]
    InvalidId(String),
    /// No session with this id in the workspace.
    #[error("no session `{id}` (looked in {dir})")]
    NotFound {
        /// The id.
        id: String,
        /// Where it was looked for.
        dir: PathBuf,
    },
    /// The journal failed (including: another process has the session open).
    #[error("session journal: {0}")]
    Journal(#[from] JournalError),
    /// A journaled event cannot be replayed.
    #[error("session `{id}`: record {lsn} cannot be replayed: {message}")]
    Replay {
        /// The session.
        id: String,
        /// The record.
        lsn: Lsn,
        /// Why.
        message: String,
    },
    /// The checkpoint does not decode.
    #[error("session `{id}`: checkpoint at record {lsn} is unreadable: {message}")]
    Checkpoint {
        /// The session.
        id: String,
        /// The record it covers.
        lsn: Lsn,
        /// Why.
        message: String,
    },
    /// The session directory could not be created.
    #[error("session directory `{path}`: {source}")]
    Io {
        /// The directory.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
}

/// Parses an fsync policy: `always`, `never`, `every:<n>` (records) or `interval:<ms>`.
pub fn parse_fsync(text: &str) -> Result<FsyncPolicy, String> {
    let bad =
        || format!("fsync policy `{text}`: expected always, never, every:<n> or interval:<ms>");
    match text.split_once(':') {
        None if text == "always" => Ok(FsyncPolicy::Always),
        None if text == "never" => Ok(FsyncPolicy::Never),
        Some(("every", n)) => match n.parse::<u32>() {
            Ok(n) if n > 0 => Ok(FsyncPolicy::EveryN(n)),
            _ => Err(bad()),
        },
        Some(("interval", ms)) => ms
            .parse::<u64>()
            .map(|ms| FsyncPolicy::Interval(Duration::from_millis(ms)))
            .map_err(|_| bad()),
        _ => Err(bad()),
    }
}

/// A new time-sortable session id: UTC time to the second and 4 random hex digits.
pub fn new_id() -> String {
    let t = OffsetDateTime::now_utc();
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}-{:04x}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        crate::random::random_u64() & 0xffff
    )
}

fn check_id(id: &str) -> Result<(), SessionError> {
    let ok = !id.is_empty()
        && id.len() <= 64
        && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    if ok {
        Ok(())
    } else {
        Err(SessionError::InvalidId(id.to_string()))
    }
}

/// An open session: its journal, the only writer while it lives.
#[derive(Debug)]
pub struct Session {
    id: String,
    dir: PathBuf,
    journal: Journal,
}

impl Session {
    /// Creates a new session in `workspace`.
    pub fn create(workspace: &Path, fsync: FsyncPolicy) -> Result<Session, SessionError> {
        let root = sessions_dir(workspace);
        std::fs::create_dir_all(&root).map_err(|source| SessionError::Io {
            path: root.clone(),
            source,
        })?;
        loop {
            let id = new_id();
            let dir = root.join(&id);
            match std::fs::create_dir(&dir) {
                Ok(()) => return Self::open_dir(id, dir, fsync),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(source) => return Err(SessionError::Io { path: dir, source }),
            }
        }
    }

    /// Opens session `id` of `workspace` and rebuilds its conversation from the journal.
    pub fn resume(
        workspace: &Path,
        id: &str,
        fsync: FsyncPolicy,
    ) -> Result<(Session, Conversation), SessionError> {
        check_id(id)?;
        let dir = sessions_dir(workspace).join(id);
        if !dir.join("journal").is_dir() {
            return Err(SessionError::NotFound {
                id: id.to_string(),
                dir: sessions_dir(workspace),
            });
        }
        let session = Self::open_dir(id.to_string(), dir, fsync)?;
        let conversation = session.replay()?;
        Ok((session, conversation))
    }

    fn open_dir(id: String, dir: PathBuf, fsync: FsyncPolicy) -> Result<Session, SessionError> {
        let options = JournalOptions {
            fsync,
            ..JournalOptions::default()
        };
        let journal = Journal::open(dir.join("journal"), options)?;
        Ok(Session { id, dir, journal })
    }

    /// The session id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The session directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The audit log of this session.
    pub fn audit_path(&self) -> PathBuf {
        self.dir.join("audit.jsonl")
    }

    /// Appends `event` if it is journaled ([`AgentEvent::is_journaled`]); returns its lsn.
    pub fn record(&mut self, event: &AgentEvent) -> Result<Option<Lsn>, SessionError> {
        if !event.is_journaled() {
            return Ok(None);
        }
        Ok(Some(self.journal.append_json(event)?))
    }

    /// Stores `conversation` as the state after record `lsn`.
    pub fn checkpoint(
        &mut self,
        lsn: Lsn,
        conversation: &Conversation,
    ) -> Result<(), SessionError> {
        let state = serde_json::to_vec(conversation).map_err(|e| SessionError::Checkpoint {
            id: self.id.clone(),
            lsn,
            message: e.to_string(),
        })?;
        self.journal.checkpoint(lsn, &state)?;
        Ok(())
    }

    /// The conversation as the journal has it: the latest checkpoint plus every event after.
    pub fn replay(&self) -> Result<Conversation, SessionError> {
        let (mut conversation, from) = match self.journal.latest_checkpoint()? {
            Some((lsn, state)) => {
                let c = serde_json::from_slice(&state).map_err(|e| SessionError::Checkpoint {
                    id: self.id.clone(),
                    lsn,
                    message: e.to_string(),
                })?;
                (c, lsn + 1)
            }
            None => (Conversation::default(), 1),
        };
        for item in self.journal.iter_json::<AgentEvent>(from)? {
            let (lsn, event) = item?;
            conversation
                .apply(&event)
                .map_err(|message| SessionError::Replay {
                    id: self.id.clone(),
                    lsn,
                    message,
                })?;
        }
        Ok(conversation)
    }

    /// Every journaled event, in order (for inspection and tests; ignores checkpoints, so
    /// it fails once old segments were compacted away).
    pub fn events(&self) -> Result<Vec<AgentEvent>, SessionError> {
        self.journal
            .iter_json::<AgentEvent>(1)?
            .map(|item| item.map(|(_, e)| e).map_err(SessionError::from))
            .collect()
    }
}

/// The results owed for calls of the last reply that never got one (see the module docs).
pub fn unanswered_results(conversation: &Conversation) -> Vec<AgentEvent> {
    conversation
        .unanswered
        .iter()
        .map(|call| AgentEvent::ToolResult {
            call_id: call.id.clone(),
            name: call.name.clone(),
            ok: false,
            content: if conversation.started.contains(&call.id) {
                INTERRUPTED
            } else {
                NOT_RUN
            }
            .to_string(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::ToolCall;

    #[test]
    fn ids_sort_by_time_and_are_checked() {
        let id = new_id();
        assert_eq!(id.len(), "20261122T063000-1a2b".len(), "{id}");
        assert!(check_id(&id).is_ok());
        for bad in ["", "../x", "a/b", "a b"] {
            assert!(check_id(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn fsync_policies_parse() {
        assert_eq!(parse_fsync("always"), Ok(FsyncPolicy::Always));
        assert_eq!(parse_fsync("never"), Ok(FsyncPolicy::Never));
        assert_eq!(parse_fsync("every:8"), Ok(FsyncPolicy::EveryN(8)));
        assert_eq!(
            parse_fsync("interval:250"),
            Ok(FsyncPolicy::Interval(Duration::from_millis(250)))
        );
        for bad in ["every:0", "sometimes", "interval:x"] {
            assert!(parse_fsync(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn replay_rebuilds_and_reports_unanswered_calls() {
        let ws = tempfile::tempdir().unwrap();
        let mut s = Session::create(ws.path(), FsyncPolicy::Always).unwrap();
        let id = s.id().to_string();
        let a = ToolCall::new("a", "write_file", r#"{"path":"x","content":"1"}"#);
        let b = ToolCall::new("b", "list", "{}");
        let events = [
            AgentEvent::System {
                content: "sys".into(),
            },
            AgentEvent::User {
                content: "task".into(),
            },
            AgentEvent::AssistantMessage {
                content: String::new(),
                tool_calls: vec![a.clone(), b],
                usage: None,
            },
            AgentEvent::ToolCall { call: a },
        ];
        let mut live = Conversation::default();
        for e in &events {
            s.record(e).unwrap();
            live.apply(e).unwrap();
        }
        assert!(
            s.record(&AgentEvent::AssistantDelta { text: "x".into() })
                .unwrap()
                .is_none()
        );
        drop(s);
        let (s, rebuilt) = Session::resume(ws.path(), &id, FsyncPolicy::Always).unwrap();
        assert_eq!(rebuilt, live);
        assert_eq!(s.events().unwrap().len(), events.len());
        let owed = unanswered_results(&rebuilt);
        let texts: Vec<_> = owed
            .iter()
            .map(|e| match e {
                AgentEvent::ToolResult {
                    call_id, content, ..
                } => (call_id.as_str(), content.as_str()),
                _ => panic!("{e:?}"),
            })
            .collect();
        assert_eq!(texts, [("a", INTERRUPTED), ("b", NOT_RUN)]);
    }

    #[test]
    fn checkpoints_shorten_replay() {
        let ws = tempfile::tempdir().unwrap();
        let mut s = Session::create(ws.path(), FsyncPolicy::Never).unwrap();
        let id = s.id().to_string();
        let mut live = Conversation::default();
        for (i, e) in [
            AgentEvent::System {
                content: "sys".into(),
            },
            AgentEvent::User {
                content: "task".into(),
            },
            AgentEvent::User {
                content: "more".into(),
            },
        ]
        .iter()
        .enumerate()
        {
            let lsn = s.record(e).unwrap().unwrap();
            live.apply(e).unwrap();
            if i == 1 {
                s.checkpoint(lsn, &live).unwrap();
            }
        }
        drop(s);
        let (_, rebuilt) = Session::resume(ws.path(), &id, FsyncPolicy::Always).unwrap();
        assert_eq!(rebuilt, live);
    }

    #[test]
    fn missing_and_locked_sessions_are_errors() {
        let ws = tempfile::tempdir().unwrap();
        let err = Session::resume(ws.path(), "20260101T000000-0000", FsyncPolicy::Always);
        assert!(matches!(err, Err(SessionError::NotFound { .. })));
        let s = Session::create(ws.path(), FsyncPolicy::Always).unwrap();
        let err = Session::resume(ws.path(), s.id(), FsyncPolicy::Always).unwrap_err();
        assert!(err.to_string().contains("journal"), "{err}");
    }
}
