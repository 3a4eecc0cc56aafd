//! The agent panel's source: the newest agent session of the repository
//! (`.ouro/sessions/<id>/journal`) or of one of the loop's worktrees (where `ouro loop` runs
//! its agent: `.ouro/worktrees/<run>/.ouro/sessions/<id>/journal`), read without taking the
//! session's lock while the agent writes it, and turned into transcript lines (messages,
//! tool calls and results, permission decisions, compactions, errors, the end of a run).
//!
//! The journal is read again only when its newest segment has grown or changed; otherwise
//! the last transcript is kept.

use std::path::{Path, PathBuf};

use ouro_agent::agent::events::{AgentEvent, Summary};
use ouro_agent::session::sessions_dir;
use ouro_core::journal::{self, Record};

use super::{FileStamp, file_stamp};
use crate::data::{AgentFeed, AgentStatus, FeedKind, FeedLine};

/// How many journal records the transcript keeps (the panel shows the newest that fit).
pub const FEED_RECORDS: usize = 200;

/// What identifies the state of a session's journal on disk: the session's folder, the
/// newest segment's name and its stamp.
type Signature = (PathBuf, Option<(String, FileStamp)>);

/// Follows the newest session of one repository.
#[derive(Debug)]
pub struct SessionSource {
    repo: PathBuf,
    last: Option<(Signature, AgentStatus)>,
}

impl SessionSource {
    pub fn new(repo: &Path) -> SessionSource {
        SessionSource {
            repo: repo.to_path_buf(),
            last: None,
        }
    }

    /// The newest session's transcript, or why there is none.
    pub fn read(&mut self) -> AgentStatus {
        let Some((dir, id)) = newest_session(&session_dirs(&self.repo)) else {
            self.last = None;
            return AgentStatus::Absent {
                reason: format!("no agent session in {}", self.repo.display()),
            };
        };
        let journal_dir = dir.join("journal");
        let signature = (dir, newest_segment(&journal_dir));
        if let Some((seen, status)) = &self.last
            && *seen == signature
        {
            return status.clone();
        }
        let status = match journal::read_newest(&journal_dir, FEED_RECORDS) {
            Ok(records) => AgentStatus::Session(AgentFeed {
                session: id,
                lines: feed_lines(&records),
            }),
            Err(e) => AgentStatus::Absent {
                reason: format!("session {id}: {e}"),
            },
        };
        self.last = Some((signature, status.clone()));
        status
    }
}

/// The folders that hold a repository's sessions: its own, and those of the loop's
/// worktrees.
fn session_dirs(repo: &Path) -> Vec<PathBuf> {
    let mut dirs = vec![sessions_dir(repo)];
    if let Ok(worktrees) = std::fs::read_dir(ouro_loop::StateDir::of(repo).worktrees()) {
        dirs.extend(
            worktrees
                .filter_map(Result::ok)
                .map(|e| sessions_dir(&e.path())),
        );
    }
    dirs
}

/// The newest session (by its folder's modification time) in any of `dirs`: its folder and
/// its id.
fn newest_session(dirs: &[PathBuf]) -> Option<(PathBuf, String)> {
    dirs.iter()
        .filter_map(|dir| std::fs::read_dir(dir).ok())
        .flatten()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter_map(|e| {
            let modified = e.metadata().ok()?.modified().ok()?;
            Some((
                modified,
                e.path(),
                e.file_name().to_string_lossy().into_owned(),
            ))
        })
        .max()
        .map(|(_, path, id)| (path, id))
}

/// Name and stamp of the newest segment (`*.wal`) in a journal folder.
fn newest_segment(dir: &Path) -> Option<(String, FileStamp)> {
    let entry = std::fs::read_dir(dir)
        .ok()?
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().ends_with(".wal"))
        .max_by_key(|e| e.file_name())?;
    Some((
        entry.file_name().to_string_lossy().into_owned(),
        file_stamp(&entry.path()),
    ))
}

/// The transcript lines of journal records; a record that is not an agent event becomes an
/// error line naming it.
pub fn feed_lines(records: &[Record]) -> Vec<FeedLine> {
    records
        .iter()
        .filter_map(|r| match serde_json::from_slice::<AgentEvent>(&r.payload) {
            Ok(event) => event_line(&event),
            Err(e) => Some(line(
                FeedKind::Error,
                format!("record {}: not an agent event: {e}", r.lsn),
            )),
        })
        .collect()
}

fn line(kind: FeedKind, text: String) -> FeedLine {
    FeedLine { kind, text }
}

/// One event's line; `None` for what the transcript leaves out (the system prompt, empty
/// replies, streaming deltas).
fn event_line(event: &AgentEvent) -> Option<FeedLine> {
    Some(match event {
        AgentEvent::SessionStart {
            model,
            provider,
            resumed,
            ..
        } => {
            let verb = if *resumed { "resumed" } else { "started" };
            line(
                FeedKind::Note,
                format!("session {verb} · {provider} {model}"),
            )
        }
        AgentEvent::User { content } => line(FeedKind::User, content.clone()),
        AgentEvent::AssistantMessage { content, .. } if !content.trim().is_empty() => {
            line(FeedKind::Assistant, content.trim().to_string())
        }
        AgentEvent::ToolCall { call } => line(
            FeedKind::ToolCall,
            format!("{} {}", call.name, call.arguments),
        ),
        AgentEvent::PermissionDecision {
            tool,
            action,
            resource,
            decision,
            rule,
        } => {
            let kind = if decision == "allow" {
                FeedKind::PermissionAllowed
            } else {
                FeedKind::PermissionDenied
            };
            line(kind, format!("{tool} {action} {resource} ({rule})"))
        }
        AgentEvent::ToolResult {
            name, ok, content, ..
        } => {
            // Failed tools usually say so themselves ("error: ..."); say it once.
            let text = match (*ok, content.strip_prefix("error: ")) {
                (true, _) => format!("{name} ok: {content}"),
                (false, Some(rest)) => format!("{name} error: {rest}"),
                (false, None) => format!("{name} error: {content}"),
            };
            line(FeedKind::ToolResult, text)
        }
        AgentEvent::Compaction {
            tokens_before,
            tokens_after,
            ..
        } => line(
            FeedKind::Note,
            format!("context compacted: {tokens_before} → {tokens_after} tokens"),
        ),
        AgentEvent::Error { message } => line(FeedKind::Error, message.clone()),
        AgentEvent::Finish(Summary {
            outcome,
            summary,
            iterations,
            tool_calls,
            ..
        }) => line(
            FeedKind::Note,
            format!(
                "run ended ({outcome:?}, {iterations} replies, {tool_calls} tool calls): {summary}"
            ),
        ),
        AgentEvent::System { .. }
        | AgentEvent::AssistantMessage { .. }
        | AgentEvent::AssistantDelta { .. }
        | AgentEvent::Retry { .. } => return None,
    })
}

#[cfg(test)]
mod tests {
    use ouro_agent::provider::ToolCall;
    use ouro_agent::session::Session;
    use ouro_core::journal::FsyncPolicy;

    use super::*;

    fn temp_repo() -> tempfile::TempDir {
        tempfile::tempdir().unwrap()
    }

    #[test]
    fn no_session_says_so() {
        let repo = temp_repo();
        let AgentStatus::Absent { reason } = SessionSource::new(repo.path()).read() else {
            panic!("no session expected")
        };
        assert!(reason.starts_with("no agent session in"), "{reason}");
    }

    #[test]
    fn the_loops_agent_session_in_a_worktree_is_followed() {
        let repo = temp_repo();
        let user = |content: &str| AgentEvent::User {
            content: content.into(),
        };
        let mut own = Session::create(repo.path(), FsyncPolicy::Never).unwrap();
        own.record(&user("an older interactive session")).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
        let worktree = ouro_loop::StateDir::of(repo.path()).worktree("7", 1);
        std::fs::create_dir_all(&worktree).unwrap();
        let mut looped = Session::create(&worktree, FsyncPolicy::Never).unwrap();
        looped.record(&user("the loop's task")).unwrap();
        let AgentStatus::Session(feed) = SessionSource::new(repo.path()).read() else {
            panic!("the worktree's session should be read")
        };
        assert_eq!(feed.session, looped.id());
        assert_eq!(feed.lines[0].text, "the loop's task");
    }

    #[test]
    fn a_live_session_is_read_while_the_agent_holds_it_and_followed_as_it_grows() {
        let repo = temp_repo();
        let mut session = Session::create(repo.path(), FsyncPolicy::Never).unwrap();
        let call = ToolCall::new("c1", "read_file", r#"{"path":"src/lib.rs"}"#);
        let events = [
            AgentEvent::System {
                content: "you are ouro".into(),
            },
            AgentEvent::User {
                content: "fix the bug".into(),
            },
            AgentEvent::AssistantMessage {
                content: "Reading the file.".into(),
                tool_calls: vec![call.clone()],
                usage: None,
            },
            AgentEvent::PermissionDecision {
                tool: "read_file".into(),
                action: "read".into(),
                resource: "src/lib.rs".into(),
                decision: "allow".into(),
                rule: "workspace read".into(),
            },
            AgentEvent::ToolCall { call },
        ];
        for e in &events {
            session.record(e).unwrap();
        }
        let mut source = SessionSource::new(repo.path());
        let AgentStatus::Session(feed) = source.read() else {
            panic!("the session should be read")
        };
        assert_eq!(feed.session, session.id());
        let kinds: Vec<_> = feed.lines.iter().map(|l| l.kind).collect();
        assert_eq!(
            kinds,
            [
                FeedKind::User,
                FeedKind::Assistant,
                FeedKind::PermissionAllowed,
                FeedKind::ToolCall
            ]
        );
        assert_eq!(feed.lines[3].text, r#"read_file {"path":"src/lib.rs"}"#);
        session
            .record(&AgentEvent::ToolResult {
                call_id: "c1".into(),
                name: "read_file".into(),
                ok: false,
                content: "no such file".into(),
            })
            .unwrap();
        let AgentStatus::Session(feed) = source.read() else {
            panic!("the session should be read")
        };
        let last = feed.lines.last().unwrap();
        assert_eq!(last.kind, FeedKind::ToolResult);
        assert_eq!(last.text, "read_file error: no such file");
    }

    #[test]
    fn a_foreign_record_becomes_an_error_line() {
        let records = [Record {
            lsn: 7,
            payload: b"{\"type\":\"nonsense\"}".to_vec(),
        }];
        let lines = feed_lines(&records);
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].kind, FeedKind::Error);
        assert!(lines[0].text.starts_with("record 7: not an agent event"));
    }
}
